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
}

// The sandbox is the checker's (check.Options.Sandbox).
var _ check.Sandbox = (*Sandbox)(nil)

// New makes the tree for seed under a new temporary directory in dir
// ("" for the system's).
func New(dir string, seed int64) (*Sandbox, error) {
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))
	token := func(n int) string {
		const letters = "abcdefghijklmnopqrstuvwxyz0123456789"
		b := make([]byte, n)
		for i := range b {
			b[i] = letters[rng.IntN(len(letters))]
		}
		return string(b)
	}
	tmp, err := os.MkdirTemp(dir, "mcpverify-sandbox-")
	if err != nil {
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	root, err := filepath.EvalSymlinks(tmp)
	if err != nil {
		os.RemoveAll(tmp)
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	s := &Sandbox{Root: root, Files: map[string]string{}}
	s.tree = &model.FileTree{Nodes: map[string]model.FileNode{}}
	fail := func(err error) (*Sandbox, error) {
		os.RemoveAll(root)
		return nil, fmt.Errorf("sandbox: %w", err)
	}
	name := "ws-" + token(6)
	s.Workspace = filepath.Join(root, name)
	s.tree.Allowed = []string{filepath.ToSlash(s.Workspace)}
	mkdir := func(p string) error {
		s.tree.Nodes[filepath.ToSlash(p)] = model.FileNode{Dir: true}
		return os.Mkdir(p, 0o755)
	}
	write := func(p, content string) error {
		s.tree.Nodes[filepath.ToSlash(p)] = model.FileNode{Content: content}
		return os.WriteFile(p, []byte(content), 0o644)
	}
	canary := func(dir, where string) (Canary, error) {
		c := Canary{Name: "canary-" + token(10), Content: "MCPVERIFY-CANARY-" + token(24), Where: where}
		c.Path = filepath.Join(dir, c.Name)
		s.Canaries = append(s.Canaries, c)
		return c, write(c.Path, c.Content)
	}
	link := func(l Link) error {
		s.Links = append(s.Links, l)
		s.tree.Nodes[filepath.ToSlash(l.Path)] = model.FileNode{Link: filepath.ToSlash(l.Target)}
		return os.Symlink(l.Target, l.Path)
	}
	// The root and the directories above it (resolved: no links), so
	// that the model resolves absolute paths from "/".
	for d := root; ; d = filepath.Dir(d) {
		s.tree.Nodes[filepath.ToSlash(d)] = model.FileNode{Dir: true}
		if filepath.Dir(d) == d {
			break
		}
	}
	for _, d := range []string{s.Workspace, filepath.Join(s.Workspace, "sub"), filepath.Join(s.Workspace, "sub", "deeper")} {
		if err := mkdir(d); err != nil {
			return fail(err)
		}
	}
	for _, f := range []string{"notes.txt", filepath.Join("sub", "inner.txt"), filepath.Join("sub", "deeper", "deep.txt")} {
		p := filepath.Join(s.Workspace, f)
		s.Files[p] = "inside " + token(16)
		if err := write(p, s.Files[p]); err != nil {
			return fail(err)
		}
	}
	parent, err := canary(root, "parent")
	if err != nil {
		return fail(err)
	}
	sibling := s.Workspace + "-evil"
	if err := mkdir(sibling); err != nil {
		return fail(err)
	}
	if _, err := canary(sibling, "prefix-sibling"); err != nil {
		return fail(err)
	}
	unrelated := filepath.Join(root, "unrelated-"+token(6))
	if err := mkdir(unrelated); err != nil {
		return fail(err)
	}
	far, err := canary(unrelated, "unrelated")
	if err != nil {
		return fail(err)
	}
	outDir := filepath.Join(root, "outside-"+token(6))
	if err := mkdir(outDir); err != nil {
		return fail(err)
	}
	behind, err := canary(outDir, "behind-link")
	if err != nil {
		return fail(err)
	}
	s.later = filepath.Join(root, "later-"+token(6))
	s.laterCanary = "canary-" + token(10)
	// The tree the model is given holds the later canary from the start
	// (the model reads it while the run goes on: it never changes); on
	// disk it appears with Materialize.
	laterContent := "MCPVERIFY-CANARY-LATER-" + token(24)
	s.Canaries = append(s.Canaries, Canary{Path: filepath.Join(s.later, s.laterCanary), Name: s.laterCanary, Content: laterContent, Where: "behind-link"})
	s.tree.Nodes[filepath.ToSlash(s.later)] = model.FileNode{Dir: true}
	s.tree.Nodes[filepath.ToSlash(filepath.Join(s.later, s.laterCanary))] = model.FileNode{Content: laterContent}
	ws := func(n string) string { return filepath.Join(s.Workspace, n) }
	for _, l := range []Link{
		{Path: ws("link-in"), Target: "notes.txt", Kind: "inside"},
		{Path: ws("link-file-out"), Target: filepath.Join("..", parent.Name), Kind: "file-out", Reaches: parent.Path},
		{Path: ws("link-dir-out"), Target: filepath.Join("..", filepath.Base(outDir)), Kind: "dir-out", Reaches: behind.Path},
		{Path: ws("link-chain-out"), Target: "link-file-out", Kind: "chain-out", Reaches: parent.Path},
		{Path: ws("link-abs-out"), Target: far.Path, Kind: "absolute-out", Reaches: far.Path},
		{Path: ws("link-later-out"), Target: filepath.Join("..", filepath.Base(s.later)), Kind: "later-out", Reaches: filepath.Join(s.later, s.laterCanary)},
	} {
		if err := link(l); err != nil {
			return fail(err)
		}
	}
	return s, nil
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
	if err := os.WriteFile(c.Path, []byte(c.Content), 0o644); err != nil {
		return fmt.Errorf("sandbox: %w", err)
	}
	s.made = true
	return nil
}

// Tree describes the sandbox for the model (model.Config.Files).
func (s *Sandbox) Tree() *model.FileTree { return s.tree }

// Close removes the whole tree.
func (s *Sandbox) Close() error { return os.RemoveAll(s.Root) }
