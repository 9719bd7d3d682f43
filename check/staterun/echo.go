package staterun

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"unicode"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/wire"
)

// What an altered state's answer shows beyond refusal or completion:
// whether a changed result only carries back data the client supplied
// (an echo), and whether the server failed on the state instead of
// refusing it (a fault).

// minSupplied is the shortest supplied value an echo is looked for: a
// shorter one ("a", "42") appears in results by chance.
const minSupplied = 3

// supplied returns the string values the client itself supplied in a
// flow: the request's arguments (not the tool or prompt name, not the
// URI: those say what is asked) and every round's input responses. Only
// values with a letter in them: a number the client gave (an amount) that
// an altered state changes stays evidence that the state matters.
func supplied(params map[string]any, rounds []map[string]any) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(v any, depth int)
	walk = func(v any, depth int) {
		if depth > 8 {
			return
		}
		switch x := v.(type) {
		case string:
			if len(x) >= minSupplied && strings.IndexFunc(x, unicode.IsLetter) >= 0 && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		case map[string]any:
			for _, y := range x {
				walk(y, depth+1)
			}
		case []any:
			for _, y := range x {
				walk(y, depth+1)
			}
		}
	}
	for k, v := range params {
		if k == "arguments" {
			walk(v, 0)
		}
	}
	for _, r := range rounds {
		walk(r, 0)
	}
	return out
}

// stateTexts returns what a state says: its text and each segment decoded
// (Base64 or hex), as text.
func stateTexts(s string) []string {
	out := []string{s}
	for _, seg := range strings.Split(s, ".") {
		if sp, _, ok := segmentSpelling(seg); ok {
			if b, ok := decodeLenient(seg, sp); ok {
				out = append(out, string(b))
			}
		}
	}
	return out
}

// jsonText is s as it appears inside a JSON string (ResultSig's spelling).
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}

// Echo reports whether the result r1 of the altered state altered differs
// from the unaltered result r0 (both ResultSig) only by carrying back data
// the client supplied: r1 is r0 with one occurrence of a supplied value c,
// which the unaltered state orig carries, replaced by text that the
// altered state carries. It returns c and its replacement. Such a change
// shows that the state holds the client's own data, not that it
// influences authorization, resource access or business logic.
func Echo(orig, altered, r0, r1 string, sup []string) (c, x string, ok bool) {
	if r0 == r1 {
		return "", "", false
	}
	origTexts, altTexts := stateTexts(orig), stateTexts(altered)
	carried := func(texts []string, v string) bool {
		for _, t := range texts {
			if strings.Contains(t, v) {
				return true
			}
		}
		return false
	}
	for _, c := range sup {
		if !carried(origTexts, c) {
			continue
		}
		ce := jsonText(c)
		for i, n := 0, 0; n < 16; n++ {
			j := strings.Index(r0[i:], ce)
			if j < 0 {
				break
			}
			at := i + j
			prefix, suffix := r0[:at], r0[at+len(ce):]
			if len(r1) >= len(prefix)+len(suffix) && strings.HasPrefix(r1, prefix) && strings.HasSuffix(r1, suffix) {
				xe := r1[len(prefix) : len(r1)-len(suffix)]
				var x string
				if json.Unmarshal([]byte(`"`+xe+`"`), &x) == nil && x != c && carried(altTexts, x) {
					return c, x, true
				}
			}
			i = at + len(ce)
		}
	}
	return "", "", false
}

// leakedInternals matches what a server's internals look like when an
// error leaks them: a stack trace or a runtime panic of a common runtime.
var leakedInternals = regexp.MustCompile(`goroutine \d+ \[[a-z ]+\]|panic: runtime error|\.go:\d+ \+0x[0-9a-f]+|Traceback \(most recent call last\)|\bat [\w$.<>]+ \((?:file://)?/[^)]*:\d+:\d+\)|\bat [\w$.]+\(\w+\.java:\d+\)|thread '[^']*' panicked at`)

// Fault describes how an answer shows that the server failed on a request
// rather than refused it: an HTTP 5xx status (503, busy, excepted), or a
// stack trace or runtime panic in what it sent. "" when it shows neither.
func Fault(o check.Observation) string {
	ex := o.Ex
	if ex == nil || !ex.Outcome.Finished() {
		return ""
	}
	var body []byte
	if ex.Transport == wire.HTTP {
		body = ex.RespBody
	} else {
		for _, l := range ex.Lines {
			body = append(append(body, l...), '\n')
		}
	}
	var says []string
	if ex.Transport == wire.HTTP && ex.Status >= 500 && ex.Status != http.StatusServiceUnavailable {
		says = append(says, fmt.Sprintf("HTTP %d, a server error", ex.Status))
	}
	if m := leakedInternals.Find(body); m != nil {
		says = append(says, fmt.Sprintf("an answer that leaks the server's internals (%q)", TruncateText(string(m), 60)))
	}
	return strings.Join(says, ", with ")
}
