package model_test

import (
	"path/filepath"
	"testing"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// TestMinimal: for every violation of every bad trace, Minimal returns a
// subsequence of the exchanges up to the violating one, ending with it,
// with which the model still finds the violation; and it drops what is not
// needed (no bad trace needs all of its discovery exchanges for all of
// its violations).
func TestMinimal(t *testing.T) {
	files, _ := filepath.Glob("testdata/bad/*.txtar")
	shrunk := 0
	for _, f := range files {
		tr := loadTrace(t, f)
		cfg := configOf(tr)
		for _, iv := range model.Check(cfg, tr.Exchanges) {
			exs := tr.Exchanges[:iv.Exchange+1]
			min := model.Minimal(cfg, exs, iv.ID)
			if len(min) == 0 || min[len(min)-1] != exs[len(exs)-1] {
				t.Errorf("%s %s: the violating exchange is not last", f, iv.ID)
				continue
			}
			if !isSubsequence(min, exs) {
				t.Errorf("%s %s: not a subsequence", f, iv.ID)
			}
			found := false
			for _, v := range model.Check(cfg, min) {
				found = found || (v.ID == iv.ID && v.Exchange == len(min)-1)
			}
			if !found {
				t.Errorf("%s %s: the minimal %d of %d exchanges no longer show it", f, iv.ID, len(min), len(exs))
			}
			if len(min) < len(exs) {
				shrunk++
			}
		}
	}
	if shrunk == 0 {
		t.Error("Minimal never dropped an exchange")
	}
}

func isSubsequence(sub, all []*wire.Exchange) bool {
	i := 0
	for _, x := range all {
		if i < len(sub) && sub[i] == x {
			i++
		}
	}
	return i == len(sub)
}
