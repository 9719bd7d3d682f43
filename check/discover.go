package check

import (
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/wire"
)

// discover learns what the server is: it probes server/discover, decides
// the era (versioning.mdx, "Backward Compatibility"), and reads every page
// of every list the server declares, so that checks and the campaign can
// draw requests from the server's own declarations.
func discover(e *Env) ServerInfo {
	var si ServerInfo
	o := e.Send(e.Request("server/discover", nil))
	if d, ok := o.Result().(*wire.DiscoverResult); ok && o.Accepted() {
		si.Discover, si.Versions, si.Capabilities = d, d.SupportedVersions, d.Capabilities
		si.Era = Modern
		for _, v := range d.SupportedVersions {
			if wire.IsLegacyVersion(v) {
				si.Era = DualEra
			}
		}
	} else {
		si.Era = eraOfFailedDiscover(o)
		return si
	}
	for _, m := range wire.Methods {
		if !m.Paginated || !capable(si, m.Capability) {
			continue
		}
		listAll(e, m.Method)
	}
	return si
}

// eraOfFailedDiscover: a recognized modern error means a modern server
// (that may not serve this version); anything else means a legacy one.
func eraOfFailedDiscover(o Observation) Era {
	if code, ok := o.ErrorCode(); ok {
		switch code {
		case wire.CodeUnsupportedProtocolVersion, wire.CodeHeaderMismatch, wire.CodeMissingRequiredClientCapability:
			return Modern
		}
	}
	if !o.Answered() {
		return UnknownEra
	}
	return Legacy
}

func capable(si ServerInfo, c string) bool {
	caps := si.Capabilities
	switch c {
	case "tools":
		return caps.Tools != nil
	case "prompts":
		return caps.Prompts != nil
	case "resources":
		return caps.Resources != nil
	case "completions":
		return caps.Completions != nil
	}
	return true
}

// maxPages bounds the pages read of one list.
const maxPages = 50

// listAll reads every page of a list, learning its declarations.
func listAll(e *Env, method string) {
	var cursor *string
	for page := 0; page < maxPages && e.Ctx.Err() == nil; page++ {
		params := map[string]any{}
		if cursor != nil {
			params["cursor"] = *cursor
		}
		o := e.Send(e.Request(method, params))
		e.Decl.Learn(o.Ex)
		next := nextCursor(o.Result())
		if next == nil || (cursor != nil && *next == *cursor) {
			return
		}
		cursor = next
	}
}

func nextCursor(r any) *string {
	switch r := r.(type) {
	case *wire.ListToolsResult:
		return r.NextCursor
	case *wire.ListPromptsResult:
		return r.NextCursor
	case *wire.ListResourcesResult:
		return r.NextCursor
	case *wire.ListResourceTemplatesResult:
		return r.NextCursor
	}
	return nil
}

// learnEnabled is used by the campaign: the model's enabled actions in the
// judge's current state.
func learnEnabled(e *Env) []model.Action {
	e.j.mu.Lock()
	defer e.j.mu.Unlock()
	return model.Enabled(e.j.state)
}
