package cli

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
)

func init() {
	register(&command{name: "list", summary: "list the checks and the requirements they decide, or the catalog's requirements", run: runList})
}

// runList prints the checks, one a line in run order: the name, the
// transports it runs on, and the IDs of the requirements it decides ("-"
// for none; the generated campaign's are the model's). With
// --requirements it prints the catalog: one requirement a line, its ID,
// level, what judges it and its one-line text. With --only it lists the
// checks `check --only` would run.
func runList(e *env, args []string) int {
	fs := newFlagSet(e, "list", "[--requirements | --only SELECTOR ...]")
	reqs := fs.Bool("requirements", false, "list the catalog's requirements (ID, level, what judges it, text) instead of the checks")
	var only stringList
	fs.Var(&only, "only", "list only the checks `check --only SELECTOR` would run (a check-name prefix, a requirement ID or an ID prefix ending in -); repeatable")
	if code := fs.parse(args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return fs.usageError("unexpected argument %q", fs.Arg(0))
	}
	if *reqs && len(only) > 0 {
		return fs.usageError("--requirements lists the whole catalog; --only selects checks")
	}
	if *reqs {
		writeRequirements(e.stdout)
		return ExitOK
	}
	names, err := resolveOnly(only)
	if err != nil {
		return fs.usageError("%v", err)
	}
	writeChecks(e.stdout, names)
	return ExitOK
}

// writeChecks writes the checks named (all when names is nil).
func writeChecks(w io.Writer, names []string) {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "CHECK\tTRANSPORT\tREQUIREMENTS")
	for _, c := range check.Checks() {
		if names != nil && !slices.Contains(names, c.Name) {
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.Name, transports(c), checkIDs(c))
	}
	tw.Flush()
}

func transports(c *check.Check) string {
	if len(c.Transports) == 0 {
		return "any"
	}
	var ts []string
	for _, t := range c.Transports {
		ts = append(ts, t.String())
	}
	return strings.Join(ts, ",")
}

func checkIDs(c *check.Check) string {
	if isCampaign(c) {
		return fmt.Sprintf("model: the %d requirements the model judges (list --requirements)", len(modelIDs))
	}
	if len(c.IDs) == 0 {
		return "-"
	}
	ids := make([]string, len(c.IDs))
	for i, id := range c.IDs {
		ids[i] = string(id)
	}
	return strings.Join(ids, " ")
}

// writeRequirements writes the catalog: ID, level, what judges the
// requirement (checks, model, both, or "-": no run judges it; see
// spec/ledger.json) and its text.
func writeRequirements(w io.Writer) {
	decided := map[spec.ID]bool{}
	for _, c := range check.Checks() {
		for _, id := range c.IDs {
			decided[id] = true
		}
	}
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLEVEL\tJUDGED BY\tREQUIREMENT")
	for _, r := range spec.All() {
		var by []string
		if decided[r.ID] {
			by = append(by, "check")
		}
		if modelJudges(r.ID) {
			by = append(by, "model")
		}
		if len(by) == 0 {
			by = []string{"-"}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.ID, r.Level, strings.Join(by, "+"), r.Text)
	}
	tw.Flush()
}
