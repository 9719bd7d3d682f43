package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/mcpverify/mcpverify/wire"
)

// StdioTarget drives a server over stdio (basic/transports/stdio.mdx):
// newline-delimited JSON-RPC on the server's stdin and stdout.
//
// Several Sends may be in flight at once. One goroutine reads the server's
// stdout, line by line, and routes each line to the exchange it belongs to:
//
//   - a response, by its id, to the request in flight with that id (the
//     oldest, if a check reused an id); one that no request in flight
//     claims, to the oldest body whose id could not be read (the server
//     may read more of a malformed body than routing does); an id-less
//     response (a parse error), to the oldest request waiting;
//   - notifications/progress, by progressToken, to the request whose _meta
//     carried that token;
//   - a notification whose _meta has io.modelcontextprotocol/subscriptionId,
//     and notifications/cancelled, by that id, to the request with that id
//     (an open subscriptions/listen);
//   - notifications/message to the oldest request in flight that asked for
//     logs (_meta io.modelcontextprotocol/logLevel);
//   - anything else (lines that are not JSON-RPC, requests from the server,
//     messages that relate to nothing) to the oldest exchange still waiting
//     for its response, so that the model sees it; when none is, the line is
//     kept for the next exchange (at most stdioMaxOrphans of them).
//
// A message that relates to an exchange that has already ended (a response
// that comes after its request timed out) is dropped: it cannot be shown to
// the model without being attributed to the wrong request.
//
// Every read is bounded: a line longer than Limits.MaxResponseBytes is read
// and discarded up to its newline, and ends the oldest waiting exchange as
// Truncated; an exchange holds at most Limits.MaxMessages lines and twice
// MaxResponseBytes in all; the server's stderr is kept to its last
// stdioStderrTail bytes.
//
// Outcomes: Complete when the response arrived; NoResponse for a
// notification (written, nothing awaited); Cancelled when the client
// cancelled (StopAfter messages arrived, or a notifications/cancelled for
// the request was sent through Send), with CancelAt set; TimedOut when no
// response came in time (the target then sends notifications/cancelled and
// sets CancelAt); Truncated when a bound was hit; Dropped when the server
// went away (its stdout ended, or its stdin could not be written).
//
// After the target itself cancels a request (StopAfter, timeout), it keeps
// recording the request's messages for stdioCancelGrace, so that messages the
// server sends after the cancellation are in the exchange (the model judges
// CORE-CANCEL-SILENCE from CancelAt and LineAt). After a cancellation sent
// through Send, the exchange is recorded until the request's own deadline
// (Request.Timeout): a check that cancels chooses how long to watch.
type StdioTarget struct {
	name   string
	argv   []string // the command; nil for a target over given streams
	limits Limits
	start  time.Time
	// conn numbers the process in exchanges (wire.Exchange.Conn).
	conn int

	stdin      io.WriteCloser
	stdout     io.Reader
	writes     chan *stdioWrite
	writerDone chan struct{}
	closed     chan struct{}
	closeOnce  sync.Once
	closeErr   error

	cmd        *exec.Cmd
	exited     chan struct{} // closed when the process has exited
	waitErr    error
	stderr     *tailBuffer
	stderrDone chan struct{} // closed when the server's stderr has ended

	readerDone chan struct{} // closed when stdout has ended and every line is routed

	mu           sync.Mutex
	inflight     []*stdioPending // in send order
	byID         map[string][]*stdioPending
	byToken      map[string]*stdioPending
	retired      map[string]bool
	retiredOrder []string
	orphans      []stdioLine
	orphanBytes  int64
	writeErr     error
	late         int // lines for ended exchanges, dropped
	lost         int // lines dropped for want of room or of an exchange
}

const (
	// stdioStderrTail bounds the server's stderr kept for the report.
	stdioStderrTail = 64 << 10
	// stdioCancelGrace is how long an exchange keeps recording after the target
	// cancelled it (StopAfter, timeout).
	stdioCancelGrace = 300 * time.Millisecond
	// stdioExitWait is how long Close waits for the process to exit after
	// closing its stdin, and then after SIGTERM, before SIGKILL.
	stdioExitWait = 3 * time.Second
	stdioTermWait = 2 * time.Second
	// stdioMaxOrphans bounds the lines kept for the next exchange.
	stdioMaxOrphans = 64
	// stdioMaxRetired bounds the ids and tokens of ended exchanges remembered,
	// to drop their late messages.
	stdioMaxRetired = 4096
	// stdioCancelWriteTimeout bounds the write of a cancellation the target
	// sends on its own.
	stdioCancelWriteTimeout = time.Second
)

// NewStdioTarget starts argv as a subprocess (no shell: argv[0] is looked
// up on PATH) and drives it over its standard streams. The server's stderr
// is kept (its last stdioStderrTail bytes, see Stderr) and copied to stderr if
// stderr is non-nil. Close ends the process.
func NewStdioTarget(argv []string, limits Limits, stderr io.Writer) (*StdioTarget, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("stdio target: empty command")
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("stdio target: %w", err)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	var files []*os.File
	closeAll := func() {
		for _, f := range files {
			f.Close()
		}
	}
	pipe := func() (r, w *os.File, err error) {
		r, w, err = os.Pipe()
		if err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	inR, inW, err := pipe()
	if err != nil {
		return nil, fmt.Errorf("stdio target: %w", err)
	}
	outR, outW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("stdio target: %w", err)
	}
	errR, errW, err := pipe()
	if err != nil {
		closeAll()
		return nil, fmt.Errorf("stdio target: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, errW
	if err := cmd.Start(); err != nil {
		closeAll()
		return nil, fmt.Errorf("stdio target: start %s: %w", argv[0], err)
	}
	// The child's ends belong to the child now.
	inR.Close()
	outW.Close()
	errW.Close()

	t := newStdio("stdio: "+strings.Join(argv, " "), inW, outR, limits)
	t.argv = append([]string(nil), argv...)
	t.cmd = cmd
	t.exited = make(chan struct{})
	t.stderr = &tailBuffer{max: stdioStderrTail}
	t.stderrDone = make(chan struct{})
	go func() {
		defer close(t.stderrDone)
		var w io.Writer = t.stderr
		if stderr != nil {
			w = io.MultiWriter(t.stderr, stderr)
		}
		io.Copy(w, errR)
		errR.Close()
	}()
	go func() {
		t.waitErr = cmd.Wait()
		close(t.exited)
		// A process that exited but left its stdout open (a child of its
		// own holds it) is gone all the same.
		select {
		case <-t.readerDone:
		case <-time.After(time.Second):
			outR.Close()
		}
	}()
	t.startLoops()
	return t, nil
}

// NewStdioConnTarget drives a server already connected to the given
// streams (an in-process server, in tests): requests are written to stdin,
// messages read from stdout. Close closes stdin (and stdout, if it is an
// io.Closer, once the server has had time to finish).
func NewStdioConnTarget(name string, stdin io.WriteCloser, stdout io.Reader, limits Limits) *StdioTarget {
	t := newStdio("stdio: "+name, stdin, stdout, limits)
	t.startLoops()
	return t
}

func newStdio(name string, stdin io.WriteCloser, stdout io.Reader, limits Limits) *StdioTarget {
	return &StdioTarget{
		name: name, limits: limits.withDefaults(), start: time.Now(), conn: 1,
		stdin: stdin, stdout: stdout,
		writes: make(chan *stdioWrite), writerDone: make(chan struct{}), closed: make(chan struct{}),
		readerDone: make(chan struct{}),
		byID:       map[string][]*stdioPending{}, byToken: map[string]*stdioPending{}, retired: map[string]bool{},
	}
}

func (t *StdioTarget) startLoops() {
	go t.writeLoop()
	go t.readLoop()
}

func (t *StdioTarget) Transport() wire.Transport { return wire.Stdio }

// Describe returns "stdio: " and the command line.
func (t *StdioTarget) Describe() string { return t.name }

// Stderr returns what the server wrote to its stderr: the last stdioStderrTail
// bytes ("" for a target over given streams).
func (t *StdioTarget) Stderr() string {
	if t.stderr == nil {
		return ""
	}
	return t.stderr.String()
}

// Close shuts the server down as stdio.mdx describes: it closes the
// server's stdin, waits for the process to exit (stdioExitWait), then sends
// SIGTERM and, stdioTermWait later, SIGKILL. The error says when the server had
// to be terminated. Exchanges in flight end as Dropped.
func (t *StdioTarget) Close() error {
	t.closeOnce.Do(func() {
		close(t.closed)
		t.stdin.Close()
		if t.cmd == nil {
			select {
			case <-t.readerDone:
			case <-time.After(stdioExitWait):
				if c, ok := t.stdout.(io.Closer); ok {
					c.Close()
				}
			}
			return
		}
		defer func() {
			// Let the last of stderr in (bounded: a child of the
			// server may hold it open).
			select {
			case <-t.stderrDone:
			case <-time.After(time.Second):
			}
		}()
		if t.WaitExit(stdioExitWait) {
			return
		}
		t.closeErr = fmt.Errorf("stdio target: %s did not exit within %v of the end of its input; terminated", t.argv[0], stdioExitWait)
		if err := t.cmd.Process.Signal(syscall.SIGTERM); err == nil && t.WaitExit(stdioTermWait) {
			return
		}
		t.cmd.Process.Kill()
		t.WaitExit(stdioTermWait)
	})
	return t.closeErr
}

// closeInput closes the server's stdin (the shutdown signal) without
// waiting.
func (t *StdioTarget) CloseInput() {
	select {
	case <-t.closed:
	default:
		t.stdin.Close()
	}
}

// waitExit waits up to d for the process to exit and reports whether it
// did. A target over given streams has no process: it reports whether its
// stdout ended.
func (t *StdioTarget) WaitExit(d time.Duration) bool {
	done := t.exited
	if done == nil {
		done = t.readerDone
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-done:
		return true
	case <-timer.C:
		return false
	}
}

// exitedNow reports whether the process has already exited.
func (t *StdioTarget) ExitedNow() bool {
	if t.exited == nil {
		return false
	}
	select {
	case <-t.exited:
		return true
	default:
		return false
	}
}

// Writing.

type stdioWrite struct {
	line []byte
	done chan error
}

var (
	errStdioClosed       = errors.New("stdio target: closed")
	errStdioWriteTimeout = errors.New("stdio target: the server does not read its input")
)

// writeLoop writes lines one at a time, each with one Write, so that lines
// never interleave.
func (t *StdioTarget) writeLoop() {
	defer close(t.writerDone)
	for {
		select {
		case w := <-t.writes:
			_, err := t.stdin.Write(w.line)
			w.done <- err
			if err != nil {
				t.mu.Lock()
				t.writeErr = err
				t.mu.Unlock()
				return
			}
		case <-t.closed:
			return
		}
	}
}

// write writes line and its newline, waiting until deadline at most.
func (t *StdioTarget) write(ctx context.Context, line []byte, deadline time.Time) error {
	w := &stdioWrite{line: append(append(make([]byte, 0, len(line)+1), line...), '\n'), done: make(chan error, 1)}
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	select {
	case t.writes <- w:
	case <-timer.C:
		return errStdioWriteTimeout
	case <-ctx.Done():
		return ctx.Err()
	case <-t.closed:
		return errStdioClosed
	case <-t.writerDone:
		t.mu.Lock()
		defer t.mu.Unlock()
		return fmt.Errorf("stdio target: write: %w", t.writeErr)
	}
	select {
	case err := <-w.done:
		if err != nil {
			return fmt.Errorf("stdio target: write: %w", err)
		}
		return nil
	case <-timer.C:
		return errStdioWriteTimeout
	case <-ctx.Done():
		return ctx.Err()
	}
}

// sendCancel writes notifications/cancelled for the request idRaw names
// (best effort, bounded in time).
func (t *StdioTarget) sendCancel(idRaw jsontext.Value, reason string) bool {
	if len(idRaw) == 0 {
		return false
	}
	msg := wire.MustMarshal(map[string]any{"jsonrpc": wire.JSONRPCVersion, "method": "notifications/cancelled",
		"params": map[string]any{"requestId": idRaw, "reason": reason}})
	return t.write(context.Background(), msg, time.Now().Add(stdioCancelWriteTimeout)) == nil
}

// Exchanges.

// stdioPending is an exchange in flight. Its fields other than the
// constant ones are guarded by the target's mu.
type stdioPending struct {
	idKey     string // "" when the body has no usable id
	idRaw     jsontext.Value
	tokKey    string
	wantsLogs bool
	sent      time.Time
	stopAfter int
	signal    chan struct{} // buffered 1: something changed

	lines     [][]byte
	at        []time.Duration
	bytes     int64
	responded bool
	// cancelAt is set when a cancellation was sent; userCancel when it was
	// sent through Send (not by the target).
	cancelAt   time.Duration
	userCancel bool
	truncated  bool
	finished   bool
}

func (p *stdioPending) notify() {
	select {
	case p.signal <- struct{}{}:
	default:
	}
}

// eligible reports whether stray lines may be attached to p: it still
// waits for its response and has not been cancelled.
func (p *stdioPending) eligible() bool {
	return !p.finished && !p.responded && !p.truncated && p.cancelAt == 0
}

// Send writes r's body as one line and waits for what the server sends for
// it (see StdioTarget). A notification (r.Notification, or a body that is
// a JSON-RPC notification) is written and ends at once with NoResponse; a
// notifications/cancelled for a request in flight marks that request
// cancelled.
func (t *StdioTarget) Send(ctx context.Context, r *Request) *wire.Exchange {
	line := stdioOneLine(r.Body)
	now := time.Now()
	ex := &wire.Exchange{Transport: wire.Stdio, Conn: t.conn, Body: line, At: now.Sub(t.start)}
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = t.limits.Timeout
	}
	deadline := now.Add(timeout)
	info := inspectSent(line)

	if r.Notification || info.notification {
		if err := t.write(ctx, line, deadline); err != nil {
			ex.Outcome = writeOutcome(err)
			return ex
		}
		if info.cancels != "" {
			t.noteCancel(info.cancels)
		}
		ex.Outcome = wire.NoResponse
		return ex
	}

	p := &stdioPending{idKey: info.idKey, idRaw: info.idRaw, tokKey: info.tokKey, wantsLogs: info.wantsLogs,
		sent: now, stopAfter: r.StopAfter, signal: make(chan struct{}, 1)}
	if !t.register(p) {
		ex.Outcome = wire.Dropped
		return ex
	}
	if err := t.write(ctx, line, deadline); err != nil {
		t.finish(p, ex)
		ex.Outcome = writeOutcome(err)
		return ex
	}
	ex.Outcome = t.wait(ctx, p, deadline)
	t.finish(p, ex)
	return ex
}

// wait waits for p's response, its cancellation or a bound, and returns
// the outcome.
func (t *StdioTarget) wait(ctx context.Context, p *stdioPending, deadline time.Time) wire.Outcome {
	timer := time.NewTimer(time.Until(deadline))
	defer timer.Stop()
	watching := false // the target cancelled p and records for stdioCancelGrace
	outcome := wire.Complete
	for {
		t.mu.Lock()
		responded, truncated, userCancel := p.responded, p.truncated, p.userCancel
		stop := p.stopAfter > 0 && len(p.lines) >= p.stopAfter
		t.mu.Unlock()
		switch {
		case truncated:
			if !watching && !userCancel {
				t.cancel(p, "response over the client's size limit")
			}
			return wire.Truncated
		case watching || userCancel:
			// Record until the grace period or the deadline ends.
		case stop:
			t.cancel(p, "the client has read enough")
			watching, outcome = true, wire.Cancelled
			resetStdioTimer(timer, stdioCancelGrace)
		case responded:
			return wire.Complete
		}
		select {
		case <-p.signal:
		case <-timer.C:
			switch {
			case watching:
				return outcome
			case userCancel:
				return wire.Cancelled
			}
			t.cancel(p, "timed out")
			watching, outcome = true, wire.TimedOut
			resetStdioTimer(timer, stdioCancelGrace)
		case <-ctx.Done():
			if !watching && !userCancel {
				t.cancel(p, "the client gave up")
				return wire.TimedOut
			}
			if userCancel {
				return wire.Cancelled
			}
			return outcome
		case <-t.readerDone:
			t.mu.Lock()
			responded, cancelled := p.responded, p.cancelAt > 0
			t.mu.Unlock()
			switch {
			case watching:
				return outcome
			case cancelled:
				return wire.Cancelled
			case responded:
				return wire.Complete
			}
			return wire.Dropped
		}
	}
}

func resetStdioTimer(t *time.Timer, d time.Duration) {
	if !t.Stop() {
		select {
		case <-t.C:
		default:
		}
	}
	t.Reset(d)
}

// cancel sends notifications/cancelled for p (the target's own
// cancellation) and records when.
func (t *StdioTarget) cancel(p *stdioPending, reason string) {
	if !t.sendCancel(p.idRaw, reason) {
		return
	}
	t.mu.Lock()
	if p.cancelAt == 0 {
		p.cancelAt = max(time.Since(p.sent), time.Nanosecond)
	}
	t.mu.Unlock()
}

// noteCancel records that a notifications/cancelled for the request with
// id key was sent: the oldest such request still waiting for its response
// is cancelled.
func (t *StdioTarget) noteCancel(key string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, p := range t.byID[key] {
		if !p.finished && !p.responded && p.cancelAt == 0 {
			p.cancelAt = max(time.Since(p.sent), time.Nanosecond)
			p.userCancel = true
			p.notify()
			return
		}
	}
}

// register adds p to the exchanges in flight, with the lines kept for the
// next exchange; false when the server is gone.
func (t *StdioTarget) register(p *stdioPending) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	select {
	case <-t.readerDone:
		return false
	case <-t.closed:
		return false
	default:
	}
	if t.writeErr != nil {
		return false
	}
	for _, o := range t.orphans {
		p.lines = append(p.lines, o.data)
		p.at = append(p.at, o.at.Sub(p.sent))
		p.bytes += int64(len(o.data))
	}
	t.orphans, t.orphanBytes = nil, 0
	t.inflight = append(t.inflight, p)
	if p.idKey != "" {
		t.byID[p.idKey] = append(t.byID[p.idKey], p)
	}
	if p.tokKey != "" && t.byToken[p.tokKey] == nil {
		t.byToken[p.tokKey] = p
	}
	return true
}

// finish retires p and copies what it recorded into ex.
func (t *StdioTarget) finish(p *stdioPending, ex *wire.Exchange) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p.finished = true
	for i, q := range t.inflight {
		if q == p {
			t.inflight = append(t.inflight[:i:i], t.inflight[i+1:]...)
			break
		}
	}
	if p.idKey != "" {
		list := t.byID[p.idKey]
		for i, q := range list {
			if q == p {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(t.byID, p.idKey)
		} else {
			t.byID[p.idKey] = list
		}
		t.retire("id:" + p.idKey)
	}
	if p.tokKey != "" {
		if t.byToken[p.tokKey] == p {
			delete(t.byToken, p.tokKey)
		}
		t.retire("tok:" + p.tokKey)
	}
	ex.Lines, ex.LineAt, ex.CancelAt = p.lines, p.at, p.cancelAt
}

func (t *StdioTarget) retire(key string) {
	if t.retired[key] {
		return
	}
	t.retired[key] = true
	t.retiredOrder = append(t.retiredOrder, key)
	if len(t.retiredOrder) > stdioMaxRetired {
		delete(t.retired, t.retiredOrder[0])
		t.retiredOrder = t.retiredOrder[1:]
	}
}

func writeOutcome(err error) wire.Outcome {
	if errors.Is(err, errStdioWriteTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return wire.TimedOut
	}
	return wire.Dropped
}

// Reading.

type stdioLine struct {
	data []byte
	at   time.Time
}

// readLoop reads stdout lines of at most MaxResponseBytes and routes them.
func (t *StdioTarget) readLoop() {
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
func (t *StdioTarget) routeTooLong() {
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
func (t *StdioTarget) route(line []byte, at time.Time) {
	m, ok := inspectReceived(line)
	t.mu.Lock()
	defer t.mu.Unlock()
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
func (t *StdioTarget) oldest(ok func(*stdioPending) bool) *stdioPending {
	for _, p := range t.inflight {
		if ok(p) {
			return p
		}
	}
	return nil
}

func (t *StdioTarget) keepOrphan(line []byte, at time.Time) {
	if len(t.orphans) >= stdioMaxOrphans || t.orphanBytes+int64(len(line)) > t.limits.MaxResponseBytes {
		t.lost++
		return
	}
	t.orphans = append(t.orphans, stdioLine{data: line, at: at})
	t.orphanBytes += int64(len(line))
}

// Inspecting messages: just enough to route them. The model decodes them
// strictly; here anything that is not understood is a stray line.

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

// Command is the command line of the server process (nil for a target
// over given streams).
func (t *StdioTarget) Command() []string { return append([]string(nil), t.argv...) }

// Spawn starts another copy of the server with the same command and
// limits; its exchanges carry the next connection number.
func (t *StdioTarget) Spawn() (Process, error) {
	if t.argv == nil {
		return nil, errors.New("stdio target: the server is not a process the checker started")
	}
	fresh, err := NewStdioTarget(t.argv, t.limits, nil)
	if err != nil {
		return nil, err
	}
	fresh.conn = t.conn + 1
	return fresh, nil
}
