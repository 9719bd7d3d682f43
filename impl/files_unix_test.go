//go:build unix

package impl

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestFilesFIFO: a FIFO inside the allowed directory is refused at once as
// no regular file (opening it does not wait for a writer), by read_file,
// and by resources/read as a resource it does not serve.
func TestFilesFIFO(t *testing.T) {
	ws := t.TempDir()
	if err := syscall.Mkfifo(filepath.Join(ws, "pipe"), 0o644); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	h := newHarness(t, Config{AllowedDirs: []string{ws}})
	if r := callAs(h, "", "read_file", map[string]any{"path": "pipe"}, nil); !strings.Contains(toolText(r), "is not a regular file") {
		t.Errorf("read_file of a FIFO: %s", r.body)
	}
	uri := "file://" + filepath.ToSlash(ws) + "/pipe"
	if r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": uri}}); r.errCode() != -32602 {
		t.Errorf("resources/read of a FIFO: %s", r.body)
	}
}
