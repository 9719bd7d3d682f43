package spec

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
)

// LedgerEntry says why a testable requirement is not yet decided, by a
// model rule or a check (Unchecked), or why a requirement a check decides
// has no deliberately broken server that shows the check can fail
// (NoVariant). Until names the work that will cover it, where it is known.
type LedgerEntry struct {
	ID        ID     `json:"id"`
	Unchecked string `json:"unchecked,omitempty"`
	NoVariant string `json:"novariant,omitempty"`
	Until     string `json:"until,omitempty"`
}

//go:embed ledger.json
var ledgerJSON []byte

// Ledger returns the ledger of spec/ledger.json: what the checker does not
// yet cover, each with its reason. A test of the checker keeps it exact
// (check/selftest, TestCoverageLedger).
func Ledger() ([]LedgerEntry, error) {
	dec := json.NewDecoder(bytes.NewReader(ledgerJSON))
	dec.DisallowUnknownFields()
	var es []LedgerEntry
	if err := dec.Decode(&es); err != nil {
		return nil, fmt.Errorf("spec: ledger.json: %w", err)
	}
	seen := map[ID]bool{}
	for _, e := range es {
		r, ok := Lookup(e.ID)
		switch {
		case !ok:
			return nil, fmt.Errorf("spec: ledger.json: %s is not in the catalog", e.ID)
		case seen[e.ID]:
			return nil, fmt.Errorf("spec: ledger.json: %s listed twice", e.ID)
		case (e.Unchecked == "") == (e.NoVariant == ""):
			return nil, fmt.Errorf("spec: ledger.json: %s: give either unchecked or novariant, with the reason", e.ID)
		case e.Unchecked != "" && r.Testable == No:
			return nil, fmt.Errorf("spec: ledger.json: %s is not testable (the catalog says why); it needs no ledger entry", e.ID)
		}
		seen[e.ID] = true
	}
	return es, nil
}
