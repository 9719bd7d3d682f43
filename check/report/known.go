package report

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
)

// KnownFailures is a baseline: the requirements a server is known to
// break, each with the reason. Read one with LoadBaseline.
type KnownFailures struct {
	reasons map[spec.ID]string
	ids     []spec.ID // in file order
}

// baselineMax bounds a baseline file.
const baselineMax = 1 << 20

// LoadBaseline reads a baseline file: one known failure per line, the
// requirement ID, blanks, then the reason (required):
//
//	# known failures of our server
//	HTTP-ORIGIN       the proxy in front checks Origin; not in this test setup
//	CORE-LIST-STABLE  tracked in issue 42
//
// Blank lines and lines that start with # are ignored. An ID that is not
// in the catalog, an ID listed twice and a line without a reason are
// errors, so that a typo cannot silently excuse nothing.
func LoadBaseline(path string) (*KnownFailures, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read baseline: %w", err)
	}
	defer f.Close()
	return parseBaseline(io.LimitReader(f, baselineMax+1), path)
}

// parseBaseline parses a baseline read from r; name is used in errors.
func parseBaseline(r io.Reader, name string) (*KnownFailures, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", name, err)
	}
	if len(data) > baselineMax {
		return nil, fmt.Errorf("baseline %s: larger than %d bytes", name, baselineMax)
	}
	data = bytes.TrimPrefix(data, []byte("\uFEFF"))
	b := &KnownFailures{reasons: map[spec.ID]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, baselineMax)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		first, reason, _ := strings.Cut(strings.Join(strings.Fields(line), " "), " ")
		id := spec.ID(first)
		switch _, known := spec.Lookup(id); {
		case !known:
			return nil, fmt.Errorf("baseline %s:%d: %q is not a requirement ID of the catalog", name, n, first)
		case reason == "":
			return nil, fmt.Errorf("baseline %s:%d: %s has no reason; want \"ID  reason\"", name, n, id)
		case b.reasons[id] != "":
			return nil, fmt.Errorf("baseline %s:%d: %s is listed twice", name, n, id)
		}
		b.reasons[id] = reason
		b.ids = append(b.ids, id)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read baseline %s: %w", name, err)
	}
	return b, nil
}

// IDs returns the baselined requirements, in file order.
func (b *KnownFailures) IDs() []spec.ID {
	if b == nil {
		return nil
	}
	return append([]spec.ID(nil), b.ids...)
}

// Reason returns the baseline's reason for id, if it lists id.
func (b *KnownFailures) Reason(id spec.ID) (string, bool) {
	if b == nil {
		return "", false
	}
	r, ok := b.reasons[id]
	return r, ok
}

// Apply marks the report's results by the baseline: each result the
// baseline lists gets the reason in Baselined (a baselined failure then
// no longer fails the run: Report.Failed ignores it), and a listed result
// that passes is marked Stale. It returns the stale IDs, sorted. Marks
// from an earlier Apply are replaced. A listed requirement that the run
// did not judge, or judged skip or inconclusive, is not stale: the run
// could not tell whether it is fixed.
func (b *KnownFailures) Apply(r *check.Report) (stale []string) {
	if r == nil {
		return nil
	}
	for i := range r.Results {
		res := &r.Results[i]
		res.Baselined, res.Stale = "", false
		reason, ok := b.Reason(res.ID)
		if !ok {
			continue
		}
		res.Baselined = reason
		if res.Status == check.Pass {
			res.Stale = true
			stale = append(stale, string(res.ID))
		}
	}
	sort.Strings(stale)
	return stale
}
