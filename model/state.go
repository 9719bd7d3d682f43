package model

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"time"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of basic/patterns/mrtr.mdx, "Server Requirements (Basic Workflow)"
// items 4 and 5 (what a server does with the requestState it is sent), and
// of security_best_practices.mdx, "State Handle Hijacking" (handles that
// tools mint and take as arguments).
//
// requestState. The model records every requestState the server mints (an
// InputRequiredResult of tools/call, prompts/get or resources/read that
// carries one) with the request it answered (method; tool or prompt name,
// or resource URI; a SHA-256 digest of the RFC 8785 form of its arguments),
// the principal that sent it (Config.Principal) and when (Exchange.At). A
// request that carries a requestState and completes (a complete result; for
// tools/call one without isError) is judged against those mintings; an
// error, a tool error or a fresh InputRequiredResult is a refusal, and any
// refusal is conforming (the spec names no code). A request with no minting
// of its own method and name is judged only if the server has issued a
// requestState for that method and name before: a request that never uses
// state may ignore one.
//
//   - minted only for other requests (another method or name):
//     STATE-BIND-REQUEST.
//   - minted for this method and name, but only with other arguments:
//     STATE-BIND-ARGS (hardening; which arguments are salient is the
//     server's choice).
//   - minted only for other principals, both known: STATE-BIND-PRINCIPAL.
//   - minted more than Config.StateTTLMax before: STATE-BIND-EXPIRY.
//   - completed before, on a request Config.SingleUse names:
//     STATE-SINGLE-USE.
//   - never minted (a forgery or a mutation): STATE-INTEGRITY only where
//     Config.StateMatters says the state matters, since the requirement is
//     conditional on that and an exchange cannot show it; otherwise the
//     observation is left to the caller (State.StateMints).
//
// Handles. The protocol has no handle concept, so Config.Handles names the
// tools that mint a handle (a path in their result) and take or release one
// (a path in their arguments). The model records, per handle, the
// principals it was minted for and whether it was released. A call that
// presents a known handle and succeeds (a complete result without isError)
// is judged:
//
//   - presented by a principal it was not minted for, both known:
//     STATE-HANDLE-PRINCIPAL; and, when the call carries no credentials at
//     all while every minting call did, STATE-HANDLE-NOT-AUTH (possession
//     alone reached an authenticated principal's state).
//   - presented after a successful call of a releasing tool:
//     STATE-HANDLE-RELEASED (hardening; a repeated release is not counted).
//   - presented more than Config.HandleTTLMax after its last activity:
//     STATE-HANDLE-EXPIRY (hardening).
//
// Cost: the rule runs only on requests that carry a requestState, answers
// that mint one, and calls of the tools Config.Handles names. The model
// keeps the last maxStates states and maxHandles handles.

// Bounds of what the model remembers.
const (
	maxStates        = 1024 // requestState values
	maxIssuers       = 1024 // requests (method, name) that issued a requestState
	maxHandles       = 1024 // handles
	maxMintsPerState = 8    // mintings of one requestState value
	maxOwners        = 8    // principals one handle was minted for
)

// stateFacts are the requestStates and handles the server minted. Entries
// are never changed in place: a change replaces the entry (copy on write,
// as the rest of facts).
type stateFacts struct {
	mints   map[string]*stateEntry  // by requestState value
	issuers map[reqName]bool        // requests answered with a requestState
	handles map[string]*handleEntry // by handleKey
	// forgot: states were evicted, so a state with no minting seen may
	// have been minted after all.
	forgot bool
}

// reqName identifies a request for binding: the method and the tool or
// prompt name, or the resource URI.
type reqName struct{ method, name string }

func (r reqName) String() string { return fmt.Sprintf("%s %q", r.method, r.name) }

type stateEntry struct {
	mints []stateMint // oldest first
	// completions counts the requests completed on this state; kept only
	// for requests Config.SingleUse names.
	completions int
	last        time.Duration // the latest minting, for eviction
}

type stateMint struct {
	req       reqName
	args      [sha256.Size]byte
	principal string
	at        time.Duration
}

type handleEntry struct {
	owners []string // principals it was minted for
	shared bool     // minted for more than maxOwners principals: not judged
	// anonMint: some minting call carried no credentials (the handle is a
	// bearer token by design there).
	anonMint bool
	deleted  bool
	active   time.Duration // the latest minting or (with HandleTTLMax) use
}

// HandleRole is what a tool does with a state handle.
type HandleRole uint8

const (
	// HandleMint: the tool's result holds a new handle at Path.
	HandleMint HandleRole = iota + 1
	// HandleUse: the call's arguments hold a handle at Path.
	HandleUse
	// HandleDelete: the call's arguments hold a handle at Path, which a
	// successful call releases.
	HandleDelete
)

// HandleTool says where one tool mints, takes or releases a state handle.
// A tool may appear in several entries (a tool that takes one handle and
// mints another).
type HandleTool struct {
	Tool string
	Role HandleRole
	// Path leads to the handle: for HandleMint from the CallToolResult
	// object (e.g. structuredContent, basket_id), otherwise from the
	// arguments object (e.g. basket_id). Array elements are named by
	// their decimal index. The handle is the non-empty string there, or
	// the JSON text of a number.
	Path []string
	// Kind groups the tools of one kind of handle (a basket id is not an
	// order id); "" is a kind too.
	Kind string
}

func indexHandles(hs []HandleTool) map[string][]HandleTool {
	if len(hs) == 0 {
		return nil
	}
	idx := map[string][]HandleTool{}
	for _, h := range hs {
		if len(h.Path) == 0 || h.Role < HandleMint || h.Role > HandleDelete {
			continue
		}
		idx[h.Tool] = append(idx[h.Tool], h)
	}
	return idx
}

// Mint is one minting of a requestState, as the model saw it.
type Mint struct {
	// Method and Name identify the request the state answered (Name is the
	// tool or prompt name, or the resource URI).
	Method, Name string
	// Args is the hex SHA-256 of the request's arguments in RFC 8785 form
	// (absent arguments are {}).
	Args string
	// Principal is Config.Principal of the request's credentials, or
	// CredentialPrincipal's when Config.Principal is nil.
	Principal string
	// At is when the minting request was sent (Exchange.At), plus the
	// arrival offset of the response where known (stdio).
	At time.Duration
}

// StateMints returns the mintings of the requestState v seen so far (the
// last eight), oldest first, and whether the answer is certain: false when
// the model has forgotten older states, so that "no minting" means
// unknown rather than "never minted". A request completed on a state with
// no minting, for certain, is the observation behind STATE-INTEGRITY; the
// model reports it only where Config.StateMatters says the state matters.
func (s State) StateMints(v string) ([]Mint, bool) {
	if s.facts == nil {
		return nil, true
	}
	st := &s.facts.st
	e := st.mints[v]
	if e == nil {
		return nil, !st.forgot
	}
	out := make([]Mint, len(e.mints))
	for i, m := range e.mints {
		out[i] = Mint{Method: m.req.method, Name: m.req.name, Args: hex.EncodeToString(m.args[:]), Principal: m.principal, At: m.at}
	}
	return out, true
}

// CredentialPrincipal names the principal of a credential: "anonymous"
// when there is none, otherwise "cred:" and 16 hex digits of the SHA-256 of
// the Authorization value (the value itself is not kept). It is the
// Config.Principal of a checker whose distinct credentials belong to
// distinct principals.
func CredentialPrincipal(authorization string) string {
	if authorization == "" {
		return "anonymous"
	}
	sum := sha256.Sum256([]byte(authorization))
	return "cred:" + hex.EncodeToString(sum[:8])
}

// stateRelevant: a request of the three MRTR methods that carries a
// requestState or is answered with one, or a call of a handle tool.
func stateRelevant(c *ctx) bool {
	if !c.isRequest() {
		return false
	}
	switch p := c.params.(type) {
	case *wire.CallToolRequestParams:
		return p.RequestState != nil || c.s.cfg.handleIdx[p.Name] != nil || mintedState(c) != nil
	case *wire.GetPromptRequestParams:
		return p.RequestState != nil || mintedState(c) != nil
	case *wire.ReadResourceRequestParams:
		return p.RequestState != nil || mintedState(c) != nil
	}
	return false
}

// mintedState returns the requestState of an InputRequiredResult answer.
func mintedState(c *ctx) *string {
	if c.result == nil {
		return nil
	}
	if r, ok := c.ex.Replies[c.final].Result.(*wire.InputRequiredResult); ok {
		return r.RequestState
	}
	return nil
}

// completed: the final answer is a complete result (for tools/call, one
// without isError).
func completed(c *ctx) bool {
	if c.result == nil {
		return false
	}
	switch r := c.ex.Replies[c.final].Result.(type) {
	case *wire.CallToolResult:
		return r.ResultType == wire.ResultComplete && (r.IsError == nil || !*r.IsError)
	case *wire.GetPromptResult:
		return r.ResultType == wire.ResultComplete
	case *wire.ReadResourceResult:
		return r.ResultType == wire.ResultComplete
	}
	return false
}

func checkStateAndHandles(c *ctx) {
	var rn reqName
	var sent *string
	switch p := c.params.(type) {
	case *wire.CallToolRequestParams:
		rn, sent = reqName{c.method, p.Name}, p.RequestState
		if hs := c.s.cfg.handleIdx[p.Name]; hs != nil {
			checkHandles(c, hs)
		}
	case *wire.GetPromptRequestParams:
		rn, sent = reqName{c.method, p.Name}, p.RequestState
	case *wire.ReadResourceRequestParams:
		rn, sent = reqName{c.method, p.URI}, p.RequestState
	default:
		return
	}
	if sent != nil && responded(c) {
		judgeStateUse(c, rn, *sent)
	}
	if v := mintedState(c); v != nil {
		recordStateMint(c, *v, stateMint{req: rn, args: argsDigest(c.params), principal: principal(c), at: mintTime(c)})
	}
}

// responded: the server answered the request, with a final response or an
// HTTP error status (a refusal such as 401 may carry no JSON-RPC body).
func responded(c *ctx) bool {
	return c.answered() || (c.http && c.ex.Status >= 400)
}

// credentials returns the request's Authorization value ("" on stdio).
func credentials(c *ctx) string {
	if !c.http {
		return ""
	}
	v, _ := c.ex.RequestHeader("authorization")
	return v
}

// principal names the request's principal: Config.Principal's name, or
// CredentialPrincipal's when the model is not told ("" is unknown).
func principal(c *ctx) string {
	if c.s.cfg.Principal == nil {
		return CredentialPrincipal(credentials(c))
	}
	return c.s.cfg.Principal(credentials(c))
}

// mintTime is when a state minted by this exchange existed at the latest:
// the response's arrival where known, else the request's time.
func mintTime(c *ctx) time.Duration {
	if c.final >= 0 && c.final < len(c.ex.LineAt) {
		return c.ex.At + c.ex.LineAt[c.final]
	}
	return c.ex.At
}

// argsDigest digests the arguments of a tools/call or prompts/get in RFC
// 8785 form (absent arguments are {}), as a server binding "a digest of
// its salient parameters" would, taking them all as salient.
func argsDigest(p any) [sha256.Size]byte {
	var raw []byte
	switch p := p.(type) {
	case *wire.CallToolRequestParams:
		if len(p.Arguments) > 0 {
			raw, _ = wire.Marshal(p.Arguments)
		}
	case *wire.GetPromptRequestParams:
		if len(p.Arguments) > 0 {
			raw, _ = wire.Marshal(p.Arguments)
		}
	}
	if raw == nil {
		return emptyArgsDigest
	}
	v := wire.Value(raw)
	if v.Canonicalize() != nil {
		return sha256.Sum256(raw)
	}
	return sha256.Sum256(v)
}

// emptyArgsDigest is the digest of absent or empty arguments.
var emptyArgsDigest = sha256.Sum256([]byte("{}"))

// judgeStateUse judges an answered request that carried the requestState v.
func judgeStateUse(c *ctx, rn reqName, v string) {
	cfg := c.s.cfg
	st := &c.facts().st
	done := completed(c)
	e := st.mints[v]
	if e == nil {
		if cfg.StateMatters == nil || st.forgot || !cfg.StateMatters(rn.method, rn.name) {
			return
		}
		c.judge(spec.StateIntegrity)
		if done {
			c.reportf(spec.StateIntegrity, "a refusal of requestState that fails verification (this request's state influences its outcome)",
				"%s completed on a requestState the server never minted (%.40q)", rn, v)
		}
		return
	}
	// The mintings for this request, and for these arguments too.
	var digest [sha256.Size]byte
	sameReq, sameArgs := 0, 0
	for _, m := range e.mints {
		if m.req != rn {
			continue
		}
		if sameReq++; sameReq == 1 {
			digest = argsDigest(c.params)
		}
		if m.args == digest {
			sameArgs++
		}
	}
	if sameReq == 0 && !st.issuers[rn] {
		return // this request never issues state: it may ignore one
	}
	// The mintings this use is judged against: the closest match.
	cands := func(yield func(stateMint) bool) {
		for _, m := range e.mints {
			if (sameArgs > 0 && (m.req != rn || m.args != digest)) || (sameArgs == 0 && sameReq > 0 && m.req != rn) {
				continue
			}
			if !yield(m) {
				return
			}
		}
	}
	switch {
	case sameReq == 0:
		c.judge(spec.StateBindRequest)
		if done {
			c.reportf(spec.StateBindRequest, "a refusal of requestState presented on a request other than the one it was minted for",
				"%s completed on a requestState minted for %s", rn, e.mints[len(e.mints)-1].req)
		}
	case sameReq > 0 && sameArgs == 0:
		c.judge(spec.StateBindArgs)
		if done {
			c.reportf(spec.StateBindArgs, "a refusal of requestState presented with arguments other than those of the request it was minted for",
				"%s completed with other arguments than the request its requestState was minted for", rn)
		}
	}
	if cfg.Principal != nil {
		user := principal(c)
		known, mine := user != "", false
		for m := range cands {
			known = known && m.principal != ""
			mine = mine || m.principal == user
		}
		if known && !mine {
			c.judge(spec.StateBindPrincipal)
			if done {
				c.reportf(spec.StateBindPrincipal, "a refusal of requestState presented by a principal other than the one it was minted for",
					"%s completed for principal %s on a requestState minted for another principal", rn, user)
			}
		}
	}
	if cfg.StateTTLMax > 0 {
		youngest := time.Duration(-1 << 63)
		for m := range cands {
			youngest = max(youngest, m.at)
		}
		if age := c.ex.At - youngest; age > cfg.StateTTLMax {
			c.judge(spec.StateBindExpiry)
			if done {
				c.reportf(spec.StateBindExpiry, fmt.Sprintf("a refusal of requestState older than %v", cfg.StateTTLMax),
					"%s completed on a requestState minted %v before", rn, age)
			}
		}
	}
	if cfg.SingleUse != nil && cfg.SingleUse(rn.method, rn.name) {
		if e.completions > 0 {
			c.judge(spec.StateSingleUse)
			if done {
				c.reportf(spec.StateSingleUse, "a refusal of a single-use requestState presented again after it completed a request",
					"%s completed on a requestState that had completed %d request(s) before", rn, e.completions)
			}
		}
		if done {
			n := *e
			n.completions++
			own(c, ownStateMints, &c.learn().st.mints)[v] = &n
		}
	}
}

// recordStateMint records that the server minted v.
func recordStateMint(c *ctx, v string, m stateMint) {
	st := &c.facts().st
	old := st.mints[v]
	if old == nil || !slices.Contains(old.mints, m) {
		n := &stateEntry{last: m.at}
		if old != nil {
			n.completions, n.last = old.completions, max(old.last, m.at)
			// A newer minting for the same request and principal replaces
			// the older one.
			n.mints = slices.DeleteFunc(slices.Clone(old.mints), func(x stateMint) bool {
				return x.req == m.req && x.args == m.args && x.principal == m.principal
			})
		}
		n.mints = append(n.mints, m)
		if len(n.mints) > maxMintsPerState {
			n.mints = n.mints[len(n.mints)-maxMintsPerState:]
		}
		l := c.learn()
		mints := own(c, ownStateMints, &l.st.mints)
		if old == nil && len(mints) >= maxStates {
			delete(mints, oldest(mints, func(e *stateEntry) time.Duration { return e.last }))
			l.st.forgot = true
		}
		mints[v] = n
	}
	if !c.facts().st.issuers[m.req] && len(c.facts().st.issuers) < maxIssuers {
		own(c, ownStateIssuers, &c.learn().st.issuers)[m.req] = true
	}
}

// oldest returns the key of the entry with the smallest time (the smallest
// key among equals, so that eviction is deterministic).
func oldest[E any](m map[string]E, at func(E) time.Duration) string {
	var key string
	var least time.Duration
	first := true
	for k, e := range m {
		t := at(e)
		if first || t < least || (t == least && k < key) {
			key, least, first = k, t, false
		}
	}
	return key
}

// checkHandles judges a call of a tool that mints, takes or releases
// handles, and records the handles it mints.
func checkHandles(c *ctx, hs []HandleTool) {
	if !responded(c) {
		return
	}
	done := completed(c)
	args := toolArguments(c.params)
	for _, h := range hs {
		if h.Role == HandleMint {
			continue
		}
		a, ok := args[h.Path[0]]
		if !ok {
			continue
		}
		if v, ok := handleAt(a, h.Path[1:]); ok {
			judgeHandleUse(c, h, v, done)
		}
	}
	if !done {
		return
	}
	for _, h := range hs {
		if h.Role != HandleMint {
			continue
		}
		if v, ok := handleAt(c.result.Result, h.Path); ok {
			recordHandleMint(c, handleKey(h.Kind, v))
		}
	}
}

func handleKey(kind, v string) string { return kind + "\x00" + v }

// handleAt returns the handle at path in v: a non-empty string, or a
// number's JSON text.
func handleAt(v wire.Value, path []string) (string, bool) {
	v, ok := wire.Path(path).LookupValue(v)
	if !ok {
		return "", false
	}
	switch v.Kind() {
	case '"':
		var s string
		if wire.Unmarshal(v, &s) != nil || s == "" {
			return "", false
		}
		return s, true
	case '0':
		return string(v), true
	}
	return "", false
}

// judgeHandleUse judges an answered call that presented the handle v.
func judgeHandleUse(c *ctx, h HandleTool, v string, done bool) {
	key := handleKey(h.Kind, v)
	e := c.facts().st.handles[key]
	if e == nil {
		return
	}
	cfg := c.s.cfg
	if cfg.Principal != nil && !e.shared {
		user := principal(c)
		if user != "" && !slices.Contains(e.owners, "") && !slices.Contains(e.owners, user) {
			// No credentials at all, for a handle minted only to
			// authenticated callers: possession alone is the key.
			bearer := credentials(c) == "" && !e.anonMint
			c.judge(spec.StateHandlePrincipal)
			if bearer {
				c.judge(spec.StateHandleNotAuth)
			}
			if done {
				c.reportf(spec.StateHandlePrincipal, "a refusal of a handle presented by a principal it was not minted for",
					"tool %q accepted handle %.40q from principal %s; it was minted for %v", h.Tool, v, user, e.owners)
				if bearer {
					c.reportf(spec.StateHandleNotAuth, "no access to an authenticated principal's state by possession of its handle",
						"tool %q accepted handle %.40q from a request without credentials; it was minted for %v", h.Tool, v, e.owners)
				}
			}
		}
	}
	if e.deleted && h.Role == HandleUse {
		c.judge(spec.StateHandleReleased)
		if done {
			c.reportf(spec.StateHandleReleased, "a refusal of a handle after the server's tool released it",
				"tool %q accepted handle %.40q after it was released", h.Tool, v)
		}
	}
	if cfg.HandleTTLMax > 0 && c.ex.At-e.active > cfg.HandleTTLMax {
		c.judge(spec.StateHandleExpiry)
		if done {
			c.reportf(spec.StateHandleExpiry, fmt.Sprintf("a refusal of a handle unused for more than %v", cfg.HandleTTLMax),
				"tool %q accepted handle %.40q unused for %v", h.Tool, v, c.ex.At-e.active)
		}
	}
	if !done {
		return
	}
	release := h.Role == HandleDelete && !e.deleted
	touch := cfg.HandleTTLMax > 0 && e.active < c.ex.At
	if release || touch {
		n := *e
		n.deleted = n.deleted || release
		if touch {
			n.active = c.ex.At
		}
		own(c, ownHandles, &c.learn().st.handles)[key] = &n
	}
}

// recordHandleMint records that the server minted the handle key for the
// request's principal.
func recordHandleMint(c *ctx, key string) {
	p := principal(c)
	anon := credentials(c) == ""
	old := c.facts().st.handles[key]
	if old != nil && !old.deleted && (old.shared || slices.Contains(old.owners, p)) && (old.anonMint || !anon) && old.active >= c.ex.At {
		return // nothing new (a replayed exchange)
	}
	n := &handleEntry{active: c.ex.At, anonMint: anon}
	if old != nil && !old.deleted {
		// The same handle again: for another principal too, or later.
		n.owners, n.shared = old.owners, old.shared
		n.anonMint = n.anonMint || old.anonMint
		n.active = max(n.active, old.active)
	}
	if !n.shared && !slices.Contains(n.owners, p) {
		if len(n.owners) >= maxOwners {
			n.shared, n.owners = true, nil
		} else {
			n.owners = append(slices.Clip(n.owners), p)
		}
	}
	handles := own(c, ownHandles, &c.learn().st.handles)
	if old == nil && len(handles) >= maxHandles {
		delete(handles, oldest(handles, func(e *handleEntry) time.Duration { return e.active }))
	}
	handles[key] = n
}
