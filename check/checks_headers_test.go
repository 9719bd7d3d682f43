package check

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// headerCheckNames are the checks of checks_meta.go, checks_version.go and
// checks_headers.go.
var headerCheckNames = []string{
	"meta/required-fields", "meta/wrong-types", "meta/log-level",
	"versions/unsupported", "versions/body-differs", "versions/header-mutations", "versions/header-missing",
	"headers/mcp-method", "headers/mcp-name", "headers/mcp-param", "headers/case-insensitive-names",
	"headers/raw-malformed", "headers/x-mcp-header",
}

// headerCheckIDs are the requirements those checks decide.
func headerCheckIDs(t *testing.T) map[spec.ID]bool {
	t.Helper()
	ids := map[spec.ID]bool{}
	found := 0
	for _, c := range Checks() {
		for _, n := range headerCheckNames {
			if c.Name == n {
				found++
				for _, id := range c.IDs {
					ids[id] = true
				}
			}
		}
	}
	if found != len(headerCheckNames) {
		t.Fatalf("found %d of the %d checks", found, len(headerCheckNames))
	}
	return ids
}

func runHeaderChecks(t *testing.T, h http.Handler) *Report {
	t.Helper()
	ts := httptest.NewServer(h)
	defer ts.Close()
	target := NewHTTPTarget(ts.URL+impl.Endpoint, Limits{Timeout: 5 * time.Second})
	defer target.Close()
	rep, err := Run(context.Background(), target, Options{Seed: 1, Budget: 60 * time.Second, Only: headerCheckNames})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// TestHeaderChecksReference: against the reference server every
// requirement the checks decide passes, or is skipped with a reason.
func TestHeaderChecksReference(t *testing.T) {
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rep := runHeaderChecks(t, srv.Handler())
	ids := headerCheckIDs(t)
	for _, r := range rep.Results {
		if ids[r.ID] {
			t.Logf("%-30s %-12s %4d  %s", r.ID, r.Status, r.Count, r.Message)
		}
		switch r.Status {
		case Fail, Warn, Inconclusive:
			t.Errorf("%s %s: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
		}
	}
	for id := range ids {
		if _, ok := rep.Result(id); !ok {
			t.Errorf("%s: no result", id)
		}
	}
	t.Logf("%d exchanges in %s", rep.Exchanges, rep.Duration)
}

// rejectAll answers every request with 400 and HeaderMismatch (-32020).
func rejectAll() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg struct {
			ID json.RawMessage `json:"id"`
		}
		_ = json.Unmarshal(body, &msg)
		id := "null"
		if len(msg.ID) > 0 {
			id = string(msg.ID)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		io.WriteString(w, `{"jsonrpc":"2.0","id":`+id+`,"error":{"code":-32020,"message":"Header mismatch"}}`)
	})
}

// TestHeaderChecksRejectAll: a server that rejects every request with 400
// and -32020 earns no pass from these checks: every requirement they
// decide is inconclusive (no baseline was served).
func TestHeaderChecksRejectAll(t *testing.T) {
	rep := runHeaderChecks(t, rejectAll())
	for id := range headerCheckIDs(t) {
		r, ok := rep.Result(id)
		switch {
		case !ok:
			t.Errorf("%s: no result", id)
		case r.Status != Inconclusive:
			t.Errorf("%s: %s (%s, check %s); want inconclusive", id, r.Status, r.Message, r.Check)
		}
	}
}

// decodedFirst decodes the first value of a mutation as the model reads
// a header of mirror m.
func decodedFirst(m mirrorKind, mu headerMutation) (string, error) {
	if m == mirrorPlain {
		return mu.Values[0], wire.CheckPlainHeaderValue(mu.Values[0])
	}
	return wire.DecodeHeaderValue(mu.Values[0])
}

// checkMutations asserts the contract of the generators for one value:
// every mismatch differs from it under the mirror's comparison, every
// invalid value fails to decode, exactly one mutation removes the header,
// and every accepted form decodes to an equal value.
func checkMutations(t interface {
	Helper()
	Fatalf(string, ...any)
}, m mirrorKind, real string, others []string) {
	t.Helper()
	missing := 0
	for _, mu := range mismatchMutations(m, real, others) {
		switch mu.Defect {
		case defectMissing:
			missing++
			if mu.Values != nil {
				t.Fatalf("%s: missing with values %q", mu.Class, mu.Values)
			}
		case defectMismatch:
			dec, err := decodedFirst(m, mu)
			if err != nil {
				t.Fatalf("%s %q: mismatch that does not decode: %v", mu.Class, mu.Values, err)
			}
			if hdrSame(m, dec, real) {
				t.Fatalf("%s %q: decodes to %q, equal to %q", mu.Class, mu.Values, dec, real)
			}
			if m == mirrorPlain && (strings.TrimSpace(dec) != dec) {
				t.Fatalf("%s %q: outer whitespace in a plain header is not part of the value", mu.Class, mu.Values)
			}
		case defectInvalid:
			if _, err := decodedFirst(m, mu); err == nil {
				t.Fatalf("%s %q: invalid value that decodes", mu.Class, mu.Values)
			}
		}
	}
	if missing != 1 {
		t.Fatalf("%d missing mutations", missing)
	}
	for _, mu := range acceptMutations(m, real) {
		dec, err := wire.DecodeHeaderValue(mu.Values[0])
		if err != nil || !hdrSame(m, dec, real) {
			t.Fatalf("%s %q: decodes to %q (%v), want %q", mu.Class, mu.Values, dec, err, real)
		}
	}
}

func TestMismatchMutations(t *testing.T) {
	checkMutations(t, mirrorPlain, "tools/call", []string{"tools/list", "prompts/get"})
	checkMutations(t, mirrorPlain, "2026-07-28", []string{"1900-01-01"})
	checkMutations(t, mirrorText, "test_simple_text", []string{"get_weather"})
	checkMutations(t, mirrorText, "Zürich", nil)
	checkMutations(t, mirrorText, "=?base64?aGk=?=", nil)
	checkMutations(t, mirrorText, "x", nil)
	checkMutations(t, mirrorText, "", nil)
	checkMutations(t, mirrorInteger, "42", nil)
	checkMutations(t, mirrorInteger, "-7", nil)
	checkMutations(t, mirrorInteger, "0", nil)
	checkMutations(t, mirrorInteger, "9007199254740991", nil)
	checkMutations(t, mirrorBoolean, "true", nil)
	checkMutations(t, mirrorBoolean, "false", nil)
	classes := map[string]bool{}
	for _, mu := range mismatchMutations(mirrorText, "test_Simple_text", []string{"get_weather"}) {
		classes[mu.Class] = true
	}
	for _, c := range []string{"missing", "empty", "upper-case", "swapped-case", "truncated", "other-declared", "trailing-space",
		"leading-space", "bad-base64", "base64-not-utf8", "base64-of-other", "upper-case-markers", "non-ascii", "duplicate"} {
		if !classes[c] {
			t.Errorf("no %s mutation of a tool name", c)
		}
	}
}

// TestMismatchMutationsProperty: the contract holds for any value.
func TestMismatchMutationsProperty(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		switch rapid.IntRange(0, 3).Draw(t, "kind") {
		case 0:
			real := rapid.StringMatching(`[a-z][a-z/_-]{0,20}`).Draw(t, "method")
			checkMutations(t, mirrorPlain, real, []string{rapid.StringMatching(`[a-z/]{1,10}`).Draw(t, "other")})
		case 1:
			real := rapid.String().Draw(t, "name")
			if !isUTF8(real) {
				return
			}
			checkMutations(t, mirrorText, real, []string{rapid.String().Draw(t, "other")})
		case 2:
			n := rapid.Int64Range(-wire.MaxSafeInteger, wire.MaxSafeInteger).Draw(t, "n")
			checkMutations(t, mirrorInteger, jsonInt(n), nil)
		case 3:
			checkMutations(t, mirrorBoolean, jsonBool(rapid.Bool().Draw(t, "b")), nil)
		}
	})
}

func isUTF8(s string) bool { return strings.ToValidUTF8(s, "\ufffd") == s }

func jsonInt(n int64) string { return string(wire.MustMarshal(n)) }

func jsonBool(b bool) string { return string(wire.MustMarshal(b)) }

func TestNumericSpellings(t *testing.T) {
	for real, want := range map[string][]string{
		"42": {"42.0", "42e0", "42.000", "4.2e1"},
		"-7": {"-7.0", "-7e0", "-7.000"},
		"0":  {"0.0", "0e0", "0.000"},
	} {
		got := hdrNumericSpellings(real)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: got %q, want %q", real, got, want)
		}
	}
}

func TestAnnotationsAndSensitivity(t *testing.T) {
	var schema any
	if err := json.Unmarshal([]byte(`{"type":"object","properties":{
		"region":{"type":"string","x-mcp-header":"Region"},
		"tenant":{"type":"object","properties":{"id":{"type":"string","x-mcp-header":"Tenant-Id"}}},
		"list":{"type":"array","items":{"type":"string","x-mcp-header":"Item"}},
		"n":{"type":"number","x-mcp-header":"N"},
		"d":{"type":"string","default":{"x-mcp-header":"NotAnAnnotation"}}},
		"oneOf":[{"properties":{"q":{"type":"string","x-mcp-header":"Q"}}}]}`), &schema); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, a := range hdrAnnotations(schema) {
		name, _ := a.value.(string)
		got[name] = a.reachable
	}
	want := map[string]bool{"Region": true, "Tenant-Id": true, "Item": false, "N": true, "Q": false}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for k, v := range want {
		if r, ok := got[k]; !ok || r != v {
			t.Errorf("%s: reachable %v (found %v), want %v", k, r, ok, v)
		}
	}
	for name, want := range map[string]bool{
		"password": true, "api_key": true, "apiKey": true, "AccessToken": true, "x-auth-token": true, "userPassword": true,
		"token_count": false, "region": false, "priority": false, "key": false, "keyword": false, "tokenizer": false, "Tenant-Id": false,
	} {
		if got := hdrLooksSensitive(name); got != want {
			t.Errorf("hdrLooksSensitive(%q) = %v, want %v", name, got, want)
		}
	}
}

// headerVariants are the faulty variants of check/internal/faulty/headers.go.
var headerVariants = []string{
	"version-header-only", "mcp-method-from-body", "mcp-name-routed-body-executed", "mcp-name-base64-undecoded",
	"header-names-case-sensitive", "meta-defaults-filled", "meta-missing-status-200", "mcp-param-mismatch-ignored",
	"unsupported-version-invalid-params",
}

// collateral are requirements a variant's one defect also breaks as a
// consequence, by the model's reading.
var collateral = map[string][]spec.ID{
	// Reading the version from the header only, the variant reports the
	// header's version in data.requested of its -32022, where the model
	// wants the body's.
	"version-header-only": {spec.CoreVersionUnsupported},
}

// TestHeaderVariantsPrecise: each variant fails exactly the requirements
// it breaks (the checks it is run with find nothing else), and the
// checks still pass what the variant does right.
func TestHeaderVariantsPrecise(t *testing.T) {
	for _, name := range headerVariants {
		t.Run(name, func(t *testing.T) {
			v, err := faulty.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			h, srv, err := v.Handler()
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			ts := httptest.NewServer(h)
			defer ts.Close()
			target := NewHTTPTarget(ts.URL+impl.Endpoint, Limits{Timeout: 5 * time.Second})
			defer target.Close()
			rep, err := Run(context.Background(), target, Options{Seed: 1, Budget: 30 * time.Second, Only: v.Only})
			if err != nil {
				t.Fatal(err)
			}
			breaks := map[spec.ID]bool{}
			for _, id := range v.Breaks {
				breaks[id] = true
			}
			for _, id := range collateral[name] {
				breaks[id] = true
			}
			passes := 0
			for _, r := range rep.Results {
				switch {
				case r.Status == Fail || r.Status == Warn:
					if !breaks[r.ID] {
						t.Errorf("%s %s, which the variant does not break: %s (check %s)", r.Status, r.ID, r.Message, r.Check)
					} else {
						t.Logf("%s %s: %s", r.Status, r.ID, r.Message)
					}
				case breaks[r.ID] && !slices.Contains(collateral[name], r.ID):
					t.Errorf("%s: %s, want fail", r.ID, r.Status)
				case r.Status == Pass:
					passes++
				}
			}
			t.Logf("%d other requirements pass", passes)
		})
	}
}

// fakeRaw serves raw TCP connections with answer (nil: read and never
// answer) and returns its address.
func fakeRaw(t *testing.T, answer []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 64<<10)
				_ = c.SetDeadline(time.Now().Add(3 * time.Second))
				_, _ = c.Read(buf)
				if answer != nil {
					_, _ = c.Write(answer)
				} else {
					_, _ = io.Copy(io.Discard, c)
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestRawExchange: a lenient server that serves a malformed request is
// seen as serving it; a silent one gives an error within the deadline.
func TestRawExchange(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1/mcp")
	r := DefaultClient.Request(wire.IntID(1), "tools/list", map[string]any{}, nil)
	var fold malformedLine
	for _, ml := range malformedLines("tools/list") {
		if strings.Contains(ml.class, "obs-fold") {
			fold = ml
		}
	}
	raw := hdrRawRequest(u, r, fold.drop, fold.line)
	if !strings.Contains(string(raw), "Mcp-Method: tools/list\r\n folded\r\n") || strings.Count(string(raw), "Mcp-Method") != 1 {
		t.Fatalf("raw request without its obs-fold line:\n%s", raw)
	}
	body := `{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","tools":[]}}`
	lenient := fakeRaw(t, []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body))
	a, err := hdrRawExchange(context.Background(), lenient, raw, 2*time.Second)
	if err != nil || a.status != 200 || !a.served {
		t.Fatalf("lenient server: %+v, %v; want served with 200", a, err)
	}
	start := time.Now()
	_, err = hdrRawExchange(context.Background(), fakeRaw(t, nil), raw, 300*time.Millisecond)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("silent server: err %v after %s; want an error at the deadline", err, time.Since(start))
	}
}
