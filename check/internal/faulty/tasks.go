package faulty

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants of the tasks extension (io.modelcontextprotocol/tasks), for the
// checks tasks/*. Each rewrites what the reference sends or is sent about
// tasks (impl/tasks.go, the fixtures in impl/fixtures_tasks.go) with one
// defect:
//
//   - tasks-create-undeclared: every tools/call reaches the reference as
//     if it declared the extension, so a task tool answers a client that
//     did not declare it with a CreateTaskResult;
//   - tasks-failed-for-iserror: a task that completed with a tool
//     execution error (isError) reads failed, with a JSON-RPC error;
//   - tasks-sequential-ids: the client sees task IDs task-1, task-2, ...
//     (translated both ways, so the tasks work as the reference's);
//   - tasks-cross-principal-get: tasks/get of another principal's task
//     is served as its owner (two principals, in StateVariants);
//   - tasks-no-cap: no principal ever meets a limit on its tasks;
//   - tasks-cancelled-then-completed: a cancelled task reads cancelled
//     once, then completed with a result;
//   - tasks-required-wrong-code: a task-only tool called without the
//     extension is refused with -32603, not -32021 naming it;
//   - tasks-result-still-served: tasks/result is -32602 (task not found),
//     not -32601;
//   - tasks-param-opt-in: the removed task member of tools/call params
//     declares the extension;
//   - tasks-create-not-durable: a new task is unknown to tasks/get for
//     its first 200 ms;
//   - tasks-get-unknown-internal: tasks/get of an unknown task is -32603;
//   - tasks-cancel-unknown-acked: tasks/update and tasks/cancel of an
//     unknown task are acknowledged;
//   - tasks-foreign-refusal-differs: tasks/get refuses another
//     principal's task with its own message (two principals);
//   - tasks-listen-progress: a task's listen stream is agreed and carries
//     a progress and a log message.

// tasksOnly limits a variant's self-test to the tasks checks.
var tasksOnly = []string{"tasks/"}

// taskTimeLayout is how the reference writes a task's timestamps.
const taskTimeLayout = "2006-01-02T15:04:05.000Z07:00"

// maxTrackedTasks bounds the tasks a variant keeps anything about.
const maxTrackedTasks = 100_000

func init() {
	Register(&Variant{
		Name:   "tasks-create-undeclared",
		Defect: "a tools/call of a task tool is answered with a CreateTaskResult though the request does not declare the tasks extension",
		Breaks: []spec.ID{spec.TasksCreateDeclared, spec.CoreExtensionFallback, spec.CoreCapabilityUndeclared},
		Only:   tasksOnly,
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool { return declareTasks(msg) })
		},
	})
	Register(&Variant{
		Name:   "tasks-failed-for-iserror",
		Defect: "a task whose tool reported an error (completed, isError) reads failed, with a JSON-RPC error -32603 carrying the tool's text and no result",
		Breaks: []spec.ID{spec.TasksFailedJsonrpcOnly},
		Only:   tasksOnly,
		Wrap: answersEdited(func(q *rpcCall, m map[string]any) {
			if r := resultOf(m); r != nil && q.Method == "tasks/get" {
				failIsError(r)
			}
		}),
	})
	Register(&Variant{
		Name:   "tasks-sequential-ids",
		Defect: "task IDs are task-1, task-2, ... (a counter; each task still bound to its owner)",
		Breaks: []spec.ID{spec.TasksIdEntropy, spec.TasksIdBits},
		Only:   tasksOnly,
		Wrap:   wrapSequentialTaskIDs,
	})
	Register(&Variant{
		Name:   "tasks-no-cap",
		Defect: "a principal may hold a million tasks: a flood of tasks is never refused",
		Breaks: []spec.ID{spec.TasksLimit},
		Only:   tasksOnly,
		// The reference wants the total above the per-principal limit.
		Misconfigure: func(c *impl.Config) { c.MaxTasks, c.MaxTasksTotal = 1_000_000, 2_000_000 },
		Wrap:         func(next http.Handler, _ *impl.Server) http.Handler { return next },
	})
	Register(&Variant{
		Name:   "tasks-cancelled-then-completed",
		Defect: "a task cancelled by tasks/cancel reads cancelled once, then completed with a result",
		Breaks: []spec.ID{spec.TasksTerminalFinal},
		Only:   tasksOnly,
		Wrap:   wrapCancelledThenCompleted,
	})
	Register(&Variant{
		Name:   "tasks-required-wrong-code",
		Defect: "a tool that cannot run without the tasks extension, called without it, is refused with -32603 \"this tool can only run as a task\" instead of -32021 naming the extension",
		Breaks: []spec.ID{spec.TasksRequiredError},
		Only:   tasksOnly,
		Wrap: answersEdited(func(q *rpcCall, m map[string]any) {
			if e, _ := m["error"].(map[string]any); q.Method == "tools/call" && e != nil && codeOf(e) == wire.CodeMissingRequiredClientCapability {
				if msg, _ := e["message"].(string); strings.Contains(msg, wire.ExtensionTasks) {
					m["error"] = map[string]any{"code": wire.CodeInternalError, "message": "this tool can only run as a task"}
				}
			}
		}),
	})
	Register(&Variant{
		Name:   "tasks-result-still-served",
		Defect: "tasks/result, removed with the tasks extension, is answered -32602 \"task not found\" as if the method existed, not -32601",
		// -32601 is also the core answer to a method this revision removed.
		Breaks: []spec.ID{spec.TasksResultRemoved, spec.CoreMethodNotFound},
		Only:   tasksOnly,
		Wrap: answersEdited(func(q *rpcCall, m map[string]any) {
			if e, _ := m["error"].(map[string]any); q.Method == "tasks/result" && e != nil && codeOf(e) == wire.CodeMethodNotFound {
				m["error"] = map[string]any{"code": wire.CodeInvalidParams, "message": "Invalid params: task not found",
					"data": map[string]any{"taskId": q.Params["taskId"]}}
			}
		}),
	})
	Register(&Variant{
		Name:   "tasks-param-opt-in",
		Defect: "a tools/call whose params carry the removed task member is served as if its request declared the tasks extension",
		Breaks: []spec.ID{spec.TasksTaskParamIgnored, spec.TasksCreateDeclared},
		Only:   tasksOnly,
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
				p, _ := msg["params"].(map[string]any)
				return p["task"] != nil && declareTasks(msg)
			})
		},
	})
	Register(&Variant{
		Name:   "tasks-create-not-durable",
		Defect: "for 200 ms after a CreateTaskResult, tasks/get of its taskId is answered -32602 (task not found), as by an eventually consistent store",
		Breaks: []spec.ID{spec.TasksCreateDurable},
		Only:   tasksOnly,
		Wrap:   wrapCreateNotDurable,
	})
	Register(&Variant{
		Name:   "tasks-get-unknown-internal",
		Defect: "tasks/get of a taskId the caller does not hold is answered -32603 \"internal error: no such task\" instead of -32602",
		Breaks: []spec.ID{spec.TasksGetUnknown},
		Only:   tasksOnly,
		Wrap: answersEdited(func(q *rpcCall, m map[string]any) {
			if q.Method == "tasks/get" && taskNotFound(q, m) {
				m["error"] = map[string]any{"code": wire.CodeInternalError, "message": "internal error: no such task"}
			}
		}),
	})
	Register(&Variant{
		Name:   "tasks-cancel-unknown-acked",
		Defect: "tasks/update and tasks/cancel of a taskId the caller does not hold are acknowledged with the empty result (and nothing happens) instead of -32602",
		Breaks: []spec.ID{spec.TasksUpdateCancelUnknown},
		Only:   tasksOnly,
		Wrap: answersEdited(func(q *rpcCall, m map[string]any) {
			if (q.Method == "tasks/update" || q.Method == "tasks/cancel") && taskNotFound(q, m) {
				delete(m, "error")
				m["result"] = madeResult(nil)
			}
		}),
	})
	Register(&Variant{
		Name:   "tasks-listen-progress",
		Defect: "a subscriptions/listen naming tasks, from a client declaring the extension, is agreed for those tasks and its stream carries a notifications/progress and a notifications/message at once",
		// A progress or log message on a listen stream breaks the core rules
		// of streams too: one cause.
		Breaks: []spec.ID{spec.TasksListenNoProgressLog, spec.CoreStreamRelated, spec.CoreLogStream},
		Only:   tasksOnly,
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return rewriteMessages(next, nil, listenProgress)
		},
	})
}

// tasksVariants are the tasks variants that need two principals.
func tasksVariants(cfg func(func(*impl.Config)) *impl.Config) []*StateVariant {
	return []*StateVariant{
		{Variant: Variant{
			Name:   "tasks-cross-principal-get",
			Defect: "tasks/get of another principal's task is served as its owner (tasks/update and tasks/cancel of it are refused)",
			Breaks: []spec.ID{spec.TasksAuthEach},
			Only:   tasksOnly,
			Config: cfg(nil),
			Wrap:   wrapCrossPrincipalGet,
		}},
		{Variant: Variant{
			Name:   "tasks-foreign-refusal-differs",
			Defect: "tasks/get of another principal's task is refused with -32602 \"Invalid params: task belongs to another principal\", while an unknown taskId gets the usual task-not-found answer",
			Breaks: []spec.ID{spec.TasksAuthOracle},
			Only:   tasksOnly,
			Config: cfg(nil),
			Wrap:   wrapForeignRefusalDiffers,
		}},
	}
}

// answersEdited is a Wrap that edits, in place, each message the
// reference answers a request with (see rewriteMessages).
func answersEdited(edit func(q *rpcCall, m map[string]any)) func(http.Handler, *impl.Server) http.Handler {
	return func(next http.Handler, _ *impl.Server) http.Handler {
		return rewriteMessages(next, nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			edit(q, m)
			return one(m)
		})
	}
}

// declareTasks makes a tools/call declare the tasks extension in its
// clientCapabilities; it reports whether it changed msg. A request whose
// _meta is missing or not as expected is left as it is.
func declareTasks(msg map[string]any) bool {
	if msg["method"] != "tools/call" {
		return false
	}
	p, _ := msg["params"].(map[string]any)
	meta, _ := p["_meta"].(map[string]any)
	if meta == nil {
		return false
	}
	// A request without clientCapabilities is left to the reference,
	// which refuses it: adding them would be a second defect.
	caps, ok := meta[wire.MetaClientCapabilities].(map[string]any)
	if !ok {
		return false
	}
	exts, ok := caps["extensions"].(map[string]any)
	if !ok {
		if caps["extensions"] != nil {
			return false
		}
		exts = map[string]any{}
		caps["extensions"] = exts
	}
	if _, declared := exts[wire.ExtensionTasks]; declared {
		return false
	}
	exts[wire.ExtensionTasks] = map[string]any{}
	return true
}

// failIsError turns a tasks/get result of a task completed with isError
// into one of a failed task whose error carries the tool's text.
func failIsError(r map[string]any) {
	inner, _ := r["result"].(map[string]any)
	if r["status"] != wire.TaskCompleted || inner == nil || inner["isError"] != true {
		return
	}
	text := strings.Join(toolTexts(inner), "\n")
	if text == "" {
		text = "the tool reported an error"
	}
	r["status"] = wire.TaskFailed
	r["statusMessage"] = "The request failed: " + text
	r["error"] = map[string]any{"code": wire.CodeInternalError, "message": text}
	delete(r, "result")
}

// toolTexts returns the texts of the text items of a tool result's
// content.
func toolTexts(res map[string]any) []string {
	var texts []string
	items, _ := res["content"].([]any)
	for _, it := range items {
		if c, ok := it.(map[string]any); ok && c["type"] == "text" {
			if s, ok := c["text"].(string); ok {
				texts = append(texts, s)
			}
		}
	}
	return texts
}

// seqTaskIDs maps the reference's task IDs to the sequential ones the
// client sees, both ways. It holds at most maxTrackedTasks entries, the
// latest: the oldest is forgotten first.
type seqTaskIDs struct {
	mu    sync.Mutex
	toSeq map[string]string // reference ID -> task-N
	toRef map[string]string // task-N -> reference ID
	n     int               // the last N issued
}

func newSeqTaskIDs() *seqTaskIDs {
	return &seqTaskIDs{toSeq: map[string]string{}, toRef: map[string]string{}}
}

func seqTaskName(n int) string { return "task-" + strconv.Itoa(n) }

// issue returns the sequential ID of the reference's ID ref, making the
// next one if it has none.
func (s *seqTaskIDs) issue(ref string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq, ok := s.toSeq[ref]; ok {
		return seq
	}
	if len(s.toRef) >= maxTrackedTasks {
		// The entries are task-(n-len+1) .. task-n: drop the first.
		old := seqTaskName(s.n - len(s.toRef) + 1)
		delete(s.toSeq, s.toRef[old])
		delete(s.toRef, old)
	}
	s.n++
	seq := seqTaskName(s.n)
	s.toSeq[ref], s.toRef[seq] = seq, ref
	return seq
}

// lookup translates id with the table of the direction asked (toRef or
// toSeq); ok false when it holds no entry for id.
func (s *seqTaskIDs) lookup(id string, toRef bool) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	table := s.toSeq
	if toRef {
		table = s.toRef
	}
	out, ok := table[id]
	return out, ok
}

// translate replaces, in v, every taskId string and every string of a
// taskIds array that the table knows (toRef: sequential to reference
// IDs; else reference to sequential). It reports whether it changed v.
func (s *seqTaskIDs) translate(v any, toRef bool) bool {
	changed := false
	swap := func(e any) any {
		if id, ok := e.(string); ok {
			if out, known := s.lookup(id, toRef); known {
				changed = true
				return out
			}
		}
		return e
	}
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 64 {
			return
		}
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				switch ids, isList := e.([]any); {
				case k == "taskId":
					x[k] = swap(e)
				case k == "taskIds" && isList:
					for i := range ids {
						ids[i] = swap(ids[i])
					}
				default:
					walk(e, depth+1)
				}
			}
		case []any:
			for _, e := range x {
				walk(e, depth+1)
			}
		}
	}
	walk(v, 0)
	return changed
}

// wrapSequentialTaskIDs shows the client sequential task IDs: a task the
// reference creates is given the next one, every taskId (and taskIds
// entry) sent is translated to it, and every one received, in the params
// and in Mcp-Name, back to the reference's.
func wrapSequentialTaskIDs(next http.Handler, _ *impl.Server) http.Handler {
	ids := newSeqTaskIDs()
	inner := rewriteMessages(next, func(q *rpcCall) bool {
		// The taskId of the tasks methods, the taskIds of a listen filter.
		return (strings.HasPrefix(q.Method, "tasks/") || q.Method == "subscriptions/listen") && ids.translate(q.Params, true)
	}, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
		if r := resultOf(m); r != nil && q.Method == "tools/call" && r["resultType"] == wire.ResultTask {
			if ref, ok := r["taskId"].(string); ok && strings.HasPrefix(ref, "task_") {
				r["taskId"] = ids.issue(ref)
			}
		}
		ids.translate(m, false)
		return one(m)
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Mcp-Name mirrors the taskId of tasks/get, tasks/update and
		// tasks/cancel: it must name the reference's ID as the body will.
		if vals := r.Header["Mcp-Name"]; len(vals) == 1 && strings.HasPrefix(r.Header.Get("Mcp-Method"), "tasks/") {
			if dec, err := wire.DecodeHeaderValue(vals[0]); err == nil {
				if ref, ok := ids.lookup(dec, true); ok {
					r.Header.Set("Mcp-Name", ref)
				}
			}
		}
		inner.ServeHTTP(w, r)
	})
}

// wrapCrossPrincipalGet serves a tasks/get that the reference refuses to
// its caller (-32602: no task of theirs has that ID) as each other
// principal in turn, and answers with the first of those answers that is
// a result.
func wrapCrossPrincipalGet(next http.Handler, _ *impl.Server) http.Handler {
	return foreignGet(next, func(w http.ResponseWriter, _ *httptest.ResponseRecorder, _ map[string]any, other *httptest.ResponseRecorder) {
		relay(w, other, other.Code)
	})
}

// wrapForeignRefusalDiffers keeps the reference's refusal of a tasks/get
// of another principal's task, with its own message.
func wrapForeignRefusalDiffers(next http.Handler, _ *impl.Server) http.Handler {
	return foreignGet(next, func(w http.ResponseWriter, first *httptest.ResponseRecorder, m map[string]any, _ *httptest.ResponseRecorder) {
		e, _ := m["error"].(map[string]any)
		e["message"] = "Invalid params: task belongs to another principal"
		b, err := json.Marshal(m)
		if err != nil {
			relay(w, first, first.Code)
			return
		}
		relayBody(w, first, first.Code, b)
	})
}

// foreignGet serves a tasks/get as the reference does, but when the
// reference refuses it to its caller (-32602) and serves it to another
// principal (the task is theirs), answers with foreign: given the
// caller's recorded answer, decoded as m, and the other principal's.
func foreignGet(next http.Handler, foreign func(w http.ResponseWriter, first *httptest.ResponseRecorder, m map[string]any, other *httptest.ResponseRecorder)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		caller := principalOf(r)
		method, _, hasID, ok := peekRPC(r)
		if !ok || !hasID || method != "tasks/get" || caller == "" {
			next.ServeHTTP(w, r)
			return
		}
		body, _ := readBody(r)
		first := recorded(next, r)
		var m map[string]any
		if decodeJSON(first.Body.Bytes(), &m) != nil || m == nil {
			relay(w, first, first.Code)
			return
		}
		if e, isErr := m["error"].(map[string]any); !isErr || codeOf(e) != wire.CodeInvalidParams {
			relay(w, first, first.Code)
			return
		}
		var others []string
		for tok, p := range stateTokens {
			if p != caller {
				others = append(others, tok)
			}
		}
		sort.Strings(others)
		for _, tok := range others {
			retry := r.Clone(r.Context())
			setBody(retry, body)
			retry.Header.Set("Authorization", "Bearer "+tok)
			rec := recorded(next, retry)
			var got map[string]any
			if decodeJSON(rec.Body.Bytes(), &got) == nil && resultOf(got) != nil {
				foreign(w, first, m, rec)
				return
			}
		}
		relay(w, first, first.Code)
	})
}

// taskNotFound reports whether m is the reference's answer to a taskId
// that names no task of the caller: -32602 naming the request's taskId.
func taskNotFound(q *rpcCall, m map[string]any) bool {
	e, _ := m["error"].(map[string]any)
	if e == nil || codeOf(e) != wire.CodeInvalidParams {
		return false
	}
	data, _ := e["data"].(map[string]any)
	id, ok := q.Params["taskId"].(string)
	return ok && data["taskId"] == id
}

// undurableWindow is how long a new task is unknown to tasks/get.
const undurableWindow = 200 * time.Millisecond

// pendingTaskID is the taskId a tasks/get of a task still in its
// undurableWindow is sent with: it names no task, so the reference
// answers as to an unknown one.
const pendingTaskID = "task_pending"

// newTasks remembers when each task was created, for undurableWindow.
type newTasks struct {
	mu      sync.Mutex
	created map[string]time.Time
}

// add records id, created now; when the table is full, the entries past
// their window are dropped first, and id is not recorded if none was.
func (n *newTasks) add(id string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	now := time.Now()
	if len(n.created) >= maxTrackedTasks {
		for k, at := range n.created {
			if now.Sub(at) >= undurableWindow {
				delete(n.created, k)
			}
		}
	}
	if len(n.created) < maxTrackedTasks {
		n.created[id] = now
	}
}

// fresh reports whether id was created less than undurableWindow ago.
func (n *newTasks) fresh(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	at, ok := n.created[id]
	if ok && time.Since(at) >= undurableWindow {
		delete(n.created, id)
		return false
	}
	return ok
}

// wrapCreateNotDurable sends a tasks/get of a task created less than
// undurableWindow ago with pendingTaskID (in the body and Mcp-Name), and
// puts the real taskId back in the reference's task-not-found error.
func wrapCreateNotDurable(next http.Handler, _ *impl.Server) http.Handler {
	nt := &newTasks{created: map[string]time.Time{}}
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		real := ""
		editReq := func(q *rpcCall) bool {
			id, _ := q.Params["taskId"].(string)
			if q.Method != "tasks/get" || id == "" || !nt.fresh(id) {
				return false
			}
			real = id
			q.Params["taskId"] = pendingTaskID
			if r.Header.Get("Mcp-Name") != "" {
				r.Header.Set("Mcp-Name", pendingTaskID)
			}
			return true
		}
		return editReq, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			if res := resultOf(m); res != nil && q.Method == "tools/call" && res["resultType"] == wire.ResultTask {
				if id, ok := res["taskId"].(string); ok && id != "" {
					nt.add(id)
				}
			}
			if real != "" && taskNotFound(q, m) {
				e := m["error"].(map[string]any)
				e["data"].(map[string]any)["taskId"] = real
			}
			return one(m)
		}
	})
}

// listenProgress agrees, in the acknowledgement of a subscriptions/listen
// from a client declaring the extension, to the taskIds its filter names,
// and sends a progress and a log message right after it.
func listenProgress(q *rpcCall, m map[string]any, i int) []map[string]any {
	f, _ := q.Params["notifications"].(map[string]any)
	ids, _ := f["taskIds"].([]any)
	if q.Method != "subscriptions/listen" || i != 0 || len(ids) == 0 || !declaresTasks(q) || m["method"] != "notifications/subscriptions/acknowledged" {
		return one(m)
	}
	p, _ := m["params"].(map[string]any)
	if p == nil {
		p = map[string]any{}
		m["params"] = p
	}
	agreed, _ := p["notifications"].(map[string]any)
	if agreed == nil {
		agreed = map[string]any{}
		p["notifications"] = agreed
	}
	agreed["taskIds"] = ids
	// Each carries the stream's subscription ID, as the acknowledgement
	// does: the defect is what they are, not how they are addressed.
	sub := map[string]any{wire.MetaSubscriptionID: q.ID}
	progress := map[string]any{"jsonrpc": "2.0", "method": "notifications/progress",
		"params": map[string]any{"progressToken": ids[0], "progress": 1, "total": 2, "_meta": sub}}
	log := map[string]any{"jsonrpc": "2.0", "method": "notifications/message",
		"params": map[string]any{"level": "info", "data": "working", "_meta": sub}}
	return []map[string]any{m, progress, log}
}

// declaresTasks reports whether the request declares the tasks extension
// in its clientCapabilities.
func declaresTasks(q *rpcCall) bool {
	caps, _ := q.meta()[wire.MetaClientCapabilities].(map[string]any)
	exts, _ := caps["extensions"].(map[string]any)
	_, ok := exts[wire.ExtensionTasks]
	return ok
}

// cancelledTasks remembers the tasks whose cancellation the reference
// acknowledged, by caller and task ID, with whether a tasks/get has shown
// one cancelled since.
type cancelledTasks struct {
	mu    sync.Mutex
	shown map[string]bool
}

// wrapCancelledThenCompleted lets the first tasks/get of a task after its
// acknowledged tasks/cancel read cancelled, as the reference answers, and
// makes every later one read completed with a result.
func wrapCancelledThenCompleted(next http.Handler, _ *impl.Server) http.Handler {
	ct := &cancelledTasks{shown: map[string]bool{}}
	return perRequest(next, func(r *http.Request) (func(*rpcCall) bool, func(*rpcCall, map[string]any, int) []map[string]any) {
		auth := r.Header.Get("Authorization")
		return nil, func(q *rpcCall, m map[string]any, _ int) []map[string]any {
			id, _ := q.Params["taskId"].(string)
			res := resultOf(m)
			if id == "" || res == nil {
				return one(m)
			}
			key := auth + "\x00" + id
			ct.mu.Lock()
			defer ct.mu.Unlock()
			switch q.Method {
			case "tasks/cancel":
				if _, known := ct.shown[key]; !known && len(ct.shown) < maxTrackedTasks {
					ct.shown[key] = false
				}
			case "tasks/get":
				shown, known := ct.shown[key]
				if !known || res["status"] != wire.TaskCancelled {
					break
				}
				if !shown {
					ct.shown[key] = true
					break
				}
				completeCancelled(res)
			}
			return one(m)
		}
	})
}

// completeCancelled makes a cancelled task's tasks/get result read
// completed, with a result shaped as the reference's and a lastUpdatedAt
// later than the cancellation's.
func completeCancelled(res map[string]any) {
	at := time.Now().UTC()
	if s, ok := res["lastUpdatedAt"].(string); ok {
		if prev, err := time.Parse(time.RFC3339Nano, s); err == nil && !at.After(prev) {
			at = prev.Add(time.Millisecond)
		}
	}
	res["status"] = wire.TaskCompleted
	res["statusMessage"] = "The operation completed."
	res["lastUpdatedAt"] = at.Format(taskTimeLayout)
	res["result"] = map[string]any{
		"content":    []any{map[string]any{"type": "text", "text": "done"}},
		"isError":    false,
		"resultType": wire.ResultComplete,
	}
	delete(res, "error")
}
