package hints

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/mcpverify/mcpverify/model"
)

// Hints tell the state checks what the protocol does not mark: which tools
// mint, take and release state handles, which requests' requestState is
// single-use or matters, and the lifetimes the deployment promises. The
// checks detect most of this themselves (values that flow from tool
// results into other tools' arguments, descriptions that say "used
// once"); hints add to detection, never remove from it.
//
// The file is JSON (`--hints FILE`):
//
//	{
//	  "handles": [
//	    {"kind": "cart",
//	     "mint":   {"cart_create": "structuredContent.cart_id"},
//	     "use":    {"cart_add": "cart_id", "cart_view": "cart_id"},
//	     "delete": {"cart_delete": "cart_id"}}
//	  ],
//	  "singleUse":    ["transfer", "prompts/get approve"],
//	  "stateMatters": ["transfer"],
//	  "stateTTLMax":  "10m",
//	  "handleTTLMax": "30m",
//	  "scopes":       {"transfer": ["mcp:transfer"]},
//	  "upstream":     {"fetch": "url"},
//	  "paths":        {"read_file": "path"},
//	  "principals":   {"primary": "alice", "alternate": "bob"},
//	  "forbidden":    {"bob": ["tools/call reset", "resources/read notes://alice"]}
//	}
//
// A handle entry names one kind of handle: the tools that mint it (tool →
// the path of the handle in the CallToolResult object, keys joined by dots,
// array elements by their index), the tools that take it and the tools
// that release it (tool → the path of the handle in the arguments). A
// request name is a tool name, or "METHOD NAME" for a prompt
// ("prompts/get NAME") or a resource ("resources/read URI"). singleUse
// lists the requests whose requestState may be redeemed at most once;
// stateMatters those whose requestState influences authorization, resource
// access or business logic (a request completed on a state the server
// never minted is then a STATE-INTEGRITY failure). stateTTLMax and
// handleTTLMax are the longest lifetimes the deployment allows (Go
// durations); --state-ttl-max overrides stateTTLMax. scopes names the
// OAuth scopes a tool needs (the auth checks also learn them from the
// server's insufficient_scope challenges); upstream names, per tool, the
// argument that takes the URL of another service the server calls on the
// caller's behalf (the token passthrough check points it at its probe);
// paths names, per tool, the argument that takes a file path (the file
// checks find most from names and descriptions). principals names the
// checker's two identities: "primary" is the client's credentials
// (--header), "alternate" the second principal's (--alt-header); the
// names are the user's, for use in forbidden. forbidden lists, per
// identity ("primary", "alternate", or a name principals gives one), the
// requests the deployment's policy refuses to it (request names as in
// singleUse): the exposure checks fail CORE-CACHE-SCOPE-NOT-ACL when one is
// served to it. "prompts/get NAME" forbids the prompt's completion too,
// and "resources/read URI-TEMPLATE" (a template as resources/templates/list
// lists it, with its {expressions}) forbids the template's completion; the
// checks fail CORE-COMPLETION-ACCESS when it suggests values to it.
// Unknown members are
// an error, so a typo cannot silently disable a hint.
type Hints struct {
	Handles      []HandleHint `json:"handles,omitempty"`
	SingleUse    []string     `json:"singleUse,omitempty"`
	StateMatters []string     `json:"stateMatters,omitempty"`
	StateTTLMax  Duration     `json:"stateTTLMax,omitzero"`
	HandleTTLMax Duration     `json:"handleTTLMax,omitzero"`
	// Scopes: tool → the scopes it needs.
	Scopes map[string][]string `json:"scopes,omitempty"`
	// Upstream: tool → the argument that takes an upstream URL.
	Upstream map[string]string `json:"upstream,omitempty"`
	// Paths: tool → the argument that takes a file path.
	Paths map[string]string `json:"paths,omitempty"`
	// Principals: identity ("primary", "alternate") → the user's name for it.
	Principals map[string]string `json:"principals,omitempty"`
	// Forbidden: identity or its name → the requests refused to it.
	Forbidden map[string][]string `json:"forbidden,omitempty"`
}

// The checker's two identities, as hints name them.
const (
	Primary   = "primary"
	Alternate = "alternate"
)

// HandleHint names the tools of one kind of state handle: tool name →
// path of the handle (in the result for Mint, in the arguments for Use and
// Delete).
type HandleHint struct {
	Kind   string            `json:"kind,omitempty"`
	Mint   map[string]string `json:"mint"`
	Use    map[string]string `json:"use,omitempty"`
	Delete map[string]string `json:"delete,omitempty"`
}

// Duration is a time.Duration written as a Go duration string ("90s").
type Duration time.Duration

// UnmarshalJSON implements json.Unmarshaler.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("want a duration string such as \"90s\": %w", err)
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if v < 0 {
		return fmt.Errorf("duration %q is negative", s)
	}
	*d = Duration(v)
	return nil
}

// MarshalJSON implements json.Marshaler.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// maxHintsBytes bounds a hints file.
const maxHintsBytes = 1 << 20

// Parse decodes and validates a hints file. It fails on unknown
// members, trailing data, a handle kind without a minting tool or without a
// tool that takes or releases the handle, and empty names or paths.
func Parse(data []byte) (*Hints, error) {
	if len(data) > maxHintsBytes {
		return nil, fmt.Errorf("hints: %d bytes; at most %d", len(data), maxHintsBytes)
	}
	// Member names match exactly, unknown members and trailing data are
	// errors.
	var h Hints
	if err := jsonv2.Unmarshal(data, &h, jsonv2.RejectUnknownMembers(true)); err != nil {
		return nil, fmt.Errorf("hints: %w", err)
	}
	for i, hh := range h.Handles {
		if len(hh.Mint) == 0 {
			return nil, fmt.Errorf("hints: handles[%d]: no minting tool (mint)", i)
		}
		if len(hh.Use)+len(hh.Delete) == 0 {
			return nil, fmt.Errorf("hints: handles[%d]: no tool that takes the handle (use or delete)", i)
		}
		for role, m := range map[string]map[string]string{"mint": hh.Mint, "use": hh.Use, "delete": hh.Delete} {
			for tool, path := range m {
				if tool == "" || len(SplitPath(path)) == 0 {
					return nil, fmt.Errorf("hints: handles[%d].%s: want a tool name and a non-empty path, got %q: %q", i, role, tool, path)
				}
			}
		}
	}
	for tool, ss := range h.Scopes {
		if tool == "" || len(ss) == 0 || slices.Contains(ss, "") {
			return nil, fmt.Errorf("hints: scopes: want a tool name and its non-empty scopes, got %q: %q", tool, ss)
		}
	}
	for what, m := range map[string]map[string]string{"upstream": h.Upstream, "paths": h.Paths} {
		for tool, arg := range m {
			if tool == "" || arg == "" {
				return nil, fmt.Errorf("hints: %s: want a tool name and an argument name, got %q: %q", what, tool, arg)
			}
		}
	}
	for id, name := range h.Principals {
		if id != Primary && id != Alternate {
			return nil, fmt.Errorf("hints: principals: %q is not an identity of the checker (want %q or %q)", id, Primary, Alternate)
		}
		if name == "" || name == Primary || name == Alternate {
			return nil, fmt.Errorf("hints: principals: %s: want a name other than %q and %q, got %q", id, Primary, Alternate, name)
		}
	}
	if p, a := h.Principals[Primary], h.Principals[Alternate]; p != "" && p == a {
		return nil, fmt.Errorf("hints: principals: both identities are named %q", p)
	}
	lists := [][]string{h.SingleUse, h.StateMatters}
	for who, reqs := range h.Forbidden {
		if h.identity(who) == "" {
			return nil, fmt.Errorf("hints: forbidden: %q is neither %q, %q nor a name principals gives one of them", who, Primary, Alternate)
		}
		if len(reqs) == 0 {
			return nil, fmt.Errorf("hints: forbidden: %s: no request named", who)
		}
		lists = append(lists, reqs)
	}
	for _, list := range lists {
		for _, n := range list {
			if _, _, ok := parseRequestName(n); !ok {
				return nil, fmt.Errorf("hints: request name %q: want a tool name or \"METHOD NAME\" (tools/call, prompts/get, resources/read)", n)
			}
		}
	}
	return &h, nil
}

// identity returns the identity ("primary", "alternate") who names: the
// identity itself or the name principals gives it; "" if neither.
func (h *Hints) identity(who string) string {
	if who == Primary || who == Alternate {
		return who
	}
	for id, name := range h.Principals {
		if name == who {
			return id
		}
	}
	return ""
}

// Name is the user's name of identity ("primary", "alternate"), or the
// identity itself when principals gives none.
func (h *Hints) Name(identity string) string {
	if h != nil && h.Principals[identity] != "" {
		return h.Principals[identity]
	}
	return identity
}

// Forbid is a request the hints say is refused to an identity.
type Forbid struct{ Identity, Method, Name string }

// ForbiddenList returns the requests forbidden, by identity ("primary",
// "alternate"), method and name, sorted, each once.
func (h *Hints) ForbiddenList() []Forbid {
	if h == nil {
		return nil
	}
	var out []Forbid
	for who, reqs := range h.Forbidden {
		for _, r := range reqs {
			if m, n, ok := parseRequestName(r); ok {
				if f := (Forbid{h.identity(who), m, n}); !slices.Contains(out, f) {
					out = append(out, f)
				}
			}
		}
	}
	slices.SortFunc(out, func(a, b Forbid) int {
		return strings.Compare(a.Identity+"\x00"+a.Method+"\x00"+a.Name, b.Identity+"\x00"+b.Method+"\x00"+b.Name)
	})
	return out
}

// ForbiddenTo reports whether the hints say the request (method, name) is
// refused to identity ("primary", "alternate").
func (h *Hints) ForbiddenTo(identity, method, name string) bool {
	return slices.Contains(h.ForbiddenList(), Forbid{identity, method, name})
}

// Load reads and parses a hints file.
func Load(path string) (*Hints, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("hints: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxHintsBytes+1))
	if err != nil {
		return nil, fmt.Errorf("hints: %s: %w", path, err)
	}
	h, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return h, nil
}

// SplitPath splits a dotted path; "" gives none.
func SplitPath(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(p, ".")
	for _, s := range parts {
		if s == "" {
			return nil
		}
	}
	return parts
}

// ParseRequest reads a request name of the hints: "NAME" (a tool) or
// "METHOD NAME" (tools/call, prompts/get, resources/read).
func ParseRequest(s string) (method, name string, ok bool) { return parseRequestName(s) }

// parseRequestName reads "NAME" (a tool) or "METHOD NAME".
func parseRequestName(s string) (method, name string, ok bool) {
	if m, n, found := strings.Cut(s, " "); found {
		switch m {
		case "tools/call", "prompts/get", "resources/read":
			return m, n, n != ""
		}
		return "", "", false
	}
	return "tools/call", s, s != ""
}

// names reports whether list names the request (method, name).
func Names(list []string, method, name string) bool {
	for _, s := range list {
		if m, n, ok := parseRequestName(s); ok && m == method && n == name {
			return true
		}
	}
	return false
}

// ModelHandles returns the hinted handle tools in the model's terms.
func (h *Hints) ModelHandles() []model.HandleTool {
	if h == nil {
		return nil
	}
	var out []model.HandleTool
	for _, hh := range h.Handles {
		add := func(m map[string]string, role model.HandleRole) {
			tools := make([]string, 0, len(m))
			for t := range m {
				tools = append(tools, t)
			}
			sort.Strings(tools)
			for _, t := range tools {
				out = append(out, model.HandleTool{Tool: t, Role: role, Path: SplitPath(m[t]), Kind: hh.Kind})
			}
		}
		add(hh.Mint, model.HandleMint)
		add(hh.Use, model.HandleUse)
		add(hh.Delete, model.HandleDelete)
	}
	return out
}
