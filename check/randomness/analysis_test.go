package randomness

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/check"
)

// TestAnalyze: random, sequential, clock-derived, repeated and UUID
// handles.
func TestAnalyze(t *testing.T) {
	now := time.Now()
	gen := func(f func(i int) string) []string {
		var out []string
		for i := 0; i < 8; i++ {
			out = append(out, f(i))
		}
		return out
	}
	random := Analyze(gen(func(int) string { return "cart_" + base64.RawURLEncoding.EncodeToString(randomBytes(t, 16)) }), now, "handles")
	if random.Bits < 128 || random.Sequential != "" || random.Clocked != "" || len(random.Collisions) > 0 || random.Prefix != "cart_" {
		t.Errorf("random: %+v", random)
	}
	seq := Analyze(gen(func(i int) string { return fmt.Sprintf("cart_%d", i+9) }), now, "handles")
	if seq.Sequential == "" || seq.Bits >= 128 {
		t.Errorf("sequential: %+v", seq)
	}
	hexSeq := Analyze(gen(func(i int) string { return fmt.Sprintf("order-%08x", 0xfff0+i*3) }), now, "handles")
	if hexSeq.Sequential == "" {
		t.Errorf("hex counter: %+v", hexSeq)
	}
	clock := Analyze(gen(func(i int) string {
		return fmt.Sprintf("s-%d-%s", now.UnixMilli()+int64(i), hex.EncodeToString(randomBytes(t, 2)))
	}), now, "handles")
	if clock.Clocked == "" || clock.RestBits >= 64 {
		t.Errorf("clock: %+v", clock)
	}
	dup := Analyze([]string{"a1b2c3d4e5", "a1b2c3d4e5", "f6a7b8c9d0", "0a1b2c3d4e"}, now, "handles")
	if len(dup.Collisions) != 1 {
		t.Errorf("repeats: %+v", dup)
	}
	uuids := Analyze(gen(func(int) string {
		b := randomBytes(t, 16)
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		h := hex.EncodeToString(b)
		return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
	}), now, "handles")
	if uuids.UUIDVersion != 4 || uuids.Sequential != "" || uuids.Clocked != "" {
		t.Errorf("uuid v4: %+v", uuids)
	}
	oid := Analyze(gen(func(i int) string {
		return fmt.Sprintf("%08x%s%06x", now.Unix(), hex.EncodeToString(randomBytes(t, 5)), 100+i)
	}), now, "handles")
	if oid.Clocked == "" {
		t.Errorf("ObjectId: %+v", oid)
	}
}

// TestSameShape: a value of the same shape, never the original; the type
// prefix is kept though a separator follows in the random part.
func TestSameShape(t *testing.T) {
	e := check.NewEnv(context.Background(), check.Options{Seed: 1})
	for _, v := range []string{"cart_PKPgIQ3RgOKiULTucOdDMA", "cart_HJ06ibd8K-IowhN6oOWUGw", "12345", "bsk_a1b2c3", "x"} {
		s := SameShape(e, v)
		if s == v || len(s) != len(v) {
			t.Errorf("%q → %q", v, s)
		}
		if i := strings.LastIndex(v, "_"); i > 0 && i <= len(v)/2 && s[:i+1] != v[:i+1] {
			t.Errorf("%q → %q: prefix not kept", v, s)
		}
	}
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}
