package tasks

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/staterun"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

const (
	// maxSurvey bounds the tools called to find the task tools.
	maxSurvey = 16
	// callTimeout bounds one request of the campaign.
	callTimeout = 10 * time.Second
	// pollMin and pollMax bound the wait between two tasks/get of a task
	// followed to its end; settleWait bounds the whole follow.
	pollMin, pollMax = 100 * time.Millisecond, time.Second
	settleWait       = 6 * time.Second
)

// needsTasks: the server declares the extension in server/discover.
func needsTasks(e *check.Env) string {
	if !check.Capable(e.Server, "tools") {
		return "the server declares no tools: no request of it can be a task"
	}
	if _, ok := e.Server.Capabilities.Extensions[wire.ExtensionTasks]; !ok {
		return "the server does not declare the " + wire.ExtensionTasks + " extension in server/discover"
	}
	return ""
}

// taskClient is the run's client declaring the tasks extension.
func taskClient(e *check.Env, c check.Client) check.Client {
	return c.WithExtension(wire.ExtensionTasks, nil)
}

// taskTool is a tool that answered a client declaring the extension with
// a CreateTaskResult.
type taskTool struct {
	name   string
	params map[string]any // the params that made a task (without _meta)
	// plain is the same call without the extension (what the server
	// serves a client that does not declare it).
	plain check.Observation
}

// survey is what the task tools are, found once per run.
type survey struct {
	done  bool
	tools []*taskTool
	// sync are tools that answered a declaring client synchronously, with
	// the params sent.
	sync  []*taskTool
	notes []string
	// refused are the tools that refused the declaring client (an error
	// or a tool error), as "name (answer)": any may be a task tool that
	// could not make a task (a limit reached, a dependency down).
	refused []string
}

// none says why no task tool was found, and whether that is a skip (every
// tool called was served without a task) or inconclusive (some were
// refused).
func (s *survey) none() (why string, skip bool) {
	why = strings.Join(s.notes, "; ")
	if len(s.refused) == 0 {
		return why, true
	}
	return fmt.Sprintf("%s; but %d refused the call (%s): they may be task tools that could not make a task, e.g. at a limit", why, len(s.refused), strings.Join(s.refused[:min(len(s.refused), 3)], "; ")), false
}

// taskTools returns the run's survey when it found a task tool; when it
// found none it records ids skipped or inconclusive, with the reason
// (none), and returns nil.
func taskTools(e *check.Env, ids []spec.ID) *survey {
	s := surveyTools(e)
	if len(s.tools) > 0 {
		return s
	}
	why, skip := s.none()
	if skip {
		probe.SkipAll(e, ids, "%s", why)
	} else {
		probe.InconclusiveAll(e, ids, "%s", why)
	}
	return nil
}

type surveyKey struct{}

// surveyTools calls the server's tools as a declaring client (once per
// run) to find those that create tasks.
func surveyTools(e *check.Env) *survey {
	s := check.Shared(e, surveyKey{}, func() *survey { return &survey{} })
	if s.done {
		return s
	}
	s.done = true
	tc := taskClient(e, e.Client)
	for _, name := range surveyOrder(e) {
		if len(s.tools) >= 4 || e.Ctx.Err() != nil || e.TimeLeft() < 4*time.Second {
			break
		}
		params, o := probe.CallTool(e, tc, name, nil, 2, callTimeout)
		if _, ok := createdTask(o); ok {
			s.tools = append(s.tools, &taskTool{name: name, params: params})
			cancel(e, tc, o)
			continue
		}
		switch oc := staterun.RetryOutcome(o); {
		case oc.Kind == staterun.OutComplete:
			s.sync = append(s.sync, &taskTool{name: name, params: params})
		case oc.Kind.Refused():
			s.refused = append(s.refused, fmt.Sprintf("%s (%s)", name, staterun.TruncateText(staterun.RefusalShape(o), 160)))
		}
	}
	if len(s.tools) == 0 {
		s.notes = append(s.notes, fmt.Sprintf("no tool of the %d called as a client declaring the extension answered with a CreateTaskResult", len(surveyOrder(e))))
	}
	return s
}

// surveyOrder is the tools to call: those whose description mentions a
// task first, none marked destructiveHint, at most maxSurvey.
func surveyOrder(e *check.Env) []string {
	var first, rest []string
	for _, name := range slices.Sorted(maps.Keys(e.Decl.Tools)) {
		td := e.Decl.Tools[name]
		if a := td.Tool.Annotations; a != nil && a.DestructiveHint != nil && *a.DestructiveHint {
			continue
		}
		if strings.Contains(strings.ToLower(td.Tool.Description+" "+name), "task") {
			first = append(first, name)
		} else {
			rest = append(rest, name)
		}
	}
	out := append(first, rest...)
	return out[:min(len(out), maxSurvey)]
}

// createdTask returns the task a tools/call answer created.
func createdTask(o check.Observation) (*wire.CreateTaskResult, bool) {
	if !o.Accepted() {
		return nil, false
	}
	r, ok := o.Result().(*wire.CreateTaskResult)
	return r, ok && r.TaskID != ""
}

// call calls tool with params as c.
func call(e *check.Env, c check.Client, params map[string]any) check.Observation {
	return probe.SendAs(e, c, 0, "tools/call", params, callTimeout)
}

// create calls t as c; the task it created, if any.
func create(e *check.Env, c check.Client, t *taskTool) (check.Observation, string) {
	o := call(e, c, t.params)
	if r, ok := createdTask(o); ok {
		return o, r.TaskID
	}
	return o, ""
}

// taskRequest sends tasks/get, tasks/cancel or tasks/update (with an empty
// inputResponses) of id as c, to instance inst.
func taskRequest(e *check.Env, c check.Client, inst int, method, id string) check.Observation {
	params := map[string]any{"taskId": id}
	if method == "tasks/update" {
		params["inputResponses"] = map[string]any{}
	}
	return probe.SendAs(e, c, inst, method, params, callTimeout)
}

// cancel cancels the task o created, if any.
func cancel(e *check.Env, c check.Client, o check.Observation) {
	if r, ok := createdTask(o); ok {
		taskRequest(e, c, 0, "tasks/cancel", r.TaskID)
	}
}

// gotTask returns the task a tasks/get answer describes.
func gotTask(o check.Observation) (wire.DetailedTask, bool) {
	if !o.Accepted() {
		return wire.DetailedTask{}, false
	}
	r, ok := o.Result().(*wire.GetTaskResult)
	if !ok {
		return wire.DetailedTask{}, false
	}
	return r.Detailed(), true
}

// follow polls tasks/get of id as c until the task is terminal or
// settleWait passes, at the task's pollIntervalMs within [pollMin,
// pollMax]. It returns the last answer and whether it was terminal.
func follow(e *check.Env, c check.Client, id string) (check.Observation, wire.DetailedTask, bool) {
	deadline := time.Now().Add(settleWait)
	wait := pollMin
	for {
		o := taskRequest(e, c, 0, "tasks/get", id)
		d, ok := gotTask(o)
		if !ok || wire.TaskTerminal(d.Status) || time.Now().After(deadline) || e.TimeLeft() < 2*time.Second {
			return o, d, ok && wire.TaskTerminal(d.Status)
		}
		if d.PollIntervalMs != nil {
			wait = time.Duration(*d.PollIntervalMs) * time.Millisecond
		}
		wait = min(max(wait, pollMin), pollMax)
		if !check.Pause(e.Ctx, wait) {
			return o, d, false
		}
	}
}

// namesExtension reports whether an error names the tasks extension (in
// its message or data).
func namesExtension(o check.Observation) bool {
	for _, r := range o.Ex.Replies {
		if m, ok := r.Msg.(*wire.JSONRPCErrorResponse); ok {
			return strings.Contains(m.Error.Message, wire.ExtensionTasks) || strings.Contains(string(m.Error.Data), wire.ExtensionTasks)
		}
	}
	return false
}
