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
	// Extension is the extension that defines the method (ExtensionTasks),
	// "" for the methods of schema.json. An extension's methods have no
	// schema.json definitions (RequestDef and ResultDef are ""), and a
	// request of one needs the extension in its clientCapabilities.
	Extension string
	// TaskAugmentable: a request that declares ExtensionTasks may be
	// answered with a CreateTaskResult (resultType "task") instead of the
	// standard result (SEP-2663, "Supported Methods").
	TaskAugmentable bool

	// NewParams returns a new value of the params type (e.g.
	// *CallToolRequestParams; *ElicitRequestParams, a pointer to the
	// union, for elicitation/create); nil for methods without typed params.
	NewParams func() any
	// NewResult returns a new value of the complete result type (e.g.
	// *CallToolResult); for an embedded request, of the client's answer
	// (e.g. *ElicitResult); nil for notifications.
	NewResult func() any
}

// Methods is the method table of revision 2026-07-28.
var Methods = []MethodInfo{
	{Method: "server/discover", RequestDef: "DiscoverRequest", ResultDef: "DiscoverResultResponse", Cacheable: true,
		NewParams: newOf[RequestParams], NewResult: newOf[DiscoverResult]},
	{Method: "tools/list", RequestDef: "ListToolsRequest", ResultDef: "ListToolsResultResponse", Cacheable: true, Paginated: true, ListKey: "tools", Capability: "tools",
		NewParams: newOf[PaginatedRequestParams], NewResult: newOf[ListToolsResult]},
	{Method: "tools/call", RequestDef: "CallToolRequest", ResultDef: "CallToolResultResponse", NameParam: "name", InputRequired: true, Capability: "tools", TaskAugmentable: true,
		NewParams: newOf[CallToolRequestParams], NewResult: newOf[CallToolResult]},
	{Method: "prompts/list", RequestDef: "ListPromptsRequest", ResultDef: "ListPromptsResultResponse", Cacheable: true, Paginated: true, ListKey: "prompts", Capability: "prompts",
		NewParams: newOf[PaginatedRequestParams], NewResult: newOf[ListPromptsResult]},
	{Method: "prompts/get", RequestDef: "GetPromptRequest", ResultDef: "GetPromptResultResponse", NameParam: "name", InputRequired: true, Capability: "prompts",
		NewParams: newOf[GetPromptRequestParams], NewResult: newOf[GetPromptResult]},
	{Method: "resources/list", RequestDef: "ListResourcesRequest", ResultDef: "ListResourcesResultResponse", Cacheable: true, Paginated: true, ListKey: "resources", Capability: "resources",
		NewParams: newOf[PaginatedRequestParams], NewResult: newOf[ListResourcesResult]},
	{Method: "resources/templates/list", RequestDef: "ListResourceTemplatesRequest", ResultDef: "ListResourceTemplatesResultResponse", Cacheable: true, Paginated: true, ListKey: "resourceTemplates", Capability: "resources",
		NewParams: newOf[PaginatedRequestParams], NewResult: newOf[ListResourceTemplatesResult]},
	{Method: "resources/read", RequestDef: "ReadResourceRequest", ResultDef: "ReadResourceResultResponse", NameParam: "uri", InputRequired: true, Cacheable: true, Capability: "resources",
		NewParams: newOf[ReadResourceRequestParams], NewResult: newOf[ReadResourceResult]},
	{Method: "completion/complete", RequestDef: "CompleteRequest", ResultDef: "CompleteResultResponse", Capability: "completions",
		NewParams: newOf[CompleteRequestParams], NewResult: newOf[CompleteResult]},
	{Method: "subscriptions/listen", RequestDef: "SubscriptionsListenRequest", ResultDef: "SubscriptionsListenResultResponse",
		NewParams: newOf[SubscriptionsListenRequestParams], NewResult: newOf[SubscriptionsListenResult]},
	{Method: "notifications/cancelled", Notification: true, RequestDef: "CancelledNotification",
		NewParams: newOf[CancelledNotificationParams]},

	// The tasks extension (types_tasks.go). Mcp-Name mirrors params.taskId.
	{Method: "tasks/get", NameParam: "taskId", Extension: ExtensionTasks,
		NewParams: newOf[TaskRequestParams], NewResult: newOf[GetTaskResult]},
	{Method: "tasks/update", NameParam: "taskId", Extension: ExtensionTasks,
		NewParams: newOf[UpdateTaskRequestParams], NewResult: newOf[TaskAckResult]},
	{Method: "tasks/cancel", NameParam: "taskId", Extension: ExtensionTasks,
		NewParams: newOf[TaskRequestParams], NewResult: newOf[TaskAckResult]},

	{Method: "notifications/progress", Direction: ServerToClient, Notification: true, RequestDef: "ProgressNotification",
		NewParams: newOf[ProgressNotificationParams]},
	{Method: "notifications/message", Direction: ServerToClient, Notification: true, RequestDef: "LoggingMessageNotification",
		NewParams: newOf[LoggingMessageNotificationParams]},
	{Method: "notifications/subscriptions/acknowledged", Direction: ServerToClient, Notification: true, RequestDef: "SubscriptionsAcknowledgedNotification",
		NewParams: newOf[SubscriptionsAcknowledgedNotificationParams]},
	{Method: "notifications/tools/list_changed", Direction: ServerToClient, Notification: true, RequestDef: "ToolListChangedNotification",
		NewParams: newOf[NotificationParams]},
	{Method: "notifications/prompts/list_changed", Direction: ServerToClient, Notification: true, RequestDef: "PromptListChangedNotification",
		NewParams: newOf[NotificationParams]},
	{Method: "notifications/resources/list_changed", Direction: ServerToClient, Notification: true, RequestDef: "ResourceListChangedNotification",
		NewParams: newOf[NotificationParams]},
	{Method: "notifications/resources/updated", Direction: ServerToClient, Notification: true, RequestDef: "ResourceUpdatedNotification",
		NewParams: newOf[ResourceUpdatedNotificationParams]},
	{Method: "notifications/cancelled", Direction: ServerToClient, Notification: true, RequestDef: "CancelledNotification",
		NewParams: newOf[CancelledNotificationParams]},

	{Method: "notifications/tasks", Direction: ServerToClient, Notification: true, Extension: ExtensionTasks,
		NewParams: newOf[TaskStatusNotificationParams]},

	{Method: "elicitation/create", Direction: Embedded, RequestDef: "ElicitRequest",
		NewParams: newOf[ElicitRequestParams], NewResult: newOf[ElicitResult]},
	{Method: "sampling/createMessage", Direction: Embedded, RequestDef: "CreateMessageRequest",
		NewParams: newOf[CreateMessageRequestParams], NewResult: newOf[CreateMessageResult]},
	{Method: "roots/list", Direction: Embedded, RequestDef: "ListRootsRequest",
		NewParams: newOf[ListRootsRequestParams], NewResult: newOf[ListRootsResult]},
}

// newOf returns a constructor of *T.
func newOf[T any]() any { return new(T) }

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
