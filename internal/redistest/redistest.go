// Package redistest starts a real redis-server for tests: on a free
// loopback port, without persistence, stopped when the test ends.
//
// When redis-server is not on PATH the test is skipped, saying so, unless
// the environment variable MCPVERIFY_REQUIRE_REDIS is set (make test and CI
// set it): then it fails, so that a run never passes by skipping the
// tests of the shared store.
package redistest

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"
)

// RequireEnv is the environment variable that turns a missing
// redis-server into a failure.
const RequireEnv = "MCPVERIFY_REQUIRE_REDIS"

// Server is a running redis-server.
type Server struct {
	// Addr is its host:port on the loopback interface.
	Addr   string
	cmd    *exec.Cmd
	exited chan struct{} // closed when the process has exited
}

// URL returns the redis:// URL of database db.
func (s *Server) URL(db int) string { return fmt.Sprintf("redis://%s/%d", s.Addr, db) }

// Start starts a redis-server for t, stopped by t.Cleanup. It skips or
// fails t when redis-server is not on PATH (see the package doc).
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv(RequireEnv) != "" {
			t.Fatalf("redis-server is not on PATH and %s is set: install it (apt-get install redis-server)", RequireEnv)
		}
		t.Skipf("redis-server is not on PATH: skipping the tests of the Redis store (set %s=1 to make this a failure)", RequireEnv)
	}
	var lastErr error
	// A port found free may be taken before redis-server binds it: try a
	// few.
	for range 5 {
		s, err := start(bin)
		if err == nil {
			t.Cleanup(s.stop)
			return s
		}
		lastErr = err
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

func start(bin string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	// Its output is read only once it has exited (Wait has then copied
	// all of it).
	var log bytes.Buffer
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes")
	cmd.Stdout, cmd.Stderr = &log, &log
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	s := &Server{Addr: addr, cmd: cmd, exited: exited}
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return nil, fmt.Errorf("redis-server exited: %s", log.String())
		default:
		}
		if ping(addr) {
			return s, nil
		}
		time.Sleep(10 * time.Millisecond)
	}
	cmd.Process.Kill()
	<-exited
	return nil, fmt.Errorf("redis-server did not answer on %s within 10s: %s", addr, log.String())
}

// stop kills the server and waits for it.
func (s *Server) stop() {
	s.cmd.Process.Kill()
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
	}
}

// ping reports whether a Redis answers PING at addr.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && line == "+PONG\r\n"
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
