package target

import (
	"context"
	"encoding/json"
	"time"

	"github.com/mcpverify/mcpverify/check"
)

// Starting the same server again, and answering its roots/list requests:
// over 2025-11-25 a stdio server asks its client for roots by a request of
// its own, once the session is up, and a session declares its
// capabilities once, in its handshake; a check that needs a session
// declaring roots starts a fresh process.

var (
	_ check.Relauncher    = (*Stdio)(nil)
	_ check.RootsAnswerer = (*Stdio)(nil)
)

// Relaunch starts the target's command again, as a new target with the
// same limits; the caller closes it. A target over given streams cannot.
func (t *Stdio) Relaunch() (check.Target, error) {
	if t.argv == nil {
		return nil, errNoCommand
	}
	return NewStdio(t.argv, t.limits, nil)
}

var errNoCommand = stdioError("stdio target: over given streams, not started from a command: it cannot be started again")

type stdioError string

func (e stdioError) Error() string { return string(e) }

// AnswerRoots makes the target answer every roots/list request of the
// server with these file:// URIs (nil: leave such requests unanswered, as
// evidence only).
func (t *Stdio) AnswerRoots(uris []string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.roots = append([]string(nil), uris...)
}

// RootsAsked reports how many roots/list requests the server sent.
func (t *Stdio) RootsAsked() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.rootsAsked
}

// answerRoots answers a roots/list request line (its id), in its own
// goroutine: the read loop must not wait on the server's input. Called
// with t.mu held.
func (t *Stdio) answerRoots(line []byte) {
	var req struct {
		ID     json.RawMessage `json:"id"`
		Method string          `json:"method"`
	}
	if json.Unmarshal(line, &req) != nil || req.Method != "roots/list" || len(req.ID) == 0 {
		return
	}
	t.rootsAsked++
	if t.roots == nil {
		return
	}
	roots := make([]map[string]string, len(t.roots))
	for i, u := range t.roots {
		roots[i] = map[string]string{"uri": u, "name": "mcpverify"}
	}
	b, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": req.ID, "result": map[string]any{"roots": roots}})
	if err != nil {
		return
	}
	go t.write(context.Background(), b, time.Now().Add(5*time.Second))
}
