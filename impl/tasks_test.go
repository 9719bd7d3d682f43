package impl

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// tasksMeta is a request _meta that declares the tasks extension (and
// elicitation).
func tasksMeta() map[string]any {
	return meta(map[string]any{wire.MetaClientCapabilities: map[string]any{
		"elicitation": map[string]any{},
		"extensions":  map[string]any{wire.ExtensionTasks: map[string]any{}},
	}})
}

// taskCall calls a tool as the holder of token, declaring the extension.
func taskCall(h *harness, token, name string, args map[string]any) *resp {
	h.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	return callAs(h, token, name, args, map[string]any{"_meta": tasksMeta()})
}

// taskDo sends a tasks/* request as the holder of token; declare says
// whether it declares the extension.
func taskDo(h *harness, token, method, id string, declare bool, extra map[string]any) *resp {
	h.t.Helper()
	p := map[string]any{"taskId": id}
	if declare {
		p["_meta"] = tasksMeta()
	}
	for k, v := range extra {
		p[k] = v
	}
	r := rpc{Method: method, Params: p}
	if token != "" {
		r.Headers = map[string]string{"Authorization": "Bearer " + token}
	}
	return h.do(r)
}

// createTask calls a tool that must create a task and returns its ID.
func createTask(t *testing.T, h *harness, token, name string, args map[string]any) string {
	t.Helper()
	r := taskCall(h, token, name, args)
	res := r.result()
	id, _ := res["taskId"].(string)
	if res["resultType"] != wire.ResultTask || !strings.HasPrefix(id, taskPrefix) || len(id) != len(taskPrefix)+22 {
		t.Fatalf("%s did not create a task: %s", name, r.body)
	}
	for _, m := range []string{"result", "error", "inputRequests", "requestState", "task"} {
		if _, ok := res[m]; ok {
			t.Errorf("CreateTaskResult carries %s: %s", m, r.body)
		}
	}
	if res["status"] != wire.TaskWorking || res["ttlMs"] == nil || res["createdAt"] == nil {
		t.Errorf("CreateTaskResult: %s", r.body)
	}
	return id
}

// pollTask polls tasks/get until the task's status is one of want or
// terminal, at most 250 times 20ms apart, and returns the last result.
func pollTask(t *testing.T, h *harness, token, id string, want ...string) map[string]any {
	t.Helper()
	var res map[string]any
	for range 250 {
		r := taskDo(h, token, "tasks/get", id, true, nil)
		res = r.result()
		if res == nil {
			t.Fatalf("tasks/get: %s", r.body)
		}
		st, _ := res["status"].(string)
		if wire.TaskTerminal(st) || strings.Contains(strings.Join(want, " "), st) {
			return res
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("task %s never reached %v: %v", id, want, res)
	return nil
}

// checkGetResult decodes a tasks/get result strictly and checks its
// variant.
func checkGetResult(t *testing.T, res map[string]any) {
	t.Helper()
	raw, _ := json.Marshal(res)
	info, _ := wire.LookupMethod("tasks/get")
	r, err := wire.DecodeResult(info, raw)
	if err != nil {
		t.Fatalf("tasks/get result: %v", err)
	}
	g := r.(*wire.GetTaskResult)
	d := g.Detailed()
	if p := d.PayloadProblem(); p != "" || g.ResultType != wire.ResultComplete {
		t.Errorf("tasks/get result %s: %s", raw, p)
	}
}

func isAck(t *testing.T, r *resp) {
	t.Helper()
	res := r.result()
	if res == nil || res["resultType"] != wire.ResultComplete || len(res) != 2 || res["_meta"] == nil {
		t.Errorf("want an empty ack: %s", r.body)
	}
}

func TestTaskLifecycle(t *testing.T) {
	h := newHarness(t, Config{})
	id := createTask(t, h, "", "slow_compute", map[string]any{"seconds": 0.2, "label": "x"})
	// Created means tasks/get resolves, at once.
	if r := taskDo(h, "", "tasks/get", id, true, nil); get(r.result(), "taskId") != id {
		t.Fatalf("immediate tasks/get: %s", r.body)
	}
	res := pollTask(t, h, "", id)
	checkGetResult(t, res)
	if res["status"] != wire.TaskCompleted || !strings.Contains(fmt.Sprint(get(res, "result", "content")), `Computed "x" after 200ms`) {
		t.Errorf("completed task: %v", res)
	}
	// seconds 0 is answered at once, without a task.
	if r := taskCall(h, "", "slow_compute", map[string]any{"seconds": 0}); get(r.result(), "resultType") != wire.ResultComplete {
		t.Errorf("slow_compute 0: %s", r.body)
	}
	// greet is never a task, whatever a legacy task member says.
	r := callAs(h, "", "greet", map[string]any{"name": "W"}, map[string]any{"_meta": tasksMeta(), "task": map[string]any{"ttl": 1000}})
	if get(r.result(), "resultType") != wire.ResultComplete || !strings.Contains(string(r.body), "Hello, W!") {
		t.Errorf("greet: %s", r.body)
	}
	// tasks/result and tasks/list are gone.
	for _, m := range []string{"tasks/result", "tasks/list"} {
		if r := taskDo(h, "", m, id, true, nil); r.errCode() != wire.CodeMethodNotFound {
			t.Errorf("%s: %s", m, r.body)
		}
	}
	// The server declares the extension.
	if get(h.do(rpc{Method: "server/discover"}).result(), "capabilities", "extensions", wire.ExtensionTasks) == nil {
		t.Error("discover does not declare the tasks extension")
	}
}

func TestTaskNeedsExtension(t *testing.T) {
	h := newHarness(t, Config{})
	id := createTask(t, h, "", "slow_compute", map[string]any{"seconds": 60})
	// Without the extension: no task, ever.
	if r := callAs(h, "", "slow_compute", map[string]any{"seconds": 0.01}, nil); get(r.result(), "resultType") != wire.ResultComplete || get(r.result(), "taskId") != nil {
		t.Errorf("slow_compute without the extension: %s", r.body)
	}
	for name, args := range map[string]map[string]any{"failing_job": nil, "multi_input": nil, "test_tool_with_task": nil, "slow_compute": {"seconds": 11}} {
		r := callAs(h, "", name, args, nil)
		if r.errCode() != wire.CodeMissingRequiredClientCapability || get(r.msg, "error", "data", "requiredCapabilities", "extensions", wire.ExtensionTasks) == nil {
			t.Errorf("%s without the extension: %s", name, r.body)
		}
	}
	for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
		r := taskDo(h, "", m, id, false, map[string]any{"inputResponses": map[string]any{}})
		if r.errCode() != wire.CodeMissingRequiredClientCapability || get(r.msg, "error", "data", "requiredCapabilities", "extensions", wire.ExtensionTasks) == nil {
			t.Errorf("%s without the extension: %s", m, r.body)
		}
	}
	// Mcp-Name mirrors taskId.
	r := h.do(rpc{Method: "tasks/get", Params: map[string]any{"taskId": id, "_meta": tasksMeta()}, Headers: map[string]string{"Mcp-Name": "task_other"}})
	if r.errCode() != wire.CodeHeaderMismatch {
		t.Errorf("mismatched Mcp-Name: %s", r.body)
	}
	// Task notifications need the extension too.
	r = h.do(rpc{Method: "subscriptions/listen", Params: map[string]any{"notifications": map[string]any{"taskIds": []string{id}}}})
	if r.errCode() != wire.CodeMissingRequiredClientCapability {
		t.Errorf("listen for task notifications without the extension: %s", r.body)
	}
}

// TestTaskIsolation: another principal's task is unknown to the caller,
// with the answer an unknown ID gets, and is left as it was.
func TestTaskIsolation(t *testing.T) {
	h := newHarness(t, Config{Tokens: testTokens})
	id := createTask(t, h, tokAlice, "confirm_delete", map[string]any{"filename": "f"})
	res := pollTask(t, h, tokAlice, id, wire.TaskInputRequired)
	var key string
	for k := range res["inputRequests"].(map[string]any) {
		key = k
	}
	unknown := "task_" + strings.Repeat("A", 22)
	for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
		extra := map[string]any{"inputResponses": map[string]any{key: map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}}
		bob := taskDo(h, tokBob, m, id, true, extra)
		none := taskDo(h, tokAlice, m, unknown, true, extra)
		if bob.errCode() != wire.CodeInvalidParams || !bytes.Equal(bob.body, bytes.ReplaceAll(none.body, []byte(unknown), []byte(id))) {
			t.Errorf("%s of another's task: %s\nof an unknown one: %s", m, bob.body, none.body)
		}
	}
	if res := pollTask(t, h, tokAlice, id, wire.TaskInputRequired); res["status"] != wire.TaskInputRequired {
		t.Errorf("alice's task after bob's attempts: %v", res)
	}
	// The same principal under a rotated token holds it.
	if r := taskDo(h, "tok-alice-rotated", "tasks/get", id, true, nil); get(r.result(), "taskId") != id {
		t.Errorf("rotated token: %s", r.body)
	}
}

func TestTaskCancel(t *testing.T) {
	h := newHarness(t, Config{})
	id := createTask(t, h, "", "slow_compute", map[string]any{"seconds": 600})
	isAck(t, taskDo(h, "", "tasks/cancel", id, true, nil))
	res := pollTask(t, h, "", id)
	checkGetResult(t, res)
	if res["status"] != wire.TaskCancelled {
		t.Fatalf("after cancel: %v", res)
	}
	// A terminal task: the same ack, and the status never changes.
	isAck(t, taskDo(h, "", "tasks/cancel", id, true, nil))
	done := createTask(t, h, "", "slow_compute", map[string]any{"seconds": 0.05})
	if st := pollTask(t, h, "", done)["status"]; st != wire.TaskCompleted {
		t.Fatalf("slow_compute: %v", st)
	}
	isAck(t, taskDo(h, "", "tasks/cancel", done, true, nil))
	if st := pollTask(t, h, "", done)["status"]; st != wire.TaskCompleted {
		t.Errorf("a completed task cancelled became %v", st)
	}
	// The cancelled work stopped: its goroutine is gone, so Close does
	// not wait for it.
	closed := make(chan struct{})
	go func() { h.s.Close(); close(closed) }()
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("Close waited for cancelled work")
	}
}

// TestTaskInput: input during a task, through tasks/get and tasks/update.
func TestTaskInput(t *testing.T) {
	h := newHarness(t, Config{})
	id := createTask(t, h, "", "multi_input", nil)
	res := pollTask(t, h, "", id, wire.TaskInputRequired)
	checkGetResult(t, res)
	reqs, _ := res["inputRequests"].(map[string]any)
	if len(reqs) != 2 {
		t.Fatalf("multi_input: %v", res)
	}
	var keys []string
	for k := range reqs {
		keys = append(keys, k)
	}
	answer := map[string]any{"action": "accept", "content": map[string]any{"name": "n", "confirm": true}}
	// A bad answer to an outstanding key is refused; unknown keys are
	// ignored, whatever their shape.
	if r := taskDo(h, "", "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{keys[0]: map[string]any{"action": "maybe"}}}); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("bad answer: %s", r.body)
	}
	isAck(t, taskDo(h, "", "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{"unknown-key": map[string]any{"ignored": true}}}))
	// A partial answer: the answered key is gone at once, the other stays.
	isAck(t, taskDo(h, "", "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{keys[0]: answer}}))
	res = taskDo(h, "", "tasks/get", id, true, nil).result()
	if left, _ := res["inputRequests"].(map[string]any); res["status"] != wire.TaskInputRequired || len(left) != 1 || left[keys[1]] == nil {
		t.Fatalf("after a partial answer: %v", res)
	}
	isAck(t, taskDo(h, "", "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{keys[1]: answer}}))
	res = pollTask(t, h, "", id)
	if res["status"] != wire.TaskCompleted || !strings.Contains(fmt.Sprint(res["result"]), "Both inputs received") {
		t.Errorf("multi_input: %v", res)
	}
	// confirm_delete asks once and completes with the answer.
	id = createTask(t, h, "", "confirm_delete", map[string]any{"filename": "a.txt"})
	res = pollTask(t, h, "", id, wire.TaskInputRequired)
	for k := range res["inputRequests"].(map[string]any) {
		isAck(t, taskDo(h, "", "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{k: map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}}))
	}
	if res = pollTask(t, h, "", id); !strings.Contains(fmt.Sprint(res["result"]), "Deleted a.txt") {
		t.Errorf("confirm_delete: %v", res)
	}
}

// TestTaskMRTRThenTask: test_tool_with_task asks by InputRequiredResult,
// then creates the task on the retry.
func TestTaskMRTRThenTask(t *testing.T) {
	h := newHarness(t, Config{})
	r := taskCall(h, "", "test_tool_with_task", nil)
	if get(r.result(), "resultType") != wire.ResultInputRequired || get(r.result(), "taskId") != nil {
		t.Fatalf("round 1: %s", r.body)
	}
	r = callAs(h, "", "test_tool_with_task", map[string]any{}, map[string]any{"_meta": tasksMeta(),
		"requestState":   get(r.result(), "requestState"),
		"inputResponses": map[string]any{"user_name": map[string]any{"action": "accept", "content": map[string]any{"name": "Alice"}}}})
	id, _ := get(r.result(), "taskId").(string)
	if get(r.result(), "resultType") != wire.ResultTask || get(r.result(), "requestState") != nil {
		t.Fatalf("round 2: %s", r.body)
	}
	if res := pollTask(t, h, "", id); !strings.Contains(fmt.Sprint(res["result"]), "Hello, Alice!") {
		t.Errorf("task result: %v", res)
	}
}

// TestTaskFailedIsForJSONRPCErrors: a tool error completes; a JSON-RPC
// error fails, with the error inlined and no result.
func TestTaskFailedIsForJSONRPCErrors(t *testing.T) {
	h := newHarness(t, Config{})
	res := pollTask(t, h, "", createTask(t, h, "", "failing_job", nil))
	checkGetResult(t, res)
	if res["status"] != wire.TaskCompleted || get(res, "result", "isError") != true {
		t.Errorf("failing_job: %v", res)
	}
	res = pollTask(t, h, "", createTask(t, h, "", "protocol_error_job", nil))
	checkGetResult(t, res)
	if res["status"] != wire.TaskFailed || get(res, "error", "code") != float64(wire.CodeInternalError) || res["result"] != nil {
		t.Errorf("protocol_error_job: %v", res)
	}
}

// TestTaskExpiry: past its ttlMs a running task is failed and its work
// stopped; a minute later it is purged.
func TestTaskExpiry(t *testing.T) {
	clk := newTestClock()
	h := newHarness(t, Config{Now: clk.Now, TaskTTL: time.Hour})
	id := createTask(t, h, "", "slow_compute", map[string]any{"seconds": 600})
	clk.Advance(time.Hour + time.Second)
	res := taskDo(h, "", "tasks/get", id, true, nil).result()
	checkGetResult(t, res)
	if res["status"] != wire.TaskFailed || res["error"] == nil {
		t.Fatalf("expired task: %v", res)
	}
	clk.Advance(taskPurgeDelay)
	if r := taskDo(h, "", "tasks/get", id, true, nil); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("purged task: %s", r.body)
	}
	if _, _, n := h.s.store.(*MemoryStore).counts(); n != 0 {
		t.Errorf("%d tasks held after the purge", n)
	}
}

func TestTaskLimits(t *testing.T) {
	clk := newTestClock()
	h := newHarness(t, Config{Tokens: testTokens, Now: clk.Now, MaxTasks: 2, MaxTasksTotal: 5, TaskTTL: time.Minute})
	for range 2 {
		createTask(t, h, tokAlice, "slow_compute", map[string]any{"seconds": 600})
	}
	r := taskCall(h, tokAlice, "slow_compute", map[string]any{"seconds": 600})
	if get(r.result(), "isError") != true || !strings.Contains(string(r.body), "2 tasks per principal") {
		t.Errorf("a third task: %s", r.body)
	}
	// The limit is per principal; purged tasks free their places.
	createTask(t, h, tokBob, "slow_compute", map[string]any{"seconds": 600})
	clk.Advance(time.Minute + taskPurgeDelay + time.Second)
	createTask(t, h, tokAlice, "slow_compute", map[string]any{"seconds": 600})
	if _, err := New(Config{MaxTasks: 10, MaxTasksTotal: 10}); err == nil {
		t.Error("MaxTasksTotal not above MaxTasks accepted")
	}
}

// TestTaskCloseStopsWork: Close stops every task's work and waits for it.
func TestTaskCloseStopsWork(t *testing.T) {
	h := newHarness(t, Config{})
	var ids []string
	for range 5 {
		ids = append(ids, createTask(t, h, "", "slow_compute", map[string]any{"seconds": 600}))
	}
	h.s.Close()
	for _, id := range ids {
		if st := taskDo(h, "", "tasks/get", id, true, nil).result()["status"]; st != wire.TaskCancelled {
			t.Errorf("task %s after Close: %v", id, st)
		}
	}
}

// TestTaskInputKeysNeverReused: a task that asks twice for the same form
// gets a new key each time, and the answered key is never asked again.
func TestTaskInputKeysNeverReused(t *testing.T) {
	s := newTestServer(t, Config{})
	defer s.Close()
	ctx := context.Background()
	now := s.now()
	const id = "task_test"
	rec := TaskRecord{Created: now, Updated: now, Expires: now.Add(time.Hour), Status: wire.TaskWorking}
	if err := s.store.CreateTask(ctx, "", id, rec, time.Hour, s.cfg.taskQuota()); err != nil {
		t.Fatal(err)
	}
	r := s.tasks.newRun("", id)
	defer r.stop()
	watched := make(chan struct{})
	go func() { defer close(watched); r.watch() }()
	defer func() { r.stop(); <-watched }()
	seen := map[string]bool{}
	for round := range 3 {
		got := make(chan map[string]*elicitResult, 1)
		go func() { got <- r.elicit(r.ctx, map[string]*elicitForm{"confirm": formConfirmDelete}) }()
		var key string
		for range 2000 {
			rec, err := s.store.Task(ctx, "", id)
			if err != nil {
				t.Fatal(err)
			}
			for k := range rec.Pending {
				key = k
			}
			if key != "" {
				break
			}
			time.Sleep(time.Millisecond)
		}
		if key == "" || seen[key] {
			t.Fatalf("round %d: key %q (seen before: %v)", round, key, seen)
		}
		seen[key] = true
		_, err := s.store.UpdateTask(ctx, "", id, func(rec *TaskRecord) error {
			rec.Answers = map[string]TaskAnswer{key: {Action: "accept"}}
			delete(rec.Pending, key)
			rec.Status = wire.TaskWorking
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if r := <-got; r["confirm"] == nil {
			t.Fatalf("round %d: answers %v", round, r)
		}
	}
}
