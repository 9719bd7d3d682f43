package cli

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
)

// lockedBuffer is a bytes.Buffer safe for the status loop and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestLiveStatus: the status line is redrawn in place (carriage return,
// erase line), phase lines go above it, and closing clears it.
func TestLiveStatus(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var w lockedBuffer
		s := startLiveStatus(&w)
		fmt.Fprintln(s, "checking a server")
		time.Sleep(statusEvery + time.Millisecond)
		if got := w.String(); got != "checking a server\n" {
			t.Errorf("a status line before the run said how far it is: %q", got)
		}
		s.update(0, 12, 3)
		time.Sleep(statusEvery + time.Millisecond)
		fmt.Fprintln(s, "discovered: modern server")
		s.update(5, 12, 140)
		time.Sleep(2 * time.Second)
		s.close()
		got := w.String()
		for _, want := range []string{
			"\r\x1b[K0/12 checks, 3 exchanges, 0s elapsed",
			"\r\x1b[Kdiscovered: modern server\n\r\x1b[K0/12 checks, 3 exchanges",
			"\r\x1b[K5/12 checks, 140 exchanges, 2s elapsed",
		} {
			if !strings.Contains(got, want) {
				t.Errorf("output lacks %q:\n%q", want, got)
			}
		}
		if !strings.HasSuffix(got, "elapsed\r\x1b[K") {
			t.Errorf("the status line is not cleared at the end:\n%q", got)
		}
		if strings.Contains(got, "\n\n") {
			t.Errorf("blank lines:\n%q", got)
		}
		if n := strings.Count(got, "5/12 checks, 140 exchanges, 1s elapsed"); n != 1 {
			t.Errorf("an unchanged line drawn %d times:\n%q", n, got)
		}
	})
}

// TestRunProgress: Options.OnProgress follows the run: checks done of
// those selected, exchanges so far, ending at the report's; the report
// keeps each check's time and the first exchange.
func TestRunProgress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := referenceServer(false, "")
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		tgt := target.InProcess(srv.Handler(), target.Limits{})
		defer tgt.Close()
		type call struct{ done, total, exchanges int }
		var mu sync.Mutex
		var calls []call
		opts := check.Options{Seed: 1, Only: []string{"meta/required-fields", "meta/wrong-types"}, Exact: true,
			OnProgress: func(done, total, exchanges int) {
				mu.Lock()
				defer mu.Unlock()
				calls = append(calls, call{done, total, exchanges})
			}}
		rep, err := check.Run(context.Background(), tgt, opts)
		if err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		defer mu.Unlock()
		if len(calls) < 3 {
			t.Fatalf("%d calls", len(calls))
		}
		for i, c := range calls {
			if c.total != 2 {
				t.Errorf("call %d: total %d, want 2", i, c.total)
			}
			if i > 0 && (c.done < calls[i-1].done || c.exchanges < calls[i-1].exchanges) {
				t.Errorf("call %d went back: %+v after %+v", i, c, calls[i-1])
			}
		}
		if last := calls[len(calls)-1]; last != (call{2, 2, rep.Exchanges}) {
			t.Errorf("last call %+v; want 2 of 2 checks and %d exchanges", last, rep.Exchanges)
		}
		for _, name := range []string{check.Discovery, "meta/required-fields", "meta/wrong-types"} {
			if _, ok := rep.CheckTimes[name]; !ok {
				t.Errorf("no time for %s: %v", name, rep.CheckTimes)
			}
		}
		if rep.First == nil || rep.First.Method() != "server/discover" {
			t.Errorf("first exchange %+v; want the server/discover probe", rep.First)
		}
		if rep.TargetErr != nil {
			t.Errorf("target error %v", rep.TargetErr)
		}
	})
}
