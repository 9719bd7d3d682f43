package impl

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// The tasks fixtures of the official MCP conformance suite (its tasks-*
// scenarios), each showing one path of the tasks extension (tasks.go):
//
//   - greet: never a task;
//   - slow_compute: a task when the request declares the extension and
//     seconds > 0, else answered synchronously; cancellable;
//   - failing_job: requires a task (-32021 without the extension); ends
//     completed with isError, a tool error and no JSON-RPC one;
//   - protocol_error_job: a task whose work fails with a JSON-RPC error:
//     failed with the error inlined;
//   - confirm_delete, multi_input: tasks that ask for one and for two
//     elicitations during their work (input_required, tasks/update);
//   - test_tool_with_task: requires a task; asks for the user's name by
//     MRTR first, then creates the task whose result greets that name.

const (
	greetInput       = `{"type":"object","properties":{"name":{"type":"string"}},"required":["name"],"additionalProperties":false}`
	slowComputeInput = `{"type":"object","properties":{"seconds":{"type":"number","minimum":0,"maximum":600,"description":"How long to work, in seconds (at most 600)"},"label":{"type":"string"}},"additionalProperties":false}`
	confirmDelInput  = `{"type":"object","properties":{"filename":{"type":"string"}},"required":["filename"],"additionalProperties":false}`
	// failingJobDelay is how long failing_job works before its tool error.
	failingJobDelay = time.Second
)

// Elicitation forms of the tasks fixtures.
var (
	formConfirmDelete = newElicitForm("Delete the file?", map[string]string{"confirm": "boolean"})
	formTaskName      = newElicitForm("What is your name?", map[string]string{"name": "string"})
)

// taskForms are the forms a task's work may ask for, under the names its
// record keeps: whichever instance serves tasks/get or tasks/update finds
// the form, and checks the answers, by that name.
var taskForms = map[string]*elicitForm{
	"confirm_delete": formConfirmDelete,
	"task_name":      formTaskName,
}

func (r *registry) addTaskFixtures(s *Server) error {
	ttl := humanDuration(s.cfg.TaskTTL)
	specs := []struct {
		name, desc, input string
		run               toolFunc
		task              *taskSupport
	}{
		{name: "greet", desc: "Greets name synchronously: never a task", input: greetInput, run: runGreet},
		{name: "slow_compute", input: slowComputeInput, run: runSlowComputeSync, task: &taskSupport{plan: planSlowCompute},
			desc: fmt.Sprintf("Works for seconds seconds, then reports label. With the %s extension and seconds > 0 it runs as a task (lifetime %s, cancellable with tasks/cancel); otherwise it answers when done, for at most %v of work (longer work needs the extension).", wire.ExtensionTasks, ttl, slowSyncMax)},
		{name: "failing_job", input: noArgsSchema, task: &taskSupport{required: true, plan: planWork(workFailing)},
			desc: fmt.Sprintf("Runs only as a task (needs the %s extension); after a second it ends with a tool execution error (completed, isError).", wire.ExtensionTasks)},
		{name: "protocol_error_job", input: noArgsSchema, run: runProtocolError, task: &taskSupport{plan: planWork(workProtocolError)},
			desc: "Fails with a JSON-RPC internal error: as a task, the task fails with the error inlined."},
		{name: "confirm_delete", input: confirmDelInput, run: runConfirmDeleteSync, task: &taskSupport{plan: planConfirmDelete},
			desc: "Asks the user to confirm deleting filename (nothing is deleted: a fixture). As a task it asks through the task's inputRequests; otherwise by InputRequiredResult."},
		{name: "multi_input", input: noArgsSchema, task: &taskSupport{required: true, plan: planMultiInput},
			desc: fmt.Sprintf("Runs only as a task (needs the %s extension); asks for a name and a confirmation at once, and completes when both are answered.", wire.ExtensionTasks)},
		{name: "test_tool_with_task", input: noArgsSchema, task: &taskSupport{required: true, plan: planToolWithTask},
			desc: fmt.Sprintf("Needs the %s extension: asks for the user's name (InputRequiredResult), then creates a task whose result greets them.", wire.ExtensionTasks)},
	}
	for _, sp := range specs {
		run := sp.run
		if run == nil {
			// Reached only through the task path: a required task.
			run = func(*exchange, map[string]any, *inputs) (*wire.CallToolResult, *ask, *rpcError) {
				return nil, nil, errInternal("a task-only tool ran without a task")
			}
		}
		t, err := newTool(wire.Tool{Name: sp.name, Description: sp.desc, InputSchema: wire.Value(sp.input)}, run)
		if err != nil {
			return fmt.Errorf("impl: %w", err)
		}
		t.task = sp.task
		if err := r.addTool(t); err != nil {
			return err
		}
	}
	return nil
}

func runGreet(_ *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	return textResult(fmt.Sprintf("Hello, %v!", args["name"])), nil, nil
}

// planWork is the plan of a tool that always runs work as a task.
func planWork(work taskWork) func(*exchange, map[string]any, *inputs) (taskWork, *ask, *rpcError) {
	return func(*exchange, map[string]any, *inputs) (taskWork, *ask, *rpcError) { return work, nil, nil }
}

// slowSeconds reads slow_compute's seconds (validated: 0 to 600).
func slowSeconds(args map[string]any) time.Duration {
	n, _ := args["seconds"].(json.Number)
	f, _ := n.Float64()
	return time.Duration(f * float64(time.Second))
}

func slowResult(args map[string]any) *wire.CallToolResult {
	label, _ := args["label"].(string)
	return textResult(fmt.Sprintf("Computed %q after %v", label, slowSeconds(args)))
}

// slowSyncMax is the longest slow_compute works without a task: longer
// work is refused to a request without the extension (-32021), so that
// no request is held open for minutes.
const slowSyncMax = 10 * time.Second

func runSlowComputeSync(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	if slowSeconds(args) > slowSyncMax {
		return nil, nil, errTasksRequired(fmt.Sprintf("slow_compute for more than %v", slowSyncMax))
	}
	if sleep(x.ctx, slowSeconds(args)) != nil {
		return nil, nil, nil
	}
	return slowResult(args), nil, nil
}

// planSlowCompute answers at once when there is nothing to wait for (the
// SEP lets a server skip the task), else makes a task.
func planSlowCompute(_ *exchange, args map[string]any, _ *inputs) (taskWork, *ask, *rpcError) {
	if slowSeconds(args) == 0 {
		return nil, nil, nil
	}
	return func(ctx context.Context, _ *taskRun) (*wire.CallToolResult, *rpcError) {
		if sleep(ctx, slowSeconds(args)) != nil {
			return nil, nil
		}
		return slowResult(args), nil
	}, nil, nil
}

func workFailing(ctx context.Context, _ *taskRun) (*wire.CallToolResult, *rpcError) {
	if sleep(ctx, failingJobDelay) != nil {
		return nil, nil
	}
	return toolError("The job failed: the input could not be processed (a tool execution error)."), nil
}

// errJobCrashed is protocol_error_job's JSON-RPC error.
func errJobCrashed() *rpcError { return errInternal("the job crashed while running") }

func runProtocolError(*exchange, map[string]any, *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	return nil, nil, errJobCrashed()
}

func workProtocolError(ctx context.Context, _ *taskRun) (*wire.CallToolResult, *rpcError) {
	if sleep(ctx, 100*time.Millisecond) != nil {
		return nil, nil
	}
	return nil, errJobCrashed()
}

func deleteOutcome(filename string, r *elicitResult) *wire.CallToolResult {
	if r != nil && r.Action == "accept" && r.Content["confirm"] == true {
		return textResult(fmt.Sprintf("Deleted %s (a fixture: nothing was deleted).", filename))
	}
	return textResult(fmt.Sprintf("Kept %s: the deletion was not confirmed.", filename))
}

func runConfirmDeleteSync(_ *exchange, args map[string]any, in *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	r, err := in.elicitation("confirm", formConfirmDelete)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, &ask{requests: map[string]wire.InputRequest{"confirm": formConfirmDelete.request()}}, nil
	}
	return deleteOutcome(fmt.Sprint(args["filename"]), r), nil, nil
}

// needElicitation refuses a task that will ask for elicitation to a
// request that does not declare it (-32021), as an InputRequiredResult
// would be refused.
func needElicitation(x *exchange) *rpcError {
	need := &wire.ClientCapabilities{}
	if name := x.missingCapability(formConfirmDelete.request(), need); name != "" {
		return errMissingCapability(need, []string{name})
	}
	return nil
}

func planConfirmDelete(x *exchange, args map[string]any, _ *inputs) (taskWork, *ask, *rpcError) {
	if err := needElicitation(x); err != nil {
		return nil, nil, err
	}
	filename := fmt.Sprint(args["filename"])
	return func(ctx context.Context, in *taskRun) (*wire.CallToolResult, *rpcError) {
		got := in.elicit(ctx, map[string]*elicitForm{"confirm": formConfirmDelete})
		if got == nil {
			return nil, nil
		}
		return deleteOutcome(filename, got["confirm"]), nil
	}, nil, nil
}

func planMultiInput(x *exchange, _ map[string]any, _ *inputs) (taskWork, *ask, *rpcError) {
	if err := needElicitation(x); err != nil {
		return nil, nil, err
	}
	return func(ctx context.Context, in *taskRun) (*wire.CallToolResult, *rpcError) {
		got := in.elicit(ctx, map[string]*elicitForm{"name": formTaskName, "confirm": formConfirmDelete})
		if got == nil {
			return nil, nil
		}
		return textResult(fmt.Sprintf("Both inputs received: name %v (%s), confirm %v (%s).",
			got["name"].Content["name"], got["name"].Action, got["confirm"].Content["confirm"], got["confirm"].Action)), nil
	}, nil, nil
}

// planToolWithTask gathers the name by MRTR, synchronously, before the
// task exists (the SEP's SHOULD), then hands it to the task.
func planToolWithTask(x *exchange, args map[string]any, in *inputs) (taskWork, *ask, *rpcError) {
	res, a, err := runElicitName(x, args, in)
	if err != nil || a != nil {
		return nil, a, err
	}
	return func(ctx context.Context, _ *taskRun) (*wire.CallToolResult, *rpcError) {
		if sleep(ctx, 100*time.Millisecond) != nil {
			return nil, nil
		}
		return res, nil
	}, nil, nil
}
