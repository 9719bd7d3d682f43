package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func run(args []string, stdin string) (int, string, string) {
	var out, errb bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestVersionAndUsage(t *testing.T) {
	if code, out, _ := run([]string{"version"}, ""); code != ExitOK || !strings.Contains(out, "2026-07-28") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, _, _ := run(nil, ""); code != ExitUsage {
		t.Errorf("no command: %d", code)
	}
	if code, _, errs := run([]string{"frobnicate"}, ""); code != ExitUsage || !strings.Contains(errs, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errs)
	}
	if code, out, _ := run([]string{"help"}, ""); code != ExitOK || !strings.Contains(out, "serve") {
		t.Errorf("help: %d %q", code, out)
	}
	if code, _, _ := run([]string{"serve", "-bogus"}, ""); code != ExitUsage {
		t.Errorf("bad flag: %d", code)
	}
	if code, _, _ := run([]string{"serve", "-h"}, ""); code != ExitOK {
		t.Errorf("serve -h: %d", code)
	}
}

func TestServeRefusals(t *testing.T) {
	cases := [][]string{
		{"serve", "--http", "0.0.0.0:0"},
		{"serve", "--http", ":0"},
		{"serve", "--http", "example.com:80"},
		{"serve", "--http", "nonsense"},
		{"serve", "--stdio", "--http", "127.0.0.1:0"},
		{"serve", "--stdio", "--state-key", "abcd"},
		{"serve", "--stdio", "--state-key", "zz"},
		{"serve", "--stdio", "--store", "127.0.0.1:6379"},
		{"serve", "--stdio", "--store", "http://127.0.0.1:6379/0"},
		{"serve", "--stdio", "--max-carts", "10", "--max-carts-total", "10"},
		{"serve", "--stdio", "--max-confirmations", "0"},
		{"serve", "--stdio", "--max-confirmations-total", "5"},
		{"serve", "--stdio", "--issuer", "https://as.example.com"},
		{"serve", "--http", "127.0.0.1:0", "--resource", "http://127.0.0.1:1/mcp"},
		{"serve", "--http", "127.0.0.1:0", "--issuer", "http://as.example.com"},
		{"serve", "--http", "127.0.0.1:0", "--issuer", "https://as.example.com", "--resource", "/mcp"},
	}
	for _, args := range cases {
		if code, _, errs := run(args, ""); code != ExitUsage || errs == "" {
			t.Errorf("%v: exit %d, stderr %q; want 2 and a message", args, code, errs)
		}
	}
}

func TestServeStdio(t *testing.T) {
	key := strings.Repeat("ab", 32)
	in := `{"jsonrpc":"2.0","id":1,"method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{}}}}` + "\n"
	code, out, errs := run([]string{"serve", "--stdio", "--state-key", key}, in)
	if code != ExitOK {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 1 {
		t.Fatalf("stdout %q: want one line", out)
	}
	var m map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &m); err != nil || m["result"] == nil {
		t.Errorf("answer %q: %v", lines[0], err)
	}
}
