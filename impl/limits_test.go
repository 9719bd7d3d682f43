package impl

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// served is a Server behind its own HTTPServer and Listener on loopback,
// as `mcpverify serve` runs it.
type served struct {
	s    *Server
	addr string
	url  string
}

func serveForTest(t testing.TB, cfg Config) *served {
	t.Helper()
	s := newTestServer(t, cfg)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hs := s.HTTPServer()
	go hs.Serve(s.Listener(ln))
	t.Cleanup(func() { s.Close(); hs.Close() })
	addr := ln.Addr().String()
	return &served{s: s, addr: addr, url: "http://" + addr + Endpoint}
}

// rawPost writes a POST's request line and headers on a new connection,
// declaring size bytes of body, and returns the connection.
func rawPost(t testing.TB, addr string, size int64, extra ...string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	var hdr strings.Builder
	fmt.Fprintf(&hdr, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", Endpoint, addr, size)
	fmt.Fprintf(&hdr, "MCP-Protocol-Version: %s\r\nMcp-Method: tools/call\r\nMcp-Name: test_simple_text\r\n", wire.Version)
	for _, h := range extra {
		hdr.WriteString(h + "\r\n")
	}
	hdr.WriteString("\r\n")
	c.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.WriteString(c, hdr.String()); err != nil {
		t.Fatal(err)
	}
	return c
}

// readStatus reads the status line and headers of the answer on c.
func readStatus(c net.Conn) (*http.Response, error) {
	return http.ReadResponse(bufio.NewReader(c), nil)
}

// bigBody is a tools/call body of exactly size bytes whose arguments hold
// one long string: few members, all bytes.
func bigBody(size int) []byte {
	head := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","_meta":{"io.modelcontextprotocol/protocolVersion":"` + wire.Version + `","io.modelcontextprotocol/clientCapabilities":{}},"arguments":{"pad":"`
	tail := `"}}}`
	return append(append([]byte(head), bytes.Repeat([]byte("x"), size-len(head)-len(tail))...), tail...)
}

// manyKeysBody is a tools/call body of about size bytes whose arguments
// hold as many short members as fit.
func manyKeysBody(size int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","_meta":{"io.modelcontextprotocol/protocolVersion":"` + wire.Version + `","io.modelcontextprotocol/clientCapabilities":{}},"arguments":{`)
	for i := 0; b.Len() < size-32; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"k%d":%d`, i, i%10)
	}
	b.WriteString(`}}}`)
	return b.Bytes()
}

// rss returns the resident set of this process, in bytes (Linux).
func rss(t testing.TB) int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		t.Skip("no /proc/self/statm: resident memory is measured on Linux")
	}
	f := strings.Fields(string(b))
	pages, _ := strconv.ParseInt(f[1], 10, 64)
	return pages * int64(os.Getpagesize())
}

// peakRSS samples the resident set every 10 ms until stop is closed and
// returns the highest value seen.
func peakRSS(t testing.TB, stop <-chan struct{}) <-chan int64 {
	out := make(chan int64, 1)
	go func() {
		peak := rss(t)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				out <- max(peak, rss(t))
				return
			case <-tick.C:
				peak = max(peak, rss(t))
			}
		}
	}()
	return out
}

// TestHeldBodies reproduces the attack of 200 connections that each
// declare a body of the largest size, send all of it but one byte and
// hold: without credentials where the server requires them (each is
// answered 401 at once and closed, nothing of its body read), and on a
// server without authentication (bodies are read only within the bytes in
// flight, the others refused at once, and every held connection is closed
// at the body deadline). Either way the process grows by less than 100 MB
// (the attack took 2.36 GB before), and every connection is closed within
// the body deadline.
func TestHeldBodies(t *testing.T) {
	if testing.Short() {
		t.Skip("200 connections holding 4 MiB bodies")
	}
	const conns = 200
	const deadline = 2 * time.Second
	payload := bigBody(DefaultMaxBodyBytes)
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"unauthenticated", Config{Tokens: testTokens, BodyTimeout: deadline}},
		{"no authentication", Config{BodyTimeout: deadline}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := serveForTest(t, c.cfg)
			runtime.GC()
			debug.FreeOSMemory()
			base := rss(t)
			stop := make(chan struct{})
			peak := peakRSS(t, stop)
			start := time.Now()
			var wg sync.WaitGroup
			var late atomic.Int64
			var slowest atomic.Int64
			for range conns {
				wg.Add(1)
				go func() {
					defer wg.Done()
					conn := rawPost(t, srv.addr, int64(len(payload)))
					defer conn.Close()
					conn.SetDeadline(time.Now().Add(deadline + 10*time.Second))
					go conn.Write(payload[:len(payload)-1]) // fails once the server closes
					io.Copy(io.Discard, conn)               // until the server closes
					took := time.Since(start)
					if took > deadline+2*time.Second {
						late.Add(1)
					}
					for {
						if cur := slowest.Load(); int64(took) <= cur || slowest.CompareAndSwap(cur, int64(took)) {
							break
						}
					}
				}()
			}
			wg.Wait()
			close(stop)
			grown := <-peak - base
			t.Logf("%d connections: resident memory grew by %.1f MB at most; the last was closed after %v (body deadline %v)",
				conns, float64(grown)/1e6, time.Duration(slowest.Load()).Round(time.Millisecond), deadline)
			if grown > 100e6 && !raceDetector {
				t.Errorf("resident memory grew by %.1f MB; want less than 100 MB", float64(grown)/1e6)
			}
			if n := late.Load(); n > 0 {
				t.Errorf("%d connections were still open 2 s after the body deadline", n)
			}
			if mine, all := srv.s.bodies.held(""); mine != 0 || all != 0 {
				t.Errorf("bodies in flight after the attack: %d bytes", all)
			}
			// The server still serves.
			if r := doHTTP(t, "POST", srv.url, rpc{Method: "server/discover", Headers: map[string]string{"Authorization": "Bearer " + tokAlice}}); r.status != 200 {
				t.Errorf("after the attack: %d %s", r.status, r.body)
			}
		})
	}
}

// TestUnauthenticatedBodyNotRead: a request without credentials is
// answered 401 before its body arrives, and its connection closed.
func TestUnauthenticatedBodyNotRead(t *testing.T) {
	srv := serveForTest(t, Config{Tokens: testTokens})
	conn := rawPost(t, srv.addr, DefaultMaxBodyBytes)
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	res, err := readStatus(conn)
	if err != nil {
		t.Fatalf("no answer before the body: %v", err)
	}
	if res.StatusCode != http.StatusUnauthorized || !res.Close {
		t.Errorf("HTTP %d, close %v; want 401 and the connection closed", res.StatusCode, res.Close)
	}
}

// TestBodyLimits: the limits on one body, each refusal naming its limit.
func TestBodyLimits(t *testing.T) {
	srv := serveForTest(t, Config{BodyTimeout: 300 * time.Millisecond, MaxBodyBytes: 1 << 20, MaxBodyBytesInFlight: 1 << 20})
	t.Run("declared too large", func(t *testing.T) {
		conn := rawPost(t, srv.addr, 2<<20)
		defer conn.Close()
		res, err := readStatus(conn)
		if err != nil || res.StatusCode != http.StatusRequestEntityTooLarge {
			t.Fatalf("%v %v", res, err)
		}
	})
	t.Run("too slow", func(t *testing.T) {
		conn := rawPost(t, srv.addr, 100)
		defer conn.Close()
		io.WriteString(conn, `{"jsonrpc":`)
		start := time.Now()
		res, err := readStatus(conn)
		if err != nil || res.StatusCode != http.StatusRequestTimeout || !res.Close {
			t.Fatalf("%v %v", res, err)
		}
		body, _ := io.ReadAll(res.Body)
		if !strings.Contains(string(body), "Config.BodyTimeout") || time.Since(start) > 5*time.Second {
			t.Errorf("after %v: %s", time.Since(start), body)
		}
	})
	t.Run("bodies in flight", func(t *testing.T) {
		// One body holds the whole budget while it arrives; the next is
		// refused at once with 503, naming the limit.
		hold := rawPost(t, srv.addr, 1<<20)
		defer hold.Close()
		io.WriteString(hold, `{"jsonrpc":`)
		waitFor(t, func() bool { _, all := srv.s.bodies.held(""); return all > 0 })
		conn := rawPost(t, srv.addr, 10)
		defer conn.Close()
		res, err := readStatus(conn)
		if err != nil || res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
			t.Fatalf("%v %v", res, err)
		}
		body, _ := io.ReadAll(res.Body)
		if !strings.Contains(string(body), "Config.MaxBodyBytesInFlight") || !strings.Contains(string(body), fmt.Sprint(codeLimit)) {
			t.Errorf("%s", body)
		}
	})
	waitFor(t, func() bool { _, all := srv.s.bodies.held(""); return all == 0 })
	t.Run("chunked", func(t *testing.T) {
		// A reader of unknown length: the client sends it chunked.
		req, _ := http.NewRequest("POST", srv.url, io.MultiReader(bytes.NewReader(discover.body())))
		req.ContentLength = -1
		req.Header = http.Header{"Content-Type": {"application/json"}, "Mcp-Protocol-Version": {wire.Version}, "Mcp-Method": {"server/discover"}}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Errorf("chunked discover: %d", res.StatusCode)
		}
		big := bigBody(2 << 20)
		req, _ = http.NewRequest("POST", srv.url, io.MultiReader(bytes.NewReader(big)))
		req.ContentLength = -1
		req.Header = http.Header{"Content-Type": {"application/json"}}
		res, err = http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			if res.StatusCode != http.StatusRequestEntityTooLarge {
				t.Errorf("chunked 2 MiB body: %d", res.StatusCode)
			}
		}
	})
}

// TestManyMembersRefusedEarly reproduces the decoding amplification: one
// body of 4 MiB holding 358,750 argument members (0.7 s of CPU and 175 MB
// when decoded). It is refused with -32602 naming Config.MaxMembers as
// soon as the count passes the limit, before the rest arrives: the server
// allocates a small fraction of the body, and decodes none of it.
func TestManyMembersRefusedEarly(t *testing.T) {
	srv := serveForTest(t, Config{})
	body := manyKeysBody(DefaultMaxBodyBytes)
	var sh wire.Shape
	sh.Scan(body)
	if sh.Members < 350000 {
		t.Fatalf("the body has %d members", sh.Members)
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	conn := rawPost(t, srv.addr, int64(len(body)))
	defer conn.Close()
	go conn.Write(body)
	res, err := readStatus(conn)
	if err != nil {
		t.Fatal(err)
	}
	msg, _ := io.ReadAll(res.Body)
	runtime.ReadMemStats(&after)
	if res.StatusCode != 400 || !strings.Contains(string(msg), fmt.Sprint(wire.CodeInvalidParams)) || !strings.Contains(string(msg), "Config.MaxMembers") {
		t.Errorf("HTTP %d %s", res.StatusCode, msg)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 4<<20 {
		t.Errorf("refusing it allocated %d bytes; want less than the body (%d)", alloc, len(body))
	}
	// Within the limit, a body dense in members is served.
	ok := manyKeysBody(50 << 10)
	r := doHTTP(t, "POST", srv.url, rpc{Raw: ok, Method: "tools/call", Params: map[string]any{"name": "test_simple_text"}})
	if r.status != 200 || r.errCode() != 0 {
		t.Errorf("%d members: %d %s", strings.Count(string(ok), ":"), r.status, r.body)
	}
	// On stdio too, before decoding (the line is measured first).
	s := newTestServer(t, Config{})
	if out := s.handleForTest(body); !bytes.Contains(out, []byte("Config.MaxMembers")) || !bytes.Contains(out, []byte(`"id":1`)) {
		t.Errorf("through the core: %.300s", out)
	}
}

// TestConnLimit: Listener serves at most Config.MaxConns connections at
// once; the next is served when one closes.
func TestConnLimit(t *testing.T) {
	srv := serveForTest(t, Config{MaxConns: 2})
	var held []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", srv.addr)
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "POST", srv.url, bytes.NewReader(discover.body()))
	req.Header = http.Header{"Content-Type": {"application/json"}, "Mcp-Protocol-Version": {wire.Version}, "Mcp-Method": {"server/discover"}}
	if res, err := http.DefaultClient.Do(req); err == nil {
		res.Body.Close()
		t.Fatalf("a third connection was served (%d) while two were open", res.StatusCode)
	}
	held[0].Close()
	if r := doHTTP(t, "POST", srv.url, discover); r.status != 200 {
		t.Errorf("after one closed: %d", r.status)
	}
	held[1].Close()
}

// TestListenOutlivesBodyDeadline: the body deadline is lifted once the
// body is in, so a listen stream lives on past it.
func TestListenOutlivesBodyDeadline(t *testing.T) {
	srv := serveForTest(t, Config{BodyTimeout: 200 * time.Millisecond})
	st := openStream(t, srv.harness(t), listenRPC(1, nil, nil))
	if m := st.next(); m["method"] != "notifications/subscriptions/acknowledged" {
		t.Fatalf("first event %v", m)
	}
	time.Sleep(600 * time.Millisecond)
	srv.s.hub.publish(topicTools, "")
	if m := st.next(); m["method"] != "notifications/tools/list_changed" {
		t.Errorf("after the body deadline: %v", m)
	}
}

func (srv *served) harness(t *testing.T) *harness {
	return &harness{t: t, s: srv.s, url: srv.url}
}

// listenRPC is a subscriptions/listen for tool changes and the given
// resource URIs, with extra headers.
func listenRPC(id int, uris []string, hdr map[string]string) rpc {
	f := map[string]any{"toolsListChanged": true}
	if uris != nil {
		f["resourceSubscriptions"] = uris
	}
	return rpc{ID: id, Method: "subscriptions/listen", Params: map[string]any{"notifications": f}, Headers: hdr}
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(5 * time.Second); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("timed out")
}

// listenBudget is the stated memory budget of one listen stream at its
// limits (DefaultMaxListenURIs URIs of listenURIBytes bytes each), both
// ends of it in this process: what the server holds for the stream (the
// decoded URIs, the filter and URI set, the connection's buffers and
// goroutines: about 120 KiB, by a heap profile) and the test client's
// connection (its request, and a scanner buffer that holds the 70 KB
// acknowledgment line).
const listenBudget = 512 << 10

// TestListenQuotas reproduces the listen-stream attack (one listen naming
// 130,000 URIs added 57 MB; 40 such streams 1.64 GB): a listen names at
// most MaxListenURIs URIs; one principal holding the most streams it may,
// each with the most URIs, stays within its budget and does not keep
// another principal from listening; the server's own cap is refused with
// 503. Every refusal names its limit.
func TestListenQuotas(t *testing.T) {
	srv := serveForTest(t, Config{Tokens: testTokens})
	h := srv.harness(t)
	alice := map[string]string{"Authorization": "Bearer " + tokAlice}
	uris := func(n, size int) []string {
		out := make([]string, n)
		for i := range out {
			id := fmt.Sprintf("%d-", i)
			id += strings.Repeat("u", size-len("test://template//data")-len(id))
			out[i] = "test://template/" + id + "/data"
		}
		return out
	}
	refused := func(r *resp, status int, code int64, limit string) {
		t.Helper()
		msg, _ := get(r.msg, "error", "message").(string)
		if r.status != status || r.errCode() != code || !strings.Contains(msg, limit) {
			t.Errorf("HTTP %d %s; want %d, code %d and a message naming %s", r.status, r.body, status, code, limit)
		}
	}
	// One listen: at most MaxListenURIs URIs, of listenURIBytes each on
	// average, refused before anything is built from them.
	refused(h.do(listenRPC(1, uris(DefaultMaxListenURIs+1, 40), alice)), 400, wire.CodeInvalidParams, "Config.MaxListenURIs")
	refused(h.do(listenRPC(1, uris(DefaultMaxListenURIs, listenURIBytes+40), alice)), 400, wire.CodeInvalidParams, "Config.MaxListenURIs")

	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	most := uris(DefaultMaxListenURIs, listenURIBytes)
	var streams []*stream
	for i := range DefaultMaxListensPerPrincipal {
		st := openStream(t, h, listenRPC(100+i, most, alice))
		ack := st.next()
		if n := len(get(ack, "params", "notifications", "resourceSubscriptions").([]any)); n != DefaultMaxListenURIs {
			t.Fatalf("stream %d acknowledged %d URIs", i, n)
		}
		streams = append(streams, st)
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	t.Logf("%d streams of %d URIs (%d bytes each): the heap grew by %.2f MB (budget %.2f MB)", len(streams), DefaultMaxListenURIs, listenURIBytes,
		float64(grown)/1e6, float64(DefaultMaxListensPerPrincipal*listenBudget)/1e6)
	if grown > DefaultMaxListensPerPrincipal*listenBudget && !raceDetector {
		t.Errorf("the heap grew by %d bytes; the budget is %d", grown, DefaultMaxListensPerPrincipal*listenBudget)
	}
	// Alice has all she may; bob is not blocked.
	refused(h.do(listenRPC(200, nil, alice)), http.StatusTooManyRequests, codeLimit, "Config.MaxListensPerPrincipal")
	bob := openStream(t, h, listenRPC(300, most, map[string]string{"Authorization": "Bearer " + tokBob}))
	if m := bob.next(); m["method"] != "notifications/subscriptions/acknowledged" {
		t.Errorf("bob: %v", m)
	}
	srv.s.hub.publish(topicTools, "")
	for _, st := range append(streams, bob) {
		if m := st.next(); m["method"] != "notifications/tools/list_changed" {
			t.Errorf("after a change: %v", m)
		}
	}
	// A stream that ends gives its place back.
	streams[0].cancel()
	waitFor(t, func() bool { mine, _ := srv.s.listens.held("alice"); return mine < DefaultMaxListensPerPrincipal })
	st := openStream(t, h, listenRPC(400, nil, alice))
	if m := st.next(); m["method"] != "notifications/subscriptions/acknowledged" {
		t.Errorf("alice again: %v", m)
	}

	// The server's cap, which no one principal reaches alone.
	toks := map[string]string{tokAlice: "alice", tokBob: "bob", "tok-carol-0123456789": "carol"}
	small := serveForTest(t, Config{Tokens: toks, MaxListens: 4, MaxListensPerPrincipal: 2})
	hs := small.harness(t)
	for _, tok := range []string{tokAlice, tokAlice, tokBob, tokBob} {
		openStream(t, hs, listenRPC(1, nil, map[string]string{"Authorization": "Bearer " + tok})).next()
	}
	refused(hs.do(listenRPC(1, nil, map[string]string{"Authorization": "Bearer tok-carol-0123456789"})), http.StatusServiceUnavailable, codeLimit, "Config.MaxListens")
	if _, err := New(Config{MaxListens: 4, MaxListensPerPrincipal: 4}); err == nil {
		t.Error("a principal's share equal to the server's cap was accepted")
	}
}
