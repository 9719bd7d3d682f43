package selftest_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
)

// buildCLI builds cmd/mcpverify into a temporary directory: the product's
// binary, so that its memory is measured, not a test binary's.
func buildCLI(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mcpverify")
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	cmd := exec.Command(gobin, "build", "-o", bin, "github.com/mcpverify/mcpverify/cmd/mcpverify")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// processBudget is each process run's budget; processRSS bounds how much
// more resident memory (peak, its ru_maxrss) the checker process may take
// against a hostile server than a run of the same budget against the
// reference server (the control, measured in the same test: the
// checker's own size grows with its checks, and a run against a healthy
// server is what the bound is relative to; a reader that were not bounded
// would take gigabytes). A response is read up to 8 MiB (target.Limits'
// MaxResponseBytes) and decoded, and the collector lets the heap grow to
// twice what is live: six times that limit above the control. Measured:
// the control takes 29 MiB, the hostile runs 52 to 66 MiB.
// The exit statuses of mcpverify (its documented API).
const (
	exitOK         = 0
	exitIncomplete = 4
)

const (
	processBudget = 2 * time.Second
	processRSS    = 6 * 8 << 20
)

// TestHostileServersProcess: `mcpverify check --url` against each hostile
// server (misbehaving on every request, and after a correct discovery), as
// a process of its own: it ends within twice its budget, its peak resident
// memory stays within processRSS of the control run's, and it exits with
// status 4 (incomplete)
// naming the cause (or 3, when a violation was shown as well), never 0.
func TestHostileServersProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("each hostile server takes a budget")
	}
	bin := buildCLI(t)
	ref, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer ref.Close()
	type run struct {
		name string
		h    http.Handler
		stop chan struct{}
	}
	var runs []run
	for _, h := range faulty.Hostile() {
		for _, after := range []bool{false, true} {
			r := run{name: h.Name, stop: make(chan struct{})}
			var disc http.Handler
			if after {
				r.name += "/after-discovery"
				disc = ref.Handler()
			}
			r.h = h.Handler(disc, r.stop)
			runs = append(runs, r)
		}
	}
	// Stdio servers, as scripts: one that exits after its first answer
	// (with a word on stderr), one that never ends its line.
	dir := t.TempDir()
	scripts := map[string]string{
		"stdio-exits-after-first-answer": `read line; echo '{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete"}}'; echo 'fatal: out of cheese' >&2; exit 3`,
		"stdio-never-ends-its-line":      `read line; printf '{"jsonrpc":"2.0","id":1,"result":{"pad":"'; exec tr '\0' a < /dev/zero`,
	}
	var stdio []string
	for name, body := range scripts {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		stdio = append(stdio, path)
	}
	ctrl := httptest.NewServer(ref.Handler())
	_, controlRSS, _, _ := runCLIProcess(bin, "check", "--url", ctrl.URL+impl.Endpoint, "--budget", processBudget.String(), "--seed", "1")
	ctrl.Close()
	t.Logf("control (the reference server): peak RSS %d MiB", controlRSS>>20)
	judgeProcessRun := func(t *testing.T, name string, code int, rss int64, took time.Duration, out string) {
		judgeProcessRunWithin(t, name, code, rss, controlRSS+processRSS, took, out)
	}
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	for _, r := range runs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			srv := httptest.NewServer(r.h)
			defer func() { close(r.stop); srv.CloseClientConnections(); srv.Close() }()
			code, rss, took, out := runCLIProcess(bin, "check", "--url", srv.URL+impl.Endpoint, "--budget", processBudget.String(), "--seed", "1")
			t.Run(r.name, func(t *testing.T) { judgeProcessRun(t, r.name, code, rss, took, out) })
		}()
	}
	for _, path := range stdio {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			code, rss, took, out := runCLIProcess(bin, "check", "--command", path, "--budget", processBudget.String(), "--seed", "1")
			t.Run(filepath.Base(path), func(t *testing.T) { judgeProcessRun(t, filepath.Base(path), code, rss, took, out) })
		}()
	}
	wg.Wait()
}

// judgeProcessRunWithin: within twice the budget, a peak RSS under
// maxRSS, and a non-zero status; 4 names its cause.
func judgeProcessRunWithin(t *testing.T, name string, code int, rss, maxRSS int64, took time.Duration, out string) {
	t.Logf("%s: exit %d, peak RSS %d MiB, %s", name, code, rss>>20, took.Round(time.Millisecond))
	if took > 2*processBudget+1500*time.Millisecond {
		t.Errorf("the run took %s; want at most twice its budget (%s)", took.Round(time.Millisecond), processBudget)
	}
	if rss > maxRSS && !raceDetector {
		t.Errorf("peak RSS %d MiB; want at most %d MiB (the control run's and %d MiB)", rss>>20, maxRSS>>20, processRSS>>20)
	}
	if code == exitOK {
		t.Errorf("exit 0 against a hostile server:\n%s", out)
	}
	if code == exitIncomplete && !strings.Contains(out, "INCOMPLETE: ") {
		t.Errorf("exit 4 without the cause in the report:\n%s", out)
	}
}

// runCLIProcess runs the mcpverify binary bin with args and returns
// its exit status, peak resident memory, wall time and output.
func runCLIProcess(bin string, args ...string) (int, int64, time.Duration, string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if err != nil && cmd.ProcessState == nil {
		return -1, 0, took, fmt.Sprintf("run %v: %v", args, err)
	}
	var rss int64
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		rss = ru.Maxrss << 10 // kilobytes on Linux
	}
	return cmd.ProcessState.ExitCode(), rss, took, out.String()
}

// TestInterruptProcess: SIGINT stops a run: the partial report is written,
// marked interrupted, and the status is 130.
func TestInterruptProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the checker as a process")
	}
	bin := buildCLI(t)
	cmd := exec.Command(bin, "check", "--budget", "60s", "--seed", "1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(os.Interrupt)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the run did not stop within 30 s of SIGINT:\n%s", out.String())
	}
	if code := cmd.ProcessState.ExitCode(); code != 130 || !strings.Contains(out.String(), "INTERRUPTED: ") {
		t.Errorf("exit %d; want 130 and the report marked interrupted:\n%s", code, out.String())
	}
}
