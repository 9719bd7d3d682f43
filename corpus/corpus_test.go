package corpus

import (
	"strings"
	"testing"
)

func TestEmbedded(t *testing.T) {
	if len(Seeds()) == 0 {
		t.Fatal("no seed traces embedded")
	}
	for _, f := range append(append(Seeds(), Attacks()...), FixedBugs()...) {
		if !strings.HasSuffix(f.Name, ".txtar") || len(f.Data) == 0 {
			t.Errorf("%s: empty or not a txtar file", f.Name)
		}
	}
}
