package exposure

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/gen"
	"github.com/mcpverify/mcpverify/check/hints"
	"github.com/mcpverify/mcpverify/check/probe"
	"github.com/mcpverify/mcpverify/check/staterun"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Two principals (--header and --alt-header), on a server that refuses
// invalid credentials and serves both.
//
// Reads. server/discover, every list the server declares (every page),
// and resources/read of up to maxReads resources that both principals
// are listed, are each read as the first principal, the second, the
// first again and the second again. A principal shown different items
// the two times (a list that changed meanwhile) is not compared: lists
// MAY change over time. Items are compared by key (a tool's or prompt's
// name, a resource's URI, a template's uriTemplate) and content; a single
// result as a whole, without _meta and the caching hints.
//
//   - CORE-CACHE-PUBLIC-AWARE (MUST): a result marked "public" both times
//     for one principal (every page) that differs from the other
//     principal's, the same way both times, fails, naming the items that
//     differ: a shared cache may serve it to the other principal
//     (caching.mdx, "Security Considerations"). Results that differ and
//     are "private" are what the spec asks for; results marked "public"
//     and the same for both pass.
//   - CORE-UNLISTED-SERVED (hardening): a tool, prompt or resource listed
//     for one principal both times and for the other neither time is
//     called, got or read by the one it is listed for (the baseline: it
//     must be served, with arguments drawn from its inputSchema, at most
//     three draws), then by the other with the same params. Served to the
//     other: a warning (lists MAY vary by authorization, and no rule ties
//     listing to access). Refused (an error or a tool error) while the
//     baseline was served: pass. At most maxPerList items per list and
//     direction; tools marked destructiveHint: true are not called unless
//     the hints forbid them to someone.
//   - CORE-CACHE-SCOPE-NOT-ACL (MUST NOT): only where --hints forbidden
//     names a request refused to a principal: served to it, it fails;
//     refused while the other principal's same request is served, it
//     passes. Without such hints the policy is unknown: skipped.
//
// The same reads then serve the completion probe (completion.go:
// CORE-COMPLETION-ACCESS and CORE-COMPLETION-DISCLOSURE).

func init() {
	check.Register(&check.Check{
		Name: "exposure/principals",
		IDs:  principalIDs,
		Run:  checkPrincipals,
	})
}

var principalIDs = []spec.ID{spec.CoreCachePublicAware, spec.CoreUnlistedServed, spec.CoreCacheScopeNotAcl, spec.CoreCompletionAccess, spec.CoreCompletionDisclosure}

const (
	// maxReads bounds the resources read by both principals.
	maxReads = 6
	// maxPerList bounds the unlisted items tried per list and direction.
	maxPerList = 4
	// baselineDraws bounds the argument draws of a tool's baseline call.
	baselineDraws = 3
)

// identity is one of the checker's two principals.
type identity struct {
	id    string // hints.Primary or hints.Alternate
	c     check.Client
	label string
}

func checkPrincipals(e *check.Env) {
	if !probe.NeedPrincipals(e, principalIDs) {
		return
	}
	h := e.Opts.Hints
	prim := identity{hints.Primary, e.Client, fmt.Sprintf("%s (--header)", h.Name(hints.Primary))}
	alt := identity{hints.Alternate, e.AsAlt(e.Client), fmt.Sprintf("%s (--alt-header)", h.Name(hints.Alternate))}
	reads := []*twice{readTwice(e, prim.c, alt.c, "server/discover", "server/discover", nil)}
	for _, m := range e.Server.Lists() {
		if !enough(e) {
			reads = append(reads, &twice{method: m, label: m}) // not read: says so
			continue
		}
		reads = append(reads, readTwice(e, prim.c, alt.c, m, m, nil))
	}
	if rl := find(reads, "resources/list"); rl != nil && rl.unanswered() == "" {
		var both []string
		for _, u := range slices.Sorted(maps.Keys(rl.p[0].items)) {
			if all(rl, u) {
				both = append(both, u)
			}
		}
		for _, u := range both[:min(len(both), maxReads)] {
			if !enough(e) {
				break
			}
			reads = append(reads, readTwice(e, prim.c, alt.c, "resources/read", "resources/read "+u, map[string]any{"uri": u}))
		}
	}
	judgePublic(e, prim, alt, reads)
	judgeUnlisted(e, prim, alt, reads)
	judgeCompletion(e, prim, alt, reads)
}

func find(reads []*twice, method string) *twice {
	for _, t := range reads {
		if t.method == method {
			return t
		}
	}
	return nil
}

// all reports whether key was shown in all four views of t.
func all(t *twice, key string) bool {
	for _, v := range []view{t.p[0], t.a[0], t.p[1], t.a[1]} {
		if _, ok := v.items[key]; !ok {
			return false
		}
	}
	return true
}

// judgePublic decides CORE-CACHE-PUBLIC-AWARE.
func judgePublic(e *check.Env, prim, alt identity, reads []*twice) {
	id := spec.CoreCachePublicAware
	var same, differ, notes []string
	violated, compared := false, 0
	for _, t := range reads {
		if w := t.unanswered(); w != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", t.label, w))
			continue
		}
		if !t.stable() {
			notes = append(notes, fmt.Sprintf("%s: a principal was shown different results by two reads (it changes over time): not compared", t.label))
			continue
		}
		compared++
		pPub, aPub := t.p[0].public() && t.p[1].public(), t.a[0].public() && t.a[1].public()
		d := diff(t.p[0], t.a[0])
		switch {
		case d.empty() && (pPub || aPub):
			same = append(same, t.label)
		case d.empty():
		case pPub || aPub:
			marked := "for both principals"
			switch {
			case !aPub:
				marked = "for " + prim.label
			case !pPub:
				marked = "for " + alt.label
			}
			e.ViolationShown(t.exchanges(), id, "%s is marked \"public\" (%s) yet differs between the two principals, the same way in two reads each: %s; a \"public\" result may be stored and served to any user, so one principal's result reaches the other", t.label, marked, d.describe(prim.label, alt.label))
			violated = true
		default:
			differ = append(differ, t.label)
		}
	}
	if violated {
		return
	}
	varying := ""
	if len(differ) > 0 {
		varying = fmt.Sprintf("; those that differ between them are \"private\" (%s)", strings.Join(differ, ", "))
	}
	switch {
	case len(same) > 0:
		e.Pass(id, "the results marked \"public\" are the same for both principals, in two reads each (%s)%s%s", probe.ListSome(same, 8, ", "), varying, noteOn(notes))
	case compared > 0:
		e.Pass(id, "no result compared is marked \"public\" (%d compared)%s%s", compared, varying, noteOn(notes))
	default:
		e.Inconclusive(id, "no cacheable result could be compared: %s", probe.ListSome(notes, 4, "; "))
	}
}

// target is a request one principal (other) is tried with: a primitive
// listed for owner only, or one the hints forbid to other.
type target struct {
	method, name string
	item         map[string]any // as listed, if listed
	owner, other identity
	// unlisted: listed for owner both times and for other neither time.
	unlisted  bool
	forbidden bool
	listing   []*wire.Exchange
	// ref and arg: for completion/complete, the reference type and the
	// argument completed.
	ref, arg string
}

func (tg *target) label() string {
	if tg.method == "completion/complete" {
		return fmt.Sprintf("completion/complete %s %s (argument %q)", tg.ref, tg.name, tg.arg)
	}
	return tg.method + " " + tg.name
}

// listOf is the list that declares the primitives method uses.
func listOf(method string) string {
	for m, li := range listItems {
		if li.use == method {
			return m
		}
	}
	return ""
}

// targets returns the requests to try: the primitives listed for one
// principal only, then those the hints forbid.
func targets(e *check.Env, prim, alt identity, reads []*twice) []*target {
	var out []*target
	seen := map[string]bool{}
	add := func(tg *target) {
		k := tg.method + "\x00" + tg.name + "\x00" + tg.other.id
		if seen[k] {
			return
		}
		seen[k] = true
		tg.forbidden = e.Opts.Hints.ForbiddenTo(tg.other.id, tg.method, tg.name)
		out = append(out, tg)
	}
	for _, t := range reads {
		use := listItems[t.method].use
		if use == "" || t.unanswered() != "" || !t.stable() {
			continue
		}
		for _, dir := range []struct {
			mine, theirs [2]view
			owner, other identity
		}{{t.p, t.a, prim, alt}, {t.a, t.p, alt, prim}} {
			keys := onlyFor(dir.mine, dir.theirs)
			for _, k := range keys[:min(len(keys), maxPerList)] {
				add(&target{method: use, name: k, item: dir.mine[0].raw[k], owner: dir.owner, other: dir.other, unlisted: true, listing: t.exchanges()})
			}
		}
	}
	for _, f := range e.Opts.Hints.ForbiddenList() {
		if isTemplate(f) {
			continue // the completion probe's (completion.go)
		}
		owner, other := forbidPair(f, prim, alt)
		add(&target{method: f.Method, name: f.Name, owner: owner, other: other, item: listed(reads, listOf(f.Method), f.Name)})
	}
	return out
}

// forbidPair returns the principal f forbids nothing to (the owner) and
// the one it forbids its request to.
func forbidPair(f hints.Forbid, prim, alt identity) (owner, other identity) {
	if f.Identity == hints.Primary {
		return alt, prim
	}
	return prim, alt
}

// listed returns the item key as the first read of list showed it to
// either principal, or nil.
func listed(reads []*twice, list, key string) map[string]any {
	if t := find(reads, list); t != nil {
		for _, v := range []view{t.p[0], t.a[0]} {
			if it, ok := v.raw[key]; ok {
				return it
			}
		}
	}
	return nil
}

// params builds the request's params: a tool's arguments drawn from its
// listed inputSchema, a prompt's arguments, a resource's URI.
func (tg *target) params(e *check.Env) map[string]any {
	switch tg.method {
	case "tools/call":
		args := map[string]any{}
		if m, ok := gen.GenerateValue(e.Rand(), tg.item["inputSchema"]).(map[string]any); ok && tg.item != nil {
			args = m
		}
		return map[string]any{"name": tg.name, "arguments": args}
	case "completion/complete":
		ref := map[string]any{"type": tg.ref, "name": tg.name}
		if tg.ref == refResource {
			ref = map[string]any{"type": tg.ref, "uri": tg.name}
		}
		return map[string]any{"ref": ref, "argument": map[string]any{"name": tg.arg, "value": ""}}
	case "prompts/get":
		var p wire.Prompt
		if b, err := json.Marshal(tg.item); err == nil && tg.item != nil {
			_ = json.Unmarshal(b, &p)
		}
		p.Name = tg.name
		return probe.PromptParams(e, &p)
	}
	return map[string]any{"uri": tg.name}
}

// destructive reports a tool listed with destructiveHint: true.
func (tg *target) destructive() bool {
	a, _ := tg.item["annotations"].(map[string]any)
	return tg.method == "tools/call" && a["destructiveHint"] == true
}

// send sends the target's request with params as client c.
func send(e *check.Env, c check.Client, method string, params map[string]any) check.Observation {
	return probe.SendAs(e, c, 0, method, params, probe.CallTimeout)
}

// baseline sends the request as its owner until it is served (a tool gets
// new arguments after an invalid-params error or a tool error, at most
// baselineDraws in all); it returns the params and the last answer.
func (tg *target) baseline(e *check.Env) (map[string]any, check.Observation, bool) {
	var params map[string]any
	var o check.Observation
	for i := 0; i < baselineDraws && enough(e); i++ {
		params = tg.params(e)
		o = send(e, tg.owner.c, tg.method, params)
		if staterun.Completes(o) {
			return params, o, true
		}
		code, isErr := o.ErrorCode()
		if tg.method != "tools/call" || (isErr && code != wire.CodeInvalidParams) || !o.Answered() {
			break
		}
	}
	return params, o, false
}

// trial is a request tried as its owner (the baseline) and then, with the
// same params, as the other principal.
type trial struct {
	base   check.Observation
	baseOK bool // the baseline was served
	o      check.Observation
	oc     staterun.Outcome // of o
	// shown are the exchanges that show the outcome: the listing, the
	// baseline, the other principal's request.
	shown []*wire.Exchange
}

// try sends tg's baseline and then the same request as the other
// principal; false when there was no time to.
func (tg *target) try(e *check.Env) (trial, bool) {
	params, base, baseOK := tg.baseline(e)
	if base.Ex == nil || !enough(e) {
		return trial{}, false
	}
	o := send(e, tg.other.c, tg.method, params)
	return trial{base, baseOK, o, staterun.RetryOutcome(o), append(append(slices.Clip(tg.listing), base.Ex), o.Ex)}, true
}

// tally is what the tries of one requirement found.
type tally struct {
	served        bool
	refused, none []string
}

// judgeUnlisted decides CORE-UNLISTED-SERVED and CORE-CACHE-SCOPE-NOT-ACL.
func judgeUnlisted(e *check.Env, prim, alt identity, reads []*twice) {
	tgs := targets(e, prim, alt, reads)
	var unl, acl tally
	// untried notes why tg could not be judged, under the requirements it
	// bears on.
	untried := func(tg *target, note string) {
		if tg.unlisted {
			unl.none = append(unl.none, note)
		}
		if tg.forbidden {
			acl.none = append(acl.none, note)
		}
	}
	for _, tg := range tgs {
		if tg.destructive() && !tg.forbidden {
			untried(tg, fmt.Sprintf("%s: not called (destructiveHint: true)", tg.label()))
			continue
		}
		tr, ok := tg.try(e)
		if !ok {
			untried(tg, fmt.Sprintf("%s: not tried (the check ran out of time)", tg.label()))
			continue
		}
		base, baseOK, oc, shown := tr.base, tr.baseOK, tr.oc, tr.shown
		switch {
		case oc.Kind == staterun.OutComplete:
			if tg.unlisted {
				unl.served = true
				e.ViolationShown(shown, spec.CoreUnlistedServed, "%s is listed for %s and not for %s (two reads each), yet %s's request was served (%s); only access control, not the list or the cache scope of the list, keeps a primitive from a caller", tg.label(), tg.owner.label, tg.other.label, tg.other.label, oc.Desc)
			}
			if tg.forbidden {
				acl.served = true
				e.ViolationShown(shown, spec.CoreCacheScopeNotAcl, "%s, which --hints forbids to %s, was served to it (%s)%s", tg.label(), tg.other.label, oc.Desc, listedNote(tg))
			}
		case (oc.Kind == staterun.OutError || oc.Kind == staterun.OutToolError) && baseOK:
			what := fmt.Sprintf("%s (refused to %s: %s; served to %s)", tg.label(), tg.other.label, oc.Desc, tg.owner.label)
			if tg.unlisted {
				unl.refused = append(unl.refused, what)
			}
			if tg.forbidden {
				acl.refused = append(acl.refused, what)
			}
		case !baseOK:
			untried(tg, fmt.Sprintf("%s: %s's own request was not served (%s), so a refusal to %s shows nothing", tg.label(), tg.owner.label, base.Describe(), tg.other.label))
		default:
			untried(tg, fmt.Sprintf("%s: %s's request was %s", tg.label(), tg.other.label, oc.Desc))
		}
	}
	decideUnlisted(e, reads, unl)
	switch {
	case !slices.ContainsFunc(tgs, func(tg *target) bool { return tg.forbidden }):
		e.Skip(spec.CoreCacheScopeNotAcl, "no --hints forbidden names a request the server's policy refuses to one of the principals: what is unauthorized is the server's to say")
	case acl.served:
	case len(acl.refused) > 0:
		e.Pass(spec.CoreCacheScopeNotAcl, "the requests --hints forbids were refused to their principal, and served to the other: %s%s", probe.ListSome(acl.refused, 4, "; "), noteOn(acl.none))
	default:
		e.Inconclusive(spec.CoreCacheScopeNotAcl, "no request --hints forbids could be judged: %s", probe.ListSome(acl.none, 4, "; "))
	}
}

func decideUnlisted(e *check.Env, reads []*twice, unl tally) {
	id := spec.CoreUnlistedServed
	// The lists that could not be compared hide what they would list.
	var lists, notes []string
	for _, t := range reads {
		if listItems[t.method].use == "" {
			continue
		}
		if w := t.unanswered(); w != "" {
			notes = append(notes, fmt.Sprintf("%s: %s", t.label, w))
		} else if !t.stable() {
			notes = append(notes, fmt.Sprintf("%s changed between two reads", t.label))
		} else {
			lists = append(lists, t.label)
		}
	}
	notes = append(notes, unl.none...)
	switch {
	case unl.served:
	case len(unl.refused) > 0:
		e.Pass(id, "what is listed for one principal only is refused to the other, though served to the one it is listed for: %s%s", probe.ListSome(unl.refused, 4, "; "), noteOn(notes))
	case len(notes) > 0:
		e.Inconclusive(id, "%s", probe.ListSome(notes, 4, "; "))
	default:
		e.Skip(id, "the server lists the same primitives to both principals (%s): nothing is listed for one only", strings.Join(lists, ", "))
	}
}

func listedNote(tg *target) string {
	if tg.unlisted {
		return fmt.Sprintf("; it is listed for %s only", tg.owner.label)
	}
	return ""
}

func noteOn(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	return "; not judged: " + probe.ListSome(notes, 3, "; ")
}
