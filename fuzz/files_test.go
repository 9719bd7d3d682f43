package fuzz

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/model"
)

// fileNames are the names a fuzzed tree is made of.
var fileNames = []string{"a", "b", "ws", "ws-evil", "..", "."}

// buildTree makes a tree on disk under root from ops, three bytes an
// operation: what (directory, file, symbolic link), where (inside the
// workspace root/ws or outside, in root or root/ws-evil), a name, and for
// a link its target (relative, absolute, through ..). Files outside hold
// a canary content; the model is given the same tree.
func buildTree(tb testing.TB, root string, ops []byte) *model.FileTree {
	ws := filepath.Join(root, "ws")
	tree := &model.FileTree{Allowed: []string{filepath.ToSlash(ws)}, Nodes: map[string]model.FileNode{}}
	for d := root; ; d = filepath.Dir(d) {
		tree.Nodes[filepath.ToSlash(d)] = model.FileNode{Dir: true}
		if filepath.Dir(d) == d {
			break
		}
	}
	if err := os.Mkdir(ws, 0o755); err != nil {
		tb.Fatal(err)
	}
	tree.Nodes[filepath.ToSlash(ws)] = model.FileNode{Dir: true}
	dirs := []string{ws, root}
	targets := []string{"a", "../a", "../../a", "b/a", "../ws-evil/a", "/", ".", ".."}
	for i := 0; i+2 < len(ops) && i < 3*24; i += 3 {
		parent := dirs[int(ops[i+1])%len(dirs)]
		name := fileNames[int(ops[i+2])%4] // no "." or ".." as a name
		p := filepath.Join(parent, name)
		if _, taken := tree.Nodes[filepath.ToSlash(p)]; taken {
			continue
		}
		switch ops[i] % 3 {
		case 0:
			if os.Mkdir(p, 0o755) != nil {
				continue
			}
			tree.Nodes[filepath.ToSlash(p)] = model.FileNode{Dir: true}
			dirs = append(dirs, p)
		case 1:
			content := "inside-" + name
			if !tree.Within(filepath.ToSlash(p)) {
				content = "CANARY-" + strings.ReplaceAll(filepath.ToSlash(strings.TrimPrefix(p, root)), "/", "_") + "-zq"
			}
			if os.WriteFile(p, []byte(content), 0o644) != nil {
				continue
			}
			tree.Nodes[filepath.ToSlash(p)] = model.FileNode{Content: content}
		default:
			target := targets[int(ops[i+2]>>4)%len(targets)]
			if target == "/" {
				target = filepath.Join(root, "a") // absolute, outside
			}
			if os.Symlink(target, p) != nil {
				continue
			}
			tree.Nodes[filepath.ToSlash(p)] = model.FileNode{Link: filepath.ToSlash(target)}
		}
	}
	return tree
}

// FuzzFilesConfined: the reference server, told to use root/ws, on a tree
// the fuzzer builds (directories, files and links, inside and out), never
// answers a read_file or list_directory of any path with the content of a
// file outside (the model's leak rule judges the answer).
func FuzzFilesConfined(f *testing.F) {
	f.Add([]byte{1, 1, 0, 2, 0, 1}, "a")                     // a canary outside, a link to it
	f.Add([]byte{1, 1, 0, 2, 0, 0x11}, "../a")               // .. past the workspace
	f.Add([]byte{0, 0, 1, 2, 0, 0x61, 1, 1, 0}, "b/../../a") // a link to /
	f.Add([]byte{0, 1, 3, 1, 2, 0}, "../ws-evil/a")          // the prefix sibling
	f.Add([]byte{2, 0, 0x71, 1, 1, 0}, "a/a")                // a link to .. then a file
	f.Fuzz(func(t *testing.T, ops []byte, path string) {
		root := t.TempDir()
		tree := buildTree(t, root, ops)
		srv, err := impl.New(impl.Config{AllowedDirs: []string{filepath.Join(root, "ws")}})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		p := inProcess{h: srv.Handler()}
		for _, arg := range []string{path, filepath.Join(root, "ws", path)} {
			for _, tool := range []string{"read_file", "list_directory"} {
				body, _ := p.call(t, tool, map[string]any{"arguments": map[string]any{"path": arg}})
				sent := `{"path":` + arg + `}`
				if id, got, leaked := tree.Leak("tools/call", nil, sent, string(body)); leaked && !strings.Contains(got, "the name of") {
					t.Fatalf("%s %q: %s: %s\nanswer: %s", tool, arg, id, got, body)
				}
			}
		}
	})
}
