package tasks

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/randomness"
	"github.com/mcpverify/mcpverify/check/staterun"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Who may read, answer and cancel a task (SEP-2663, Security
// Implications: "authentication and authorization checks on each
// task-related request").
//
// The first principal creates a task and reads it (the baseline: served);
// the second creates and reads one of its own (it may use tasks at all).
// Then the second principal's tasks/get, tasks/update (an empty
// inputResponses) and tasks/cancel of the first's task must each be
// refused (TASKS-AUTH-EACH: any rejection, an error or a tool error); one
// served fails, and so does a refused tasks/cancel after which the first
// principal reads the task cancelled. Where the server authenticates, a
// tasks/get without credentials must be refused too. The second
// principal's refused tasks/get is compared with its tasks/get of an ID of
// the same shape never returned (TASKS-AUTH-ORACLE, hardening): HTTP
// status, error code and message, the IDs masked.

var principalIDs = []spec.ID{spec.TasksAuthEach, spec.TasksAuthOracle}

func init() {
	check.Register(&check.Check{Name: "tasks/principals", IDs: principalIDs, Needs: needsTasks, Run: checkPrincipals})
}

func checkPrincipals(e *check.Env) {
	s := taskTools(e, principalIDs)
	if s == nil {
		return
	}
	if !probe.NeedPrincipals(e, principalIDs) {
		return
	}
	t := s.tools[0]
	owner, alt := taskClient(e, e.Client), taskClient(e, e.AsAlt(e.Client))
	id, made, base, ok := ownTask(e, owner, t, "the first principal")
	if !ok {
		return
	}
	defer taskRequest(e, owner, 0, "tasks/cancel", id)
	altID, _, _, ok := ownTask(e, alt, t, "the second principal")
	if !ok {
		return
	}
	defer taskRequest(e, alt, 0, "tasks/cancel", altID)
	owned := []*wire.Exchange{made.Ex, base.Ex}
	before, _ := gotTask(base)
	fake := randomness.SameShape(e, id)
	var refused []string
	var foreign check.Observation // the second principal's refused tasks/get
	failed := false
	for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
		o := taskRequest(e, alt, 0, m, id)
		switch oc := staterun.RetryOutcome(o); {
		case oc.Kind == staterun.OutComplete && m == "tasks/get":
			failed = true
			e.ViolationShown(append(owned, o.Ex), spec.TasksAuthEach, "the second principal's tasks/get of the first principal's task %.40q was served (%s): each task request must be checked against the task's owner", id, oc.Desc)
		case oc.Kind == staterun.OutComplete:
			// An acknowledgement: evidence only where a task that does not
			// exist is refused (a server may acknowledge every ID alike).
			u := taskRequest(e, alt, 0, m, fake)
			if staterun.RetryOutcome(u).Kind.Refused() {
				failed = true
				e.ViolationShown(append(owned, o.Ex, u.Ex), spec.TasksAuthEach, "the second principal's %s of the first principal's task %.40q was acknowledged (%s), while the same request for a task that does not exist was refused (%s): the server found the task and did not check its owner", m, id, oc.Desc, u.Describe())
			} else {
				refused = append(refused, m+" (acknowledged as a task that does not exist is)")
			}
		case oc.Kind.Refused():
			refused = append(refused, m)
			if m == "tasks/get" {
				foreign = o
			}
		default:
			e.Inconclusive(spec.TasksAuthEach, "the second principal's %s of the first principal's task: %s", m, oc.Desc)
		}
	}
	if after := taskRequest(e, owner, 0, "tasks/get", id); !failed && !wire.TaskTerminal(before.Status) {
		if d, ok := gotTask(after); ok && d.Status == wire.TaskCancelled {
			failed = true
			e.ViolationShown(append(owned, after.Ex), spec.TasksAuthEach, "the first principal's task %.40q, %s before, reads cancelled after the second principal's tasks/cancel of it: the second principal cancelled another's task", id, before.Status)
		}
	}
	if a := e.ProbeAuth(); a.Authenticates && !failed {
		anon := taskClient(e, e.AsAnonymous(e.Client))
		o := taskRequest(e, anon, 0, "tasks/get", id)
		if staterun.RetryOutcome(o).Kind == staterun.OutComplete {
			failed = true
			e.ViolationShown(append(owned, o.Ex), spec.TasksAuthEach, "tasks/get of the first principal's task %.40q without any credentials was served: possession of a task ID must not act as authentication", id)
		} else {
			refused = append(refused, "tasks/get without credentials")
		}
	}
	if !failed && len(refused) >= 3 {
		e.Pass(spec.TasksAuthEach, "the second principal's requests of the first principal's task were refused (%s), though its own task was served", strings.Join(refused, ", "))
	}
	judgeOracle(e, alt, id, fake, foreign, owned)
}

// ownTask creates a task of t as c (who) and reads it: the baseline that
// c may use tasks at all. When either is not served, principalIDs are
// inconclusive and ok is false.
func ownTask(e *check.Env, c check.Client, t *taskTool, who string) (id string, made, got check.Observation, ok bool) {
	made, id = create(e, c, t)
	got = taskRequest(e, c, 0, "tasks/get", id)
	if _, served := gotTask(got); id == "" || !served {
		probe.InconclusiveAll(e, principalIDs, "%s could not create and read a task of its own with %s (%s; %s)", who, t.name, made.Describe(), got.Describe())
		return id, made, got, false
	}
	return id, made, got, true
}

// judgeOracle compares the refusal of another principal's task with the
// refusal of a task that does not exist.
func judgeOracle(e *check.Env, alt check.Client, id, fake string, foreign check.Observation, owned []*wire.Exchange) {
	oid := spec.TasksAuthOracle
	if foreign.Ex == nil {
		e.Skip(oid, "the second principal's tasks/get of the first principal's task was not refused: there is no refusal to compare")
		return
	}
	none := taskRequest(e, alt, 0, "tasks/get", fake)
	a, b := staterun.RefusalShape(foreign, id), staterun.RefusalShape(none, fake)
	switch {
	case !staterun.RetryOutcome(none).Kind.Refused():
		e.Inconclusive(oid, "a taskId never returned (%.40q) was not refused (%s)", fake, none.Describe())
	case a != b:
		e.ViolationShown(append(owned, foreign.Ex, none.Ex), oid, "tasks/get refuses another principal's task and a task that does not exist differently: %s versus %s; the difference tells a prober which task IDs exist", staterun.TruncateText(a, 200), staterun.TruncateText(b, 200))
	default:
		e.Pass(oid, "tasks/get refuses another principal's task exactly as a task that never existed (%s)", staterun.TruncateText(a, 160))
	}
}

// The task flood.

const (
	// DefaultTaskFlood is the most tasks the flood creates by default.
	DefaultTaskFlood = 200
	// TaskFloodTime bounds the creations of the flood; floodCancelTime
	// bounds the cancellations after it.
	TaskFloodTime   = 20 * time.Second
	floodCancelTime = 10 * time.Second
)

func init() {
	check.Register(&check.Check{Name: "tasks/quota", IDs: []spec.ID{spec.TasksLimit}, Needs: needsTasks, Run: checkFlood,
		Timeout: TaskFloodTime + floodCancelTime + 5*time.Second})
}

// checkFlood creates tasks as the first principal, one after another,
// until one is refused, the flood's size is reached or TaskFloodTime
// passes; then cancels them. A refusal (a JSON-RPC error or a tool error)
// shows a limit (TASKS-LIMIT passes, naming it); the whole flood created
// without one warns. It runs after the other task checks (it may leave
// the principal at its limit until the tasks are purged).
func checkFlood(e *check.Env) {
	id := spec.TasksLimit
	n := e.Opts.TaskFlood
	if n == 0 {
		n = DefaultTaskFlood
	}
	if n < 0 {
		e.Skip(id, "the task flood is off (--task-flood 0)")
		return
	}
	s := taskTools(e, []spec.ID{id})
	if s == nil {
		return
	}
	t := s.tools[0]
	tc := taskClient(e, e.Client)
	start := time.Now()
	deadline := start.Add(TaskFloodTime)
	var made []string
	var refusal check.Observation
	var other []string
	for len(made) < n && time.Now().Before(deadline) && e.Ctx.Err() == nil {
		o, tid := create(e, tc, t)
		if tid != "" {
			made = append(made, tid)
			continue
		}
		if oc := staterun.RetryOutcome(o); oc.Kind.Refused() {
			refusal = o
			break
		}
		if other = append(other, o.Describe()); len(other) >= 3 {
			break // not tasks, and not refusals: nothing to count
		}
	}
	took := time.Since(start).Round(time.Millisecond)
	stop := time.Now().Add(floodCancelTime)
	cancelled := 0
	for _, tid := range made {
		if time.Now().After(stop) || e.Ctx.Err() != nil {
			break
		}
		taskRequest(e, tc, 0, "tasks/cancel", tid)
		cancelled++
	}
	left := ""
	if cancelled < len(made) {
		left = fmt.Sprintf("; %d of them were left uncancelled (no time)", len(made)-cancelled)
	}
	switch {
	case refusal.Ex != nil:
		e.Pass(id, "after %d tasks of %s created in %v, the next was refused (%s): a limit%s", len(made), t.name, took, staterun.TruncateText(staterun.RefusalShape(refusal), 240), left)
	case len(made) >= n:
		e.Violation(id, "%d tasks of %s were created by one principal in %v without a refusal (--task-flood %d): no limit at or under that count%s", len(made), t.name, took, n, left)
	case len(other) > 0:
		e.Inconclusive(id, "after %d tasks, %s answered without a task and without a refusal (%s)%s", len(made), t.name, strings.Join(other, "; "), left)
	default:
		e.Inconclusive(id, "only %d tasks of %s were created in %v, fewer than the flood's %d, without a refusal%s", len(made), t.name, took, n, left)
	}
}
