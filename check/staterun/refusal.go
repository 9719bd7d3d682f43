package staterun

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// RefusalShape is a refusal with the given values (handles, task IDs)
// masked: what a prober compares.
func RefusalShape(o check.Observation, masked ...string) string {
	oc := RetryOutcome(o)
	var parts []string
	if o.Ex.Transport == wire.HTTP {
		parts = append(parts, fmt.Sprintf("HTTP %d", o.Ex.Status))
	}
	switch oc.Kind {
	case OutError:
		for _, r := range o.Ex.Replies {
			if m, ok := r.Msg.(*wire.JSONRPCErrorResponse); ok {
				parts = append(parts, fmt.Sprintf("error %d %s %s", m.Error.Code, m.Error.Message, m.Error.Data))
			}
		}
	case OutToolError:
		parts = append(parts, "tool error "+ResultSig(o))
	default:
		parts = append(parts, oc.Desc)
	}
	s := strings.Join(parts, ", ")
	for _, h := range masked {
		if h != "" {
			s = strings.ReplaceAll(s, h, "<masked>")
			if q, err := json.Marshal(h); err == nil {
				s = strings.ReplaceAll(s, strings.Trim(string(q), `"`), "<masked>")
			}
		}
	}
	return s
}
