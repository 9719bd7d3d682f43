package model

import "github.com/mcpverify/mcpverify/wire"

// Accessors over the typed params and results of wire: the fields the
// rules read, in one place, by type switch (no reflection, no decoding).

// metaOf returns the _meta of a request's params, or nil.
func metaOf(p any) *wire.RequestMetaObject {
	switch p := p.(type) {
	case *wire.CallToolRequestParams:
		return p.Meta
	case *wire.GetPromptRequestParams:
		return p.Meta
	case *wire.ReadResourceRequestParams:
		return p.Meta
	case *wire.PaginatedRequestParams:
		return p.Meta
	case *wire.RequestParams:
		return p.Meta
	case *wire.CompleteRequestParams:
		return p.Meta
	case *wire.SubscriptionsListenRequestParams:
		return p.Meta
	case *wire.TaskRequestParams:
		return p.Meta
	case *wire.UpdateTaskRequestParams:
		return p.Meta
	}
	return nil
}

// rawMeta decodes only the _meta of raw params: the request's _meta when
// its typed params could not be decoded for another member (an
// inputResponses that is a string), so that rules reading _meta still
// see what the client declared. ok is false when raw is not an object
// with a readable _meta.
func rawMeta(raw wire.Value) (*wire.RequestMetaObject, bool) {
	var p struct {
		Meta *wire.RequestMetaObject `json:"_meta"`
	}
	if len(raw) > 0 && wire.Unmarshal(raw, &p) != nil {
		return nil, false
	}
	return p.Meta, true
}

// nameParam returns the value mirrored into Mcp-Name: params.name of
// tools/call and prompts/get, params.uri of resources/read.
func nameParam(p any) (string, bool) {
	switch p := p.(type) {
	case *wire.CallToolRequestParams:
		return p.Name, true
	case *wire.GetPromptRequestParams:
		return p.Name, true
	case *wire.ReadResourceRequestParams:
		return p.URI, true
	}
	return "", false
}

// hasMember reports whether raw params hold the member name (the typed
// params cannot tell an absent string from an empty one).
func hasMember(params wire.Value, name string) bool {
	var o wire.Object
	if wire.Unmarshal(params, &o) != nil {
		return false
	}
	_, ok := o[name]
	return ok
}

// toolArguments returns the arguments of a tools/call.
func toolArguments(p any) map[string]wire.Value {
	if p, ok := p.(*wire.CallToolRequestParams); ok {
		return p.Arguments
	}
	return nil
}

// cursorOf returns the cursor of a paginated request.
func cursorOf(p any) (string, bool) {
	if p, ok := p.(*wire.PaginatedRequestParams); ok && p.Cursor != nil {
		return *p.Cursor, true
	}
	return "", false
}

// resultFields are the members every result type shares, read from the
// typed result.
type resultFields struct {
	known      bool // the result type is one of this revision's
	rt         string
	meta       *wire.ResultMetaObject
	ttl        *int64
	scope      string
	nextCursor *string
}

func resultFieldsOf(r any) resultFields {
	switch r := r.(type) {
	case *wire.DiscoverResult:
		return resultFields{true, r.ResultType, r.Meta, r.TTLMs, r.CacheScope, nil}
	case *wire.ListToolsResult:
		return resultFields{true, r.ResultType, r.Meta, r.TTLMs, r.CacheScope, r.NextCursor}
	case *wire.ListPromptsResult:
		return resultFields{true, r.ResultType, r.Meta, r.TTLMs, r.CacheScope, r.NextCursor}
	case *wire.ListResourcesResult:
		return resultFields{true, r.ResultType, r.Meta, r.TTLMs, r.CacheScope, r.NextCursor}
	case *wire.ListResourceTemplatesResult:
		return resultFields{true, r.ResultType, r.Meta, r.TTLMs, r.CacheScope, r.NextCursor}
	case *wire.ReadResourceResult:
		return resultFields{true, r.ResultType, r.Meta, r.TTLMs, r.CacheScope, nil}
	case *wire.CallToolResult:
		return resultFields{known: true, rt: r.ResultType, meta: r.Meta}
	case *wire.GetPromptResult:
		return resultFields{known: true, rt: r.ResultType, meta: r.Meta}
	case *wire.CompleteResult:
		return resultFields{known: true, rt: r.ResultType, meta: r.Meta}
	case *wire.InputRequiredResult:
		return resultFields{known: true, rt: r.ResultType, meta: r.Meta}
	case *wire.CreateTaskResult:
		return resultFields{known: true, rt: r.ResultType, meta: r.Meta}
	case *wire.GetTaskResult:
		return resultFields{known: true, rt: r.ResultType, meta: r.Meta}
	case *wire.TaskAckResult:
		return resultFields{known: true, rt: r.ResultType, meta: r.Meta}
	case *wire.SubscriptionsListenResult:
		f := resultFields{known: true, rt: r.ResultType}
		if r.Meta != nil && r.Meta.ServerInfo != nil {
			f.meta = &wire.ResultMetaObject{ServerInfo: r.Meta.ServerInfo}
		} else {
			f.meta = &wire.ResultMetaObject{}
		}
		return f
	}
	return resultFields{}
}

// notificationSubscriptionID returns the subscriptionId in a notification's
// _meta.
func notificationSubscriptionID(p any) (wire.RequestID, bool) {
	var m *wire.NotificationMetaObject
	switch p := p.(type) {
	case *wire.SubscriptionsAcknowledgedNotificationParams:
		m = p.Meta
	case *wire.NotificationParams:
		if p != nil {
			m = p.Meta
		}
	case *wire.ResourceUpdatedNotificationParams:
		m = p.Meta
	case *wire.ProgressNotificationParams:
		m = p.Meta
	case *wire.LoggingMessageNotificationParams:
		m = p.Meta
	case *wire.CancelledNotificationParams:
		m = p.Meta
	case *wire.TaskStatusNotificationParams:
		m = p.Meta
	}
	if m == nil || m.SubscriptionID.IsZero() {
		return wire.RequestID{}, false
	}
	return m.SubscriptionID, true
}

// capsOf reads the server capabilities the model tracks.
func capsOf(c *wire.ServerCapabilities) serverCaps {
	var s serverCaps
	if c.Tools != nil {
		s.tools = true
		s.toolsListChanged = c.Tools.ListChanged != nil && *c.Tools.ListChanged
	}
	if c.Prompts != nil {
		s.prompts = true
		s.promptsListChanged = c.Prompts.ListChanged != nil && *c.Prompts.ListChanged
	}
	if c.Resources != nil {
		s.resources = true
		s.resourcesListChanged = c.Resources.ListChanged != nil && *c.Resources.ListChanged
		s.resourcesSubscribe = c.Resources.Subscribe != nil && *c.Resources.Subscribe
	}
	s.completions = c.Completions != nil
	s.logging = c.Logging != nil
	for k := range c.Extensions {
		s.extensions = append(s.extensions, k)
	}
	return s
}

// NextCursor returns the nextCursor of a list result (nil if the result is
// not a list page or has none).
func NextCursor(r any) *string { return resultFieldsOf(r).nextCursor }
