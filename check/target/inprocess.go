package target

import (
	"context"
	"net"
	"net/http"
	"sync"
	"time"
)

// InProcess serves handler in this process and returns an HTTP target for
// it that reaches it over in-memory connections (net.Pipe) instead of
// sockets: the whole HTTP/1.1 stack of both sides runs as over TCP
// (connection reuse, lanes, fresh connections, raw header lines), each
// connection with a remote address of its own, but nothing waits on the
// network, so that a test can run it under testing/synctest. The URL is
// http://127.0.0.1:8080/mcp (a loopback name, as the checks of local servers
// want). Close stops the server too.
func InProcess(handler http.Handler, limits Limits) *HTTP {
	l := &memListener{conns: make(chan net.Conn), done: make(chan struct{})}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan struct{})
	go func() {
		defer close(served)
		_ = srv.Serve(l)
	}()
	t := newHTTP("http://"+memHost+"/mcp", limits, l.dial)
	t.stop = func() {
		srv.Close()
		l.Close()
		<-served
	}
	return t
}

// memHost is the host of an in-process target's URL.
const memHost = "127.0.0.1:8080"

// memListener accepts the server ends of in-memory connections.
type memListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	mu    sync.Mutex
	n     int
}

func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *memListener) Addr() net.Addr { return memLocal }

// dial opens a connection to the server: the client end of a pipe whose
// server end Accept returns, with a remote address of its own.
func (l *memListener) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	l.mu.Lock()
	l.n++
	n := l.n
	l.mu.Unlock()
	c := &memConn{Conn: server, remote: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000 + n}}
	select {
	case l.conns <- c:
		return client, nil
	case <-l.done:
		client.Close()
		server.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		client.Close()
		server.Close()
		return nil, ctx.Err()
	}
}

// memConn is a server end with its own remote address.
type memConn struct {
	net.Conn
	remote *net.TCPAddr
}

func (c *memConn) RemoteAddr() net.Addr { return c.remote }
func (c *memConn) LocalAddr() net.Addr  { return memLocal }

// memLocal is the server's address: that of memHost, as TCP addresses
// (servers read the port a request arrived at from it).
var memLocal = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}
