package impl

import (
	"context"
	"sync"
	"time"
)

// MemoryStore is a Store in this process's memory: for one process, or
// for the Servers of one test given the same *MemoryStore. Expired records
// are dropped when a quota is reached and whenever the records held have
// doubled since the last sweep, so what it holds is bounded by the quotas
// of the calls it serves. Safe for concurrent use.
type MemoryStore struct {
	now func() time.Time

	ledgerMu sync.Mutex
	ledger   records[struct{}]
	// owner maps a redeemed key to the principal whose record it is: a
	// key is redeemed once, by whichever principal.
	owner map[string]string

	cartsMu sync.Mutex
	carts   records[Cart]

	// tasks are kept encoded (as in Redis): a caller never shares a map
	// with the store.
	tasksMu sync.Mutex
	tasks   records[string]
}

// NewMemoryStore returns an empty in-memory store on the system clock.
func NewMemoryStore() *MemoryStore { return newMemoryStore(time.Now) }

func newMemoryStore(now func() time.Time) *MemoryStore {
	m := &MemoryStore{now: now, owner: map[string]string{}}
	m.ledger.init(recordsConfirmations, func(_, key string) { delete(m.owner, key) })
	m.carts.init(recordsCarts, nil)
	m.tasks.init(recordsTasks, nil)
	return m
}

// Redeem implements Store.
func (m *MemoryStore) Redeem(ctx context.Context, principal, key string, ttl time.Duration, q Quota) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	m.ledgerMu.Lock()
	defer m.ledgerMu.Unlock()
	now := m.now()
	if p, ok := m.owner[key]; ok && m.ledger.live(p, key, now) != nil {
		return false, nil
	}
	if err := m.ledger.put(principal, key, struct{}{}, now.Add(max(ttl, 0)), now, q); err != nil {
		return false, err
	}
	m.owner[key] = principal
	return true, nil
}

// CreateCart implements Store.
func (m *MemoryStore) CreateCart(ctx context.Context, principal, handle string, ttl time.Duration, q Quota) (Cart, error) {
	if err := ctx.Err(); err != nil {
		return Cart{}, err
	}
	m.cartsMu.Lock()
	defer m.cartsMu.Unlock()
	now := m.now()
	if m.carts.live(principal, handle, now) != nil {
		return Cart{}, errRepeatedID
	}
	c := Cart{Expires: now.Add(ttl)}
	if err := m.carts.put(principal, handle, c, c.Expires, now, q); err != nil {
		return Cart{}, err
	}
	return c, nil
}

// Cart implements Store.
func (m *MemoryStore) Cart(ctx context.Context, principal, handle string) (Cart, error) {
	return m.UpdateCart(ctx, principal, handle, nil)
}

// UpdateCart implements Store; a nil edit only reads.
func (m *MemoryStore) UpdateCart(ctx context.Context, principal, handle string, edit func(*Cart) error) (Cart, error) {
	return onLive(ctx, &m.cartsMu, &m.carts, principal, handle, m.now, ErrCartNotFound, func(r *record[Cart]) (Cart, error) {
		if edit == nil {
			return r.v.clone(), nil
		}
		c := r.v.clone()
		if err := edit(&c); err != nil {
			return Cart{}, err
		}
		c.Expires = r.v.Expires
		r.v = c
		return c.clone(), nil
	})
}

// DeleteCart implements Store.
func (m *MemoryStore) DeleteCart(ctx context.Context, principal, handle string) error {
	_, err := onLive(ctx, &m.cartsMu, &m.carts, principal, handle, m.now, ErrCartNotFound, func(*record[Cart]) (struct{}, error) {
		m.carts.remove(principal, handle)
		return struct{}{}, nil
	})
	return err
}

// onLive runs f on principal's live record key of rs, holding mu;
// notFound when there is none.
func onLive[V, R any](ctx context.Context, mu *sync.Mutex, rs *records[V], principal, key string, now func() time.Time, notFound error, f func(*record[V]) (R, error)) (R, error) {
	var zero R
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	mu.Lock()
	defer mu.Unlock()
	r := rs.live(principal, key, now())
	if r == nil {
		return zero, notFound
	}
	return f(r)
}

// CreateTask implements Store.
func (m *MemoryStore) CreateTask(ctx context.Context, principal, id string, rec TaskRecord, ttl time.Duration, q Quota) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	v, err := encodeTask(rec)
	if err != nil {
		return err
	}
	m.tasksMu.Lock()
	defer m.tasksMu.Unlock()
	now := m.now()
	if m.tasks.live(principal, id, now) != nil {
		return errRepeatedID
	}
	return m.tasks.put(principal, id, v, now.Add(ttl), now, q)
}

// Task implements Store.
func (m *MemoryStore) Task(ctx context.Context, principal, id string) (TaskRecord, error) {
	return m.UpdateTask(ctx, principal, id, nil)
}

// UpdateTask implements Store; a nil edit only reads.
func (m *MemoryStore) UpdateTask(ctx context.Context, principal, id string, edit func(*TaskRecord) error) (TaskRecord, error) {
	return onLive(ctx, &m.tasksMu, &m.tasks, principal, id, m.now, ErrTaskNotFound, func(r *record[string]) (TaskRecord, error) {
		if edit == nil {
			return decodeTask(r.v)
		}
		t, v, err := editEncoded(r.v, decodeTask, encodeTask, edit)
		if err != nil {
			return TaskRecord{}, err
		}
		r.v = v
		return t, nil
	})
}

// counts returns the redemptions, the carts and the tasks held, expired
// or not (for tests).
func (m *MemoryStore) counts() (redemptions, carts, tasks int) {
	m.ledgerMu.Lock()
	redemptions = m.ledger.total
	m.ledgerMu.Unlock()
	m.cartsMu.Lock()
	carts = m.carts.total
	m.cartsMu.Unlock()
	m.tasksMu.Lock()
	defer m.tasksMu.Unlock()
	return redemptions, carts, m.tasks.total
}

// records holds records that expire, per principal, counted against a
// Quota. The caller holds a lock.
type records[V any] struct {
	kind string // what QuotaError counts
	// dropped, when set, is told of every record removed.
	dropped func(principal, key string)

	by    map[string]*bucket[V] // principal → its records
	total int
	// soonest is the earliest expiry of any record held: no record has
	// expired before it, so no sweep is needed.
	soonest   time.Time
	nextSweep int
}

// bucket is one principal's records.
type bucket[V any] struct {
	recs    map[string]*record[V]
	soonest time.Time
}

type record[V any] struct {
	until time.Time
	v     V
}

func (rs *records[V]) init(kind string, dropped func(principal, key string)) {
	rs.kind, rs.dropped, rs.by, rs.nextSweep = kind, dropped, map[string]*bucket[V]{}, 1024
}

// live returns principal's unexpired record key, dropping it if expired.
func (rs *records[V]) live(principal, key string, now time.Time) *record[V] {
	b := rs.by[principal]
	if b == nil {
		return nil
	}
	r := b.recs[key]
	if r == nil {
		return nil
	}
	if !now.Before(r.until) {
		rs.remove(principal, key)
		return nil
	}
	return r
}

// put stores principal's record key until until, unless q refuses it;
// the caller has checked that key is not live. Expired records are swept
// first when a limit is reached (and only if one has expired), and
// whenever the records held have doubled since the last sweep.
func (rs *records[V]) put(principal, key string, v V, until, now time.Time, q Quota) error {
	rs.remove(principal, key) // an expired record of key, if any
	if b := rs.by[principal]; b != nil && len(b.recs) >= q.PerPrincipal {
		rs.sweep(principal, b, now)
		if len(b.recs) >= q.PerPrincipal {
			return &QuotaError{Records: rs.kind, PerPrincipal: true, Max: q.PerPrincipal}
		}
	}
	if rs.total >= q.Total || rs.total >= rs.nextSweep {
		rs.sweepAll(now)
		rs.nextSweep = max(2*rs.total, 1024)
		if rs.total >= q.Total {
			return &QuotaError{Records: rs.kind, Max: q.Total}
		}
	}
	b := rs.by[principal]
	if b == nil {
		b = &bucket[V]{recs: map[string]*record[V]{}}
		rs.by[principal] = b
	}
	b.recs[key] = &record[V]{until: until, v: v}
	rs.total++
	if len(b.recs) == 1 || until.Before(b.soonest) {
		b.soonest = until
	}
	if rs.total == 1 || until.Before(rs.soonest) {
		rs.soonest = until
	}
	return nil
}

// remove drops principal's record key.
func (rs *records[V]) remove(principal, key string) {
	b := rs.by[principal]
	if b == nil || b.recs[key] == nil {
		return
	}
	delete(b.recs, key)
	rs.total--
	if len(b.recs) == 0 {
		delete(rs.by, principal)
	}
	if rs.dropped != nil {
		rs.dropped(principal, key)
	}
}

// sweep drops principal's expired records, if any has expired.
func (rs *records[V]) sweep(principal string, b *bucket[V], now time.Time) {
	if now.Before(b.soonest) {
		return
	}
	var soonest time.Time
	for k, r := range b.recs {
		switch {
		case !now.Before(r.until):
			rs.remove(principal, k)
		case soonest.IsZero() || r.until.Before(soonest):
			soonest = r.until
		}
	}
	b.soonest = soonest
}

// sweepAll drops every expired record, if any has expired.
func (rs *records[V]) sweepAll(now time.Time) {
	if now.Before(rs.soonest) {
		return
	}
	var soonest time.Time
	for p, b := range rs.by {
		rs.sweep(p, b, now)
		if len(b.recs) > 0 && (soonest.IsZero() || b.soonest.Before(soonest)) {
			soonest = b.soonest
		}
	}
	rs.soonest = soonest
}
