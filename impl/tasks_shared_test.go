package impl

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// Tasks on instances that share one store: the task is created on one,
// served on the other, and its work runs where it was created.

// forEachDeployment runs f with two instances sharing a store: a
// MemoryStore (Servers of one process) and a RedisStore (separate
// connections, as separate processes).
func forEachDeployment(t *testing.T, cfg Config, f func(t *testing.T, a, b *harness)) {
	t.Run("memory", func(t *testing.T) {
		cfg := cfg
		cfg.StateKeys = [][]byte{testKey}
		cfg.Store = NewMemoryStore()
		f(t, newHarness(t, cfg), newHarness(t, cfg))
	})
	t.Run("redis", func(t *testing.T) {
		d := newDeployment(t, cfg)
		f(t, d.instance(), d.instance())
	})
}

// waitRunsEnd waits until no task's work runs on h (the goroutines of its
// work and watcher have ended), at most 3 s.
func waitRunsEnd(t *testing.T, h *harness) {
	t.Helper()
	for range 300 {
		h.s.tasks.mu.Lock()
		n := len(h.s.tasks.runs)
		h.s.tasks.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatal("the work of a task still runs")
}

// inputKeys returns the keys of a task's inputRequests, sorted.
func inputKeys(res map[string]any) []string {
	reqs, _ := res["inputRequests"].(map[string]any)
	var keys []string
	for k := range reqs {
		keys = append(keys, k)
	}
	return sortedStrings(keys)
}

// TestTasksAcrossInstances: a task created on A is read, cancelled and
// answered on B; the work on A stops or goes on accordingly; B shows
// another principal nothing.
func TestTasksAcrossInstances(t *testing.T) {
	forEachDeployment(t, Config{Tokens: testTokens}, func(t *testing.T, a, b *harness) {
		// Read on B, at once.
		id := createTask(t, a, tokAlice, "slow_compute", map[string]any{"seconds": 600})
		onA := taskDo(a, tokAlice, "tasks/get", id, true, nil).result()
		onB := taskDo(b, tokAlice, "tasks/get", id, true, nil).result()
		checkGetResult(t, onB)
		if onB["status"] != wire.TaskWorking || onB["createdAt"] != onA["createdAt"] || onB["ttlMs"] != onA["ttlMs"] {
			t.Fatalf("tasks/get on B: %v\non A: %v", onB, onA)
		}

		// Another principal on B: the unknown ID's answer, byte for byte.
		unknown := "task_" + strings.Repeat("A", 22)
		for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
			extra := map[string]any{"inputResponses": map[string]any{}}
			bob := taskDo(b, tokBob, m, id, true, extra)
			none := taskDo(b, tokAlice, m, unknown, true, extra)
			if bob.errCode() != wire.CodeInvalidParams || !bytes.Equal(bob.body, bytes.ReplaceAll(none.body, []byte(unknown), []byte(id))) {
				t.Errorf("%s of another's task on B: %s\nof an unknown one: %s", m, bob.body, none.body)
			}
		}
		if st := taskDo(a, tokAlice, "tasks/get", id, true, nil).result()["status"]; st != wire.TaskWorking {
			t.Fatalf("after bob's attempts: %v", st)
		}

		// Cancelled on B: cancelled on both at once, and the work on A
		// stops (600 s of it: only the cancellation ends it).
		isAck(t, taskDo(b, tokAlice, "tasks/cancel", id, true, nil))
		for name, h := range map[string]*harness{"A": a, "B": b} {
			if res := taskDo(h, tokAlice, "tasks/get", id, true, nil).result(); res["status"] != wire.TaskCancelled || !strings.Contains(fmt.Sprint(res["statusMessage"]), "client's request") {
				t.Errorf("after the cancel, on %s: %v", name, res)
			}
		}
		waitRunsEnd(t, a)
		if res := taskDo(a, tokAlice, "tasks/get", id, true, nil).result(); res["status"] != wire.TaskCancelled {
			t.Errorf("once the work stopped: %v", res)
		}

		// Input answered on B for a task working on A.
		id = createTask(t, a, tokAlice, "confirm_delete", map[string]any{"filename": "a.txt"})
		res := pollTask(t, b, tokAlice, id, wire.TaskInputRequired)
		keys := inputKeys(res)
		if res["status"] != wire.TaskInputRequired || len(keys) != 1 {
			t.Fatalf("confirm_delete on B: %v", res)
		}
		isAck(t, taskDo(b, tokAlice, "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{keys[0]: map[string]any{"action": "accept", "content": map[string]any{"confirm": true}}}}))
		// Read at once on B, before A's watcher (every 100 ms) can have
		// settled it: the last answer made the task working again.
		if res := taskDo(b, tokAlice, "tasks/get", id, true, nil).result(); res["status"] == wire.TaskInputRequired {
			t.Errorf("confirm_delete answered on B, read at once on B: still %v", res)
		}
		if res := pollTask(t, a, tokAlice, id); res["status"] != wire.TaskCompleted || !strings.Contains(fmt.Sprint(res["result"]), "Deleted a.txt") {
			t.Errorf("confirm_delete answered on B, read on A: %v", res)
		}

		// Two inputs, one answered on each instance.
		id = createTask(t, a, tokAlice, "multi_input", nil)
		keys = inputKeys(pollTask(t, b, tokAlice, id, wire.TaskInputRequired))
		if len(keys) != 2 {
			t.Fatalf("multi_input: keys %v", keys)
		}
		answer := map[string]any{"action": "accept", "content": map[string]any{"name": "n", "confirm": true}}
		isAck(t, taskDo(b, tokAlice, "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{keys[0]: answer}}))
		if left := inputKeys(taskDo(a, tokAlice, "tasks/get", id, true, nil).result()); len(left) != 1 || left[0] != keys[1] {
			t.Fatalf("after the first answer, on A: %v", left)
		}
		// A bad answer on A is refused there, as on B.
		if r := taskDo(a, tokAlice, "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{keys[1]: map[string]any{"action": "maybe"}}}); r.errCode() != wire.CodeInvalidParams {
			t.Errorf("a bad answer on A: %s", r.body)
		}
		isAck(t, taskDo(a, tokAlice, "tasks/update", id, true, map[string]any{"inputResponses": map[string]any{keys[1]: answer}}))
		if res := pollTask(t, b, tokAlice, id); res["status"] != wire.TaskCompleted || !strings.Contains(fmt.Sprint(res["result"]), "Both inputs received: name n (accept), confirm true (accept)") {
			t.Errorf("multi_input answered on both: %v", res)
		}
		waitRunsEnd(t, a)
	})
}

// TestTaskQuotaAcrossInstances: the limits count the tasks of every
// instance.
func TestTaskQuotaAcrossInstances(t *testing.T) {
	forEachDeployment(t, Config{Tokens: testTokens, MaxTasks: 2, MaxTasksTotal: 3}, func(t *testing.T, a, b *harness) {
		createTask(t, a, tokAlice, "slow_compute", map[string]any{"seconds": 600})
		createTask(t, b, tokAlice, "slow_compute", map[string]any{"seconds": 600})
		for _, h := range []*harness{a, b} {
			if r := taskCall(h, tokAlice, "slow_compute", map[string]any{"seconds": 600}); get(r.result(), "isError") != true || !strings.Contains(string(r.body), "the limit of 2 tasks per principal") {
				t.Errorf("alice's third task: %s", r.body)
			}
		}
		id := createTask(t, b, tokBob, "slow_compute", map[string]any{"seconds": 600})
		// A cancelled task counts until it is purged.
		isAck(t, taskDo(a, tokBob, "tasks/cancel", id, true, nil))
		for _, h := range []*harness{a, b} {
			if r := taskCall(h, tokBob, "slow_compute", map[string]any{"seconds": 600}); get(r.result(), "isError") != true || !strings.Contains(string(r.body), "the limit of 3 tasks for all principals together") {
				t.Errorf("bob's second task, the total reached: %s", r.body)
			}
		}
	})
}

// TestTaskTerminalAcrossInstances: work that completes while both
// instances cancel it: whatever settles first stays; no reader on either
// instance ever sees a terminal status change.
func TestTaskTerminalAcrossInstances(t *testing.T) {
	forEachDeployment(t, Config{}, func(t *testing.T, a, b *harness) {
		for i := range 6 {
			id := createTask(t, a, "", "slow_compute", map[string]any{"seconds": 0.1})
			var wg sync.WaitGroup
			seen := make([][]string, 2)
			for j, h := range []*harness{a, b} {
				wg.Go(func() {
					for range 40 {
						// A read that fails (a slow store under load) shows
						// no status, and is not counted.
						if st, _ := taskDo(h, "", "tasks/get", id, true, nil).result()["status"].(string); st != "" {
							seen[j] = append(seen[j], st)
						}
						time.Sleep(5 * time.Millisecond)
					}
				})
				wg.Go(func() {
					time.Sleep(time.Duration(60+15*i) * time.Millisecond)
					taskDo(h, "", "tasks/cancel", id, true, nil)
				})
			}
			wg.Wait()
			final := pollTask(t, a, "", id)["status"]
			for j, sts := range seen {
				first := ""
				for _, st := range sts {
					switch {
					case first == "" && wire.TaskTerminal(st):
						first = st
					case first != "" && st != first:
						t.Fatalf("task %d, reader %d: %s, then %s (%v)", i, j, first, st, sts)
					}
				}
				if first != "" && first != final {
					t.Errorf("task %d, reader %d: %s, finally %s", i, j, first, final)
				}
			}
		}
		waitRunsEnd(t, a)
	})
}

// TestTaskOfADeadInstance: a task whose instance is gone (its record
// alone in the store, no work anywhere) reads as recorded until its
// lifetime passes, then failed (expired), then unknown once purged.
func TestTaskOfADeadInstance(t *testing.T) {
	clk := newTestClock()
	store := newMemoryStore(clk.Now)
	b := newHarness(t, Config{Now: clk.Now, Store: store, TaskTTL: time.Hour})
	id, _ := randomID(taskPrefix)
	now := clk.Now()
	rec := TaskRecord{Created: now, Updated: now, Expires: now.Add(time.Hour), Status: wire.TaskWorking, Message: "The operation is now in progress."}
	if err := store.CreateTask(context.Background(), "", id, rec, time.Hour+taskPurgeDelay, b.s.cfg.taskQuota()); err != nil {
		t.Fatal(err)
	}
	if res := taskDo(b, "", "tasks/get", id, true, nil).result(); res["status"] != wire.TaskWorking {
		t.Fatalf("before its ttlMs: %v", res)
	}
	clk.Advance(time.Hour + time.Second)
	res := taskDo(b, "", "tasks/get", id, true, nil).result()
	checkGetResult(t, res)
	if res["status"] != wire.TaskFailed || !strings.Contains(fmt.Sprint(get(res, "error", "message")), "expired") {
		t.Fatalf("past its ttlMs: %v", res)
	}
	// A cancel now changes nothing.
	isAck(t, taskDo(b, "", "tasks/cancel", id, true, nil))
	if st := taskDo(b, "", "tasks/get", id, true, nil).result()["status"]; st != wire.TaskFailed {
		t.Errorf("cancelled after it expired: %v", st)
	}
	clk.Advance(taskPurgeDelay)
	if r := taskDo(b, "", "tasks/get", id, true, nil); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("purged: %s", r.body)
	}
}
