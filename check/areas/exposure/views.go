package exposure

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/wire"
)

// What one principal is shown: the items of a cacheable result, every
// page of a list read, compared item by item with what another principal
// (or the same one, later) is shown.

// listItems names, per list method, the member that names an item and
// the request that uses one ("" for none the checks send).
var listItems = map[string]struct{ key, use string }{
	"tools/list":               {"name", "tools/call"},
	"prompts/list":             {"name", "prompts/get"},
	"resources/list":           {"uri", "resources/read"},
	"resources/templates/list": {"uriTemplate", ""},
}

// maxPages bounds the pages read of one list as one principal.
const maxPages = 20

// view is what one principal got for one cacheable request: the items of
// every page of a list (by key), or the one item "result" of a single
// result (without _meta and caching hints).
type view struct {
	items map[string]string         // key → canonical JSON
	raw   map[string]map[string]any // key → the item decoded
	// scope is the cacheScope of every page, or "" when the pages differ
	// or a page has none.
	scope string
	obs   []check.Observation
	// why is not "" when the request was not answered with complete
	// results: the view says nothing then.
	why string
}

// public reports whether every page was marked "public".
func (v view) public() bool { return v.why == "" && v.scope == wire.CacheScopePublic }

// readView sends method as client c and reads its complete results: every
// page of a list, or the single result of another request with params.
func readView(e *check.Env, c check.Client, method string, params map[string]any) view {
	v := view{items: map[string]string{}, raw: map[string]map[string]any{}}
	info, _ := wire.LookupMethod(method)
	read := func(p map[string]any) (map[string]any, bool) {
		o := send(e, c, method, p)
		v.obs = append(v.obs, o)
		res, ok := completeResult(o)
		if !ok {
			v.why = fmt.Sprintf("%s was %s", method, o.Describe())
			if o.Accepted() {
				v.why += ", not a complete result"
			}
			return nil, false
		}
		scope, _ := res["cacheScope"].(string)
		if len(v.obs) == 1 {
			v.scope = scope
		} else if v.scope != scope {
			v.scope = ""
		}
		return res, true
	}
	if info == nil || !info.Paginated {
		res, ok := read(params)
		if ok {
			for _, k := range []string{"_meta", "ttlMs", "cacheScope"} {
				delete(res, k)
			}
			v.add("result", res)
		}
		return v
	}
	check.FollowCursors(e.Ctx, maxPages, func(p map[string]any) (*string, bool) {
		res, ok := read(p)
		if !ok {
			return nil, false
		}
		items, _ := res[info.ListKey].([]any)
		for _, it := range items {
			m, _ := it.(map[string]any)
			if k, _ := m[listItems[method].key].(string); k != "" {
				v.add(k, m)
			}
		}
		next, _ := res["nextCursor"].(string)
		if next == "" {
			return nil, true
		}
		return &next, true
	})
	return v
}

func (v view) add(key string, item map[string]any) {
	b, err := json.Marshal(item)
	if err != nil {
		return
	}
	v.items[key], v.raw[key] = string(b), item
}

// completeResult decodes the result of a served request that is complete
// (not an InputRequiredResult, which is not cacheable).
func completeResult(o check.Observation) (map[string]any, bool) {
	if !o.Accepted() {
		return nil, false
	}
	for _, r := range o.Ex.Replies {
		m, ok := r.Msg.(*wire.JSONRPCResultResponse)
		if !ok {
			continue
		}
		var res map[string]any
		if json.Unmarshal(m.Result, &res) != nil || res == nil || res["resultType"] == wire.ResultInputRequired {
			return nil, false
		}
		return res, true
	}
	return nil, false
}

// delta is how two views differ: keys only in the first, only in the
// second, and keys in both whose items differ.
type delta struct{ onlyA, onlyB, changed []string }

func (d delta) empty() bool { return len(d.onlyA)+len(d.onlyB)+len(d.changed) == 0 }

func diff(a, b view) delta {
	var d delta
	for k, ja := range a.items {
		switch jb, ok := b.items[k]; {
		case !ok:
			d.onlyA = append(d.onlyA, k)
		case ja != jb:
			d.changed = append(d.changed, k)
		}
	}
	for k := range b.items {
		if _, ok := a.items[k]; !ok {
			d.onlyB = append(d.onlyB, k)
		}
	}
	slices.Sort(d.onlyA)
	slices.Sort(d.onlyB)
	slices.Sort(d.changed)
	return d
}

// describe says how the views of a (for who) and b (for other) differ.
func (d delta) describe(who, other string) string {
	var parts []string
	if len(d.onlyA) > 0 {
		parts = append(parts, fmt.Sprintf("only for %s: %s", who, probe.ListSome(probe.Quoted(d.onlyA), 6, ", ")))
	}
	if len(d.onlyB) > 0 {
		parts = append(parts, fmt.Sprintf("only for %s: %s", other, probe.ListSome(probe.Quoted(d.onlyB), 6, ", ")))
	}
	if len(d.changed) > 0 {
		parts = append(parts, fmt.Sprintf("different for each: %s", probe.ListSome(probe.Quoted(d.changed), 6, ", ")))
	}
	return strings.Join(parts, "; ")
}

// twice is one request read as each principal, twice in turn: primary,
// alternate, primary, alternate.
type twice struct {
	method string
	label  string // the request, for messages
	p, a   [2]view
}

// readTwice reads the request as the two principals, in turn, twice.
func readTwice(e *check.Env, pc, ac check.Client, method, label string, params map[string]any) *twice {
	t := &twice{method: method, label: label}
	for i := 0; i < 2 && e.Ctx.Err() == nil; i++ {
		t.p[i] = readView(e, pc, method, params)
		t.a[i] = readView(e, ac, method, params)
	}
	return t
}

// unanswered says why the reads tell nothing ("" when all four were
// complete results).
func (t *twice) unanswered() string {
	for _, v := range []view{t.p[0], t.a[0], t.p[1], t.a[1]} {
		if v.items == nil {
			return "not read (the check ran out of time)"
		}
		if v.why != "" {
			return v.why
		}
	}
	return ""
}

// stable reports whether each principal was shown the same both times.
func (t *twice) stable() bool {
	return diff(t.p[0], t.p[1]).empty() && diff(t.a[0], t.a[1]).empty()
}

// exchanges are the exchanges of the reads, in order.
func (t *twice) exchanges() []*wire.Exchange {
	var out []*wire.Exchange
	for i := 0; i < 2; i++ {
		for _, v := range []view{t.p[i], t.a[i]} {
			for _, o := range v.obs {
				out = append(out, o.Ex)
			}
		}
	}
	return out
}

// onlyFor returns the keys shown to one principal both times and to the
// other neither time: a is the first principal's two views, b the
// other's.
func onlyFor(a, b [2]view) []string {
	var out []string
	for k := range a[0].items {
		_, again := a[1].items[k]
		_, b0 := b[0].items[k]
		_, b1 := b[1].items[k]
		if again && !b0 && !b1 {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

// enough reports whether the check has time for another request.
func enough(e *check.Env) bool { return e.Ctx.Err() == nil && e.TimeLeft() > 2*time.Second }
