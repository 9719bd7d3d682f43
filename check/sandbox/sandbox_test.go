package sandbox

import (
	"os"
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
	if len(s.Canaries) != 4 {
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
		case "later-out":
			if ok {
				t.Errorf("%s resolves before Materialize", l.Path)
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
	if err := s.Materialize(); err != nil {
		t.Fatal(err)
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
