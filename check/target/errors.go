package target

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// What a target keeps of why it could not reach its server (FirstError),
// so that a run that judged nothing can say why.

// ErrNoResponse is wrapped by the error of an exchange that got no
// response in time (FirstError).
var ErrNoResponse = errors.New("no response")

// timeoutError says that a request got no response within timeout, or
// before the caller (parent, the run's budget) stopped waiting.
func timeoutError(parent context.Context, timeout time.Duration) error {
	if parent.Err() != nil {
		return fmt.Errorf("%w before the run stopped waiting (%v)", ErrNoResponse, context.Cause(parent))
	}
	return fmt.Errorf("%w within %v", ErrNoResponse, timeout)
}

// FirstError returns the error of the first request that got no response
// at all (a refused connection, a name that does not resolve, no response
// in time, a request net/http would not write), or nil.
func (t *HTTP) FirstError() error { return t.firstErr.get() }

// firstError keeps the first error noted.
type firstError struct {
	mu  sync.Mutex
	err error
}

func (f *firstError) note(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

func (f *firstError) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// ExitError says that a server process the target started exited on its
// own, before Close ended it.
type ExitError struct {
	// Command is the command line.
	Command []string
	// Status is how it exited, as os.ProcessState says it: "exit status
	// 7", "signal: killed".
	Status string
	// After is the time from its start to its exit (as the target saw it).
	After time.Duration
}

func (e *ExitError) Error() string {
	return fmt.Sprintf("%s exited on its own %s after it started (%s)", e.Command[0], roughly(e.After), e.Status)
}

// roughly is d to the millisecond, or "less than 1ms".
func roughly(d time.Duration) string {
	if d < time.Millisecond {
		return "less than 1ms"
	}
	return d.Round(time.Millisecond).String()
}

// FirstError returns why the server could not be reached: an *ExitError
// when the process exited before Close, else the failure of the first
// exchange that ended without an answer (a write the server did not take,
// no response in time, its output ended), else nil.
func (t *Stdio) FirstError() error {
	first := t.firstErr.get()
	if first != nil && !errors.Is(first, ErrNoResponse) && t.exited != nil {
		// Its output ended, or its input: the process is likely exiting,
		// and how it exits says more.
		t.WaitExit(stdioExitNotice)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.exitedEarly != nil {
		return t.exitedEarly
	}
	return first
}

// stdioExitNotice bounds how long FirstError waits for a process whose
// output ended to exit.
const stdioExitNotice = time.Second

// ErrStdoutEnded is the failure of an exchange whose server closed its
// standard output (FirstError).
var ErrStdoutEnded = errors.New("the server's standard output ended")
