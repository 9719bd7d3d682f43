package selftest_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/sandbox"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/corpus"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

// replayBreaks saves the trace of each requirement a variant breaks (as
// the CLI would: formatted, then parsed back), replays it against a fresh
// copy of the broken server, where it must still fail, and against a
// fresh reference server, where it must not.
func replayBreaks(t *testing.T, rep *check.Report, breaks []spec.ID, broken, reference func(t *testing.T) check.Target, opts check.ReplayOptions) {
	t.Helper()
	for _, id := range breaks {
		r, ok := rep.Result(id)
		if !ok || r.Trace == nil {
			continue // reported missing by the caller
		}
		tr, err := trace.Parse(trace.Format(r.Trace))
		if err != nil {
			t.Errorf("%s: the saved trace does not parse: %v", id, err)
			continue
		}
		if tr.Get("check") == "" || tr.Get("seed") == "" || tr.Get("mark") == "" {
			t.Errorf("%s: the trace lacks check, seed or mark: %v", id, tr.Fields)
		}
		for _, ex := range tr.Exchanges {
			for k, vs := range ex.Header {
				for _, v := range vs {
					for _, secret := range []string{faulty.StateAliceToken, faulty.StateBobToken} {
						if v != "" && containsFold(v, secret) {
							t.Errorf("%s: the trace carries credentials in %s: %q", id, k, v)
						}
					}
				}
			}
		}
		res, err := check.Replay(context.Background(), broken(t), tr, opts)
		if err != nil {
			t.Errorf("%s: replay against the broken server: %v", id, err)
		} else if !slices.Contains(res.Reproduced, id) {
			t.Errorf("%s (check %s): replay against the broken server did not reproduce it: gone %v, undecided %v %v", id, tr.Get("check"), res.Gone, res.Undecided, res.Why)
		}
		res, err = check.Replay(context.Background(), reference(t), tr, opts)
		if err != nil {
			t.Errorf("%s: replay against the reference server: %v", id, err)
		} else if slices.Contains(res.Reproduced, id) {
			why := ""
			if res.Report != nil {
				if r, ok := res.Report.Result(id); ok {
					why = ": " + r.Message
				}
			}
			t.Errorf("%s (check %s): replay against the reference server reproduced it%s", id, tr.Get("check"), why)
		}
	}
}

func containsFold(s, sub string) bool {
	return len(sub) > 0 && len(s) >= len(sub) && (s == sub || indexFold(s, sub) >= 0)
}

func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if equalFold(s[i:i+len(sub)], sub) {
			return i
		}
	}
	return -1
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// httpServer serves h in process for the test, as a target.
func httpServer(t *testing.T, h http.Handler, closers ...func()) check.Target {
	tgt := target.InProcess(h, target.Limits{Timeout: 5 * time.Second})
	t.Cleanup(func() {
		tgt.Close()
		for _, c := range closers {
			c()
		}
	})
	return tgt
}

// variantServer starts a fresh copy of variant v.
func variantServer(v *faulty.Variant) func(t *testing.T) check.Target {
	return func(t *testing.T) check.Target {
		h, srv, err := v.Handler()
		if err != nil {
			t.Fatal(err)
		}
		return httpServer(t, h, func() { srv.Close() })
	}
}

// referenceServer starts a fresh reference server configured as v's.
func referenceServer(cfg *impl.Config) func(t *testing.T) check.Target {
	return func(t *testing.T) check.Target {
		c := impl.Config{}
		if cfg != nil {
			c = *cfg
		}
		srv, err := impl.New(c)
		if err != nil {
			t.Fatal(err)
		}
		return httpServer(t, srv.Handler(), func() { srv.Close() })
	}
}

// replayEnv makes, for one replay, a fresh server (the variant, or the
// reference server configured as it is) and the options the replay needs
// (credentials, the mock authorization server, a sandbox made again from
// its seed).
type replayEnv func(t *testing.T, reference bool) (check.Target, check.ReplayOptions)

// envFor returns the replay environment of the variant named name, of any
// kind: a stdio variant, a state variant (two principals' tokens), a
// variant trusting the mock authorization server, one told to use a
// sandbox's workspace, or a plain HTTP one.
func envFor(t *testing.T, name string) replayEnv {
	t.Helper()
	for _, sv := range faulty.StateVariants() {
		if sv.Name != name {
			continue
		}
		o := stateOptions(sv.StateTTLMax, nil)
		ropts := check.ReplayOptions{Header: o.Client.Header, AltHeader: o.AltHeader, Budget: 90 * time.Second}
		ref := faulty.StateConfig() // a variant's own Config may be its defect
		return func(t *testing.T, reference bool) (check.Target, check.ReplayOptions) {
			if reference {
				return referenceServer(&ref)(t), ropts
			}
			return variantServer(&sv.Variant)(t), ropts
		}
	}
	v, err := faulty.Lookup(name)
	if err != nil {
		t.Fatalf("variant field: %v", err)
	}
	ropts := check.ReplayOptions{Budget: 40 * time.Second}
	switch {
	case v.Stdio != nil:
		return func(t *testing.T, reference bool) (check.Target, check.ReplayOptions) {
			if reference {
				return stdioServer(nil)(t), ropts
			}
			return stdioServer(v.Stdio)(t), ropts
		}
	case v.NeedsDir():
		// Each replay gets a sandbox of its own, made again from the seed:
		// what a run wrote (a write variant) must not decide it.
		return func(t *testing.T, reference bool) (check.Target, check.ReplayOptions) {
			sb, err := sandbox.New(t.TempDir(), 1)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { sb.Close() })
			sb.AllowWrites = true // check --sandbox-writes: the write variants' tools are called
			var h http.Handler
			var srv *impl.Server
			if reference {
				srv, err = v.ReferenceIn(sb.Workspace)
				if err == nil {
					h = srv.Handler()
				}
			} else {
				h, srv, err = v.HandlerIn(sb.Workspace)
			}
			if err != nil {
				t.Fatal(err)
			}
			o := ropts
			o.Sandbox = sb
			return httpServer(t, h, func() { srv.Close() }), o
		}
	}
	if v.Config != nil && v.Config.Issuer == faulty.AuthIssuer {
		// The client presents the mock's tokens, as check --auth-mock does.
		alice, bob := mockCredentials(t)
		ropts.Header, ropts.AltHeader, ropts.Authority, ropts.Upstream = alice, bob, faulty.AuthMock(), upstream
	}
	return func(t *testing.T, reference bool) (check.Target, check.ReplayOptions) {
		if reference {
			return referenceServer(v.Config)(t), ropts
		}
		return variantServer(v)(t), ropts
	}
}

// TestReplayAttacks: every attack trace of the corpus says where its
// attack class is known from (source), and replays as failing against the
// faulty variant its variant field names, and not against the reference
// server.
func TestReplayAttacks(t *testing.T) {
	files := corpus.Attacks()
	if len(files) == 0 {
		t.Fatal("no attack traces")
	}
	for _, f := range files {
		t.Run(f.Name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				tr, err := trace.Parse(f.Data)
				if err != nil {
					t.Fatal(err)
				}
				if tr.Get("source") == "" {
					t.Error("no source field: where the attack class is known from")
				}
				want := spec.ID(tr.Get("want"))
				env := envFor(t, tr.Get("variant"))
				tgt, opts := env(t, false)
				res, err := check.Replay(context.Background(), tgt, tr, opts)
				if err != nil || !slices.Contains(res.Reproduced, want) {
					t.Errorf("against %s: %v; reproduced %v, undecided %v", tr.Get("variant"), err, res.Reproduced, res.Why)
				}
				tgt, opts = env(t, true)
				res, err = check.Replay(context.Background(), tgt, tr, opts)
				if err != nil || slices.Contains(res.Reproduced, want) || !res.Fixed() {
					t.Errorf("against the reference server: %v; reproduced %v, gone %v, undecided %v", err, res.Reproduced, res.Gone, res.Why)
				}
			})
		})
	}
}

// saveAttacks writes the trace of each requirement a variant breaks into
// the directory MCPVERIFY_SAVE_ATTACKS names, if it is set, with the
// variant field TestReplayAttacks needs: the raw material of
// corpus/attacks (a trace gets its source and note by hand).
func saveAttacks(t *testing.T, variant string, rep *check.Report, breaks []spec.ID) {
	dir := os.Getenv("MCPVERIFY_SAVE_ATTACKS")
	if dir == "" {
		return
	}
	for _, id := range breaks {
		r, ok := rep.Result(id)
		if !ok || r.Trace == nil {
			continue
		}
		tr := *r.Trace
		tr.Fields = append([]trace.Field(nil), tr.Fields...)
		tr.Set("variant", variant)
		tr.Set("want", string(id))
		if err := os.WriteFile(filepath.Join(dir, variant+"--"+string(id)+".txtar"), trace.Format(&tr), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// TestReplayClosedPort: a replay against a server that does not answer
// says it could not replay, never that the violation is gone, whether it
// re-runs a check or sends the recorded requests.
func TestReplayClosedPort(t *testing.T) {
	tgt := target.NewHTTP("http://127.0.0.1:1/mcp", target.Limits{Timeout: time.Second})
	defer tgt.Close()
	for _, f := range corpus.Attacks()[:1] {
		tr, err := trace.Parse(f.Data)
		if err != nil {
			t.Fatal(err)
		}
		byCheck := tr
		recorded := &trace.Trace{Fields: []trace.Field{{Key: "want", Value: tr.Get("want")}}, Exchanges: tr.Exchanges}
		for _, x := range []*trace.Trace{byCheck, recorded} {
			res, err := check.Replay(context.Background(), tgt, x, check.ReplayOptions{Budget: 10 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			if res.Answered || res.Fixed() || res.StillFails() || len(res.Undecided) != 1 {
				t.Errorf("mode %s: answered %v, fixed %v, still fails %v, undecided %v", res.Mode, res.Answered, res.Fixed(), res.StillFails(), res.Why)
			}
		}
	}
}
