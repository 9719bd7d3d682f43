package target

import (
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

	"github.com/go-json-experiment/json/jsontext"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// Stdio drives a server over stdio (basic/transports/stdio.mdx):
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
type Stdio struct {
	// roots answer the server's roots/list requests (AnswerRoots);
	// rootsAsked counts them. Guarded by mu.
	roots      []string
	rootsAsked int

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

	// firstErr is the first exchange that ended without an answer.
	firstErr firstError

	mu           sync.Mutex
	inflight     []*stdioPending // in send order
	byID         map[string][]*stdioPending
	byToken      map[string]*stdioPending
	retired      map[string]bool
	retiredOrder []string
	orphans      []stdioLine
	orphanBytes  int64
	writeErr     error
	// exitedEarly is set when the process exited before Close (FirstError).
	exitedEarly *ExitError
	late        int // lines for ended exchanges, dropped
	lost        int // lines dropped for want of room or of an exchange
}

const (
	// stdioStderrTail bounds the server's stderr kept for the report.
	stdioStderrTail = 64 << 10
	// stdioCancelGrace is how long an exchange keeps recording after the target
	// cancelled it (StopAfter, timeout).
	stdioCancelGrace = 300 * time.Millisecond
	// stdioMaxOrphans bounds the lines kept for the next exchange.
	stdioMaxOrphans = 64
	// stdioMaxRetired bounds the ids and tokens of ended exchanges remembered,
	// to drop their late messages.
	stdioMaxRetired = 4096
	// stdioCancelWriteTimeout bounds the write of a cancellation the target
	// sends on its own.
	stdioCancelWriteTimeout = time.Second
)

// NewStdio starts argv as a subprocess (no shell: argv[0] is looked
// up on PATH) and drives it over its standard streams. The server's stderr
// is kept (its last stdioStderrTail bytes, see Stderr) and copied to stderr if
// stderr is non-nil. Close ends the process.
func NewStdio(argv []string, limits Limits, stderr io.Writer) (*Stdio, error) {
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
		select {
		case <-t.closed:
		default:
			t.mu.Lock()
			t.exitedEarly = &ExitError{Command: t.argv, Status: cmd.ProcessState.String(), After: time.Since(t.start)}
			t.mu.Unlock()
		}
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

// NewStdioConn drives a server already connected to the given
// streams (an in-process server, in tests): requests are written to stdin,
// messages read from stdout. Close closes stdin (and stdout, if it is an
// io.Closer, once the server has had time to finish).
func NewStdioConn(name string, stdin io.WriteCloser, stdout io.Reader, limits Limits) *Stdio {
	t := newStdio("stdio: "+name, stdin, stdout, limits)
	t.startLoops()
	return t
}

func newStdio(name string, stdin io.WriteCloser, stdout io.Reader, limits Limits) *Stdio {
	return &Stdio{
		name: name, limits: limits.withDefaults(), start: time.Now(), conn: 1,
		stdin: stdin, stdout: stdout,
		writes: make(chan *stdioWrite), writerDone: make(chan struct{}), closed: make(chan struct{}),
		readerDone: make(chan struct{}),
		byID:       map[string][]*stdioPending{}, byToken: map[string]*stdioPending{}, retired: map[string]bool{},
	}
}

func (t *Stdio) startLoops() {
	go t.writeLoop()
	go t.readLoop()
}

func (t *Stdio) Transport() wire.Transport { return wire.Stdio }

// Describe returns "stdio: " and the command line.
func (t *Stdio) Describe() string { return t.name }

// Stderr returns what the server wrote to its stderr: the last stdioStderrTail
// bytes ("" for a target over given streams). Once the process has exited,
// it waits for the rest of its stderr (at most stdioExitNotice: a child of
// the server may hold it open).
func (t *Stdio) Stderr() string {
	if t.stderr == nil {
		return ""
	}
	if t.ExitedNow() {
		select {
		case <-t.stderrDone:
		case <-time.After(stdioExitNotice):
		}
	}
	return t.stderr.String()
}

// Close shuts the server down as stdio.mdx describes: it closes the
// server's stdin, waits for the process to exit (Limits.ExitWait), then
// sends SIGTERM and, two thirds of that later, SIGKILL. The error says when the server had
// to be terminated. Exchanges in flight end as Dropped.
func (t *Stdio) Close() error {
	exitWait, termWait := t.limits.ExitWait, t.limits.ExitWait*2/3
	t.closeOnce.Do(func() {
		close(t.closed)
		t.stdin.Close()
		if t.cmd == nil {
			select {
			case <-t.readerDone:
			case <-time.After(exitWait):
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
		if t.WaitExit(exitWait) {
			return
		}
		t.closeErr = fmt.Errorf("stdio target: %s did not exit within %v of the end of its input; terminated", t.argv[0], exitWait)
		if err := t.cmd.Process.Signal(syscall.SIGTERM); err == nil && t.WaitExit(termWait) {
			return
		}
		t.cmd.Process.Kill()
		t.WaitExit(termWait)
	})
	return t.closeErr
}

// closeInput closes the server's stdin (the shutdown signal) without
// waiting.
func (t *Stdio) CloseInput() {
	select {
	case <-t.closed:
	default:
		t.stdin.Close()
	}
}

// waitExit waits up to d for the process to exit and reports whether it
// did. A target over given streams has no process: it reports whether its
// stdout ended.
func (t *Stdio) WaitExit(d time.Duration) bool {
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

// ExitStatus reports whether the server process exited before Close was
// called (on its own: a crash, or an exit after its first answer), and its
// exit status.
func (t *Stdio) ExitStatus() (string, bool) {
	if t.exited == nil {
		return "", false
	}
	select {
	case <-t.closed:
		return "", false
	default:
	}
	select {
	case <-t.exited:
	default:
		return "", false
	}
	if t.waitErr == nil {
		return "exit status 0", true
	}
	return t.waitErr.Error(), true
}

// exitedNow reports whether the process has already exited.
func (t *Stdio) ExitedNow() bool {
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
func (t *Stdio) writeLoop() {
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
func (t *Stdio) write(ctx context.Context, line []byte, deadline time.Time) error {
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
func (t *Stdio) sendCancel(idRaw jsontext.Value, reason string) bool {
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
func (t *Stdio) Send(ctx context.Context, r *check.Request) *wire.Exchange {
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
			t.firstErr.note(err)
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
		t.firstErr.note(ErrStdoutEnded)
		ex.Outcome = wire.Dropped
		return ex
	}
	if err := t.write(ctx, line, deadline); err != nil {
		t.firstErr.note(err)
		t.finish(p, ex)
		ex.Outcome = writeOutcome(err)
		return ex
	}
	ex.Outcome = t.wait(ctx, p, deadline)
	t.finish(p, ex)
	switch {
	case ex.Outcome == wire.TimedOut && len(ex.Lines) == 0:
		t.firstErr.note(timeoutError(ctx, timeout))
	case ex.Outcome == wire.Dropped:
		t.firstErr.note(ErrStdoutEnded)
	}
	return ex
}

// wait waits for p's response, its cancellation or a bound, and returns
// the outcome.
func (t *Stdio) wait(ctx context.Context, p *stdioPending, deadline time.Time) wire.Outcome {
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
func (t *Stdio) cancel(p *stdioPending, reason string) {
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
func (t *Stdio) noteCancel(key string) {
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
func (t *Stdio) register(p *stdioPending) bool {
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
func (t *Stdio) finish(p *stdioPending, ex *wire.Exchange) {
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

func (t *Stdio) retire(key string) {
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

// Inspecting messages: just enough to route them. The model decodes them
// strictly; here anything that is not understood is a stray line.

// Command is the command line of the server process (nil for a target
// over given streams).
func (t *Stdio) Command() []string { return append([]string(nil), t.argv...) }

// Spawn starts another copy of the server with the same command and
// limits; its exchanges carry the next connection number.
func (t *Stdio) Spawn() (check.Process, error) {
	if t.argv == nil {
		return nil, errors.New("stdio target: the server is not a process the checker started")
	}
	fresh, err := NewStdio(t.argv, t.limits, nil)
	if err != nil {
		return nil, err
	}
	fresh.conn = t.conn + 1
	return fresh, nil
}
