package mcpverify_test

import (
	"encoding/json"
	"go/build"
	"os/exec"
	"path"
	"strings"
	"testing"
)

const module = "github.com/mcpverify/mcpverify"

// rule says what the packages matching pkg may import from the module
// (mod) and from outside it (third, by prefix; the standard library is
// always allowed), in their own code; their tests may import testMod and
// testThird besides. A pattern ending in "/*" matches the packages one
// level below it. The first matching rule applies.
type rule struct {
	pkg       string
	mod       []string
	third     []string
	testMod   []string
	testThird []string
}

var (
	jsonLib   = "github.com/go-json-experiment/json"
	schemaLib = "github.com/santhosh-tekuri/jsonschema/v6"
	txtarLib  = "golang.org/x/tools/txtar"
	rapidLib  = "pgregory.net/rapid"
	gopterLib = "github.com/leanovate/gopter"
	cmpLib    = "github.com/google/go-cmp"
	testing3  = []string{rapidLib, gopterLib, cmpLib}

	// The reference server verifies JWT access tokens in issuer mode.
	jwtLib = "github.com/go-jose/go-jose/v4"

	// The reference server caps its listener's connections.
	netutilLib = "golang.org/x/net/netutil"
	// httpgutsLib: which header names and values an HTTP client can send
	// (the fuzz target of the server's HTTP handler).
	httpgutsLib = "golang.org/x/net/http/httpguts"
	// The apps area reads a UI resource's HTML with x/net/html's
	// tokenizer.
	htmlLib = "golang.org/x/net/html"

	// The command line splits --command into words as a shell does, draws
	// its progress line only on a terminal, and is tested with scripts.
	shellwordsLib = "github.com/mattn/go-shellwords"
	termLib       = "golang.org/x/term"
	testscriptLib = "github.com/rogpeppe/go-internal/testscript"

	// The reference server keeps what its instances share in Redis; the
	// tests of that store start a real redis-server (internal/redistest).
	redisLib = "github.com/redis/go-redis/v9"

	// The SARIF report is written with go-sarif; the GitHub Action's
	// action.yml is read by a test of the command line.
	sarifLib = "github.com/owenrumney/go-sarif/v3"
	yamlLib  = "go.yaml.in/yaml/v3"

	// The mock authorization server signs tokens and publishes its keys
	// as a JWKS.
	joseLib = "github.com/go-jose/go-jose/v4"

	// What the tests of the checker may start: the reference server, its
	// broken variants, and targets to reach them.
	checkTests = []string{"impl", "check/internal/faulty", "check/target"}

	// areaMay is what a check area may import: the core and the layer of
	// shared packages between the core and the areas; never another
	// area.
	areaMay = []string{"spec", "wire", "trace", "model", "check", "check/gen", "check/hints", "check/legacyclient", "check/probe", "check/staterun", "check/randomness"}
)

// rules is the import lattice of DESIGN.md, "Layout" and "Import rules".
// model and impl never import each other: they are independent statements
// of the same spec. The checker's core imports no area; the shared layer
// (probe skeleton, state run) sits above the core and below the areas; the
// 2025-11-25 client and the generators sit below the core, which uses
// them for discovery and requests; transports and report writers import
// the core and no area; one package (check/areas/all) blank-imports the
// areas, for the CLI and the self-test.
var rules = []rule{
	{pkg: "spec", third: []string{schemaLib}},
	{pkg: "spec/internal/gen", mod: []string{"spec"}},
	{pkg: "wire", third: []string{jsonLib}, testMod: []string{"spec", "internal/fuzzseed"}, testThird: testing3},
	{pkg: "trace", mod: []string{"wire"}, third: []string{txtarLib}, testThird: testing3},
	{pkg: "model", mod: []string{"spec", "wire"}, third: []string{schemaLib}, testMod: []string{"trace", "corpus", "internal/props"}, testThird: testing3},
	{pkg: "impl", mod: []string{"wire"}, third: []string{"golang.org/x/crypto", jsonLib, schemaLib, redisLib, netutilLib, jwtLib}, testMod: []string{"internal/redistest", "internal/fuzzseed"}, testThird: testing3},
	{pkg: "corpus", testMod: []string{"trace", "wire"}},

	{pkg: "check/gen", testThird: testing3},
	{pkg: "check/legacyclient", mod: []string{"wire"}},
	{pkg: "check/sandbox", mod: []string{"check", "model"}},
	{pkg: "check/hints", mod: []string{"model"}, third: []string{jsonLib}, testThird: testing3},
	{pkg: "check", mod: []string{"spec", "wire", "trace", "model", "corpus", "check/gen", "check/legacyclient", "check/hints"}, third: []string{jsonLib}, testMod: checkTests, testThird: testing3},
	{pkg: "check/target", mod: []string{"check", "wire"}, third: []string{jsonLib}, testMod: checkTests, testThird: testing3},
	{pkg: "check/report", mod: []string{"check", "spec", "wire", "trace"}, third: []string{sarifLib}, testMod: append([]string{"internal/sarifschema"}, checkTests...), testThird: testing3},
	{pkg: "check/probe", mod: []string{"check", "check/gen", "spec", "wire", "model"}, third: []string{schemaLib}, testMod: checkTests, testThird: testing3},
	{pkg: "check/staterun", mod: []string{"check", "check/gen", "check/probe", "spec", "wire", "model"}, third: []string{jsonLib}, testMod: checkTests, testThird: testing3},
	{pkg: "check/randomness", mod: []string{"check", "check/staterun", "spec", "wire"}, testMod: checkTests, testThird: testing3},
	// The mock authorization server imports no area (areas and the
	// command line may import it).
	{pkg: "check/authmock", mod: []string{"check", "wire"}, third: []string{joseLib, netutilLib}, testThird: testing3},
	{pkg: "check/areas/all", mod: []string{"check/areas/*"}},
	{pkg: "check/areas/*", mod: areaMay, third: []string{gopterLib, schemaLib, jsonLib, htmlLib}, testMod: append([]string{"internal/fuzzseed"}, checkTests...), testThird: testing3},
	// The broken servers in issuer mode trust an in-memory mock
	// authorization server and verify its tokens with one flaw each.
	{pkg: "check/internal/faulty", mod: []string{"spec", "wire", "impl", "check/authmock"}, third: []string{joseLib}},
	// faultyserve serves them as processes; killmatrix runs the checkers
	// against those (mcpverify as a binary: it imports no checker).
	{pkg: "check/internal/faulty/faultyserve", mod: []string{"check/internal/faulty", "impl", "wire"}, testMod: []string{"check/internal/faulty"}},
	{pkg: "check/internal/faulty/killmatrix", mod: []string{"check/internal/faulty"}, testMod: []string{"check/internal/faulty", "spec"}},
	// The self-test runs every area against every variant: tests only.
	{pkg: "check/selftest", testMod: []string{"check/...", "impl", "spec", "wire", "trace", "model", "corpus"}, testThird: testing3},

	{pkg: "internal/redistest"},
	// The seeds of the fuzz targets of one []byte, and the ClusterFuzzLite
	// build's seed corpus zips made from them (tests and that build only).
	{pkg: "internal/fuzzseed"},
	{pkg: "internal/cflite", mod: []string{"internal/fuzzseed"}, testMod: []string{"corpus", "trace"}},
	{pkg: "internal/sarifschema", third: []string{schemaLib}},
	{pkg: "internal/props", mod: []string{"spec", "wire", "model"}, third: []string{rapidLib}},
	{pkg: "internal/vsimpl", mod: []string{"check", "check/target", "impl", "model", "trace", "wire"}, third: []string{rapidLib}},
	{pkg: "internal/cli", mod: []string{"check", "check/authmock", "check/sandbox", "check/hints", "check/areas/all", "check/report", "check/target", "impl", "spec", "trace", "wire", "model", "corpus"}, third: []string{shellwordsLib, termLib}, testMod: []string{"check/internal/faulty", "internal/redistest", "internal/sarifschema"}, testThird: append([]string{testscriptLib, yamlLib}, testing3...)},
	{pkg: "cmd/mcpverify", mod: []string{"internal/cli"}},
	{pkg: "fuzz", testMod: []string{"spec", "wire", "trace", "model", "corpus", "impl", "check", "check/target", "check/legacyclient", "check/staterun", "check/authmock", "internal/props", "internal/vsimpl", "internal/fuzzseed"}, testThird: append([]string{httpgutsLib, joseLib}, testing3...)},
	{pkg: "", testMod: []string{"spec"}},
}

// matches reports whether package rel matches pattern p: exactly, "/*"
// one level below, "/..." anywhere below.
func matches(p, rel string) bool {
	switch {
	case strings.HasSuffix(p, "/..."):
		b := strings.TrimSuffix(p, "/...")
		return rel == b || strings.HasPrefix(rel, b+"/")
	case strings.HasSuffix(p, "/*"):
		return path.Dir(rel) == strings.TrimSuffix(p, "/*")
	}
	return p == rel
}

func ruleOf(rel string) (rule, bool) {
	for _, r := range rules {
		if matches(r.pkg, rel) {
			return r, true
		}
	}
	return rule{}, false
}

type listed struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	n := 0
	for dec.More() {
		var p listed
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		n++
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		r, ok := ruleOf(rel)
		if !ok {
			t.Errorf("package %s has no import rule: add one to deps_test.go", rel)
			continue
		}
		for _, imp := range p.Imports {
			checkImport(t, rel, imp, r.mod, r.third, "")
		}
		for _, imp := range append(p.TestImports, p.XTestImports...) {
			if imp == p.ImportPath {
				continue // an external test imports its package
			}
			checkImport(t, rel, imp, append(append([]string(nil), r.mod...), r.testMod...), append(append([]string(nil), r.third...), r.testThird...), " (test)")
		}
	}
	if n < 20 {
		t.Fatalf("go list found %d packages", n)
	}
}

func checkImport(t *testing.T, rel, imp string, mod, third []string, what string) {
	t.Helper()
	if strings.HasPrefix(imp, module+"/") {
		dep := strings.TrimPrefix(imp, module+"/")
		if dep == rel {
			return
		}
		// Areas never import one another, tests included.
		if matches("check/areas/*", rel) && matches("check/areas/*", dep) && rel != "check/areas/all" {
			t.Errorf("%s imports %s%s: check areas never import one another", rel, dep, what)
			return
		}
		for _, m := range mod {
			if matches(m, dep) {
				return
			}
		}
		t.Errorf("%s imports %s%s: it may import only %v of the module", rel, dep, what, mod)
		return
	}
	if isStd(imp) {
		return
	}
	for _, p := range third {
		if strings.HasPrefix(imp, p) {
			return
		}
	}
	t.Errorf("%s imports %s%s: it may import only the standard library and %v", rel, imp, what, third)
}

func isStd(path string) bool {
	p, err := build.Default.Import(path, "", build.FindOnly)
	return err == nil && p.Goroot
}
