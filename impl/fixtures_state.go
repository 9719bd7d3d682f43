package impl

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// Fixtures of state that spans requests:
//
//   - transfer: a confirmation that must be used at most once. The first
//     call asks the user to confirm (an elicitation form with a boolean
//     confirm) and seals a random nonce into requestState; the retry that
//     answers redeems the nonce in the Store (store.go) before it
//     transfers anything, so presenting the same state again, on this
//     instance or any instance sharing the store, is rejected.
//   - cart_create, cart_add, cart_view, cart_delete: a shopping cart kept
//     under a server-minted handle bound to its principal (carts.go), kept
//     in the Store.
//
// Both are per principal, and neither changes what any list returns: the
// tools are the same for everyone, always.

const transferInput = `{"type":"object","properties":{` +
	`"to":{"type":"string","minLength":1,"maxLength":64,"description":"The account to transfer to"},` +
	`"amount":{"type":"integer","minimum":1,"maximum":1000000000,"description":"How much to transfer, at least 1"}},` +
	`"required":["to","amount"],"additionalProperties":false}`

const transferOutput = `{"type":"object","properties":{` +
	`"to":{"type":"string"},"amount":{"type":"integer","minimum":1},"transferId":{"type":"string"}},` +
	`"required":["to","amount","transferId"],"additionalProperties":false}`

const cartIDProperty = `"cart_id":{"type":"string","description":"A cart handle returned by cart_create"}`

const cartIDInput = `{"type":"object","properties":{` + cartIDProperty + `},"required":["cart_id"],"additionalProperties":false}`

const cartAddInput = `{"type":"object","properties":{` + cartIDProperty + `,` +
	`"sku":{"type":"string","minLength":1,"maxLength":64,"description":"The product to add"},` +
	`"qty":{"type":"integer","minimum":1,"maximum":1000,"description":"How many to add"}},` +
	`"required":["cart_id","sku","qty"],"additionalProperties":false}`

const cartCreateOutput = `{"type":"object","properties":{` +
	`"cart_id":{"type":"string"},"expiresAt":{"type":"string","format":"date-time"}},` +
	`"required":["cart_id","expiresAt"],"additionalProperties":false}`

const cartViewOutput = `{"type":"object","properties":{` +
	`"cart_id":{"type":"string"},"expiresAt":{"type":"string","format":"date-time"},` +
	`"items":{"type":"array","items":{"type":"object","properties":{"sku":{"type":"string"},"qty":{"type":"integer","minimum":1}},"required":["sku","qty"],"additionalProperties":false}}},` +
	`"required":["cart_id","expiresAt","items"],"additionalProperties":false}`

// formTransfer is the confirmation form; each ask replaces its message
// with the transfer it confirms.
var formTransfer = newElicitForm("Confirm the transfer", map[string]string{"confirm": "boolean"})

// ledgerSkew is how long past a state's expiry its redemption is kept:
// instances whose clocks run behind still see it as redeemed.
const ledgerSkew = time.Minute

func (r *registry) addStateFixtures(s *Server) error {
	ttl := humanDuration(s.cfg.HandleTTL)
	destructive := &wire.ToolAnnotations{DestructiveHint: ptr(true)}
	specs := []struct {
		name, desc, input, output string
		run                       toolFunc
		annotations               *wire.ToolAnnotations
	}{
		{name: "transfer", input: transferInput, output: transferOutput, run: runTransfer, annotations: &wire.ToolAnnotations{DestructiveHint: ptr(false), OpenWorldHint: ptr(false)},
			desc: fmt.Sprintf("Transfers amount to the account to, once the user confirms: the first call asks for confirmation (elicitation); the retry carrying the requestState and confirm=true completes it. Each confirmation can be used once: its requestState is redeemed server-side, and presenting it again is rejected. A confirmation is bound to the caller, to, and amount, and expires after %s.", humanDuration(s.cfg.StateTTL))},
		{name: "cart_create", input: noArgsSchema, output: cartCreateOutput, run: runCartCreate,
			desc: fmt.Sprintf("Creates an empty shopping cart and returns its handle, cart_id (in structuredContent), to pass to cart_add, cart_view and cart_delete. A cart belongs to the caller that created it; no other caller can use it. Carts expire %s after creation; each caller holds at most %d carts.", ttl, s.cfg.MaxHandles)},
		{name: "cart_add", input: cartAddInput, run: runCartAdd,
			desc: fmt.Sprintf("Adds qty of sku to the cart cart_id (at most %d different products per cart). An unknown, expired or deleted cart_id gets the error \"cart not found\": create a new cart.", maxCartItems)},
		{name: "cart_view", input: cartIDInput, output: cartViewOutput, run: runCartView, annotations: &wire.ToolAnnotations{ReadOnlyHint: ptr(true)},
			desc: "Lists the items in the cart cart_id. An unknown, expired or deleted cart_id gets the error \"cart not found\"."},
		{name: "cart_delete", input: cartIDInput, run: runCartDelete, annotations: destructive,
			desc: "Deletes the cart cart_id and its contents; the handle is no longer valid."},
	}
	for _, sp := range specs {
		def := wire.Tool{Name: sp.name, Description: sp.desc, InputSchema: wire.Value(sp.input), Annotations: sp.annotations}
		if sp.output != "" {
			def.OutputSchema = wire.Value(sp.output)
		}
		t, err := newTool(def, sp.run)
		if err != nil {
			return fmt.Errorf("impl: %w", err)
		}
		if err := r.addTool(t); err != nil {
			return err
		}
	}
	return nil
}

// humanDuration writes d as "30 minutes", "24 hours" or "90 seconds".
func humanDuration(d time.Duration) string {
	unit := func(n int64, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case d >= time.Hour && d%time.Hour == 0:
		return unit(int64(d/time.Hour), "hour")
	case d >= time.Minute && d%time.Minute == 0:
		return unit(int64(d/time.Minute), "minute")
	case d >= time.Second && d%time.Second == 0:
		return unit(int64(d/time.Second), "second")
	}
	return d.String()
}

// randomIDBytes is the randomness of an ID: 128 bits.
const randomIDBytes = 16

// randomIDLen is the length of an ID after its prefix: randomIDBytes in
// unpadded base64.
const randomIDLen = (randomIDBytes*8 + 5) / 6

// randomID returns prefix and 128 random bits in URL-safe base64: cart
// handles, task IDs, transfer IDs and nonces.
func randomID(prefix string) (string, error) {
	var b [randomIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// intArg reads an integer argument that the input schema validated.
func intArg(args map[string]any, name string) int64 {
	n, _ := args[name].(json.Number)
	if v, err := n.Int64(); err == nil {
		return v
	}
	f, _ := n.Float64() // an integral value written as 5.0 or 5e0
	return int64(f)
}

// transferState is the sealed state of a transfer confirmation.
type transferState struct {
	Kind  string `json:"kind"`
	Nonce string `json:"nonce"`
}

// runTransfer asks for a confirmation, then, on the retry that answers it,
// redeems the confirmation once and transfers.
func runTransfer(x *exchange, args map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	to, _ := args["to"].(string)
	amount := intArg(args, "amount")
	askNew := func() (*wire.CallToolResult, *ask, *rpcError) {
		nonce, err := randomID("")
		if err != nil {
			return nil, nil, errInternal("confirmation nonce: %v", err)
		}
		msg := fmt.Sprintf("Transfer %d to %s?", amount, to)
		return nil, &ask{requests: map[string]wire.InputRequest{"confirm": formTransfer.withMessage(msg)},
			data: transferState{Kind: "transfer", Nonce: nonce}}, nil
	}
	// Without a verified state of this transfer there is no confirmation,
	// whatever inputResponses say.
	var st transferState
	if !in.stateData(&st) || st.Kind != "transfer" || st.Nonce == "" {
		return askNew()
	}
	r, rerr := in.elicitation("confirm", formTransfer)
	if rerr != nil {
		return nil, nil, rerr
	}
	if r == nil {
		return askNew()
	}
	// Any answer uses the confirmation up, accepted or not.
	ttl := time.UnixMilli(in.state.Expiry).Sub(x.s.now()) + ledgerSkew
	first, err := x.s.store.Redeem(x.ctx, x.principal, "transfer/"+st.Nonce, ttl, x.s.cfg.confirmationQuota())
	if err != nil {
		return storeFailed(x, "transfer", err)
	}
	if !first {
		return nil, nil, errInvalid(map[string]any{"reason": "used"},
			"Invalid params: this confirmation was already used; nothing was transferred. Call transfer again without requestState and inputResponses to ask for a new confirmation")
	}
	if r.Action != "accept" || r.Content["confirm"] != true {
		return toolError(fmt.Sprintf("Transfer not confirmed (%s); nothing was transferred.", r.Action)), nil, nil
	}
	id, err := randomID("tr_")
	if err != nil {
		return nil, nil, errInternal("transfer id: %v", err)
	}
	out := struct {
		To         string `json:"to"`
		Amount     int64  `json:"amount"`
		TransferID string `json:"transferId"`
	}{to, amount, id}
	return structuredResult(fmt.Sprintf("transferred %d to %s", amount, to), out), nil, nil
}

// storeFailed answers a tool call whose Store call failed: a refused
// quota is a tool error that names the limit reached; a cancelled request
// is gone; anything else (the store is down, timed out, or holds what does
// not decode) is an internal error: never a success.
func storeFailed(x *exchange, tool string, err error) (*wire.CallToolResult, *ask, *rpcError) {
	var qe *QuotaError
	switch {
	case errors.As(err, &qe):
		return toolError(quotaMessage(x, qe)), nil, nil
	}
	return nil, nil, storeError(x, tool, err)
}

// storeError is the error of a request whose Store call failed, other
// than for a quota: a cancelled request is gone; anything else is an
// internal error, logged.
func storeError(x *exchange, what string, err error) *rpcError {
	if x.ctx.Err() != nil {
		return errGone
	}
	x.s.log.Error(what+": store", "err", err)
	return errInternal("%s: the server's store failed; nothing was changed", what)
}

// quotaMessage says which limit refused a record, and what to do.
func quotaMessage(x *exchange, qe *QuotaError) string {
	switch {
	case qe.Records == recordsTasks && qe.PerPrincipal:
		return fmt.Sprintf("No task was created: you already have %d tasks, the most one caller may hold (the limit of %s); tasks are purged %s after their ttlMs elapses.", qe.Max, qe.Limit(), humanDuration(taskPurgeDelay))
	case qe.Records == recordsTasks:
		return fmt.Sprintf("No task was created: the server holds %d tasks, the most it keeps for all callers together (the limit of %s); try again later.", qe.Max, qe.Limit())
	case qe.Records == recordsCarts && qe.PerPrincipal:
		return fmt.Sprintf("No cart was created: you already have %d carts, the most one caller may hold (the limit of %s); delete one with cart_delete or wait for one to expire.", qe.Max, qe.Limit())
	case qe.Records == recordsCarts:
		return fmt.Sprintf("No cart was created: the server holds %d carts, the most it keeps for all callers together (the limit of %s); try again later.", qe.Max, qe.Limit())
	case qe.PerPrincipal:
		return fmt.Sprintf("Nothing was transferred: you have used %d confirmations in the last %s, the most one caller may (the limit of %s); the confirmation is still unused until it expires: try again later.", qe.Max, humanDuration(x.s.cfg.StateTTL+ledgerSkew), qe.Limit())
	}
	return fmt.Sprintf("Nothing was transferred: the server holds %d recent confirmations, the most it keeps for all callers together (the limit of %s); the confirmation is still unused until it expires: try again later.", qe.Max, qe.Limit())
}

// cartNotFound is the one answer to every cart_id that names no cart of
// the caller: never existed, malformed, expired, deleted, or another
// principal's. Its text is the same for all of them.
func cartNotFound(x *exchange) *wire.CallToolResult {
	return toolError(fmt.Sprintf("cart not found: no cart with this cart_id exists for you (carts expire %s after creation, and deleted carts are gone); create a new one with cart_create", humanDuration(x.s.cfg.HandleTTL)))
}

type cartView struct {
	CartID    string     `json:"cart_id"`
	ExpiresAt string     `json:"expiresAt"`
	Items     []CartItem `json:"items"`
}

func runCartCreate(x *exchange, _ map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	h, err := mintCartHandle()
	if err != nil {
		return nil, nil, errInternal("%v", err)
	}
	c, err := x.s.store.CreateCart(x.ctx, x.principal, h, x.s.cfg.HandleTTL, x.s.cfg.cartQuota())
	if err != nil {
		return storeFailed(x, "cart_create", err)
	}
	out := struct {
		CartID    string `json:"cart_id"`
		ExpiresAt string `json:"expiresAt"`
	}{h, c.Expires.UTC().Format(time.RFC3339)}
	return structuredResult(fmt.Sprintf("Created cart %s; it expires at %s (%s from now).", h, out.ExpiresAt, humanDuration(x.s.cfg.HandleTTL)), out), nil, nil
}

// cartFailed answers a cart tool whose Store call failed: the one "cart
// not found" answer, or as storeFailed.
func cartFailed(x *exchange, tool string, err error) (*wire.CallToolResult, *ask, *rpcError) {
	if errors.Is(err, ErrCartNotFound) {
		return cartNotFound(x), nil, nil
	}
	return storeFailed(x, tool, err)
}

// cartHandle returns the cart_id argument, or ErrCartNotFound when it has
// not the form of a handle (it cannot name a cart: the store is not
// asked).
func cartHandle(args map[string]any) (string, error) {
	h, _ := args["cart_id"].(string)
	if !wellFormedCartHandle(h) {
		return "", ErrCartNotFound
	}
	return h, nil
}

func runCartAdd(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	sku, _ := args["sku"].(string)
	qty := intArg(args, "qty")
	h, err := cartHandle(args)
	var c Cart
	if err == nil {
		c, err = x.s.store.UpdateCart(x.ctx, x.principal, h, func(c *Cart) error { return c.add(sku, qty) })
	}
	if errors.Is(err, errCartFull) {
		return toolError(fmt.Sprintf("The cart cannot take this: at most %d different products, and at most %d of each.", maxCartItems, maxCartQty)), nil, nil
	}
	if err != nil {
		return cartFailed(x, "cart_add", err)
	}
	return textResult(fmt.Sprintf("Added %d of %s; the cart now holds %d of it.", qty, sku, c.qty(sku))), nil, nil
}

func runCartView(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	h, err := cartHandle(args)
	var c Cart
	if err == nil {
		c, err = x.s.store.Cart(x.ctx, x.principal, h)
	}
	if err != nil {
		return cartFailed(x, "cart_view", err)
	}
	v := cartView{CartID: h, ExpiresAt: c.Expires.UTC().Format(time.RFC3339), Items: c.Items}
	if v.Items == nil {
		v.Items = []CartItem{}
	}
	text := fmt.Sprintf("Cart %s holds %d product(s)", h, len(v.Items))
	for _, it := range v.Items {
		text += fmt.Sprintf("; %d of %s", it.Qty, it.SKU)
	}
	return structuredResult(text+".", v), nil, nil
}

func runCartDelete(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	h, err := cartHandle(args)
	if err == nil {
		err = x.s.store.DeleteCart(x.ctx, x.principal, h)
	}
	if err != nil {
		return cartFailed(x, "cart_delete", err)
	}
	return textResult("Deleted the cart " + h + "."), nil, nil
}
