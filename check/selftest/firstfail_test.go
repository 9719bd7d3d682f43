package selftest_test

import (
	"testing"
	"testing/synctest"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/spec"
)

// TestFirstFail: a finding's FirstFail is when its first violating
// verdict was reached, on the run's (here fake) clock. Against
// state-no-expiry the expiry check presents a state only once
// StateTTLMax has passed, so the warning of STATE-BIND-EXPIRY comes no
// earlier than that and no later than the run's end; a pass has none.
func TestFirstFail(t *testing.T) {
	var v *faulty.StateVariant
	for _, sv := range faulty.StateVariants() {
		if sv.Name == "state-no-expiry" {
			v = sv
		}
	}
	if v == nil {
		t.Fatal("no variant state-no-expiry")
	}
	synctest.Test(t, func(t *testing.T) {
		h, srv, err := v.Handler()
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runWith(t, stateOptions(v.StateTTLMax, v.Only), h)
		r, ok := rep.Result(spec.StateBindExpiry)
		if !ok || r.Status != check.Warn {
			t.Fatalf("%s: %+v, want a warning (a SHOULD)", spec.StateBindExpiry, r)
		}
		if r.FirstFail < v.StateTTLMax || r.FirstFail > rep.Duration {
			t.Errorf("FirstFail %v: want between the state lifetime the check waits out (%v) and the run's end (%v)", r.FirstFail, v.StateTTLMax, rep.Duration)
		}
		passes := 0
		for _, r := range rep.Results {
			if r.Status != check.Fail && r.Status != check.Warn && r.FirstFail != 0 {
				t.Errorf("%s (%s): FirstFail %v, want none", r.ID, r.Status, r.FirstFail)
			}
			if r.Status == check.Pass {
				passes++
			}
		}
		if passes == 0 {
			t.Error("no requirement passed: the check for passes without FirstFail saw none")
		}
	})
}
