package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
)

// ReplayOptions configure Replay.
type ReplayOptions struct {
	// Model configures the model that judges the new exchanges (allowed
	// origins, ...).
	Model model.Config
	// Instances are further instances of the deployment: an exchange the
	// trace recorded on instance i is sent to instance i (0 is the target),
	// modulo their number.
	Instances []Target
	// Header replaces, in every request, the recorded headers of the same
	// names (case-insensitively), e.g. a fresh Authorization token.
	Header http.Header
}

// ReplayedExchange is one exchange of a replay: the recorded one, the new
// one, and what the model found in the new one.
type ReplayedExchange struct {
	Recorded   *wire.Exchange
	Ex         *wire.Exchange
	Violations []model.Violation
}

// ReplayResult is what a replay observed.
type ReplayResult struct {
	Exchanges []ReplayedExchange
	// Want are the requirements the trace says it breaks (its "want"
	// field); Reproduced those of them the new exchanges broke.
	Want       []spec.ID
	Reproduced []spec.ID
}

// Violations returns every violation the model found in the new
// exchanges, in order.
func (r *ReplayResult) Violations() []model.Violation {
	var out []model.Violation
	for _, x := range r.Exchanges {
		out = append(out, x.Violations...)
	}
	return out
}

// StillFails reports whether the failure occurs again: a requirement the
// trace wants was broken again, or, for a trace that names none, any
// violation was found.
func (r *ReplayResult) StillFails() bool {
	if len(r.Want) > 0 {
		return len(r.Reproduced) > 0
	}
	return len(r.Violations()) > 0
}

// Replay sends the requests of tr to target again, in order (for HTTP the
// method, the headers as recorded and the body; for stdio the line), and
// judges the new exchanges, not the recorded ones, with a fresh model
// state. A recorded exchange that was cancelled after n messages is
// cancelled after n messages again (a subscriptions/listen stream, open by
// design, after as many messages as were recorded, or 2 s); one the trace
// shows on a new
// connection gets a new connection where the target can open one
// (HTTPTarget). The error is for a replay that could not run: an empty
// trace, a transport the target does not speak, or a context that ended
// before every request was sent (the result then holds what was sent).
func Replay(ctx context.Context, target Target, tr *trace.Trace, opts ReplayOptions) (*ReplayResult, error) {
	if tr == nil || len(tr.Exchanges) == 0 {
		return nil, errors.New("replay: the trace has no exchanges")
	}
	targets := append([]Target{target}, opts.Instances...)
	for _, ex := range tr.Exchanges {
		if ex.Transport != target.Transport() {
			return nil, fmt.Errorf("replay: the trace was recorded over %s; the target speaks %s", ex.Transport, target.Transport())
		}
	}
	res := &ReplayResult{Want: wantIDs(tr.Get("want"))}
	state := model.NewState(opts.Model)
	conns := make([]map[int]bool, len(targets))
	broken := map[spec.ID]bool{}
	for _, rec := range tr.Exchanges {
		if err := ctx.Err(); err != nil {
			return res, fmt.Errorf("replay: stopped after %d of %d exchanges: %w", len(res.Exchanges), len(tr.Exchanges), err)
		}
		i := rec.Instance % len(targets)
		if i < 0 {
			i = 0
		}
		if rec.Conn != 0 {
			if conns[i] == nil {
				conns[i] = map[int]bool{}
			}
			if !conns[i][rec.Conn] && len(conns[i]) > 0 {
				if f, ok := targets[i].(interface{ FreshConnections() }); ok {
					f.FreshConnections()
				}
			}
			conns[i][rec.Conn] = true
		}
		ex := targets[i].Send(ctx, replayRequest(rec, opts.Header))
		ex.Instance = i
		var vs []model.Violation
		state, vs = state.Step(ex)
		for _, v := range vs {
			broken[v.ID] = true
		}
		res.Exchanges = append(res.Exchanges, ReplayedExchange{Recorded: rec, Ex: ex, Violations: vs})
	}
	for _, id := range res.Want {
		if broken[id] {
			res.Reproduced = append(res.Reproduced, id)
		}
	}
	return res, nil
}

// wantIDs splits a "want" field: IDs separated by commas or spaces.
func wantIDs(s string) []spec.ID {
	var out []spec.ID
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		out = append(out, spec.ID(f))
	}
	return out
}

// replayRequest rebuilds the request of a recorded exchange.
func replayRequest(rec *wire.Exchange, override http.Header) *Request {
	r := &Request{HTTPMethod: rec.HTTPMethod, Header: rec.Header.Clone(), Body: bytes.Clone(rec.Body)}
	if r.HTTPMethod == "" && rec.Transport == wire.HTTP {
		r.HTTPMethod = http.MethodPost
	}
	if r.Header == nil {
		r.Header = http.Header{}
	}
	for k, vs := range override {
		for h := range r.Header {
			if strings.EqualFold(h, k) {
				delete(r.Header, h)
			}
		}
		r.Header[k] = append([]string(nil), vs...)
	}
	method := ""
	if m, err := wire.DecodeMessage(rec.Body); err == nil {
		_, r.Notification = m.(*wire.JSONRPCNotification)
		method = wire.MessageMethod(m)
	}
	switch {
	case rec.Outcome == wire.Cancelled:
		r.StopAfter = max(1, recordedMessages(rec))
	case method == "subscriptions/listen":
		// A listen stream stays open by design: read as many messages as
		// were recorded, for a short while.
		r.StopAfter, r.Timeout = max(1, recordedMessages(rec)), listenReplayTimeout
	}
	return r
}

// listenReplayTimeout bounds a replayed subscriptions/listen stream that
// the trace did not record as cancelled.
const listenReplayTimeout = 2 * time.Second

// recordedMessages counts the messages of a recorded response: SSE events
// or JSON bodies on HTTP, lines on stdio.
func recordedMessages(rec *wire.Exchange) int {
	if rec.Transport == wire.Stdio {
		return len(rec.Lines)
	}
	rec.Decode()
	if rec.ContentType() != "text/event-stream" {
		return len(rec.Replies)
	}
	n := 0
	_ = wire.ParseSSE(bytes.NewReader(rec.RespBody), wire.MaxSSEEvent, func(wire.SSEEvent) error { n++; return nil })
	return n
}
