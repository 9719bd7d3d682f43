package vsimpl

import (
	"testing"

	"pgregory.net/rapid"
)

// TestModelVsImpl runs the model-vs-reference-server state machine; with
// -rapid.checks=N -rapid.steps=M it covers about N*M exchanges.
func TestModelVsImpl(t *testing.T) {
	before := Steps.Load()
	rapid.Check(t, ModelVsImpl)
	t.Logf("%d exchanges judged", Steps.Load()-before)
}
