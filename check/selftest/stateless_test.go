package selftest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// myPrefixes are the checks of the stateless, transport and origin areas.
var myPrefixes = []string{"stateless/", "transport/", "origin/"}

// TestStatelessTransportOriginReference: against the reference server,
// every requirement these checks decide comes out pass or skip.
func TestStatelessTransportOriginReference(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rep := runAgainst(t, srv.Handler(), myPrefixes)
		decided := map[string]bool{}
		for _, c := range check.Checks() {
			for _, p := range myPrefixes {
				if strings.HasPrefix(c.Name, p) {
					for _, id := range c.IDs {
						decided[string(id)] = true
					}
				}
			}
		}
		for _, r := range rep.Results {
			if testing.Verbose() {
				t.Logf("%-12s %-28s %s: %s", r.Status, r.ID, r.Check, r.Message)
			}
			switch r.Status {
			case check.Fail, check.Warn, check.Inconclusive:
				t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
			}
			delete(decided, string(r.ID))
		}
		for id := range decided {
			t.Errorf("%s: no result", id)
		}
	})
}

// runInstances runs the checks with prefixes only against the first server,
// with the others as further instances of the deployment.
func runInstances(t *testing.T, only []string, servers ...http.Handler) *check.Report {
	t.Helper()
	return runWith(t, check.Options{Seed: 1, Budget: 30 * time.Second, Only: only}, servers[0], servers[1:]...)
}

func newReference(t *testing.T, wrap func(http.Handler) http.Handler) http.Handler {
	t.Helper()
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	var h http.Handler = srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	return h
}

// TestListStableInstances: two instances that list the same tools pass;
// an instance that lists other tools makes the list inconclusive, never a
// failure (a deployment may be rolling out).
func TestListStableInstances(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		a, b := newReference(t, nil), newReference(t, nil)
		rep := runInstances(t, []string{"stateless/list-stable"}, a, b)
		if r, _ := rep.Result(spec.CoreListStable); r.Status != check.Pass || !strings.Contains(r.Message, "instances") {
			t.Errorf("same lists: %s %s", r.Status, r.Message)
		}
		hide := func(next http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				rec := httptest.NewRecorder()
				next.ServeHTTP(rec, r)
				body := strings.Replace(rec.Body.String(), `"name":"test_simple_text"`, `"name":"test_simple_text_v2"`, 1)
				for k, v := range rec.Header() {
					w.Header()[k] = v
				}
				w.Header().Del("Content-Length")
				w.WriteHeader(rec.Code)
				_, _ = w.Write([]byte(body))
			})
		}
		c := newReference(t, hide)
		rep = runInstances(t, []string{"stateless/list-stable"}, a, c)
		if r, _ := rep.Result(spec.CoreListStable); r.Status != check.Inconclusive || !strings.Contains(r.Message, "instance 1") {
			t.Errorf("different lists on two instances: %s %s; want inconclusive", r.Status, r.Message)
		}
	})
}

// TestLanes: requests on one lane share a connection, two lanes use two,
// and fresh connections are never reused.
func TestLanes(t *testing.T) {
	ts := httptest.NewServer(newReference(t, nil)) // real TCP connections
	defer ts.Close()
	tg := target.NewHTTP(ts.URL+impl.Endpoint, target.Limits{Timeout: 5 * time.Second})
	defer tg.Close()
	send := func(ctx context.Context) int {
		r := check.DefaultClient.Request(wire.IntID(1), "server/discover", nil, nil)
		ex := tg.Send(ctx, r)
		if ex.Status != 200 || ex.Conn == 0 {
			t.Fatalf("status %d conn %d", ex.Status, ex.Conn)
		}
		return ex.Conn
	}
	bg := context.Background()
	l1, l2 := check.OnConnection(bg, 1), check.OnConnection(bg, 2)
	a, b, a2, b2 := send(l1), send(l2), send(l1), send(l2)
	if a != a2 || b != b2 || a == b {
		t.Errorf("lanes: %d %d %d %d; want two connections, each reused", a, b, a2, b2)
	}
	f1, f2 := send(check.OnFreshConnection(bg)), send(check.OnFreshConnection(bg))
	if f1 == f2 || f1 == a || f1 == b {
		t.Errorf("fresh connections %d %d reused (lanes %d %d)", f1, f2, a, b)
	}
	tg.FreshConnections()
	if a3 := send(l1); a3 == a {
		t.Errorf("lane 1 kept connection %d after FreshConnections", a)
	}
}
