package impl

import (
	"context"
	"errors"
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
//   - Tasks are kept in the Store (store.go) keyed by (principal, task
//     ID), the principal taken from the verified credentials. tasks/get,
//     tasks/update and tasks/cancel of another principal's task find
//     nothing: the same -32602 as an unknown or malformed ID, byte for
//     byte, so a prober learns nothing.
//   - The task is recorded before the CreateTaskResult is encoded, so a
//     tasks/get that follows it always resolves.
//   - A principal holds at most Config.MaxTasks tasks and all principals
//     together Config.MaxTasksTotal (a task counts until it is purged),
//     counted by the Store across instances; a tools/call over a limit is
//     a tool execution error naming it, as for carts.
//   - A task lives Config.TaskTTL from its creation (its ttlMs). Past it, a
//     task that is still running is stopped and marked failed (a JSON-RPC
//     error saying it expired); a minute later the Store purges the
//     record, and its ID is unknown (-32602).
//   - tasks/cancel settles the task cancelled at once and stops the work;
//     a terminal status (completed, failed, cancelled) never changes: every
//     change of status is a compare-and-set edit of the record
//     (Store.UpdateTask) that leaves a terminal task as it is, so a late
//     outcome of the work, or a second settlement on another instance, is
//     dropped. tasks/cancel of a terminal task is the same empty
//     acknowledgement.
//   - Input during a task: the work asks for elicitations; the task is
//     input_required and tasks/get carries every outstanding request under
//     a key used once in the task's lifetime ("name-1", "confirm-2": the
//     counter makes reuse impossible). tasks/update checks the answers to
//     outstanding keys against the form asked (the record names it, one of
//     taskForms), ignores other keys, and removes the answered keys at
//     once; the task works again when none is outstanding.
//   - A tool that fails reports completed with isError; failed is only for
//     a JSON-RPC error of the work (protocol_error_job) and for expiry.
//   - tasks/result and tasks/list are unknown methods (-32601); a `task`
//     member of tools/call params is ignored; the server agrees to no
//     notifications/tasks on subscriptions/listen, so no progress or log
//     message is ever sent for a task.
//   - Every task's goroutines (its work and its watcher) end when its work
//     ends, is cancelled, or its lifetime passes, and Close cancels them
//     all and waits for them; a task stopped so reads cancelled.
//
// Across instances. Any instance sharing the Store serves tasks/get,
// tasks/update and tasks/cancel of any task. The work runs on the instance
// that created it, beside a watcher that reads the record every
// taskWatchInterval (at once when a request on this instance changed it)
// while the work runs: a task found terminal (cancelled elsewhere),
// expired or purged stops the work, and answers to every outstanding key
// go to the work waiting for them. A Store read costs every running task
// one call per interval; every call to Redis is bounded by its timeout,
// and a failed read is tried again at the next tick. A task whose
// instance died (no Close) is not taken over: it stays as last recorded
// (working or input_required) until its ttlMs passes, then reads failed
// (expired), and is purged a minute later.

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
	// taskWatchInterval is how often the instance running a task's work
	// reads its record, to learn of a cancellation or of answers given
	// on another instance.
	taskWatchInterval = 100 * time.Millisecond
)

// taskWork is the asynchronous part of a task: it returns the tool result,
// or a JSON-RPC error (the task fails), or nil, nil when ctx ended. It may
// ask the client for input through r.
type taskWork func(ctx context.Context, r *taskRun) (*wire.CallToolResult, *rpcError)

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

// taskTable runs the work of the tasks this Server created; the tasks
// themselves are in the Store.
type taskTable struct {
	s      *Server
	mu     sync.Mutex
	runs   map[string]*taskRun // by principal + "\x00" + id
	ctx    context.Context     // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newTaskTable(s *Server) *taskTable {
	ctx, cancel := context.WithCancel(context.Background())
	return &taskTable{s: s, runs: map[string]*taskRun{}, ctx: ctx, cancel: cancel}
}

func taskKey(principal, id string) string { return principal + "\x00" + id }

// close stops every task's work and waits for its goroutines.
func (tt *taskTable) close() {
	tt.cancel()
	tt.wg.Wait()
}

// taskRun is the work of one task on the instance that created it.
type taskRun struct {
	tt            *taskTable
	principal, id string
	ctx           context.Context // ends with the work: cancelled, expired, Close
	stop          context.CancelFunc
	// wake asks the watcher to read the record now: a request on this
	// instance changed it.
	wake chan struct{}

	mu sync.Mutex
	// asked maps the outstanding input keys to the names the work asked
	// under; nil when the work does not wait for input.
	asked map[string]string
	// answered passes the answers, by name, to the waiting work.
	answered chan map[string]*elicitResult
	// failed is a store failure that ended the work.
	failed *rpcError
}

// expire fails r if its lifetime has passed and it has not ended.
func (r *TaskRecord) expire(now time.Time) {
	if now.After(r.Expires) {
		r.settle(now, wire.TaskFailed, "Task expired: its ttlMs elapsed before it ended", nil,
			&wire.Error{Code: wire.CodeInternalError, Message: "Task expired before it ended"})
	}
}

// settle moves r to a terminal status; a task already terminal never
// changes.
func (r *TaskRecord) settle(now time.Time, status, msg string, result wire.Object, err *wire.Error) {
	if wire.TaskTerminal(r.Status) {
		return
	}
	r.Status, r.Message, r.Updated, r.Result, r.Error = status, msg, now, result, err
	r.Pending, r.Answers = nil, nil
}

// settleEdit is the store edit that settles a task at now, unless it
// expired first; errTaskEnded, changing nothing, when it is terminal
// already.
func settleEdit(now time.Time, status, msg string, result wire.Object, err *wire.Error) func(*TaskRecord) error {
	return func(r *TaskRecord) error {
		if wire.TaskTerminal(r.Status) {
			return errTaskEnded
		}
		r.expire(now)
		r.settle(now, status, msg, result, err)
		return nil
	}
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
	const message = "The operation is now in progress."
	rec := TaskRecord{Created: now, Updated: now, Expires: now.Add(cfg.TaskTTL), Status: wire.TaskWorking, Message: message}
	if err := tt.s.store.CreateTask(x.ctx, x.principal, id, rec, cfg.TaskTTL+taskPurgeDelay, cfg.taskQuota()); err != nil {
		res, _, rerr := storeFailed(x, "tools/call", err)
		if rerr != nil {
			return nil, rerr
		}
		return x.completeTool(res)
	}
	r := tt.newRun(x.principal, id)
	tt.mu.Lock()
	tt.runs[taskKey(x.principal, id)] = r
	tt.wg.Add(1)
	tt.mu.Unlock()
	go tt.run(r, work)
	ttl, poll := cfg.TaskTTL.Milliseconds(), int64(taskPollIntervalMs)
	return encode(&wire.CreateTaskResult{Meta: tt.s.meta, ResultType: wire.ResultTask, TaskID: id, Status: wire.TaskWorking,
		StatusMessage: message, CreatedAt: stamp(now), LastUpdatedAt: stamp(now), TTLMs: &ttl, PollIntervalMs: &poll})
}

func stamp(t time.Time) string { return t.UTC().Format(taskTimeLayout) }

// newRun returns the run of principal's new task id, whose work ends at
// the latest when its lifetime passes.
func (tt *taskTable) newRun(principal, id string) *taskRun {
	ctx, stop := context.WithTimeout(tt.ctx, tt.s.cfg.TaskTTL)
	return &taskRun{tt: tt, principal: principal, id: id, ctx: ctx, stop: stop,
		wake: make(chan struct{}, 1), answered: make(chan map[string]*elicitResult, 1)}
}

// run runs a task's work, with its watcher beside it, and settles the
// task with its outcome.
func (tt *taskTable) run(r *taskRun, work taskWork) {
	defer tt.wg.Done()
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		r.watch()
	}()
	var res *wire.CallToolResult
	var rerr *rpcError
	func() {
		defer func() {
			if p := recover(); p != nil {
				tt.s.panicked(p)
				rerr = errInternal("the task's work failed")
			}
		}()
		res, rerr = work(r.ctx, r)
	}()
	r.stop()
	<-watched
	tt.mu.Lock()
	delete(tt.runs, taskKey(r.principal, r.id))
	tt.mu.Unlock()
	r.mu.Lock()
	if rerr == nil && res == nil {
		rerr = r.failed
	}
	r.mu.Unlock()
	_, err := tt.s.store.UpdateTask(context.Background(), r.principal, r.id, outcomeEdit(tt.s.now(), res, rerr))
	if err != nil && !errors.Is(err, errTaskEnded) && !errors.Is(err, ErrTaskNotFound) {
		// The task stays as it was recorded until its lifetime passes.
		tt.s.log.Error("tasks: store: settling a task", "err", err)
	}
}

// outcomeEdit is the edit that settles a task with its work's outcome.
func outcomeEdit(now time.Time, res *wire.CallToolResult, rerr *rpcError) func(*TaskRecord) error {
	switch {
	case rerr != nil:
		return settleEdit(now, wire.TaskFailed, "The request failed: "+rerr.msg, nil, &wire.Error{Code: rerr.code, Message: rerr.msg})
	case res != nil:
		if res.Content == nil {
			res.Content = []wire.ContentBlock{}
		}
		res.ResultType = wire.ResultComplete
		var obj wire.Object
		if err := wire.Unmarshal(wire.MustMarshal(res), &obj); err != nil {
			return settleEdit(now, wire.TaskFailed, "The result could not be encoded", nil, &wire.Error{Code: wire.CodeInternalError, Message: err.Error()})
		}
		msg := "The operation completed."
		if res.IsError != nil && *res.IsError {
			msg = "The tool reported an error."
		}
		return settleEdit(now, wire.TaskCompleted, msg, obj, nil)
	}
	// The work stopped without an outcome: cancelled, expired or the
	// server closing. Cancel and expiry settled it already (or do now).
	return settleEdit(now, wire.TaskCancelled, "The server stopped the task.", nil, nil)
}

// watch reads the task's record every taskWatchInterval, and at once when
// woken, until the work's context ends: what another instance did to the
// task reaches the work so.
func (r *taskRun) watch() {
	tick := time.NewTicker(taskWatchInterval)
	defer tick.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case <-tick.C:
		case <-r.wake:
		}
		r.check()
	}
}

// check reads the task's record once: a task that ended (cancelled on any
// instance), expired or was purged stops the work; answers to every
// outstanding input key go to the waiting work. A store that fails is
// read again at the next tick.
func (r *taskRun) check() {
	rec, err := r.tt.s.store.Task(r.ctx, r.principal, r.id)
	switch {
	case errors.Is(err, ErrTaskNotFound):
		r.stop()
		return
	case err != nil:
		return
	case wire.TaskTerminal(rec.Status) || r.tt.s.now().After(rec.Expires):
		r.stop()
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.asked == nil || len(rec.Pending) > 0 {
		return
	}
	got := map[string]*elicitResult{}
	for k, name := range r.asked {
		a, ok := rec.Answers[k]
		if !ok {
			return
		}
		got[name] = &elicitResult{Action: a.Action, Content: a.Content}
	}
	r.asked = nil
	select {
	case r.answered <- got:
	default:
	}
}

// fail ends the work for a store that failed: the task fails with err.
func (r *taskRun) fail(err *rpcError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = err
}

// elicit asks for the named forms at once and waits until every one is
// answered, on any instance (or ctx ends: nil). The answers are by name.
// Every form must be one of taskForms.
func (r *taskRun) elicit(ctx context.Context, forms map[string]*elicitForm) map[string]*elicitResult {
	names := make([]string, 0, len(forms))
	formNames := map[string]string{}
	for n, f := range forms {
		fn := taskFormName(f)
		if fn == "" {
			r.fail(errInternal("a task asked for a form that is not one of taskForms"))
			return nil
		}
		names = append(names, n)
		formNames[n] = fn
	}
	sort.Strings(names)
	now := r.tt.s.now()
	var byKey map[string]string
	_, err := r.tt.s.store.UpdateTask(ctx, r.principal, r.id, func(rec *TaskRecord) error {
		rec.expire(now)
		if wire.TaskTerminal(rec.Status) {
			return errTaskEnded
		}
		byKey = map[string]string{}
		rec.Pending, rec.Answers = map[string]string{}, nil
		for _, n := range names {
			rec.Keys++
			k := fmt.Sprintf("%s-%d", n, rec.Keys)
			byKey[k] = n
			rec.Pending[k] = formNames[n]
		}
		rec.Status, rec.Message, rec.Updated = wire.TaskInputRequired, "Waiting for input from the client.", now
		return nil
	})
	switch {
	case errors.Is(err, errTaskEnded) || errors.Is(err, ErrTaskNotFound) || ctx.Err() != nil:
		return nil
	case err != nil:
		r.tt.s.log.Error("tasks: store: asking for input", "err", err)
		r.fail(errInternal("the server's store failed while the task asked for input"))
		return nil
	}
	r.mu.Lock()
	r.asked = byKey
	r.mu.Unlock()
	select {
	case got := <-r.answered:
		return got
	case <-ctx.Done():
		return nil
	}
}

// errTaskEnded is the error of an edit that found the task terminal and
// changed nothing.
var errTaskEnded = errors.New("the task has ended")

// taskFormName returns the name of f in taskForms, "" when it is not one.
func taskFormName(f *elicitForm) string {
	for n, g := range taskForms {
		if g == f {
			return n
		}
	}
	return ""
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

// serveTask runs one of the tasks methods on the caller's task: read it
// (nil edit), or apply edit to it in the Store (errTaskEnded from edit:
// nothing to change, and the zero record). The extension must be
// declared; a task past its lifetime is failed first; a store that fails
// is an internal error.
func serveTask(x *exchange, edit func(*TaskRecord) error) (TaskRecord, *rpcError) {
	if !x.meta.ClientCapabilities.DeclaresTasks() {
		return TaskRecord{}, errTasksRequired(x.method)
	}
	id := x.params.(taskRequest).taskID()
	if !wellFormedID(taskPrefix, id) {
		return TaskRecord{}, errTaskNotFound(id)
	}
	tt, now := x.s.tasks, x.s.now()
	store := x.s.store
	var rec TaskRecord
	var err error
	if edit == nil {
		rec, err = store.Task(x.ctx, x.principal, id)
		if err == nil && !wire.TaskTerminal(rec.Status) && now.After(rec.Expires) {
			edit = func(*TaskRecord) error { return nil }
		}
	}
	if edit != nil {
		rec, err = store.UpdateTask(x.ctx, x.principal, id, func(r *TaskRecord) error {
			r.expire(now)
			return edit(r)
		})
		if err == nil || errors.Is(err, errTaskEnded) {
			tt.changed(x.principal, id, rec)
		}
	}
	var rerr *rpcError
	switch {
	case errors.Is(err, errTaskEnded):
		return TaskRecord{}, nil
	case errors.Is(err, ErrTaskNotFound):
		return TaskRecord{}, errTaskNotFound(id)
	case errors.As(err, &rerr):
		return TaskRecord{}, rerr
	case err != nil:
		return TaskRecord{}, storeError(x, x.method, err)
	}
	return rec, nil
}

// changed tells the work of principal's task id, if it runs here, that
// a request changed the task to rec (the zero record: terminal already):
// a terminal task's work stops at once; otherwise the watcher reads the
// record at once.
func (tt *taskTable) changed(principal, id string, rec TaskRecord) {
	tt.mu.Lock()
	r := tt.runs[taskKey(principal, id)]
	tt.mu.Unlock()
	switch {
	case r == nil:
	case rec.Status == "" || wire.TaskTerminal(rec.Status):
		r.stop()
	default:
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// taskForm returns the form of taskForms named name.
func taskForm(name string) (*elicitForm, *rpcError) {
	f := taskForms[name]
	if f == nil {
		return nil, errInternal("a task record names the form %q, which this server does not know", name)
	}
	return f, nil
}

func serveGetTask(x *exchange) ([]byte, *rpcError) {
	t, err := serveTask(x, nil)
	if err != nil {
		return nil, err
	}
	ttl, poll := t.Expires.Sub(t.Created).Milliseconds(), int64(taskPollIntervalMs)
	r := &wire.GetTaskResult{Meta: x.s.meta, ResultType: wire.ResultComplete, TaskID: x.params.(taskRequest).taskID(), Status: t.Status, StatusMessage: t.Message,
		CreatedAt: stamp(t.Created), LastUpdatedAt: stamp(t.Updated), TTLMs: &ttl, PollIntervalMs: &poll, Result: t.Result, Error: t.Error}
	if t.Status == wire.TaskInputRequired {
		r.InputRequests = map[string]wire.Value{}
		for k, name := range t.Pending {
			f, err := taskForm(name)
			if err != nil {
				return nil, err
			}
			r.InputRequests[k] = wire.MustMarshal(f.request())
		}
	}
	return encode(r)
}

// taskAck is the empty acknowledgement of tasks/update and tasks/cancel.
func (x *exchange) taskAck() ([]byte, *rpcError) {
	return encode(&wire.TaskAckResult{Meta: x.s.meta, ResultType: wire.ResultComplete})
}

func serveUpdateTask(x *exchange) ([]byte, *rpcError) {
	p := x.params.(*updateTaskParams)
	now := x.s.now()
	_, err := serveTask(x, func(t *TaskRecord) error {
		in := &inputs{x: x, responses: p.responses}
		got := map[string]*elicitResult{}
		for k, name := range t.Pending {
			f, err := taskForm(name)
			if err != nil {
				return err
			}
			r, err := in.elicitation(k, f)
			if err != nil {
				return err
			}
			if r != nil {
				got[k] = r
			}
		}
		if len(got) == 0 {
			return nil
		}
		if t.Answers == nil {
			t.Answers = map[string]TaskAnswer{}
		}
		for k, r := range got {
			t.Answers[k] = TaskAnswer{Action: r.Action, Content: r.Content}
			delete(t.Pending, k)
		}
		t.Updated = now
		if len(t.Pending) == 0 && t.Status == wire.TaskInputRequired {
			t.Status, t.Message = wire.TaskWorking, "The operation is in progress again."
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return x.taskAck()
}

func serveCancelTask(x *exchange) ([]byte, *rpcError) {
	_, err := serveTask(x, settleEdit(x.s.now(), wire.TaskCancelled, "The task was cancelled at the client's request.", nil, nil))
	if err != nil {
		return nil, err
	}
	return x.taskAck()
}

// checkListenTasks refuses task notifications to a client that does not
// declare the extension (-32021); the server agrees to none otherwise.
func checkListenTasks(x *exchange, f *wire.SubscriptionFilter) *rpcError {
	if f.TaskIDs != nil && !x.meta.ClientCapabilities.DeclaresTasks() {
		return errTasksRequired("subscribing to notifications/tasks")
	}
	return nil
}
