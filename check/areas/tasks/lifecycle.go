package tasks

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/randomness"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The lifecycle of tasks, as a client declaring the extension.
//
//   - A sample of idSamples tasks of the first task tool: each
//     CreateTaskResult is followed at once by tasks/get of its taskId, on
//     the next instance when several --url are given; one that does not
//     resolve (-32602) fails TASKS-CREATE-DURABLE, checked again after
//     durableRecheck to say whether it resolves later. The IDs are
//     analysed as state handles are (TASKS-ID-ENTROPY: repeats, counters,
//     clocks; TASKS-ID-BITS, hardening: room for 128 bits).
//   - The first task is cancelled, then read twice, durableRecheck apart:
//     the model fails a terminal status that changes (TASKS-TERMINAL-FINAL)
//     and an acknowledgement that is not empty (TASKS-ACK-EMPTY). The
//     others are cancelled.
//   - tasks/get of an ID of the same shape that was never returned must
//     be -32602 (TASKS-GET-UNKNOWN); tasks/update and tasks/cancel of it
//     should be (TASKS-UPDATE-CANCEL-UNKNOWN).
//   - Tools known to end with a tool error (isError), driven as tasks and
//     followed to their end, must end completed, never failed
//     (TASKS-FAILED-JSONRPC-ONLY). Known: a tool whose call without the
//     extension (same params) was served with isError, and the official
//     conformance suite's fixture failing_job, which its tasks scenarios
//     fix to end that way.
//   - A task's own listen stream (subscriptions/listen naming it), read
//     for listenRead: a notifications/progress or notifications/message on
//     it fails TASKS-LISTEN-NO-PROGRESS-LOG. A server that agrees to no
//     task notifications for it has no such stream: skipped.

var lifeIDs = []spec.ID{spec.TasksCreateDurable, spec.TasksIdEntropy, spec.TasksIdBits, spec.TasksGetUnknown,
	spec.TasksUpdateCancelUnknown, spec.TasksFailedJsonrpcOnly, spec.TasksListenNoProgressLog}

func init() {
	check.Register(&check.Check{Name: "tasks/lifecycle", IDs: lifeIDs, Needs: needsTasks, Run: checkLifecycle})
}

const (
	// idSamples is the size of the sample of task IDs.
	idSamples = 8
	// durableRecheck is the wait before a tasks/get is sent again.
	durableRecheck = 400 * time.Millisecond
	// listenRead is how long a task's listen stream is read.
	listenRead = 1500 * time.Millisecond
	// conformanceToolError is the official suite's fixture that ends with
	// a tool error (its tasks scenarios: completed, isError true).
	conformanceToolError = "failing_job"
)

func checkLifecycle(e *check.Env) {
	s := taskTools(e, lifeIDs)
	if s == nil {
		return
	}
	tc := taskClient(e, e.Client)
	t := s.tools[0]
	ids, minted := sampleIDs(e, tc, t)
	if len(ids) == 0 {
		probe.InconclusiveAll(e, lifeIDs, "%s made no task when called again with the same params", t.name)
		return
	}
	randomness.Judge(e, randomness.IDs{Random: spec.TasksIdEntropy, Bits: spec.TasksIdBits}, "task IDs of "+t.name, "task IDs", ids, minted)
	// Cancellation, and the statuses after it.
	taskRequest(e, tc, 0, "tasks/cancel", ids[0])
	taskRequest(e, tc, 0, "tasks/get", ids[0])
	if check.Pause(e.Ctx, durableRecheck) {
		taskRequest(e, tc, 0, "tasks/get", ids[0])
	}
	for _, id := range ids[1:] {
		if e.TimeLeft() < 3*time.Second {
			break
		}
		taskRequest(e, tc, 0, "tasks/cancel", id)
	}
	judgeUnknown(e, tc, ids[0])
	judgeToolErrors(e, tc, s)
	judgeListen(e, tc, t)
}

// sampleIDs creates idSamples tasks of t, judging TASKS-CREATE-DURABLE
// on each, and returns their IDs and the exchanges that created them.
func sampleIDs(e *check.Env, tc check.Client, t *taskTool) ([]string, []*wire.Exchange) {
	var ids []string
	var minted []*wire.Exchange
	var lost []string
	var lostEv []*wire.Exchange
	inst := min(1, e.Instances()-1) // the next instance, when there is one
	for i := 0; i < idSamples && e.TimeLeft() > 4*time.Second; i++ {
		o, id := create(e, tc, t)
		if id == "" {
			continue
		}
		ids, minted = append(ids, id), append(minted, o.Ex)
		g := taskRequest(e, tc, inst, "tasks/get", id)
		if _, ok := gotTask(g); ok {
			continue
		}
		if code, ok := g.ErrorCode(); !ok || code != wire.CodeInvalidParams {
			continue // not the answer to an unknown task: other rules judge it
		}
		later := "it did not resolve " + durableRecheck.String() + " later either"
		if check.Pause(e.Ctx, durableRecheck) {
			if _, ok := gotTask(taskRequest(e, tc, inst, "tasks/get", id)); ok {
				later = "it resolved " + durableRecheck.String() + " later"
			}
		}
		lost = append(lost, fmt.Sprintf("%.40q (%s)", id, later))
		lostEv = append(lostEv, o.Ex, g.Ex)
	}
	where := ""
	if inst > 0 {
		where = " on the next instance"
	}
	switch {
	case len(lost) > 0:
		e.ViolationShown(lostEv, spec.TasksCreateDurable, "tasks/get sent%s at once after a CreateTaskResult of %s was answered -32602 (task not found) for %d of %d tasks: %s; a CreateTaskResult must wait until tasks/get would resolve", where, t.name, len(lost), len(ids), strings.Join(lost, ", "))
	case len(ids) > 0:
		e.Pass(spec.TasksCreateDurable, "tasks/get sent%s at once after each of %d CreateTaskResults of %s resolved", where, len(ids), t.name)
	}
	return ids, minted
}

// judgeUnknown: tasks/get, tasks/update and tasks/cancel of an ID of the
// shape of real, never returned.
func judgeUnknown(e *check.Env, tc check.Client, real string) {
	fake := randomness.SameShape(e, real)
	var refused []string // methods answered -32602, for TASKS-UPDATE-CANCEL-UNKNOWN
	for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
		id := spec.TasksUpdateCancelUnknown
		if m == "tasks/get" {
			id = spec.TasksGetUnknown
		}
		o := taskRequest(e, tc, 0, m, fake)
		switch code, ok := o.ErrorCode(); {
		case !o.Answered():
			e.Inconclusive(id, "%s of a taskId never returned (%.40q): %s", m, fake, o.Describe())
		case ok && code == wire.CodeInvalidParams && id == spec.TasksGetUnknown:
			e.Pass(id, "tasks/get of a taskId never returned (%.40q, the shape of %.40q) was answered -32602", fake, real)
		case ok && code == wire.CodeInvalidParams:
			refused = append(refused, m)
		default:
			e.ViolationShown([]*wire.Exchange{o.Ex}, id, "%s of a taskId never returned (%.40q, the shape of %.40q) was answered %s, not -32602 (invalid params)", m, fake, real, o.Describe())
		}
	}
	if len(refused) == 2 {
		e.Pass(spec.TasksUpdateCancelUnknown, "tasks/update and tasks/cancel of a taskId never returned (%.40q, the shape of %.40q) were answered -32602", fake, real)
	}
}

// judgeToolErrors drives tools known to end with a tool error as tasks.
func judgeToolErrors(e *check.Env, tc check.Client, s *survey) {
	id := spec.TasksFailedJsonrpcOnly
	var judged, notes []string
	for _, t := range s.tools {
		why := toolErrorWhy(e, t)
		if why == "" {
			continue
		}
		if e.TimeLeft() < settleWait+2*time.Second {
			notes = append(notes, t.name+": no time left to follow its task")
			break
		}
		o, tid := create(e, tc, t)
		if tid == "" {
			notes = append(notes, fmt.Sprintf("%s made no task (%s)", t.name, o.Describe()))
			continue
		}
		last, d, done := follow(e, tc, tid)
		switch {
		case !done:
			notes = append(notes, fmt.Sprintf("%s's task did not end within %v (%s)", t.name, settleWait, last.Describe()))
			taskRequest(e, tc, 0, "tasks/cancel", tid)
		case d.Status == wire.TaskFailed:
			e.ViolationShown([]*wire.Exchange{o.Ex, last.Ex}, id, "%s (%s) ended failed (error %s) as a task: a tool execution error (isError) must end completed with the CallToolResult in result; failed is only for JSON-RPC errors", t.name, why, errorText(d.Error))
			return
		case d.Status == wire.TaskCompleted && isToolError(d.Result):
			judged = append(judged, t.name)
		default:
			notes = append(notes, fmt.Sprintf("%s's task ended %s without a tool error this time", t.name, d.Status))
		}
	}
	switch {
	case len(judged) > 0:
		e.Pass(id, "tools known to end with a tool error ended completed with isError as tasks: %s", strings.Join(judged, ", "))
	case len(notes) > 0:
		e.Inconclusive(id, "%s", strings.Join(notes, "; "))
	default:
		e.Skip(id, "no task tool is known to end with a tool error: none was served with isError without the extension, and none is the conformance fixture %s", conformanceToolError)
	}
}

// toolErrorWhy says why t is known to end with a tool error ("" if not).
func toolErrorWhy(e *check.Env, t *taskTool) string {
	if t.name == conformanceToolError {
		return "the official conformance fixture that ends with a tool error"
	}
	plain := plainCall(e, t)
	if r, ok := plain.Result().(*wire.CallToolResult); ok && plain.Accepted() && r.IsError != nil && *r.IsError {
		return "served with isError, with the same params, to a client without the extension"
	}
	return ""
}

// plainCall is t called with its params by the run's client, which does
// not declare the extension (once per run).
func plainCall(e *check.Env, t *taskTool) check.Observation {
	if t.plain.Ex == nil {
		t.plain = call(e, e.Client, t.params)
		cancel(e, taskClient(e, e.Client), t.plain)
	}
	return t.plain
}

// isToolError: a CallToolResult object with isError true.
func isToolError(r wire.Object) bool {
	var v bool
	return wire.Unmarshal(r["isError"], &v) == nil && v
}

func errorText(err *wire.Error) string {
	if err == nil {
		return "none"
	}
	return fmt.Sprintf("%d %q", err.Code, err.Message)
}

// judgeListen reads a task's listen stream for progress and log messages.
func judgeListen(e *check.Env, tc check.Client, t *taskTool) {
	id := spec.TasksListenNoProgressLog
	if e.TimeLeft() < listenRead+3*time.Second {
		e.Inconclusive(id, "no time left to read a task's listen stream")
		return
	}
	o, tid := create(e, tc, t)
	if tid == "" {
		e.Inconclusive(id, "%s made no task (%s)", t.name, o.Describe())
		return
	}
	defer taskRequest(e, tc, 0, "tasks/cancel", tid)
	l := listenTasks(e, tc, tid, 64, listenRead)
	if len(l.Ex.Replies) == 0 {
		e.Inconclusive(id, "subscriptions/listen naming task %.40q: %s", tid, l.Describe())
		return
	}
	ack, _ := l.Ex.Replies[0].Params.(*wire.SubscriptionsAcknowledgedNotificationParams)
	if ack == nil {
		e.Inconclusive(id, "subscriptions/listen naming task %.40q was not acknowledged (%s)", tid, l.Describe())
		return
	}
	agreed := false
	for _, a := range ack.Notifications.TaskIDs {
		agreed = agreed || a == tid
	}
	if !agreed {
		e.Skip(id, "the server agreed to no task notifications for task %.40q (its acknowledgement's taskIds %q): the task has no listen stream", tid, ack.Notifications.TaskIDs)
		return
	}
	var sent []string
	for _, r := range l.Ex.Replies[1:] {
		if n, ok := r.Msg.(*wire.JSONRPCNotification); ok && (n.Method == "notifications/progress" || n.Method == "notifications/message") {
			sent = append(sent, n.Method)
		}
	}
	if len(sent) > 0 {
		e.ViolationShown([]*wire.Exchange{o.Ex, l.Ex}, id, "the listen stream of task %.40q carried %s", tid, strings.Join(sent, ", "))
		return
	}
	e.Pass(id, "the listen stream of task %.40q, read for %v (%d messages), carried no progress or log message", tid, listenRead, len(l.Ex.Replies))
}
