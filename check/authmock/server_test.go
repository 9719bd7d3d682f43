package authmock_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check/authmock"
)

func TestKeysFileRoundTrip(t *testing.T) {
	a := newServer(t, authmock.Options{})
	path := filepath.Join(t.TempDir(), "keys.json")
	if err := a.SaveKeys(path); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("keys file: %v %v", fi.Mode(), err)
	}
	b := newServer(t, authmock.Options{KeysFile: path})
	ja, jb := fetchJWKS(t, a), fetchJWKS(t, b)
	if !jsonEq(ja, jb) {
		t.Fatal("the loaded server publishes other keys")
	}
	// A token of the first server verifies against the second's JWKS.
	for _, alg := range []authmock.Alg{authmock.RS256, authmock.ES256} {
		tok, err := a.Mint(authmock.Claims{Subject: authmock.Bob, Resource: "https://h/mcp", Alg: alg}, authmock.None)
		if err != nil {
			t.Fatal(err)
		}
		if c := verified(t, jb, tok); c["sub"] != authmock.Bob {
			t.Errorf("%s: sub %v", alg, c["sub"])
		}
	}
	// Saving the loaded keys writes the same keys.
	path2 := filepath.Join(t.TempDir(), "keys2.json")
	if err := b.SaveKeys(path2); err != nil {
		t.Fatal(err)
	}
	x, _ := os.ReadFile(path)
	y, _ := os.ReadFile(path2)
	if string(x) != string(y) {
		t.Error("a loaded server saves other keys")
	}
}

func TestKeysFileRefused(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := newServer(t, authmock.Options{})
	full := filepath.Join(dir, "full.json")
	if err := a.SaveKeys(full); err != nil {
		t.Fatal(err)
	}
	var set struct{ Keys []json.RawMessage }
	b, _ := os.ReadFile(full)
	json.Unmarshal(b, &set)
	pub, _ := json.Marshal(fetchJWKS(t, a))
	for name, p := range map[string]string{
		"missing":  filepath.Join(dir, "none.json"),
		"not json": write("garbage.json", "not json"),
		"huge":     write("huge.json", `{"keys":[`+strings.Repeat(" ", 70<<10)+`]}`),
		"only rsa": write("rsa.json", `{"keys":[`+string(set.Keys[0])+`]}`),
		"only ec":  write("ec.json", `{"keys":[`+string(set.Keys[1])+`]}`),
		"public":   write("public.json", string(pub)),
	} {
		if s, err := authmock.New(authmock.Options{KeysFile: p}); err == nil {
			s.Close()
			t.Errorf("%s keys file accepted", name)
		}
	}
}

func TestAddressRefused(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "example.com:80", "nonsense"} {
		if s, err := authmock.New(authmock.Options{Addr: addr}); err == nil {
			s.Close()
			t.Errorf("address %q accepted", addr)
		}
	}
}

func post(t *testing.T, u string, form url.Values) (int, map[string]any) {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&m); err != nil {
		t.Fatalf("%s: %v", resp.Status, err)
	}
	return resp.StatusCode, m
}

func TestTokenEndpoint(t *testing.T) {
	s := newServer(t, authmock.Options{})
	const res = "https://mcp.example.com/mcp"
	code, m := post(t, s.Metadata().TokenEndpoint, url.Values{"grant_type": {"client_credentials"}, "client_id": {authmock.ClientID}, "resource": {res}})
	if code != 200 || m["token_type"] != "Bearer" {
		t.Fatalf("%d %v", code, m)
	}
	c := verified(t, fetchJWKS(t, s), m["access_token"].(string))
	if c["aud"] != res || c["sub"] != authmock.ClientID || c["iss"] != s.Issuer() {
		t.Errorf("claims %v", c)
	}
	for name, f := range map[string]url.Values{
		"other grant":    {"grant_type": {"authorization_code"}, "client_id": {authmock.ClientID}, "resource": {res}},
		"other client":   {"grant_type": {"client_credentials"}, "client_id": {"someone"}, "resource": {res}},
		"no resource":    {"grant_type": {"client_credentials"}, "client_id": {authmock.ClientID}},
		"two resources":  {"grant_type": {"client_credentials"}, "client_id": {authmock.ClientID}, "resource": {res, res + "2"}},
		"bad resource":   {"grant_type": {"client_credentials"}, "client_id": {authmock.ClientID}, "resource": {"/relative"}},
		"oversized body": {"grant_type": {"client_credentials"}, "client_id": {authmock.ClientID}, "resource": {res}, "pad": {strings.Repeat("x", 16<<10)}},
	} {
		if code, m := post(t, s.Metadata().TokenEndpoint, f); code != 400 || m["error"] == nil {
			t.Errorf("%s: %d %v", name, code, m)
		}
	}
}

func TestMintEndpoint(t *testing.T) {
	off := newServer(t, authmock.Options{})
	if resp, _ := get(t, off.Issuer()+authmock.MintPath+"?sub=alice&aud=https://h/mcp"); resp.StatusCode != 404 {
		t.Errorf("mint endpoint served without MintEndpoint: %s", resp.Status)
	}
	s := newServer(t, authmock.Options{MintEndpoint: true})
	q := url.Values{"sub": {"alice"}, "aud": {"https://h/mcp"}, "alg": {"ES256"}}
	resp, b := get(t, s.Issuer()+authmock.MintPath+"?"+q.Encode())
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s", resp.Status, b)
	}
	c := verified(t, fetchJWKS(t, s), strings.TrimSpace(string(b)))
	if c["sub"] != "alice" || c["aud"] != "https://h/mcp" {
		t.Errorf("claims %v", c)
	}
	q.Set("defect", "aud-sibling")
	_, b = get(t, s.Issuer()+authmock.MintPath+"?"+q.Encode())
	if d := decode(t, strings.TrimSpace(string(b))); d.claims["aud"] != "https://h/other-mcp" {
		t.Errorf("defect aud-sibling: aud %v", d.claims["aud"])
	}
	for _, bad := range []string{"sub=alice", "aud=https://h/mcp", "sub=alice&aud=https://h/mcp&defect=nope", "sub=alice&aud=https://h/mcp&alg=none"} {
		if resp, _ := get(t, s.Issuer()+authmock.MintPath+"?"+bad); resp.StatusCode != 400 {
			t.Errorf("%s: %s", bad, resp.Status)
		}
	}
}

// TestBounded: an oversized header is refused, a client that never
// finishes its request does not keep Close from returning, and after
// Close nothing is served.
func TestBounded(t *testing.T) {
	s, err := authmock.New(authmock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	host := strings.TrimPrefix(s.Issuer(), "http://")
	// A header past the limit.
	conn, err := net.DialTimeout("tcp", host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nX-Pad: %s\r\n\r\n", authmock.MetadataPath, host, strings.Repeat("x", 64<<10))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	conn.Close()
	if !strings.Contains(line, "431") && !strings.Contains(line, "400") {
		t.Errorf("oversized header: %q", line)
	}
	// Idle and half-sent connections.
	var open []net.Conn
	for range 8 {
		c, err := net.DialTimeout("tcp", host, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100\r\n\r\nx", authmock.TokenPath, host)
		open = append(open, c)
	}
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	done := make(chan error, 1)
	go func() { done <- s.Close() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not return")
	}
	if err := s.Close(); err != nil {
		t.Errorf("a second Close: %v", err)
	}
	c := &http.Client{Timeout: 2 * time.Second}
	if resp, err := c.Get(s.Issuer() + authmock.MetadataPath); err == nil {
		resp.Body.Close()
		t.Error("served after Close")
	}
}
