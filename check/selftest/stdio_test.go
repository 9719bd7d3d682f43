package selftest_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The subprocess servers of these tests are this test binary, re-executed
// with TestStdioHelperProcess selected and a mode after "--".

// helperArgv returns the command line of a helper process in mode.
func helperArgv(mode string) []string {
	return []string{os.Args[0], "-test.run=^TestStdioHelperProcess$", "-test.count=1", "--", mode}
}

// TestStdioHelperProcess is not a test: run as a helper process, it serves
// stdio in the mode named after "--" and exits.
func TestStdioHelperProcess(t *testing.T) {
	mode := ""
	for i, a := range os.Args {
		if a == "--" && i+1 < len(os.Args) {
			mode = os.Args[i+1]
		}
	}
	if mode == "" {
		return
	}
	in, out := os.Stdin, os.Stdout
	switch mode {
	case "serve":
		srv, err := impl.New(impl.Config{})
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		fmt.Fprintln(os.Stderr, "reference server ready")
		if err := srv.ServeStdio(context.Background(), in, out); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	case "exit":
		// Reads one request and dies without answering.
		bufio.NewReader(in).ReadString('\n')
		fmt.Fprintln(os.Stderr, "helper: exiting mid-request")
		os.Exit(3)
	case "stubborn":
		// Ignores the end of its input and SIGTERM.
		signal.Ignore(syscall.SIGTERM)
		io.Copy(io.Discard, in)
		time.Sleep(time.Hour)
	default:
		// "faulty:NAME": the process variant NAME (process_test.go).
		if name, ok := strings.CutPrefix(mode, "faulty:"); ok {
			serveProcessVariant(name, in, out)
		}
	}
	os.Exit(2)
}

// pipeServer is a server over io.Pipe: serve reads the client's lines from
// in and writes to out; it runs until it returns, then out is closed.
func pipeServer(t *testing.T, limits target.Limits, serve func(in *bufio.Reader, out io.Writer)) *target.Stdio {
	t.Helper()
	inR, inW := io.Pipe()
	outR, outW := io.Pipe()
	go func() {
		serve(bufio.NewReader(inR), outW)
		outW.Close()
		io.Copy(io.Discard, inR)
	}()
	tgt := target.NewStdioConn(t.Name(), inW, outR, limits)
	t.Cleanup(func() { tgt.Close() })
	return tgt
}

// referenceOverPipes serves the reference server over io.Pipe.
func referenceOverPipes(t *testing.T, limits target.Limits) *target.Stdio {
	t.Helper()
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return pipeServer(t, limits, func(in *bufio.Reader, out io.Writer) {
		srv.ServeStdio(context.Background(), in, out)
	})
}

func rpc(id int64, method string, params map[string]any) *check.Request {
	return check.DefaultClient.Request(wire.IntID(id), method, params, nil)
}

func waitCall(id int64, ms int, token string) *check.Request {
	meta := check.DefaultClient.Meta(nil)
	if token != "" {
		meta["progressToken"] = token
	}
	return rpc(id, "tools/call", map[string]any{"name": "wait", "arguments": map[string]any{"ms": ms}, "_meta": meta})
}

// message decodes one line.
func message(t *testing.T, line []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(line, &m); err != nil {
		t.Fatalf("line %q: %v", line, err)
	}
	return m
}

// TestStdioConcurrentRouting: many requests in flight at once on one
// server, each with its own progress token; every response and every
// progress notification reaches its own exchange.
func TestStdioConcurrentRouting(t *testing.T) {
	tgt := referenceOverPipes(t, target.Limits{Timeout: 10 * time.Second})
	const n = 16
	var wg sync.WaitGroup
	exs := make([]*wire.Exchange, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			exs[i] = tgt.Send(context.Background(), waitCall(int64(100+i), 30+10*(n-i), fmt.Sprintf("tok-%d", i)))
		}()
	}
	wg.Wait()
	for i, ex := range exs {
		if ex.Outcome != wire.Complete {
			t.Fatalf("request %d: outcome %v", i, ex.Outcome)
		}
		if len(ex.Lines) != len(ex.LineAt) {
			t.Fatalf("request %d: %d lines, %d times", i, len(ex.Lines), len(ex.LineAt))
		}
		progress := 0
		for j, line := range ex.Lines {
			m := message(t, line)
			switch {
			case m["method"] == "notifications/progress":
				progress++
				if tok := m["params"].(map[string]any)["progressToken"]; tok != fmt.Sprintf("tok-%d", i) {
					t.Errorf("request %d: progress for token %v", i, tok)
				}
			case m["id"] != nil:
				if m["id"] != float64(100+i) || j != len(ex.Lines)-1 {
					t.Errorf("request %d: line %d is the response %v", i, j, m["id"])
				}
			default:
				t.Errorf("request %d: unexpected line %s", i, line)
			}
			if j > 0 && ex.LineAt[j] < ex.LineAt[j-1] {
				t.Errorf("request %d: arrival times out of order", i)
			}
		}
		if progress == 0 {
			t.Errorf("request %d: no progress notifications", i)
		}
	}
}

// TestStdioNotificationAndStopAfter: a notification returns at once; a
// subscriptions/listen stopped after two messages is cancelled, with
// CancelAt set and the server's teardown recorded, and the server is
// still usable.
func TestStdioNotificationAndStopAfter(t *testing.T) {
	tgt := referenceOverPipes(t, target.Limits{Timeout: 5 * time.Second})
	ex := tgt.Send(context.Background(), check.DefaultClient.Request(wire.RequestID{}, "notifications/cancelled", map[string]any{"requestId": 99}, nil))
	if ex.Outcome != wire.NoResponse {
		t.Fatalf("notification: outcome %v", ex.Outcome)
	}
	listen := rpc(7, "subscriptions/listen", map[string]any{"notifications": map[string]any{"toolsListChanged": true}})
	listen.StopAfter = 1
	start := time.Now()
	ex = tgt.Send(context.Background(), listen)
	if ex.Outcome != wire.Cancelled || ex.CancelAt <= 0 {
		t.Fatalf("listen: outcome %v, cancel at %v; want cancelled", ex.Outcome, ex.CancelAt)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("listen took %v", d)
	}
	if len(ex.Lines) == 0 || message(t, ex.Lines[0])["method"] != "notifications/subscriptions/acknowledged" {
		t.Errorf("listen lines %q: want the acknowledgement first", ex.Lines)
	}
	if ex := tgt.Send(context.Background(), rpc(8, "server/discover", nil)); ex.Outcome != wire.Complete {
		t.Errorf("after the listen: outcome %v", ex.Outcome)
	}
}

// TestStdioHostileServers: a server that writes garbage, never answers,
// writes a 20 MiB line, or closes its output mid-request gets the right
// outcome, promptly.
func TestStdioHostileServers(t *testing.T) {
	respond := func(out io.Writer, line string) {
		var m map[string]any
		json.Unmarshal([]byte(line), &m)
		if m["id"] != nil {
			b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": m["id"], "result": map[string]any{}})
			out.Write(append(b, '\n'))
		}
	}
	t.Run("garbage", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			tgt := pipeServer(t, target.Limits{}, func(in *bufio.Reader, out io.Writer) {
				for {
					line, err := in.ReadString('\n')
					if err != nil {
						return
					}
					io.WriteString(out, "this is not JSON\n{\"half\":\n\x00\xff\n")
					respond(out, line)
				}
			})
			ex := tgt.Send(context.Background(), rpc(1, "tools/list", nil))
			if ex.Outcome != wire.Complete || len(ex.Lines) != 4 || string(ex.Lines[0]) != "this is not JSON" {
				t.Fatalf("outcome %v, lines %q; want complete with the 3 garbage lines and the response", ex.Outcome, ex.Lines)
			}
		})
	})
	t.Run("silent", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			got := make(chan string, 10)
			tgt := pipeServer(t, target.Limits{}, func(in *bufio.Reader, out io.Writer) {
				for {
					line, err := in.ReadString('\n')
					if err != nil {
						return
					}
					got <- line
				}
			})
			r := rpc(5, "tools/list", nil)
			r.Timeout = 200 * time.Millisecond
			start := time.Now()
			ex := tgt.Send(context.Background(), r)
			if ex.Outcome != wire.TimedOut || ex.CancelAt < 200*time.Millisecond {
				t.Fatalf("outcome %v, cancel at %v; want timed out and cancelled", ex.Outcome, ex.CancelAt)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
			<-got
			select {
			case c := <-got:
				if !strings.Contains(c, "notifications/cancelled") || !strings.Contains(c, `"requestId":5`) {
					t.Errorf("after the timeout the server read %q; want notifications/cancelled for 5", c)
				}
			case <-time.After(time.Second):
				t.Error("no notifications/cancelled after the timeout")
			}
		})
	})
	t.Run("huge-line", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			const huge = 20 << 20
			tgt := pipeServer(t, target.Limits{MaxResponseBytes: 1 << 20}, func(in *bufio.Reader, out io.Writer) {
				first := true
				for {
					line, err := in.ReadString('\n')
					if err != nil {
						return
					}
					if first {
						first = false
						chunk := []byte(`{"jsonrpc":"2.0","id":1,"result":{"pad":"` + strings.Repeat("x", 64<<10))
						for n := 0; n < huge; n += len(chunk) {
							if _, err := out.Write(chunk); err != nil {
								return
							}
						}
						io.WriteString(out, "\"}}\n")
						continue
					}
					respond(out, line)
				}
			})
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			ex := tgt.Send(context.Background(), rpc(1, "tools/list", nil))
			runtime.ReadMemStats(&after)
			if ex.Outcome != wire.Truncated {
				t.Fatalf("outcome %v; want truncated", ex.Outcome)
			}
			t.Logf("allocated %d KiB", (after.TotalAlloc-before.TotalAlloc)>>10)
			if grew := after.TotalAlloc - before.TotalAlloc; grew > 12<<20 {
				t.Errorf("allocated %d MiB reading a 20 MiB line with a 1 MiB limit", grew>>20)
			}
			if ex := tgt.Send(context.Background(), rpc(2, "tools/list", nil)); ex.Outcome != wire.Complete {
				t.Errorf("next request: outcome %v", ex.Outcome)
			}
		})
	})
	t.Run("never-reads", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			release := make(chan struct{})
			defer close(release)
			tgt := pipeServer(t, target.Limits{}, func(in *bufio.Reader, out io.Writer) { <-release })
			r := rpc(1, "tools/list", map[string]any{"pad": strings.Repeat("x", 1<<20)})
			r.Timeout = 200 * time.Millisecond
			start := time.Now()
			for i := range 3 {
				if ex := tgt.Send(context.Background(), r); ex.Outcome != wire.TimedOut {
					t.Fatalf("request %d: outcome %v; want timed out", i, ex.Outcome)
				}
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("took %v", d)
			}
		})
	})
	// Not in a bubble: the flooding server never blocks, so fake time
	// would never advance.
	t.Run("flood", func(t *testing.T) {
		tgt := pipeServer(t, target.Limits{MaxMessages: 100, ExitWait: 200 * time.Millisecond}, func(in *bufio.Reader, out io.Writer) {
			in.ReadString('\n')
			for {
				if _, err := io.WriteString(out, `{"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"spam"}}`+"\n"); err != nil {
					return
				}
			}
		})
		start := time.Now()
		ex := tgt.Send(context.Background(), rpc(1, "tools/list", nil))
		if ex.Outcome != wire.Truncated || len(ex.Lines) > 100 {
			t.Fatalf("outcome %v with %d lines; want truncated at 100", ex.Outcome, len(ex.Lines))
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v", d)
		}
	})
	t.Run("closes-mid-request", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			tgt := pipeServer(t, target.Limits{}, func(in *bufio.Reader, out io.Writer) {
				in.ReadString('\n')
			})
			start := time.Now()
			if ex := tgt.Send(context.Background(), rpc(1, "tools/list", nil)); ex.Outcome != wire.Dropped {
				t.Fatalf("outcome %v; want dropped", ex.Outcome)
			}
			if ex := tgt.Send(context.Background(), rpc(2, "tools/list", nil)); ex.Outcome != wire.Dropped {
				t.Fatalf("next request: outcome %v; want dropped", ex.Outcome)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("took %v", d)
			}
		})
	})
	t.Run("stray-before-request", func(t *testing.T) {
		synctest.Test(t, func(t *testing.T) {
			tgt := pipeServer(t, target.Limits{}, func(in *bufio.Reader, out io.Writer) {
				io.WriteString(out, "starting up\n")
				for {
					line, err := in.ReadString('\n')
					if err != nil {
						return
					}
					respond(out, line)
				}
			})
			time.Sleep(50 * time.Millisecond)
			ex := tgt.Send(context.Background(), rpc(1, "tools/list", nil))
			if ex.Outcome != wire.Complete || len(ex.Lines) != 2 || string(ex.Lines[0]) != "starting up" || ex.LineAt[0] > 0 {
				t.Fatalf("outcome %v, lines %q at %v; want the early line first", ex.Outcome, ex.Lines, ex.LineAt)
			}
		})
	})
}

// TestStdioProcess: a subprocess server serves, its stderr is kept, and
// Close ends it; one that exits mid-request gives Dropped; one that ignores
// the end of its input and SIGTERM is killed.
func TestStdioProcess(t *testing.T) {
	t.Run("serve", func(t *testing.T) {
		tgt, err := target.NewStdio(helperArgv("serve"), target.Limits{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if ex := tgt.Send(context.Background(), rpc(1, "server/discover", nil)); ex.Outcome != wire.Complete {
			t.Fatalf("outcome %v", ex.Outcome)
		}
		start := time.Now()
		if err := tgt.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("close took %v", d)
		}
		if !strings.Contains(tgt.Stderr(), "reference server ready") {
			t.Errorf("stderr %q", tgt.Stderr())
		}
		if !strings.HasPrefix(tgt.Describe(), "stdio: ") {
			t.Errorf("describe %q", tgt.Describe())
		}
		if ex := tgt.Send(context.Background(), rpc(2, "server/discover", nil)); ex.Outcome != wire.Dropped {
			t.Errorf("after close: outcome %v", ex.Outcome)
		}
	})
	t.Run("exit", func(t *testing.T) {
		tgt, err := target.NewStdio(helperArgv("exit"), target.Limits{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer tgt.Close()
		start := time.Now()
		if ex := tgt.Send(context.Background(), rpc(1, "server/discover", nil)); ex.Outcome != wire.Dropped {
			t.Fatalf("outcome %v; want dropped", ex.Outcome)
		}
		if ex := tgt.Send(context.Background(), rpc(2, "server/discover", nil)); ex.Outcome != wire.Dropped {
			t.Fatalf("next: outcome %v; want dropped", ex.Outcome)
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("took %v", d)
		}
		if err := tgt.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if !strings.Contains(tgt.Stderr(), "exiting mid-request") {
			t.Errorf("stderr %q", tgt.Stderr())
		}
	})
	t.Run("stubborn", func(t *testing.T) {
		const exitWait = 300 * time.Millisecond
		tgt, err := target.NewStdio(helperArgv("stubborn"), target.Limits{ExitWait: exitWait}, nil)
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(200 * time.Millisecond) // let it install its signal handler
		start := time.Now()
		if err := tgt.Close(); err == nil {
			t.Error("close of a server that does not exit: no error")
		}
		// The exit wait, two thirds of it after SIGTERM, and a second for
		// the last of stderr.
		if d := time.Since(start); d < exitWait || d > exitWait*5/3+2*time.Second {
			t.Errorf("close took %v", d)
		}
	})
	t.Run("not-found", func(t *testing.T) {
		if _, err := target.NewStdio([]string{"mcpverify-no-such-command-xyz"}, target.Limits{}, nil); err == nil {
			t.Error("no error for a missing command")
		}
		if _, err := target.NewStdio(nil, target.Limits{}, nil); err == nil {
			t.Error("no error for an empty command")
		}
	})
}

// TestStdioReferencePasses: over stdio (in process, over pipes, in a
// synctest bubble), nothing fails, warns or is inconclusive against the
// reference server, and the stdio requirements pass (exit at the end of
// input is TestStdioReferenceProcess's: it needs a process).
func TestStdioReferencePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		tgt := stdioServer(nil)(t)
		rep, err := check.Run(context.Background(), tgt, check.Options{Seed: 1, Budget: 60 * time.Second, MaxExchanges: 60})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rep.Results {
			switch r.Status {
			case check.Fail, check.Warn, check.Inconclusive:
				t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
			}
		}
		for _, id := range stdioDecided {
			want := check.Pass
			if id == spec.StdioExitOnEof {
				want = check.Skip // no process to start over pipes
			}
			if r, ok := rep.Result(id); !ok || r.Status != want {
				t.Errorf("%s: %+v; want %s", id, r, want)
			}
		}
		if rep.Exchanges == 0 {
			t.Fatal("no exchanges")
		}
	})
}

// TestStdioReferenceProcess: the reference server as a process the checker
// starts: it exits at the end of its input, and the report carries its
// stderr.
func TestStdioReferenceProcess(t *testing.T) {
	tgt, err := target.NewStdio(helperArgv("serve"), target.Limits{Timeout: 5 * time.Second}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tgt.Close()
	rep, err := check.Run(context.Background(), tgt, check.Options{Seed: 1, Budget: 30 * time.Second, Only: []string{"stdio/exit-on-eof"}})
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := rep.Result(spec.StdioExitOnEof); !ok || r.Status != check.Pass {
		t.Errorf("%s: %+v; want pass", spec.StdioExitOnEof, r)
	}
	if !strings.Contains(rep.Stderr, "reference server ready") {
		t.Errorf("report stderr %q; want the server's stderr", rep.Stderr)
	}
}
