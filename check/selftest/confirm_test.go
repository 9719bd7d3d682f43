package selftest_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

// TestConfirmRace: a model finding is tried again (its request changes
// nothing on the server): a defect that shows in one listen of three is
// reported with the tries that showed it, fewer than all; a steady one in
// every try.
func TestConfirmRace(t *testing.T) {
	for _, c := range []struct {
		variant string
		steady  bool
	}{{"listen-ack-racy", false}, {"listen-answered-without-ack", true}} {
		t.Run(c.variant, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				v, h := variantHandler(t, c.variant)
				rep := runAgainst(t, h, v.Only)
				r, ok := rep.Result(spec.CoreListenAck)
				if !ok || r.Status != check.Fail {
					t.Fatalf("CORE-LISTEN-ACK: want fail, got %+v", r)
				}
				if r.Tries != check.ConfirmTries {
					t.Fatalf("tried %d times, want %d", r.Tries, check.ConfirmTries)
				}
				if c.steady && r.Reproduced != r.Tries || !c.steady && (r.Reproduced < 1 || r.Reproduced >= r.Tries) {
					t.Errorf("reproduced in %d of %d tries (steady: %v)", r.Reproduced, r.Tries, c.steady)
				}
				t.Logf("%s: %d of %d tries", c.variant, r.Reproduced, r.Tries)
			})
		})
	}
}

// TestReplayRepeats: a replay that does not break the wanted requirement
// is tried again, so that a race that passes once is not taken for a fix:
// against a server whose listens are acknowledged during the first try
// and not after it, the requirement is still reproduced, in some of the
// tries; against the reference server it is gone in every try.
func TestReplayRepeats(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		v, bad := variantHandler(t, "listen-answered-without-ack")
		r, ok := runAgainst(t, bad, v.Only).Result(spec.CoreListenAck)
		if !ok || r.Trace == nil {
			t.Fatalf("CORE-LISTEN-ACK: no trace (%+v)", r)
		}
		tr, err := trace.Parse(trace.Format(r.Trace))
		if err != nil {
			t.Fatal(err)
		}
		ref, err := impl.New(impl.Config{})
		if err != nil {
			t.Fatal(err)
		}
		defer ref.Close()
		// How many listens one try sends: a replay against the reference
		// server, counted (gone in every try).
		var listens, limit atomic.Int64
		limit.Store(-1)
		sw := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			r.Body = io.NopCloser(bytes.NewReader(body))
			if bytes.Contains(body, []byte(`"subscriptions/listen"`)) && listens.Add(1) > limit.Load() && limit.Load() >= 0 {
				bad.ServeHTTP(w, r)
				return
			}
			ref.Handler().ServeHTTP(w, r)
		})
		tgt := httpServer(t, sw, func() {})
		res, err := check.Replay(context.Background(), tgt, tr, check.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Tries != check.ConfirmTries || !slices.Contains(res.Gone, spec.CoreListenAck) || res.Hits[spec.CoreListenAck] != 0 {
			t.Errorf("replay against the reference: tries %d, hits %v, gone %v", res.Tries, res.Hits, res.Gone)
		}
		perTry := listens.Load() / int64(res.Tries)
		// Now the first try's listens are acknowledged, the later ones not.
		listens.Store(0)
		limit.Store(perTry)
		res, err = check.Replay(context.Background(), tgt, tr, check.ReplayOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Tries != check.ConfirmTries || !slices.Contains(res.Reproduced, spec.CoreListenAck) ||
			res.Hits[spec.CoreListenAck] < 1 || res.Hits[spec.CoreListenAck] >= res.Tries {
			t.Errorf("replay of a race: tries %d, hits %v, reproduced %v, gone %v", res.Tries, res.Hits, res.Reproduced, res.Gone)
		}
	})
}
