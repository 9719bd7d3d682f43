package impl

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

var transferArgs = map[string]any{"to": "bob", "amount": 5}

func confirmed(ok bool) map[string]any {
	return map[string]any{"confirm": accept(map[string]any{"confirm": ok})}
}

// startTransfer makes the first call of a transfer and returns its state.
func startTransfer(t *testing.T, h *harness, token string, args map[string]any) string {
	t.Helper()
	r := callAs(h, token, "transfer", args, nil)
	res := r.result()
	st, _ := res["requestState"].(string)
	if res["resultType"] != "input_required" || st == "" {
		t.Fatalf("first call: %s", r.body)
	}
	return st
}

func retryTransfer(h *harness, token, st string, args map[string]any, responses map[string]any) *resp {
	return callAs(h, token, "transfer", args, map[string]any{"requestState": st, "inputResponses": responses})
}

func completedTransfer(r *resp) bool {
	res := r.result()
	return res != nil && res["resultType"] == "complete" && res["isError"] != true
}

func usedUp(r *resp) bool {
	return r.errCode() == wire.CodeInvalidParams && get(r.msg, "error", "data", "reason") == "used" &&
		strings.Contains(get(r.msg, "error", "message").(string), "this confirmation was already used")
}

func TestTransferFlow(t *testing.T) {
	h := newHarness(t, Config{})
	r := callAs(h, "", "transfer", transferArgs, nil)
	res := r.result()
	if res["resultType"] != "input_required" {
		t.Fatalf("first call: %s", r.body)
	}
	form := get(res, "inputRequests", "confirm", "params")
	if get(form, "message") != "Transfer 5 to bob?" || get(form, "requestedSchema", "properties", "confirm", "type") != "boolean" {
		t.Errorf("confirmation form: %v", form)
	}
	st := res["requestState"].(string)
	r = retryTransfer(h, "", st, transferArgs, confirmed(true))
	if !completedTransfer(r) || !strings.Contains(string(r.body), "transferred 5 to bob") {
		t.Fatalf("confirmed retry: %s", r.body)
	}
	sc := get(r.result(), "structuredContent")
	if get(sc, "to") != "bob" || get(sc, "amount") != 5.0 || !strings.HasPrefix(get(sc, "transferId").(string), "tr_") {
		t.Errorf("structuredContent: %v", sc)
	}
	// The same state again: rejected, each time.
	for range 3 {
		if r := retryTransfer(h, "", st, transferArgs, confirmed(true)); !usedUp(r) {
			t.Errorf("replay: %s", r.body)
		}
	}
	// Argument order and number spelling do not matter to the binding.
	st2 := startTransfer(t, h, "", map[string]any{"amount": 7, "to": "carol"})
	if r := retryTransfer(h, "", st2, map[string]any{"to": "carol", "amount": 7.0}, confirmed(true)); !strings.Contains(string(r.body), "transferred 7 to carol") {
		t.Errorf("same transfer, other spelling: %s", r.body)
	}
	// The description says the confirmation is single-use.
	for _, tl := range get(h.do(rpc{Method: "tools/list", Params: map[string]any{}}).result(), "tools").([]any) {
		if get(tl, "name") == "transfer" && !strings.Contains(get(tl, "description").(string), "Each confirmation can be used once") {
			t.Errorf("description: %v", get(tl, "description"))
		}
	}
}

// TestTransferNeverCompletesWithoutItsState: a confirmation without the
// state, with another transfer's state, another principal's, an expired
// one, or one already answered, transfers nothing.
func TestTransferNeverCompletesWithoutItsState(t *testing.T) {
	clk := newTestClock()
	h := newHarness(t, Config{Tokens: testTokens, Now: clk.Now, StateTTL: time.Minute})
	// confirm=true without any state: asked, not done.
	r := callAs(h, tokAlice, "transfer", transferArgs, map[string]any{"inputResponses": confirmed(true)})
	if get(r.result(), "resultType") != "input_required" {
		t.Errorf("no state: %s", r.body)
	}
	st := startTransfer(t, h, tokAlice, transferArgs)
	for name, args := range map[string]map[string]any{
		"more money":      {"to": "bob", "amount": 500},
		"someone else":    {"to": "eve", "amount": 5},
		"extra arguments": {"to": "bob", "amount": 5, "memo": "x"},
	} {
		r := retryTransfer(h, tokAlice, st, args, confirmed(true))
		if completedTransfer(r) {
			t.Errorf("%s with the state of another transfer: %s", name, r.body)
		}
	}
	if r := retryTransfer(h, tokBob, st, transferArgs, confirmed(true)); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("bob with alice's state: %s", r.body)
	}
	// Missing the answer: asked again, and the state is still good.
	if r := retryTransfer(h, tokAlice, st, transferArgs, map[string]any{}); get(r.result(), "resultType") != "input_required" {
		t.Errorf("no answer: %s", r.body)
	}
	// Declined: uses the confirmation up.
	if r := retryTransfer(h, tokAlice, st, transferArgs, map[string]any{"confirm": map[string]any{"action": "decline"}}); get(r.result(), "isError") != true {
		t.Errorf("declined: %s", r.body)
	}
	if r := retryTransfer(h, tokAlice, st, transferArgs, confirmed(true)); !usedUp(r) {
		t.Errorf("accepted after a decline: %s", r.body)
	}
	// confirm=false: not done, used up.
	st = startTransfer(t, h, tokAlice, transferArgs)
	if r := retryTransfer(h, tokAlice, st, transferArgs, confirmed(false)); get(r.result(), "isError") != true {
		t.Errorf("confirm=false: %s", r.body)
	}
	if r := retryTransfer(h, tokAlice, st, transferArgs, confirmed(true)); !usedUp(r) {
		t.Errorf("confirm=true after confirm=false: %s", r.body)
	}
	// Expired.
	st = startTransfer(t, h, tokAlice, transferArgs)
	clk.Advance(time.Minute)
	if r := retryTransfer(h, tokAlice, st, transferArgs, confirmed(true)); r.errCode() != wire.CodeInvalidParams || get(r.msg, "error", "data", "reason") != "expired" {
		t.Errorf("expired: %s", r.body)
	}
	// A malformed answer is an error and does not use the state up.
	st = startTransfer(t, h, tokAlice, transferArgs)
	if r := retryTransfer(h, tokAlice, st, transferArgs, map[string]any{"confirm": accept(map[string]any{"confirm": "yes"})}); r.errCode() != wire.CodeInvalidParams {
		t.Errorf("malformed answer: %s", r.body)
	}
	if r := retryTransfer(h, tokAlice, st, transferArgs, confirmed(true)); !completedTransfer(r) {
		t.Errorf("after a malformed answer: %s", r.body)
	}
}

// TestTransferConcurrentReplay: the same confirmation presented many times
// at once completes exactly once.
func TestTransferConcurrentReplay(t *testing.T) {
	h := newHarness(t, Config{})
	st := startTransfer(t, h, "", transferArgs)
	const n = 16
	var wg sync.WaitGroup
	results := make([]*resp, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = retryTransfer(h, "", st, transferArgs, confirmed(true))
		}()
	}
	wg.Wait()
	done, used := 0, 0
	for _, r := range results {
		switch {
		case completedTransfer(r):
			done++
		case usedUp(r):
			used++
		}
	}
	if done != 1 || used != n-1 {
		t.Errorf("%d completed, %d rejected as used; want 1 and %d", done, used, n-1)
	}
}

// TestTransferAcrossInstances: instances that share keys and a store
// reject a confirmation used on another; with a store each, the second
// instance cannot know, which is why a deployment shares it.
func TestTransferAcrossInstances(t *testing.T) {
	store := NewMemoryStore()
	a := newHarness(t, Config{StateKeys: [][]byte{testKey}, Store: store})
	b := newHarness(t, Config{StateKeys: [][]byte{testKey}, Store: store})
	st := startTransfer(t, a, "", transferArgs)
	if r := retryTransfer(b, "", st, transferArgs, confirmed(true)); !completedTransfer(r) {
		t.Fatalf("finished on b: %s", r.body)
	}
	if r := retryTransfer(a, "", st, transferArgs, confirmed(true)); !usedUp(r) {
		t.Errorf("replayed on a: %s", r.body)
	}
	if r := retryTransfer(b, "", st, transferArgs, confirmed(true)); !usedUp(r) {
		t.Errorf("replayed on b: %s", r.body)
	}
	own := newHarness(t, Config{StateKeys: [][]byte{testKey}})
	if r := retryTransfer(own, "", st, transferArgs, confirmed(true)); !completedTransfer(r) {
		t.Errorf("an instance with its own store: %s", r.body)
	}
}

// failingStore is a store that is down.
type failingStore struct{}

var errStoreDown = errors.New("store down")

func (failingStore) Redeem(context.Context, string, string, time.Duration, Quota) (bool, error) {
	return false, errStoreDown
}

func (failingStore) CreateCart(context.Context, string, string, time.Duration, Quota) (Cart, error) {
	return Cart{}, errStoreDown
}

func (failingStore) Cart(context.Context, string, string) (Cart, error) { return Cart{}, errStoreDown }

func (failingStore) UpdateCart(context.Context, string, string, func(*Cart) error) (Cart, error) {
	return Cart{}, errStoreDown
}

func (failingStore) DeleteCart(context.Context, string, string) error { return errStoreDown }

func (failingStore) CreateTask(context.Context, string, string, TaskRecord, time.Duration, Quota) error {
	return errStoreDown
}

func (failingStore) Task(context.Context, string, string) (TaskRecord, error) {
	return TaskRecord{}, errStoreDown
}

func (failingStore) UpdateTask(context.Context, string, string, func(*TaskRecord) error) (TaskRecord, error) {
	return TaskRecord{}, errStoreDown
}

// TestStoreDownFailsClosed: when the store fails, a transfer is not made
// and no cart tool answers as if it had worked or as if the cart were
// gone: each is an internal error.
func TestStoreDownFailsClosed(t *testing.T) {
	h := newHarness(t, Config{Store: failingStore{}})
	st := startTransfer(t, h, "", transferArgs)
	if r := retryTransfer(h, "", st, transferArgs, confirmed(true)); completedTransfer(r) || r.errCode() != wire.CodeInternalError {
		t.Errorf("transfer with the store down: %s", r.body)
	}
	handle, _ := mintCartHandle()
	for tool, args := range map[string]map[string]any{
		"cart_create": nil,
		"cart_view":   {"cart_id": handle},
		"cart_add":    {"cart_id": handle, "sku": "apple", "qty": 1},
		"cart_delete": {"cart_id": handle},
	} {
		if r := callAs(h, "", tool, args, nil); r.errCode() != wire.CodeInternalError {
			t.Errorf("%s with the store down: %s", tool, r.body)
		}
	}
	// No task is created, and none is said not to exist.
	if r := taskCall(h, "", "slow_compute", map[string]any{"seconds": 60}); r.errCode() != wire.CodeInternalError {
		t.Errorf("a task with the store down: %s", r.body)
	}
	id, _ := randomID(taskPrefix)
	for _, m := range []string{"tasks/get", "tasks/update", "tasks/cancel"} {
		if r := taskDo(h, "", m, id, true, map[string]any{"inputResponses": map[string]any{}}); r.errCode() != wire.CodeInternalError {
			t.Errorf("%s with the store down: %s", m, r.body)
		}
	}
}
