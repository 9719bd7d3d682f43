package handles

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/internal/faulty"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// handleIDs are the requirements the handle check decides.
var handleIDs = []spec.ID{spec.StateHandleRandom, spec.StateHandleEntropy, spec.StateHandlePrincipal,
	spec.StateHandleNotAuth, spec.StateHandleOracle, spec.StateHandleReleased}

// runHandles runs state/handles as alice, with bob as the second
// principal, against h in process (in a synctest bubble in the tests).
func runHandles(t testing.TB, h http.Handler) *check.Report {
	t.Helper()
	o := check.Options{Seed: 1, Budget: 90 * time.Second, CheckTimeout: 30 * time.Second, MaxExchanges: 60, Only: []string{"state/handles"}}
	o.Client = check.DefaultClient
	o.Client.Header = http.Header{"Authorization": {"Bearer " + faulty.StateAliceToken}}
	o.AltHeader = http.Header{"Authorization": {"Bearer " + faulty.StateBobToken}}
	tgt := target.InProcess(h, target.Limits{Timeout: 5 * time.Second})
	defer tgt.Close()
	rep, err := check.Run(context.Background(), tgt, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// withoutNames switches the name rule off for the rest of the test: no
// argument or result member is named like a handle.
func withoutNames(t testing.TB) {
	saved := handleName
	handleName = regexp.MustCompile(`[^\x00-\x{10FFFF}]`)
	t.Cleanup(func() { handleName = saved })
}

// referenceServer returns the reference server of the state variants.
func referenceServer(t testing.TB) *impl.Server {
	srv, err := impl.New(faulty.StateConfig())
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// requirePasses returns the STATE-HANDLE-* statuses of a report, and
// fails the test on any that is not pass.
func requirePasses(t *testing.T, rep *check.Report) map[spec.ID]check.Status {
	t.Helper()
	out := map[spec.ID]check.Status{}
	for _, id := range handleIDs {
		r, _ := rep.Result(id)
		out[id] = r.Status
		if r.Status != check.Pass {
			t.Errorf("%s: want pass, got %s: %s", id, r.Status, r.Message)
		}
	}
	return out
}

// detectedBy returns how the kinds of handles of a report were detected,
// read from the labels of its messages ("detected by flow: ...").
func detectedBy(rep *check.Report) []string {
	var out []string
	for _, id := range handleIDs {
		r, _ := rep.Result(id)
		for _, m := range detectedRe.FindAllStringSubmatch(r.Message, -1) {
			if !slices.Contains(out, m[1]) {
				out = append(out, m[1])
			}
		}
	}
	return out
}

var detectedRe = regexp.MustCompile(`detected by (\w+):`)

// TestHandlesWithoutNames: with the name rule switched off, the reference
// server's carts (cart_create, cart_view, cart_add, cart_delete) are still
// found, by their arguments' description and the flow, and every
// STATE-HANDLE-* requirement comes out as it does with names: pass.
func TestHandlesWithoutNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := referenceServer(t)
		defer srv.Close()
		named := runHandles(t, srv.Handler())
		want := requirePasses(t, named)
		if by := detectedBy(named); !slices.Equal(by, []string{"name"}) {
			t.Errorf("with names: detected by %v, want [name]", by)
		}
		withoutNames(t)
		unnamed := runHandles(t, srv.Handler())
		if got := requirePasses(t, unnamed); !maps.Equal(got, want) {
			t.Errorf("without names: %v; with names: %v", got, want)
		}
		if by := detectedBy(unnamed); !slices.Equal(by, []string{"description"}) {
			t.Errorf("without names: detected by %v, want [description]", by)
		}
		r, _ := unnamed.Result(spec.StateHandleReleased)
		if !strings.Contains(r.Message, "cart_delete released") {
			t.Errorf("without names, the release is not cart_delete: %s", r.Message)
		}
	})
}

// TestHandlesFoundByFlow: cart tools that call the handle "cart" and
// describe it as nothing in particular are found by the flow alone, with
// or without the name rule; the correct server passes, and the variant
// that lets any principal use any cart is caught (STATE-HANDLE-PRINCIPAL).
func TestHandlesFoundByFlow(t *testing.T) {
	var unbound *faulty.StateVariant
	for _, v := range faulty.StateVariants() {
		if v.Name == "handles-unbound-plain-names" {
			unbound = v
		}
	}
	if unbound == nil {
		t.Fatal("no variant handles-unbound-plain-names")
	}
	for _, names := range []bool{true, false} {
		synctest.Test(t, func(t *testing.T) {
			if !names {
				withoutNames(t)
			}
			srv := referenceServer(t)
			defer srv.Close()
			rep := runHandles(t, faulty.PlainCartNames(srv.Handler()))
			requirePasses(t, rep)
			if by := detectedBy(rep); !slices.Equal(by, []string{"flow"}) {
				t.Errorf("names %v: the correct server's handles detected by %v, want [flow]", names, by)
			}

			h, vsrv, err := unbound.Handler()
			if err != nil {
				t.Fatal(err)
			}
			defer vsrv.Close()
			rep = runHandles(t, h)
			if r, _ := rep.Result(spec.StateHandlePrincipal); r.Status != check.Warn {
				t.Errorf("names %v: STATE-HANDLE-PRINCIPAL: want warn, got %s: %s", names, r.Status, r.Message)
			}
			if by := detectedBy(rep); !slices.Equal(by, []string{"flow"}) {
				t.Errorf("names %v: the variant's handles detected by %v, want [flow]", names, by)
			}
		})
	}
}

// TestDetectionBounds: with cart_create marked destructiveHint: true,
// detection never calls it (it cannot mint while exploring), finds no
// handle, skips the requirements saying so, and stays within its bound
// of calls.
func TestDetectionBounds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := referenceServer(t)
		defer srv.Close()
		var mu sync.Mutex
		calls := map[string]int{}
		rep := runHandles(t, destructiveMinter(srv.Handler(), "cart_create", func(tool string) {
			mu.Lock()
			calls[tool]++
			mu.Unlock()
		}))
		if calls["cart_create"] > 0 {
			t.Errorf("cart_create, marked destructive, was called %d times", calls["cart_create"])
		}
		n := 0
		for _, c := range calls {
			n += c
		}
		if n == 0 || n > detectCalls {
			t.Errorf("%d tool calls (%v), want 1 to %d", n, calls, detectCalls)
		}
		for _, id := range handleIDs {
			if r, _ := rep.Result(id); r.Status != check.Skip || !strings.Contains(r.Message, "no state handle found") {
				t.Errorf("%s: want skip for no handle, got %s: %s", id, r.Status, r.Message)
			}
		}
	})
}

// destructiveMinter wraps h: tools/list marks tool destructiveHint: true,
// and seen is told the name of every tool called.
func destructiveMinter(h http.Handler, tool string, seen func(tool string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		var msg struct {
			Method string
			Params struct{ Name string }
		}
		_ = json.Unmarshal(body, &msg)
		switch msg.Method {
		case "tools/call":
			seen(msg.Params.Name)
		case "tools/list":
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			for k, vs := range rec.Header() {
				if k != "Content-Length" {
					w.Header()[k] = vs
				}
			}
			w.WriteHeader(rec.Code)
			name := []byte(`"name":"` + tool + `"`)
			_, _ = w.Write(bytes.Replace(rec.Body.Bytes(), name, append([]byte(`"annotations":{"destructiveHint":true},`), name...), 1))
			return
		}
		h.ServeHTTP(w, r)
	})
}

// toolResult returns an observation of a tools/call answered with result.
func toolResult(t *testing.T, result string) check.Observation {
	t.Helper()
	ex := &wire.Exchange{Transport: wire.Stdio,
		Body:  []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"x"}}`),
		Lines: [][]byte{[]byte(`{"jsonrpc":"2.0","id":1,"result":` + result + `}`)}, Outcome: wire.Complete}
	ex.Decode()
	o := check.Observation{Ex: ex}
	if _, ok := o.Result().(*wire.CallToolResult); !ok {
		t.Fatalf("not a tool result: %s", result)
	}
	return o
}

// TestResultValues: the values of a result that could be handles, and
// where they are.
func TestResultValues(t *testing.T) {
	o := toolResult(t, `{"content":[{"type":"text","text":"Created order ord-7Hq2x9 for cart_AbC123xyz at 2026-07-28T10:00:00Z; see https://x.example/a-1."}],
		"structuredContent":{"cart":"cart_AbC123xyz","expiresAt":"2026-07-28T10:00:00Z","count":3,"note":"hello world",
		  "order":{"items":[{"sku":"book","line":"ln_0001aa"},{"line":"ln_0002bb"},{"line":"ln_0003cc"}]},"basketId":42}}`)
	var got []string
	for _, c := range resultValues(o) {
		got = append(got, c.where()+"="+c.val.text)
	}
	want := []string{"structuredContent.basketId=42", "structuredContent.cart=cart_AbC123xyz",
		"structuredContent.order.items.0.line=ln_0001aa", "structuredContent.order.items.1.line=ln_0002bb",
		"its text=ord-7Hq2x9"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
	word := handleTool{word: 0}
	if v, ok := word.handleIn(o); !ok || v.text != "ord-7Hq2x9" {
		t.Errorf("the first word of the text: %v %v", v, ok)
	}
	at := handleTool{path: []string{"structuredContent", "order", "items", "1", "line"}}
	if v, ok := at.handleIn(o); !ok || v.text != "ln_0002bb" {
		t.Errorf("at a path: %v %v", v, ok)
	}
}

// TestFlowNames: opaque values, base names, first words, mentions.
func TestFlowNames(t *testing.T) {
	for s, want := range map[string]bool{"cart_AbC123": true, "a1b2c3": true, "PKPgIQ3RgOKiULTucOdD": true,
		"hello": false, "abcdef": false, "2026-07-28": false, "2020-12": false, "10:30:00": false, "https://x/y-1": false,
		"has space1": false, "x1": false} {
		if opaque(s) != want {
			t.Errorf("opaque(%q) = %v", s, !want)
		}
	}
	for name, want := range map[string]string{"cart_id": "cart", "cartId": "cart", "CART-ID": "cart", "cartID": "cart",
		"cart": "cart", "id": "id", "paid": "paid", "session.id": "session"} {
		if got := baseName(name); got != want {
			t.Errorf("baseName(%q) = %q, want %q", name, got, want)
		}
	}
	for name, want := range map[string]string{"cart_create": "cart", "cartCreate": "cart", "cart": "cart", "Cart.new": "cart"} {
		if got := stem(name); got != want {
			t.Errorf("stem(%q) = %q, want %q", name, got, want)
		}
	}
	if !mentions("A cart handle returned by cart_create.", "cart_create") || mentions("see cart_create_v2", "cart_create") {
		t.Error("mentions")
	}
}

// TestMintOrder: tools marked destructive or named like a release, and
// tools that require an argument called a handle, are never called to
// explore; the tools suggested as minters come first.
func TestMintOrder(t *testing.T) {
	e := check.NewEnv(context.Background(), check.Options{Seed: 1})
	tool := func(name, input, output string, ann *wire.ToolAnnotations) {
		td := &check.ToolDecl{Tool: wire.Tool{Name: name, InputSchema: wire.Value(input), Annotations: ann}}
		if output != "" {
			td.Tool.OutputSchema = wire.Value(output)
		}
		_ = wire.Unmarshal(td.Tool.InputSchema, &td.Schema)
		e.Decl.Tools[name] = td
	}
	yes := true
	none := `{"type":"object"}`
	tool("basket_open", none, `{"type":"object","properties":{"basket":{"type":"string"}}}`, nil)
	tool("basket_show", `{"type":"object","properties":{"basket":{"type":"string"}},"required":["basket"]}`, "", nil)
	tool("basket_wipe", `{"type":"object","properties":{"basket":{"type":"string","description":"the basket returned by basket_open"}},"required":["basket"]}`, "", &wire.ToolAnnotations{DestructiveHint: &yes})
	tool("launch", none, "", &wire.ToolAnnotations{DestructiveHint: &yes})
	tool("drop_all", none, "", nil)
	tool("ping", none, "", &wire.ToolAnnotations{ReadOnlyHint: &yes})
	tool("stats", none, `{"type":"object","properties":{"n":{"type":"integer"}}}`, nil)
	slots := slotsOf(e)
	var names []string
	for _, s := range slots {
		names = append(names, s.tool+"."+s.prop)
		if s.release != (s.tool == "basket_wipe") {
			t.Errorf("%s.%s: release %v", s.tool, s.prop, s.release)
		}
	}
	if !slices.Equal(names, []string{"basket_show.basket", "basket_wipe.basket"}) {
		t.Errorf("slots %v", names)
	}
	if got, want := mintOrder(e, slots, nil), []string{"basket_open", "basket_show", "stats", "ping"}; !slices.Equal(got, want) {
		t.Errorf("mint order %v, want %v", got, want)
	}
}

// BenchmarkHandlesCheck: the whole handle check (detection included)
// against the reference server in process: the wall time and the
// exchanges of a run (discovery excluded), with the name rule and
// without it.
func BenchmarkHandlesCheck(b *testing.B) {
	for _, names := range []bool{true, false} {
		label := "names"
		if !names {
			label = "flow-only"
		}
		b.Run(label, func(b *testing.B) {
			if !names {
				withoutNames(b)
			}
			srv := referenceServer(b)
			defer srv.Close()
			var wall time.Duration
			exchanges := 0
			for b.Loop() {
				start := time.Now()
				rep := runHandles(b, srv.Handler())
				wall += time.Since(start)
				exchanges += rep.Exchanges - rep.Discovery
				for _, id := range handleIDs {
					if r, _ := rep.Result(id); r.Status != check.Pass {
						b.Fatalf("%s: %s %s", id, r.Status, r.Message)
					}
				}
			}
			b.ReportMetric(float64(wall.Microseconds())/1000/float64(b.N), "ms/run")
			b.ReportMetric(float64(exchanges)/float64(b.N), "exchanges/run")
		})
	}
}
