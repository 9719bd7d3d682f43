package impl

import (
	"fmt"
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
//     stated in cart_create's description); a principal holds at most
//     Config.MaxHandles live carts and all principals together at most
//     Config.MaxHandlesTotal, each of at most maxCartItems items, so what
//     the carts take is bounded whatever the number of principals.
//
// The carts live in the Store (store.go), keyed by (principal, handle): in
// memory for one process, in Redis for a deployment whose instances must
// all serve every handle.

const (
	cartPrefix = "cart_"
	// maxCartItems bounds the distinct SKUs of one cart.
	maxCartItems = 100
	// maxCartQty bounds the quantity of one SKU in one cart.
	maxCartQty = 1_000_000
)

// mintCartHandle returns a fresh handle.
func mintCartHandle() (string, error) {
	h, err := randomID(cartPrefix)
	if err != nil {
		return "", fmt.Errorf("mint cart handle: %w", err)
	}
	return h, nil
}

// wellFormedCartHandle reports whether h has the form of a handle. A
// handle that is not well formed cannot name a cart; one that is may
// still name none.
func wellFormedCartHandle(h string) bool { return wellFormedID(cartPrefix, h) }

// wellFormedID reports whether h has the form of an ID randomID(prefix)
// returns (a cart handle, a task ID): the prefix, the length and the
// URL-safe alphabet.
func wellFormedID(prefix, h string) bool {
	if len(h) != len(prefix)+randomIDLen || h[:len(prefix)] != prefix {
		return false
	}
	for i := len(prefix); i < len(h); i++ {
		c := h[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}
