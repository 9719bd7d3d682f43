package cli

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/term"
)

// isTerminal reports whether w is a terminal (an *os.File on one).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// liveStatus is a status line on a terminal, redrawn in place: the checks
// done of those selected, the exchanges so far and the time elapsed. It
// is an io.Writer for the run's phase lines (check.Options.Progress):
// each clears the status line, is written, and the line is drawn again
// below it. Its update method is check.Options.OnProgress.
type liveStatus struct {
	w       io.Writer
	start   time.Time
	every   time.Duration
	stop    chan struct{}
	stopped chan struct{}

	mu                     sync.Mutex
	done, total, exchanges int
	started                bool   // an update came: there is something to show
	shown                  string // the status line on the screen, "" if none
}

// statusEvery is how often the status line is redrawn.
const statusEvery = 250 * time.Millisecond

// startLiveStatus starts drawing the status line on w, every statusEvery;
// close stops it and clears the line.
func startLiveStatus(w io.Writer) *liveStatus {
	s := &liveStatus{w: w, start: time.Now(), every: statusEvery, stop: make(chan struct{}), stopped: make(chan struct{})}
	go s.loop()
	return s
}

func (s *liveStatus) loop() {
	defer close(s.stopped)
	t := time.NewTicker(s.every)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.mu.Lock()
			s.drawLocked()
			s.mu.Unlock()
		case <-s.stop:
			return
		}
	}
}

// update records how far the run has got (check.Options.OnProgress); it
// does not write: the loop draws.
func (s *liveStatus) update(done, total, exchanges int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done, s.total, s.exchanges, s.started = done, total, exchanges, true
}

// Write writes a phase line above the status line.
func (s *liveStatus) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
	n, err := s.w.Write(p)
	s.drawLocked()
	return n, err
}

// close stops the redrawing and clears the status line.
func (s *liveStatus) close() {
	close(s.stop)
	<-s.stopped
	s.mu.Lock()
	defer s.mu.Unlock()
	s.clearLocked()
}

// line is the status line's text.
func (s *liveStatus) line() string {
	el := time.Since(s.start).Truncate(time.Second)
	return fmt.Sprintf("%d/%d checks, %d exchanges, %s elapsed", s.done, s.total, s.exchanges, el)
}

// drawLocked draws the status line, unless it is on the screen already
// or the run has not said how far it is yet.
func (s *liveStatus) drawLocked() {
	if l := s.line(); s.started && l != s.shown {
		fmt.Fprintf(s.w, "\r\x1b[K%s", l)
		s.shown = l
	}
}

func (s *liveStatus) clearLocked() {
	if s.shown != "" {
		io.WriteString(s.w, "\r\x1b[K")
		s.shown = ""
	}
}
