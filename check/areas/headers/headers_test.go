package headers

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/wire"
)

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
	r := check.DefaultClient.Request(wire.IntID(1), "tools/list", map[string]any{}, nil)
	var fold malformedLine
	for _, ml := range malformedLines("tools/list") {
		if strings.Contains(ml.class, "obs-fold") {
			fold = ml
		}
	}
	raw := probe.RawRequest(u, r, fold.drop, fold.line)
	if !strings.Contains(string(raw), "Mcp-Method: tools/list\r\n folded\r\n") || strings.Count(string(raw), "Mcp-Method") != 1 {
		t.Fatalf("raw request without its obs-fold line:\n%s", raw)
	}
	body := `{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","tools":[]}}`
	lenient := fakeRaw(t, []byte("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "+strconv.Itoa(len(body))+"\r\n\r\n"+body))
	a, err := probe.RawExchange(context.Background(), nil, lenient, raw, 2*time.Second)
	if err != nil || a.Status != 200 || !a.Served {
		t.Fatalf("lenient server: %+v, %v; want served with 200", a, err)
	}
	start := time.Now()
	_, err = probe.RawExchange(context.Background(), nil, fakeRaw(t, nil), raw, 300*time.Millisecond)
	if err == nil || time.Since(start) > 2*time.Second {
		t.Fatalf("silent server: err %v after %s; want an error at the deadline", err, time.Since(start))
	}
}
