package faulty

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/wire"
)

// The tasks variants driven directly: each test sends a variant and the
// reference configured alike the same requests, and shows the defect in
// the variant's answers and not in the reference's.

// taskServer is a server under test: a variant or the reference, on a
// loopback listener.
type taskServer struct {
	t   *testing.T
	url string
}

// serveTasks serves h on 127.0.0.1 until the test ends (srv is closed
// then, stopping its tasks).
func serveTasks(t *testing.T, h http.Handler, srv *impl.Server) *taskServer {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return &taskServer{t: t, url: ts.URL + impl.Endpoint}
}

// tasksPair serves the variant and the reference configured as it.
func tasksPair(t *testing.T, v *Variant) (variant, reference *taskServer) {
	t.Helper()
	h, srv, err := v.Handler()
	if err != nil {
		t.Fatal(err)
	}
	variant = serveTasks(t, h, srv)
	ref, err := impl.New(v.config())
	if err != nil {
		t.Fatal(err)
	}
	return variant, serveTasks(t, ref.Handler(), ref)
}

// lookupVariant finds a variant by name, among All and StateVariants.
func lookupVariant(t *testing.T, name string) *Variant {
	t.Helper()
	if v, err := Lookup(name); err == nil {
		return v
	}
	for _, sv := range StateVariants() {
		if sv.Name == name {
			return &sv.Variant
		}
	}
	t.Fatalf("no variant %s", name)
	return nil
}

// taskReq is one JSON-RPC request to send.
type taskReq struct {
	method  string
	params  map[string]any
	declare bool   // the tasks extension, in clientCapabilities
	token   string // bearer token, if any
}

// do POSTs req with the headers the reference wants (Mcp-Name mirroring
// the name or taskId) and returns the JSON-RPC answer (the last message of
// a stream).
func (s *taskServer) do(req taskReq) map[string]any {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := s.post(ctx, req)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatal(err)
	}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		var last []byte
		for _, line := range strings.Split(string(raw), "\n") {
			if d, ok := strings.CutPrefix(line, "data: "); ok {
				last = []byte(d)
			}
		}
		raw = last
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		s.t.Fatalf("%s: HTTP %d, not JSON: %s", req.method, res.StatusCode, raw)
	}
	return m
}

// post sends req and returns the response, its body unread.
func (s *taskServer) post(ctx context.Context, req taskReq) *http.Response {
	s.t.Helper()
	caps := map[string]any{"elicitation": map[string]any{}}
	if req.declare {
		caps["extensions"] = map[string]any{wire.ExtensionTasks: map[string]any{}}
	}
	p := map[string]any{"_meta": map[string]any{
		wire.MetaProtocolVersion:    wire.Version,
		wire.MetaClientInfo:         map[string]any{"name": "faulty-test", "version": "1"},
		wire.MetaClientCapabilities: caps,
	}}
	for k, v := range req.params {
		p[k] = v
	}
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": req.method, "params": p})
	if err != nil {
		s.t.Fatal(err)
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, s.url, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	hr.Header.Set("Content-Type", "application/json")
	hr.Header.Set("Accept", "application/json, text/event-stream")
	hr.Header.Set("MCP-Protocol-Version", wire.Version)
	hr.Header.Set("Mcp-Method", req.method)
	for _, k := range []string{"name", "taskId"} {
		if v, ok := req.params[k].(string); ok {
			hr.Header.Set("Mcp-Name", wire.EncodeHeaderValue(v))
		}
	}
	if req.token != "" {
		hr.Header.Set("Authorization", "Bearer "+req.token)
	}
	res, err := http.DefaultClient.Do(hr)
	if err != nil {
		s.t.Fatal(err)
	}
	return res
}

// call calls a tool, declaring the extension or not.
func (s *taskServer) call(token, tool string, args map[string]any, declare bool) map[string]any {
	s.t.Helper()
	if args == nil {
		args = map[string]any{}
	}
	return s.do(taskReq{method: "tools/call", params: map[string]any{"name": tool, "arguments": args}, declare: declare, token: token})
}

// task sends a tasks/* request, declaring the extension.
func (s *taskServer) task(token, method, id string) map[string]any {
	s.t.Helper()
	return s.do(taskReq{method: method, params: map[string]any{"taskId": id}, declare: true, token: token})
}

// create calls a tool that must create a task and returns its ID.
func (s *taskServer) create(token, tool string, args map[string]any) string {
	s.t.Helper()
	m := s.call(token, tool, args, true)
	r := resultOf(m)
	id, _ := r["taskId"].(string)
	if r["resultType"] != wire.ResultTask || id == "" {
		s.t.Fatalf("%s created no task: %v", tool, m)
	}
	return id
}

// poll polls tasks/get until the task is terminal (at most 5s).
func (s *taskServer) poll(token, id string) map[string]any {
	s.t.Helper()
	var r map[string]any
	for range 250 {
		m := s.task(token, "tasks/get", id)
		if r = resultOf(m); r == nil {
			s.t.Fatalf("tasks/get %s: %v", id, m)
		}
		if st, _ := r["status"].(string); wire.TaskTerminal(st) {
			return r
		}
		time.Sleep(20 * time.Millisecond)
	}
	s.t.Fatalf("task %s never ended: %v", id, r)
	return nil
}

// errCode is the code of a JSON-RPC error answer (0 for a result).
func errCode(m map[string]any) int64 {
	e, _ := m["error"].(map[string]any)
	if e == nil {
		return 0
	}
	c, _ := e["code"].(float64)
	return int64(c)
}

// TestTasksCreateUndeclared: a task tool called without the extension
// answers with a CreateTaskResult from the variant, and as the reference
// does otherwise (-32021 for a task-only tool, a plain result for
// slow_compute).
func TestTasksCreateUndeclared(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-create-undeclared"))
	for _, s := range []*taskServer{vs, ref} {
		job := s.call("", "failing_job", nil, false)
		slow := s.call("", "slow_compute", map[string]any{"seconds": 0.05}, false)
		greet := s.call("", "greet", map[string]any{"name": "W"}, false)
		if r := resultOf(greet); r == nil || r["resultType"] != wire.ResultComplete {
			t.Errorf("greet: %v", greet)
		}
		if s == vs {
			for _, m := range []map[string]any{job, slow} {
				if r := resultOf(m); r["resultType"] != wire.ResultTask || r["taskId"] == nil {
					t.Errorf("variant, without the extension: want a CreateTaskResult, got %v", m)
				}
			}
			continue
		}
		if errCode(job) != wire.CodeMissingRequiredClientCapability {
			t.Errorf("reference, failing_job without the extension: %v", job)
		}
		if r := resultOf(slow); r["resultType"] != wire.ResultComplete {
			t.Errorf("reference, slow_compute without the extension: %v", slow)
		}
	}
}

// TestTasksFailedForIsError: failing_job's task reads failed with a
// JSON-RPC error carrying the tool's text; the reference's reads
// completed with isError.
func TestTasksFailedForIsError(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-failed-for-iserror"))
	got := vs.poll("", vs.create("", "failing_job", nil))
	if st, _ := got["statusMessage"].(string); !strings.Contains(st, "The job failed") {
		t.Errorf("variant: statusMessage %q", st)
	}
	e, _ := got["error"].(map[string]any)
	msg, _ := e["message"].(string)
	if got["status"] != wire.TaskFailed || errCode(got) != wire.CodeInternalError || !strings.Contains(msg, "The job failed") || got["result"] != nil {
		t.Errorf("variant: want failed with -32603 and the tool's text, no result: %v", got)
	}
	want := ref.poll("", ref.create("", "failing_job", nil))
	if want["status"] != wire.TaskCompleted || inner(want)["isError"] != true || want["error"] != nil {
		t.Errorf("reference: want completed with isError: %v", want)
	}
	// A task that succeeds stays completed.
	ok := vs.poll("", vs.create("", "slow_compute", map[string]any{"seconds": 0.05}))
	if ok["status"] != wire.TaskCompleted || ok["result"] == nil {
		t.Errorf("variant, a successful task: %v", ok)
	}
}

// referenceTaskID is the shape of the reference's task IDs.
var referenceTaskID = regexp.MustCompile(`^task_[A-Za-z0-9_-]{22}$`)

// TestTasksSequentialIDs: the variant's tasks are task-1, task-2, and
// work under those IDs as the reference's under theirs.
func TestTasksSequentialIDs(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-sequential-ids"))
	a := vs.create("", "slow_compute", map[string]any{"seconds": 60})
	b := vs.create("", "slow_compute", map[string]any{"seconds": 60})
	if a != "task-1" || b != "task-2" {
		t.Fatalf("variant: task IDs %q, %q, want task-1, task-2", a, b)
	}
	if r := resultOf(vs.task("", "tasks/get", a)); r["taskId"] != a || r["status"] != wire.TaskWorking {
		t.Errorf("variant: tasks/get %s: %v", a, r)
	}
	if m := vs.task("", "tasks/cancel", b); resultOf(m) == nil {
		t.Errorf("variant: tasks/cancel %s: %v", b, m)
	}
	if r := resultOf(vs.task("", "tasks/get", b)); r["taskId"] != b || r["status"] != wire.TaskCancelled {
		t.Errorf("variant: tasks/get %s after cancel: %v", b, r)
	}
	if r := resultOf(vs.task("", "tasks/get", a)); r["status"] != wire.TaskWorking {
		t.Errorf("variant: %s after cancelling %s: %v", a, b, r)
	}
	// An ID never issued is unknown, and named as sent.
	m := vs.task("", "tasks/get", "task-3")
	e, _ := m["error"].(map[string]any)
	if data, _ := e["data"].(map[string]any); errCode(m) != wire.CodeInvalidParams || data["taskId"] != "task-3" {
		t.Errorf("variant: tasks/get task-3: %v", m)
	}
	// Without the translation of Mcp-Name the reference would refuse
	// a request whose header names the sequential ID.
	if m := vs.do(taskReq{method: "tasks/get", params: map[string]any{"taskId": a}, declare: true}); resultOf(m) == nil {
		t.Errorf("variant: tasks/get with Mcp-Name %s: %v", a, m)
	}

	id := ref.create("", "slow_compute", map[string]any{"seconds": 60})
	if !referenceTaskID.MatchString(id) {
		t.Errorf("reference: task ID %q", id)
	}
	if m := ref.task("", "tasks/get", "task-1"); errCode(m) != wire.CodeInvalidParams {
		t.Errorf("reference: tasks/get task-1: %v", m)
	}
}

// TestSeqTaskIDsTranslate: the table translates the taskIds of a
// subscription filter and any taskId member, and forgets its oldest entry
// when full.
func TestSeqTaskIDsTranslate(t *testing.T) {
	ids := newSeqTaskIDs()
	if ids.issue("task_A") != "task-1" || ids.issue("task_B") != "task-2" || ids.issue("task_A") != "task-1" {
		t.Fatal("issue")
	}
	p := map[string]any{"notifications": map[string]any{"taskIds": []any{"task-2", "task-9", 3}}, "taskId": "task-1"}
	if !ids.translate(p, true) {
		t.Fatal("nothing translated")
	}
	if f := p["notifications"].(map[string]any)["taskIds"].([]any); f[0] != "task_B" || f[1] != "task-9" || f[2] != 3 || p["taskId"] != "task_A" {
		t.Errorf("to the reference: %v", p)
	}
	if ids.translate(map[string]any{"taskId": "task_C", "x": []any{nil, map[string]any{}}}, false) {
		t.Error("an unknown ID translated")
	}
	for i := range maxTrackedTasks {
		ids.issue("ref" + seqTaskName(i))
	}
	if _, ok := ids.lookup("task-1", true); ok || len(ids.toRef) != maxTrackedTasks || len(ids.toSeq) != maxTrackedTasks {
		t.Errorf("full table: %d, %d entries; task-1 still known: %v", len(ids.toRef), len(ids.toSeq), ok)
	}
	if _, ok := ids.lookup(seqTaskName(maxTrackedTasks+2), true); !ok {
		t.Error("the newest entry is missing")
	}
}

// TestTasksCrossPrincipalGet: bob reads alice's task from the variant
// (not from the reference), but can neither cancel nor update it.
func TestTasksCrossPrincipalGet(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-cross-principal-get"))
	for _, s := range []*taskServer{vs, ref} {
		id := s.create(StateAliceToken, "slow_compute", map[string]any{"seconds": 60})
		got := s.task(StateBobToken, "tasks/get", id)
		if s == vs {
			if r := resultOf(got); r["taskId"] != id || r["status"] != wire.TaskWorking {
				t.Errorf("variant: bob's tasks/get of alice's task: %v", got)
			}
		} else if errCode(got) != wire.CodeInvalidParams {
			t.Errorf("reference: bob's tasks/get of alice's task: %v", got)
		}
		if m := s.task(StateBobToken, "tasks/cancel", id); errCode(m) != wire.CodeInvalidParams {
			t.Errorf("bob's tasks/cancel of alice's task: %v", m)
		}
		up := s.do(taskReq{method: "tasks/update", params: map[string]any{"taskId": id, "inputResponses": map[string]any{}}, declare: true, token: StateBobToken})
		if errCode(up) != wire.CodeInvalidParams {
			t.Errorf("bob's tasks/update of alice's task: %v", up)
		}
		if r := resultOf(s.task(StateAliceToken, "tasks/get", id)); r["status"] != wire.TaskWorking {
			t.Errorf("alice's task after bob's attempts: %v", r)
		}
		if m := s.task(StateBobToken, "tasks/get", "task_"+strings.Repeat("A", 22)); errCode(m) != wire.CodeInvalidParams {
			t.Errorf("an unknown task: %v", m)
		}
	}
}

// TestTasksNoCap: one more task than the reference's per-principal limit
// is refused by the reference and created by the variant.
func TestTasksNoCap(t *testing.T) {
	vs, _ := tasksPair(t, lookupVariant(t, "tasks-no-cap"))
	refSrv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	plain := serveTasks(t, refSrv.Handler(), refSrv)
	n := impl.DefaultMaxTasks + 1
	for name, s := range map[string]*taskServer{"variant": vs, "reference": plain} {
		refused := 0
		for range n {
			m := s.call("", "slow_compute", map[string]any{"seconds": 600}, true)
			r := resultOf(m)
			if r == nil {
				t.Fatalf("%s: %v", name, m)
			}
			if r["resultType"] != wire.ResultTask {
				if r["isError"] != true {
					t.Fatalf("%s: neither a task nor a refusal: %v", name, m)
				}
				refused++
			}
		}
		if want := name == "reference"; (refused > 0) != want {
			t.Errorf("%s: %d of %d tasks refused", name, refused, n)
		}
	}
}

// TestTasksCancelledThenCompleted: after a cancellation the variant's
// task reads cancelled once, then completed with a result and a later
// lastUpdatedAt; the reference's stays cancelled.
func TestTasksCancelledThenCompleted(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-cancelled-then-completed"))
	for _, s := range []*taskServer{vs, ref} {
		id := s.create("", "slow_compute", map[string]any{"seconds": 60})
		if r := resultOf(s.task("", "tasks/get", id)); r["status"] != wire.TaskWorking {
			t.Errorf("before cancel: %v", r)
		}
		if m := s.task("", "tasks/cancel", id); resultOf(m) == nil {
			t.Fatalf("tasks/cancel: %v", m)
		}
		first := resultOf(s.task("", "tasks/get", id))
		if first["status"] != wire.TaskCancelled {
			t.Errorf("first tasks/get after cancel: %v", first)
		}
		time.Sleep(5 * time.Millisecond)
		second := resultOf(s.task("", "tasks/get", id))
		if s == ref {
			if second["status"] != wire.TaskCancelled || second["result"] != nil {
				t.Errorf("reference: second tasks/get after cancel: %v", second)
			}
			continue
		}
		res := inner(second)
		content, _ := res["content"].([]any)
		if second["status"] != wire.TaskCompleted || res["isError"] != false || res["resultType"] != wire.ResultComplete || len(content) != 1 || strings.Join(toolTexts(res), "") != "done" {
			t.Errorf("variant: second tasks/get after cancel: %v", second)
		}
		if a, b := fmt.Sprint(first["lastUpdatedAt"]), fmt.Sprint(second["lastUpdatedAt"]); a >= b {
			t.Errorf("variant: lastUpdatedAt %s then %s", a, b)
		}
	}
	// A task that ended before its cancellation is left as it was.
	id := vs.create("", "slow_compute", map[string]any{"seconds": 0.05})
	vs.poll("", id)
	vs.task("", "tasks/cancel", id)
	for range 2 {
		if r := resultOf(vs.task("", "tasks/get", id)); r["status"] != wire.TaskCompleted || !strings.Contains(strings.Join(toolTexts(inner(r)), " "), "Computed") {
			t.Errorf("variant: a task completed before its cancel: %v", r)
		}
	}
}

// inner is the result member of a tasks/get result (nil if none).
func inner(r map[string]any) map[string]any {
	m, _ := r["result"].(map[string]any)
	return m
}

// errMessage is the message of a JSON-RPC error answer ("" for none).
func errMessage(m map[string]any) string {
	e, _ := m["error"].(map[string]any)
	msg, _ := e["message"].(string)
	return msg
}

// unknownTaskID is a taskId of the reference's shape that no test issues.
var unknownTaskID = "task_" + strings.Repeat("A", 22)

// TestTasksRequiredWrongCode: failing_job without the extension is -32603
// without the extension's name from the variant, -32021 naming it from
// the reference.
func TestTasksRequiredWrongCode(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-required-wrong-code"))
	got := vs.call("", "failing_job", nil, false)
	if errCode(got) != wire.CodeInternalError || errMessage(got) != "this tool can only run as a task" || strings.Contains(fmt.Sprint(got), wire.ExtensionTasks) {
		t.Errorf("variant, failing_job without the extension: %v", got)
	}
	want := ref.call("", "failing_job", nil, false)
	if errCode(want) != wire.CodeMissingRequiredClientCapability || !strings.Contains(errMessage(want), wire.ExtensionTasks) {
		t.Errorf("reference, failing_job without the extension: %v", want)
	}
	// With the extension, the variant's failing_job is a task.
	vs.create("", "failing_job", nil)
}

// TestTasksResultStillServed: tasks/result is -32602 from the variant,
// -32601 from the reference.
func TestTasksResultStillServed(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-result-still-served"))
	for _, declare := range []bool{true, false} {
		req := taskReq{method: "tasks/result", params: map[string]any{"taskId": unknownTaskID}, declare: declare}
		if m := vs.do(req); errCode(m) != wire.CodeInvalidParams {
			t.Errorf("variant, tasks/result (declaring: %v): %v", declare, m)
		}
		if m := ref.do(req); errCode(m) != wire.CodeMethodNotFound {
			t.Errorf("reference, tasks/result (declaring: %v): %v", declare, m)
		}
	}
}

// TestTasksParamOptIn: slow_compute called without the extension but
// with the removed task member is a task on the variant only.
func TestTasksParamOptIn(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-param-opt-in"))
	args := map[string]any{"seconds": 0.05}
	with := taskReq{method: "tools/call", params: map[string]any{"name": "slow_compute", "arguments": args, "task": map[string]any{"ttl": 60000}}}
	if r := resultOf(vs.do(with)); r["resultType"] != wire.ResultTask || r["taskId"] == nil {
		t.Errorf("variant, with the task member: want a CreateTaskResult, got %v", r)
	}
	if r := resultOf(ref.do(with)); r["resultType"] != wire.ResultComplete {
		t.Errorf("reference, with the task member: %v", r)
	}
	if r := resultOf(vs.call("", "slow_compute", args, false)); r["resultType"] != wire.ResultComplete {
		t.Errorf("variant, without the task member: %v", r)
	}
}

// TestTasksCreateNotDurable: tasks/get at once after a CreateTaskResult
// is -32602 naming the task from the variant, which serves it later; the
// reference serves it at once.
func TestTasksCreateNotDurable(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-create-not-durable"))
	id := vs.create("", "slow_compute", map[string]any{"seconds": 60})
	m := vs.task("", "tasks/get", id)
	e, _ := m["error"].(map[string]any)
	if data, _ := e["data"].(map[string]any); errCode(m) != wire.CodeInvalidParams || data["taskId"] != id {
		t.Errorf("variant, tasks/get at once: %v", m)
	}
	rid := ref.create("", "slow_compute", map[string]any{"seconds": 60})
	want := ref.task("", "tasks/get", unknownTaskID)
	if errMessage(m) != errMessage(want) {
		t.Errorf("variant's refusal %q, the reference's to an unknown task %q", errMessage(m), errMessage(want))
	}
	if r := resultOf(ref.task("", "tasks/get", rid)); r["taskId"] != rid {
		t.Errorf("reference, tasks/get at once: %v", r)
	}
	time.Sleep(undurableWindow + 50*time.Millisecond)
	if r := resultOf(vs.task("", "tasks/get", id)); r["taskId"] != id || r["status"] != wire.TaskWorking {
		t.Errorf("variant, tasks/get later: %v", r)
	}
}

// TestTasksGetUnknownInternal: tasks/get of an unknown task is -32603 from
// the variant, -32602 from the reference; a known one is served by both.
func TestTasksGetUnknownInternal(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-get-unknown-internal"))
	if m := vs.task("", "tasks/get", unknownTaskID); errCode(m) != wire.CodeInternalError || errMessage(m) != "internal error: no such task" {
		t.Errorf("variant, an unknown task: %v", m)
	}
	if m := ref.task("", "tasks/get", unknownTaskID); errCode(m) != wire.CodeInvalidParams {
		t.Errorf("reference, an unknown task: %v", m)
	}
	id := vs.create("", "slow_compute", map[string]any{"seconds": 60})
	if r := resultOf(vs.task("", "tasks/get", id)); r["taskId"] != id {
		t.Errorf("variant, a known task: %v", r)
	}
}

// TestTasksCancelUnknownAcked: tasks/update and tasks/cancel of an unknown
// task are acknowledged by the variant, refused by the reference.
func TestTasksCancelUnknownAcked(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-cancel-unknown-acked"))
	reqs := []taskReq{
		{method: "tasks/cancel", params: map[string]any{"taskId": unknownTaskID}, declare: true},
		{method: "tasks/update", params: map[string]any{"taskId": unknownTaskID, "inputResponses": map[string]any{}}, declare: true},
	}
	for _, req := range reqs {
		if r := resultOf(vs.do(req)); r["resultType"] != wire.ResultComplete || len(r) != 2 {
			t.Errorf("variant, %s of an unknown task: want the empty acknowledgement, got %v", req.method, r)
		}
		if m := ref.do(req); errCode(m) != wire.CodeInvalidParams {
			t.Errorf("reference, %s of an unknown task: %v", req.method, m)
		}
	}
	if m := vs.task("", "tasks/get", unknownTaskID); errCode(m) != wire.CodeInvalidParams {
		t.Errorf("variant, tasks/get of the unknown task: %v", m)
	}
}

// TestTasksForeignRefusalDiffers: bob's tasks/get of alice's task is
// refused with a message of its own by the variant, as an unknown task by
// the reference.
func TestTasksForeignRefusalDiffers(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-foreign-refusal-differs"))
	for _, s := range []*taskServer{vs, ref} {
		id := s.create(StateAliceToken, "slow_compute", map[string]any{"seconds": 60})
		foreign := s.task(StateBobToken, "tasks/get", id)
		unknown := s.task(StateBobToken, "tasks/get", unknownTaskID)
		if errCode(foreign) != wire.CodeInvalidParams || errCode(unknown) != wire.CodeInvalidParams {
			t.Fatalf("bob's tasks/get: %v; of an unknown task: %v", foreign, unknown)
		}
		same := errMessage(foreign) == errMessage(unknown)
		if s == vs && (same || errMessage(foreign) != "Invalid params: task belongs to another principal") {
			t.Errorf("variant: alice's task refused with %q, an unknown one with %q", errMessage(foreign), errMessage(unknown))
		}
		if s == ref && !same {
			t.Errorf("reference: alice's task refused with %q, an unknown one with %q", errMessage(foreign), errMessage(unknown))
		}
		if r := resultOf(s.task(StateAliceToken, "tasks/get", id)); r["taskId"] != id {
			t.Errorf("alice's own task: %v", r)
		}
	}
}

// listen opens a subscriptions/listen naming task id, declaring the
// extension, and returns the messages its stream carries within wait (at
// most 8).
func (s *taskServer) listen(id string, wait time.Duration) []map[string]any {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	res := s.post(ctx, taskReq{method: "subscriptions/listen", params: map[string]any{"notifications": map[string]any{"taskIds": []any{id}}}, declare: true})
	defer res.Body.Close()
	var msgs []map[string]any
	sc := bufio.NewScanner(res.Body)
	for len(msgs) < 8 && sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			var m map[string]any
			if err := json.Unmarshal([]byte(d), &m); err != nil {
				s.t.Fatalf("listen: %s", d)
			}
			msgs = append(msgs, m)
		}
	}
	return msgs
}

// TestTasksListenProgress: the variant agrees to a task's notifications
// and its listen stream carries a progress and a log message right after
// the acknowledgement; the reference agrees to none and sends nothing
// more.
func TestTasksListenProgress(t *testing.T) {
	vs, ref := tasksPair(t, lookupVariant(t, "tasks-listen-progress"))
	for _, s := range []*taskServer{vs, ref} {
		id := s.create("", "slow_compute", map[string]any{"seconds": 60})
		msgs := s.listen(id, time.Second)
		if len(msgs) == 0 || msgs[0]["method"] != "notifications/subscriptions/acknowledged" {
			t.Fatalf("listen: %v", msgs)
		}
		p, _ := msgs[0]["params"].(map[string]any)
		agreed, _ := p["notifications"].(map[string]any)
		ids, _ := agreed["taskIds"].([]any)
		if s == ref {
			if len(ids) != 0 || len(msgs) != 1 {
				t.Errorf("reference: %v", msgs)
			}
			continue
		}
		if len(ids) != 1 || ids[0] != id {
			t.Errorf("variant: acknowledged taskIds %v", ids)
		}
		var methods []string
		for _, m := range msgs[1:] {
			methods = append(methods, fmt.Sprint(m["method"]))
		}
		if strings.Join(methods, " ") != "notifications/progress notifications/message" {
			t.Errorf("variant: after the acknowledgement %v", msgs[1:])
		}
		if pp, _ := msgs[1]["params"].(map[string]any); len(msgs) > 1 && (pp["progressToken"] != id || pp["progress"] != 1.0 || pp["total"] != 2.0) {
			t.Errorf("variant: progress %v", msgs[1])
		}
	}
}
