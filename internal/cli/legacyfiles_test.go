package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// legacyFilesServer is a 2025-11-25 stdio server with one read_file tool,
// confined to its allowed directories, which, like the official
// filesystem server, asks a client that declares roots for them and then
// uses the roots in place of its directories.
func legacyFilesServer(dir string) {
	allowed := []string{dir}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 1<<20)
	out := json.NewEncoder(os.Stdout)
	roots := false
	for in.Scan() {
		var m struct {
			ID     json.RawMessage `json:"id"`
			Method string          `json:"method"`
			Params json.RawMessage `json:"params"`
			Result json.RawMessage `json:"result"`
		}
		if json.Unmarshal(in.Bytes(), &m) != nil {
			continue
		}
		reply := func(result any) { out.Encode(map[string]any{"jsonrpc": "2.0", "id": m.ID, "result": result}) }
		text := func(s string, isErr bool) map[string]any {
			return map[string]any{"content": []any{map[string]any{"type": "text", "text": s}}, "isError": isErr}
		}
		switch m.Method {
		case "initialize":
			var p struct {
				Capabilities map[string]any `json:"capabilities"`
			}
			json.Unmarshal(m.Params, &p)
			_, roots = p.Capabilities["roots"]
			reply(map[string]any{"protocolVersion": "2025-11-25", "capabilities": map[string]any{"tools": map[string]any{}}, "serverInfo": map[string]any{"name": "legacy-files", "version": "1"}})
		case "notifications/initialized":
			if roots {
				out.Encode(map[string]any{"jsonrpc": "2.0", "id": "roots-1", "method": "roots/list"})
			}
		case "":
			var r struct {
				Roots []struct{ URI string } `json:"roots"`
			}
			if json.Unmarshal(m.Result, &r) == nil && len(r.Roots) > 0 {
				allowed = nil
				for _, root := range r.Roots {
					if u, err := url.Parse(root.URI); err == nil {
						allowed = append(allowed, filepath.Clean(u.Path))
					}
				}
			}
		case "tools/list":
			reply(map[string]any{"tools": []any{map[string]any{"name": "read_file", "annotations": map[string]any{"readOnlyHint": true},
				"inputSchema": map[string]any{"type": "object", "required": []any{"path"}, "properties": map[string]any{"path": map[string]any{"type": "string"}}}}}})
		case "tools/call":
			var p struct {
				Arguments struct{ Path string } `json:"arguments"`
			}
			json.Unmarshal(m.Params, &p)
			path := p.Arguments.Path
			if !filepath.IsAbs(path) {
				path = filepath.Join(allowed[0], path)
			}
			path = filepath.Clean(path)
			real, err := filepath.EvalSymlinks(path)
			ok := false
			for _, a := range allowed {
				ok = ok || err == nil && (real == a || strings.HasPrefix(real, a+"/")) && (path == a || strings.HasPrefix(path, a+"/"))
			}
			b, rerr := os.ReadFile(real)
			if !ok || rerr != nil {
				reply(text(fmt.Sprintf("Access denied: %s", p.Arguments.Path), true))
				continue
			}
			reply(text(string(b), false))
		default:
			if len(m.ID) > 0 {
				out.Encode(map[string]any{"jsonrpc": "2.0", "id": m.ID, "error": map[string]any{"code": -32601, "message": "Method not found"}})
			}
		}
	}
}

// TestCLILegacyFilesHelper is not a test: run as a helper process with
// "-- legacy-files DIR", it is legacyFilesServer.
func TestCLILegacyFilesHelper(t *testing.T) {
	for i, a := range os.Args {
		if a == "--" && i+2 < len(os.Args) && os.Args[i+1] == "legacy-files" {
			legacyFilesServer(os.Args[i+2])
			os.Exit(0)
		}
	}
}

// TestCheckLegacyRoots: the file checks over a 2025-11-25 stdio server
// that asks for roots and uses them in place of its directory: the
// server is started again for each roots pass, its session declaring
// roots, its roots/list answered; a narrower root is respected, a root
// outside widens its access (FILES-ROOTS-WIDEN warns), and the confined
// reads pass.
func TestCheckLegacyRoots(t *testing.T) {
	command := shellQuote(os.Args[0]) + " -test.run=^TestCLILegacyFilesHelper$ -- legacy-files {workspace}"
	out := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr := run([]string{"check", "--sandbox", "--command", command, "--only", "files/", "--seed", "1", "--json", out}, "")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("exit %d, no report: %v\n%s\n%s", code, err, stdout, stderr)
	}
	var rep struct {
		Results []struct{ ID, Status, Message, Revision string } `json:"results"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"FILES-TOOL-CONFINED": "pass", "FILES-ROOTS-RESPECT": "pass", "FILES-ROOTS-WIDEN": "warn"}
	for _, r := range rep.Results {
		if w, ok := want[r.ID]; ok {
			if r.Status != w || r.Revision != "2025-11-25" {
				t.Errorf("%s: %s on %q (%s), want %s on 2025-11-25", r.ID, r.Status, r.Revision, r.Message, w)
			}
			delete(want, r.ID)
		}
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v", want)
	}
}
