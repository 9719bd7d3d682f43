package probe

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// Raw exchanges: requests written over a connection of their own, for
// what net/http would refuse to send (malformed header lines) or would
// not let the checker time (a body declared and not sent).

// RawURL returns the plain-http URL of the first target, if it is one.
func RawURL(e *check.Env) (*url.URL, bool) {
	if e.Transport() != wire.HTTP {
		return nil, false
	}
	u, err := TargetURL(e, 0)
	if err != nil || u.Scheme != "http" {
		return nil, false
	}
	return u, true
}

// RawAddr is the host:port a raw connection to u dials.
func RawAddr(u *url.URL) string {
	return net.JoinHostPort(u.Hostname(), wire.EffectivePort(u))
}

// RawRequest writes r as an HTTP/1.1 request to u, without the header
// drop and with extra written verbatim after the others.
func RawRequest(u *url.URL, r *check.Request, drop, extra string) []byte {
	var b strings.Builder
	method := r.HTTPMethod
	if method == "" {
		method = "POST"
	}
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\n", method, u.RequestURI(), u.Host)
	keys := make([]string, 0, len(r.Header))
	for k := range r.Header {
		switch {
		case strings.EqualFold(k, "Host"), strings.EqualFold(k, "Content-Length"), strings.EqualFold(k, "Connection"):
			continue
		case drop != "" && strings.EqualFold(k, drop):
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range r.Header[k] {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	if extra != "" {
		b.WriteString(extra + "\r\n")
	}
	fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n", len(r.Body))
	b.Write(r.Body)
	return []byte(b.String())
}

// maxRawResponse bounds what is read of a raw exchange's response.
const maxRawResponse = 1 << 20

// RawAnswer is what a raw exchange got: the status, and whether the body
// held a JSON-RPC result (the request was served).
type RawAnswer struct {
	Status int
	Served bool
}

// RawExchange writes raw to addr over a new connection (dialled by the
// target, else over TCP) and reads the response, bounded in size and
// time.
func RawExchange(ctx context.Context, dialer check.Dialer, addr string, raw []byte, timeout time.Duration) (RawAnswer, error) {
	if dialer == nil {
		dialer = &net.Dialer{Timeout: 5 * time.Second}
	}
	conn, err := dialer.DialContext(ctx, "tcp", addr)
	if err != nil {
		return RawAnswer{}, fmt.Errorf("dial %s: %w", addr, err)
	}
	defer conn.Close()
	deadline := time.Now().Add(timeout)
	if dl, ok := ctx.Deadline(); ok && dl.Before(deadline) {
		deadline = dl
	}
	if err := conn.SetDeadline(deadline); err != nil {
		return RawAnswer{}, fmt.Errorf("set deadline: %w", err)
	}
	if _, err := conn.Write(raw); err != nil {
		return RawAnswer{}, fmt.Errorf("write the request: %w", err)
	}
	br := bufio.NewReader(io.LimitReader(conn, maxRawResponse))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return RawAnswer{}, fmt.Errorf("read the response: %w", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxRawResponse))
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	a := RawAnswer{Status: resp.StatusCode}
	msgs, _ := wire.SplitHTTPBody(ct, body)
	for _, m := range msgs {
		if msg, err := wire.DecodeMessage(m); err == nil {
			if _, ok := msg.(*wire.JSONRPCResultResponse); ok {
				a.Served = true
			}
		}
	}
	return a, nil
}
