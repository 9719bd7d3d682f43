package impl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// What the instances of a deployment share.
//
// Any request may land on any instance, so what a request finds must not
// depend on the instance: the keys that seal requestState (Config.StateKeys)
// and the Store, which keeps
//
//   - the single-use ledger. Sealing binds a requestState to its caller,
//     its request and a short lifetime, but within that lifetime the same
//     state opens every time it is presented (state.go). mrtr.mdx: servers
//     for which a requestState must be consumed at most once MUST enforce
//     that server-side. The transfer fixture (fixtures_state.go) is such a
//     case: its state carries a random nonce, and the retry that answers
//     the confirmation redeems the nonce in the Store before anything is
//     transferred; a second redemption fails, so the same confirmation is
//     rejected however often, and wherever, it is presented again. Redeem
//     must be atomic across instances, and an instance that restarts must
//     still find what was redeemed: a ledger in one process's memory is
//     neither;
//   - the carts (carts.go): a handle minted on one instance is served by
//     every other, still bound to the principal that minted it;
//   - the tasks of the tasks extension (tasks.go): a task created on one
//     instance is read, answered and cancelled on any other, still bound
//     to the principal that created it; its work runs on the instance that
//     created it, which reads the record to learn of what others did.
//
// MemoryStore (store_memory.go) serves one process, or the Servers of one
// test given the same *MemoryStore; RedisStore (store_redis.go) serves a
// deployment: every instance given the same state keys must be given the
// same Redis (mcpverify serve --store).
//
// Quotas. Every record a Store keeps (a redemption, a cart, a task) is counted
// against its principal and against the total for all principals: a
// principal at its own limit is refused while others go on, and the total
// bounds what the Store holds whatever the number of principals. The
// limits travel with each call (Quota, from Config), so a Store holds no
// configuration of its own and instances sharing one apply their own
// Config. A refusal is a *QuotaError naming the limit reached; nothing is
// ever forgotten to make room (forgetting a redemption would allow a
// replay).
//
// Errors. A Store error other than a refusal (Redis down, a timeout, a
// record that does not decode) fails the request with an internal error
// (-32603): never a success, and in particular never a transfer whose
// redemption could not be recorded.

// Store keeps what the instances of a deployment share: the redeemed
// single-use tokens, the carts and the tasks. Implementations are safe for concurrent
// use, and each call is atomic with respect to every other call on any
// instance sharing the store.
type Store interface {
	// Redeem records key as redeemed by principal for at least ttl and
	// reports whether this call redeemed it (false: it was redeemed
	// before, by any principal, and its record has not expired).
	// Concurrent calls with one key return true at most once. The record
	// counts against q until it expires; a *QuotaError refuses it. Any
	// error means nothing was recorded: the caller must then not act
	// (fail closed).
	Redeem(ctx context.Context, principal, key string, ttl time.Duration, q Quota) (bool, error)

	// CreateCart stores a new empty cart under (principal, handle) for
	// ttl and returns it. It counts against q until it expires or is
	// deleted; a *QuotaError refuses it. A handle that principal already
	// holds is an error (handles are random: the random source is broken).
	CreateCart(ctx context.Context, principal, handle string, ttl time.Duration, q Quota) (Cart, error)
	// Cart returns principal's live cart handle; ErrCartNotFound when
	// principal holds none under that handle (never created, expired,
	// deleted, or another principal's).
	Cart(ctx context.Context, principal, handle string) (Cart, error)
	// UpdateCart applies edit to principal's live cart handle and stores
	// the result atomically, returning it; ErrCartNotFound as Cart. edit
	// may run more than once (a concurrent update made the store try
	// again), so it must only change the cart it is given; an error from
	// edit leaves the cart unchanged and is returned.
	UpdateCart(ctx context.Context, principal, handle string, edit func(*Cart) error) (Cart, error)
	// DeleteCart removes principal's live cart handle; ErrCartNotFound as
	// Cart.
	DeleteCart(ctx context.Context, principal, handle string) error

	// CreateTask stores the new task rec under (principal, id) for ttl (its
	// lifetime and the time it stays readable after). It counts against q
	// until it expires; a *QuotaError refuses it. An id that principal
	// already holds is an error (IDs are random: the random source is
	// broken).
	CreateTask(ctx context.Context, principal, id string, rec TaskRecord, ttl time.Duration, q Quota) error
	// Task returns principal's live task id; ErrTaskNotFound when
	// principal holds none under that id (never created, purged, or
	// another principal's).
	Task(ctx context.Context, principal, id string) (TaskRecord, error)
	// UpdateTask applies edit to principal's live task id and stores the
	// result atomically, returning it; ErrTaskNotFound as Task. As for
	// UpdateCart, edit may run more than once and must only change the
	// record it is given; an error from edit leaves the task unchanged and
	// is returned.
	UpdateTask(ctx context.Context, principal, id string, edit func(*TaskRecord) error) (TaskRecord, error)
}

// Quota bounds the unexpired records of one kind that a Store keeps.
type Quota struct {
	// PerPrincipal bounds the records of one principal.
	PerPrincipal int
	// Total bounds the records of all principals together. Config makes it
	// larger than PerPrincipal, so no single principal can reach it.
	Total int
}

// A QuotaError is a Store's refusal to keep one more record: the limit it
// names was reached. Nothing was recorded.
type QuotaError struct {
	// Records names what is counted: "confirmations", "carts" or "tasks".
	Records string
	// PerPrincipal is true when the caller's own limit was reached, false
	// when the limit for all principals together was.
	PerPrincipal bool
	// Max is the limit.
	Max int
}

func (e *QuotaError) Error() string {
	return fmt.Sprintf("impl: the limit of %s was reached", e.Limit())
}

// Limit names the limit reached, with its value: "10000 confirmations per
// principal" or "1048576 confirmations for all principals together".
func (e *QuotaError) Limit() string {
	if e.PerPrincipal {
		return fmt.Sprintf("%d %s per principal", e.Max, e.Records)
	}
	return fmt.Sprintf("%d %s for all principals together", e.Max, e.Records)
}

// What a QuotaError counts.
const (
	recordsConfirmations = "confirmations"
	recordsCarts         = "carts"
	recordsTasks         = "tasks"
)

// ErrCartNotFound is a Store's answer for a cart that principal does not
// hold: it never existed, it expired, it was deleted, or it is another
// principal's.
var ErrCartNotFound = errors.New("cart not found")

// ErrTaskNotFound is a Store's answer for a task that principal does not
// hold: it never existed, it was purged, or it is another principal's.
var ErrTaskNotFound = errors.New("task not found")

// errRepeatedID refuses a cart handle or a task ID that its principal
// already holds.
var errRepeatedID = errors.New("impl: the random source repeated an ID")

// errCartFull refuses an item that a cart cannot take.
var errCartFull = errors.New("cart full")

// Cart is one cart's contents.
type Cart struct {
	// Expires is when the cart stops existing.
	Expires time.Time
	// Items are the cart's lines, in the order their SKU was first added.
	Items []CartItem
}

// CartItem is one line of a cart.
type CartItem struct {
	SKU string `json:"sku"`
	Qty int64  `json:"qty"`
}

// clone returns a copy of c that shares nothing with it.
func (c Cart) clone() Cart {
	c.Items = append([]CartItem(nil), c.Items...)
	return c
}

// add adds qty of sku to c: errCartFull beyond maxCartItems SKUs or
// maxCartQty of one.
func (c *Cart) add(sku string, qty int64) error {
	for i := range c.Items {
		if it := &c.Items[i]; it.SKU == sku {
			if it.Qty+qty > maxCartQty {
				return errCartFull
			}
			it.Qty += qty
			return nil
		}
	}
	if len(c.Items) >= maxCartItems || qty > maxCartQty {
		return errCartFull
	}
	c.Items = append(c.Items, CartItem{SKU: sku, Qty: qty})
	return nil
}

// qty returns the quantity of sku in c.
func (c *Cart) qty(sku string) int64 {
	for _, it := range c.Items {
		if it.SKU == sku {
			return it.Qty
		}
	}
	return 0
}

// TaskRecord is one task of the tasks extension (tasks.go) as the Store
// keeps it: what tasks/get shows, and what the instance running the work
// and the instances serving tasks/update and tasks/cancel tell each other.
type TaskRecord struct {
	// Created and Updated are the task's createdAt and lastUpdatedAt;
	// Expires is the end of its ttlMs.
	Created, Updated, Expires time.Time
	// Status and Message are its status and statusMessage.
	Status, Message string
	// Pending maps each outstanding input key to the name of the form it
	// asks for (taskForms), so that any instance can check an answer.
	Pending map[string]string
	// Answers are the checked answers to the keys of the last request for
	// input, by key; the work takes them when Pending is empty.
	Answers map[string]TaskAnswer
	// Keys counts the input keys issued, so that none is used twice.
	Keys int
	// Result (completed) or Error (failed) is the outcome.
	Result wire.Object
	Error  *wire.Error
}

// TaskAnswer is a checked answer to one input request of a task: an
// ElicitResult's action and content.
type TaskAnswer struct {
	Action  string         `json:"action"`
	Content map[string]any `json:"content,omitzero"`
}

// taskRecordVersion is the version of storedTask; a record of another
// version does not decode.
const taskRecordVersion = 1

// storedTask is a TaskRecord as a Store keeps it (JSON; times in Unix
// milliseconds).
type storedTask struct {
	V       int                   `json:"v"`
	Created int64                 `json:"created"`
	Updated int64                 `json:"updated"`
	Expires int64                 `json:"exp"`
	Status  string                `json:"status"`
	Message string                `json:"message"`
	Pending map[string]string     `json:"pending,omitzero"`
	Answers map[string]TaskAnswer `json:"answers,omitzero"`
	Keys    int                   `json:"keys"`
	Result  wire.Object           `json:"result,omitzero"`
	Error   *wire.Error           `json:"error,omitzero"`
}

func encodeTask(r TaskRecord) (string, error) {
	b, err := wire.Marshal(storedTask{V: taskRecordVersion, Created: r.Created.UnixMilli(), Updated: r.Updated.UnixMilli(), Expires: r.Expires.UnixMilli(),
		Status: r.Status, Message: r.Message, Pending: r.Pending, Answers: r.Answers, Keys: r.Keys, Result: r.Result, Error: r.Error})
	if err != nil {
		return "", fmt.Errorf("impl: store: a task that does not encode: %w", err)
	}
	return string(b), nil
}

func decodeTask(v string) (TaskRecord, error) {
	var st storedTask
	if err := wire.Unmarshal([]byte(v), &st); err != nil {
		return TaskRecord{}, fmt.Errorf("impl: store: a task that does not decode: %w", err)
	}
	if st.V != taskRecordVersion {
		return TaskRecord{}, fmt.Errorf("impl: store: a task record of version %d, not %d", st.V, taskRecordVersion)
	}
	return TaskRecord{Created: time.UnixMilli(st.Created), Updated: time.UnixMilli(st.Updated), Expires: time.UnixMilli(st.Expires),
		Status: st.Status, Message: st.Message, Pending: st.Pending, Answers: st.Answers, Keys: st.Keys, Result: st.Result, Error: st.Error}, nil
}

// editEncoded applies edit to the encoded record old and returns the
// record and its encoding: the one update of both stores.
func editEncoded[V any](old string, decode func(string) (V, error), encode func(V) (string, error), edit func(*V) error) (V, string, error) {
	var zero V
	r, err := decode(old)
	if err != nil {
		return zero, "", err
	}
	if err := edit(&r); err != nil {
		return zero, "", err
	}
	v, err := encode(r)
	if err != nil {
		return zero, "", err
	}
	return r, v, nil
}
