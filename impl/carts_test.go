package impl

import (
	"bytes"
	"encoding/base64"
	"errors"
	"math/big"
	"strings"
	"testing"
	"time"
)

func createCart(t *testing.T, h *harness, token string) string {
	t.Helper()
	r := callAs(h, token, "cart_create", nil, nil)
	id, _ := get(r.result(), "structuredContent", "cart_id").(string)
	if !wellFormedCartHandle(id) || get(r.result(), "isError") == true {
		t.Fatalf("cart_create: %s", r.body)
	}
	return id
}

func TestCartFlow(t *testing.T) {
	h := newHarness(t, Config{})
	id := createCart(t, h, "")
	for _, add := range []map[string]any{{"sku": "apple", "qty": 2}, {"sku": "pear", "qty": 1}, {"sku": "apple", "qty": 3}} {
		add["cart_id"] = id
		if r := callAs(h, "", "cart_add", add, nil); get(r.result(), "isError") == true {
			t.Fatalf("cart_add %v: %s", add, r.body)
		}
	}
	r := callAs(h, "", "cart_view", map[string]any{"cart_id": id}, nil)
	items, _ := get(r.result(), "structuredContent", "items").([]any)
	if len(items) != 2 || get(items[0], "sku") != "apple" || get(items[0], "qty") != 5.0 || get(items[1], "qty") != 1.0 {
		t.Errorf("cart_view: %s", r.body)
	}
	if r := callAs(h, "", "cart_delete", map[string]any{"cart_id": id}, nil); get(r.result(), "isError") == true {
		t.Errorf("cart_delete: %s", r.body)
	}
	if r := callAs(h, "", "cart_view", map[string]any{"cart_id": id}, nil); get(r.result(), "isError") != true {
		t.Errorf("view after delete: %s", r.body)
	}
	// The lifetime is stated where the model decides to create a cart.
	for _, tl := range get(h.do(rpc{Method: "tools/list"}).result(), "tools").([]any) {
		if get(tl, "name") == "cart_create" && !strings.Contains(get(tl, "description").(string), "expire 30 minutes after creation") {
			t.Errorf("cart_create description: %v", get(tl, "description"))
		}
	}
}

// TestCartNotFoundIsOneAnswer: another principal's handle, a handle that
// never existed, a malformed one, a deleted one and an expired one get the
// same answer, byte for byte, from every cart tool.
func TestCartNotFoundIsOneAnswer(t *testing.T) {
	clk := newTestClock()
	h := newHarness(t, Config{Tokens: testTokens, Now: clk.Now})
	alices := createCart(t, h, tokAlice)
	deleted := createCart(t, h, tokBob)
	callAs(h, tokBob, "cart_delete", map[string]any{"cart_id": deleted}, nil)
	expired := createCart(t, h, tokBob)
	clk.Advance(DefaultHandleTTL)
	never, _ := mintCartHandle()
	handles := map[string]string{
		"alice's":                      alices,
		"never existed":                never,
		"deleted":                      deleted,
		"expired":                      expired,
		"malformed":                    "cart_nope",
		"empty":                        "",
		"alice's, upper case":          strings.ToUpper(alices),
		"alice's without the prefix":   strings.TrimPrefix(alices, cartPrefix),
		"alice's with a trailing char": alices + "A",
	}
	for _, tool := range []string{"cart_view", "cart_add", "cart_delete"} {
		var want []byte
		for name, id := range handles {
			args := map[string]any{"cart_id": id}
			if tool == "cart_add" {
				args["sku"], args["qty"] = "apple", 1
			}
			r := callAs(h, tokBob, tool, args, nil)
			if get(r.result(), "isError") != true || !strings.HasPrefix(get(r.result(), "content").([]any)[0].(map[string]any)["text"].(string), "cart not found") {
				t.Errorf("%s of a %s handle: %s", tool, name, r.body)
			}
			if want == nil {
				want = r.body
			} else if !bytes.Equal(r.body, want) {
				t.Errorf("%s of a %s handle differs:\n%s\n%s", tool, name, r.body, want)
			}
		}
	}
	// Alice's cart is untouched by bob's attempts (and expired for her too
	// now: the clock moved).
	if r := callAs(h, tokAlice, "cart_view", map[string]any{"cart_id": alices}, nil); get(r.result(), "isError") != true {
		t.Errorf("alice's cart after its lifetime: %s", r.body)
	}
	fresh := createCart(t, h, tokAlice)
	callAs(h, tokBob, "cart_add", map[string]any{"cart_id": fresh, "sku": "x", "qty": 1}, nil)
	callAs(h, tokBob, "cart_delete", map[string]any{"cart_id": fresh}, nil)
	r := callAs(h, tokAlice, "cart_view", map[string]any{"cart_id": fresh}, nil)
	if items, _ := get(r.result(), "structuredContent", "items").([]any); get(r.result(), "isError") == true || len(items) != 0 {
		t.Errorf("alice's cart after bob's attempts: %s", r.body)
	}
}

func TestCartLimits(t *testing.T) {
	clk := newTestClock()
	h := newHarness(t, Config{Tokens: testTokens, Now: clk.Now, MaxHandles: 3, HandleTTL: time.Hour})
	var ids []string
	for range 3 {
		ids = append(ids, createCart(t, h, tokAlice))
	}
	if r := callAs(h, tokAlice, "cart_create", nil, nil); get(r.result(), "isError") != true {
		t.Errorf("a fourth cart: %s", r.body)
	}
	// The bound is per principal.
	createCart(t, h, tokBob)
	// Deleting one frees a place; so does expiry.
	callAs(h, tokAlice, "cart_delete", map[string]any{"cart_id": ids[0]}, nil)
	createCart(t, h, tokAlice)
	clk.Advance(time.Hour)
	for range 3 {
		createCart(t, h, tokAlice)
	}
	if _, n, _ := h.s.store.(*MemoryStore).counts(); n > 4 {
		t.Errorf("%d carts held; expired ones were not dropped", n)
	}
	// A cart holds a bounded number of products.
	id := createCart(t, h, tokBob)
	for i := range maxCartItems {
		if r := callAs(h, tokBob, "cart_add", map[string]any{"cart_id": id, "sku": "p" + string(rune('A'+i%26)) + string(rune('A'+i/26)), "qty": 1}, nil); get(r.result(), "isError") == true {
			t.Fatalf("item %d: %s", i, r.body)
		}
	}
	if r := callAs(h, tokBob, "cart_add", map[string]any{"cart_id": id, "sku": "one-too-many", "qty": 1}, nil); get(r.result(), "isError") != true {
		t.Errorf("item %d: %s", maxCartItems+1, r.body)
	}
	if r := callAs(h, tokBob, "cart_create", nil, map[string]any{"arguments": map[string]any{"x": 1}}); get(r.result(), "isError") != true {
		t.Errorf("cart_create with an argument: %s", r.body)
	}
}

// TestCartHandlesRandom: 100,000 handles are distinct, well formed, carry
// 128 bits each, and are not sequential: consecutive handles are far apart
// as numbers and every bit is set about half the time.
func TestCartHandlesRandom(t *testing.T) {
	const n = 100_000
	seen := make(map[string]bool, n)
	var ones [randomIDBytes * 8]int
	var prev *big.Int
	near := new(big.Int).Lsh(big.NewInt(1), 96)
	for i := range n {
		h, err := mintCartHandle()
		if err != nil {
			t.Fatal(err)
		}
		if !wellFormedCartHandle(h) || len(h) != len(cartPrefix)+22 {
			t.Fatalf("malformed handle %q", h)
		}
		if seen[h] {
			t.Fatalf("handle %d repeats: %q", i, h)
		}
		seen[h] = true
		raw, err := base64.RawURLEncoding.Strict().DecodeString(h[len(cartPrefix):])
		if err != nil || len(raw) != randomIDBytes {
			t.Fatalf("handle %q: %d bytes, %v", h, len(raw), err)
		}
		for j, b := range raw {
			for k := range 8 {
				ones[j*8+k] += int(b>>k) & 1
			}
		}
		cur := new(big.Int).SetBytes(raw)
		if prev != nil {
			d := new(big.Int).Sub(cur, prev)
			if d.Abs(d).Cmp(near) < 0 {
				t.Fatalf("handles %d and %d are within 2^96 of each other", i-1, i)
			}
		}
		prev = cur
	}
	for i, c := range ones {
		if c < n*48/100 || c > n*52/100 {
			t.Errorf("bit %d is set in %d of %d handles", i, c, n)
		}
	}
}

// TestCartHandleForm pins the form a cart_id must have before the store is
// asked: the prefix, exactly 22 characters, each of the URL-safe base64
// alphabet. Every edge of that alphabet is accepted and every byte just
// outside it refused, as are a wrong prefix and a wrong length.
func TestCartHandleForm(t *testing.T) {
	const edges = "AZaz09-_"
	body := strings.Repeat(edges, 3)[:22]
	if h := cartPrefix + body; !wellFormedCartHandle(h) {
		t.Fatalf("%q refused", h)
	}
	for i := range len(body) {
		for _, c := range []byte(edges) {
			h := cartPrefix + body[:i] + string(c) + body[i+1:]
			if !wellFormedCartHandle(h) {
				t.Errorf("%q refused", h)
			}
		}
		for _, c := range []byte("@[`{/:+=.~ \x00\xff") {
			h := cartPrefix + body[:i] + string(c) + body[i+1:]
			if wellFormedCartHandle(h) {
				t.Errorf("%q accepted", h)
			}
		}
	}
	for _, h := range []string{
		"", "cart_", cartPrefix + body[:21], cartPrefix + body + "A",
		"cart-" + body, "CART_" + body, "cartX" + body, "_cart" + body[:21], body + "AAAAA",
	} {
		if wellFormedCartHandle(h) {
			t.Errorf("%q accepted", h)
		}
	}
}

// TestCartQuantityBound: one SKU of a cart holds at most maxCartQty, however
// the quantity is reached (at once, or added in steps); a refused addition
// changes nothing.
func TestCartQuantityBound(t *testing.T) {
	var c Cart
	if err := c.add("a", maxCartQty); err != nil {
		t.Fatalf("a new line of %d: %v", maxCartQty, err)
	}
	if err := c.add("b", maxCartQty+1); !errors.Is(err, errCartFull) {
		t.Fatalf("a new line of %d: %v, want errCartFull", maxCartQty+1, err)
	}
	if err := c.add("c", maxCartQty-1); err != nil {
		t.Fatal(err)
	}
	if err := c.add("c", 1); err != nil {
		t.Fatalf("reaching %d in steps: %v", maxCartQty, err)
	}
	for _, sku := range []string{"a", "c"} {
		if err := c.add(sku, 1); !errors.Is(err, errCartFull) {
			t.Errorf("%s past %d: %v, want errCartFull", sku, maxCartQty, err)
		}
		if q := c.qty(sku); q != maxCartQty {
			t.Errorf("%s: quantity %d, want %d", sku, q, maxCartQty)
		}
	}
	if q := c.qty("b"); q != 0 || len(c.Items) != 2 {
		t.Errorf("refused line b: quantity %d, %d lines", q, len(c.Items))
	}
}
