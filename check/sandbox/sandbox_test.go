package sandbox

import (
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// TestSandbox: the tree on disk is the tree the model is given; the
// canaries lie outside the workspace (the prefix sibling too) and the
// links that lead out reach them; the layout follows from the seed; Close
// removes everything.
func TestSandbox(t *testing.T) {
	s, err := New(t.TempDir(), 7)
	if err != nil {
		t.Fatal(err)
	}
	tree := s.Tree()
	if len(tree.Allowed) != 1 || tree.Allowed[0] != filepath.ToSlash(s.Workspace) {
		t.Fatalf("allowed %v, workspace %s", tree.Allowed, s.Workspace)
	}
	if _, err := os.Stat(filepath.Dir(s.Canaries[len(s.Canaries)-1].Path)); !os.IsNotExist(err) {
		t.Errorf("the later canary's directory exists before Materialize: %v", err)
	}
	if err := s.Materialize(); err != nil {
		t.Fatal(err)
	}
	for p, n := range tree.Nodes {
		fi, err := os.Lstat(filepath.FromSlash(p))
		switch {
		case err != nil:
			t.Errorf("%s: %v", p, err)
		case n.Dir != fi.IsDir(), (n.Link != "") != (fi.Mode()&os.ModeSymlink != 0):
			t.Errorf("%s: node %+v, on disk %v", p, n, fi.Mode())
		case !n.Dir && n.Link == "":
			if b, _ := os.ReadFile(filepath.FromSlash(p)); string(b) != n.Content {
				t.Errorf("%s: content %q, node %q", p, b, n.Content)
			}
		}
	}
	if len(s.Canaries) != 5 {
		t.Errorf("%d canaries", len(s.Canaries))
	}
	for _, c := range s.Canaries {
		if tree.Within(filepath.ToSlash(c.Path)) || !strings.HasPrefix(c.Path, s.Root+string(filepath.Separator)) {
			t.Errorf("canary %s inside the workspace or outside the sandbox", c.Path)
		}
	}
	if !strings.HasPrefix(s.Canaries[1].Path, s.Workspace) || s.Canaries[1].Where != "prefix-sibling" {
		t.Errorf("the prefix sibling's canary %s does not extend the workspace's name %s", s.Canaries[1].Path, s.Workspace)
	}
	for _, l := range s.Links {
		real, via, ok := tree.Resolve(filepath.ToSlash(l.Path))
		switch l.Kind {
		case "inside":
			if !ok || !via || !tree.Within(real) {
				t.Errorf("%s: resolves to %s %v", l.Path, real, ok)
			}
		default:
			if !ok || real != filepath.ToSlash(l.Reaches) && !strings.HasPrefix(filepath.ToSlash(l.Reaches), real+"/") {
				t.Errorf("%s (%s): resolves to %s %v, want %s", l.Path, l.Kind, real, ok, l.Reaches)
			}
			if disk, err := filepath.EvalSymlinks(l.Path); err != nil || disk != filepath.FromSlash(real) {
				t.Errorf("%s: on disk %s %v, model %s", l.Path, disk, err, real)
			}
		}
	}
	later := s.Links[len(s.Links)-1]
	if real, _, ok := tree.Resolve(filepath.ToSlash(later.Path) + "/" + filepath.Base(later.Reaches)); !ok || real != filepath.ToSlash(later.Reaches) {
		t.Errorf("after Materialize, %s resolves to %s %v", later.Path, real, ok)
	}
	// The same seed gives the same names and contents.
	s2, err := New(t.TempDir(), 7)
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	rel := func(s *Sandbox, p string) string { r, _ := filepath.Rel(s.Root, p); return r }
	for i := range s2.Canaries {
		if rel(s, s.Canaries[i].Path) != rel(s2, s2.Canaries[i].Path) || s.Canaries[i].Content != s2.Canaries[i].Content {
			t.Errorf("canary %d differs for the same seed", i)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Root); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", s.Root, err)
	}
}

// TestAttacks: at least 200 attempts across at least 12 families; every
// aim is a canary inside the sandbox; the attempts that are paths as
// written (no encoding to undo) do reach their aim on the tree, so none
// is a dud; and every value stays, resolved, inside the sandbox.
func TestAttacks(t *testing.T) {
	s, err := New(t.TempDir(), 3)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Materialize(); err != nil {
		t.Fatal(err)
	}
	tree := s.Tree()
	for _, set := range []struct {
		name string
		as   []Attack
	}{{"path", s.Attacks()}, {"resource", s.ResourceAttacks()}} {
		fams := map[string]int{}
		for _, a := range set.as {
			fams[a.Family]++
			if !strings.HasPrefix(a.Aim, filepath.ToSlash(s.Root)+"/") || tree.Within(a.Aim) {
				t.Errorf("%s %s %q: aim %s", set.name, a.Family, a.Value, a.Aim)
			}
		}
		if len(set.as) < 200 || len(fams) < 12 {
			t.Errorf("%s: %d attempts in %d families (%v)", set.name, len(set.as), len(fams), fams)
		}
		for _, f := range Families {
			if fams[f] == 0 {
				t.Errorf("%s: no attempt of family %s", set.name, f)
			}
		}
	}
	for _, a := range s.Attacks() {
		switch a.Family {
		case "dotdot", "absolute", "prefix-sibling", "symlink", "trailing":
		default:
			continue
		}
		v := a.Value
		if !strings.HasPrefix(v, "/") {
			v = filepath.ToSlash(s.Workspace) + "/" + v
		}
		if strings.HasSuffix(a.Value, "/") && a.Family == "symlink" || strings.HasSuffix(a.Value, ".") && !strings.HasSuffix(a.Value, "/.") {
			continue // a directory listing; a trailing dot some systems strip
		}
		// Physically, or for a server that cleans the path lexically
		// first (notes.txt/../../x is x to it).
		real, via, ok := tree.Resolve(v)
		if !ok || real != a.Aim {
			if r2, _, ok2 := tree.Resolve(path.Clean(v)); ok2 && r2 == a.Aim {
				real, ok = r2, ok2
			}
		}
		if !ok || (real != a.Aim && !strings.HasPrefix(a.Aim, real+"/")) || via != a.Symlink && a.Family == "symlink" {
			t.Errorf("%s %q resolves to %s (%v, via a link %v), not its aim %s", a.Family, a.Value, real, ok, via, a.Aim)
		}
	}
	for p := range s.Reads() {
		v := p
		if !strings.HasPrefix(v, "/") {
			v = filepath.ToSlash(s.Workspace) + "/" + v
		}
		if real, _, ok := tree.Resolve(v); !ok || !tree.Within(real) {
			t.Errorf("read %s resolves to %s %v", p, real, ok)
		}
	}
}

// TestPlant: planted around a directory of the user's (with files named
// as New names its own), the tree touches nothing that was there, the
// attacks still reach their canaries, and Close leaves the directory and
// its parent exactly as they were.
func TestPlant(t *testing.T) {
	parent := t.TempDir()
	ws := filepath.Join(parent, "project")
	for _, d := range []string{ws, filepath.Join(ws, "sub")} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(ws, "notes.txt"), []byte("the user's"), 0o644); err != nil {
		t.Fatal(err)
	}
	list := func() []string {
		var out []string
		filepath.WalkDir(parent, func(p string, d os.DirEntry, err error) error {
			out = append(out, p)
			return nil
		})
		return out
	}
	before := list()
	s, err := Plant(ws, 11)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(ws, "notes.txt")); string(b) != "the user's" {
		t.Errorf("the user's file changed: %q", b)
	}
	tree := s.Tree()
	for _, c := range s.Canaries {
		if tree.Within(filepath.ToSlash(c.Path)) || filepath.Dir(filepath.Dir(c.Path)) != filepath.Dir(ws) && filepath.Dir(c.Path) != filepath.Dir(ws) {
			t.Errorf("canary %s not beside the workspace", c.Path)
		}
	}
	if err := s.Materialize(); err != nil {
		t.Fatal(err)
	}
	for _, a := range s.Attacks() {
		if a.Family != "absolute" && a.Family != "symlink" || strings.HasSuffix(a.Value, "/") {
			continue
		}
		v := a.Value
		if !strings.HasPrefix(v, "/") {
			v = filepath.ToSlash(ws) + "/" + v
		}
		if real, _, ok := tree.Resolve(v); !ok || real != a.Aim {
			t.Errorf("%s %q resolves to %s %v, not %s", a.Family, a.Value, real, ok, a.Aim)
		}
	}
	for p := range s.Reads() {
		if strings.HasSuffix(p, "notes.txt") && !strings.Contains(p, "mcpverify-") {
			t.Errorf("a read of the user's file: %s", p)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if after := list(); strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("after Close:\n%s\nbefore:\n%s", strings.Join(after, "\n"), strings.Join(before, "\n"))
	}
	if _, err := Plant(filepath.Join(parent, "missing"), 1); err == nil {
		t.Error("Plant around a missing directory: no error")
	}
}

// TestAttacksStayInside: whatever a server makes of an attempt (the value
// as written, percent-decoded once or twice, backslashes as separators,
// cut at NUL, a file: URI's path), cleaned, it names a path inside the
// sandbox's root: the checker aims at nothing outside its temporary tree.
func TestAttacksStayInside(t *testing.T) {
	s, err := New(t.TempDir(), 4)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Materialize(); err != nil {
		t.Fatal(err)
	}
	root := filepath.ToSlash(s.Root)
	ws := filepath.ToSlash(s.Workspace)
	readings := func(v string) []string {
		out := []string{v, strings.ReplaceAll(v, `\`, "/")}
		if i := strings.IndexByte(v, 0); i >= 0 {
			out = append(out, v[:i]) // a C string ends there
		}
		for _, x := range append([]string(nil), out...) {
			if d, err := url.PathUnescape(x); err == nil {
				out = append(out, d)
				if d2, err := url.PathUnescape(d); err == nil {
					out = append(out, d2)
				}
			}
		}
		for _, x := range append([]string(nil), out...) {
			if u, err := url.Parse(x); err == nil && u.Scheme == "file" {
				out = append(out, u.Path)
			}
		}
		return out
	}
	for _, a := range append(s.Attacks(), s.ResourceAttacks()...) {
		for _, v := range readings(a.Value) {
			if strings.HasPrefix(v, "file:") {
				continue // read through its path above
			}
			p := v
			if !strings.HasPrefix(p, "/") {
				p = ws + "/" + p
			}
			p = path.Clean(p)
			if p != root && !strings.HasPrefix(p, root+"/") {
				t.Errorf("%s %q read as %q names %s, outside the sandbox %s", a.Family, a.Value, v, p, root)
			}
		}
	}
}
