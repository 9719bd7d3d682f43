package model_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

// loadTrace parses a txtar trace or fails the test.
func loadTrace(t *testing.T, path string) *trace.Trace {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := trace.Parse(data)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return tr
}

func configOf(tr *trace.Trace) model.Config {
	var cfg model.Config
	if o := tr.Get("allowed-origins"); o != "" {
		cfg.AllowedOrigins = strings.Fields(o)
	}
	stateConfig(tr, &cfg) // state_test.go
	if s := tr.Get("sandbox"); s != "" {
		t, err := model.ParseFileTree(s)
		if err != nil {
			panic(err)
		}
		cfg.Files = t
	}
	return cfg
}

// TestOKTraces: every trace under testdata/ok gives no violation.
func TestOKTraces(t *testing.T) {
	files, _ := filepath.Glob("testdata/ok/*.txtar")
	if len(files) == 0 {
		t.Fatal("no traces in testdata/ok")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			tr := loadTrace(t, f)
			for _, v := range model.Check(configOf(tr), tr.Exchanges) {
				t.Errorf("exchange %d: %v", v.Exchange+1, v.Violation)
			}
		})
	}
}

// TestBadTraces: every trace under testdata/bad gives exactly the
// requirement IDs its "want" field names (each at least once, no other).
func TestBadTraces(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.txtar")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			tr := loadTrace(t, f)
			want := strings.Fields(tr.Get("want"))
			if len(want) == 0 {
				t.Fatal("a bad trace needs a want field")
			}
			for _, id := range want {
				if _, ok := spec.Lookup(spec.ID(id)); !ok {
					t.Fatalf("want names %s, which is not in the catalog", id)
				}
			}
			got := map[string]bool{}
			vs := model.Check(configOf(tr), tr.Exchanges)
			for _, v := range vs {
				got[string(v.ID)] = true
			}
			var gotIDs []string
			for id := range got {
				gotIDs = append(gotIDs, id)
			}
			sort.Strings(gotIDs)
			sort.Strings(want)
			if !slices.Equal(gotIDs, want) {
				t.Errorf("violations %v; want exactly %v", gotIDs, want)
				for _, v := range vs {
					t.Logf("exchange %d: %v", v.Exchange+1, v.Violation)
				}
			}
		})
	}
}

// TestMain runs every test of the model with the rule table enforced: a
// rule that judges or reports a requirement its row does not list panics.
func TestMain(m *testing.M) {
	model.SetStrictRuleIDs(true)
	os.Exit(m.Run())
}

// TestBadTracesCoverRules: the rule table lists every requirement the
// model's code names, and each is the expected outcome of at least one
// bad trace (there are at least 40).
func TestBadTracesCoverRules(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.txtar")
	if len(files) < 40 {
		t.Errorf("%d bad traces; want at least 40", len(files))
	}
	covered := map[string]bool{}
	for _, f := range files {
		for _, id := range strings.Fields(loadTrace(t, f).Get("want")) {
			covered[id] = true
		}
	}
	table := map[spec.ID]bool{}
	for _, id := range model.RuleIDs() {
		table[id] = true
		if !covered[string(id)] {
			t.Errorf("the rule table lists %s, but no bad trace expects it", id)
		}
	}
	byConst := map[string]spec.ID{}
	for _, r := range spec.All() {
		byConst[spec.ConstName(r.ID)] = r.ID
	}
	srcs, _ := filepath.Glob("*.go")
	ref := regexp.MustCompile(`spec\.([A-Z][A-Za-z0-9]+)`)
	for _, src := range srcs {
		if strings.HasSuffix(src, "_test.go") {
			continue
		}
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ref.FindAllStringSubmatch(string(data), -1) {
			if id, ok := byConst[m[1]]; ok && !table[id] {
				t.Errorf("%s names %s, which no row of the rule table (rules.go) lists", src, id)
				table[id] = true // report once
			}
		}
	}
}
