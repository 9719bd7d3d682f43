package exposure

import (
	"encoding/json"
	"fmt"
	"net/url"
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

// Completion (server/utilities/completion.mdx, "Security":
// implementations MUST "Control access to sensitive suggestions" and
// "Prevent completion-based information disclosure"), with the two
// principals' reads above, on a server that declares the completions
// capability (skipped otherwise).
//
// The references tried: each prompt and resource template listed for one
// principal both times and for the other neither time (at most maxPerList
// per list and direction), and each prompt or template --hints forbidden
// names refused to a principal ("prompts/get NAME" forbids the prompt and
// the completion of its arguments, "resources/read URI-TEMPLATE" a
// template). The first argument of the prompt (as listed), or the first
// variable of the template, is completed from the empty value by the
// principal it is listed for (the baseline: it must be served with at
// least one suggestion, else the other's answer shows nothing), then by
// the other with the same params. A refusal, or a result with no
// suggestion, shows nothing of the owner's. A reference with nothing to
// complete (no argument, no suggestion for its owner) is left out: where
// every one is, the requirement is skipped.
//
//   - CORE-COMPLETION-ACCESS (MUST): which suggestions are sensitive is
//     the server's to say, so only the hints make it a claim: a reference
//     --hints forbids to a principal, completed for it with suggestions,
//     fails; refused to it (or without suggestions) while its owner is
//     served, passes. Without such hints: skipped.
//   - CORE-COMPLETION-DISCLOSURE (MUST): completion must not disclose what
//     the caller "could not otherwise obtain". A reference listed for the
//     owner only, completed for the other with suggestions, fails only
//     when the other could not obtain them otherwise, as far as the
//     checker can see: a suggested value occurs in an item listed for the
//     owner only (both reads) and in nothing the other was shown (its
//     lists, server/discover, its reads), and the other's own prompts/get
//     of the prompt, or resources/read of the template filled with that
//     value, is refused while the owner's is served; and the control, the
//     same completion as the other of a reference that names nothing, does
//     not suggest that value (a server that suggests the same for any
//     reference tells nothing of the owner's). Suggestions served
//     without that evidence (values the other is shown elsewhere, a prompt
//     it can get anyway) are not called a disclosure: inconclusive, the
//     message says why. Every reference refused to the other: pass.

// maxSuggestions bounds the values of one completion result examined:
// the spec's maximum per response (completion.mdx, "Completion Results").
const maxSuggestions = 100

// Completion reference types (completion.mdx, "Reference Types").
const (
	refPrompt   = "ref/prompt"
	refResource = "ref/resource"
)

// isTemplate reports a forbidden read of a URI template: it names the
// template (its completion), not a URI any read could take.
func isTemplate(f hints.Forbid) bool {
	return f.Method == "resources/read" && gen.TemplateVar.MatchString(f.Name)
}

// completionTargets returns the references to complete as the other
// principal, and notes on the lists that could not be compared.
func completionTargets(e *check.Env, prim, alt identity, reads []*twice) (tgs []*target, notes, compared []string) {
	seen := map[string]bool{}
	add := func(tg *target) {
		k := tg.ref + "\x00" + tg.name + "\x00" + tg.other.id
		if seen[k] {
			return
		}
		seen[k] = true
		tg.method = "completion/complete"
		tg.arg = firstArgument(tg.ref, tg.name, tg.item)
		tgs = append(tgs, tg)
	}
	for _, list := range []struct{ method, ref string }{{"prompts/list", refPrompt}, {"resources/templates/list", refResource}} {
		t := find(reads, list.method)
		switch {
		case t == nil:
			continue
		case t.unanswered() != "":
			notes = append(notes, fmt.Sprintf("%s: %s", t.label, t.unanswered()))
			continue
		case !t.stable():
			notes = append(notes, fmt.Sprintf("%s changed between two reads", t.label))
			continue
		}
		compared = append(compared, t.label)
		for _, dir := range []struct{ owner, other identity }{{prim, alt}, {alt, prim}} {
			keys := onlyFor(t.of(dir.owner), t.of(dir.other))
			for _, k := range keys[:min(len(keys), maxPerList)] {
				add(&target{ref: list.ref, name: k, item: t.of(dir.owner)[0].raw[k], owner: dir.owner, other: dir.other, unlisted: true, listing: t.exchanges()})
			}
		}
	}
	for _, f := range e.Opts.Hints.ForbiddenList() {
		owner, other := forbidPair(f, prim, alt)
		switch {
		case f.Method == "prompts/get":
			add(&target{ref: refPrompt, name: f.Name, owner: owner, other: other, item: listed(reads, "prompts/list", f.Name)})
		case isTemplate(f):
			add(&target{ref: refResource, name: f.Name, owner: owner, other: other, item: listed(reads, "resources/templates/list", f.Name)})
		}
	}
	for _, tg := range tgs {
		tg.forbidden = e.Opts.Hints.ForbiddenTo(tg.other.id, "prompts/get", tg.name) && tg.ref == refPrompt ||
			e.Opts.Hints.ForbiddenTo(tg.other.id, "resources/read", tg.name) && tg.ref == refResource
	}
	return tgs, notes, compared
}

// of returns the two views of who.
func (t *twice) of(who identity) [2]view {
	if who.id == hints.Primary {
		return t.p
	}
	return t.a
}

// firstArgument names the argument to complete: a prompt's first listed
// argument, a template's first variable; "" when there is none.
func firstArgument(ref, name string, item map[string]any) string {
	if ref == refResource {
		if m := gen.TemplateVar.FindStringSubmatch(name); m != nil {
			v, _, _ := strings.Cut(m[1], ",")
			v, _, _ = strings.Cut(v, ":")
			return strings.TrimSuffix(v, "*")
		}
		return ""
	}
	args, _ := item["arguments"].([]any)
	for _, a := range args {
		if m, _ := a.(map[string]any); m != nil {
			if n, _ := m["name"].(string); n != "" {
				return n
			}
		}
	}
	return ""
}

// suggestions returns the values of a served completion result.
func suggestions(o check.Observation) []string {
	res, ok := completeResult(o)
	if !ok {
		return nil
	}
	c, _ := res["completion"].(map[string]any)
	vs, _ := c["values"].([]any)
	var out []string
	for _, v := range vs[:min(len(vs), maxSuggestions)] {
		if s, ok := v.(string); ok && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// completionTally is what the completions of one requirement found.
type completionTally struct {
	violated bool
	refused  []string
	// unsure: suggestions served that the checker cannot call a
	// disclosure; none: references not judged; bare: references with
	// nothing to complete (no argument, no suggestion for the owner);
	// each with the reason.
	unsure, none, bare []string
}

// judgeCompletion decides CORE-COMPLETION-ACCESS and
// CORE-COMPLETION-DISCLOSURE.
func judgeCompletion(e *check.Env, prim, alt identity, reads []*twice) {
	ids := []spec.ID{spec.CoreCompletionAccess, spec.CoreCompletionDisclosure}
	if e.Server.Capabilities.Completions == nil {
		probe.SkipAll(e, ids, "the server does not declare the completions capability")
		return
	}
	tgs, notes, compared := completionTargets(e, prim, alt, reads)
	var acc, dis completionTally
	dis.none = notes
	for _, tg := range tgs {
		var on []*completionTally
		if tg.unlisted {
			on = append(on, &dis)
		}
		if tg.forbidden {
			on = append(on, &acc)
		}
		note := func(format string, args ...any) {
			for _, t := range on {
				t.none = append(t.none, fmt.Sprintf(format, args...))
			}
		}
		bare := func(format string, args ...any) {
			for _, t := range on {
				t.bare = append(t.bare, fmt.Sprintf(format, args...))
			}
		}
		if tg.arg == "" {
			bare("%s %s: no argument listed to complete", tg.ref, tg.name)
			continue
		}
		tr, ok := tg.try(e)
		if !ok {
			note("%s: not tried (the check ran out of time)", tg.label())
			continue
		}
		owned := suggestions(tr.base)
		switch {
		case !tr.baseOK:
			note("%s: %s's own completion was not served (%s), so a refusal to %s shows nothing", tg.label(), tg.owner.label, tr.base.Describe(), tg.other.label)
			continue
		case len(owned) == 0:
			bare("%s: %s's own completion has no suggestion, so %s's shows nothing", tg.label(), tg.owner.label, tg.other.label)
			continue
		}
		vals := suggestions(tr.o)
		switch {
		case tr.oc.Kind == staterun.OutError || tr.oc.Kind == staterun.OutComplete && len(vals) == 0:
			what := fmt.Sprintf("%s (%s: %s; %d suggestion(s) to %s)", tg.label(), tg.other.label, tr.oc.Desc, len(owned), tg.owner.label)
			for _, t := range on {
				t.refused = append(t.refused, what)
			}
		case tr.oc.Kind == staterun.OutComplete:
			shownVals := probe.ListSome(probe.Quoted(vals), 4, ", ")
			if tg.forbidden {
				acc.violated = true
				e.ViolationShown(tr.shown, spec.CoreCompletionAccess, "%s, which --hints forbids to %s (%q), was completed for it with %d suggestion(s): %s%s", tg.label(), tg.other.label, forbiddenRequest(tg), len(vals), shownVals, listedNote(tg))
			}
			if tg.unlisted {
				if why := discloses(e, tg, tr, vals, reads); why != "" {
					dis.unsure = append(dis.unsure, fmt.Sprintf("%s: served %s %d suggestion(s) (%s), but %s", tg.label(), tg.other.label, len(vals), shownVals, why))
				} else {
					dis.violated = true
				}
			}
		default:
			note("%s: %s's request was %s", tg.label(), tg.other.label, tr.oc.Desc)
		}
	}
	decideAccess(e, tgs, acc)
	decideDisclosure(e, tgs, dis, compared)
}

// forbiddenRequest is the forbidden request that names tg.
func forbiddenRequest(tg *target) string {
	if tg.ref == refPrompt {
		return "prompts/get " + tg.name
	}
	return "resources/read " + tg.name
}

// discloses decides whether suggestions vals, served to tg.other for a
// reference listed for tg.owner only, disclose what tg.other could not
// otherwise obtain; if so it reports the violation and returns "", else
// it says why it cannot tell.
func discloses(e *check.Env, tg *target, tr trial, vals []string, reads []*twice) string {
	leaked, where := ownerOnly(vals, tg, reads)
	if len(leaked) == 0 {
		return fmt.Sprintf("none of them is both in an item listed for %s only and absent from all %s was shown: %s may obtain them otherwise", tg.owner.label, tg.other.label, tg.other.label)
	}
	// The control: suggestions a server makes for any reference, even one
	// that names nothing, are not the owner's primitive's to disclose.
	if !enough(e) {
		return "the check ran out of time before the control"
	}
	unknown := tg.params(e)
	if tg.ref == refResource {
		unknown["ref"] = map[string]any{"type": refResource, "uri": "mcpverify-nonexistent://" + e.RandHex(4) + "/{" + tg.arg + "}"}
	} else {
		unknown["ref"] = map[string]any{"type": refPrompt, "name": "mcpverify-nonexistent-prompt-" + e.RandHex(4)}
	}
	ctl := send(e, tg.other.c, tg.method, unknown)
	anyRef := suggestions(ctl)
	leaked = slices.DeleteFunc(leaked, func(v string) bool { return slices.Contains(anyRef, v) })
	if len(leaked) == 0 {
		return fmt.Sprintf("the same values are suggested to %s for a reference that names nothing (%s): they are not the reference's, and %s may obtain them otherwise", tg.other.label, ctl.Describe(), tg.other.label)
	}
	acc := &target{method: "prompts/get", name: tg.name, item: tg.item, owner: tg.owner, other: tg.other}
	if tg.ref == refResource {
		u, ok := fill(tg.name, leaked[0])
		if !ok {
			return fmt.Sprintf("%q is listed for %s only; the template has more than one variable, so whether %s may read what it names is not tried", leaked[0], tg.owner.label, tg.other.label)
		}
		acc.method, acc.name, acc.item = "resources/read", u, nil
	}
	at, ok := acc.try(e)
	switch {
	case !ok:
		return fmt.Sprintf("%s was not tried (the check ran out of time)", acc.label())
	case !at.baseOK:
		return fmt.Sprintf("%s's own %s was not served (%s), so whether %s may obtain it is not known", tg.owner.label, acc.label(), at.base.Describe(), tg.other.label)
	case at.oc.Kind == staterun.OutComplete:
		return fmt.Sprintf("%s's own %s is served (%s): it may obtain them otherwise", tg.other.label, acc.label(), at.oc.Desc)
	case at.oc.Kind != staterun.OutError:
		return fmt.Sprintf("%s's own %s was %s", tg.other.label, acc.label(), at.oc.Desc)
	}
	shown := append(append(where, tr.shown...), ctl.Ex, at.base.Ex, at.o.Ex)
	e.ViolationShown(shown, spec.CoreCompletionDisclosure, "%s is listed for %s only (two reads each), yet completing it as %s served %d suggestion(s); of them, %s appear in what is listed for %s only and in nothing %s is shown, are not suggested to it for a reference that names nothing, and %s's own %s is refused (%s) while %s's is served: completion disclosed what %s could not otherwise obtain",
		tg.label(), tg.owner.label, tg.other.label, len(vals), probe.ListSome(probe.Quoted(leaked), 4, ", "), tg.owner.label, tg.other.label, tg.other.label, acc.label(), at.oc.Desc, tg.owner.label, tg.other.label)
	return ""
}

// ownerOnly returns the values of vals that occur in an item listed for
// tg.owner only (both reads) and in nothing tg.other was shown (every
// view of every read), and the list reads that show them.
func ownerOnly(vals []string, tg *target, reads []*twice) ([]string, []*wire.Exchange) {
	var theirs []string
	var lists []*twice
	for _, t := range reads {
		for _, v := range t.of(tg.other) {
			for _, j := range v.items {
				theirs = append(theirs, j)
			}
		}
		if listItems[t.method].key != "" && t.unanswered() == "" && t.stable() {
			lists = append(lists, t)
		}
	}
	occurs := func(val string, in []string) bool {
		b, err := json.Marshal(val)
		if err != nil || len(b) <= 2 {
			return false
		}
		esc := string(b[1 : len(b)-1])
		for _, s := range in {
			if strings.Contains(s, esc) {
				return true
			}
		}
		return false
	}
	var out []string
	var where []*wire.Exchange
	used := map[*twice]bool{}
	for _, val := range vals {
		if occurs(val, theirs) {
			continue
		}
		for _, t := range lists {
			mine := t.of(tg.owner)
			var only []string
			for _, k := range onlyFor(mine, t.of(tg.other)) {
				only = append(only, mine[0].items[k])
			}
			if occurs(val, only) {
				out = append(out, val)
				if !used[t] {
					used[t] = true
					where = append(where, t.exchanges()...)
				}
				break
			}
		}
	}
	return out, where
}

// fill fills the one variable of a URI template with value; false when
// the template has other than one variable.
func fill(tmpl, value string) (string, bool) {
	ms := gen.TemplateVar.FindAllStringSubmatch(tmpl, -1)
	if len(ms) != 1 || strings.Contains(ms[0][1], ",") {
		return "", false
	}
	v := url.PathEscape(value)
	if op := ms[0][0][1]; op == '+' || op == '#' {
		v = value
	}
	return gen.TemplateVar.ReplaceAllLiteralString(tmpl, v), true
}

func decideAccess(e *check.Env, tgs []*target, acc completionTally) {
	id := spec.CoreCompletionAccess
	switch {
	case !slices.ContainsFunc(tgs, func(tg *target) bool { return tg.forbidden }):
		e.Skip(id, "no --hints forbidden names a prompt or resource template refused to one of the principals: which suggestions are sensitive is the server's to say")
	case acc.violated:
	case len(acc.refused) > 0:
		e.Pass(id, "the completions of what --hints forbids were refused to their principal, or had no suggestion for it, while served to the other: %s%s", probe.ListSome(acc.refused, 4, "; "), noteOn(append(acc.none, acc.bare...)))
	case len(acc.none) == 0:
		e.Skip(id, "what --hints forbids has nothing to complete: %s", probe.ListSome(acc.bare, 4, "; "))
	default:
		e.Inconclusive(id, "no completion --hints forbids could be judged: %s", probe.ListSome(acc.none, 4, "; "))
	}
}

func decideDisclosure(e *check.Env, tgs []*target, dis completionTally, compared []string) {
	id := spec.CoreCompletionDisclosure
	unlisted := slices.ContainsFunc(tgs, func(tg *target) bool { return tg.unlisted })
	switch {
	case dis.violated:
	case len(dis.unsure) > 0:
		e.Inconclusive(id, "suggestions were served for what is listed for the other principal only, without evidence that the caller could not obtain them otherwise: %s%s", probe.ListSome(dis.unsure, 3, "; "), noteOn(dis.none))
	case len(dis.refused) > 0:
		e.Pass(id, "the completions of what is listed for one principal only were refused to the other, or had no suggestion for it, while served to the one it is listed for: %s%s", probe.ListSome(dis.refused, 4, "; "), noteOn(append(dis.none, dis.bare...)))
	case !unlisted && len(dis.none) == 0 && len(compared) == 0:
		e.Skip(id, "the server lists no prompts and no resource templates: no completion reference is listed for one principal only")
	case !unlisted && len(dis.none) == 0:
		e.Skip(id, "the server lists the same to both principals (%s): no prompt or template is listed for one only", strings.Join(compared, ", "))
	case len(dis.none) == 0:
		e.Skip(id, "what is listed for one principal only has nothing to complete: %s", probe.ListSome(dis.bare, 4, "; "))
	default:
		e.Inconclusive(id, "no completion of what is listed for one principal only could be judged: %s", probe.ListSome(dis.none, 4, "; "))
	}
}
