package target_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/wire"
)

func discover() *check.Request {
	return check.DefaultClient.Request(wire.IntID(1), "server/discover", nil, nil)
}

// TestHTTPFirstError: the first request that got no response keeps its
// cause; a response, whatever its status, is no error.
func TestHTTPFirstError(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	refused := target.NewHTTP("http://"+addr+"/mcp", target.Limits{})
	defer refused.Close()
	if ex := refused.Send(context.Background(), discover()); ex.Outcome != wire.Dropped {
		t.Errorf("outcome %v, want dropped", ex.Outcome)
	}
	if err := refused.FirstError(); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("first error %v; want connection refused", err)
	}

	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if r.Header.Get("X-Wait") != "" {
			<-r.Context().Done()
			return
		}
		http.NotFound(w, r)
	}))
	defer ts.Close()
	slow := target.NewHTTP(ts.URL+"/mcp", target.Limits{Timeout: 50 * time.Millisecond})
	defer slow.Close()
	if ex := slow.Send(context.Background(), discover()); ex.Status != 404 || slow.FirstError() != nil {
		t.Errorf("a 404: status %d, first error %v", ex.Status, slow.FirstError())
	}
	r := discover()
	r.Header.Set("X-Wait", "1")
	if ex := slow.Send(context.Background(), r); ex.Outcome != wire.TimedOut {
		t.Errorf("outcome %v, want timed out", ex.Outcome)
	}
	if err := slow.FirstError(); !errors.Is(err, target.ErrNoResponse) || !strings.Contains(err.Error(), "within 50ms") {
		t.Errorf("first error %v; want no response within 50ms", err)
	}
}

// TestStdioFirstError: a process that exits on its own is an ExitError
// with its status, even when its output ended first.
func TestStdioFirstError(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	tgt, err := target.NewStdio([]string{"sh", "-c", "echo bye >&2; exit 3"}, target.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	if ex := tgt.Send(context.Background(), discover()); ex.Outcome != wire.Dropped {
		t.Errorf("outcome %v, want dropped", ex.Outcome)
	}
	var exit *target.ExitError
	if err := tgt.FirstError(); !errors.As(err, &exit) || exit.Status != "exit status 3" || exit.Command[0] != "sh" {
		t.Fatalf("first error %v; want the exit, status 3", err)
	}
	if !strings.Contains(tgt.Stderr(), "bye") {
		t.Errorf("stderr %q", tgt.Stderr())
	}

	// A server that runs and is closed has no error.
	cat, err := target.NewStdio([]string{"sh", "-c", "cat >/dev/null"}, target.Limits{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	r := discover()
	r.Notification = true
	cat.Send(context.Background(), r)
	cat.Close()
	if err := cat.FirstError(); err != nil {
		t.Errorf("first error after Close: %v", err)
	}
}
