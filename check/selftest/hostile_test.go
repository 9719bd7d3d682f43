package selftest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
)

// Hostile-server safety (DESIGN.md, "The checker"): against a server that
// never answers, stalls, streams forever, sends gigabytes, loops on
// redirects or cuts connections, check.Run returns within twice its budget,
// with bounded memory, and reports requirements inconclusive or failed,
// never a crash, never a pass it did not earn. Each hostile server runs
// twice: misbehaving on every request, and misbehaving after a correct
// discovery (the reference server answers server/discover and the lists),
// so that every check meets the misbehavior.

const (
	hostileBudget = 1500 * time.Millisecond
	// hostilePeakSlack bounds the growth of the heap during a run, sampled:
	// it includes garbage not yet collected (a response cut at the default
	// 8 MiB limit costs about three times that in short-lived buffers), so
	// it shows that memory does not grow with what the server sends.
	hostilePeakSlack = 96 << 20
	// hostileHeapSlack bounds what the run retains (after a collection,
	// with the report alive): a truncated body is kept only as a bounded
	// prefix (HTTPTarget, retainedTruncated).
	hostileHeapSlack = 32 << 20
)

func TestHostileServers(t *testing.T) {
	if testing.Short() {
		t.Skip("hostile servers take a budget each")
	}
	for _, h := range faulty.Hostile() {
		for _, afterDiscovery := range []bool{false, true} {
			name := h.Name
			var ref http.Handler
			if afterDiscovery {
				name += "/after-discovery"
			}
			if afterDiscovery && !streamsForever(h.Name) {
				// Every check meets the misbehaviour: in process, in a
				// bubble (the budget passes in fake time).
				t.Run(name, func(t *testing.T) {
					synctest.Test(t, func(t *testing.T) {
						srv, err := impl.New(impl.Config{})
						if err != nil {
							t.Fatal(err)
						}
						defer srv.Close()
						runHostile(t, h, srv.Handler(), true)
					})
				})
				continue
			}
			// Over real sockets: misbehaving on every request, or streaming
			// without end (which never lets fake time pass).
			if afterDiscovery {
				t.Run(name, func(t *testing.T) {
					srv, err := impl.New(impl.Config{})
					if err != nil {
						t.Fatal(err)
					}
					defer srv.Close()
					runHostile(t, h, srv.Handler(), false)
				})
				continue
			}
			t.Run(name, func(t *testing.T) { runHostile(t, h, ref, false) })
		}
	}
}

// streamsForever names the hostile servers that write without pause:
// bounded by the checker's byte and message limits and its timeouts, which
// in a synctest bubble never come (a writer that never blocks stops fake
// time).
func streamsForever(name string) bool {
	return strings.Contains(name, "forever") || strings.Contains(name, "gigabytes")
}

func runHostile(t *testing.T, h *faulty.HostileServer, ref http.Handler, inProcess bool) {
	stop := make(chan struct{})
	var tgt check.Target
	limits := target.Limits{Timeout: 300 * time.Millisecond}
	if inProcess {
		it := target.InProcess(h.Handler(ref, stop), limits)
		defer func() { close(stop); it.Close() }()
		tgt = it
	} else {
		ts := httptest.NewServer(h.Handler(ref, stop))
		defer func() {
			close(stop)
			ts.CloseClientConnections()
			ts.Close()
		}()
		ht := target.NewHTTP(ts.URL+impl.Endpoint, limits)
		defer ht.Close()
		tgt = ht
	}

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		var m runtime.MemStats
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				runtime.ReadMemStats(&m)
				if m.HeapAlloc > peak.Load() {
					peak.Store(m.HeapAlloc)
				}
			}
		}
	}()

	start := time.Now()
	rep, err := check.Run(context.Background(), tgt, check.Options{
		Seed: 1, Budget: hostileBudget, CheckTimeout: 400 * time.Millisecond, MaxExchanges: 40,
	})
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)

	if elapsed > 2*hostileBudget {
		t.Errorf("%s: Run took %s; want at most %s (twice the budget)", h.What, elapsed.Round(time.Millisecond), 2*hostileBudget)
	}
	if grow := int64(peak.Load()) - int64(before.HeapAlloc); grow > hostilePeakSlack {
		t.Errorf("%s: the heap peaked %d MiB above its start; want at most %d MiB", h.What, grow>>20, hostilePeakSlack>>20)
	}
	if grow := int64(after.HeapAlloc) - int64(before.HeapAlloc); grow > hostileHeapSlack {
		t.Errorf("%s: the heap grew by %d MiB over the run; want at most %d MiB", h.What, grow>>20, hostileHeapSlack>>20)
	}
	t.Logf("%s: %d exchanges in %s, heap peak +%d MiB, after +%d MiB, %d results",
		h.What, rep.Exchanges, elapsed.Round(time.Millisecond), (int64(peak.Load())-int64(before.HeapAlloc))>>20,
		(int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20, len(rep.Results))
	runtime.KeepAlive(rep)
	// The run started but could not judge what it set out to: it says so,
	// with the cause (exit status 4).
	// (Refusals after a served discovery are answers: the lists served,
	// the checks that need only them judged what they set out to.)
	if rep.Incomplete == "" && rep.Exchanges > 0 && (ref == nil || h.Name != "refuses-everything") {
		t.Errorf("%s: the run is not marked incomplete (%d exchanges)", h.What, rep.Exchanges)
	} else {
		t.Logf("%s: incomplete: %s", h.What, rep.Incomplete)
	}

	for _, r := range rep.Results {
		if testing.Verbose() && r.Status == check.Pass && r.Check != "model" {
			t.Logf("pass %s (%s): %.160s", r.ID, r.Check, r.Message)
		}
		if strings.HasPrefix(r.Message, "check ") && strings.Contains(r.Message, " failed: ") {
			t.Errorf("%s: %s: a check crashed: %s", h.What, r.ID, r.Message)
		}
		if ref == nil && r.Status == check.Pass && r.Check != "model" {
			// A server that misbehaves on every request earns no pass
			// from a check (the model's passive judgments of what little
			// it sees are not reason-bound claims).
			t.Errorf("%s: %s passed (%s: %s); a misbehaving server earns no pass from a check", h.What, r.ID, r.Check, r.Message)
		}
	}
}
