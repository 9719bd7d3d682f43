package check

import (
	"net/http"
	"testing"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/trace"
)

// TestReplayModelConfig: the model that judges a trace's exchanges again
// is configured as the run that recorded them: the trace's single-use
// requests and hints, and the principals of the replay's credentials
// (known only when the trace says the server authenticates).
func TestReplayModelConfig(t *testing.T) {
	tr := &trace.Trace{}
	tr.Set(fieldSingleUse, "tools/call transfer; prompts/get approve")
	tr.Set(fieldHints, `{"stateMatters": ["tools/call quote"], "singleUse": ["tools/call redeem"]}`)
	tr.Set(fieldAuthenticates, "yes")
	cfg, hs, err := traceConfig(tr, model.Config{})
	if err != nil {
		t.Fatal(err)
	}
	opts := ReplayOptions{Header: http.Header{"Authorization": {"Bearer a"}}, AltHeader: http.Header{"Authorization": {"Bearer b"}}}
	got := replayModelConfig(tr, cfg, hs, opts)
	for _, c := range []struct {
		method, name string
		want         bool
	}{{"tools/call", "transfer", true}, {"prompts/get", "approve", true}, {"tools/call", "redeem", true}, {"tools/call", "quote", false}} {
		if got.SingleUse(c.method, c.name) != c.want {
			t.Errorf("SingleUse(%s %s) = %v", c.method, c.name, !c.want)
		}
	}
	if got.StateMatters == nil || !got.StateMatters("tools/call", "quote") || got.StateMatters("tools/call", "transfer") {
		t.Errorf("StateMatters does not follow the trace's hints")
	}
	if a, b := got.Principal("Bearer a"), got.Principal("Bearer b"); a == "" || b == "" || a == b {
		t.Errorf("principals %q and %q: want two distinct ones", a, b)
	}
	tr.Set(fieldAuthenticates, "")
	if p := replayModelConfig(tr, cfg, hs, opts).Principal("Bearer a"); p != "" {
		t.Errorf("principal %q of a server not known to authenticate", p)
	}
}
