package check

import (
	"bytes"
	"fmt"
	"mime"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Findings of one cause. One design choice of a server can break several
// requirements: a version problem answered with a text/plain 400 breaks
// both the rule for unsupported versions and the one for mismatched
// headers. The report groups such findings (Result.Cause) so that a
// server author sees one cause, not several unrelated failures.

// causeOf returns the cause a verdict names, or, for the model's finding,
// the answer that broke it: an HTTP error without a JSON-RPC error is
// described (the same answer to several defects is one cause), any other
// answer is named by its request (several findings in one answer).
func causeOf(v *Verdict) string {
	if v.Cause != "" || !v.Model || len(v.Evidence) == 0 {
		return v.Cause
	}
	ex := v.Evidence[len(v.Evidence)-1]
	ex.Decode()
	// Several findings in one answer (a notification that breaks the
	// schema and names a token no request gave) are one cause.
	same := fmt.Sprintf(oneAnswer+"the server's answer to %s (request id %s)", ex.Method(), wire.MessageID(ex.Sent))
	if ex.Transport != wire.HTTP || ex.Status < 400 || !ex.Outcome.Finished() {
		return same
	}
	if _, isErr := (Observation{Ex: ex}).ErrorCode(); isErr {
		return same
	}
	ct, _, _ := mime.ParseMediaType(ex.RespHeader.Get("Content-Type"))
	body := bytes.TrimSpace(ex.RespBody)
	if len(body) > 60 {
		body = append(body[:60:60], "…"...)
	}
	if ct == "" {
		ct = "no Content-Type"
	}
	return fmt.Sprintf("the server answers with HTTP %d (%s) %q and no JSON-RPC error", ex.Status, ct, body)
}

// oneAnswer prefixes the cause of findings in one answer.
const oneAnswer = "one answer: "

// sharedCauses keeps the causes that two or more failures or warnings
// share, and clears the others: a cause of one finding groups nothing.
// Findings in one answer share a cause only when one of them is a schema
// failure (CORE-MESSAGE-SCHEMA, CORE-RESULT-SCHEMA): the generic symptom
// of the precise rule the others name (a null progressToken fails the
// schema and names no token a request gave); two precise rules broken in
// one answer are two defects.
func sharedCauses(rs []Result) {
	n, schema := map[string]int{}, map[string]bool{}
	for _, r := range rs {
		if r.Cause != "" {
			n[r.Cause]++
			schema[r.Cause] = schema[r.Cause] || r.ID == spec.CoreMessageSchema || r.ID == spec.CoreResultSchema
		}
	}
	for i := range rs {
		c := rs[i].Cause
		if n[c] < 2 || strings.HasPrefix(c, oneAnswer) && !schema[c] {
			rs[i].Cause = ""
		}
	}
}
