package impl

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"sync"
	"time"
)

// State handles (server/tools.mdx, "Stateful Tools"; security best
// practices, "State Handle Hijacking"; SEP-2567).
//
// The cart tools keep state across calls under a handle that the server
// mints and the model carries forward as an ordinary argument. The
// decisions:
//
//   - A handle is "cart_" followed by 22 characters of unpadded URL-safe
//     base64: 128 bits from crypto/rand, never derived from a counter, a
//     clock or the caller, so it can be neither guessed nor predicted from
//     another handle. It is opaque: nothing in it means anything.
//   - Handles are stored keyed by (principal, handle) — the spec's
//     "<user_id>:<handle>" — with the principal taken from the verified
//     credentials (auth.go), never from the request's arguments. Possession
//     of a handle is not authentication: another principal presenting it
//     finds nothing.
//   - A handle of another principal, one that never existed, one that is
//     malformed, one that expired and one that was deleted all get the same
//     answer, byte for byte: a tool execution error "cart not found" that
//     says carts expire and how to get a new one, so the model can recover
//     and a prober learns nothing about other principals' handles.
//   - Carts live for a bounded time from their creation (Config.HandleTTL,
//     stated in cart_create's description), and a principal holds at most
//     Config.MaxHandles live carts, each of at most maxCartItems items, so
//     memory is bounded by the principals the server knows.
//
// The store is in memory, per Server; a deployment with several instances
// would keep it in a shared store under the same (principal, handle) key.

const (
	cartPrefix    = "cart_"
	cartRandBytes = 16
	cartHandleLen = len(cartPrefix) + (cartRandBytes*8+5)/6
	// maxCartItems bounds the distinct SKUs of one cart.
	maxCartItems = 100
	// maxCartQty bounds the quantity of one SKU in one cart.
	maxCartQty = 1_000_000
)

// mintCartHandle returns a fresh handle.
func mintCartHandle() (string, error) {
	var b [cartRandBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mint cart handle: %w", err)
	}
	return cartPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// wellFormedCartHandle reports whether h has the form of a handle: the
// prefix, the length and the URL-safe alphabet. A handle that is not well
// formed cannot name a cart; one that is may still name none.
func wellFormedCartHandle(h string) bool {
	if len(h) != cartHandleLen || h[:len(cartPrefix)] != cartPrefix {
		return false
	}
	for i := len(cartPrefix); i < len(h); i++ {
		c := h[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// cart is one cart's contents.
type cart struct {
	expires time.Time
	qty     map[string]int64
	order   []string // SKUs in the order first added
}

// cartItem is one line of a cart.
type cartItem struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

func (c *cart) items() []cartItem {
	out := make([]cartItem, 0, len(c.order))
	for _, sku := range c.order {
		out = append(out, cartItem{SKU: sku, Qty: c.qty[sku]})
	}
	return out
}

// Errors of the cart store.
var (
	errCartNotFound = errors.New("cart not found")
	errCartLimit    = errors.New("too many carts")
	errCartFull     = errors.New("cart full")
)

// cartStore holds every principal's carts.
type cartStore struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu sync.Mutex
	// carts maps principal, then handle, to the cart: the key is the pair.
	carts     map[string]map[string]*cart
	lastSweep time.Time
}

func newCartStore(ttl time.Duration, max int, now func() time.Time) *cartStore {
	return &cartStore{ttl: ttl, max: max, now: now, carts: map[string]map[string]*cart{}}
}

// create mints a cart for principal.
func (cs *cartStore) create(principal string) (string, time.Time, error) {
	h, err := mintCartHandle()
	if err != nil {
		return "", time.Time{}, err
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	now := cs.now()
	cs.sweepIfDue(now)
	mine := cs.carts[principal]
	if len(mine) >= cs.max {
		cs.sweep(principal, now)
		mine = cs.carts[principal]
		if len(mine) >= cs.max {
			return "", time.Time{}, errCartLimit
		}
	}
	if mine == nil {
		mine = map[string]*cart{}
		cs.carts[principal] = mine
	}
	if mine[h] != nil {
		// 128 random bits do not repeat; if the source is broken, refuse
		// rather than hand out a cart twice.
		return "", time.Time{}, errors.New("mint cart handle: the random source repeated itself")
	}
	c := &cart{expires: now.Add(cs.ttl), qty: map[string]int64{}}
	mine[h] = c
	return h, c.expires, nil
}

// with runs f on principal's cart h under the store's lock; errCartNotFound
// when principal has no live cart h.
func (cs *cartStore) with(principal, h string, f func(c *cart) error) error {
	if !wellFormedCartHandle(h) {
		return errCartNotFound
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	c := cs.live(principal, h)
	if c == nil {
		return errCartNotFound
	}
	return f(c)
}

// remove deletes principal's cart h; errCartNotFound when there is none.
func (cs *cartStore) remove(principal, h string) error {
	if !wellFormedCartHandle(h) {
		return errCartNotFound
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	if cs.live(principal, h) == nil {
		return errCartNotFound
	}
	cs.drop(principal, h)
	return nil
}

// live returns principal's unexpired cart h, dropping it if expired; the
// lock is held.
func (cs *cartStore) live(principal, h string) *cart {
	c := cs.carts[principal][h]
	if c == nil {
		return nil
	}
	if !cs.now().Before(c.expires) {
		cs.drop(principal, h)
		return nil
	}
	return c
}

func (cs *cartStore) drop(principal, h string) {
	mine := cs.carts[principal]
	delete(mine, h)
	if len(mine) == 0 {
		delete(cs.carts, principal)
	}
}

// sweep drops principal's expired carts; the lock is held.
func (cs *cartStore) sweep(principal string, now time.Time) {
	for h, c := range cs.carts[principal] {
		if !now.Before(c.expires) {
			cs.drop(principal, h)
		}
	}
}

// sweepIfDue drops every expired cart, at most once a quarter of the
// lifetime; the lock is held.
func (cs *cartStore) sweepIfDue(now time.Time) {
	if now.Sub(cs.lastSweep) < cs.ttl/4 {
		return
	}
	cs.lastSweep = now
	for p := range cs.carts {
		cs.sweep(p, now)
	}
}

// count returns the live and expired carts held (for tests).
func (cs *cartStore) count() int {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	n := 0
	for _, mine := range cs.carts {
		n += len(mine)
	}
	return n
}

// add adds qty of sku to c.
func (c *cart) add(sku string, qty int64) error {
	cur, ok := c.qty[sku]
	if !ok && len(c.order) >= maxCartItems {
		return errCartFull
	}
	if cur+qty > maxCartQty {
		return errCartFull
	}
	if !ok {
		c.order = append(c.order, sku)
	}
	c.qty[sku] = cur + qty
	return nil
}
