// Package sandbox makes the temporary file tree on which the checker
// judges a server's file access: a workspace (the one directory the
// server is told to use) with ordinary files, a subdirectory and symbolic
// links, some leading inside and some out, and canary files around it,
// with random names and contents, that no answer may ever hold: in the
// workspace's parent, in a sibling whose name extends the workspace's
// (the prefix sibling: ws-NAME-evil next to ws-NAME), in an unrelated
// directory, and behind the links. The layout and every random name and
// content follow from a seed, so that a run's tree can be made again;
// its description for the model is a model.FileTree.
//
// Everything lies inside one directory made with os.MkdirTemp, which
// Close removes: the checker never points a server at a system path.
package sandbox

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/model"
)

// Canary is a file outside the workspace.
type Canary struct {
	// Path is its absolute path; Name its base name; Content what it
	// holds (random, unique).
	Path, Name, Content string
	// Where says how it lies relative to the workspace: "parent",
	// "prefix-sibling", "unrelated", "behind-link".
	Where string
}

// Link is a symbolic link inside the workspace.
type Link struct {
	// Path is the link's absolute path, Target its target as written.
	Path, Target string
	// Kind: "inside" (to a workspace file), "file-out" (to a canary),
	// "dir-out" (to a directory holding a canary), "chain-out" (to a link
	// that leads out), "absolute-out" (an absolute target outside),
	// "later-out" (outside, its target made only by Materialize).
	Kind string
	// Reaches is the canary the link gives access to ("" for "inside").
	Reaches string
}

// Sandbox is a tree made on disk.
type Sandbox struct {
	// Root is the temporary directory holding everything (its real path,
	// symbolic links resolved).
	Root string
	// Workspace is the directory the server is told to use.
	Workspace string
	// Files are the workspace's ordinary files, path → content.
	Files map[string]string
	// Canaries lie outside the workspace.
	Canaries []Canary
	// Links lie inside the workspace.
	Links []Link
	// later is the directory Materialize makes (a link's target that
	// does not exist when the server starts).
	later, laterCanary string
	made               bool
	tree               *model.FileTree
	// names inside the workspace: the subdirectory, the one below it,
	// and the file the attacks start from.
	sub, deeper, notes string
	// planted: the tree was planted around a directory of the user's
	// (Plant); created lists what was made, for Close to remove, in
	// order.
	planted bool
	created []string
	// AllowWrites lets the file checks call tools that may write.
	AllowWrites bool
	// snapshot is what lay outside the workspace, watched for writes,
	// when the tree was made: path → content ("" for a directory).
	snapshot map[string]string
}

// The sandbox is the checker's (check.Options.Sandbox).
var _ check.Sandbox = (*Sandbox)(nil)

// New makes the tree for seed under a new temporary directory in dir
// ("" for the system's).
func New(dir string, seed int64) (*Sandbox, error) {
	tmp, err := os.MkdirTemp(dir, "mcpverify-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	root, err := filepath.EvalSymlinks(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	s := &Sandbox{Root: root, sub: "sub", deeper: "deeper", notes: "notes.txt"}
	s.Workspace = filepath.Join(root, "ws-"+token(rng, 6))
	if err := s.build(rng, true); err != nil {
		os.RemoveAll(root)
		return nil, err
	}
	return s, nil
}

// Plant makes the tree around workspace, an existing directory of the
// user's that a server was started on (check --workspace): its files,
// subdirectory and links inside it, named so as to clash with nothing
// there, and the canaries beside it, in its parent. Close removes exactly
// what Plant made.
func Plant(workspace string, seed int64) (*Sandbox, error) {
	abs, err := filepath.Abs(workspace)
	if err == nil {
		abs, err = filepath.EvalSymlinks(abs)
	}
	if err != nil {
		return nil, fmt.Errorf("sandbox: workspace: %w", err)
	}
	if fi, err := os.Stat(abs); err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("sandbox: workspace %s: not a directory", workspace)
	}
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	tok := token(rng, 6)
	s := &Sandbox{Root: filepath.Dir(abs), Workspace: abs, planted: true,
		sub: "mcpverify-" + tok + "-sub", deeper: "deeper", notes: "mcpverify-" + tok + "-notes.txt"}
	if err := s.build(rng, false); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

func token(rng *rand.Rand, n int) string {
	const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = letters[rng.IntN(len(letters))]
	}
	return string(b)
}

// build lays the tree out: the workspace (made when fresh), its files,
// subdirectories and links, and the canaries around it. Every name it
// makes outside the workspace is new (a taken one is an error).
func (s *Sandbox) build(rng *rand.Rand, fresh bool) error {
	root := s.Root
	s.Files = map[string]string{}
	s.tree = &model.FileTree{Nodes: map[string]model.FileNode{}, Allowed: []string{filepath.ToSlash(s.Workspace)}}
	made := func(p string) { s.created = append(s.created, p) }
	mkdir := func(p string) error {
		s.tree.Nodes[filepath.ToSlash(p)] = model.FileNode{Dir: true}
		if err := os.Mkdir(p, 0o755); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		made(p)
		return nil
	}
	write := func(p, content string) error {
		s.tree.Nodes[filepath.ToSlash(p)] = model.FileNode{Content: content}
		f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		made(p)
		_, err = f.WriteString(content)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	canary := func(dir, where string) (Canary, error) {
		c := Canary{Name: "canary-" + token(rng, 10), Content: "MCPVERIFY-CANARY-" + token(rng, 24), Where: where}
		c.Path = filepath.Join(dir, c.Name)
		s.Canaries = append(s.Canaries, c)
		return c, write(c.Path, c.Content)
	}
	link := func(l Link) error {
		s.Links = append(s.Links, l)
		s.tree.Nodes[filepath.ToSlash(l.Path)] = model.FileNode{Link: filepath.ToSlash(l.Target)}
		if err := os.Symlink(l.Target, l.Path); err != nil {
			return fmt.Errorf("sandbox: %w", err)
		}
		made(l.Path)
		return nil
	}
	// The root and the directories above it (resolved: no links), so
	// that the model resolves absolute paths from "/".
	for d := root; ; d = filepath.Dir(d) {
		s.tree.Nodes[filepath.ToSlash(d)] = model.FileNode{Dir: true}
		if filepath.Dir(d) == d {
			break
		}
	}
	if fresh {
		if err := mkdir(s.Workspace); err != nil {
			return err
		}
	} else {
		s.tree.Nodes[filepath.ToSlash(s.Workspace)] = model.FileNode{Dir: true}
	}
	sub := filepath.Join(s.Workspace, s.sub)
	for _, d := range []string{sub, filepath.Join(sub, s.deeper)} {
		if err := mkdir(d); err != nil {
			return err
		}
	}
	for _, p := range []string{filepath.Join(s.Workspace, s.notes), filepath.Join(sub, "inner.txt"), filepath.Join(sub, s.deeper, "deep.txt")} {
		s.Files[p] = "inside " + token(rng, 16)
		if err := write(p, s.Files[p]); err != nil {
			return err
		}
	}
	parent, err := canary(root, "parent")
	if err != nil {
		return err
	}
	sibling := s.Workspace + "-evil"
	if _, err := os.Lstat(sibling); err == nil {
		sibling = s.Workspace + "-evil-" + token(rng, 6)
	}
	if err := mkdir(sibling); err != nil {
		return err
	}
	if _, err := canary(sibling, "prefix-sibling"); err != nil {
		return err
	}
	unrelated := filepath.Join(root, "mcpverify-unrelated-"+token(rng, 6))
	if err := mkdir(unrelated); err != nil {
		return err
	}
	far, err := canary(unrelated, "unrelated")
	if err != nil {
		return err
	}
	outDir := filepath.Join(root, "mcpverify-outside-"+token(rng, 6))
	if err := mkdir(outDir); err != nil {
		return err
	}
	behind, err := canary(outDir, "behind-link")
	if err != nil {
		return err
	}
	s.later = filepath.Join(root, "mcpverify-later-"+token(rng, 6))
	s.laterCanary = "canary-" + token(rng, 10)
	// The tree the model is given holds the later canary from the start
	// (the model reads it while the run goes on: it never changes); on
	// disk it appears with Materialize.
	laterContent := "MCPVERIFY-CANARY-LATER-" + token(rng, 24)
	s.Canaries = append(s.Canaries, Canary{Path: filepath.Join(s.later, s.laterCanary), Name: s.laterCanary, Content: laterContent, Where: "behind-link"})
	defer func() { s.snapshot = s.outside() }()
	s.tree.Nodes[filepath.ToSlash(s.later)] = model.FileNode{Dir: true}
	s.tree.Nodes[filepath.ToSlash(filepath.Join(s.later, s.laterCanary))] = model.FileNode{Content: laterContent}
	prefix := ""
	if s.planted {
		prefix = "mcpverify-" + strings.TrimSuffix(strings.TrimPrefix(s.notes, "mcpverify-"), "-notes.txt") + "-"
	}
	ws := func(n string) string { return filepath.Join(s.Workspace, prefix+n) }
	for _, l := range []Link{
		{Path: ws("link-in"), Target: s.notes, Kind: "inside"},
		{Path: ws("link-file-out"), Target: filepath.Join("..", parent.Name), Kind: "file-out", Reaches: parent.Path},
		{Path: ws("link-dir-out"), Target: filepath.Join("..", filepath.Base(outDir)), Kind: "dir-out", Reaches: behind.Path},
		{Path: ws("link-chain-out"), Target: prefix + "link-file-out", Kind: "chain-out", Reaches: parent.Path},
		{Path: ws("link-abs-out"), Target: far.Path, Kind: "absolute-out", Reaches: far.Path},
		{Path: ws("link-later-out"), Target: filepath.Join("..", filepath.Base(s.later)), Kind: "later-out", Reaches: filepath.Join(s.later, s.laterCanary)},
	} {
		if err := link(l); err != nil {
			return err
		}
	}
	return nil
}

// Materialize makes the target of the "later-out" link (a directory
// holding a canary), which did not exist when the tree was made: a
// server that checked the link when it started, or cached its answer,
// must still refuse it.
func (s *Sandbox) Materialize() error {
	if s.made {
		return nil
	}
	c := s.Canaries[len(s.Canaries)-1]
	if err := os.Mkdir(s.later, 0o755); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.created = append(s.created, s.later)
	if err := os.WriteFile(c.Path, []byte(c.Content), 0o644); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.created = append(s.created, c.Path)
	s.made = true
	return nil
}

// Writes reports whether tools that may write may be called.
func (s *Sandbox) Writes() bool { return s.AllowWrites }

// maxWatched bounds the entries outside the workspace that are compared.
const maxWatched = 10000

// outside maps what lies outside the workspace, where a write must not
// land, to its content ("" for a directory, the target for a link): the
// whole root of a fresh sandbox; for a planted one, the entries of the
// parent directory and everything in the directories the sandbox made.
func (s *Sandbox) outside() map[string]string {
	out := map[string]string{}
	var walk func(dir string, deep bool)
	walk = func(dir string, deep bool) {
		es, err := os.ReadDir(dir)
		if err != nil {
			return
		}
		for _, e := range es {
			p := filepath.Join(dir, e.Name())
			if p == s.Workspace || len(out) >= maxWatched {
				continue
			}
			switch {
			case e.Type()&os.ModeSymlink != 0:
				t, _ := os.Readlink(p)
				out[p] = "link:" + t
			case e.IsDir():
				out[p] = ""
				if deep || slices.Contains(s.created, p) {
					walk(p, deep)
				}
			default:
				content := "file"
				if b, err := readSmall(p); err == nil {
					content = "file:" + b
				}
				out[p] = content
			}
		}
	}
	walk(s.Root, !s.planted)
	return out
}

// readSmall reads a file of at most 64 KiB (a larger one is described by
// its size).
func readSmall(p string) (string, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return "", err
	}
	if fi.Size() > 64<<10 {
		return fmt.Sprintf("%d bytes", fi.Size()), nil
	}
	b, err := os.ReadFile(p)
	return string(b), err
}

// Intruders lists what appeared, changed or went missing outside the
// workspace since the tree was made (the later canary aside).
func (s *Sandbox) Intruders() []string {
	now := s.outside()
	var out []string
	for p, v := range now {
		if p == s.later || strings.HasPrefix(p, s.later+string(filepath.Separator)) {
			continue
		}
		if was, ok := s.snapshot[p]; !ok {
			out = append(out, p+" (appeared)")
		} else if was != v {
			out = append(out, p+" (changed)")
		}
	}
	for p := range s.snapshot {
		if _, ok := now[p]; !ok {
			out = append(out, p+" (removed)")
		}
	}
	slices.Sort(out)
	return out
}

// Tree describes the sandbox for the model (model.Config.Files).
func (s *Sandbox) Tree() *model.FileTree { return s.tree }

// Close removes the whole tree; a planted one, exactly what Plant made,
// the newest first (never the user's files).
func (s *Sandbox) Close() error {
	if !s.planted {
		return os.RemoveAll(s.Root)
	}
	var first error
	for i := len(s.created) - 1; i >= 0; i-- {
		if err := os.Remove(s.created[i]); err != nil && !os.IsNotExist(err) && first == nil {
			first = fmt.Errorf("sandbox: %w", err)
		}
	}
	s.created = nil
	return first
}
