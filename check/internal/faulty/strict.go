package faulty

import (
	"net/http"
	"strings"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the hardening checks on messages that different components
// may read differently (notification headers, case-variant members,
// '-'/'_' variants of Mcp-Param names).

func init() {
	Register(&Variant{
		Name:   "notification-headers-unchecked",
		Defect: "a notification POST is accepted whatever its Mcp-Method and MCP-Protocol-Version say: the headers are checked for requests only",
		Breaks: []spec.ID{spec.HttpNotificationHeaders},
		Only:   []string{"transport/notification-headers"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if m, _, hasID, ok := peekRPC(r); ok && !hasID {
					r.Header.Set(wire.HeaderMethod, m)
					r.Header.Set(wire.HeaderProtocolVersion, wire.Version)
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "member-case-ignored",
		Defect: "members of params that differ from a known one only by case (Name, Arguments, _META) are dropped as unknown instead of refused",
		Breaks: []spec.ID{spec.CoreMemberCase},
		Only:   []string{"transport/member-case"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
				params, _ := msg["params"].(map[string]any)
				changed := false
				for k := range params {
					for known := range params {
						if k != known && strings.EqualFold(k, known) && k != strings.ToLower(k) {
							delete(params, k)
							changed = true
							break
						}
					}
				}
				return changed
			})
		},
	})
	Register(&Variant{
		Name:   "param-underscore-dropped",
		Defect: "Mcp-Param headers whose names hold '_' are dropped when a '-' spelling of the same name is present, as a proxy that refuses underscores in header names does",
		Breaks: []spec.ID{spec.HttpParamNameVariant},
		Only:   []string{"headers/param-name-variant"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for name := range r.Header {
					if strings.HasPrefix(name, wire.HeaderParamPrefix) && strings.Contains(name, "_") {
						if _, twin := r.Header[http.CanonicalHeaderKey(strings.ReplaceAll(name, "_", "-"))]; twin {
							delete(r.Header, name)
						}
					}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
}
