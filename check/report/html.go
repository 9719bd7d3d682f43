package report

import (
	"html/template"
	"io"
	"sort"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/trace"
)

// WriteHTML writes the report as one self-contained HTML page (no scripts,
// no external resources): the summary by area, then every result grouped
// by status, failures first, each with its requirement, what was found,
// the spec section and, for failures and warnings, the trace.
func WriteHTML(w io.Writer, r *check.Report) error {
	type row struct {
		Area                                 string
		Pass, Fail, Warn, Skip, Inconclusive int
	}
	type item struct {
		check.Result
		Source, Section string
		Trace           string
	}
	by := map[string]*counts{}
	for _, res := range r.Results {
		a := res.ID.Area()
		if by[a] == nil {
			c := countResults(nil)
			by[a] = &c
		}
		by[a].add(res)
	}
	var rows []row
	for _, a := range areaOrder(r.Results) {
		if c := by[a]; c != nil {
			rows = append(rows, row{a, c.status[check.Pass], c.status[check.Fail], c.status[check.Warn], c.status[check.Skip], c.status[check.Inconclusive]})
		}
	}
	items := make([]item, 0, len(r.Results))
	for _, res := range r.Results {
		req, _ := spec.Lookup(res.ID)
		it := item{Result: res, Source: req.Source, Section: req.Section}
		if res.Trace != nil {
			it.Trace = string(trace.Format(res.Trace))
		}
		items = append(items, it)
	}
	sort.SliceStable(items, func(i, j int) bool { return statusRank(items[i].Status) < statusRank(items[j].Status) })
	all := countResults(r.Results)
	return htmlReport.Execute(w, map[string]any{
		"R": r, "Rows": rows, "Items": items, "Summary": all.summary(), "Tool": ToolVersion(),
	})
}

var htmlReport = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>mcpverify: {{.R.Target}}</title>
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:2em;max-width:70em;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:right}
th:first-child,td:first-child{text-align:left}
.fail{color:#b00020}.warn{color:#8a5a00}.pass{color:#176317}.skip,.inconclusive{color:#666}
details{margin:.6em 0;padding:.4em .8em;border-left:4px solid #ddd}
details.fail{border-color:#b00020}details.warn{border-color:#d08a00}details.pass{border-color:#2e7d32}
summary{cursor:pointer}pre{background:#f6f6f6;padding:.8em;overflow:auto;max-height:30em;font-size:12px}
.muted{color:#666}
</style></head><body>
<h1>mcpverify report</h1>
<p><b>{{.R.Target}}</b> — MCP {{.R.Revision}}, {{.R.Era}} server<br>
<span class="muted">{{.R.Exchanges}} exchanges, {{.R.Judgments}} judgments in {{.R.Duration}}, seed {{.R.Seed}}, mcpverify {{.Tool}}</span></p>
<p>{{.Summary}}</p>
<table><tr><th>area</th><th>pass</th><th>fail</th><th>warn</th><th>skip</th><th>inconclusive</th></tr>
{{range .Rows}}<tr><td>{{.Area}}</td><td class="pass">{{.Pass}}</td><td class="fail">{{.Fail}}</td><td class="warn">{{.Warn}}</td><td class="skip">{{.Skip}}</td><td class="inconclusive">{{.Inconclusive}}</td></tr>
{{end}}</table>
{{range .Items}}<details class="{{.Status}}"{{if or (eq .Status "fail") (eq .Status "warn")}} open{{end}}>
<summary><b class="{{.Status}}">{{.Status}}</b> {{.ID}} <span class="muted">[{{.Level}}]</span> {{.Requirement}}</summary>
<p>{{.Message}}</p>
<p class="muted">check {{.Check}}{{if .Count}}, {{.Count}} exchange(s) or probe(s){{end}}; spec: {{.Source}}, {{.Section}}{{if .Revision}}; obtained on {{.Revision}}{{end}}{{if .Baselined}}; known failure: {{.Baselined}}{{end}}</p>
{{if .Trace}}<details><summary>trace{{if .TraceFile}} ({{.TraceFile}}){{end}}</summary><pre>{{.Trace}}</pre></details>{{end}}
</details>
{{end}}
{{if .R.Stderr}}<h2>server stderr</h2><pre>{{.R.Stderr}}</pre>{{end}}
</body></html>
`))
