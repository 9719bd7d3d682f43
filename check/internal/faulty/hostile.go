package faulty

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Hostile servers misbehave at the transport level: they never answer,
// stall, stream forever, send gigabytes, loop on redirects or cut
// connections. The checker must come out of each with inconclusive or
// failed requirements, bounded in time and memory, never hanging or
// crashing (the hostile-server tests of package check).

// HostileServer is one transport-level misbehavior.
type HostileServer struct {
	// Name is unique, e.g. "never-answers".
	Name string
	// What says what the server does, in a sentence.
	What string
	// serve misbehaves on one request until stop is closed or the client
	// goes away.
	serve func(w http.ResponseWriter, r *http.Request, stop <-chan struct{})
}

// Handler returns the hostile handler. With ref set, the requests of
// discovery (server/discover and the lists, by their Mcp-Method header) are
// served by ref, a well-behaved server, so that the checks run and meet
// the misbehavior on everything else. Every handler returns once stop is
// closed or the client has gone.
func (h *HostileServer) Handler(ref http.Handler, stop <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ref != nil && discoveryMethods[r.Header.Get("Mcp-Method")] {
			ref.ServeHTTP(w, r)
			return
		}
		h.serve(w, r, stop)
	})
}

// nested is three million arrays, opened and closed (made on first use).
var nested = sync.OnceValue(func() []byte { return []byte(strings.Repeat("[", 3<<20) + strings.Repeat("]", 3<<20)) })

var discoveryMethods = map[string]bool{
	"server/discover": true, "tools/list": true, "prompts/list": true, "resources/list": true, "resources/templates/list": true,
}

// Hostile returns every hostile server.
func Hostile() []*HostileServer {
	return []*HostileServer{
		{Name: "never-answers", What: "accepts the request and never answers", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			wait(r, stop, 0)
		}},
		{Name: "headers-then-stall", What: "sends 200 and JSON headers, then nothing", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			flush(w)
			wait(r, stop, 0)
		}},
		{Name: "sse-headers-then-stall", What: "opens an SSE stream and sends nothing on it", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			flush(w)
			wait(r, stop, 0)
		}},
		{Name: "sse-comments-forever", What: "streams SSE comments as fast as it can, forever", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat(": keep-alive\n\n", 4096))
			stream(w, r, stop, 0, func() []byte { return chunk })
		}},
		{Name: "sse-events-forever", What: "streams valid notifications as fast as it can, forever", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			ev := `data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"` + strings.Repeat("x", 512) + `"}}` + "\n\n"
			chunk := []byte(strings.Repeat(ev, 64))
			stream(w, r, stop, 0, func() []byte { return chunk })
		}},
		{Name: "gigabytes-json", What: "answers with a JSON body of 4 GiB (one string that never ends)", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", fmt.Sprint(int64(4)<<30))
			w.WriteHeader(http.StatusOK)
			head := []byte(`{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","pad":"`)
			chunk := []byte(strings.Repeat("a", 64<<10))
			first := true
			stream(w, r, stop, int64(4)<<30, func() []byte {
				if first {
					first = false
					return head
				}
				return chunk
			})
		}},
		{Name: "gigabytes-sse-line", What: "sends one SSE data line of 100 MiB", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "text/event-stream")
			w.WriteHeader(http.StatusOK)
			head := []byte(`data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"`)
			chunk := []byte(strings.Repeat("y", 64<<10))
			first := true
			stream(w, r, stop, 100<<20, func() []byte {
				if first {
					first = false
					return head
				}
				return chunk
			})
		}},
		{Name: "deeply-nested", What: "answers with a JSON body of 6 MiB nested three million arrays deep", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write(nested())
		}},
		{Name: "refuses-everything", What: "answers every request with HTTP 400 and -32602 (invalid params)", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			msg, _ := message(r)
			writeRPCError(w, http.StatusBadRequest, hdrID(msg), -32602, "Invalid params")
		}},
		{Name: "slow-drip", What: "answers one byte every 50 ms, forever", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			b := []byte(" ")
			stream(w, r, stop, 0, func() []byte {
				if !wait(r, stop, 50*time.Millisecond) {
					return nil
				}
				return b
			})
		}},
		{Name: "redirect-loop", What: "answers every request with a 301 to itself", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			w.Header().Set("Location", r.URL.String())
			w.WriteHeader(http.StatusMovedPermanently)
		}},
		{Name: "close-mid-body", What: "promises a 1000-byte JSON body, sends 20 bytes and closes the connection", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			buf.WriteString("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"jsonrpc\":\"2.0\",\"id")
			buf.Flush()
		}},
		{Name: "endless-headers", What: "sends a status line and then header lines forever", serve: func(w http.ResponseWriter, r *http.Request, stop <-chan struct{}) {
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				return
			}
			defer conn.Close()
			endlessHeaders(buf, stop)
		}},
	}
}

// endlessHeaders writes header lines until the client goes or stop.
func endlessHeaders(buf *bufio.ReadWriter, stop <-chan struct{}) {
	if _, err := buf.WriteString("HTTP/1.1 200 OK\r\n"); err != nil {
		return
	}
	line := "X-Mcpverify-Pad: " + strings.Repeat("p", 4000) + "\r\n"
	for i := 0; ; i++ {
		select {
		case <-stop:
			return
		default:
		}
		if _, err := buf.WriteString(line); err != nil {
			return
		}
		if i%16 == 0 && buf.Flush() != nil {
			return
		}
	}
}

// wait blocks until stop, the client goes, or d passes (d > 0); it
// reports whether d passed.
func wait(r *http.Request, stop <-chan struct{}, d time.Duration) bool {
	var tick <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		tick = t.C
	}
	select {
	case <-stop:
		return false
	case <-r.Context().Done():
		return false
	case <-tick:
		return true
	}
}

func flush(w http.ResponseWriter) { _ = http.NewResponseController(w).Flush() }

// stream writes next() until limit bytes (0: no limit), stop, the client
// going away or a write error. The chunks are reused, never accumulated.
func stream(w http.ResponseWriter, r *http.Request, stop <-chan struct{}, limit int64, next func() []byte) {
	var n int64
	for limit == 0 || n < limit {
		select {
		case <-stop:
			return
		case <-r.Context().Done():
			return
		default:
		}
		b := next()
		if b == nil {
			return
		}
		if limit > 0 && n+int64(len(b)) > limit {
			b = b[:limit-n]
		}
		m, err := w.Write(b)
		n += int64(m)
		if err != nil {
			return
		}
		flush(w)
	}
}
