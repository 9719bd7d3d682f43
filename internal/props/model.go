// Package props holds the property-based tests of mcpverify as plain
// functions of *rapid.T, so that each runs twice: as a test (rapid.Check,
// in the package it tests) and as a native fuzz target (rapid.MakeFuzz, in
// package fuzz).
package props

import (
	"reflect"

	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
	"pgregory.net/rapid"
)

// ModelStepTotal: model.Step is total and honest on arbitrary exchanges. It
// never panics; every violation names a catalog requirement with the
// catalog's level and says what it got and wanted; and Step is pure: the
// same state and exchange give the same violations, and stepping never
// changes the state it was called on.
func ModelStepTotal(t *rapid.T) {
	exs := rapid.SliceOfN(rapid.Custom(Exchange), 1, 8).Draw(t, "exchanges")
	s := model.NewState(model.Config{})
	for i, ex := range exs {
		before := s
		next, vs := s.Step(ex)
		for _, v := range vs {
			r, ok := spec.Lookup(v.ID)
			if !ok {
				t.Fatalf("exchange %d: violation of unknown requirement %s", i, v.ID)
			}
			if v.Level != r.Level {
				t.Fatalf("exchange %d: %s reported at level %s; the catalog says %s", i, v.ID, v.Level, r.Level)
			}
			if v.Got == "" || v.Want == "" {
				t.Fatalf("exchange %d: %s without got/want: %+v", i, v.ID, v)
			}
		}
		_, again := before.Step(cloneExchange(ex))
		if !reflect.DeepEqual(ids(vs), ids(again)) {
			t.Fatalf("exchange %d: Step is not deterministic: %v then %v", i, ids(vs), ids(again))
		}
		s = next
	}
}

func ids(vs []model.Violation) []spec.ID {
	out := make([]spec.ID, len(vs))
	for i, v := range vs {
		out[i] = v.ID
	}
	return out
}

// cloneExchange copies the raw fields of an exchange (not its decoding).
func cloneExchange(ex *wire.Exchange) *wire.Exchange {
	return &wire.Exchange{
		Transport: ex.Transport, Conn: ex.Conn, Instance: ex.Instance, At: ex.At,
		HTTPMethod: ex.HTTPMethod, Header: ex.Header, Body: ex.Body,
		Status: ex.Status, RespHeader: ex.RespHeader, RespBody: ex.RespBody,
		Lines: ex.Lines, LineAt: ex.LineAt, Outcome: ex.Outcome, CancelAt: ex.CancelAt,
	}
}
