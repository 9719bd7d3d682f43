package impl

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/wire"
)

// nearLimitBody is a tools/call body of about size bytes holding members
// members in its arguments, each key padded to fill the size: near both
// MaxBodyBytes and MaxMembers, so that it is read and decoded in full.
func nearLimitBody(size, members int) []byte {
	head := `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","_meta":{"io.modelcontextprotocol/protocolVersion":"` + wire.Version + `","io.modelcontextprotocol/clientCapabilities":{}},"arguments":{`
	pad := (size-len(head)-8)/members - 16
	var b bytes.Buffer
	b.WriteString(head)
	for i := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%08d%s":%d`, i, bytes.Repeat([]byte("k"), pad), i%10)
	}
	b.WriteString(`}}}`)
	return b.Bytes()
}

// smallLatencies sends n small requests one after another on one
// keep-alive connection and returns their latencies, sorted.
func smallLatencies(b *testing.B, c *http.Client, url string, n int) []time.Duration {
	out := make([]time.Duration, 0, n)
	for range n {
		start := time.Now()
		benchRequest(b, c, url, []byte(benchBody))
		out = append(out, time.Since(start))
	}
	slices.Sort(out)
	return out
}

// BenchmarkSmallRequestsUnderLoad reproduces the decoding amplification
// attack: ten clients send, each in a loop, 4 MiB bodies of many members
// (358,750 argument members, refused at MaxMembers before the rest is
// read) or near both limits (MaxMembers-20 members padded to 4 MiB, read
// and decoded in full), while one client sends small tools/call requests
// one after another. Each operation is one small request; the metrics are
// the median latency of the small requests under the load and its ratio
// to the median measured idle just before (x-idle; the attack took it from
// 0.9 ms to 131 ms, 145x, before the limits).
func BenchmarkSmallRequestsUnderLoad(b *testing.B) {
	for _, load := range []struct {
		name string
		body []byte
	}{
		{"many-members", manyKeysBody(DefaultMaxBodyBytes)},
		{"near-limit", nearLimitBody(DefaultMaxBodyBytes-1024, DefaultMaxMembers-20)},
	} {
		b.Run(load.name, func(b *testing.B) {
			srv := serveForTest(b, Config{})
			c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
			defer c.CloseIdleConnections()
			idle := smallLatencies(b, c, srv.url, 300)
			stop := make(chan struct{})
			var wg sync.WaitGroup
			var sent, refused int64
			var mu sync.Mutex
			for range 10 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Bounded: until the benchmark ends, at most a minute and
					// 100,000 bodies per client.
					end := time.Now().Add(time.Minute)
					for i := 0; i < 100000 && time.Now().Before(end); i++ {
						select {
						case <-stop:
							return
						default:
						}
						conn := rawPost(b, srv.addr, int64(len(load.body)))
						go conn.Write(load.body)
						res, err := readStatus(conn)
						if err == nil {
							io.Copy(io.Discard, res.Body)
							mu.Lock()
							sent++
							if res.StatusCode != 200 {
								refused++
							}
							mu.Unlock()
						}
						conn.Close()
					}
				}()
			}
			time.Sleep(200 * time.Millisecond) // the load is under way
			var lat []time.Duration
			b.ResetTimer()
			for b.Loop() {
				start := time.Now()
				benchRequest(b, c, srv.url, []byte(benchBody))
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			med, idleMed := lat[len(lat)/2], idle[len(idle)/2]
			b.ReportMetric(float64(med.Microseconds()), "median-µs")
			b.ReportMetric(float64(idleMed.Microseconds()), "idle-median-µs")
			b.ReportMetric(float64(med)/float64(idleMed), "x-idle")
			b.Logf("%s: %d large bodies sent (%d refused); small requests: median %v under load, %v idle (%.1fx)",
				load.name, sent, refused, med, idleMed, float64(med)/float64(idleMed))
		})
	}
}
