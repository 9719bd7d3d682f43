package randomness

import (
	"fmt"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/staterun"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// MinSample is the smallest sample judged.
const MinSample = 4

// IDs are the requirements a sample is judged against: Random (repeats,
// counters, clocks: a failure) and Bits (fewer than 128 bits of room: the
// level of the entry).
type IDs struct {
	Random, Bits spec.ID
}

// Judge decides ids from a sample of values minted in order, each by the
// exchange of minted at the same index (the evidence of a violation).
// label says where the values come from; noun names them ("handles",
// "task IDs").
func Judge(e *check.Env, ids IDs, label, noun string, hs []string, minted []*wire.Exchange) {
	if len(hs) < MinSample {
		e.Inconclusive(ids.Random, "%s: only %d %s could be minted", label, len(hs), noun)
		e.Inconclusive(ids.Bits, "%s: only %d %s could be minted", label, len(hs), noun)
		return
	}
	a := Analyze(hs, time.Now(), noun)
	shape := fmt.Sprintf("%d %s, e.g. %.40q: common prefix %q, suffix %q, %d varying positions over an alphabet of %d", a.N, noun, hs[0], a.Prefix, a.Suffix, a.Varying, a.Alphabet)
	switch {
	case len(a.Collisions) > 0:
		e.ViolationShown(minted, ids.Random, "%s: the same value was minted more than once (%.40q) among %d %s; they must come from a secure random source", label, a.Collisions[0], a.N, noun)
	case a.Sequential != "":
		e.ViolationShown(minted, ids.Random, "%s: %s; sequential %s can be guessed", label, a.Sequential, noun)
	case a.Clocked != "" && a.RestBits < 64:
		e.ViolationShown(minted, ids.Random, "%s: %s, with about %.0f bits besides; %s derived from the clock can be predicted", label, a.Clocked, a.RestBits, noun)
	default:
		e.Pass(ids.Random, "%s: no repeat, no counter, no clock value (%s)", label, shape)
	}
	switch {
	case a.UUIDVersion == 4:
		e.Pass(ids.Bits, "%s: UUIDv4 %s (122 random bits), SEP-2567's own example of a sufficient handle (%s)", label, noun, shape)
	case a.Bits < 128:
		e.ViolationShown(minted, ids.Bits, "%s: at most about %.0f bits of entropy (%s); at least 128 bits are advised (SEP-2567)", label, a.Bits, shape)
	default:
		e.Pass(ids.Bits, "%s: up to %.0f bits (an upper bound: %s)", label, a.Bits, shape)
	}
}

// SameShape returns a value of v's shape (the same length and character
// classes, the same prefix up to the last separator of its first half)
// that was surely never minted.
func SameShape(e *check.Env, v string) string {
	keep := strings.LastIndexAny(v[:len(v)/2], "_-:.") + 1
	b := []byte(v)
	for i := keep; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= '0' && c <= '9':
			b[i] = byte('0' + e.Rand().Intn(10))
		case c >= 'a' && c <= 'z':
			b[i] = byte('a' + e.Rand().Intn(26))
		case c >= 'A' && c <= 'Z':
			b[i] = byte('A' + e.Rand().Intn(26))
		}
	}
	if string(b) == v && len(b) > 0 {
		b[len(b)-1] = staterun.NextInClass(b[len(b)-1])
	}
	return string(b)
}
