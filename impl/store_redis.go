package impl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStore is a Store in Redis (6.0 or later; one server, not a
// cluster): what every instance of a deployment shares (mcpverify serve
// --store redis://HOST:PORT/DB). Records survive the restart of an
// instance, and every call is atomic across instances.
//
// Keys, under the prefix (RedisOptions.Prefix):
//
//	ledger:KEY                    a redemption: the principal, expiring with its record
//	ledger-by:PRINCIPAL           that principal's redemptions (sorted set: key by expiry)
//	ledger-all                    every redemption (sorted set)
//	cart:LEN:PRINCIPAL:HANDLE     a cart (JSON), expiring with the cart; LEN is
//	                              the principal's length, so the key is unambiguous
//	carts-by:PRINCIPAL, carts-all the carts, as for the ledger
//	task:LEN:PRINCIPAL:ID         a task (JSON, storedTask), expiring with its
//	                              record (its ttlMs and the purge delay)
//	tasks-by:PRINCIPAL, tasks-all the tasks, as for the ledger
//
// A record is written by one Lua script (insertScript) that checks, counts
// and writes atomically: the record with SET NX PX, and its place in the
// two sorted sets that count it against its principal's quota and the
// total. The sorted sets are pruned of expired members by the script
// itself (scored by Redis's clock, the one that expires the records), so
// no instance's clock decides what has expired. A cart is updated by
// compare-and-set (casScript): read, edit in Go, write back only if
// unchanged since the read, else read again; so is a task.
//
// Every call is bounded by RedisOptions.Timeout, and none is retried by
// the client: a redemption whose answer was lost is not sent again (the
// request fails with an internal error instead, and nothing is
// transferred).
type RedisStore struct {
	c       *redis.Client
	prefix  string
	timeout time.Duration
}

// RedisOptions configures a RedisStore.
type RedisOptions struct {
	// Timeout bounds every call to Redis, retries of a contended cart
	// update included. Default DefaultRedisTimeout.
	Timeout time.Duration
	// Prefix starts every key. Default "mcpverify:". Deployments that
	// share one Redis database need prefixes of their own.
	Prefix string
}

// DefaultRedisTimeout is the default bound of one call to Redis.
const DefaultRedisTimeout = time.Second

// maxUpdateTries bounds the compare-and-set rounds of one UpdateCart or
// UpdateTask.
const maxUpdateTries = 16

// OpenRedisStore connects to the Redis at url (redis://[USER:PASSWORD@]HOST:PORT/DB,
// rediss:// for TLS, unix:///PATH) and checks that it answers.
func OpenRedisStore(ctx context.Context, url string, opts RedisOptions) (*RedisStore, error) {
	o, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("impl: redis store URL: %w", err)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultRedisTimeout
	}
	if opts.Prefix == "" {
		opts.Prefix = "mcpverify:"
	}
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = opts.Timeout, opts.Timeout, opts.Timeout, opts.Timeout
	o.ContextTimeoutEnabled = true
	o.MaxRetries = -1
	s := &RedisStore{c: redis.NewClient(o), prefix: opts.Prefix, timeout: opts.Timeout}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.c.Ping(ctx).Err(); err != nil {
		s.c.Close()
		return nil, fmt.Errorf("impl: redis store at %s: %w", o.Addr, err)
	}
	return s, nil
}

// Close closes the connections to Redis.
func (s *RedisStore) Close() error { return s.c.Close() }

func (s *RedisStore) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// insertScript writes the record KEYS[1] with value ARGV[1] for ARGV[2]
// milliseconds unless it exists (0) or its principal's index KEYS[2]
// holds ARGV[3] live records (-1) or the index of all KEYS[3] holds
// ARGV[4] (-2); 1 when written.
var insertScript = redis.NewScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
for i, limit in ipairs({tonumber(ARGV[3]), tonumber(ARGV[4])}) do
	redis.call('ZREMRANGEBYSCORE', KEYS[i + 1], '-inf', now)
	if redis.call('ZCARD', KEYS[i + 1]) >= limit then return -i end
end
if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ttl) then return 0 end
for i = 2, 3 do
	redis.call('ZADD', KEYS[i], now + ttl, KEYS[1])
	if redis.call('PTTL', KEYS[i]) < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
end
return 1
`)

// deleteScript deletes the record KEYS[1] and its members of the indexes
// KEYS[2] and KEYS[3]; 1 when it existed.
var deleteScript = redis.NewScript(`
if redis.call('DEL', KEYS[1]) == 0 then return 0 end
redis.call('ZREM', KEYS[2], KEYS[1])
redis.call('ZREM', KEYS[3], KEYS[1])
return 1
`)

// casScript sets KEYS[1] to ARGV[2], keeping its expiry, if it holds
// ARGV[1] (1); 0 when it holds something else, -1 when it is gone.
var casScript = redis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return -1 end
if cur ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 1
`)

// insert runs insertScript for one record of kind (recordsConfirmations
// recordsCarts or recordsTasks): true when written, false when it existed.
func (s *RedisStore) insert(ctx context.Context, kind, key, byPrincipal, all, value string, ttl time.Duration, q Quota) (bool, error) {
	ms := max(ttl.Milliseconds(), 1)
	n, err := insertScript.Run(ctx, s.c, []string{key, byPrincipal, all}, value, ms, q.PerPrincipal, q.Total).Int()
	switch {
	case err != nil:
		return false, fmt.Errorf("impl: redis store: record %s: %w", kind, err)
	case n == -1:
		return false, &QuotaError{Records: kind, PerPrincipal: true, Max: q.PerPrincipal}
	case n == -2:
		return false, &QuotaError{Records: kind, Max: q.Total}
	}
	return n == 1, nil
}

// Redeem implements Store.
func (s *RedisStore) Redeem(ctx context.Context, principal, key string, ttl time.Duration, q Quota) (bool, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	return s.insert(ctx, recordsConfirmations, s.prefix+"ledger:"+key, s.prefix+"ledger-by:"+principal, s.prefix+"ledger-all", principal, ttl, q)
}

// recordKeys are the keys of principal's record id of a kind ("cart",
// "task"): the record, and the indexes that count it.
func (s *RedisStore) recordKeys(kind, principal, id string) (record, byPrincipal, all string) {
	return s.prefix + kind + ":" + strconv.Itoa(len(principal)) + ":" + principal + ":" + id,
		s.prefix + kind + "s-by:" + principal, s.prefix + kind + "s-all"
}

// redisCart is a cart as Redis keeps it.
type redisCart struct {
	Expires int64      `json:"exp"` // Unix milliseconds
	Items   []CartItem `json:"items"`
}

func encodeCart(c Cart) (string, error) {
	b, err := json.Marshal(redisCart{Expires: c.Expires.UnixMilli(), Items: c.Items})
	return string(b), err
}

func decodeCart(v string) (Cart, error) {
	var rc redisCart
	if err := json.Unmarshal([]byte(v), &rc); err != nil {
		return Cart{}, fmt.Errorf("impl: redis store: a cart that does not decode: %w", err)
	}
	return Cart{Expires: time.UnixMilli(rc.Expires), Items: rc.Items}, nil
}

// CreateCart implements Store.
func (s *RedisStore) CreateCart(ctx context.Context, principal, handle string, ttl time.Duration, q Quota) (Cart, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	c := Cart{Expires: time.UnixMilli(time.Now().Add(ttl).UnixMilli())}
	v, err := encodeCart(c)
	if err != nil {
		return Cart{}, err
	}
	key, by, all := s.recordKeys("cart", principal, handle)
	return c, s.create(ctx, recordsCarts, key, by, all, v, ttl, q)
}

// create writes a new record: a *QuotaError, or errRepeatedID when it
// exists.
func (s *RedisStore) create(ctx context.Context, kind, key, byPrincipal, all, value string, ttl time.Duration, q Quota) error {
	created, err := s.insert(ctx, kind, key, byPrincipal, all, value, ttl, q)
	switch {
	case err != nil:
		return err
	case !created:
		return errRepeatedID
	}
	return nil
}

// get reads the record key, a what ("cart", "task"): notFound when it
// does not exist.
func (s *RedisStore) get(ctx context.Context, what, key string, notFound error) (string, error) {
	v, err := s.c.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return "", notFound
	case err != nil:
		return "", fmt.Errorf("impl: redis store: read %s: %w", what, err)
	}
	return v, nil
}

// update rewrites the record key, a what, by compare-and-set: edit maps what it
// holds to what it should hold, and runs again when a concurrent update
// came first, at most maxUpdateTries times; notFound when it does not
// exist.
func (s *RedisStore) update(ctx context.Context, what, key string, notFound error, edit func(old string) (string, error)) error {
	for range maxUpdateTries {
		old, err := s.get(ctx, what, key, notFound)
		if err != nil {
			return err
		}
		v, err := edit(old)
		if err != nil {
			return err
		}
		n, err := casScript.Run(ctx, s.c, []string{key}, old, v).Int()
		switch {
		case err != nil:
			return fmt.Errorf("impl: redis store: update %s: %w", what, err)
		case n == -1:
			return notFound
		case n == 1:
			return nil
		}
	}
	return fmt.Errorf("impl: redis store: update %s: still contended after %d tries", what, maxUpdateTries)
}

// Cart implements Store.
func (s *RedisStore) Cart(ctx context.Context, principal, handle string) (Cart, error) {
	return redisRead(s, ctx, "cart", principal, handle, ErrCartNotFound, decodeCart)
}

// UpdateCart implements Store.
func (s *RedisStore) UpdateCart(ctx context.Context, principal, handle string, edit func(*Cart) error) (Cart, error) {
	return redisUpdate(s, ctx, "cart", principal, handle, ErrCartNotFound, decodeCart, encodeCart, func(c *Cart) error {
		expires := c.Expires
		err := edit(c)
		c.Expires = expires
		return err
	})
}

// redisRead reads principal's record id of kind ("cart", "task");
// notFound when there is none.
func redisRead[V any](s *RedisStore, ctx context.Context, kind, principal, id string, notFound error, decode func(string) (V, error)) (V, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, _, _ := s.recordKeys(kind, principal, id)
	v, err := s.get(ctx, kind, key, notFound)
	if err != nil {
		var zero V
		return zero, err
	}
	return decode(v)
}

// redisUpdate applies edit to principal's record id of kind by
// compare-and-set and returns the record stored; notFound when there is
// none.
func redisUpdate[V any](s *RedisStore, ctx context.Context, kind, principal, id string, notFound error,
	decode func(string) (V, error), encode func(V) (string, error), edit func(*V) error) (V, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, _, _ := s.recordKeys(kind, principal, id)
	var r V
	err := s.update(ctx, kind, key, notFound, func(old string) (string, error) {
		var v string
		var err error
		r, v, err = editEncoded(old, decode, encode, edit)
		return v, err
	})
	if err != nil {
		var zero V
		return zero, err
	}
	return r, nil
}

// DeleteCart implements Store.
func (s *RedisStore) DeleteCart(ctx context.Context, principal, handle string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, by, all := s.recordKeys("cart", principal, handle)
	n, err := deleteScript.Run(ctx, s.c, []string{key, by, all}).Int()
	switch {
	case err != nil:
		return fmt.Errorf("impl: redis store: delete cart: %w", err)
	case n == 0:
		return ErrCartNotFound
	}
	return nil
}

// CreateTask implements Store.
func (s *RedisStore) CreateTask(ctx context.Context, principal, id string, rec TaskRecord, ttl time.Duration, q Quota) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	v, err := encodeTask(rec)
	if err != nil {
		return err
	}
	key, by, all := s.recordKeys("task", principal, id)
	return s.create(ctx, recordsTasks, key, by, all, v, ttl, q)
}

// Task implements Store.
func (s *RedisStore) Task(ctx context.Context, principal, id string) (TaskRecord, error) {
	return redisRead(s, ctx, "task", principal, id, ErrTaskNotFound, decodeTask)
}

// UpdateTask implements Store.
func (s *RedisStore) UpdateTask(ctx context.Context, principal, id string, edit func(*TaskRecord) error) (TaskRecord, error) {
	return redisUpdate(s, ctx, "task", principal, id, ErrTaskNotFound, decodeTask, encodeTask, edit)
}
