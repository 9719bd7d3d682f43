package impl

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/mcpverify/mcpverify/internal/redistest"
)

// Instances of one deployment: reference servers that share the state
// key and a Redis store, each with a client of its own as separate
// processes would have.

// deployment starts instances sharing one Redis store.
type deployment struct {
	t      *testing.T
	srv    *redistest.Server
	prefix string
	cfg    Config
}

func newDeployment(t *testing.T, cfg Config) *deployment {
	cfg.StateKeys = [][]byte{testKey}
	return &deployment{t: t, srv: redistest.Start(t), prefix: newRedisPrefix(), cfg: cfg}
}

// instance starts one more instance: a new Server with a new connection
// to the store, as a new or restarted process.
func (d *deployment) instance() *harness {
	cfg := d.cfg
	cfg.Store = openRedisStore(d.t, d.srv, d.prefix)
	return newHarness(d.t, cfg)
}

// TestRedeemOnceAcrossInstances: one confirmation retried at once on two
// instances completes on exactly one of them, in each of 100 races; and
// an instance started afterwards (a restart) refuses every one of them.
func TestRedeemOnceAcrossInstances(t *testing.T) {
	d := newDeployment(t, Config{})
	a, b := d.instance(), d.instance()
	const races = 100
	states := make([]string, races)
	for i := range races {
		first := a
		if i%2 == 1 {
			first = b
		}
		st := startTransfer(t, first, "", transferArgs)
		states[i] = st
		var ra, rb *resp
		var wg sync.WaitGroup
		wg.Go(func() { ra = retryTransfer(a, "", st, transferArgs, confirmed(true)) })
		wg.Go(func() { rb = retryTransfer(b, "", st, transferArgs, confirmed(true)) })
		wg.Wait()
		done, used := 0, 0
		for _, r := range []*resp{ra, rb} {
			switch {
			case completedTransfer(r):
				done++
			case usedUp(r):
				used++
			default:
				t.Errorf("race %d: neither completed nor refused as used: %s", i, r.body)
			}
		}
		if done != 1 || used != 1 {
			t.Fatalf("race %d: %d completed, %d refused as used; want 1 and 1", i, done, used)
		}
	}
	// Restarted: no instance that ran before is left, and the record is
	// still there.
	a.ts.Close()
	b.ts.Close()
	c := d.instance()
	for i, st := range states {
		if r := retryTransfer(c, "", st, transferArgs, confirmed(true)); !usedUp(r) {
			t.Fatalf("state %d on a restarted instance: %s", i, r.body)
		}
	}
	// A new confirmation still works there.
	st := startTransfer(t, c, "", transferArgs)
	if r := retryTransfer(c, "", st, transferArgs, confirmed(true)); !completedTransfer(r) {
		t.Errorf("a new confirmation after the restart: %s", r.body)
	}
}

// contentText is the text of r's first content block.
func contentText(r *resp) string {
	c, _ := get(r.result(), "content").([]any)
	if len(c) == 0 {
		return ""
	}
	s, _ := get(c[0], "text").(string)
	return s
}

// TestConfirmationQuotaPerPrincipal: a principal who uses up its quota of
// confirmations is refused, the refusal naming the limit, and the
// confirmation stays unused; another principal's transfers go on; the
// total, which no principal alone reaches, refuses every principal.
func TestConfirmationQuotaPerPrincipal(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storeOpener) {
		cfg := Config{Tokens: testTokens, StateKeys: [][]byte{testKey}, MaxConfirmationsPerPrincipal: 20, MaxConfirmationsTotal: 30, Store: open(t)}
		h := newHarness(t, cfg)
		transfer := func(token string) *resp {
			st := startTransfer(t, h, token, transferArgs)
			return retryTransfer(h, token, st, transferArgs, confirmed(true))
		}
		for i := range 20 {
			if r := transfer(tokAlice); !completedTransfer(r) {
				t.Fatalf("alice's transfer %d: %s", i, r.body)
			}
		}
		st := startTransfer(t, h, tokAlice, transferArgs)
		r := retryTransfer(h, tokAlice, st, transferArgs, confirmed(true))
		if !strings.Contains(contentText(r), "the limit of 20 confirmations per principal") || get(r.result(), "isError") != true {
			t.Fatalf("alice's transfer past her quota: %s", r.body)
		}
		for i := range 10 {
			if r := transfer(tokBob); !completedTransfer(r) {
				t.Fatalf("bob's transfer %d, with alice at her quota: %s", i, r.body)
			}
		}
		// 30 records: the total is reached, for everyone.
		r = transfer(tokBob)
		if !strings.Contains(contentText(r), "the limit of 30 confirmations for all principals together") {
			t.Errorf("bob's transfer past the total: %s", r.body)
		}
		// Alice's refused confirmation was not used up: it is refused
		// again for the quota, not as used.
		if r := retryTransfer(h, tokAlice, st, transferArgs, confirmed(true)); usedUp(r) || completedTransfer(r) {
			t.Errorf("the refused confirmation again: %s", r.body)
		}
	})
}

// TestCartQuotaNamesTheLimit: cart_create past a principal's limit and
// past the total says which limit.
func TestCartQuotaNamesTheLimit(t *testing.T) {
	h := newHarness(t, Config{Tokens: testTokens, MaxHandles: 2, MaxHandlesTotal: 3})
	createCart(t, h, tokAlice)
	createCart(t, h, tokAlice)
	if r := callAs(h, tokAlice, "cart_create", nil, nil); !strings.Contains(contentText(r), "the limit of 2 carts per principal") {
		t.Errorf("alice's third cart: %s", r.body)
	}
	createCart(t, h, tokBob)
	if r := callAs(h, tokBob, "cart_create", nil, nil); !strings.Contains(contentText(r), "the limit of 3 carts for all principals together") {
		t.Errorf("bob's second cart, the total reached: %s", r.body)
	}
}

// TestConfigQuotas: no principal alone may reach a total.
func TestConfigQuotas(t *testing.T) {
	for _, cfg := range []Config{
		{MaxHandles: 10, MaxHandlesTotal: 10},
		{MaxConfirmationsPerPrincipal: 100, MaxConfirmationsTotal: 50},
		{MaxConfirmationsTotal: DefaultMaxConfirmationsPerPrincipal},
		{MaxHandlesTotal: -1},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
	}
	s, err := New(Config{MaxHandles: 1 << 20})
	if err != nil || s.cfg.MaxHandlesTotal <= s.cfg.MaxHandles {
		t.Errorf("a large per-principal limit with the default total: %v, total %d", err, s.cfg.MaxHandlesTotal)
	}
}

// TestCartsAcrossInstances: a cart made on one instance is served by the
// others, and by an instance started afterwards, to its owner only.
func TestCartsAcrossInstances(t *testing.T) {
	d := newDeployment(t, Config{Tokens: testTokens})
	a, b := d.instance(), d.instance()
	id := createCart(t, a, tokAlice)
	for i, h := range []*harness{b, a, b} {
		if r := callAs(h, tokAlice, "cart_add", map[string]any{"cart_id": id, "sku": fmt.Sprint("sku", i), "qty": i + 1}, nil); get(r.result(), "isError") == true {
			t.Fatalf("cart_add %d: %s", i, r.body)
		}
	}
	c := d.instance()
	for _, h := range []*harness{a, b, c} {
		r := callAs(h, tokAlice, "cart_view", map[string]any{"cart_id": id}, nil)
		items, _ := get(r.result(), "structuredContent", "items").([]any)
		if len(items) != 3 || get(items[2], "sku") != "sku2" || get(items[2], "qty") != 3.0 {
			t.Errorf("cart_view: %s", r.body)
		}
		if r := callAs(h, tokBob, "cart_view", map[string]any{"cart_id": id}, nil); !strings.HasPrefix(contentText(r), "cart not found") {
			t.Errorf("bob views alice's cart: %s", r.body)
		}
	}
	if r := callAs(c, tokAlice, "cart_delete", map[string]any{"cart_id": id}, nil); get(r.result(), "isError") == true {
		t.Fatalf("cart_delete: %s", r.body)
	}
	for _, h := range []*harness{a, b} {
		if r := callAs(h, tokAlice, "cart_view", map[string]any{"cart_id": id}, nil); !strings.HasPrefix(contentText(r), "cart not found") {
			t.Errorf("a deleted cart: %s", r.body)
		}
	}
}
