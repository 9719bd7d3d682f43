// Package randomness judges whether values a server mints (state
// handles, task IDs) could be guessed: a sample minted in order is
// analysed for repeats, counters and clock values, and its entropy is
// bounded from above by the positions that vary and their alphabet.
package randomness

import (
	"fmt"
	"math"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Analysis is what a sample of minted values shows.
type Analysis struct {
	N, Distinct int
	// Collisions are the values minted more than once (each repeat).
	Collisions []string
	// Prefix and Suffix are common to every value; Varying counts the
	// positions of the rest that differ between values, over an alphabet
	// of Alphabet characters: Bits is the upper bound they give.
	Prefix, Suffix string
	Varying        int
	Alphabet       int
	Bits           float64
	UUIDVersion    int // all UUIDs of this version; 0 none
	// Sequential and Clocked describe a counter and a clock value found
	// ("" none); RestBits are the bits outside a clock value.
	Sequential, Clocked string
	RestBits            float64
}

var uuidRe = regexp.MustCompile(`(?i)^[0-9a-f]{8}-[0-9a-f]{4}-([0-9a-f])[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// Analyze estimates the randomness of values minted in order; noun names
// them in the descriptions ("handles", "task IDs").
func Analyze(hs []string, now time.Time, noun string) Analysis {
	a := Analysis{N: len(hs)}
	seen := map[string]bool{}
	var uniq []string
	for _, h := range hs {
		if seen[h] {
			a.Collisions = append(a.Collisions, h)
			continue
		}
		seen[h] = true
		uniq = append(uniq, h)
	}
	a.Distinct = len(uniq)
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
		a.UUIDVersion = ver
	}
	// Common prefix and suffix; the variable parts.
	a.Prefix, a.Suffix = uniq[0], uniq[0]
	for _, h := range uniq[1:] {
		for !strings.HasPrefix(h, a.Prefix) {
			a.Prefix = a.Prefix[:len(a.Prefix)-1]
		}
		for !strings.HasSuffix(h, a.Suffix) {
			a.Suffix = a.Suffix[1:]
		}
	}
	vars := make([]string, len(hs))
	minLen := math.MaxInt
	for i, h := range hs {
		v := strings.TrimPrefix(h, a.Prefix)
		if len(v) >= len(a.Suffix) {
			v = strings.TrimSuffix(v, a.Suffix)
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
		a.Alphabet = 10
	case (hexLower && lower || hexUpper && upper) && !(lower && upper) && len(other) == 0:
		a.Alphabet = 16
	default:
		for _, b := range []bool{lower, upper} {
			if b {
				a.Alphabet += 26
			}
		}
		if digit {
			a.Alphabet += 10
		}
		a.Alphabet += len(other)
	}
	// Varying positions (constant positions carry nothing).
	for i := 0; i < minLen; i++ {
		c := vars[0][i]
		for _, v := range vars[1:] {
			if v[i] != c {
				a.Varying++
				break
			}
		}
	}
	if a.Alphabet > 1 {
		a.Bits = float64(a.Varying) * math.Log2(float64(a.Alphabet))
	}
	a.RestBits = a.Bits
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
			a.Sequential = fmt.Sprintf("the variable part is a counter (%s, %s, ...; steps %s)", hs[0], hs[1], strings.Join(steps, ", "))
		}
	}
	// A clock: a Unix time in seconds, milliseconds, microseconds or
	// nanoseconds within two days of now; a UUIDv1 or ObjectId timestamp.
	if a.UUIDVersion == 1 {
		a.Clocked = "the " + noun + " are UUIDv1 (a timestamp and the host's node id)"
		a.RestBits = 14
	}
	if c, start, end := clockIn(hs, now, noun); c != "" {
		a.Clocked = c
		// The clock's characters within the variable part carry no
		// entropy.
		lo, hi := max(start, len(a.Prefix)), min(end, len(hs[0])-len(a.Suffix))
		if hi > lo && a.Alphabet > 1 {
			a.RestBits = math.Max(0, a.Bits-float64(hi-lo)*math.Log2(float64(a.Alphabet)))
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

// clockIn looks for a clock value in every value: a Unix time in seconds,
// milliseconds, microseconds or nanoseconds in a run of digits, or the
// leading 8 hex digits of an ObjectId, within two days of now. It returns
// what it found and where it is in the first value.
func clockIn(hs []string, now time.Time, noun string) (what string, start, end int) {
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
					return fmt.Sprintf("the %s hold the current Unix time in %s (%s)", noun, u.name, r), loc[0], loc[1], true
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
		return fmt.Sprintf("the %s start with the current Unix time in hex (%s, as an ObjectId)", noun, h[loc[0]:loc[0]+8]), loc[0], loc[0] + 8, true
	})
}

var (
	digitRun = regexp.MustCompile(`\d{10,19}`)
	hexRun   = regexp.MustCompile(`[0-9a-f]{24}|[0-9A-F]{24}`)
)
