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
//
// A record is written by one Lua script (insertScript) that checks, counts
// and writes atomically: the record with SET NX PX, and its place in the
// two sorted sets that count it against its principal's quota and the
// total. The sorted sets are pruned of expired members by the script
// itself (scored by Redis's clock, the one that expires the records), so
// no instance's clock decides what has expired. A cart is updated by
// compare-and-set (casScript): read, edit in Go, write back only if
// unchanged since the read, else read again.
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

// maxCartUpdateTries bounds the compare-and-set rounds of one UpdateCart.
const maxCartUpdateTries = 16

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
// or recordsCarts): true when written, false when it existed.
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

// cartKeys are the keys of principal's cart handle: the cart, and the
// indexes that count it.
func (s *RedisStore) cartKeys(principal, handle string) (cart, byPrincipal, all string) {
	return s.prefix + "cart:" + strconv.Itoa(len(principal)) + ":" + principal + ":" + handle,
		s.prefix + "carts-by:" + principal, s.prefix + "carts-all"
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
	key, by, all := s.cartKeys(principal, handle)
	created, err := s.insert(ctx, recordsCarts, key, by, all, v, ttl, q)
	switch {
	case err != nil:
		return Cart{}, err
	case !created:
		return Cart{}, errRepeatedHandle
	}
	return c, nil
}

// get reads principal's cart handle: the cart and its encoding.
func (s *RedisStore) get(ctx context.Context, principal, handle string) (Cart, string, error) {
	key, _, _ := s.cartKeys(principal, handle)
	v, err := s.c.Get(ctx, key).Result()
	switch {
	case errors.Is(err, redis.Nil):
		return Cart{}, "", ErrCartNotFound
	case err != nil:
		return Cart{}, "", fmt.Errorf("impl: redis store: read cart: %w", err)
	}
	c, err := decodeCart(v)
	return c, v, err
}

// Cart implements Store.
func (s *RedisStore) Cart(ctx context.Context, principal, handle string) (Cart, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	c, _, err := s.get(ctx, principal, handle)
	return c, err
}

// UpdateCart implements Store.
func (s *RedisStore) UpdateCart(ctx context.Context, principal, handle string, edit func(*Cart) error) (Cart, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, _, _ := s.cartKeys(principal, handle)
	for range maxCartUpdateTries {
		c, old, err := s.get(ctx, principal, handle)
		if err != nil {
			return Cart{}, err
		}
		expires := c.Expires
		if err := edit(&c); err != nil {
			return Cart{}, err
		}
		c.Expires = expires
		v, err := encodeCart(c)
		if err != nil {
			return Cart{}, err
		}
		n, err := casScript.Run(ctx, s.c, []string{key}, old, v).Int()
		switch {
		case err != nil:
			return Cart{}, fmt.Errorf("impl: redis store: update cart: %w", err)
		case n == -1:
			return Cart{}, ErrCartNotFound
		case n == 1:
			return c, nil
		}
	}
	return Cart{}, fmt.Errorf("impl: redis store: update cart: still contended after %d tries", maxCartUpdateTries)
}

// DeleteCart implements Store.
func (s *RedisStore) DeleteCart(ctx context.Context, principal, handle string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	key, by, all := s.cartKeys(principal, handle)
	n, err := deleteScript.Run(ctx, s.c, []string{key, by, all}).Int()
	switch {
	case err != nil:
		return fmt.Errorf("impl: redis store: delete cart: %w", err)
	case n == 0:
		return ErrCartNotFound
	}
	return nil
}
