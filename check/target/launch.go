package target

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Server is an HTTP server process the checker started (check --command
// with --url): it is up before the run starts and stopped after it.
type Server struct {
	argv   []string
	cmd    *exec.Cmd
	output *tailBuffer
	exited chan struct{}
}

// launchOutputTail bounds the output of a launched server kept for
// messages.
const launchOutputTail = 16 << 10

// Launch starts argv and waits, at most wait, until the host and port of
// endpoint accept a TCP connection. The process's stdout and stderr are
// kept (their last 16 KiB, see Output) and copied to echo if it is
// non-nil. A process that exits first, or a port that does not open in
// time, is an error that quotes the output; the process is then stopped.
func Launch(argv []string, endpoint string, wait time.Duration, echo io.Writer) (*Server, error) {
	if len(argv) == 0 || argv[0] == "" {
		return nil, errors.New("launch: empty command")
	}
	u, err := url.Parse(endpoint)
	if err != nil || u.Host == "" {
		return nil, fmt.Errorf("launch: endpoint %q: want an http URL with a host", endpoint)
	}
	addr := u.Host
	if u.Port() == "" {
		port := "80"
		if u.Scheme == "https" {
			port = "443"
		}
		addr = net.JoinHostPort(u.Hostname(), port)
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return nil, fmt.Errorf("launch: %w", err)
	}
	cmd := exec.Command(path, argv[1:]...)
	cmd.Args[0] = argv[0]
	s := &Server{argv: append([]string(nil), argv...), cmd: cmd, output: &tailBuffer{max: launchOutputTail}, exited: make(chan struct{})}
	var w io.Writer = s.output
	if echo != nil {
		w = io.MultiWriter(s.output, echo)
	}
	cmd.Stdout, cmd.Stderr = w, w
	// Its own process group, so that a server started through a shell is
	// stopped with its children; output copying ends a second after it
	// exits even if a child holds the pipe.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.WaitDelay = time.Second
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("launch: start %s: %w", argv[0], err)
	}
	go func() {
		cmd.Wait()
		close(s.exited)
	}()
	deadline := time.Now().Add(wait)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return s, nil
		}
		select {
		case <-s.exited:
			return nil, fmt.Errorf("launch: %s exited (%s) before %s accepted a connection%s", argv[0], cmd.ProcessState, addr, s.quote())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.Close()
			return nil, fmt.Errorf("launch: %s did not accept a connection on %s within %v%s", argv[0], addr, wait, s.quote())
		}
	}
}

// quote is the tail of the output, for an error message.
func (s *Server) quote() string {
	out := strings.TrimSpace(s.output.String())
	if out == "" {
		return ""
	}
	if len(out) > 2048 {
		out = "..." + out[len(out)-2048:]
	}
	return "; its output:\n" + out
}

// Output returns the last 16 KiB the process wrote.
func (s *Server) Output() string { return s.output.String() }

// Close stops the process: SIGTERM, and SIGKILL after two seconds.
func (s *Server) Close() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.exited:
		return nil
	case <-time.After(2 * time.Second):
	}
	syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	select {
	case <-s.exited:
	case <-ctx.Done():
		return fmt.Errorf("launch: %s did not exit after SIGKILL", s.argv[0])
	}
	return nil
}
