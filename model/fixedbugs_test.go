package model_test

import (
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/mcpverify/mcpverify/corpus"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/trace"
)

// TestFixedBugs: every trace of corpus/fixedbugs (exchanges the model once
// misjudged) gets exactly the verdict its want field names ("none": no
// violation).
func TestFixedBugs(t *testing.T) {
	files := corpus.FixedBugs()
	if len(files) == 0 {
		t.Fatal("no fixed-bug traces")
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			tr, err := trace.Parse(f.Data)
			if err != nil {
				t.Fatal(err)
			}
			want := strings.Fields(tr.Get("want"))
			if len(want) == 1 && want[0] == "none" {
				want = nil
			}
			var got []string
			for _, v := range model.Check(configOf(tr), tr.Exchanges) {
				if !slices.Contains(got, string(v.ID)) {
					got = append(got, string(v.ID))
				}
				t.Logf("exchange %d: %v", v.Exchange+1, v.Violation)
			}
			sort.Strings(got)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("violations %v; want %v (%s)", got, want, tr.Get("note"))
			}
		})
	}
}
