package impl

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mcpverify/mcpverify/internal/redistest"
)

// benchStores runs f against a MemoryStore and a RedisStore on a local
// redis-server (over loopback TCP: the figures are a lower bound of a
// Redis on another host, which adds a network round trip per call).
func benchStores(b *testing.B, f func(b *testing.B, s Store)) {
	b.Run("memory", func(b *testing.B) { f(b, NewMemoryStore()) })
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		f(b, openRedisStore(b, srv, newRedisPrefix()))
	})
}

// benchQuota never refuses: the benchmarks measure recording.
var benchQuota = Quota{PerPrincipal: 1 << 40, Total: 1 << 41}

// BenchmarkStoreRedeem measures one redemption of a fresh key: one
// caller at a time (latency), and many at once (throughput).
func BenchmarkStoreRedeem(b *testing.B) {
	benchStores(b, func(b *testing.B, s Store) {
		var n atomic.Int64
		redeem := func(b *testing.B) {
			i := n.Add(1)
			ok, err := s.Redeem(context.Background(), fmt.Sprint("p", i%100), fmt.Sprint("bench/", i), DefaultStateTTL+ledgerSkew, benchQuota)
			if !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
		b.Run("serial", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				redeem(b)
			}
		})
		b.Run("parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(8)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					redeem(b)
				}
			})
		})
	})
}

// BenchmarkTransferConfirm measures a whole confirmed transfer through
// the server's core (the first call, which seals the state, and the
// retry, which opens it, redeems it and transfers), with each store: the
// difference is what the shared store costs a transfer.
func BenchmarkTransferConfirm(b *testing.B) {
	benchStores(b, func(b *testing.B, st Store) {
		s, err := New(Config{Store: st, MaxConfirmationsPerPrincipal: 1 << 40, MaxConfirmationsTotal: 1 << 41})
		if err != nil {
			b.Fatal(err)
		}
		call := func(extra string) []byte {
			return []byte(`{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"transfer","arguments":{"to":"bob","amount":5}` + extra +
				`,"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}}}`)
		}
		first := call("")
		b.ReportAllocs()
		for b.Loop() {
			var m struct {
				Result struct {
					RequestState string `json:"requestState"`
				} `json:"result"`
			}
			if err := json.Unmarshal(s.handleForTest(first), &m); err != nil || m.Result.RequestState == "" {
				b.Fatal("first call: ", err)
			}
			out := s.handleForTest(call(`,"requestState":"` + m.Result.RequestState + `","inputResponses":{"confirm":{"action":"accept","content":{"confirm":true}}}`))
			if !strings.Contains(string(out), "transferred 5 to bob") {
				b.Fatal(string(out))
			}
		}
	})
}
