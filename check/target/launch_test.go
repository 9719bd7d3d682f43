package target

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLaunch: a server whose port opens is up; one that exits first, or
// whose port never opens, is an error quoting its output, and is
// stopped.
func TestLaunch(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	if _, err := Launch([]string{"sh", "-c", "echo starting; echo broken >&2; exit 3"}, "http://127.0.0.1:9/mcp", 5*time.Second, nil); err == nil ||
		!strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), "broken") {
		t.Errorf("a server that exits: %v", err)
	}
	start := time.Now()
	if _, err := Launch([]string{"sh", "-c", "echo waiting; sleep 30"}, "http://127.0.0.1:9/mcp", 300*time.Millisecond, nil); err == nil ||
		!strings.Contains(err.Error(), "did not accept") || !strings.Contains(err.Error(), "waiting") {
		t.Errorf("a port that never opens: %v", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("giving up took %v", d)
	}
	if _, err := Launch([]string{"mcpverify-no-such-command"}, "http://127.0.0.1:9/mcp", time.Second, nil); err == nil {
		t.Error("a missing command: no error")
	}
}
