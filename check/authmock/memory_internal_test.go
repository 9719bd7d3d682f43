package authmock

import (
	"net/http"
	"strings"
	"testing"
)

// TestMockTransportBounded: an answer longer than maxResponseBytes is an
// error, not a response.
func TestMockTransportBounded(t *testing.T) {
	chunk := strings.Repeat("x", 4096)
	for _, n := range []int{maxResponseBytes / 4096, maxResponseBytes/4096 + 1} {
		rt := memTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for range n {
				if _, err := w.Write([]byte(chunk)); err != nil {
					return
				}
			}
		})}
		req, _ := http.NewRequest("GET", "http://127.0.0.1:9/big", nil)
		res, err := rt.RoundTrip(req)
		switch {
		case n*4096 <= maxResponseBytes && (err != nil || res.ContentLength != int64(n*4096)):
			t.Errorf("%d bytes: %v", n*4096, err)
		case n*4096 > maxResponseBytes && err == nil:
			t.Errorf("%d bytes: no error", n*4096)
		}
	}
}
