// Package vsimpl holds the property that ties the model to the reference
// server: the model accepts every answer of impl. It runs as a test here
// and as a fuzz target in package fuzz.
package vsimpl

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/target"
	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/trace"
	"github.com/mcpverify/mcpverify/wire"
	"pgregory.net/rapid"
)

// Steps counts the exchanges ModelVsImpl has judged (all runs, all
// goroutines), so tests can report how many steps a run covered.
var Steps atomic.Int64

// rapidChooser adapts rapid.T to check.Chooser: every choice is a draw, so
// rapid shrinks generated requests too.
type rapidChooser struct{ t *rapid.T }

func (c rapidChooser) Intn(n int) int { return rapid.IntRange(0, n-1).Draw(c.t, "choice") }

// tasksClient declares every input capability and the tasks extension.
var tasksClient = check.Client{Version: wire.Version, Capabilities: wire.Value(`{"elicitation":{},"sampling":{},"roots":{},"extensions":{"` + wire.ExtensionTasks + `":{}}}`),
	Info: wire.Implementation{Name: "mcpverify", Version: "0.1.0"}}

// clients are the clients the state machine plays: no capabilities, or
// every input capability, with or without the tasks extension, with and
// without progress and log requests.
var clients = []check.Client{
	check.DefaultClient,
	{Version: wire.Version, Capabilities: wire.Value(`{"elicitation":{},"sampling":{},"roots":{}}`), Info: wire.Implementation{Name: "mcpverify", Version: "0.1.0"}},
	tasksClient,
}

// taskMethods are the requests the state machine sends about a task it
// saw created.
var taskMethods = []string{"tasks/get", "tasks/update", "tasks/cancel"}

// ModelVsImpl: the model accepts every answer of the reference server. A
// state machine draws each next request from the model's Enabled actions
// (with arguments drawn from the server's own declarations), sends it to
// the reference server over HTTP, in process (target.InProcess), and steps the
// model with the exchange; any violation fails, with the trace so far.
func ModelVsImpl(t *rapid.T) {
	srv, err := impl.New(impl.Config{})
	if err != nil {
		t.Fatal(err)
	}
	tgt := target.InProcess(srv.Handler(), target.Limits{})
	defer tgt.Close()
	defer srv.Close()

	st := model.NewState(model.Config{})
	decl := check.NewDeclarations()
	var seen []*wire.Exchange
	var tasks []string // the task IDs of the CreateTaskResults seen
	next := int64(0)
	send := func(t *rapid.T, r *check.Request) {
		ex := tgt.Send(context.Background(), r)
		seen = append(seen, ex)
		ex.Decode()
		for _, rp := range ex.Replies {
			if ct, ok := rp.Result.(*wire.CreateTaskResult); ok {
				tasks = append(tasks, ct.TaskID)
			}
		}
		Steps.Add(1)
		var vs []model.Violation
		st, vs = st.Step(ex)
		decl.Learn(ex)
		if len(vs) > 0 {
			var b strings.Builder
			for _, v := range vs {
				fmt.Fprintf(&b, "  %v\n", v)
			}
			t.Fatalf("the model rejects the reference server's answer:\n%s\ntrace:\n%s", b.String(), trace.Format(&trace.Trace{Exchanges: seen}))
		}
	}
	t.Repeat(map[string]func(*rapid.T){
		"act": func(t *rapid.T) {
			acts := model.Enabled(st)
			a := rapid.SampledFrom(acts).Draw(t, "action")
			c := rapid.SampledFrom(clients).Draw(t, "client")
			next++
			var id wire.RequestID
			if rapid.Bool().Draw(t, "string id") {
				id = wire.StringID(fmt.Sprintf("r%d", next))
			} else {
				id = wire.IntID(next)
			}
			send(t, decl.Build(rapidChooser{t}, c, id, a))
		},
		"task": func(t *rapid.T) {
			// A task seen created, or one that never was; with or
			// without the extension.
			id := "task_unknown"
			if len(tasks) > 0 && rapid.IntRange(0, 4).Draw(t, "unknown task") > 0 {
				id = rapid.SampledFrom(tasks).Draw(t, "task")
			}
			m := rapid.SampledFrom(taskMethods).Draw(t, "task method")
			params := map[string]any{"taskId": id}
			if m == "tasks/update" {
				params["inputResponses"] = map[string]any{}
			}
			c := rapid.SampledFrom(clients).Draw(t, "client")
			next++
			send(t, c.Request(wire.IntID(next), m, params, nil))
		},
		"list tools": func(t *rapid.T) {
			next++
			send(t, check.DefaultClient.Request(wire.IntID(next), "tools/list", nil, nil))
		},
	})
}
