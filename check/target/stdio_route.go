package target

import (
	"bytes"
	"sync"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/mcpverify/mcpverify/wire"
)

type stdioLine struct {
	data []byte
	at   time.Time
}

// readLoop reads stdout lines of at most MaxResponseBytes and routes them.
func (t *Stdio) readLoop() {
	defer close(t.readerDone)
	lr := wire.NewLineReader(t.stdout, t.limits.MaxResponseBytes)
	for {
		line, tooLong, err := lr.Next()
		at := time.Now()
		if tooLong {
			t.routeTooLong()
		} else if len(bytes.TrimSpace(line)) > 0 {
			t.route(line, at)
		}
		if err != nil {
			return
		}
	}
}

// routeTooLong ends the oldest waiting exchange as Truncated: the line it
// could not read was most likely its response.
func (t *Stdio) routeTooLong() {
	t.mu.Lock()
	defer t.mu.Unlock()
	if p := t.oldest(func(p *stdioPending) bool { return p.eligible() }); p != nil {
		p.truncated = true
		p.notify()
		return
	}
	t.lost++
}

// route attributes one line (see StdioTarget).
func (t *Stdio) route(line []byte, at time.Time) {
	m, ok := inspectReceived(line)
	t.mu.Lock()
	defer t.mu.Unlock()
	if ok && !m.response && m.method == "roots/list" && m.idKey != "" {
		t.answerRoots(line)
	}
	var p *stdioPending
	completes := false
	late := false
	byKey := func(key, retiredKey string) {
		if key == "" {
			return
		}
		for _, q := range t.byID[key] {
			if !q.finished {
				p = q
				return
			}
		}
		late = t.retired[retiredKey+key]
	}
	switch {
	case !ok:
	case m.response:
		// By id to the request in flight with that id; else to the oldest
		// body without a usable id (the server may have read an id this
		// stdioLenient look did not); an id-less response (a parse error of a
		// body this look could read) to the oldest request waiting. Only
		// then is a response for an ended exchange late.
		byKey(m.idKey, "id:")
		if p == nil {
			p = t.oldest(func(q *stdioPending) bool { return q.idKey == "" && q.eligible() })
		}
		if p == nil && m.idKey == "" {
			p = t.oldest(func(q *stdioPending) bool { return q.eligible() })
		}
		completes = p != nil
	case m.method == "notifications/progress" && m.tokKey != "":
		if q := t.byToken[m.tokKey]; q != nil && !q.finished {
			p = q
		} else {
			late = t.retired["tok:"+m.tokKey]
		}
	case m.subKey != "":
		byKey(m.subKey, "id:")
	case m.method == "notifications/cancelled" && m.cancelKey != "":
		byKey(m.cancelKey, "id:")
	case m.method == "notifications/message":
		p = t.oldest(func(q *stdioPending) bool { return q.wantsLogs && q.eligible() })
	}
	if p == nil && late {
		t.late++
		return
	}
	if p == nil {
		// A stray line: the oldest exchange still waiting, which it
		// completes if it is an array (a batch answer) and the exchange's
		// body has no usable id.
		p = t.oldest(func(q *stdioPending) bool { return q.eligible() })
		completes = p != nil && p.idKey == "" && !ok && isJSONArrayLine(line)
	}
	if p == nil {
		t.keepOrphan(line, at)
		return
	}
	if len(p.lines) >= t.limits.MaxMessages || p.bytes+int64(len(line)) > 2*t.limits.MaxResponseBytes {
		p.truncated = true
		t.lost++
		p.notify()
		return
	}
	p.lines = append(p.lines, line)
	p.at = append(p.at, at.Sub(p.sent))
	p.bytes += int64(len(line))
	if completes {
		p.responded = true
	}
	p.notify()
}

// oldest returns the first exchange in flight that ok accepts.
func (t *Stdio) oldest(ok func(*stdioPending) bool) *stdioPending {
	for _, p := range t.inflight {
		if ok(p) {
			return p
		}
	}
	return nil
}

func (t *Stdio) keepOrphan(line []byte, at time.Time) {
	// The next exchange takes them all: no more than it may hold.
	if len(t.orphans) >= min(stdioMaxOrphans, t.limits.MaxMessages) || t.orphanBytes+int64(len(line)) > t.limits.MaxResponseBytes {
		t.lost++
		return
	}
	t.orphans = append(t.orphans, stdioLine{data: line, at: at})
	t.orphanBytes += int64(len(line))
}

var stdioLenient = json.JoinOptions(jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true))

type stdioEnvelope struct {
	ID     jsontext.Value `json:"id"`
	Method *string        `json:"method"`
	Result jsontext.Value `json:"result"`
	Error  jsontext.Value `json:"error"`
	Params jsontext.Value `json:"params"`
}

type stdioEnvParams struct {
	Meta          jsontext.Value `json:"_meta"`
	ProgressToken jsontext.Value `json:"progressToken"`
	RequestID     jsontext.Value `json:"requestId"`
}

type stdioEnvMeta struct {
	ProgressToken  jsontext.Value `json:"progressToken"`
	SubscriptionID jsontext.Value `json:"io.modelcontextprotocol/subscriptionId"`
	LogLevel       jsontext.Value `json:"io.modelcontextprotocol/logLevel"`
}

func decodeStdioEnvelope(line []byte) (stdioEnvelope, stdioEnvParams, stdioEnvMeta, bool) {
	var e stdioEnvelope
	var p stdioEnvParams
	var m stdioEnvMeta
	if wire.Depth(line) > wire.MaxDepth || json.Unmarshal(line, &e, stdioLenient) != nil {
		return e, p, m, false
	}
	if len(e.Params) > 0 && e.Params.Kind() == '{' {
		_ = json.Unmarshal(e.Params, &p, stdioLenient)
		if len(p.Meta) > 0 && p.Meta.Kind() == '{' {
			_ = json.Unmarshal(p.Meta, &m, stdioLenient)
		}
	}
	return e, p, m, true
}

// idKey returns the map key of a JSON-RPC id or progress token ("" when
// absent or null).
func routeKey(raw jsontext.Value) string {
	if len(raw) == 0 || raw.Kind() == 'n' {
		return ""
	}
	var id wire.RequestID
	if wire.Unmarshal(raw, &id) == nil {
		return id.Key()
	}
	c := bytes.Clone(raw)
	v := jsontext.Value(c)
	_ = v.Compact()
	return "r" + string(v)
}

// sentInfo is what routing needs of a message the client sends.
type sentInfo struct {
	notification bool
	idKey        string
	idRaw        jsontext.Value
	tokKey       string
	wantsLogs    bool
	cancels      string // id key named by notifications/cancelled
}

func inspectSent(body []byte) sentInfo {
	e, p, m, ok := decodeStdioEnvelope(body)
	var s sentInfo
	if !ok {
		return s
	}
	if e.Method != nil && len(e.ID) == 0 {
		s.notification = true
		if *e.Method == "notifications/cancelled" {
			s.cancels = routeKey(p.RequestID)
		}
		return s
	}
	s.idKey = routeKey(e.ID)
	if s.idKey != "" {
		s.idRaw = bytes.Clone(e.ID)
	}
	s.tokKey = routeKey(m.ProgressToken)
	s.wantsLogs = len(m.LogLevel) > 0
	return s
}

// receivedInfo is what routing needs of a message the server sent.
type receivedInfo struct {
	response  bool // no method: a response (or something shaped like one)
	method    string
	idKey     string
	tokKey    string
	subKey    string
	cancelKey string
}

func inspectReceived(line []byte) (receivedInfo, bool) {
	e, p, m, ok := decodeStdioEnvelope(line)
	if !ok {
		return receivedInfo{}, false
	}
	var r receivedInfo
	if e.Method == nil {
		r.response = len(e.Result) > 0 || len(e.Error) > 0 || len(e.ID) > 0
		if !r.response {
			return r, false
		}
		r.idKey = routeKey(e.ID)
		return r, true
	}
	r.method = *e.Method
	r.idKey = routeKey(e.ID)
	if r.idKey != "" {
		return r, true // a request from the server: stray
	}
	r.tokKey = routeKey(p.ProgressToken)
	r.subKey = routeKey(m.SubscriptionID)
	r.cancelKey = routeKey(p.RequestID)
	return r, true
}

func isJSONArrayLine(line []byte) bool {
	b := bytes.TrimSpace(line)
	return len(b) > 0 && b[0] == '['
}

// stdioOneLine makes body a single line: JSON with newlines is compacted; other
// bytes have their line breaks replaced by spaces.
func stdioOneLine(body []byte) []byte {
	if !bytes.ContainsAny(body, "\r\n") {
		return body
	}
	v := jsontext.Value(bytes.Clone(body))
	if v.Compact() == nil && !bytes.ContainsAny(v, "\r\n") {
		return v
	}
	out := bytes.Clone(body)
	for i, c := range out {
		if c == '\r' || c == '\n' {
			out[i] = ' '
		}
	}
	return out
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped bool
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) >= b.max {
		p = p[len(p)-b.max:]
		b.buf = b.buf[:0]
		b.dropped = true
	}
	if over := len(b.buf) + len(p) - b.max; over > 0 {
		b.buf = append(b.buf[:0], b.buf[over:]...)
		b.dropped = true
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped {
		return "[...]\n" + string(b.buf)
	}
	return string(b.buf)
}
