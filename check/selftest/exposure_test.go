package selftest_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// exposureHints name the two principals and forbid alice's notes, and
// the template of her notes pages (its completion), to bob, the second.
const exposureHints = `{"principals": {"primary": "alice", "alternate": "bob"},
  "forbidden": {"bob": ["resources/read test://principal/alice/notes", "resources/read test://principal/alice/notes/{topic}"]}}`

// exposureRun runs the exposure checks as alice, bob second, against the
// two-principal variant named name ("" for the reference server), with
// the hints if given, behind wrap if given.
func exposureRun(t testing.TB, name, hintsJSON string, wrap ...func(http.Handler) http.Handler) *check.Report {
	t.Helper()
	var h http.Handler
	var srv *impl.Server
	var err error
	if name == "" {
		srv, err = impl.New(faulty.StateConfig())
		if err == nil {
			h = srv.Handler()
		}
	} else {
		for _, v := range faulty.StateVariants() {
			if v.Name == name {
				h, srv, err = v.Handler()
			}
		}
	}
	if err != nil || h == nil {
		t.Fatalf("server %q: %v", name, err)
	}
	defer srv.Close()
	for _, w := range wrap {
		h = w(h)
	}
	o := stateOptions(0, []string{"exposure/"})
	if hintsJSON != "" {
		hs, err := hints.Parse([]byte(hintsJSON))
		if err != nil {
			t.Fatal(err)
		}
		o.Hints = hs
	}
	return runWith(t, o, h)
}

// wantStatus fails t unless the report has id with status, its message
// containing every one of words.
func wantStatus(t *testing.T, rep *check.Report, id spec.ID, status check.Status, words ...string) {
	t.Helper()
	r, ok := rep.Result(id)
	if !ok || r.Status != status {
		t.Errorf("%s: want %s, got %+v", id, status, r)
		return
	}
	for _, w := range words {
		if !strings.Contains(r.Message, w) {
			t.Errorf("%s: the message does not name %q: %s", id, w, r.Message)
		}
	}
	t.Logf("%s %s: %s", r.Status, id, r.Message)
}

// TestExposureReferencePasses: the reference server with two principals,
// each owning notes listed and read for it alone under a private
// resources/list, passes every exposure check; the hints that forbid
// alice's notes to bob are met (refused to bob, served to alice), and
// without hints that requirement is skipped, the policy unknown.
func TestExposureReferencePasses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := exposureRun(t, "", exposureHints)
		wantStatus(t, rep, spec.CoreCachePublicAware, check.Pass, "tools/list", `"private" (resources/list, resources/templates/list)`)
		wantStatus(t, rep, spec.CoreUnlistedServed, check.Pass, "test://principal/alice/notes", "test://principal/bob/notes")
		wantStatus(t, rep, spec.CoreCacheScopeNotAcl, check.Pass, "resources/read test://principal/alice/notes (refused to bob (--alt-header)")
		wantStatus(t, rep, spec.AuthExposure, check.Pass, "server/discover", "tools/list")
		wantStatus(t, rep, spec.CoreCompletionAccess, check.Pass, `completion/complete ref/resource test://principal/alice/notes/{topic} (argument "topic") (bob (--alt-header): HTTP 200, error -32602`)
		wantStatus(t, rep, spec.CoreCompletionDisclosure, check.Pass, "test://principal/alice/notes/{topic}", "test://principal/bob/notes/{topic}")
		rep = exposureRun(t, "", "")
		wantStatus(t, rep, spec.CoreCacheScopeNotAcl, check.Skip, "--hints forbidden")
		wantStatus(t, rep, spec.CoreCompletionAccess, check.Skip, "--hints forbidden")
		wantStatus(t, rep, spec.CoreCompletionDisclosure, check.Pass)
	})
}

// TestExposureVariants: each exposure variant is caught for its defect,
// naming what it shows, and for nothing else of the exposure checks; the
// variant that serves unlisted notes to anyone fails
// CORE-CACHE-SCOPE-NOT-ACL where the hints forbid them, and the one that
// completes a principal's notes template for anyone fails
// CORE-COMPLETION-ACCESS where the hints forbid the template.
func TestExposureVariants(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := exposureRun(t, "exposure-public-private-list", "")
		wantStatus(t, rep, spec.CoreCachePublicAware, check.Fail, "resources/list", `only for primary (--header): "test://principal/alice/notes"`, `only for alternate (--alt-header): "test://principal/bob/notes"`)
		wantStatus(t, rep, spec.CoreUnlistedServed, check.Pass)
		rep = exposureRun(t, "exposure-unlisted-served", "")
		wantStatus(t, rep, spec.CoreUnlistedServed, check.Warn, "resources/read test://principal/alice/notes", "listed for primary (--header) and not for alternate (--alt-header)")
		if r, _ := rep.Result(spec.CoreUnlistedServed); r.Count != 2 {
			t.Errorf("%s: %d findings, want 2 (each principal's notes served to the other)", spec.CoreUnlistedServed, r.Count)
		}
		wantStatus(t, rep, spec.CoreCachePublicAware, check.Pass)
		wantStatus(t, rep, spec.CoreCacheScopeNotAcl, check.Skip)
		rep = exposureRun(t, "exposure-unlisted-served", exposureHints)
		wantStatus(t, rep, spec.CoreCacheScopeNotAcl, check.Fail, "which --hints forbids to bob (--alt-header)")
		wantStatus(t, rep, spec.CoreCompletionDisclosure, check.Pass)
		rep = exposureRun(t, "exposure-completion-leak", "")
		wantStatus(t, rep, spec.CoreCompletionDisclosure, check.Fail, "test://principal/alice/notes/{topic}", `"alice-journal"`, "own resources/read test://principal/alice/notes/alice-todo is refused")
		if r, _ := rep.Result(spec.CoreCompletionDisclosure); r.Count != 2 {
			t.Errorf("%s: %d findings, want 2 (each principal's topics suggested to the other)", spec.CoreCompletionDisclosure, r.Count)
		}
		wantStatus(t, rep, spec.CoreCompletionAccess, check.Skip)
		wantStatus(t, rep, spec.CoreUnlistedServed, check.Pass)
		rep = exposureRun(t, "exposure-completion-leak", exposureHints)
		wantStatus(t, rep, spec.CoreCompletionAccess, check.Fail, `which --hints forbids to bob (--alt-header) ("resources/read test://principal/alice/notes/{topic}")`, `"alice-journal"`)
		rep = exposureRun(t, "exposure-anonymous-lists", "")
		wantStatus(t, rep, spec.AuthExposure, check.Warn, "tools/list", "with input schemas", `"cart_create"`, "the implementation mcpverify-reference", `"test://principal/alice/notes"`)
		wantStatus(t, rep, spec.CoreCachePublicAware, check.Pass)
	})
}

// BenchmarkExposureCampaign: the wall time of the exposure checks
// (exposure/principals and exposure/anonymous) against the reference
// server with two principals, in process; the exchanges per run too.
func BenchmarkExposureCampaign(b *testing.B) {
	var wall time.Duration
	exchanges := 0
	for i := 0; i < b.N; i++ {
		start := time.Now()
		rep := exposureRun(b, "", exposureHints)
		wall += time.Since(start)
		for _, id := range []spec.ID{spec.CoreCachePublicAware, spec.CoreUnlistedServed, spec.CoreCacheScopeNotAcl, spec.AuthExposure, spec.CoreCompletionAccess, spec.CoreCompletionDisclosure} {
			if r, _ := rep.Result(id); r.Status != check.Pass {
				b.Fatalf("%s: %s %s", id, r.Status, r.Message)
			}
		}
		exchanges += rep.Exchanges
	}
	b.ReportMetric(float64(wall.Milliseconds())/float64(b.N), "ms/campaign")
	b.ReportMetric(float64(exchanges)/float64(b.N), "exchanges/campaign")
}

// churningTools adds to every tools/list answer a tool whose name counts
// the answers: a list that changes over time, the same way for everyone.
func churningTools(next http.Handler) http.Handler {
	var mu sync.Mutex
	n := 0
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		out := rec.Body.Bytes()
		var msg map[string]any
		if strings.Contains(string(body), `"tools/list"`) && json.Unmarshal(out, &msg) == nil {
			if res, ok := msg["result"].(map[string]any); ok {
				mu.Lock()
				n++
				name := fmt.Sprintf("churn_%d", n)
				mu.Unlock()
				tools, _ := res["tools"].([]any)
				res["tools"] = append(tools, map[string]any{"name": name, "inputSchema": map[string]any{"type": "object"}})
				out, _ = json.Marshal(msg)
			}
		}
		for k, vs := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(rec.Code)
		w.Write(out)
	})
}

// TestExposureChangingList: a "public" tools/list that changes with every
// read, for either principal, is not taken for a difference between the
// principals: it is left uncompared (said in the report), and the
// results that hold still are judged as usual.
func TestExposureChangingList(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := exposureRun(t, "", "", churningTools)
		wantStatus(t, rep, spec.CoreCachePublicAware, check.Pass, "server/discover", "prompts/list")
		if r, _ := rep.Result(spec.CoreCachePublicAware); !strings.Contains(r.Message, "not judged: tools/list: a principal was shown different results by two reads") || strings.Contains(r.Message, "tools/list,") {
			t.Errorf("the changing tools/list was compared: %s", r.Message)
		}
		wantStatus(t, rep, spec.CoreUnlistedServed, check.Pass)
	})
}

// TestExposureOutOfTime: against a slow server (every answer 40 ms late)
// and a check timeout that leaves the checks too little time, the
// exposure checks stop within their time and report nothing broken: what
// they could not read or try is inconclusive, with its cause.
func TestExposureOutOfTime(t *testing.T) {
	srv, err := impl.New(faulty.StateConfig())
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(40 * time.Millisecond)
		srv.Handler().ServeHTTP(w, r)
	})
	o := stateOptions(0, []string{"exposure/"})
	o.CheckTimeout = 2500 * time.Millisecond
	start := time.Now()
	rep := runWith(t, o, slow)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("the run took %v", d)
	}
	for _, r := range rep.Results {
		if strings.HasPrefix(r.Check, "exposure/") {
			t.Logf("%s %s: %s", r.Status, r.ID, r.Message)
		}
	}
	t.Logf("%d exchanges", rep.Exchanges)
	undecided := 0
	for _, id := range []spec.ID{spec.CoreCachePublicAware, spec.CoreUnlistedServed, spec.AuthExposure} {
		r, ok := rep.Result(id)
		switch {
		case !ok:
			t.Errorf("%s: no result", id)
		case r.Status == check.Fail || r.Status == check.Warn:
			t.Errorf("%s %s: %s", r.Status, id, r.Message)
		case r.Status == check.Inconclusive:
			undecided++
		}
	}
	if undecided == 0 {
		t.Error("every exposure requirement was decided in less time than its requests take")
	}
}

// rewriteCompletion passes every completion/complete to next after
// rewrite changes its params and request.
func rewriteCompletion(next http.Handler, rewrite func(p map[string]any, r *http.Request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg map[string]any
		if json.Unmarshal(body, &msg) == nil && msg["method"] == "completion/complete" {
			if p, ok := msg["params"].(map[string]any); ok {
				rewrite(p, r)
				body, _ = json.Marshal(msg)
			}
		}
		r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
		next.ServeHTTP(w, r)
	})
}

// sameSuggestions answers every completion/complete, of any reference and
// by any caller, with the completion of alice's notes template as alice:
// a server whose suggestions do not depend on the reference or the caller.
func sameSuggestions(next http.Handler) http.Handler {
	return rewriteCompletion(next, func(p map[string]any, r *http.Request) {
		p["ref"] = map[string]any{"type": "ref/resource", "uri": "test://principal/alice/notes/{topic}"}
		p["argument"] = map[string]any{"name": "topic", "value": ""}
		r.Header.Set("Authorization", "Bearer "+faulty.StateAliceToken)
	})
}

// noSuggestions completes a value nothing starts with: every completion
// is served with no suggestion.
func noSuggestions(next http.Handler) http.Handler {
	return rewriteCompletion(next, func(p map[string]any, _ *http.Request) {
		if a, ok := p["argument"].(map[string]any); ok {
			a["value"] = "mcpverify-matches-nothing"
		}
	})
}

// TestExposureCompletionSameForAll: a server that suggests alice's topics
// for every reference and to every caller is not said to disclose them
// through bob's completion of alice's template: bob is suggested the same
// for a reference that names nothing, and alice is shown her own topics.
// The disclosure is inconclusive, saying why; where the hints forbid the
// template to bob, his suggestions for it fail the access requirement.
func TestExposureCompletionSameForAll(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := exposureRun(t, "", "", sameSuggestions)
		wantStatus(t, rep, spec.CoreCompletionDisclosure, check.Inconclusive, "for a reference that names nothing", "none of them is both in an item listed for alternate (--alt-header) only")
		rep = exposureRun(t, "", exposureHints, sameSuggestions)
		wantStatus(t, rep, spec.CoreCompletionAccess, check.Fail, `"alice-journal"`)
		wantStatus(t, rep, spec.CoreCompletionDisclosure, check.Inconclusive)
	})
}

// TestExposureCompletionNothingToComplete: where the owner of a prompt or
// template is suggested nothing, the other's completion shows nothing
// either: both requirements are skipped, saying so, never inconclusive.
func TestExposureCompletionNothingToComplete(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rep := exposureRun(t, "", exposureHints, noSuggestions)
		wantStatus(t, rep, spec.CoreCompletionDisclosure, check.Skip, "nothing to complete", "own completion has no suggestion")
		wantStatus(t, rep, spec.CoreCompletionAccess, check.Skip, "nothing to complete")
	})
}
