package impl

import (
	"context"
	"errors"
	"sync"
	"time"
)

// Single use.
//
// Sealing binds a requestState to its caller, its request and a short
// lifetime, but within that lifetime the same state opens every time it is
// presented (state.go). mrtr.mdx: servers for which a requestState must be
// consumed at most once MUST enforce that server-side. The transfer
// fixture (fixtures_state.go) is such a case: its state carries a random
// nonce, and the retry that answers the confirmation redeems the nonce in
// a Ledger before anything is transferred; a second redemption fails, so
// the same confirmation is rejected however often, and wherever, it is
// presented again.
//
// The ledger must be shared by every instance that shares the state keys,
// and Redeem must be atomic across them: with Redis, SET key 1 NX PX ttl
// is exactly Redeem. The in-memory ledger here serves one process (or the
// Servers of one test that are given the same *MemoryLedger).

// Ledger records redeemed single-use tokens.
type Ledger interface {
	// Redeem records key as redeemed for at least ttl and reports whether
	// this call redeemed it (false: it was redeemed before and its record
	// has not expired). Concurrent calls with one key return true at most
	// once. An error means nothing was recorded; the caller must then not
	// act (fail closed).
	Redeem(ctx context.Context, key string, ttl time.Duration) (bool, error)
}

// DefaultMaxLedgerEntries bounds the records of a MemoryLedger.
const DefaultMaxLedgerEntries = 1 << 20

// ErrLedgerFull is returned by MemoryLedger.Redeem when it holds
// DefaultMaxLedgerEntries unexpired records: it refuses to record more
// rather than forget one (forgetting would allow a replay).
var ErrLedgerFull = errors.New("impl: the ledger is full")

// MemoryLedger is a Ledger in memory. Records are dropped once expired;
// at most DefaultMaxLedgerEntries are held. Safe for concurrent use.
type MemoryLedger struct {
	mu        sync.Mutex
	until     map[string]time.Time
	now       func() time.Time
	max       int
	nextPrune int
	lastPrune time.Time
}

// NewMemoryLedger returns an empty in-memory ledger.
func NewMemoryLedger() *MemoryLedger {
	return &MemoryLedger{until: map[string]time.Time{}, now: time.Now, max: DefaultMaxLedgerEntries, nextPrune: 1024}
}

// Redeem implements Ledger.
func (l *MemoryLedger) Redeem(ctx context.Context, key string, ttl time.Duration) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	u, exists := l.until[key]
	if exists && now.Before(u) {
		return false, nil
	}
	// Prune expired records when the map has doubled since the last
	// pruning, or when it is full (then at most once a second: a full
	// ledger of live records must not cost a scan per request).
	if len(l.until) >= l.nextPrune || (len(l.until) >= l.max && now.Sub(l.lastPrune) >= time.Second) {
		for k, u := range l.until {
			if !now.Before(u) {
				delete(l.until, k)
			}
		}
		l.nextPrune = max(2*len(l.until), 1024)
		l.lastPrune = now
	}
	if _, exists = l.until[key]; !exists && len(l.until) >= l.max {
		return false, ErrLedgerFull
	}
	l.until[key] = now.Add(max(ttl, 0))
	return true, nil
}

// Len returns the number of records held, expired or not (for tests and
// monitoring).
func (l *MemoryLedger) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.until)
}
