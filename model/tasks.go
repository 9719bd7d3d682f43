package model

import (
	"fmt"
	"regexp"
	"slices"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// The tasks extension (SEP-2663, extensions/tasks-overview.mdx).
//
// The model accepts a CreateTaskResult (resultType "task") on a
// task-augmentable method (tools/call) when the request declared the
// extension, and judges:
//
//   - the result types: "task" only on CreateTaskResult, to a request that
//     declared the extension; "complete" on tasks/get, tasks/update and
//     tasks/cancel;
//   - the shapes: a Task's members, the payload of each status on
//     tasks/get, empty acknowledgements;
//   - -32021 for tasks/* and task notifications asked without the
//     extension;
//   - the status machine of each task it has seen: a terminal status
//     (completed, failed, cancelled) that changes is a violation;
//   - input keys: one key naming two distinct requests over a task's
//     lifetime;
//   - ownership, where it knows principals (Config.Principal): a task one
//     principal created served by tasks/get to another.
//
// Where the spec lets the server choose (a task or a synchronous result,
// its IDs, ttlMs, pollIntervalMs, when a cancellation takes effect and
// whether it does, expiry and purging), the model accepts any choice.

// taskFact is what the model knows of one task: who created it (""
// unknown), its last status seen, and the requests seen under each input
// key (canonical JSON). A taskFact in the facts is never changed: a new
// one replaces it.
type taskFact struct {
	principal string
	status    string
	keys      map[string]string
}

// isTaskMethod: a method of the tasks extension.
func isTaskMethod(c *ctx) bool {
	return c.req != nil && c.info != nil && c.info.Extension == wire.ExtensionTasks
}

// tasksRelevant: a request the tasks rules judge.
func tasksRelevant(c *ctx) bool {
	if c.req == nil {
		return false
	}
	if isTaskMethod(c) || c.method == "server/discover" || c.method == "subscriptions/listen" {
		return true
	}
	rt, _ := c.resultType()
	return rt == wire.ResultTask
}

// declaresTasks: the request's clientCapabilities declare the extension.
func declaresTasks(c *ctx) bool {
	return c.meta != nil && c.meta.ClientCapabilities.DeclaresTasks()
}

// taskPrincipal is the request's principal when the model is told
// principals; "" (unknown) otherwise.
func taskPrincipal(c *ctx) string {
	if c.s.cfg.Principal == nil {
		return ""
	}
	return principal(c)
}

func checkTasks(c *ctx) {
	rt, _ := c.resultType()
	switch {
	case rt == wire.ResultTask && !isTaskMethod(c):
		checkCreateTask(c)
	case c.method == "server/discover":
		checkNoLegacyTasks(c)
	case c.method == "subscriptions/listen":
		checkListenTasks(c)
	case isTaskMethod(c):
		checkTaskMethod(c)
	}
}

// checkNoLegacyTasks: discover advertises no legacy tasks capability.
func checkNoLegacyTasks(c *ctx) {
	if c.result == nil {
		return
	}
	d, ok := c.ex.Replies[c.final].Result.(*wire.DiscoverResult)
	if !ok {
		return
	}
	c.judge(spec.TasksNoLegacyCapability)
	if _, legacy := d.Capabilities.Extra["tasks"]; legacy {
		c.report(spec.TasksNoLegacyCapability, "capabilities.tasks (the legacy declaration)", "the extension declared under capabilities.extensions only")
	}
}

// checkListenTasks: task notifications need the extension.
func checkListenTasks(c *ctx) {
	f := listenFilter(c)
	if f == nil || f.TaskIDs == nil || declaresTasks(c) || !serverDeclaresTasks(c) || c.view().skip || len(c.view().defects) > 0 {
		return
	}
	if !c.answered() && !c.complete() {
		return
	}
	c.judge(spec.TasksListenUndeclared)
	if code, ok := c.errCode(); !ok || code != wire.CodeMissingRequiredClientCapability {
		c.report(spec.TasksListenUndeclared, "task notifications served to a request that does not declare "+wire.ExtensionTasks, "error -32021 naming the extension")
	}
}

// checkCreateTask: a CreateTaskResult answers a task-augmentable method of
// a request that declared the extension, and carries a Task.
func checkCreateTask(c *ctx) {
	c.judge(spec.TasksResultTypeTask)
	if c.info == nil || !c.info.TaskAugmentable {
		c.reportf(spec.TasksResultTypeTask, "resultType \"task\" only on a CreateTaskResult, which answers tools/call", "resultType \"task\" on a %s result", c.method)
		return
	}
	c.judge(spec.TasksCreateDeclared)
	if !declaresTasks(c) {
		c.report(spec.TasksCreateDeclared, "a CreateTaskResult to a request that does not declare "+wire.ExtensionTasks, "the standard result, or -32021 naming the extension")
		return
	}
	r, ok := c.ex.Replies[c.final].Result.(*wire.CreateTaskResult)
	if !ok {
		return // the schema rule reports what did not decode
	}
	t := r.Task()
	judgeTaskShape(c, &t, c.result.Result)
	if t.TaskID != "" && slices.Contains(wire.TaskStatuses, t.Status) {
		recordTask(c, t.TaskID, func(f *taskFact) {
			f.principal = taskPrincipal(c)
			f.status = t.Status
		})
	}
}

// isoTime is the date and time of an ISO 8601 timestamp, as far as is
// checked: a calendar date, "T", hours, minutes and seconds.
var isoTime = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}`)

// judgeTaskShape judges the members of a Task (raw is the object it was
// decoded from, to tell an absent ttlMs from null).
func judgeTaskShape(c *ctx, t *wire.Task, raw wire.Value) {
	c.judge(spec.TasksTaskShape)
	var problems []string
	if t.TaskID == "" {
		problems = append(problems, "no taskId")
	}
	if !slices.Contains(wire.TaskStatuses, t.Status) {
		problems = append(problems, fmt.Sprintf("status %q", t.Status))
	}
	if !isoTime.MatchString(t.CreatedAt) || !isoTime.MatchString(t.LastUpdatedAt) {
		problems = append(problems, fmt.Sprintf("createdAt %q, lastUpdatedAt %q", t.CreatedAt, t.LastUpdatedAt))
	}
	if !hasMember(raw, "ttlMs") {
		problems = append(problems, "no ttlMs")
	}
	if t.TTLMs != nil && *t.TTLMs < 0 || t.PollIntervalMs != nil && *t.PollIntervalMs < 0 {
		problems = append(problems, "a negative duration")
	}
	if len(problems) > 0 {
		c.reportf(spec.TasksTaskShape, "taskId, a status of the five, ISO 8601 createdAt and lastUpdatedAt, ttlMs (integer or null)", "a Task with %v", problems)
	}
}

// checkTaskMethod judges tasks/get, tasks/update and tasks/cancel.
func checkTaskMethod(c *ctx) {
	if !declaresTasks(c) {
		rv := c.view()
		if !serverDeclaresTasks(c) || rv.skip || len(rv.defects) > 0 || !c.answered() {
			return
		}
		c.judge(spec.TasksMethodsUndeclared)
		if code, ok := c.errCode(); !ok || code != wire.CodeMissingRequiredClientCapability {
			got := "a result"
			if ok {
				got = fmt.Sprintf("error %d", code)
			}
			c.reportf(spec.TasksMethodsUndeclared, "error -32021 naming "+wire.ExtensionTasks, "%s to %s from a request that does not declare the extension", got, c.method)
		}
		return
	}
	if c.result == nil {
		return
	}
	// Another resultType than "complete" and "task" is the core rules'
	// (CORE-RESULT-TYPE, CORE-RESULT-TYPE-KNOWN, CORE-MRTR-METHODS).
	c.judge(spec.TasksResultTypeComplete)
	if rt, _ := c.resultType(); rt == wire.ResultTask {
		c.reportf(spec.TasksResultTypeComplete, `resultType "complete"`, "resultType %q on a %s result", rt, c.method)
		return
	}
	switch r := c.ex.Replies[c.final].Result.(type) {
	case *wire.TaskAckResult:
		c.judge(spec.TasksAckEmpty)
		if len(r.Extra) > 0 {
			names := make([]string, 0, len(r.Extra))
			for k := range r.Extra {
				names = append(names, k)
			}
			slices.Sort(names)
			c.reportf(spec.TasksAckEmpty, "an empty result (resultType and _meta only)", "a %s acknowledgement carrying %v", c.method, names)
		}
	case *wire.GetTaskResult:
		checkGetTask(c, r)
	}
}

// checkGetTask judges a tasks/get result and follows the task's status.
func checkGetTask(c *ctx, r *wire.GetTaskResult) {
	d := r.Detailed()
	t := d.Task()
	judgeTaskShape(c, &t, c.result.Result)
	c.judge(spec.TasksGetPayload)
	if p := d.PayloadProblem(); p != "" && slices.Contains(wire.TaskStatuses, d.Status) {
		c.report(spec.TasksGetPayload, p, "the payload of the status: inputRequests (input_required), result (completed), error (failed), none otherwise")
	}
	p, _ := c.params.(*wire.TaskRequestParams)
	if p == nil || p.TaskID == "" {
		return
	}
	old, known := c.facts().tasks[p.TaskID]
	who := taskPrincipal(c)
	if known && old.principal != "" && who != "" && old.principal != who {
		c.judge(spec.TasksAuthEach)
		c.reportf(spec.TasksAuthEach, "another principal's task refused (any rejection)", "task %s, created by one principal, served to another by tasks/get", p.TaskID)
		return
	}
	if known {
		c.judge(spec.TasksTerminalFinal)
		if wire.TaskTerminal(old.status) && d.Status != old.status {
			c.reportf(spec.TasksTerminalFinal, "a terminal status never changes", "task %s %s after it was %s", p.TaskID, d.Status, old.status)
		}
	}
	reqs := map[string]string{}
	for k, v := range d.InputRequests {
		reqs[k] = canonicalJSON(v)
	}
	if len(reqs) > 0 {
		c.judge(spec.TasksInputKeysUnique)
	}
	for k, v := range reqs {
		if prev, ok := old.keys[k]; ok && prev != v {
			c.reportf(spec.TasksInputKeysUnique, "each key names one request over the task's lifetime", "task %s: key %q names two distinct requests", p.TaskID, k)
		}
	}
	if d.TaskID != p.TaskID || !slices.Contains(wire.TaskStatuses, d.Status) {
		return
	}
	status := d.Status
	if wire.TaskTerminal(old.status) {
		status = old.status // the first terminal status is the task's
	}
	recordTask(c, p.TaskID, func(f *taskFact) {
		if f.principal == "" {
			f.principal = who
		}
		f.status = status
		for k, v := range reqs {
			if _, ok := f.keys[k]; !ok {
				f.keys = withKey(f.keys, k, v)
			}
		}
	})
}

// withKey returns a copy of m with k set to v.
func withKey(m map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(m)+1)
	for mk, mv := range m {
		out[mk] = mv
	}
	out[k] = v
	return out
}

// recordTask replaces the fact of task id by a copy that edit changed.
func recordTask(c *ctx, id string, edit func(*taskFact)) {
	old := c.facts().tasks[id]
	n := old
	edit(&n)
	if n.principal == old.principal && n.status == old.status && len(n.keys) == len(old.keys) {
		return
	}
	l := c.learn()
	own(c, ownTasks, &l.tasks)[id] = n
}

// canonicalJSON re-encodes raw with sorted members, to compare requests.
func canonicalJSON(raw wire.Value) string {
	v := append(wire.Value(nil), raw...)
	if err := v.Canonicalize(); err != nil {
		return string(raw)
	}
	return string(v)
}

// serverDeclaresTasks: server/discover was seen declaring the extension.
// The rules that oblige a server to refuse what needs the extension apply
// only to servers that implement it: to another, tasks/get is an unknown
// method.
func serverDeclaresTasks(c *ctx) bool {
	f := c.facts()
	return f.discovered && slices.Contains(f.caps.extensions, wire.ExtensionTasks)
}

// acceptsTaskResultType: "task" is the tasks extension's resultType; the
// core rule leaves it to the tasks rules unless the server declared
// extensions that do not include it.
func acceptsTaskResultType(c *ctx) bool {
	f := c.facts()
	return !f.discovered || slices.Contains(f.caps.extensions, wire.ExtensionTasks)
}
