package campaign

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// campaignOnly runs discovery and the generated campaign (no other
// check), and returns the report and the number of discovery exchanges
// (the prefix of every trace).
func campaignOnly(t *testing.T, tgt check.Target, opts check.Options) (*check.Report, int) {
	t.Helper()
	opts.Only = []string{campaignCheck.Name}
	rep, err := check.Run(context.Background(), tgt, opts)
	if err != nil {
		t.Fatal(err)
	}
	return rep, rep.Discovery
}

// recorder is a target that records every request it sends.
type recorder struct {
	check.Target
	mu   sync.Mutex
	reqs []string
}

func (r *recorder) Send(ctx context.Context, req *check.Request) *wire.Exchange {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", req.HTTPMethod)
	keys := make([]string, 0, len(req.Header))
	for k := range req.Header {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "%s: %q\n", k, req.Header[k])
	}
	fmt.Fprintf(&b, "\n%s\nstop-after %d notification %v", req.Body, req.StopAfter, req.Notification)
	r.mu.Lock()
	r.reqs = append(r.reqs, b.String())
	r.mu.Unlock()
	return r.Target.Send(ctx, req)
}

// referenceServer is the reference server's handler (closed with the
// test), wrapped by wrap.
func referenceServer(t testing.TB, wrap func(http.Handler) http.Handler) http.Handler {
	t.Helper()
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	h := srv.Handler()
	if wrap != nil {
		h = wrap(h)
	}
	return h
}

// TestCampaignDeterministic: one seed against one (deterministic) server
// sends byte-identical request sequences; another seed sends another.
func TestCampaignDeterministic(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ts := referenceServer(t, nil)
		run := func(seed int64) []string {
			rec := &recorder{Target: target.InProcess(ts, target.Limits{Timeout: 5 * time.Second})}
			defer rec.Close()
			rep, _ := campaignOnly(t, rec, check.Options{Seed: seed, MaxExchanges: 120})
			for _, r := range rep.Results {
				if r.Status == check.Fail || r.Status == check.Warn {
					t.Errorf("seed %d: %s %s: %s", seed, r.Status, r.ID, r.Message)
				}
			}
			return rec.reqs
		}
		a, b := run(7), run(7)
		if len(a) != len(b) {
			t.Fatalf("same seed: %d and %d requests", len(a), len(b))
		}
		methods := map[string]bool{}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("same seed: request %d differs:\n%s\n----\n%s", i+1, a[i], b[i])
			}
			var m struct{ Method string }
			_ = json.Unmarshal([]byte(a[i][strings.Index(a[i], "\n\n")+2:strings.LastIndex(a[i], "\nstop-after")]), &m)
			methods[m.Method] = true
		}
		if len(methods) < 5 {
			t.Errorf("the campaign sent only methods %v", methods)
		}
		c := run(8)
		if strings.Join(a, "") == strings.Join(c, "") {
			t.Error("seeds 7 and 8 sent the same requests")
		}
	})
}

// plantedDefect answers a tools/call of "wait" with ms > 50 without
// resultType (the defect), immediately (it runs the call with ms 0).
func plantedDefect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		var msg map[string]any
		if json.Unmarshal(body, &msg) != nil || msg["method"] != "tools/call" {
			next.ServeHTTP(w, r)
			return
		}
		params, _ := msg["params"].(map[string]any)
		args, _ := params["arguments"].(map[string]any)
		ms, _ := args["ms"].(float64)
		if params["name"] != "wait" || ms <= 50 {
			next.ServeHTTP(w, r)
			return
		}
		args["ms"] = 0
		b, _ := json.Marshal(msg)
		r2 := r.Clone(r.Context())
		r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r2)
		out := rec.Body.Bytes()
		var resp map[string]any
		if strings.HasPrefix(rec.Header().Get("Content-Type"), "application/json") && json.Unmarshal(out, &resp) == nil {
			if res, ok := resp["result"].(map[string]any); ok {
				delete(res, "resultType")
				out, _ = json.Marshal(resp)
			}
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		w.Write(out)
	})
}

// TestCampaignShrinksPlantedDefect: the campaign finds the planted defect,
// shrinks it to the discovery prefix and one call with the smallest
// failing argument, and the saved trace replays: it still fails against
// the defective server and not against the reference server.
func TestCampaignShrinksPlantedDefect(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		bad := referenceServer(t, plantedDefect)
		tgt := target.InProcess(bad, target.Limits{Timeout: 5 * time.Second})
		defer tgt.Close()
		rep, prefix := campaignOnly(t, tgt, check.Options{Seed: 3, MaxExchanges: 1000})
		r, ok := rep.Result(spec.CoreResultType)
		if !ok || r.Status != check.Fail {
			t.Fatalf("planted defect not found: %+v", r)
		}
		if r.Check != campaignCheck.Name || r.Trace == nil {
			t.Fatalf("found by %q, trace %v; want the campaign's shrunk trace", r.Check, r.Trace)
		}
		if strings.Contains(r.Message, "not reproduced") || strings.Contains(r.Message, "not confirmed") {
			t.Errorf("message: %s", r.Message)
		}
		n := len(r.Trace.Exchanges)
		if n <= prefix || n > prefix+3 {
			t.Fatalf("trace of %d exchanges; want the %d of discovery and 1-3 more", n, prefix)
		}
		last := r.Trace.Exchanges[n-1]
		last.Decode()
		p, _ := last.Params.(*wire.CallToolRequestParams)
		if p == nil || p.Name != "wait" {
			t.Fatalf("last exchange: %s %T; want a tools/call of wait", last.Method(), last.Params)
		}
		if ms := string(p.Arguments["ms"]); ms != "51" {
			t.Errorf("shrunk argument ms = %s; want 51 (the smallest that fails)", ms)
		}
		t.Logf("%s", r.Message)

		res, err := check.Replay(context.Background(), tgt, r.Trace, check.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !res.StillFails() || len(res.Reproduced) != 1 || res.Reproduced[0] != spec.CoreResultType {
			t.Errorf("replay against the defective server: reproduced %v; want %s", res.Reproduced, spec.CoreResultType)
		}
		good := referenceServer(t, nil)
		gt := target.InProcess(good, target.Limits{Timeout: 5 * time.Second})
		defer gt.Close()
		res, err = check.Replay(context.Background(), gt, r.Trace, check.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.StillFails() {
			t.Errorf("replay against the reference server still fails: %v", res.Violations())
		}
	})
}

func TestShrinkArgs(t *testing.T) {
	if got := shrinkInt(700, 0); fmt.Sprint(got) != "[0 350 525 613 657 679 690 695 698 699]" {
		t.Errorf("shrinkInt(700, 0) = %v", got)
	}
	if got := shrinkInt(-9, 0); fmt.Sprint(got) != "[0 -5 -7 -8]" {
		t.Errorf("shrinkInt(-9, 0) = %v", got)
	}
	schema := map[string]any{
		"properties": map[string]any{
			"n": map[string]any{"type": "integer", "minimum": float64(10)},
			"s": map[string]any{"type": "string"},
			"p": map[string]any{"type": "string", "pattern": "^a+$"},
		},
		"required": []any{"n"},
	}
	out := shrinkArgs(schema, map[string]any{"n": int64(14), "s": "abcd", "p": "aaaa"})
	var got []string
	for _, m := range out {
		got = append(got, string(wire.MustMarshal(m)))
	}
	want := []string{
		`{"n":14,"s":"abcd"}`, `{"n":14,"p":"aaaa"}`,
		`{"n":10,"p":"aaaa","s":"abcd"}`, `{"n":12,"p":"aaaa","s":"abcd"}`, `{"n":13,"p":"aaaa","s":"abcd"}`,
		`{"n":14,"p":"aaaa","s":"ab"}`,
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("shrinkArgs:\n got %v\nwant %v", got, want)
	}
}

func TestOrderPages(t *testing.T) {
	mk := func(next string) *wire.Exchange {
		return &wire.Exchange{Transport: wire.HTTP, Status: 200,
			Body:       []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{}}`),
			RespHeader: http.Header{"Content-Type": {"application/json"}},
			RespBody:   []byte(`{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","tools":[],"nextCursor":"` + next + `"}}`)}
	}
	acts := []model.Action{{Method: "server/discover"}, {Method: "tools/list", Cursor: "a", HasCursor: true},
		{Method: "tools/list", Cursor: "b", HasCursor: true}, {Method: "tools/list", Cursor: "z", HasCursor: true}, {Method: "ping"}}
	got := orderPages(acts, []*wire.Exchange{mk("b"), mk("a")})
	var cs []string
	for _, a := range got {
		cs = append(cs, a.Method+":"+a.Cursor)
	}
	if want := "server/discover: tools/list:b tools/list:a tools/list:z ping:"; strings.Join(cs, " ") != want {
		t.Errorf("orderPages: %v; want %s", cs, want)
	}
}

// TestNeverAnsweringServer: a server that accepts connections and never
// answers (at all, or to tool calls) cannot hold a run past its budget
// (plus the time to write the report). This is a hang detector, not a
// timing test: the bound is loose.
func TestNeverAnsweringServer(t *testing.T) {
	ref := referenceServer(t, nil)
	noCalls := func(r *http.Request) bool { return r.Header.Get("Mcp-Method") != "tools/call" }
	for _, c := range []struct {
		name   string
		serves func(*http.Request) bool
	}{
		{"never", func(*http.Request) bool { return false }},
		{"tool-calls", noCalls},
	} {
		t.Run(c.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				done := make(chan struct{})
				ts := (http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if c.serves(r) {
						ref.ServeHTTP(w, r)
						return
					}
					select {
					case <-r.Context().Done():
					case <-done:
					}
				}))
				defer close(done)
				tgt := target.InProcess(ts, target.Limits{})
				defer tgt.Close()
				budget := 3 * time.Second
				start := time.Now()
				rep, err := check.Run(context.Background(), tgt, check.Options{Seed: 1, Budget: budget})
				if err != nil {
					t.Fatal(err)
				}
				if d := time.Since(start); d > 2*budget+3*time.Second {
					t.Errorf("run took %s with a budget of %s", d, budget)
				}
				t.Logf("%d exchanges in %s", rep.Exchanges, time.Since(start))
			})
		})
	}
}

// TestCampaignStopsOnSilence: a server that stops answering after
// discovery ends the campaign after a few requests in a row time out.
func TestCampaignStopsOnSilence(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ref := referenceServer(t, nil)
		var discovered atomic.Bool
		done := make(chan struct{})
		ts := (http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !discovered.Load() {
				ref.ServeHTTP(w, r)
				return
			}
			select {
			case <-r.Context().Done():
			case <-done:
			}
		}))
		defer close(done)
		tgt := &silencer{Target: target.InProcess(ts, target.Limits{Timeout: 200 * time.Millisecond}), discovered: &discovered}
		defer tgt.Close()
		rep, prefix := campaignOnly(t, tgt, check.Options{Seed: 1, MaxExchanges: 300})
		if prefix < 2 {
			t.Fatalf("discovery: %d exchanges", prefix)
		}
		if n := rep.Exchanges - prefix; n != maxSilent {
			t.Errorf("the campaign sent %d requests to a silent server; want %d", n, maxSilent)
		}
	})
}

// silencer tells the server to fall silent once discovery is over (the
// first request that is not one of discovery's).
type silencer struct {
	check.Target
	discovered *atomic.Bool
}

func (s *silencer) Send(ctx context.Context, r *check.Request) *wire.Exchange {
	m := ""
	if msg, err := wire.DecodeMessage(r.Body); err == nil {
		m = wire.MessageMethod(msg)
	}
	switch {
	case m == "server/discover", m == "initialize", strings.HasSuffix(m, "/list"):
	default:
		s.discovered.Store(true)
	}
	return s.Target.Send(ctx, r)
}
