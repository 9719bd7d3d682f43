package wire

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
)

// The examples of SEP-2663, as results (without the JSON-RPC envelope).
const (
	sepCreateTask = `{"resultType":"task","taskId":"786512e2-9e0d-44bd-8f29-789f320fe840","status":"working","statusMessage":"The operation is now in progress.","createdAt":"2025-11-25T10:30:00Z","lastUpdatedAt":"2025-11-25T10:40:00Z","ttlMs":60000,"pollIntervalMs":5000}`
	sepGetWorking = `{"resultType":"complete","taskId":"786512e2-9e0d-44bd-8f29-789f320fe840","status":"working","createdAt":"2025-11-25T10:30:00Z","lastUpdatedAt":"2025-11-25T10:50:00Z","ttlMs":3600000,"pollIntervalMs":5000}`
	sepGetInput   = `{"resultType":"complete","taskId":"786512e2-9e0d-44bd-8f29-789f320fe840","status":"input_required","createdAt":"2025-11-25T10:30:00Z","lastUpdatedAt":"2025-11-25T10:50:00Z","ttlMs":3600000,"pollIntervalMs":5000,"inputRequests":{"name":{"method":"elicitation/create","params":{"mode":"form","message":"Please enter your name.","requestedSchema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}}}}`
	sepGetDone    = `{"resultType":"complete","taskId":"786512e2-9e0d-44bd-8f29-789f320fe840","status":"completed","createdAt":"2025-11-25T10:30:00Z","lastUpdatedAt":"2025-11-25T10:50:00Z","ttlMs":3600000,"pollIntervalMs":5000,"result":{"content":[{"type":"text","text":"Hello, Luca!"}],"isError":false}}`
	sepGetFailed  = `{"resultType":"complete","taskId":"786512e2-9e0d-44bd-8f29-789f820fe840","status":"failed","createdAt":"2025-11-25T10:30:00Z","lastUpdatedAt":"2025-11-25T10:40:00Z","ttlMs":null,"statusMessage":"Tool execution failed: API rate limit exceeded","error":{"code":-32603,"message":"API rate limit exceeded"}}`
	sepAck        = `{"resultType":"complete"}`
)

// canon re-encodes JSON with sorted members, to compare documents.
func canon(t *testing.T, b []byte) string {
	t.Helper()
	v := jsontext.Value(append([]byte(nil), b...))
	if err := v.Canonicalize(); err != nil {
		t.Fatalf("canonicalize %s: %v", b, err)
	}
	return string(v)
}

// TestTaskResultsRoundTrip decodes the SEP's examples by the method table
// into their types and encodes them back to the same documents.
func TestTaskResultsRoundTrip(t *testing.T) {
	call, _ := LookupMethod("tools/call")
	get, _ := LookupMethod("tasks/get")
	update, _ := LookupMethod("tasks/update")
	cancel, _ := LookupMethod("tasks/cancel")
	for _, c := range []struct {
		info *MethodInfo
		raw  string
		want string // Go type
	}{
		{call, sepCreateTask, "*wire.CreateTaskResult"},
		{get, sepGetWorking, "*wire.GetTaskResult"},
		{get, sepGetInput, "*wire.GetTaskResult"},
		{get, sepGetDone, "*wire.GetTaskResult"},
		{get, sepGetFailed, "*wire.GetTaskResult"},
		{update, sepAck, "*wire.TaskAckResult"},
		{cancel, sepAck, "*wire.TaskAckResult"},
	} {
		r, err := DecodeResult(c.info, Value(c.raw))
		if err != nil {
			t.Fatalf("%s: %v", c.info.Method, err)
		}
		if got := fmt.Sprintf("%T", r); got != c.want {
			t.Errorf("%s decodes %.40s... as %s; want %s", c.info.Method, c.raw, got, c.want)
		}
		b, err := Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		if canon(t, b) != canon(t, []byte(c.raw)) {
			t.Errorf("%s round trip:\n got %s\nwant %s", c.info.Method, b, c.raw)
		}
	}
}

// TestTaskResultTypeOnlyWhereAugmentable: "task" decodes as a
// CreateTaskResult for tools/call only; for another method it is that
// method's result (the model reports the resultType).
func TestTaskResultTypeOnlyWhereAugmentable(t *testing.T) {
	for _, m := range Methods {
		if m.Direction != ClientToServer || m.Notification {
			continue
		}
		info, _ := LookupMethod(m.Method)
		r, err := DecodeResult(info, Value(sepCreateTask))
		if err != nil {
			continue // the standard result refuses the shape: fine
		}
		_, isTask := r.(*CreateTaskResult)
		if isTask != (m.Method == "tools/call") {
			t.Errorf("%s: resultType task decodes as %T", m.Method, r)
		}
	}
}

// TestTaskDecodingIsStrict: the strict policy holds for the tasks types.
func TestTaskDecodingIsStrict(t *testing.T) {
	get, _ := LookupMethod("tasks/get")
	for name, raw := range map[string]string{
		"duplicate member": `{"resultType":"complete","taskId":"a","taskId":"b","status":"working","createdAt":"x","lastUpdatedAt":"x","ttlMs":null}`,
		"wrong case":       `{"resultType":"complete","TaskId":"a","taskId":"b","status":"working","createdAt":"x","lastUpdatedAt":"x","ttlMs":null}`,
		"ttlMs a string":   `{"resultType":"complete","taskId":"a","status":"working","createdAt":"x","lastUpdatedAt":"x","ttlMs":"1"}`,
		"error a string":   `{"resultType":"complete","taskId":"a","status":"failed","createdAt":"x","lastUpdatedAt":"x","ttlMs":null,"error":"boom"}`,
	} {
		if _, err := DecodeResult(get, Value(raw)); err == nil {
			t.Errorf("%s: decoded", name)
		} else if name == "wrong case" && !errors.Is(err, ErrNameCase) {
			t.Errorf("%s: %v; want ErrNameCase", name, err)
		}
	}
	var p UpdateTaskRequestParams
	if err := Unmarshal([]byte(`{"taskId":"t","inputResponses":{"k":{"ignored":true},"n":{"action":"accept","content":{"name":"x"}}}}`), &p); err != nil {
		t.Fatalf("update params with a response of unknown shape: %v", err)
	}
	if len(p.InputResponses) != 2 || p.TaskID != "t" {
		t.Errorf("update params: %+v", p)
	}
	var n TaskStatusNotificationParams
	if err := Unmarshal([]byte(strings.Replace(sepGetDone, `"resultType":"complete",`, "", 1)), &n); err != nil || n.Status != TaskCompleted || n.Result == nil {
		t.Errorf("notification params: %+v, %v", n, err)
	}
}

// TestTaskTTLNull: a nil TTLMs is sent as null (ttlMs is required).
func TestTaskTTLNull(t *testing.T) {
	b := MustMarshal(&CreateTaskResult{ResultType: ResultTask, TaskID: "t", Status: TaskWorking, CreatedAt: "c", LastUpdatedAt: "c"})
	if !strings.Contains(string(b), `"ttlMs":null`) {
		t.Errorf("%s: want ttlMs null", b)
	}
}

// TestTaskPayload checks PayloadProblem against the DetailedTask
// variants: each status with its own payload is well formed; without it,
// or with another status's, it is not.
func TestTaskPayload(t *testing.T) {
	payloads := map[string]func(*DetailedTask){
		"":              func(*DetailedTask) {},
		"inputRequests": func(d *DetailedTask) { d.InputRequests = map[string]Value{"k": Value(`{}`)} },
		"result":        func(d *DetailedTask) { d.Result = Object{"content": Value(`[]`)} },
		"error":         func(d *DetailedTask) { d.Error = &Error{Code: -32603, Message: "m"} },
	}
	for _, st := range TaskStatuses {
		for p, set := range payloads {
			d := &DetailedTask{TaskID: "t", Status: st}
			set(d)
			ok := d.PayloadProblem() == ""
			if want := p == TaskPayload[st]; ok != want {
				t.Errorf("status %s with payload %q: problem %q", st, p, d.PayloadProblem())
			}
		}
	}
	if (&DetailedTask{Status: "done"}).PayloadProblem() == "" {
		t.Error("unknown status accepted")
	}
	if !TaskTerminal(TaskCancelled) || TaskTerminal(TaskInputRequired) {
		t.Error("TaskTerminal")
	}
}

// TestExtensionMethods: the tasks methods are client requests with
// Mcp-Name from taskId, of the extension, without schema.json
// definitions; notifications/tasks is a server notification.
func TestExtensionMethods(t *testing.T) {
	for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
		info, ok := LookupMethod(m)
		if !ok || info.Extension != ExtensionTasks || info.NameParam != "taskId" || info.RequestDef != "" || info.NewResult == nil || info.TaskAugmentable {
			t.Errorf("%s: %+v", m, info)
		}
	}
	if n, ok := LookupServerNotification("notifications/tasks"); !ok || n.Extension != ExtensionTasks {
		t.Errorf("notifications/tasks: %+v", n)
	}
	for _, m := range []string{"tasks/result", "tasks/list"} {
		if _, ok := LookupMethod(m); ok || !IsRemovedMethod(m) {
			t.Errorf("%s is a method", m)
		}
	}
	caps := &ClientCapabilities{Extensions: map[string]Object{ExtensionTasks: {}}}
	if !caps.DeclaresTasks() || (&ClientCapabilities{}).DeclaresTasks() || (*ClientCapabilities)(nil).DeclaresTasks() {
		t.Error("DeclaresTasks")
	}
}

// taskTypes are the types of the tasks extension (no schema.json
// definitions: FuzzUnmarshalRoundTrip does not reach them).
var taskTypes = []func() any{
	newOf[CreateTaskResult], newOf[GetTaskResult], newOf[TaskAckResult],
	newOf[TaskRequestParams], newOf[UpdateTaskRequestParams], newOf[TaskStatusNotificationParams],
}

// FuzzTaskTypesRoundTrip: what the strict decoding accepts into a type of
// the tasks extension (the first byte picks it) re-encodes to a fixed
// point.
func FuzzTaskTypesRoundTrip(f *testing.F) {
	for i, raw := range []string{sepCreateTask, sepGetInput, sepAck, `{"taskId":"t"}`,
		`{"taskId":"t","inputResponses":{"k":{"action":"accept","content":{"x":1}}}}`, strings.Replace(sepGetFailed, `"resultType":"complete",`, "", 1)} {
		fuzzseed.Add(f, append([]byte{byte(i)}, raw...))
	}
	f.Add(append([]byte{1}, sepGetDone...))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		i := int(in[0]) % len(taskTypes)
		checkFixedPoint(t, fmt.Sprintf("%T", taskTypes[i]()), in[1:], taskTypes[i])
	})
}
