package selftest_test

import (
	"sort"
	"testing"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
)

// TestCoverageLedger: every requirement of the catalog marked testable
// (yes or partly) is judged by a rule of the model, decided by a check, or
// listed in spec/ledger.json with the reason it is not yet; the ledger
// lists nothing that is covered. Every requirement a check decides is
// broken by some deliberately broken server of check/internal/faulty (so
// the check is shown to fail), or the ledger says why none can be.
func TestCoverageLedger(t *testing.T) {
	ledger, err := spec.Ledger()
	if err != nil {
		t.Fatal(err)
	}
	unchecked, novariant := map[spec.ID]string{}, map[spec.ID]string{}
	for _, e := range ledger {
		if e.Unchecked != "" {
			unchecked[e.ID] = e.Unchecked
		} else {
			novariant[e.ID] = e.NoVariant
		}
	}
	byModel := map[spec.ID]bool{}
	for _, id := range model.RuleIDs() {
		byModel[id] = true
	}
	byCheck := map[spec.ID]string{}
	for _, c := range check.Checks() {
		for _, id := range c.IDs {
			byCheck[id] = c.Name
		}
	}
	broken := map[spec.ID]string{}
	var variants []*faulty.Variant
	variants = append(variants, faulty.All()...)
	for _, v := range faulty.StateVariants() {
		variants = append(variants, &v.Variant)
	}
	variants = append(variants, faulty.ProcessVariants()...)
	for _, v := range variants {
		for _, id := range v.Breaks {
			broken[id] = v.Name
		}
	}

	var nTestable, nModel, nCheck, nLedger, nWithVariant int
	for _, r := range spec.All() {
		covered := byModel[r.ID] || byCheck[r.ID] != ""
		if _, ok := unchecked[r.ID]; ok && covered {
			t.Errorf("%s is in the ledger as unchecked, but %s decides it: drop the entry", r.ID, decider(r.ID, byModel, byCheck))
		}
		if r.Testable == spec.No {
			continue
		}
		nTestable++
		switch {
		case byCheck[r.ID] != "":
			nCheck++
		case byModel[r.ID]:
			nModel++
		case unchecked[r.ID] != "":
			nLedger++
		default:
			t.Errorf("%s (%s, testable %s) is judged by no model rule, decided by no check, and not in spec/ledger.json", r.ID, r.Level, r.Testable)
		}
	}
	var decided []spec.ID
	for id := range byCheck {
		decided = append(decided, id)
	}
	sort.Slice(decided, func(i, j int) bool { return decided[i] < decided[j] })
	for _, id := range decided {
		_, excused := novariant[id]
		switch {
		case broken[id] != "" && excused:
			t.Errorf("%s is in the ledger as having no variant, but %s breaks it: drop the entry", id, broken[id])
		case broken[id] != "":
			nWithVariant++
		case !excused:
			t.Errorf("%s is decided by check %s, but no faulty variant breaks it (add one to check/internal/faulty, or say why none can in spec/ledger.json)", id, byCheck[id])
		}
	}
	for id := range novariant {
		if byCheck[id] == "" {
			t.Errorf("%s is in the ledger as having no variant, but no check decides it", id)
		}
	}
	t.Logf("testable requirements: %d; decided by a check %d, judged by the model only %d, in the ledger %d", nTestable, nCheck, nModel, nLedger)
	t.Logf("requirements checks decide: %d; broken by a faulty variant %d; without one (ledger) %d", len(decided), nWithVariant, len(novariant))
}

func decider(id spec.ID, byModel map[spec.ID]bool, byCheck map[spec.ID]string) string {
	if c := byCheck[id]; c != "" {
		return "check " + c
	}
	return "the model"
}
