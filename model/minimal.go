package model

import (
	"slices"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Minimal keeps, of the exchanges before the last (which the model
// finds violating id), only those the model needs to find it again:
// it steps a fresh model through candidate subsequences (delta debugging,
// the model is pure and fast) and returns the smallest it found, in the
// original order, the violating exchange last.
func Minimal(cfg Config, exs []*wire.Exchange, id spec.ID) []*wire.Exchange {
	last := exs[len(exs)-1]
	violates := func(keep []*wire.Exchange) bool {
		s := NewState(cfg)
		for _, ex := range keep {
			s, _ = s.Step(ex)
		}
		_, vs := s.Step(last)
		return slices.ContainsFunc(vs, func(v Violation) bool { return v.ID == id })
	}
	before := exs[:len(exs)-1]
	if !violates(before) {
		return exs // not reproducible offline (a clock, a configuration learnt later): keep all
	}
	keep := ddmin(before, violates)
	return append(slices.Clip(keep), last)
}

// ddmin is Zeller's delta debugging over a sequence: a smallest-found
// subsequence for which test holds (test(all) holds).
func ddmin(all []*wire.Exchange, test func([]*wire.Exchange) bool) []*wire.Exchange {
	if test(nil) {
		return nil
	}
	cur := all
	n := 2
	for len(cur) >= 2 {
		chunk := (len(cur) + n - 1) / n
		reduced := false
		for start := 0; start < len(cur); start += chunk {
			end := min(start+chunk, len(cur))
			complement := append(slices.Clone(cur[:start]), cur[end:]...)
			if test(complement) {
				cur, n, reduced = complement, max(n-1, 2), true
				break
			}
		}
		if !reduced {
			if n >= len(cur) {
				break
			}
			n = min(2*n, len(cur))
		}
	}
	return cur
}
