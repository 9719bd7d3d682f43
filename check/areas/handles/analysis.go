package handles

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// handleAnalysis is what a sample of handles shows.
type handleAnalysis struct {
	n, distinct         int
	collisions          []string
	prefix, suffix      string
	varying             int
	alphabet            int
	bits                float64
	uuidVersion         int // all UUIDs of this version; 0 none
	sequential, clocked string
	restBits            float64 // bits outside a clock value
}

var uuidRe = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// analyzeHandles estimates the randomness of handles minted in order.
func analyzeHandles(hs []string, now time.Time) handleAnalysis {
	a := handleAnalysis{n: len(hs)}
	seen := map[string]bool{}
	var uniq []string
	for _, h := range hs {
		if seen[h] {
			a.collisions = append(a.collisions, h)
			continue
		}
		seen[h] = true
		uniq = append(uniq, h)
	}
	a.distinct = len(uniq)
	if len(uniq) < 2 {
		return a
	}
	// UUIDs.
	ver := -1
	for _, h := range uniq {
		m := uuidRe.FindStringSubmatch(h)
		if m == nil {
			ver = -1
			break
		}
		v, _ := strconv.ParseInt(m[1], 16, 8)
		if ver != -1 && int(v) != ver {
			ver = -1
			break
		}
		ver = int(v)
	}
	if ver > 0 {
		a.uuidVersion = ver
	}
	// Common prefix and suffix; the variable parts.
	a.prefix, a.suffix = uniq[0], uniq[0]
	for _, h := range uniq[1:] {
		for !strings.HasPrefix(h, a.prefix) {
			a.prefix = a.prefix[:len(a.prefix)-1]
		}
		for !strings.HasSuffix(h, a.suffix) {
			a.suffix = a.suffix[1:]
		}
	}
	vars := make([]string, len(hs))
	minLen := math.MaxInt
	for i, h := range hs {
		v := strings.TrimPrefix(h, a.prefix)
		if len(v) >= len(a.suffix) {
			v = strings.TrimSuffix(v, a.suffix)
		}
		vars[i] = v
		minLen = min(minLen, len(v))
	}
	// Alphabet of the variable parts.
	var lower, upper, digit, hexLower, hexUpper bool
	hexLower, hexUpper = true, true
	other := map[byte]bool{}
	for _, v := range vars {
		for i := 0; i < len(v); i++ {
			c := v[i]
			switch {
			case c >= 'a' && c <= 'z':
				lower = true
				hexLower = hexLower && c <= 'f'
				hexUpper = false
			case c >= 'A' && c <= 'Z':
				upper = true
				hexUpper = hexUpper && c <= 'F'
				hexLower = false
			case c >= '0' && c <= '9':
				digit = true
			default:
				other[c] = true
			}
		}
	}
	switch {
	case !lower && !upper && digit && len(other) == 0:
		a.alphabet = 10
	case (hexLower && lower || hexUpper && upper) && !(lower && upper) && len(other) == 0:
		a.alphabet = 16
	default:
		for _, b := range []bool{lower, upper} {
			if b {
				a.alphabet += 26
			}
		}
		if digit {
			a.alphabet += 10
		}
		a.alphabet += len(other)
	}
	// Varying positions (constant positions carry nothing).
	for i := 0; i < minLen; i++ {
		c := vars[0][i]
		for _, v := range vars[1:] {
			if v[i] != c {
				a.varying++
				break
			}
		}
	}
	if a.alphabet > 1 {
		a.bits = float64(a.varying) * math.Log2(float64(a.alphabet))
	}
	a.restBits = a.bits
	// A counter: every variable part a number, changing by small steps in
	// one direction.
	if n, ok := numbers(vars); ok {
		up, down := true, true
		var steps []string
		for i := 1; i < len(n); i++ {
			d := new(big.Int).Sub(n[i], n[i-1])
			up = up && d.Sign() > 0 && d.Cmp(big.NewInt(1<<16)) <= 0
			down = down && d.Sign() < 0 && d.CmpAbs(big.NewInt(1<<16)) <= 0
			if len(steps) < 4 {
				steps = append(steps, d.String())
			}
		}
		if up || down {
			a.sequential = fmt.Sprintf("the variable part is a counter (%s, %s, ...; steps %s)", hs[0], hs[1], strings.Join(steps, ", "))
		}
	}
	// A clock: a Unix time in seconds, milliseconds, microseconds or
	// nanoseconds within two days of now; a UUIDv1 or ObjectId timestamp.
	if a.uuidVersion == 1 {
		a.clocked = "the handles are UUIDv1 (a timestamp and the host's node id)"
		a.restBits = 14
	}
	if c, start, end := clockIn(hs, now); c != "" {
		a.clocked = c
		// The clock's characters within the variable part carry no
		// entropy.
		lo, hi := max(start, len(a.prefix)), min(end, len(hs[0])-len(a.suffix))
		if hi > lo && a.alphabet > 1 {
			a.restBits = math.Max(0, a.bits-float64(hi-lo)*math.Log2(float64(a.alphabet)))
		}
	}
	return a
}

// numbers parses every variable part as a decimal or hex number.
func numbers(vars []string) ([]*big.Int, bool) {
	for _, base := range []int{10, 16} {
		out := make([]*big.Int, 0, len(vars))
		for _, v := range vars {
			if v == "" || len(v) > 40 {
				return nil, false
			}
			n, ok := new(big.Int).SetString(v, base)
			if !ok {
				break
			}
			out = append(out, n)
		}
		if len(out) == len(vars) {
			return out, true
		}
	}
	return nil, false
}

// clockIn looks for a clock value in every handle: a Unix time in seconds,
// milliseconds, microseconds or nanoseconds in a run of digits, or the
// leading 8 hex digits of an ObjectId, within two days of now. It returns
// what it found and where it is in the first handle.
func clockIn(hs []string, now time.Time) (what string, start, end int) {
	near := func(t time.Time) bool { d := t.Sub(now); return d < 48*time.Hour && d > -48*time.Hour }
	all := func(f func(h string) (string, int, int, bool)) (string, int, int) {
		for i, h := range hs {
			w, s, e, ok := f(h)
			if !ok {
				return "", 0, 0
			}
			if i == 0 {
				what, start, end = w, s, e
			}
		}
		return what, start, end
	}
	if w, s, e := all(func(h string) (string, int, int, bool) {
		for _, loc := range digitRun.FindAllStringIndex(h, -1) {
			r := h[loc[0]:loc[1]]
			x, err := strconv.ParseInt(r, 10, 64)
			if err != nil {
				continue
			}
			for _, u := range []struct {
				name string
				t    time.Time
			}{{"seconds", time.Unix(x, 0)}, {"milliseconds", time.UnixMilli(x)}, {"microseconds", time.UnixMicro(x)}, {"nanoseconds", time.Unix(0, x)}} {
				if near(u.t) {
					return fmt.Sprintf("the handles hold the current Unix time in %s (%s)", u.name, r), loc[0], loc[1], true
				}
			}
		}
		return "", 0, 0, false
	}); w != "" {
		return w, s, e
	}
	return all(func(h string) (string, int, int, bool) {
		loc := hexRun.FindStringIndex(h)
		if loc == nil {
			return "", 0, 0, false
		}
		x, err := strconv.ParseInt(h[loc[0]:loc[0]+8], 16, 64)
		if err != nil || !near(time.Unix(x, 0)) {
			return "", 0, 0, false
		}
		return fmt.Sprintf("the handles start with the current Unix time in hex (%s, as an ObjectId)", h[loc[0]:loc[0]+8]), loc[0], loc[0] + 8, true
	})
}

var (
	digitRun = regexp.MustCompile(`\d{10,19}`)
	hexRun   = regexp.MustCompile(`[0-9a-f]{24}|[0-9A-F]{24}`)
)
