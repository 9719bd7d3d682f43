package mcpverify_test

import (
	"go/build"
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/mcpverify/mcpverify"

// allowed lists, for each package of the module, the packages of the module
// it may import (DESIGN.md, "Import rules"), and whether it may import the
// property-testing libraries outside its tests.
var allowed = map[string][]string{
	"spec":   {},
	"wire":   {},
	"trace":  {"wire"},
	"model":  {"spec", "wire"},
	"impl":   {"wire"},
	"corpus": {},
	"check":  {"spec", "wire", "trace", "model", "corpus"},
	// The broken servers of the checker's self-test wrap the reference server.
	"check/internal/faulty": {"spec", "wire", "impl"},
	"internal/cli":          {"spec", "wire", "trace", "model", "corpus", "check", "impl"},
	"cmd/mcpverify":         {"internal/cli"},
	"fuzz":                  {"spec", "wire", "trace", "model", "corpus", "impl", "check"},
}

// thirdParty lists the non-module imports each layer may use in non-test
// code (prefix match); the standard library is always allowed.
var thirdParty = map[string][]string{
	"spec":  {"github.com/santhosh-tekuri/jsonschema/v6"},
	"wire":  {"github.com/go-json-experiment/json"},
	"trace": {"golang.org/x/tools/txtar"},
	"model": {"github.com/santhosh-tekuri/jsonschema/v6"},
	"impl":  {"golang.org/x/crypto", "github.com/go-json-experiment/json", "github.com/santhosh-tekuri/jsonschema/v6"},
}

func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", "{{.ImportPath}}|{{join .Imports \",\"}}", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, imps, _ := strings.Cut(line, "|")
		rel := strings.TrimPrefix(strings.TrimPrefix(pkg, module), "/")
		top := layerOf(rel)
		if top == "" {
			continue
		}
		for _, imp := range strings.Split(imps, ",") {
			if imp == "" || isStd(imp) {
				continue
			}
			if strings.HasPrefix(imp, module+"/") {
				dep := layerOf(strings.TrimPrefix(imp, module+"/"))
				if dep == top {
					continue
				}
				if !contains(allowed[top], dep) {
					t.Errorf("%s imports %s: %s may import only %v", pkg, imp, top, allowed[top])
				}
				continue
			}
			if top == "check" || top == "internal/cli" || top == "cmd/mcpverify" || top == "fuzz" {
				continue
			}
			ok := false
			for _, p := range thirdParty[top] {
				ok = ok || strings.HasPrefix(imp, p)
			}
			if !ok {
				t.Errorf("%s imports %s: %s may import only the standard library and %v", pkg, imp, top, thirdParty[top])
			}
		}
	}
}

// layerOf maps a package path relative to the module to its layer: the
// longest key of allowed that is a prefix of it. Helper packages under a
// layer's internal/ belong to that layer.
func layerOf(rel string) string {
	best := ""
	for k := range allowed {
		if (rel == k || strings.HasPrefix(rel, k+"/")) && len(k) > len(best) {
			best = k
		}
	}
	if best == "" && strings.HasPrefix(rel, "internal/") {
		return "internal/cli"
	}
	return best
}

func isStd(path string) bool {
	p, err := build.Default.Import(path, "", build.FindOnly)
	return err == nil && p.Goroot
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}
