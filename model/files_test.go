package model_test

import (
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/mcpverify/mcpverify/model"
)

func sampleTree() *model.FileTree {
	return &model.FileTree{Allowed: []string{"/sb/ws"}, Nodes: map[string]model.FileNode{
		"/sb": {Dir: true}, "/sb/ws": {Dir: true}, "/sb/ws/a.txt": {Content: "a"},
		"/sb/ws/sub": {Dir: true}, "/sb/ws/sub/b.txt": {Content: "b"},
		"/sb/ws/in": {Link: "sub/b.txt"}, "/sb/ws/out": {Link: "../canary"}, "/sb/ws/abs": {Link: "/sb/canary"},
		"/sb/ws/chain": {Link: "out"}, "/sb/ws/dirout": {Link: "/sb/other"}, "/sb/ws/dangling": {Link: "nowhere"},
		"/sb/ws/loop": {Link: "loop"},
		"/sb/canary":  {Content: "CANARY"}, "/sb/other": {Dir: true}, "/sb/other/c": {Content: "C"},
		"/sb/ws-evil": {Dir: true},
	}}
}

func TestFileTreeResolve(t *testing.T) {
	tr := sampleTree()
	for _, tc := range []struct {
		p, real string
		via, ok bool
	}{
		{"/sb/ws/a.txt", "/sb/ws/a.txt", false, true},
		{"/sb/ws/sub/../a.txt", "/sb/ws/a.txt", false, true},
		{"/sb/ws/in", "/sb/ws/sub/b.txt", true, true},
		{"/sb/ws/out", "/sb/canary", true, true},
		{"/sb/ws/abs", "/sb/canary", true, true},
		{"/sb/ws/chain", "/sb/canary", true, true},
		{"/sb/ws/dirout/c", "/sb/other/c", true, true},
		{"/sb/ws/dangling", "/sb/ws/nowhere", true, false},
		{"/sb/ws/missing/x", "/sb/ws/missing", false, false},
		{"/sb/ws/a.txt/.", "/sb/ws/a.txt", false, false},
		{"/sb/ws/loop", "/sb/ws/loop", true, false},
	} {
		real, via, ok := tr.Resolve(tc.p)
		if real != tc.real || via != tc.via || ok != tc.ok {
			t.Errorf("Resolve(%s) = %s %v %v, want %s %v %v", tc.p, real, via, ok, tc.real, tc.via, tc.ok)
		}
	}
	for p, want := range map[string]bool{"/sb/ws": true, "/sb/ws/a.txt": true, "/sb/ws-evil": false, "/sb": false, "/sb/ws-evil/x": false} {
		if tr.Within(p) != want {
			t.Errorf("Within(%s) = %v", p, !want)
		}
	}
	if _, err := model.ParseFileTree(tr.String()); err != nil {
		t.Errorf("the tree's JSON does not parse: %v", err)
	}
	for _, bad := range []string{`{"allowed":["ws"]}`, `{"allowed":["/a/"]}`, `{"nodes":{"a/b":{"dir":true}}}`, `{`} {
		if _, err := model.ParseFileTree(bad); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
}

// TestFileTreeAgainstDisk: the model's resolution of a path agrees with
// the operating system's (filepath.EvalSymlinks) on the same tree made
// on disk: random directories, files and symbolic links (relative and
// absolute, inside and across directories, dangling, chained), random
// paths with "." and "..".
func TestFileTreeAgainstDisk(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		dir := t.TempDir()
		// The model's tree lies under /top, which is dir on disk: a
		// resolution that climbs above /top (POSIX clamps ".." only at the
		// real root) leaves the test's tree on disk and is not compared.
		const top = "/top"
		// Not cleaned: ".." after a link is physical, as in the model.
		disk := func(p string) string { return dir + filepath.FromSlash(strings.TrimPrefix(p, top)) }
		names := []string{"a", "b", "c", "d"}
		tr := &model.FileTree{Allowed: []string{top + "/a"}, Nodes: map[string]model.FileNode{top: {Dir: true}}}
		dirs := []string{top}
		n := rapid.IntRange(1, 12).Draw(rt, "nodes")
		for i := 0; i < n; i++ {
			parent := rapid.SampledFrom(dirs).Draw(rt, "parent")
			p := path.Join(parent, rapid.SampledFrom(names).Draw(rt, "name"))
			if _, taken := tr.Nodes[p]; taken {
				continue
			}
			switch rapid.IntRange(0, 2).Draw(rt, "kind") {
			case 0:
				if err := os.Mkdir(disk(p), 0o755); err != nil {
					rt.Fatal(err)
				}
				tr.Nodes[p] = model.FileNode{Dir: true}
				dirs = append(dirs, p)
			case 1:
				if err := os.WriteFile(disk(p), []byte(p), 0o644); err != nil {
					rt.Fatal(err)
				}
				tr.Nodes[p] = model.FileNode{Content: p}
			default:
				target := rapid.SampledFrom([]string{"a", "../a", "b/c", "../../b", "/a/b", "/c", ".", ".."}).Draw(rt, "target")
				onDisk := target
				if path.IsAbs(target) {
					target = top + target
					onDisk = disk(target)
				}
				if err := os.Symlink(onDisk, disk(p)); err != nil {
					rt.Fatal(err)
				}
				tr.Nodes[p] = model.FileNode{Link: target}
			}
		}
		parts := rapid.SliceOfN(rapid.SampledFrom(append(names, ".", "..")), 1, 5).Draw(rt, "path")
		p := top + "/" + strings.Join(parts, "/")
		real, _, ok := tr.Resolve(p)
		if real != top && !strings.HasPrefix(real, top+"/") {
			return // climbed above the test's tree
		}
		got, err := filepath.EvalSymlinks(disk(p))
		if (err == nil) != ok {
			rt.Fatalf("%s: model exists=%v (%s), disk %v (tree %s)", p, ok, real, err, tr)
		}
		dirReal, _ := filepath.EvalSymlinks(dir)
		if ok && got != filepath.Join(dirReal, filepath.FromSlash(strings.TrimPrefix(real, top))) {
			rt.Fatalf("%s: model %s, disk %s (tree %s)", p, real, got, tr)
		}
	})
}
