package impl

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// The tasks extension (SEP-2663, extensions/tasks-overview.mdx).
//
// The server declares io.modelcontextprotocol/tasks in server/discover and
// may answer tools/call of a task-supporting tool with a CreateTaskResult,
// never to a request whose clientCapabilities do not declare the
// extension. The decisions:
//
//   - A task ID is "task_" followed by 22 characters of unpadded URL-safe
//     base64: 128 bits from crypto/rand ("sufficient entropy that a third
//     party cannot enumerate or guess them"), never a counter or a clock.
//   - Tasks are kept keyed by (principal, task ID), the principal taken
//     from the verified credentials. tasks/get, tasks/update and
//     tasks/cancel of another principal's task find nothing: the same
//     -32602 as an unknown ID, byte for byte, so a prober learns nothing.
//   - The task is recorded before the CreateTaskResult is encoded, so a
//     tasks/get that follows it always resolves.
//   - A principal holds at most Config.MaxTasks tasks and all principals
//     together Config.MaxTasksTotal (a task counts until it is purged); a
//     tools/call over a limit is a tool execution error naming it, as
//     for carts.
//   - A task lives Config.TaskTTL from its creation (its ttlMs). Past it, a
//     task that is still running is stopped and marked failed (a JSON-RPC
//     error saying it expired); a minute later the record is purged, and
//     its ID is unknown (-32602).
//   - tasks/cancel stops the work (its context is cancelled) and settles
//     the task cancelled at once; a terminal status (completed, failed,
//     cancelled) never changes: a late outcome of the work is dropped.
//     tasks/cancel of a terminal task is the same empty acknowledgement.
//   - Input during a task: the work asks for elicitations; the task is
//     input_required and tasks/get carries every outstanding request under
//     a key used once in the task's lifetime ("name-1", "confirm-2": the
//     counter makes reuse impossible). tasks/update checks the answers to
//     outstanding keys against the form asked, ignores other keys, and
//     removes the answered keys at once; the task works again when none is
//     outstanding.
//   - A tool that fails reports completed with isError; failed is only for
//     a JSON-RPC error of the work (protocol_error_job) and for expiry.
//   - tasks/result and tasks/list are unknown methods (-32601); a `task`
//     member of tools/call params is ignored; the server agrees to no
//     notifications/tasks on subscriptions/listen, so no progress or log
//     message is ever sent for a task.
//   - Every task's goroutine ends when its work ends, is cancelled, or its
//     lifetime passes, and Close cancels them all and waits for them.
//
// The task table is in this Server's memory: a task is served by the
// instance that created it (the Mcp-Name header, which mirrors the task
// ID, lets a load balancer route there).

const (
	// taskPrefix starts every task ID; randomID adds 128 random bits.
	taskPrefix = "task_"
	// taskPollIntervalMs is the pollIntervalMs the server suggests.
	taskPollIntervalMs = 250
	// taskPurgeDelay is how long an expired task stays readable (as
	// failed) before it is purged.
	taskPurgeDelay = time.Minute
	// taskTimeLayout is ISO 8601 with milliseconds, in UTC.
	taskTimeLayout = "2006-01-02T15:04:05.000Z07:00"
	// recordsTasks names tasks in a QuotaError.
	recordsTasks = "tasks"
)

// taskWork is the asynchronous part of a task: it returns the tool result,
// or a JSON-RPC error (the task fails), or nil, nil when ctx ended. It may
// ask the client for input through c.
type taskWork func(ctx context.Context, c *taskInput) (*wire.CallToolResult, *rpcError)

// taskSupport makes a tool task-supporting.
type taskSupport struct {
	// required: the tool cannot be served without a task; a request that
	// does not declare the extension gets -32021 naming it.
	required bool
	// plan runs for a request that declares the extension: it may ask for
	// input first (MRTR), and returns the work of the task to create, or
	// nil work to answer synchronously with the tool's run.
	plan func(x *exchange, args map[string]any, in *inputs) (taskWork, *ask, *rpcError)
}

// task is one task. Its mutable fields are guarded by taskTable.mu.
type task struct {
	id, principal string
	created       time.Time
	expires       time.Time
	stop          context.CancelFunc

	status, message string
	updated         time.Time
	// pending are the outstanding input requests by key, with the form
	// that checks each answer; answers collects them until none is left.
	pending  map[string]*elicitForm
	answers  map[string]*elicitResult
	answered chan struct{} // closed when pending empties
	keys     int           // input keys issued so far
	result   wire.Object
	err      *wire.Error
}

// taskTable holds the tasks of one Server.
type taskTable struct {
	s      *Server
	mu     sync.Mutex
	tasks  map[string]*task // by principal + "\x00" + id
	counts map[string]int   // live records by principal
	ctx    context.Context  // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newTaskTable(s *Server) *taskTable {
	ctx, cancel := context.WithCancel(context.Background())
	return &taskTable{s: s, tasks: map[string]*task{}, counts: map[string]int{}, ctx: ctx, cancel: cancel}
}

func taskKey(principal, id string) string { return principal + "\x00" + id }

// close stops every task's work and waits for its goroutine.
func (tt *taskTable) close() {
	tt.cancel()
	tt.wg.Wait()
}

// sweepLocked marks the expired tasks failed and purges those past the
// purge delay. Called with mu held.
func (tt *taskTable) sweepLocked(now time.Time) {
	for k, t := range tt.tasks {
		tt.expireLocked(t, now)
		if now.After(t.expires.Add(taskPurgeDelay)) {
			delete(tt.tasks, k)
			if tt.counts[t.principal]--; tt.counts[t.principal] <= 0 {
				delete(tt.counts, t.principal)
			}
		}
	}
}

// expireLocked fails a task past its lifetime that has not ended.
func (tt *taskTable) expireLocked(t *task, now time.Time) {
	if now.After(t.expires) && !wire.TaskTerminal(t.status) {
		t.stop()
		tt.settleLocked(t, now, wire.TaskFailed, "Task expired: its ttlMs elapsed before it ended", nil,
			&wire.Error{Code: wire.CodeInternalError, Message: "Task expired before it ended"})
	}
}

// settleLocked moves t to a terminal status; a task already terminal
// never changes.
func (tt *taskTable) settleLocked(t *task, now time.Time, status, msg string, result wire.Object, err *wire.Error) {
	if wire.TaskTerminal(t.status) {
		return
	}
	t.status, t.message, t.updated, t.result, t.err = status, msg, now, result, err
	t.pending = nil
}

// create records a new task of principal running work and returns its
// CreateTaskResult; a tool execution error when a limit refuses it.
func (tt *taskTable) create(x *exchange, work taskWork) ([]byte, *rpcError) {
	id, err := randomID(taskPrefix)
	if err != nil {
		return nil, errInternal("%v", err)
	}
	cfg := &tt.s.cfg
	now := tt.s.now()
	tt.mu.Lock()
	if tt.counts[x.principal] >= cfg.MaxTasks || len(tt.tasks) >= cfg.MaxTasksTotal {
		tt.sweepLocked(now)
	}
	var qe *QuotaError
	switch {
	case tt.counts[x.principal] >= cfg.MaxTasks:
		qe = &QuotaError{Records: recordsTasks, PerPrincipal: true, Max: cfg.MaxTasks}
	case len(tt.tasks) >= cfg.MaxTasksTotal:
		qe = &QuotaError{Records: recordsTasks, Max: cfg.MaxTasksTotal}
	case tt.tasks[taskKey(x.principal, id)] != nil:
		tt.mu.Unlock()
		return nil, errInternal("the random source repeated a task id")
	}
	if qe != nil {
		tt.mu.Unlock()
		return x.completeTool(toolError(quotaMessage(x, qe)))
	}
	const message = "The operation is now in progress."
	ctx, stop := context.WithTimeout(tt.ctx, cfg.TaskTTL)
	t := &task{id: id, principal: x.principal, created: now, expires: now.Add(cfg.TaskTTL), stop: stop,
		status: wire.TaskWorking, message: message, updated: now}
	tt.tasks[taskKey(x.principal, id)] = t
	tt.counts[x.principal]++
	tt.wg.Add(1)
	tt.mu.Unlock()
	go tt.run(ctx, t, work)
	ttl, poll := cfg.TaskTTL.Milliseconds(), int64(taskPollIntervalMs)
	return encode(&wire.CreateTaskResult{Meta: tt.s.meta, ResultType: wire.ResultTask, TaskID: id, Status: wire.TaskWorking,
		StatusMessage: message, CreatedAt: stamp(now), LastUpdatedAt: stamp(now), TTLMs: &ttl, PollIntervalMs: &poll})
}

func stamp(t time.Time) string { return t.UTC().Format(taskTimeLayout) }

// run runs a task's work and settles the task with its outcome.
func (tt *taskTable) run(ctx context.Context, t *task, work taskWork) {
	defer tt.wg.Done()
	defer t.stop()
	var res *wire.CallToolResult
	var rerr *rpcError
	func() {
		defer func() {
			if p := recover(); p != nil {
				tt.s.panicked(p)
				rerr = errInternal("the task's work failed")
			}
		}()
		res, rerr = work(ctx, &taskInput{tt: tt, t: t})
	}()
	tt.mu.Lock()
	defer tt.mu.Unlock()
	now := tt.s.now()
	switch {
	case rerr != nil:
		tt.settleLocked(t, now, wire.TaskFailed, "The request failed: "+rerr.msg, nil, &wire.Error{Code: rerr.code, Message: rerr.msg})
	case res != nil:
		if res.Content == nil {
			res.Content = []wire.ContentBlock{}
		}
		res.ResultType = wire.ResultComplete
		var obj wire.Object
		if err := wire.Unmarshal(wire.MustMarshal(res), &obj); err != nil {
			tt.settleLocked(t, now, wire.TaskFailed, "The result could not be encoded", nil, &wire.Error{Code: wire.CodeInternalError, Message: err.Error()})
			return
		}
		msg := "The operation completed."
		if res.IsError != nil && *res.IsError {
			msg = "The tool reported an error."
		}
		tt.settleLocked(t, now, wire.TaskCompleted, msg, obj, nil)
	default:
		// The work stopped without an outcome: cancelled, expired or the
		// server closing. Cancel and expiry settled it already.
		tt.expireLocked(t, now)
		tt.settleLocked(t, now, wire.TaskCancelled, "The server stopped the task.", nil, nil)
	}
}

// lookup returns principal's task id, after expiring and purging; nil when
// principal holds none under that id.
func (tt *taskTable) lookupLocked(principal, id string) *task {
	now := tt.s.now()
	t := tt.tasks[taskKey(principal, id)]
	if t == nil {
		return nil
	}
	tt.expireLocked(t, now)
	if now.After(t.expires.Add(taskPurgeDelay)) {
		tt.sweepLocked(now)
		return nil
	}
	return t
}

// taskInput lets a task's work ask the client for input.
type taskInput struct {
	tt *taskTable
	t  *task
}

// elicit asks for the named forms at once and waits until every one is
// answered (or ctx ends: nil). The answers are by name.
func (c *taskInput) elicit(ctx context.Context, forms map[string]*elicitForm) map[string]*elicitResult {
	tt, t := c.tt, c.t
	tt.mu.Lock()
	if wire.TaskTerminal(t.status) {
		tt.mu.Unlock()
		return nil
	}
	names := make([]string, 0, len(forms))
	for n := range forms {
		names = append(names, n)
	}
	sort.Strings(names)
	byKey := map[string]string{}
	t.pending = map[string]*elicitForm{}
	t.answers = map[string]*elicitResult{}
	for _, n := range names {
		t.keys++
		k := fmt.Sprintf("%s-%d", n, t.keys)
		byKey[k] = n
		t.pending[k] = forms[n]
	}
	done := make(chan struct{})
	t.answered = done
	t.status, t.message, t.updated = wire.TaskInputRequired, "Waiting for input from the client.", tt.s.now()
	tt.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return nil
	}
	tt.mu.Lock()
	defer tt.mu.Unlock()
	out := map[string]*elicitResult{}
	for k, r := range t.answers {
		out[byKey[k]] = r
	}
	return out
}

// taskParams are the params of tasks/get and tasks/cancel.
type taskParams struct {
	Meta   *wire.RequestMetaObject `json:"_meta"`
	Extra  wire.Object             `json:",embed"`
	TaskID *string                 `json:"taskId"`
}

func (p *taskParams) getMeta() *wire.RequestMetaObject { return p.Meta }
func (p *taskParams) validate() *rpcError {
	if p.TaskID == nil {
		return errBadParams("params.taskId is required")
	}
	return nil
}
func (p *taskParams) taskID() string { return *p.TaskID }

// updateTaskParams are the params of tasks/update. The responses are kept
// raw: only those to outstanding keys are read.
type updateTaskParams struct {
	Meta           *wire.RequestMetaObject `json:"_meta"`
	Extra          wire.Object             `json:",embed"`
	TaskID         *string                 `json:"taskId"`
	InputResponses wire.Value              `json:"inputResponses"`

	responses map[string]wire.Value
}

func (p *updateTaskParams) getMeta() *wire.RequestMetaObject { return p.Meta }
func (p *updateTaskParams) validate() *rpcError {
	if p.TaskID == nil {
		return errBadParams("params.taskId is required")
	}
	if p.InputResponses == nil {
		return errBadParams("params.inputResponses is required")
	}
	if p.InputResponses.Kind() != '{' {
		return errBadParams("params.inputResponses must be an object mapping the keys of inputRequests to results, not %s", wire.KindName(p.InputResponses))
	}
	if err := wire.Unmarshal(p.InputResponses, &p.responses); err != nil {
		return errBadParams("params.inputResponses: %v", cleanDecodeError(err))
	}
	return nil
}
func (p *updateTaskParams) taskID() string { return *p.TaskID }

// taskRequest is implemented by the params of the tasks methods.
type taskRequest interface{ taskID() string }

// errTasksRequired is -32021 naming the tasks extension.
func errTasksRequired(what string) *rpcError {
	e := errMissingCapability(&wire.ClientCapabilities{Extensions: map[string]wire.Object{wire.ExtensionTasks: {}}}, []string{"extensions." + wire.ExtensionTasks})
	e.msg = "Missing required client capability: " + what + " needs the " + wire.ExtensionTasks + " extension, which the request's clientCapabilities do not declare"
	return e
}

// errTaskNotFound is the one answer to a taskId that names no task of the
// caller: unknown, purged, or another principal's.
func errTaskNotFound(id string) *rpcError {
	return errInvalid(map[string]any{"taskId": id}, "Invalid params: task not found (tasks are purged %s after their ttlMs elapses)", humanDuration(taskPurgeDelay))
}

// serveTask runs one of the tasks methods: the extension must be declared,
// the task must be the caller's.
func serveTask(x *exchange, op func(tt *taskTable, t *task) ([]byte, *rpcError)) ([]byte, *rpcError) {
	if !x.meta.ClientCapabilities.DeclaresTasks() {
		return nil, errTasksRequired(x.method)
	}
	id := x.params.(taskRequest).taskID()
	tt := x.s.tasks
	tt.mu.Lock()
	defer tt.mu.Unlock()
	t := tt.lookupLocked(x.principal, id)
	if t == nil {
		return nil, errTaskNotFound(id)
	}
	return op(tt, t)
}

func serveGetTask(x *exchange) ([]byte, *rpcError) {
	return serveTask(x, func(tt *taskTable, t *task) ([]byte, *rpcError) {
		ttl, poll := t.expires.Sub(t.created).Milliseconds(), int64(taskPollIntervalMs)
		r := &wire.GetTaskResult{Meta: tt.s.meta, ResultType: wire.ResultComplete, TaskID: t.id, Status: t.status, StatusMessage: t.message,
			CreatedAt: stamp(t.created), LastUpdatedAt: stamp(t.updated), TTLMs: &ttl, PollIntervalMs: &poll, Result: t.result, Error: t.err}
		if t.status == wire.TaskInputRequired {
			r.InputRequests = map[string]wire.Value{}
			for k, f := range t.pending {
				r.InputRequests[k] = wire.MustMarshal(f.request())
			}
		}
		return encode(r)
	})
}

// taskAck is the empty acknowledgement of tasks/update and tasks/cancel.
func (x *exchange) taskAck() ([]byte, *rpcError) {
	return encode(&wire.TaskAckResult{Meta: x.s.meta, ResultType: wire.ResultComplete})
}

func serveUpdateTask(x *exchange) ([]byte, *rpcError) {
	p := x.params.(*updateTaskParams)
	return serveTask(x, func(tt *taskTable, t *task) ([]byte, *rpcError) {
		in := &inputs{x: x, responses: p.responses}
		got := map[string]*elicitResult{}
		for k, f := range t.pending {
			r, err := in.elicitation(k, f)
			if err != nil {
				return nil, err
			}
			if r != nil {
				got[k] = r
			}
		}
		for k, r := range got {
			t.answers[k] = r
			delete(t.pending, k)
		}
		if len(got) > 0 {
			t.updated = tt.s.now()
			if len(t.pending) == 0 && t.status == wire.TaskInputRequired {
				t.status, t.message = wire.TaskWorking, "The operation is in progress again."
				close(t.answered)
			}
		}
		return x.taskAck()
	})
}

func serveCancelTask(x *exchange) ([]byte, *rpcError) {
	return serveTask(x, func(tt *taskTable, t *task) ([]byte, *rpcError) {
		t.stop()
		tt.settleLocked(t, tt.s.now(), wire.TaskCancelled, "The task was cancelled at the client's request.", nil, nil)
		return x.taskAck()
	})
}

// checkListenTasks refuses task notifications to a client that does not
// declare the extension (-32021); the server agrees to none otherwise.
func checkListenTasks(x *exchange, f *wire.SubscriptionFilter) *rpcError {
	if f.TaskIDs != nil && !x.meta.ClientCapabilities.DeclaresTasks() {
		return errTasksRequired("subscribing to notifications/tasks")
	}
	return nil
}
