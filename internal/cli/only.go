package cli

import (
	"fmt"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/model"
	"github.com/mcpverify/mcpverify/spec"
)

// resolveOnly turns the values of --only into the names of the checks to
// run, in run order (nil when there are none: every check). A value is
//
//   - a requirement ID (CORE-META-REQUIRED): the checks that decide it and,
//     when the model judges it, the generated campaign;
//   - an ID prefix ending in "-" (HTTP-, STATE-MRTR-): the same, for every
//     ID of the catalog that starts with it;
//   - else a check-name prefix (headers/, state/handles).
//
// A value that selects no check is an error that says what it was matched
// against: a run never checks something other than what was asked.
func resolveOnly(values []string) ([]string, error) {
	if len(values) == 0 {
		return nil, nil
	}
	checks := check.Checks()
	want := map[string]bool{}
	for _, v := range values {
		sel, err := selectChecks(checks, v)
		if err != nil {
			return nil, err
		}
		for _, c := range sel {
			want[c.Name] = true
		}
	}
	var names []string
	for _, c := range checks {
		if want[c.Name] {
			names = append(names, c.Name)
		}
	}
	return names, nil
}

// selectChecks is what one --only value selects.
func selectChecks(checks []*check.Check, v string) ([]*check.Check, error) {
	if v == "" {
		return nil, fmt.Errorf("--only \"\" is empty (an unset variable?): want a check-name prefix, a requirement ID or an ID prefix ending in \"-\"")
	}
	if ids := idsSelected(v); ids != nil {
		var sel []*check.Check
		for _, c := range checks {
			if slices.ContainsFunc(ids, func(id spec.ID) bool { return judges(c, id) }) {
				sel = append(sel, c)
			}
		}
		if len(sel) == 0 {
			return nil, fmt.Errorf("--only %s: no check decides %s and the model does not judge it; 'mcpverify list --requirements' shows what judges each requirement", v, describeIDs(v, ids))
		}
		return sel, nil
	}
	var sel []*check.Check
	for _, c := range checks {
		if strings.HasPrefix(c.Name, v) {
			sel = append(sel, c)
		}
	}
	if len(sel) == 0 && idShaped(v) {
		what := "no requirement " + v
		if strings.HasSuffix(v, "-") {
			what = "no requirement ID that starts with " + v
		}
		return nil, fmt.Errorf("--only %s: the catalog has %s; 'mcpverify list --requirements' prints its IDs", v, what)
	}
	if len(sel) == 0 {
		hint := ""
		if up := strings.ToUpper(v); up != v && idsSelected(up) != nil {
			hint = fmt.Sprintf(" (did you mean %s?)", up)
		}
		return nil, fmt.Errorf("--only %q matches nothing%s: it was matched against the names of the %d checks (groups %s), the requirement IDs of the catalog and ID prefixes ending in \"-\" (%s); 'mcpverify list' prints the checks, 'mcpverify list --requirements' the IDs",
			v, hint, len(checks), strings.Join(checkGroups(checks), " "), strings.Join(areaPrefixes(), " "))
	}
	return sel, nil
}

// idsSelected returns the catalog's IDs that v names: v itself, or, for a
// prefix ending in "-", every ID that starts with it; nil when v names
// none.
func idsSelected(v string) []spec.ID {
	if _, ok := spec.Lookup(spec.ID(v)); ok {
		return []spec.ID{spec.ID(v)}
	}
	if !strings.HasSuffix(v, "-") {
		return nil
	}
	var ids []spec.ID
	for _, r := range spec.All() {
		if strings.HasPrefix(string(r.ID), v) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// idShaped reports whether v is written as a requirement ID or an ID
// prefix: capitals, digits and dashes, with a dash.
func idShaped(v string) bool {
	return strings.Contains(v, "-") && strings.Trim(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-") == ""
}

func describeIDs(v string, ids []spec.ID) string {
	if len(ids) == 1 && string(ids[0]) == v {
		return "this requirement"
	}
	return fmt.Sprintf("any of its %d requirements", len(ids))
}

// judges reports whether a run of c alone can judge requirement id: c
// decides it, or c is the generated campaign and the model judges it.
func judges(c *check.Check, id spec.ID) bool {
	return slices.Contains(c.IDs, id) || (isCampaign(c) && modelJudges(id))
}

// isCampaign reports whether c is the generated campaign: the check that
// runs last, whose verdicts are the model's judgments of the requests it
// generates.
func isCampaign(c *check.Check) bool { return c.Last }

var modelIDs = model.RuleIDs()

// modelJudges reports whether some rule of the model judges id.
func modelJudges(id spec.ID) bool { return slices.Contains(modelIDs, id) }

// checkGroups are the distinct "group/" prefixes of the check names.
func checkGroups(checks []*check.Check) []string {
	var groups []string
	for _, c := range checks {
		g, _, _ := strings.Cut(c.Name, "/")
		if g += "/"; !slices.Contains(groups, g) {
			groups = append(groups, g)
		}
	}
	slices.Sort(groups)
	return groups
}

// areaPrefixes are the ID prefixes of the catalog's areas ("CORE-", ...).
func areaPrefixes() []string {
	var out []string
	for _, a := range spec.Areas {
		out = append(out, a+"-")
	}
	return out
}
