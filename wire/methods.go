package wire

// Direction says who sends a method.
type Direction uint8

const (
	// ClientToServer: a request or notification a client sends.
	ClientToServer Direction = iota
	// ServerToClient: a notification a server sends (servers send no requests).
	ServerToClient
	// Embedded: a request object carried inside InputRequiredResult.inputRequests;
	// never sent as a JSON-RPC message in this revision.
	Embedded
)

// MethodInfo is one row of the method table: the facts of one method of
// revision 2026-07-28.
type MethodInfo struct {
	Method       string
	Direction    Direction
	Notification bool
	// RequestDef and ResultDef name the schema.json definitions of the
	// message and, for requests, of the successful response (e.g.
	// "CallToolRequest", "CallToolResultResponse").
	RequestDef string
	ResultDef  string
	// NameParam is the params member mirrored into Mcp-Name ("name" or
	// "uri"), or "" when the method has no Mcp-Name header.
	NameParam string
	// InputRequired: the server may answer with an InputRequiredResult.
	InputRequired bool
	// Cacheable: a complete result must carry ttlMs and cacheScope.
	Cacheable bool
	// Paginated: the request takes a cursor and the result may carry nextCursor.
	Paginated bool
	// ListKey is the member of a list result holding the items.
	ListKey string
	// Capability is the server capability that gates the method
	// ("tools", "resources", "prompts", "completions"), or "".
	Capability string

	// NewParams returns a new value of the params type (e.g.
	// *CallToolRequestParams); nil for methods without typed params.
	NewParams func() any
	// NewResult returns a new value of the complete result type (e.g.
	// *CallToolResult); nil for notifications and embedded requests.
	NewResult func() any
}

// Methods is the method table of revision 2026-07-28.
var Methods = []MethodInfo{
	{Method: "server/discover", RequestDef: "DiscoverRequest", ResultDef: "DiscoverResultResponse", Cacheable: true},
	{Method: "tools/list", RequestDef: "ListToolsRequest", ResultDef: "ListToolsResultResponse", Cacheable: true, Paginated: true, ListKey: "tools", Capability: "tools"},
	{Method: "tools/call", RequestDef: "CallToolRequest", ResultDef: "CallToolResultResponse", NameParam: "name", InputRequired: true, Capability: "tools"},
	{Method: "prompts/list", RequestDef: "ListPromptsRequest", ResultDef: "ListPromptsResultResponse", Cacheable: true, Paginated: true, ListKey: "prompts", Capability: "prompts"},
	{Method: "prompts/get", RequestDef: "GetPromptRequest", ResultDef: "GetPromptResultResponse", NameParam: "name", InputRequired: true, Capability: "prompts"},
	{Method: "resources/list", RequestDef: "ListResourcesRequest", ResultDef: "ListResourcesResultResponse", Cacheable: true, Paginated: true, ListKey: "resources", Capability: "resources"},
	{Method: "resources/templates/list", RequestDef: "ListResourceTemplatesRequest", ResultDef: "ListResourceTemplatesResultResponse", Cacheable: true, Paginated: true, ListKey: "resourceTemplates", Capability: "resources"},
	{Method: "resources/read", RequestDef: "ReadResourceRequest", ResultDef: "ReadResourceResultResponse", NameParam: "uri", InputRequired: true, Cacheable: true, Capability: "resources"},
	{Method: "completion/complete", RequestDef: "CompleteRequest", ResultDef: "CompleteResultResponse", Capability: "completions"},
	{Method: "subscriptions/listen", RequestDef: "SubscriptionsListenRequest", ResultDef: "SubscriptionsListenResultResponse"},
	{Method: "notifications/cancelled", Notification: true, RequestDef: "CancelledNotification"},

	{Method: "notifications/progress", Direction: ServerToClient, Notification: true, RequestDef: "ProgressNotification"},
	{Method: "notifications/message", Direction: ServerToClient, Notification: true, RequestDef: "LoggingMessageNotification"},
	{Method: "notifications/subscriptions/acknowledged", Direction: ServerToClient, Notification: true, RequestDef: "SubscriptionsAcknowledgedNotification"},
	{Method: "notifications/tools/list_changed", Direction: ServerToClient, Notification: true, RequestDef: "ToolListChangedNotification"},
	{Method: "notifications/prompts/list_changed", Direction: ServerToClient, Notification: true, RequestDef: "PromptListChangedNotification"},
	{Method: "notifications/resources/list_changed", Direction: ServerToClient, Notification: true, RequestDef: "ResourceListChangedNotification"},
	{Method: "notifications/resources/updated", Direction: ServerToClient, Notification: true, RequestDef: "ResourceUpdatedNotification"},
	{Method: "notifications/cancelled", Direction: ServerToClient, Notification: true, RequestDef: "CancelledNotification"},

	{Method: "elicitation/create", Direction: Embedded, RequestDef: "ElicitRequest"},
	{Method: "sampling/createMessage", Direction: Embedded, RequestDef: "CreateMessageRequest"},
	{Method: "roots/list", Direction: Embedded, RequestDef: "ListRootsRequest"},
}

// RemovedMethods were client-to-server methods of earlier revisions that
// 2026-07-28 removed. A server that serves only this revision answers them
// as unknown methods (HTTP 404, -32601).
var RemovedMethods = []string{
	"initialize",
	"notifications/initialized",
	"ping",
	"logging/setLevel",
	"resources/subscribe",
	"resources/unsubscribe",
	"notifications/roots/list_changed",
	"tasks/list",
	"tasks/result",
}

// InputRequestCapability maps the method of an input request to the client
// capability it needs.
var InputRequestCapability = map[string]string{
	"elicitation/create":     "elicitation",
	"sampling/createMessage": "sampling",
	"roots/list":             "roots",
}

var clientMethods, serverNotifications map[string]*MethodInfo

func init() {
	clientMethods = map[string]*MethodInfo{}
	serverNotifications = map[string]*MethodInfo{}
	for i := range Methods {
		m := &Methods[i]
		switch m.Direction {
		case ClientToServer:
			clientMethods[m.Method] = m
		case ServerToClient:
			serverNotifications[m.Method] = m
		}
	}
}

// LookupMethod returns the row of a method a client sends (request or
// notification).
func LookupMethod(method string) (*MethodInfo, bool) {
	m, ok := clientMethods[method]
	return m, ok
}

// LookupServerNotification returns the row of a notification a server sends.
func LookupServerNotification(method string) (*MethodInfo, bool) {
	m, ok := serverNotifications[method]
	return m, ok
}

// IsRemovedMethod reports whether method was removed by this revision.
func IsRemovedMethod(method string) bool {
	for _, r := range RemovedMethods {
		if r == method {
			return true
		}
	}
	return false
}
