package cli

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

// jsonReport is the documented shape of `check --json` (docs/report-schema.md).
type jsonReport struct {
	SchemaVersion int    `json:"schemaVersion"`
	ToolVersion   string `json:"toolVersion"`
	Target        string `json:"target"`
	Revision      string `json:"revision"`
	Seed          string `json:"seed"`
	Exchanges     int    `json:"exchanges"`
	Failed        bool   `json:"failed"`
	Counts        struct {
		Fail, Baselined, Stale int
	} `json:"counts"`
	Results []struct {
		ID        string `json:"id"`
		Status    string `json:"status"`
		Check     string `json:"check"`
		Trace     string `json:"trace"`
		TraceFile string `json:"traceFile"`
		Baselined string `json:"baselined"`
		Stale     bool   `json:"stale"`
	} `json:"results"`
}

func decodeReport(t *testing.T, out string) jsonReport {
	t.Helper()
	var rep jsonReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("stdout is not the JSON report: %v\n%s", err, out)
	}
	return rep
}

// TestCheckReferenceJSON runs check against the embedded reference server
// with --json -: stdout is exactly the JSON report, nothing failed, exit 0.
func TestCheckReferenceJSON(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "junit.xml")
		code, out, errs := run([]string{"check", "--seed", "3", "--max-exchanges", "40", "--json", "-", "--junit", junit}, "")
		if code != ExitOK {
			t.Fatalf("exit %d; stderr:\n%s", code, errs)
		}
		rep := decodeReport(t, out)
		if rep.SchemaVersion != 1 || rep.Revision != wire.Version || rep.Seed != "3" || rep.ToolVersion == "" {
			t.Errorf("header: %+v", rep)
		}
		if !strings.HasSuffix(rep.Target, impl.Endpoint) || rep.Exchanges == 0 || rep.Failed || len(rep.Results) == 0 {
			t.Errorf("target %q, %d exchanges, failed %v, %d results", rep.Target, rep.Exchanges, rep.Failed, len(rep.Results))
		}
		for _, r := range rep.Results {
			if r.Status != "pass" && r.Status != "skip" {
				t.Errorf("%s: %s (check %s)", r.ID, r.Status, r.Check)
			}
		}
		// The text report went to stderr, the JUnit file was written.
		if !strings.Contains(errs, "passed") {
			t.Errorf("no text report on stderr:\n%s", errs)
		}
		data, err := os.ReadFile(junit)
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Tests int `xml:"tests,attr"`
		}
		if err := xml.Unmarshal(data, &suites); err != nil || suites.Tests != len(rep.Results) {
			t.Errorf("junit: %v, %d tests; want %d", err, suites.Tests, len(rep.Results))
		}
	})
}

// lenientMetaServer serves the reference server behind lenientMeta until
// the test ends, and returns its endpoint URL.
func lenientMetaServer(t *testing.T) string {
	t.Helper()
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	ts := httptest.NewServer(lenientMeta(srv.Handler()))
	t.Cleanup(ts.Close)
	return ts.URL + impl.Endpoint
}

// lenientMeta is a broken server: it fills in the _meta fields a request
// lacks instead of rejecting it (CORE-META-REQUIRED, HTTP-META-STATUS).
func lenientMeta(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var msg map[string]any
		if err == nil && r.Method == http.MethodPost && json.Unmarshal(body, &msg) == nil {
			params, _ := msg["params"].(map[string]any)
			if params == nil {
				params = map[string]any{}
			}
			meta, _ := params["_meta"].(map[string]any)
			if meta == nil {
				meta = map[string]any{}
			}
			if meta[wire.MetaProtocolVersion] == nil {
				meta[wire.MetaProtocolVersion] = wire.Version
			}
			if meta[wire.MetaClientCapabilities] == nil {
				meta[wire.MetaClientCapabilities] = map[string]any{}
			}
			params["_meta"] = meta
			msg["params"] = params
			body, _ = json.Marshal(msg)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.Header.Set("Content-Length", strconv.Itoa(len(body)))
		next.ServeHTTP(w, r)
	})
}

// TestCheckExitCodesAndBaseline: a broken server exits 3; baselining what
// it breaks makes the run exit 0 with the failures marked; a baselined
// requirement that passes is stale; traces are saved and named.
func TestCheckExitCodesAndBaseline(t *testing.T) {
	url := lenientMetaServer(t)
	dir := t.TempDir()
	args := []string{"check", "--url", url, "--seed", "5", "--only", "meta/", "--traces", filepath.Join(dir, "traces")}

	code, out, errs := run(append(args, "--json", "-"), "")
	if code != ExitViolations {
		t.Fatalf("broken server: exit %d, want %d; stderr:\n%s", code, ExitViolations, errs)
	}
	rep := decodeReport(t, out)
	var failed []string
	for _, r := range rep.Results {
		if r.Status == "fail" {
			failed = append(failed, r.ID)
			if r.Trace == "" || r.TraceFile == "" {
				t.Errorf("%s: trace %d bytes, traceFile %q", r.ID, len(r.Trace), r.TraceFile)
			} else if _, err := os.Stat(r.TraceFile); err != nil {
				t.Errorf("%s: %v", r.ID, err)
			}
		}
	}
	if !rep.Failed || len(failed) == 0 || !strings.Contains(strings.Join(failed, " "), "CORE-META-REQUIRED") {
		t.Fatalf("failed %v, report.failed %v", failed, rep.Failed)
	}

	// Baseline every failure, and one requirement that passes (stale).
	var bl strings.Builder
	bl.WriteString("# known failures of lenientMeta\n\n")
	for _, id := range failed {
		bl.WriteString(id + "   fills in missing _meta on purpose\n")
	}
	bl.WriteString("CORE-DISCOVER  was broken once\n")
	blPath := filepath.Join(dir, "baseline.txt")
	if err := os.WriteFile(blPath, []byte(bl.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errs = run(append(args, "--baseline", blPath), "")
	if code != ExitOK {
		t.Fatalf("baselined: exit %d, want 0; stderr:\n%s\nstdout:\n%s", code, errs, out)
	}
	for _, want := range []string{"Known failures, baselined", "fills in missing _meta on purpose", "traces"} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q:\n%s", want, out)
		}
	}
	_, out, _ = run(append(args, "--baseline", blPath, "--json", "-"), "")
	rep = decodeReport(t, out)
	if rep.Failed || rep.Counts.Baselined != len(failed) {
		t.Errorf("baselined run: failed %v, counts %+v; want %d baselined", rep.Failed, rep.Counts, len(failed))
	}
	for _, r := range rep.Results {
		if r.Status == "fail" && r.Baselined == "" {
			t.Errorf("%s: failed and not baselined", r.ID)
		}
		if r.ID == "CORE-DISCOVER" && r.Status == "pass" && !r.Stale {
			t.Errorf("%s passes and is baselined but not stale", r.ID)
		}
	}
}

// TestCheckUsageAndCannotRun: usage errors exit 2; an unreachable server
// exits 1.
func TestCheckUsageAndCannotRun(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.txt")
	os.WriteFile(bad, []byte("NOT-AN-ID because\n"), 0o644)
	for _, args := range [][]string{
		{"check", "--json", "-", "--junit", "-"},
		{"check", "--baseline", filepath.Join(dir, "missing.txt")},
		{"check", "--baseline", bad},
		{"check", "extra"},
		{"check", "--bogus"},
	} {
		if code, _, _ := run(args, ""); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	code, out, errs := run([]string{"check", "--url", "http://" + addr + "/mcp", "--only", "meta/", "--json", "-"}, "")
	if code != ExitCannotRun || !strings.Contains(errs, "connection refused") {
		t.Errorf("unreachable server: exit %d, want %d and the cause; stderr:\n%s", code, ExitCannotRun, errs)
	}
	if rep := decodeReport(t, out); rep.Failed {
		t.Errorf("unreachable server: report says failed")
	}
}
