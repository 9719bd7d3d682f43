package tasks

import (
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Requests without the extension, to a server that declares it.
//
// Each task tool is called again, with the same params, by the run's
// client, which does not declare the extension:
//
//   - a CreateTaskResult fails CORE-EXTENSION-FALLBACK and
//     CORE-CAPABILITY-UNDECLARED (the model fails TASKS-CREATE-DECLARED);
//     a result of the core protocol, or -32021, passes
//     CORE-EXTENSION-FALLBACK;
//   - a JSON-RPC error: the server could not serve the request without a
//     task, so it MUST be -32021 naming the extension
//     (TASKS-REQUIRED-ERROR): another code, or a -32021 that does not name
//     it, fails;
//   - the same call with the removed task member ({"ttl": 60000}) must be
//     answered as without it (TASKS-TASK-PARAM-IGNORED): a task where the
//     call without it was none fails.
//
// tasks/get of a task and a subscriptions/listen naming it are sent
// without the extension too, for the model (TASKS-METHODS-UNDECLARED,
// TASKS-LISTEN-UNDECLARED). tasks/result, removed, must be -32601
// (TASKS-RESULT-REMOVED), asked of every server, with and without the
// extension.

var extIDs = []spec.ID{spec.TasksRequiredError, spec.TasksTaskParamIgnored, spec.CoreExtensionFallback, spec.CoreCapabilityUndeclared}

func init() {
	check.Register(&check.Check{Name: "tasks/extension", IDs: extIDs, Needs: needsTasks, Run: checkExtension})
	check.Register(&check.Check{Name: "tasks/removed", IDs: []spec.ID{spec.TasksResultRemoved}, Run: checkRemoved})
}

// legacyTask is the task member of CallToolRequest params before the
// extension (TaskMetadata).
var legacyTask = map[string]any{"ttl": 60000}

func checkExtension(e *check.Env) {
	s := taskTools(e, extIDs)
	if s == nil {
		return
	}
	tc := taskClient(e, e.Client)
	var required, fallback, undeclared, param []string // passes, by tool
	bad := map[spec.ID]bool{}
	for _, t := range s.tools {
		if e.TimeLeft() < 3*time.Second {
			break
		}
		plain := call(e, e.Client, t.params)
		_, plainTask := createdTask(plain)
		code, isErr := plain.ErrorCode()
		switch {
		case plainTask:
			cancel(e, tc, plain)
			for _, id := range []spec.ID{spec.CoreExtensionFallback, spec.CoreCapabilityUndeclared} {
				bad[id] = true
				e.ViolationShown([]*wire.Exchange{plain.Ex}, id, "%s, called without the %s extension, answered with a CreateTaskResult (a task of that extension)", t.name, wire.ExtensionTasks)
			}
		case isErr && code == wire.CodeMissingRequiredClientCapability:
			fallback = append(fallback, t.name+" (-32021)")
			undeclared = append(undeclared, t.name)
			if namesExtension(plain) {
				required = append(required, t.name)
			} else {
				bad[spec.TasksRequiredError] = true
				e.ViolationShown([]*wire.Exchange{plain.Ex}, spec.TasksRequiredError, "%s without the extension was refused with -32021 that does not name %s (%s)", t.name, wire.ExtensionTasks, plain.Describe())
			}
		case isErr:
			undeclared = append(undeclared, t.name)
			if ev, ok := servedAsTask(e, tc, t); ok {
				bad[spec.TasksRequiredError] = true
				e.ViolationShown(append([]*wire.Exchange{plain.Ex}, ev...), spec.TasksRequiredError, "%s was refused without the extension by %s, but with the same params its task ended completed for a client declaring it: a server that cannot serve a request without a task must answer -32021 naming %s", t.name, plain.Describe(), wire.ExtensionTasks)
			}
		case plain.Accepted():
			fallback = append(fallback, t.name+" (a result of the core protocol)")
			undeclared = append(undeclared, t.name)
		}
		// The removed task member.
		p := probe.CloneParams(t.params)
		p["task"] = legacyTask
		with := call(e, e.Client, p)
		_, withTask := createdTask(with)
		switch {
		case withTask && plainTask:
			cancel(e, tc, with)
		case withTask:
			cancel(e, tc, with)
			bad[spec.TasksTaskParamIgnored] = true
			e.ViolationShown([]*wire.Exchange{plain.Ex, with.Ex}, spec.TasksTaskParamIgnored, "%s without the extension was not a task (%s), but with the removed task member %v it was: the member is used as an opt-in", t.name, plain.Describe(), legacyTask)
		case probe.AnswerKind(with) != "" && probe.AnswerKind(with) == probe.AnswerKind(plain):
			param = append(param, t.name)
		}
		// The tasks methods and task notifications without the extension,
		// for the model.
		if o, id := create(e, tc, t); id != "" {
			taskRequest(e, e.Client, 0, "tasks/get", id)
			listenTasks(e, e.Client, id, 1, time.Second)
			cancel(e, tc, o)
		}
	}
	judgeAll := func(id spec.ID, passed []string, format string, none string) {
		switch {
		case bad[id]:
		case len(passed) > 0:
			e.Pass(id, format, strings.Join(passed, ", "))
		default:
			e.Inconclusive(id, "%s", none)
		}
	}
	if !bad[spec.TasksRequiredError] && len(required) == 0 && len(fallback) > 0 {
		e.Skip(spec.TasksRequiredError, "every task tool was served without the extension (%s): none needs a task", strings.Join(fallback, ", "))
	} else {
		judgeAll(spec.TasksRequiredError, required, "task tools the server cannot serve without a task were refused with -32021 naming "+wire.ExtensionTasks+": %s", "no task tool was refused without the extension")
	}
	judgeAll(spec.CoreExtensionFallback, fallback, "task tools called without the extension reverted to the core protocol or were refused with -32021: %s", "no task tool answered a client without the extension in a way that could be judged")
	judgeAll(spec.CoreCapabilityUndeclared, undeclared, "task tools called without the extension answered with no task: %s", "no task tool answered a client without the extension")
	judgeAll(spec.TasksTaskParamIgnored, param, "task tools called without the extension answered alike with and without the removed task member: %s", "no task tool answered alike with and without the task member, or each was a task already without it")
}

// servedAsTask creates a task of t and follows it: ok when it ended
// completed (the request can be served; a task that fails as the call
// without the extension did shows a failing request, not one that needs a
// task). ev are the exchanges that show it.
func servedAsTask(e *check.Env, tc check.Client, t *taskTool) (ev []*wire.Exchange, ok bool) {
	if e.TimeLeft() < settleWait+2*time.Second {
		return nil, false
	}
	o, tid := create(e, tc, t)
	if tid == "" {
		return nil, false
	}
	last, d, done := follow(e, tc, tid)
	if !done {
		taskRequest(e, tc, 0, "tasks/cancel", tid)
	}
	return []*wire.Exchange{o.Ex, last.Ex}, done && d.Status == wire.TaskCompleted
}

// listenTasks opens a subscriptions/listen naming task id as c, read up
// to stopAfter messages or for timeout.
func listenTasks(e *check.Env, c check.Client, id string, stopAfter int, timeout time.Duration) check.Observation {
	r := e.RequestAs(c, "subscriptions/listen", probe.WithMeta(c, map[string]any{"notifications": map[string]any{"taskIds": []any{id}}}, nil))
	r.StopAfter, r.Timeout = stopAfter, timeout
	return e.Send(r)
}

// checkRemoved: tasks/result is -32601, with the extension and without.
func checkRemoved(e *check.Env) {
	id := spec.TasksResultRemoved
	fake := "task_" + e.RandHex(16)
	var seen []string
	for _, asker := range []struct {
		c   check.Client
		who string
	}{{taskClient(e, e.Client), "a client declaring the extension"}, {e.Client, "a client that does not"}} {
		c, who := asker.c, asker.who
		o := probe.SendAs(e, c, 0, "tasks/result", map[string]any{"taskId": fake}, callTimeout)
		switch code, ok := o.ErrorCode(); {
		case !o.Answered():
			e.Inconclusive(id, "tasks/result from %s: %s", who, o.Describe())
			return
		case ok && code == wire.CodeMethodNotFound:
			seen = append(seen, who)
		default:
			e.ViolationShown([]*wire.Exchange{o.Ex}, id, "tasks/result from %s was answered %s, not -32601: the method is removed with the tasks extension", who, o.Describe())
			return
		}
	}
	e.Pass(id, "tasks/result was answered -32601 (method not found) for %s", strings.Join(seen, " and for "))
}
