package vsimpl

import (
	"testing"
	"testing/synctest"

	"pgregory.net/rapid"
)

// TestModelVsImpl runs the model-vs-reference-server state machine; with
// -rapid.checks=N -rapid.steps=M it covers about N*M exchanges.
// The reference server is in process and the test in a synctest bubble:
// what the server waits (slow tools, progress) passes in fake time.
func TestModelVsImpl(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		before := Steps.Load()
		rapid.Check(noDeadline{t}, ModelVsImpl)
		t.Logf("%d exchanges judged", Steps.Load()-before)
	})
}

// noDeadline is t without Deadline, which a test may not call in a bubble
// (rapid asks for it to stop in time; the run is bounded by its checks).
type noDeadline struct{ testing.TB }
