package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check/authmock"
)

// startMockAS runs `mcpverify mock-as ARGS` until the test ends and
// returns the issuer it printed.
func startMockAS(t *testing.T, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- runMockAS(&env{ctx: ctx, stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard}, args)
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != ExitOK {
				t.Errorf("mock-as exited with %d", code)
			}
		case <-time.After(10 * time.Second):
			t.Error("mock-as did not stop")
		}
	})
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("mock-as printed no issuer: %v", err)
	}
	go io.Copy(io.Discard, pr)
	return strings.TrimSpace(line)
}

func getBody(t *testing.T, u string) (int, string) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(b)
}

func TestMockASServesAndMints(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "keys.json")
	iss := startMockAS(t, "--keys", keys)
	if !strings.HasPrefix(iss, "http://127.0.0.1:") {
		t.Fatalf("issuer %q", iss)
	}
	code, body := getBody(t, iss+authmock.MetadataPath)
	var m authmock.Metadata
	if code != 200 || json.Unmarshal([]byte(body), &m) != nil || m.Issuer != iss {
		t.Fatalf("metadata: %d %s", code, body)
	}
	code, tok := getBody(t, iss+authmock.MintPath+"?sub=alice&aud=https://h/mcp&defect=expired")
	if code != 200 || strings.Count(strings.TrimSpace(tok), ".") != 2 {
		t.Fatalf("mint: %d %q", code, tok)
	}
	// The keys file was created; a second run keeps its keys.
	if _, err := os.Stat(keys); err != nil {
		t.Fatal(err)
	}
	_, jwks1 := getBody(t, m.JWKSURI)
	iss2 := startMockAS(t, "--keys", keys)
	if _, jwks2 := getBody(t, iss2+authmock.JWKSPath); jwks1 != jwks2 {
		t.Error("a second run with the same keys file publishes other keys")
	}
}

func TestMockASUsage(t *testing.T) {
	for _, args := range [][]string{
		{"mock-as", "--http", "0.0.0.0:0"},
		{"mock-as", "--http", "nonsense"},
		{"mock-as", "extra"},
		{"mock-as", "--bogus"},
	} {
		if code, _, _ := run(args, ""); code != ExitUsage {
			t.Errorf("%v: exit %d, want %d", args, code, ExitUsage)
		}
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte("{}"), 0o600)
	if code, _, _ := run([]string{"mock-as", "--keys", bad}, ""); code != ExitCannotRun {
		t.Errorf("a bad keys file: exit %d, want %d", code, ExitCannotRun)
	}
	code, out, _ := run([]string{"mock-as", "--list-defects"}, "")
	if code != ExitOK || !strings.Contains(out, "aud-sibling") || strings.Count(out, "\n") != len(authmock.Defects())-1 {
		t.Errorf("--list-defects: %d\n%s", code, out)
	}
}
