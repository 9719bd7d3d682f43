package model

import (
	"fmt"
	"sort"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of basic/patterns/mrtr.mdx: InputRequiredResult.

func isInputRequired(c *ctx) bool {
	if c.result == nil {
		return false
	}
	_, ok := c.ex.Replies[c.final].Result.(*wire.InputRequiredResult)
	return ok
}

// checkInputRequired: only on the methods that allow it; with
// inputRequests or requestState; requests of the three kinds, each one the
// client declared; unique keys.
func checkInputRequired(c *ctx) {
	r := c.ex.Replies[c.final].Result.(*wire.InputRequiredResult)
	c.judge(spec.CoreMrtrMethods, spec.CoreMrtrNonempty, spec.CoreMrtrKinds, spec.CoreMrtrCapability)
	if c.info == nil || !c.info.InputRequired {
		c.reportf(spec.CoreMrtrMethods, "InputRequiredResult only for tools/call, prompts/get and resources/read", "an InputRequiredResult for %s", c.method)
	}
	if len(r.InputRequests) == 0 && r.RequestState == nil {
		c.report(spec.CoreMrtrNonempty, "an InputRequiredResult with neither inputRequests nor requestState", "at least one of inputRequests and requestState")
	}
	var caps *wire.ClientCapabilities
	if c.meta != nil {
		caps = c.meta.ClientCapabilities
	}
	keys := make([]string, 0, len(r.InputRequests))
	for k := range r.InputRequests {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		method := wire.InputRequestMethod(r.InputRequests[k])
		need, ok := wire.InputRequestCapability[method]
		if !ok {
			c.reportf(spec.CoreMrtrKinds, "elicitation/create, sampling/createMessage or roots/list", "inputRequests[%q] is %s", k, describeMethod(method))
			continue
		}
		if !caps.Has(need) {
			c.reportf(spec.CoreMrtrCapability, fmt.Sprintf("no %s request unless the client declares %s", method, need), "inputRequests[%q] is %s but the request's clientCapabilities lack %s", k, method, need)
		}
	}
}

func describeMethod(m string) string {
	if m == "" {
		return "not a request object"
	}
	return fmt.Sprintf("%q", m)
}

// duplicateInputKeys reports an InputRequiredResult whose raw JSON repeats
// a key of inputRequests (strict decoding refuses such a result).
func duplicateInputKeys(err error) bool {
	return err != nil && strings.Contains(err.Error(), "duplicate") && strings.Contains(err.Error(), "/inputRequests")
}
