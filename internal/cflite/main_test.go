package main

import (
	"archive/zip"
	"bytes"
	"context"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/corpus"
	"github.com/mcpverify/mcpverify/internal/fuzzseed"
	"github.com/mcpverify/mcpverify/trace"
)

const (
	module = "github.com/mcpverify/mcpverify"
	root   = "../.." // the module's root, from this package
)

var script = filepath.Join(root, ".clusterfuzzlite", "build.sh")

// fuzzTarget is a native fuzz target: its package's import path and name.
type fuzzTarget struct{ Pkg, Func string }

// listTargets returns every fuzz target of the module, as
// go test -list '^Fuzz' ./... finds them.
func listTargets(t *testing.T) []fuzzTarget {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "test", "-list", "^Fuzz", "./...")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -list: %v\n%s", err, tail(out, 8<<10))
	}
	// Each package's names come before its "ok <package>" line.
	var ts []fuzzTarget
	var names []string
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && strings.HasPrefix(f[0], "Fuzz"):
			names = append(names, f[0])
		case len(f) >= 2 && f[0] == "ok":
			for _, n := range names {
				ts = append(ts, fuzzTarget{f[1], n})
			}
			names = nil
		}
	}
	if len(names) != 0 || len(ts) == 0 {
		t.Fatalf("go test -list: cannot read %d targets %v from:\n%s", len(ts), names, tail(out, 8<<10))
	}
	return ts
}

// fuzzerName is the fuzzer name build.sh gives a target: the package path
// below the module with "/" as "_", "_", the target.
func fuzzerName(pkg, fn string) string {
	rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
	if rel == "" {
		rel = "mcpverify"
	}
	return strings.ReplaceAll(rel, "/", "_") + "_" + fn
}

// pkgDir is the directory of a package of the module.
func pkgDir(pkg string) string {
	return filepath.Join(root, filepath.FromSlash(strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")))
}

func mustScript(t *testing.T) []target {
	t.Helper()
	ts, err := readScript(script)
	if err != nil {
		t.Fatal(err)
	}
	return ts
}

// TestBuildScriptListsEveryTarget: build.sh compiles exactly the fuzz
// targets that go test finds, each once, under its fuzzer name, and each
// can be found as compile_native_go_fuzzer_v2 finds it.
func TestBuildScriptListsEveryTarget(t *testing.T) {
	ts := mustScript(t)
	inScript := map[fuzzTarget]target{}
	for _, s := range ts {
		inScript[fuzzTarget{s.Pkg, s.Func}] = s
		if want := fuzzerName(s.Pkg, s.Func); s.Fuzzer != want {
			t.Errorf("build.sh line %d: fuzzer name %s, want %s", s.Line, s.Fuzzer, want)
		}
	}
	listed := map[fuzzTarget]bool{}
	for _, l := range listTargets(t) {
		listed[l] = true
		if _, ok := inScript[l]; !ok {
			t.Errorf("fuzz target %s.%s is not built by ClusterFuzzLite: add this line to .clusterfuzzlite/build.sh:\n%s %s %s %s",
				l.Pkg, l.Func, compileCmd, l.Pkg, l.Func, fuzzerName(l.Pkg, l.Func))
			continue
		}
		// compile_native_go_fuzzer_v2 finds the target with
		// grep -r -l --include='*.go' "func <target>(.*testing\.F" <package dir>
		// and stops unless that names exactly one file.
		if files := definingFiles(t, pkgDir(l.Pkg), l.Func); len(files) != 1 {
			t.Errorf("%s.%s: %d files under the package's directory define it with a *testing.F (%v): compile_native_go_fuzzer_v2 needs one", l.Pkg, l.Func, len(files), files)
		}
	}
	for k, s := range inScript {
		if !listed[k] {
			t.Errorf("build.sh line %d: %s.%s is no fuzz target that go test -list finds: remove the line", s.Line, s.Pkg, s.Func)
		}
	}
}

// definingFiles are the .go files under dir, at any depth, with a line
// matching "func <fn>(.*testing\.F", as compile_native_go_fuzzer_v2
// searches them.
func definingFiles(t *testing.T, dir, fn string) []string {
	t.Helper()
	re := regexp.MustCompile(`func ` + regexp.QuoteMeta(fn) + `\(.*testing\.F`)
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") {
			return err
		}
		b, err := readBounded(p)
		if err == nil && re.Match(b) {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// kind says what a fuzz target's fuzz function takes.
type kind int

const (
	otherArgs kind = iota // anything but one []byte
	oneBytes              // func(*testing.T, []byte)
	rapidFuzz             // rapid.MakeFuzz(...): rapid's choice stream
)

// targetKind reads what the f.Fuzz call of target fn, in the test files
// of dir, is given.
func targetKind(t *testing.T, dir, fn string) kind {
	t.Helper()
	fset := token.NewFileSet()
	files, err := filepath.Glob(filepath.Join(dir, "*_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	for _, file := range files {
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Recv != nil || fd.Name.Name != fn || fd.Body == nil {
				continue
			}
			k, found := otherArgs, false
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok || found || callee(call) != "Fuzz" || len(call.Args) != 1 {
					return !found
				}
				found = true
				switch a := call.Args[0].(type) {
				case *ast.FuncLit:
					if params := flatParams(a.Type.Params); len(params) == 2 && exprString(fset, params[1]) == "[]byte" {
						k = oneBytes
					}
				case *ast.CallExpr:
					if callee(a) == "MakeFuzz" {
						k = rapidFuzz
					}
				}
				return false
			})
			if !found {
				t.Fatalf("%s: no f.Fuzz call", fn)
			}
			return k
		}
	}
	t.Fatalf("%s: not defined in %s", fn, dir)
	return otherArgs
}

// callee is the selector name of a call's function ("Fuzz" for
// f.Fuzz(...)), or "".
func callee(call *ast.CallExpr) string {
	if sel, ok := call.Fun.(*ast.SelectorExpr); ok {
		return sel.Sel.Name
	}
	return ""
}

// flatParams lists the type of each parameter, once per name.
func flatParams(fl *ast.FieldList) []ast.Expr {
	var out []ast.Expr
	for _, f := range fl.List {
		for range max(len(f.Names), 1) {
			out = append(out, f.Type)
		}
	}
	return out
}

// exprString is the source text of an expression.
func exprString(fset *token.FileSet, e ast.Expr) string {
	var b strings.Builder
	if err := printer.Fprint(&b, fset, e); err != nil {
		return ""
	}
	return b.String()
}

// TestSeedZips runs what build.sh runs for the seed corpora: every target
// of one []byte gets a zip of its f.Add seeds, in the input format of its
// fuzzer; the targets of other arguments and rapid's get none; the
// message-decoding and trace targets' seeds include the corpus's.
func TestSeedZips(t *testing.T) {
	ts := mustScript(t)
	out := t.TempDir()
	var log bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx, []string{"-script", script, "-out", out}, &log); err != nil {
		t.Fatal(err)
	}
	seeds := map[string]map[string]bool{} // target -> seed data
	for _, s := range ts {
		k := targetKind(t, pkgDir(s.Pkg), s.Func)
		zipPath := filepath.Join(out, s.Fuzzer+"_seed_corpus.zip")
		_, err := os.Stat(zipPath)
		switch {
		case k != oneBytes && err == nil:
			t.Errorf("%s: a seed corpus zip, but its fuzz function does not take one []byte (its seeds would be read as another encoding)", s.Func)
		case k == oneBytes && err != nil:
			t.Errorf("%s takes one []byte but has no seed corpus zip (%v): add its seeds with fuzzseed.Add(f, data)", s.Func, err)
		case k == oneBytes:
			seeds[s.Func] = readZip(t, zipPath)
			if len(seeds[s.Func]) == 0 {
				t.Errorf("%s: an empty seed corpus zip", s.Func)
			}
			if !strings.Contains(log.String(), s.Fuzzer+"_seed_corpus.zip: ") {
				t.Errorf("%s: not reported in %q", s.Fuzzer, log.String())
			}
		}
	}
	// The corpus's traces seed the trace target, their messages the
	// message-decoding target.
	for _, c := range [][]corpus.File{corpus.Seeds(), corpus.Attacks(), corpus.FixedBugs()} {
		if len(c) == 0 {
			t.Fatal("an empty corpus directory")
		}
		if !seeds["FuzzTraceRoundTrip"][string(c[0].Data)] {
			t.Errorf("FuzzTraceRoundTrip: corpus file %s is not among its seeds", c[0].Name)
		}
	}
	tr, err := trace.Parse(corpus.Seeds()[0].Data)
	if err != nil || len(tr.Exchanges) == 0 {
		t.Fatalf("corpus %s: %v", corpus.Seeds()[0].Name, err)
	}
	if body := tr.Exchanges[0].Body; !seeds["FuzzDecodeMessage"][string(body)] {
		t.Errorf("FuzzDecodeMessage: the first message of corpus %s (%.60q) is not among its seeds", corpus.Seeds()[0].Name, body)
	}
}

// readZip returns the data of each libFuzzer input of a seed corpus zip.
func readZip(t *testing.T, path string) map[string]bool {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	out := map[string]bool{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		in, err := io.ReadAll(io.LimitReader(rc, maxSeedFile+1))
		rc.Close()
		if err != nil {
			t.Fatalf("%s: %s: %v", path, f.Name, err)
		}
		d, ok := fuzzseed.Data(in)
		if !ok {
			t.Fatalf("%s: %s: %q is no input of a []byte target", path, f.Name, in)
		}
		out[string(d)] = true
	}
	return out
}
