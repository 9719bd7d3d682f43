package impl

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/internal/redistest"
	"github.com/mcpverify/mcpverify/wire"
)

// Both Store implementations are held to one contract: every case of
// storeContract runs against a MemoryStore and against a RedisStore on a
// real redis-server (internal/redistest: skipped without one, unless
// MCPVERIFY_REQUIRE_REDIS is set, as make test and CI set it).

// storeOpener opens a fresh, empty store for a test.
type storeOpener func(t *testing.T) Store

// forEachStore runs f once per implementation: "memory" and "redis".
func forEachStore(t *testing.T, f func(t *testing.T, open storeOpener)) {
	t.Run("memory", func(t *testing.T) {
		f(t, func(*testing.T) Store { return NewMemoryStore() })
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		f(t, func(t *testing.T) Store { return openRedisStore(t, srv, newRedisPrefix()) })
	})
}

var redisPrefixes atomic.Int64

// newRedisPrefix returns a key prefix of its own for one test's store,
// so that the tests sharing a redis-server share no key.
func newRedisPrefix() string { return fmt.Sprintf("test%d:", redisPrefixes.Add(1)) }

// openRedisStore opens a client of its own (as another instance would)
// on the store under prefix in srv, closed when t ends.
func openRedisStore(t testing.TB, srv *redistest.Server, prefix string) *RedisStore {
	t.Helper()
	s, err := OpenRedisStore(context.Background(), srv.URL(0), RedisOptions{Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// shortTTL is the lifetime of the records that a case waits out;
// outlived is long enough after it (real time: Redis expires records by
// its own clock).
const (
	shortTTL = 100 * time.Millisecond
	outlived = 3 * shortTTL
)

var roomy = Quota{PerPrincipal: 1000, Total: 10_000}

func wantQuota(t *testing.T, err error, records string, perPrincipal bool, maxRecords int) {
	t.Helper()
	var qe *QuotaError
	if !errors.As(err, &qe) || qe.Records != records || qe.PerPrincipal != perPrincipal || qe.Max != maxRecords {
		t.Fatalf("got %v, want the limit of %d %s (per principal: %v)", err, maxRecords, records, perPrincipal)
	}
}

func mustRedeem(t *testing.T, s Store, principal, key string, ttl time.Duration, q Quota, want bool) {
	t.Helper()
	got, err := s.Redeem(context.Background(), principal, key, ttl, q)
	if err != nil || got != want {
		t.Fatalf("Redeem(%s, %s) = %v, %v; want %v", principal, key, got, err, want)
	}
}

func mustCreateCart(t *testing.T, s Store, principal, handle string, ttl time.Duration, q Quota) Cart {
	t.Helper()
	c, err := s.CreateCart(context.Background(), principal, handle, ttl, q)
	if err != nil {
		t.Fatalf("CreateCart(%s, %s): %v", principal, handle, err)
	}
	return c
}

func addItem(sku string, qty int64) func(*Cart) error {
	return func(c *Cart) error { return c.add(sku, qty) }
}

func wantCartGone(t *testing.T, s Store, principal, handle string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Cart(ctx, principal, handle); !errors.Is(err, ErrCartNotFound) {
		t.Errorf("Cart: %v, want ErrCartNotFound", err)
	}
	if _, err := s.UpdateCart(ctx, principal, handle, addItem("x", 1)); !errors.Is(err, ErrCartNotFound) {
		t.Errorf("UpdateCart: %v, want ErrCartNotFound", err)
	}
	if err := s.DeleteCart(ctx, principal, handle); !errors.Is(err, ErrCartNotFound) {
		t.Errorf("DeleteCart: %v, want ErrCartNotFound", err)
	}
}

// storeContract is what every Store must do.
var storeContract = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"a key is redeemed once, by any principal", func(t *testing.T, s Store) {
		mustRedeem(t, s, "alice", "k", time.Minute, roomy, true)
		mustRedeem(t, s, "alice", "k", time.Minute, roomy, false)
		mustRedeem(t, s, "bob", "k", time.Minute, roomy, false)
		mustRedeem(t, s, "alice", "k2", time.Minute, roomy, true)
	}},
	{"concurrent redemptions of one key: one succeeds", func(t *testing.T, s Store) {
		const n = 64
		var wins, fails atomic.Int64
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				ok, err := s.Redeem(context.Background(), fmt.Sprint("p", i%3), "race", time.Minute, roomy)
				switch {
				case err != nil:
					fails.Add(1)
				case ok:
					wins.Add(1)
				}
			})
		}
		wg.Wait()
		if wins.Load() != 1 || fails.Load() != 0 {
			t.Errorf("%d redemptions succeeded and %d failed; want 1 and 0", wins.Load(), fails.Load())
		}
	}},
	{"a redemption expires", func(t *testing.T, s Store) {
		mustRedeem(t, s, "alice", "k", shortTTL, roomy, true)
		time.Sleep(outlived)
		mustRedeem(t, s, "alice", "k", time.Minute, roomy, true)
		mustRedeem(t, s, "alice", "k", time.Minute, roomy, false)
	}},
	{"redemptions: a principal at its quota does not block others", func(t *testing.T, s Store) {
		q := Quota{PerPrincipal: 3, Total: 10}
		for i := range 3 {
			mustRedeem(t, s, "alice", fmt.Sprint("a", i), time.Minute, q, true)
		}
		_, err := s.Redeem(context.Background(), "alice", "a3", time.Minute, q)
		wantQuota(t, err, recordsConfirmations, true, 3)
		mustRedeem(t, s, "bob", "b0", time.Minute, q, true)
		// The refused redemption recorded nothing.
		mustRedeem(t, s, "bob", "a3", time.Minute, q, true)
	}},
	{"redemptions: the total bounds all principals together", func(t *testing.T, s Store) {
		q := Quota{PerPrincipal: 3, Total: 5}
		for i := range 5 {
			mustRedeem(t, s, fmt.Sprint("p", i%2), fmt.Sprint("k", i), time.Minute, q, true)
		}
		_, err := s.Redeem(context.Background(), "carol", "c", time.Minute, q)
		wantQuota(t, err, recordsConfirmations, false, 5)
	}},
	{"redemptions: expired records free the quota", func(t *testing.T, s Store) {
		q := Quota{PerPrincipal: 2, Total: 3}
		mustRedeem(t, s, "alice", "a0", shortTTL, q, true)
		mustRedeem(t, s, "alice", "a1", shortTTL, q, true)
		mustRedeem(t, s, "bob", "b0", shortTTL, q, true)
		_, err := s.Redeem(context.Background(), "alice", "a2", time.Minute, q)
		wantQuota(t, err, recordsConfirmations, true, 2)
		time.Sleep(outlived)
		mustRedeem(t, s, "alice", "a2", time.Minute, q, true)
		mustRedeem(t, s, "alice", "a3", time.Minute, q, true)
		mustRedeem(t, s, "carol", "c0", time.Minute, q, true)
	}},
	{"a cancelled redemption records nothing", func(t *testing.T, s Store) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, err := s.Redeem(ctx, "alice", "k", time.Minute, roomy); err == nil {
			t.Fatal("a cancelled redemption succeeded")
		}
		mustRedeem(t, s, "alice", "k", time.Minute, roomy, true)
	}},
	{"a cart is made, edited, read and deleted", func(t *testing.T, s Store) {
		ctx := context.Background()
		before := time.Now()
		c := mustCreateCart(t, s, "alice", "h1", time.Hour, roomy)
		if len(c.Items) != 0 || c.Expires.Before(before.Add(time.Hour-time.Second)) || c.Expires.After(time.Now().Add(time.Hour+time.Second)) {
			t.Fatalf("new cart: %+v", c)
		}
		for _, add := range []CartItem{{"apple", 2}, {"pear", 1}, {"apple", 3}} {
			if _, err := s.UpdateCart(ctx, "alice", "h1", addItem(add.SKU, add.Qty)); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.Cart(ctx, "alice", "h1")
		if err != nil || len(got.Items) != 2 || got.Items[0] != (CartItem{"apple", 5}) || got.Items[1] != (CartItem{"pear", 1}) {
			t.Fatalf("Cart: %+v, %v", got, err)
		}
		if !got.Expires.Equal(c.Expires) {
			t.Errorf("the expiry moved: %v, then %v", c.Expires, got.Expires)
		}
		if err := s.DeleteCart(ctx, "alice", "h1"); err != nil {
			t.Fatal(err)
		}
		wantCartGone(t, s, "alice", "h1")
	}},
	{"a cart is its principal's only", func(t *testing.T, s Store) {
		ctx := context.Background()
		mustCreateCart(t, s, "alice", "h1", time.Hour, roomy)
		if _, err := s.UpdateCart(ctx, "alice", "h1", addItem("apple", 1)); err != nil {
			t.Fatal(err)
		}
		wantCartGone(t, s, "bob", "h1")
		wantCartGone(t, s, "", "h1")
		if c, err := s.Cart(ctx, "alice", "h1"); err != nil || len(c.Items) != 1 || c.Items[0].Qty != 1 {
			t.Errorf("alice's cart after bob's attempts: %+v, %v", c, err)
		}
		// The same handle under another principal is another cart.
		mustCreateCart(t, s, "bob", "h1", time.Hour, roomy)
		if c, err := s.Cart(ctx, "bob", "h1"); err != nil || len(c.Items) != 0 {
			t.Errorf("bob's cart: %+v, %v", c, err)
		}
	}},
	{"a handle is not made twice", func(t *testing.T, s Store) {
		mustCreateCart(t, s, "alice", "h1", time.Hour, roomy)
		if _, err := s.CreateCart(context.Background(), "alice", "h1", time.Hour, roomy); err == nil {
			t.Error("a second cart under one handle")
		}
	}},
	{"a cart expires", func(t *testing.T, s Store) {
		mustCreateCart(t, s, "alice", "h1", shortTTL, roomy)
		time.Sleep(outlived)
		wantCartGone(t, s, "alice", "h1")
	}},
	{"carts: per principal and total quotas; deletion frees", func(t *testing.T, s Store) {
		q := Quota{PerPrincipal: 2, Total: 3}
		mustCreateCart(t, s, "alice", "a0", time.Hour, q)
		mustCreateCart(t, s, "alice", "a1", time.Hour, q)
		_, err := s.CreateCart(context.Background(), "alice", "a2", time.Hour, q)
		wantQuota(t, err, recordsCarts, true, 2)
		mustCreateCart(t, s, "bob", "b0", time.Hour, q)
		_, err = s.CreateCart(context.Background(), "carol", "c0", time.Hour, q)
		wantQuota(t, err, recordsCarts, false, 3)
		if err := s.DeleteCart(context.Background(), "alice", "a0"); err != nil {
			t.Fatal(err)
		}
		mustCreateCart(t, s, "carol", "c0", time.Hour, q)
		// The refused carts were not made.
		wantCartGone(t, s, "alice", "a2")
	}},
	{"carts: expired carts free the quota", func(t *testing.T, s Store) {
		q := Quota{PerPrincipal: 1, Total: 2}
		mustCreateCart(t, s, "alice", "a0", shortTTL, q)
		_, err := s.CreateCart(context.Background(), "alice", "a1", time.Hour, q)
		wantQuota(t, err, recordsCarts, true, 1)
		time.Sleep(outlived)
		mustCreateCart(t, s, "alice", "a1", time.Hour, q)
	}},
	{"a failed edit changes nothing", func(t *testing.T, s Store) {
		ctx := context.Background()
		mustCreateCart(t, s, "alice", "h1", time.Hour, roomy)
		if _, err := s.UpdateCart(ctx, "alice", "h1", addItem("apple", 1)); err != nil {
			t.Fatal(err)
		}
		boom := errors.New("boom")
		_, err := s.UpdateCart(ctx, "alice", "h1", func(c *Cart) error {
			c.Items[0].Qty = 99
			c.Items = append(c.Items, CartItem{"pear", 1})
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("UpdateCart: %v, want the edit's error", err)
		}
		if c, err := s.Cart(ctx, "alice", "h1"); err != nil || len(c.Items) != 1 || c.Items[0].Qty != 1 {
			t.Errorf("after a failed edit: %+v, %v", c, err)
		}
	}},
	{"concurrent edits lose nothing", func(t *testing.T, s Store) {
		ctx := context.Background()
		mustCreateCart(t, s, "alice", "h1", time.Hour, roomy)
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.UpdateCart(ctx, "alice", "h1", addItem("apple", 1))
			})
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		if c, err := s.Cart(ctx, "alice", "h1"); err != nil || c.qty("apple") != n {
			t.Errorf("after %d concurrent adds of 1: %+v, %v", n, c, err)
		}
	}},
}

// newTaskRecord is a working task created now, living an hour.
func newTaskRecord() TaskRecord {
	now := time.UnixMilli(time.Now().UnixMilli())
	return TaskRecord{Created: now, Updated: now, Expires: now.Add(time.Hour), Status: wire.TaskWorking, Message: "working"}
}

func mustCreateTask(t *testing.T, s Store, principal, id string, ttl time.Duration, q Quota) {
	t.Helper()
	if err := s.CreateTask(context.Background(), principal, id, newTaskRecord(), ttl, q); err != nil {
		t.Fatalf("CreateTask(%s, %s): %v", principal, id, err)
	}
}

func wantTaskGone(t *testing.T, s Store, principal, id string) {
	t.Helper()
	ctx := context.Background()
	if _, err := s.Task(ctx, principal, id); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("Task: %v, want ErrTaskNotFound", err)
	}
	if _, err := s.UpdateTask(ctx, principal, id, func(*TaskRecord) error { return nil }); !errors.Is(err, ErrTaskNotFound) {
		t.Errorf("UpdateTask: %v, want ErrTaskNotFound", err)
	}
}

// taskContract is what every Store must do with tasks.
var taskContract = []struct {
	name string
	run  func(t *testing.T, s Store)
}{
	{"a task is made, read and edited, its principal's only", func(t *testing.T, s Store) {
		ctx := context.Background()
		want := newTaskRecord()
		want.Result = wire.Object{"content": wire.Value(`[]`)}
		if err := s.CreateTask(ctx, "alice", "t1", want, time.Hour, roomy); err != nil {
			t.Fatal(err)
		}
		got, err := s.Task(ctx, "alice", "t1")
		if err != nil || !got.Created.Equal(want.Created) || !got.Expires.Equal(want.Expires) || got.Status != want.Status || string(got.Result["content"]) != "[]" {
			t.Fatalf("Task: %+v, %v", got, err)
		}
		got, err = s.UpdateTask(ctx, "alice", "t1", func(r *TaskRecord) error {
			r.Status, r.Keys = wire.TaskInputRequired, 1
			r.Pending = map[string]string{"confirm-1": "confirm_delete"}
			return nil
		})
		if err != nil || got.Status != wire.TaskInputRequired || got.Pending["confirm-1"] != "confirm_delete" {
			t.Fatalf("UpdateTask: %+v, %v", got, err)
		}
		_, err = s.UpdateTask(ctx, "alice", "t1", func(r *TaskRecord) error {
			delete(r.Pending, "confirm-1")
			r.Answers = map[string]TaskAnswer{"confirm-1": {Action: "accept", Content: map[string]any{"confirm": true, "name": "n"}}}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err = s.Task(ctx, "alice", "t1")
		if a := got.Answers["confirm-1"]; err != nil || len(got.Pending) != 0 || got.Keys != 1 || a.Action != "accept" || a.Content["confirm"] != true || a.Content["name"] != "n" {
			t.Errorf("after the answer: %+v, %v", got, err)
		}
		wantTaskGone(t, s, "bob", "t1")
		wantTaskGone(t, s, "", "t1")
		wantTaskGone(t, s, "alice", "t2")
		if _, err := s.Task(ctx, "alice", "t1"); err != nil {
			t.Errorf("alice's task after bob's attempts: %v", err)
		}
	}},
	{"a task ID is not made twice", func(t *testing.T, s Store) {
		mustCreateTask(t, s, "alice", "t1", time.Hour, roomy)
		if err := s.CreateTask(context.Background(), "alice", "t1", newTaskRecord(), time.Hour, roomy); err == nil {
			t.Error("a second task under one ID")
		}
	}},
	{"a task is purged when its record expires", func(t *testing.T, s Store) {
		mustCreateTask(t, s, "alice", "t1", shortTTL, roomy)
		time.Sleep(outlived)
		wantTaskGone(t, s, "alice", "t1")
	}},
	{"tasks: per principal and total quotas; expiry frees", func(t *testing.T, s Store) {
		q := Quota{PerPrincipal: 2, Total: 3}
		mustCreateTask(t, s, "alice", "a0", shortTTL, q)
		mustCreateTask(t, s, "alice", "a1", time.Hour, q)
		err := s.CreateTask(context.Background(), "alice", "a2", newTaskRecord(), time.Hour, q)
		wantQuota(t, err, recordsTasks, true, 2)
		mustCreateTask(t, s, "bob", "b0", time.Hour, q)
		err = s.CreateTask(context.Background(), "carol", "c0", newTaskRecord(), time.Hour, q)
		wantQuota(t, err, recordsTasks, false, 3)
		wantTaskGone(t, s, "alice", "a2")
		time.Sleep(outlived)
		mustCreateTask(t, s, "carol", "c0", time.Hour, q)
	}},
	{"a failed task edit changes nothing", func(t *testing.T, s Store) {
		ctx := context.Background()
		mustCreateTask(t, s, "alice", "t1", time.Hour, roomy)
		boom := errors.New("boom")
		_, err := s.UpdateTask(ctx, "alice", "t1", func(r *TaskRecord) error {
			r.Status = wire.TaskCompleted
			return boom
		})
		if !errors.Is(err, boom) {
			t.Errorf("UpdateTask: %v, want the edit's error", err)
		}
		if r, err := s.Task(ctx, "alice", "t1"); err != nil || r.Status != wire.TaskWorking {
			t.Errorf("after a failed edit: %+v, %v", r, err)
		}
	}},
	{"concurrent settlements: the first stays", func(t *testing.T, s Store) {
		ctx := context.Background()
		mustCreateTask(t, s, "alice", "t1", time.Hour, roomy)
		const n = 8
		var wg sync.WaitGroup
		got := make([]TaskRecord, n)
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				status := []string{wire.TaskCompleted, wire.TaskFailed, wire.TaskCancelled}[i%3]
				got[i], errs[i] = s.UpdateTask(ctx, "alice", "t1", settleEdit(time.Now(), status, fmt.Sprint("settled by ", i), nil, nil))
			})
		}
		wg.Wait()
		final, err := s.Task(ctx, "alice", "t1")
		if err != nil || !wire.TaskTerminal(final.Status) {
			t.Fatalf("final: %+v, %v", final, err)
		}
		won := 0
		for i, r := range got {
			switch {
			case errors.Is(errs[i], errTaskEnded):
			case errs[i] != nil:
				t.Errorf("settlement %d: %v", i, errs[i])
			case r.Status != final.Status || r.Message != final.Message:
				t.Errorf("settlement %d stored %s (%s); the task is %s (%s)", i, r.Status, r.Message, final.Status, final.Message)
			default:
				won++
			}
		}
		if won != 1 {
			t.Errorf("%d settlements changed the task; want 1", won)
		}
	}},
}

// TestTaskRecordEncoding: a record goes through its encoding unchanged,
// and what is not a record of this version does not decode.
func TestTaskRecordEncoding(t *testing.T) {
	r := newTaskRecord()
	r.Error = &wire.Error{Code: wire.CodeInternalError, Message: "m"}
	r.Pending = map[string]string{"name-1": "task_name"}
	v, err := encodeTask(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeTask(v)
	if err != nil || !got.Created.Equal(r.Created) || got.Error == nil || got.Error.Message != "m" || got.Pending["name-1"] != "task_name" {
		t.Errorf("round trip of %s: %+v, %v", v, got, err)
	}
	for _, bad := range []string{`{"v":2,"status":"working"}`, `{"status":"working"}`, `{"v":1,"status":`, `[]`, ``} {
		if _, err := decodeTask(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestStoreContract(t *testing.T) {
	forEachStore(t, func(t *testing.T, open storeOpener) {
		for _, c := range append(storeContract, taskContract...) {
			t.Run(c.name, func(t *testing.T) {
				t.Parallel()
				c.run(t, open(t))
			})
		}
	})
}

// TestMemoryStoreSweeps: expired records do not accumulate: a store that
// keeps taking records of a short life holds about those alive.
func TestMemoryStoreSweeps(t *testing.T) {
	clk := newTestClock()
	m := newMemoryStore(clk.Now)
	ctx := context.Background()
	q := Quota{PerPrincipal: 100, Total: 1000}
	for i := range 10_000 {
		p := fmt.Sprint("p", i%50)
		if _, err := m.Redeem(ctx, p, fmt.Sprint("k", i), time.Second, q); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		if _, err := m.CreateCart(ctx, p, fmt.Sprint("h", i), time.Second, q); err != nil {
			t.Fatalf("%d: %v", i, err)
		}
		clk.Advance(100 * time.Millisecond)
	}
	if r, c, _ := m.counts(); r > 2048 || c > 2048 {
		t.Errorf("%d redemptions and %d carts held; expired ones were not dropped", r, c)
	}
	if n := len(m.owner); n > 2048 {
		t.Errorf("%d keys owned", n)
	}
}

// TestMemoryStoreQuotaAfterExpiry: a principal at its quota whose earliest
// record has expired can record again, whatever the order in which its
// records were made (the sweep that makes room must not be skipped while
// an expired record is held).
func TestMemoryStoreQuotaAfterExpiry(t *testing.T) {
	ctx := context.Background()
	q := Quota{PerPrincipal: 2, Total: 100}
	for _, ttls := range [][2]time.Duration{{time.Second, 10 * time.Second}, {10 * time.Second, time.Second}} {
		clk := newTestClock()
		m := newMemoryStore(clk.Now)
		for i, ttl := range ttls {
			if ok, err := m.Redeem(ctx, "p", fmt.Sprint("k", i), ttl, q); !ok || err != nil {
				t.Fatalf("redemption %d: %v %v", i, ok, err)
			}
			if _, err := m.CreateCart(ctx, "p", fmt.Sprint("h", i), ttl, q); err != nil {
				t.Fatalf("cart %d: %v", i, err)
			}
		}
		clk.Advance(2 * time.Second)
		if ok, err := m.Redeem(ctx, "p", "k2", time.Second, q); !ok || err != nil {
			t.Errorf("lifetimes %v: a redemption after one expired: %v %v", ttls, ok, err)
		}
		if _, err := m.CreateCart(ctx, "p", "h2", time.Second, q); err != nil {
			t.Errorf("lifetimes %v: a cart after one expired: %v", ttls, err)
		}
	}
}
