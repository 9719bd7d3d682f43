package wire

import "fmt"

// The tasks extension (SEP-2663, extensions/tasks-overview.mdx): a server
// may answer tools/call with a CreateTaskResult instead of its standard
// result, when the request's clientCapabilities declare the extension; the
// client then polls tasks/get, answers input through tasks/update and may
// ask for cancellation with tasks/cancel. No extension schema is part of
// the local copy of the spec: these types follow the SEP's TypeScript.

// ExtensionTasks is the identifier of the tasks extension, the key of
// capabilities.extensions that declares it on both sides.
const ExtensionTasks = "io.modelcontextprotocol/tasks"

// ResultTask is the resultType of a CreateTaskResult, reserved for the
// tasks extension.
const ResultTask = "task"

// Task statuses.
const (
	TaskWorking       = "working"
	TaskInputRequired = "input_required"
	TaskCompleted     = "completed"
	TaskFailed        = "failed"
	TaskCancelled     = "cancelled"
)

// TaskStatuses are the statuses a Task may have, in the SEP's order.
var TaskStatuses = []string{TaskWorking, TaskInputRequired, TaskCompleted, TaskCancelled, TaskFailed}

// TaskTerminal reports whether status is terminal: completed, failed or
// cancelled. A terminal status never changes.
func TaskTerminal(status string) bool {
	return status == TaskCompleted || status == TaskFailed || status == TaskCancelled
}

// DeclaresTasks reports whether the capabilities declare the tasks
// extension.
func (c *ClientCapabilities) DeclaresTasks() bool {
	if c == nil {
		return false
	}
	_, ok := c.Extensions[ExtensionTasks]
	return ok
}

// Task is the operational metadata of a task. TTLMs is required and may
// be null (unlimited): nil encodes as null. CreatedAt and LastUpdatedAt
// are ISO 8601 timestamps.
type Task struct {
	TaskID         string `json:"taskId"`
	Status         string `json:"status"`
	StatusMessage  string `json:"statusMessage,omitzero"`
	CreatedAt      string `json:"createdAt"`
	LastUpdatedAt  string `json:"lastUpdatedAt"`
	TTLMs          *int64 `json:"ttlMs"`
	PollIntervalMs *int64 `json:"pollIntervalMs,omitzero"`
}

// CreateTaskResult (Result & Task, resultType "task") answers a request
// that the server will process asynchronously.
type CreateTaskResult struct {
	Meta           *ResultMetaObject `json:"_meta,omitzero"`
	ResultType     string            `json:"resultType"`
	TaskID         string            `json:"taskId"`
	Status         string            `json:"status"`
	StatusMessage  string            `json:"statusMessage,omitzero"`
	CreatedAt      string            `json:"createdAt"`
	LastUpdatedAt  string            `json:"lastUpdatedAt"`
	TTLMs          *int64            `json:"ttlMs"`
	PollIntervalMs *int64            `json:"pollIntervalMs,omitzero"`
	Extra          Object            `json:",embed"`
}

// Task returns the task r describes.
func (r *CreateTaskResult) Task() Task {
	return Task{TaskID: r.TaskID, Status: r.Status, StatusMessage: r.StatusMessage, CreatedAt: r.CreatedAt,
		LastUpdatedAt: r.LastUpdatedAt, TTLMs: r.TTLMs, PollIntervalMs: r.PollIntervalMs}
}

// DetailedTask is a Task with the payload of its status inlined: the
// outstanding InputRequests of an input_required task (raw, decoded by
// Requests), the Result of a completed one (the standard result of the
// request the task augments, e.g. a CallToolResult), the Error of a
// failed one (a JSON-RPC error object). Which payload each status carries
// is TaskPayload's table. It is the shape of tasks/get results and of
// notifications/tasks params.
type DetailedTask struct {
	TaskID         string           `json:"taskId"`
	Status         string           `json:"status"`
	StatusMessage  string           `json:"statusMessage,omitzero"`
	CreatedAt      string           `json:"createdAt"`
	LastUpdatedAt  string           `json:"lastUpdatedAt"`
	TTLMs          *int64           `json:"ttlMs"`
	PollIntervalMs *int64           `json:"pollIntervalMs,omitzero"`
	InputRequests  map[string]Value `json:"inputRequests,omitzero"`
	Result         Object           `json:"result,omitzero"`
	Error          *Error           `json:"error,omitzero"`
}

// Task returns the metadata of t, without its payload.
func (t *DetailedTask) Task() Task {
	return Task{TaskID: t.TaskID, Status: t.Status, StatusMessage: t.StatusMessage, CreatedAt: t.CreatedAt,
		LastUpdatedAt: t.LastUpdatedAt, TTLMs: t.TTLMs, PollIntervalMs: t.PollIntervalMs}
}

// TaskPayload is the payload member each status of a DetailedTask
// requires: "inputRequests" (input_required), "result" (completed),
// "error" (failed), "" (working, cancelled: none). The DetailedTask
// variants of the SEP (WorkingTask, InputRequiredTask, CompletedTask,
// FailedTask, CancelledTask) are this table.
var TaskPayload = map[string]string{
	TaskWorking:       "",
	TaskInputRequired: "inputRequests",
	TaskCompleted:     "result",
	TaskFailed:        "error",
	TaskCancelled:     "",
}

// PayloadProblem says what is wrong with the payload of t for its status:
// an unknown status, the status's payload missing, or the payload of
// another status present. "" when the variant is well formed.
func (t *DetailedTask) PayloadProblem() string {
	want, ok := TaskPayload[t.Status]
	if !ok {
		return fmt.Sprintf("status %q is not a task status (want one of %v)", t.Status, TaskStatuses)
	}
	present := map[string]bool{"inputRequests": t.InputRequests != nil, "result": t.Result != nil, "error": t.Error != nil}
	for _, m := range []string{"inputRequests", "result", "error"} {
		switch {
		case m == want && !present[m]:
			return fmt.Sprintf("a %s task must carry %s", t.Status, m)
		case m != want && present[m]:
			return fmt.Sprintf("a %s task carries %s, which belongs to another status", t.Status, m)
		}
	}
	return ""
}

// Requests decodes InputRequests strictly, each entry by its method.
func (t *DetailedTask) Requests() (InputRequests, error) {
	return decodeInputRequests(t.InputRequests)
}

// GetTaskRequest is a tasks/get request.
type GetTaskRequest struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      RequestID         `json:"id,omitzero"`
	Method  string            `json:"method"`
	Params  TaskRequestParams `json:"params"`
	Extra   Object            `json:",embed"`
}

// TaskRequestParams are the params of tasks/get and tasks/cancel: the
// task to query or cancel.
type TaskRequestParams struct {
	Meta   *RequestMetaObject `json:"_meta,omitzero"`
	TaskID string             `json:"taskId"`
	Extra  Object             `json:",embed"`
}

// GetTaskResult (Result & DetailedTask) answers tasks/get; its resultType
// is "complete".
type GetTaskResult struct {
	Meta           *ResultMetaObject `json:"_meta,omitzero"`
	ResultType     string            `json:"resultType"`
	TaskID         string            `json:"taskId"`
	Status         string            `json:"status"`
	StatusMessage  string            `json:"statusMessage,omitzero"`
	CreatedAt      string            `json:"createdAt"`
	LastUpdatedAt  string            `json:"lastUpdatedAt"`
	TTLMs          *int64            `json:"ttlMs"`
	PollIntervalMs *int64            `json:"pollIntervalMs,omitzero"`
	InputRequests  map[string]Value  `json:"inputRequests,omitzero"`
	Result         Object            `json:"result,omitzero"`
	Error          *Error            `json:"error,omitzero"`
	Extra          Object            `json:",embed"`
}

// Detailed returns the DetailedTask r carries.
func (r *GetTaskResult) Detailed() DetailedTask {
	return DetailedTask{TaskID: r.TaskID, Status: r.Status, StatusMessage: r.StatusMessage, CreatedAt: r.CreatedAt,
		LastUpdatedAt: r.LastUpdatedAt, TTLMs: r.TTLMs, PollIntervalMs: r.PollIntervalMs,
		InputRequests: r.InputRequests, Result: r.Result, Error: r.Error}
}

// UpdateTaskRequest is a tasks/update request.
type UpdateTaskRequest struct {
	JSONRPC string                  `json:"jsonrpc"`
	ID      RequestID               `json:"id,omitzero"`
	Method  string                  `json:"method"`
	Params  UpdateTaskRequestParams `json:"params"`
	Extra   Object                  `json:",embed"`
}

// UpdateTaskRequestParams are the params of tasks/update. InputResponses
// are kept raw, one value per key: a server SHOULD ignore responses to
// keys it has not outstanding (whatever their shape) and decodes the
// others as the answers to the requests it asked (InputResponse).
type UpdateTaskRequestParams struct {
	Meta           *RequestMetaObject `json:"_meta,omitzero"`
	TaskID         string             `json:"taskId"`
	InputResponses map[string]Value   `json:"inputResponses"`
	Extra          Object             `json:",embed"`
}

// CancelTaskRequest is a tasks/cancel request.
type CancelTaskRequest struct {
	JSONRPC string            `json:"jsonrpc"`
	ID      RequestID         `json:"id,omitzero"`
	Method  string            `json:"method"`
	Params  TaskRequestParams `json:"params"`
	Extra   Object            `json:",embed"`
}

// TaskAckResult is the empty acknowledgement of tasks/update
// (UpdateTaskResult) and tasks/cancel (CancelTaskResult): a Result whose
// resultType is "complete" and which carries nothing of the task. Extra
// holds any other member (an ack carries none of the task's).
type TaskAckResult struct {
	Meta       *ResultMetaObject `json:"_meta,omitzero"`
	ResultType string            `json:"resultType"`
	Extra      Object            `json:",embed"`
}

// TaskStatusNotification is a notifications/tasks notification: the
// complete DetailedTask of the current status.
type TaskStatusNotification struct {
	JSONRPC string                       `json:"jsonrpc"`
	Method  string                       `json:"method"`
	Params  TaskStatusNotificationParams `json:"params"`
	Extra   Object                       `json:",embed"`
}

// TaskStatusNotificationParams (NotificationParams & DetailedTask) are the
// params of notifications/tasks.
type TaskStatusNotificationParams struct {
	Meta           *NotificationMetaObject `json:"_meta,omitzero"`
	TaskID         string                  `json:"taskId"`
	Status         string                  `json:"status"`
	StatusMessage  string                  `json:"statusMessage,omitzero"`
	CreatedAt      string                  `json:"createdAt"`
	LastUpdatedAt  string                  `json:"lastUpdatedAt"`
	TTLMs          *int64                  `json:"ttlMs"`
	PollIntervalMs *int64                  `json:"pollIntervalMs,omitzero"`
	InputRequests  map[string]Value        `json:"inputRequests,omitzero"`
	Result         Object                  `json:"result,omitzero"`
	Error          *Error                  `json:"error,omitzero"`
	Extra          Object                  `json:",embed"`
}
