package faulty

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants that break the rules of requestState and state handles, for the
// checks state/*. Each has one defect:
//
//   - state-unsealed: requestState is plain Base64url JSON (the request it
//     answers, the principal, the expiry, the handler's data) that the
//     server checks field by field and trusts, with no MAC: edited data
//     is acted on;
//   - state-prefix-mac: the tag of a sealed state is compared on its first
//     half only: a state whose last bytes are altered is accepted;
//   - state-unbound-request: a sealed state issued to the caller for one
//     request is accepted on any other request (another tool, prompt or
//     resource, or other arguments);
//   - state-unbound-principal: a sealed state issued for a request is
//     accepted on the same request from any principal;
//   - state-ticket: the server resumes its own copy of a pending
//     request's state, and any non-empty requestState of the same caller
//     and request is taken as the ticket for it: altered states are
//     accepted, though nothing shows that they matter;
//   - state-lenient-base64: a sealed state is decoded in any Base64
//     spelling (either alphabet, padded or not, line breaks) before it is
//     verified;
//   - state-no-expiry: states live for a century;
//   - handles-sequential: carts are named cart_1, cart_2, ...;
//   - handles-unbound: any authenticated principal can use any cart;
//   - handles-unbound-plain-names: handles-unbound, with the handle
//     called "cart" (the argument and the result member) and described
//     as nothing in particular: only the flow of the value from
//     cart_create into the other cart tools shows it is a handle;
//   - handles-bearer: a call with no credentials at all that names a
//     cart is served as the cart's owner (the anonymous caller is also
//     another principal than the owner: STATE-HANDLE-PRINCIPAL too);
//   - handles-oracle: a cart of another caller is refused with "access
//     denied", a cart that does not exist with "cart not found";
//   - handles-soft-delete: cart_delete says the cart is deleted, but the
//     handle keeps working;
//   - single-use-replay: the transfer confirmation can be redeemed again
//     (the ledger records nothing).
//
// The requestState variants are in state_request.go, the handle variants
// in state_handles.go. They run with two principals (StateAliceToken,
// StateBobToken) and are not in All, whose self-test sends no
// credentials: StateVariants lists them for the state checks' own test.

// The bearer tokens of the state variants' two principals.
const (
	StateAliceToken = "mcpverify-faulty-alice"
	StateBobToken   = "mcpverify-faulty-bob"
)

// stateKey is the state key of the state variants, so that a variant can
// seal and open what the server does.
var stateKey = []byte("mcpverify faulty state variants key, 32+ bytes")

var stateTokens = map[string]string{StateAliceToken: "alice", StateBobToken: "bob"}

// StateVariant is a variant of the state checks, and what the checker
// must be told to catch it.
type StateVariant struct {
	Variant
	// StateTTLMax is the state lifetime to give the checker
	// (--state-ttl-max); 0: none.
	StateTTLMax time.Duration
}

// StateConfig is the reference server's configuration behind the state
// variants (and the configuration the test's reference server uses): the
// two principals' tokens, the state key, and a short state lifetime.
func StateConfig() impl.Config {
	return impl.Config{Tokens: stateTokens, StateKeys: [][]byte{stateKey}, StateTTL: 2 * time.Second}
}

// StateTTLMax is the lifetime the tests give the checker for
// StateConfig's servers.
const StateTTLMax = 3 * time.Second

// StateVariants returns the variants that need two principals, sorted by
// name: those of the state checks, those of the exposure checks
// (exposure.go), and the tasks variants tasks-cross-principal-get and
// tasks-foreign-refusal-differs (tasks.go).
func StateVariants() []*StateVariant {
	cfg := func(edit func(*impl.Config)) *impl.Config {
		c := StateConfig()
		if edit != nil {
			edit(&c)
		}
		return &c
	}
	vs := []*StateVariant{
		{Variant: Variant{
			Name:   "state-unsealed",
			Defect: "requestState is plain Base64url JSON, checked field by field and trusted without a MAC",
			Breaks: []spec.ID{spec.StateIntegrity},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapUnsealed,
		}},
		{Variant: Variant{
			Name:   "state-echo",
			Defect: "a multi-round tool keeps its round and the client's name in a plain-text requestState it trusts (the name comes back in the result)",
			Breaks: []spec.ID{spec.StateIntegrityAlways},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapStateEcho,
		}},
		{Variant: Variant{
			Name:   "auth-after-body",
			Defect: "the whole body is read before the bearer token is checked: a request without credentials is refused only once its body has arrived",
			Breaks: []spec.ID{spec.HttpAuthBeforeBody},
			Only:   []string{"transport/auth-before-body"},
			Config: cfg(nil),
			Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					readBody(r) // reads it whole and puts it back
					next.ServeHTTP(w, r)
				})
			},
		}},
		{Variant: Variant{
			Name:   "listen-global-cap",
			Defect: "at most four subscriptions/listen streams are open at once, whoever holds them: one principal's streams lock every other out",
			Breaks: []spec.ID{spec.CoreListenShare},
			Only:   []string{"utilities/listen-share"},
			Config: cfg(nil),
			Wrap:   wrapListenGlobalCap,
		}},
		{Variant: Variant{
			Name:   "state-crash",
			Defect: "a requestState that does not open makes the server panic; the recovery answers HTTP 500 with the stack trace",
			Breaks: []spec.ID{spec.StateUntrusted},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapStateCrash,
		}},
		{Variant: Variant{
			Name:   "state-prefix-mac",
			Defect: "the tag of a sealed requestState is compared on its first half only",
			Breaks: []spec.ID{spec.StateIntegrity},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapPrefixMAC,
		}},
		{Variant: Variant{
			Name:   "state-ticket",
			Defect: "the server keeps each pending request's state itself and takes any non-empty requestState of the same caller and request as the ticket to resume it",
			Breaks: []spec.ID{spec.StateIntegrityAlways},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapStateTicket,
		}},
		{Variant: Variant{
			Name:   "state-lenient-base64",
			Defect: "a sealed requestState is decoded by whichever Base64 decoder takes it (either alphabet, padded or not, line breaks skipped) before it is verified",
			Breaks: []spec.ID{spec.StateCanonical},
			Only:   []string{"state/request-state"},
			Config: cfg(nil),
			Wrap:   wrapLenientState,
		}},
		{Variant: Variant{
			Name:   "state-unbound-request",
			Defect: "a requestState issued to the caller is accepted on any request (another tool, prompt or resource, other arguments)",
			Breaks: []spec.ID{spec.StateBindRequest, spec.StateBindArgs},
			Only:   []string{"state/binding"},
			Config: cfg(nil),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return wrapRebind(next, false) },
		}},
		{Variant: Variant{
			Name:   "state-unbound-principal",
			Defect: "a requestState issued for a request is accepted on that request from any principal",
			Breaks: []spec.ID{spec.StateBindPrincipal},
			Only:   []string{"state/binding"},
			Config: cfg(nil),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return wrapRebind(next, true) },
		}},
		{Variant: Variant{
			Name:   "state-no-expiry",
			Defect: "requestState lives for a century",
			Breaks: []spec.ID{spec.StateBindExpiry},
			Only:   []string{"state/expiry"},
			Config: cfg(func(c *impl.Config) { c.StateTTL = 100 * 365 * 24 * time.Hour }),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return next },
		}, StateTTLMax: StateTTLMax},
		{Variant: Variant{
			Name:   "handles-sequential",
			Defect: "cart handles are cart_1, cart_2, ... (still bound to their owner)",
			Breaks: []spec.ID{spec.StateHandleRandom, spec.StateHandleEntropy},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap:   wrapSequentialCarts,
		}},
		{Variant: Variant{
			Name:   "handles-unbound",
			Defect: "any authenticated principal can use any cart",
			Breaks: []spec.ID{spec.StateHandlePrincipal},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap:   wrapUnboundCarts,
		}},
		{Variant: Variant{
			Name:   "handles-unbound-plain-names",
			Defect: "any authenticated principal can use any cart; the cart tools call the handle \"cart\" (argument and result member), and nothing describes it as a handle",
			Breaks: []spec.ID{spec.StateHandlePrincipal},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap: func(next http.Handler, srv *impl.Server) http.Handler {
				return PlainCartNames(wrapUnboundCarts(next, srv))
			},
		}},
		{Variant: Variant{
			Name:   "handles-bearer",
			Defect: "a call that carries no credentials but names a cart is served as the cart's owner: possession of the handle authenticates",
			Breaks: []spec.ID{spec.StateHandleNotAuth, spec.StateHandlePrincipal},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap:   wrapBearerCarts,
		}},
		{Variant: Variant{
			Name:   "handles-oracle",
			Defect: "a cart of another caller is refused with \"access denied\", one that does not exist with \"cart not found\"",
			Breaks: []spec.ID{spec.StateHandleOracle},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap:   wrapOracleCarts,
		}},
		{Variant: Variant{
			Name:   "handles-soft-delete",
			Defect: "cart_delete says the cart is deleted but keeps it: the released handle is still served",
			Breaks: []spec.ID{spec.StateHandleReleased},
			Only:   []string{"state/handles"},
			Config: cfg(nil),
			Wrap:   wrapSoftDeleteCarts,
		}},
		{Variant: Variant{
			Name:   "single-use-replay",
			Defect: "a transfer confirmation can be redeemed again: the ledger records nothing",
			Breaks: []spec.ID{spec.StateSingleUse},
			Only:   []string{"state/single-use"},
			Config: cfg(func(c *impl.Config) { c.Store = forgetfulStore{impl.NewMemoryStore()} }),
			Wrap:   func(next http.Handler, _ *impl.Server) http.Handler { return next },
		}},
	}
	vs = append(vs, exposureVariants(cfg)...)
	vs = append(vs, tasksVariants(cfg)...)
	sort.Slice(vs, func(i, j int) bool { return vs[i].Name < vs[j].Name })
	return vs
}

// forgetfulStore keeps carts but redeems every key every time.
type forgetfulStore struct{ impl.Store }

func (forgetfulStore) Redeem(context.Context, string, string, time.Duration, impl.Quota) (bool, error) {
	return true, nil
}

// stateCodec is the codec of StateConfig's servers.
func stateCodec(ttl time.Duration) *impl.StateCodec {
	c, err := impl.NewStateCodec(impl.StateCodecConfig{Keys: [][]byte{stateKey}, TTL: ttl})
	if err != nil {
		panic("faulty: state codec: " + err.Error())
	}
	return c
}

// principalOf returns the principal of a request's bearer token ("" when
// none is listed).
func principalOf(r *http.Request) string {
	tok, _ := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return stateTokens[tok]
}

// canonicalArgs is the RFC 8785 form of an arguments value, {} when absent:
// what the server digests.
func canonicalArgs(v any) string {
	if v == nil {
		return "{}"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "{}"
	}
	val := wire.Value(b)
	if val.Canonicalize() != nil {
		return string(b)
	}
	return string(val)
}

// bindingOf returns the binding the server gives a request's state.
func bindingOf(q *rpcCall, principal string) (impl.StateBinding, bool) {
	b := impl.StateBinding{Principal: principal, Method: q.Method}
	switch q.Method {
	case "tools/call", "prompts/get":
		name, ok := q.Params["name"].(string)
		if !ok {
			return b, false
		}
		b.Params = []string{name, canonicalArgs(q.Params["arguments"])}
	case "resources/read":
		uri, ok := q.Params["uri"].(string)
		if !ok {
			return b, false
		}
		b.Params = []string{uri}
	default:
		return b, false
	}
	return b, true
}

// stateOfResult returns the requestState of an InputRequiredResult.
func stateOfResult(m map[string]any) (map[string]any, string, bool) {
	r := resultOf(m)
	if r == nil || r["resultType"] != "input_required" {
		return nil, "", false
	}
	s, ok := r["requestState"].(string)
	return r, s, ok
}

// perRequest builds the rewriting handler for each request, so that the
// edits can see its headers.
func perRequest(next http.Handler, edits func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		editReq, edit := edits(r)
		rewriteMessages(next, editReq, edit).ServeHTTP(w, r)
	})
}

// wrapListenGlobalCap refuses a subscriptions/listen while four are open.
func wrapListenGlobalCap(next http.Handler, _ *impl.Server) http.Handler {
	var open atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m, id, hasID, ok := peekRPC(r)
		if !ok || !hasID || m != "subscriptions/listen" {
			next.ServeHTTP(w, r)
			return
		}
		if open.Add(1) > 4 {
			open.Add(-1)
			writeRPCError(w, http.StatusTooManyRequests, id, -32603, "too many listen streams are open")
			return
		}
		defer open.Add(-1)
		next.ServeHTTP(w, r)
	})
}
