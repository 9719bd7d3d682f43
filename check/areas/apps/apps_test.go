package apps

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// TestScanHTML: the origins a document loads from statically, each under
// the csp list that governs it; relative, data: and blob: URLs are none.
func TestScanHTML(t *testing.T) {
	doc := `<!DOCTYPE html><html><head>
<base href="https://base.example/">
<link rel="stylesheet" href="https://css.example/a.css">
<link rel="canonical" href="https://canonical.example/">
<link rel="preconnect" href="https://pre.example">
<script src="//cdn.example/x.js"></script>
<script src="/local.js"></script>
<script type="module">import {a} from "https://esm.example/m.js"; fetch('https://api.example:8443/v1'); new WebSocket("wss://live.example/s"); const u = base + "/x"; fetch(u);</script>
</head><body>
<img src="data:image/png;base64,AAAA" srcset="https://img.example/a.png 1x, https://img2.example/b.png 2x">
<iframe src="https://frame.example/embed"></iframe>
<video src="https://media.example/v.mp4" poster="https://media.example/p.png"></video>
<form action="https://post.example/submit"></form>
<button onclick="fetch('https://click.example/x')">x</button>
<img src="https://IMG.example:443/upper.png">
</body></html>`
	d := scanHTML([]byte(doc))
	if d.Doctype != "html" || !d.DoctypeFirst || d.Blank || d.NUL || d.Truncated {
		t.Fatalf("document: %+v", d)
	}
	var got []string
	for _, r := range d.Refs {
		got = append(got, r.List+" "+r.Origin)
	}
	want := []string{
		"baseUriDomains https://base.example",
		"resourceDomains https://css.example",
		"resourceDomains https://cdn.example",
		"connectDomains https://api.example:8443",
		"connectDomains wss://live.example",
		"resourceDomains https://esm.example",
		"resourceDomains https://img.example",
		"resourceDomains https://img2.example",
		"frameDomains https://frame.example",
		"resourceDomains https://media.example",
		" https://post.example",
		"connectDomains https://click.example",
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("references:\n got %q\nwant %q", got, want)
	}
}

// TestScanHTMLDocuments: what judgeHTML decides from; a NUL, no markup, a
// late or missing DOCTYPE.
func TestScanHTMLDocuments(t *testing.T) {
	for _, c := range []struct {
		name, in          string
		blank, nul, first bool
		doctype           string
		tags              int
		verdict           string // of judgeHTML: bad, unsure, good
	}{
		{"empty", "  \n", true, false, false, "", 0, "bad"},
		{"json", `{"a":1}`, false, false, false, "", 0, "bad"},
		{"text", "Loading the dashboard...", false, false, false, "", 0, "bad"},
		{"png", "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", false, true, false, "", 0, "bad"},
		{"fragment", "<div>hi</div>", false, false, false, "", 1, "unsure"},
		{"legacy doctype", `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN"><p>x`, false, false, true, "html", 1, "good"},
		{"svg doctype", `<!DOCTYPE svg><svg></svg>`, false, false, true, "svg", 1, "unsure"},
		{"late doctype", `<p>x</p><!DOCTYPE html>`, false, false, false, "html", 1, "unsure"},
		{"comment first", "<!-- built --><!doctype html><title>x</title>", false, false, true, "html", 1, "good"},
	} {
		d := scanHTML([]byte(c.in))
		if d.Blank != c.blank || d.NUL != c.nul || d.Doctype != c.doctype || d.Tags != c.tags || (c.doctype != "" && d.DoctypeFirst != c.first) {
			t.Errorf("%s: %+v", c.name, d)
		}
		f := newFindings()
		judgeHTML(f, c.name, d)
		got := "good"
		switch {
		case len(f.bad[spec.AppsUiHtml]) > 0:
			got = "bad"
		case len(f.unsure[spec.AppsUiHtml]) > 0:
			got = "unsure"
		}
		if got != c.verdict {
			t.Errorf("%s: judged %s, want %s (%v %v %v)", c.name, got, c.verdict, f.bad, f.unsure, f.good)
		}
	}
}

// TestScanHTMLBounded: hostile documents (deep nesting, a token larger
// than the bound, more tokens than the bound, more than maxHTML bytes, a
// flood of references) are read in bounded time, marked truncated where
// not read to the end, with at most maxRefs references.
func TestScanHTMLBounded(t *testing.T) {
	refs := strings.Repeat(`<img src="https://a.example/x.png">`, 10) + `<script>fetch("https://b.example/")</script>`
	var flood strings.Builder
	for i := 0; i < 2*maxRefs; i++ {
		fmt.Fprintf(&flood, `<img src="https://h%d.example/">`, i)
		flood.WriteString(strings.Repeat("<i>", i%3))
	}
	for _, c := range []struct {
		name      string
		in        []byte
		truncated bool
	}{
		{"deep nesting", []byte("<!DOCTYPE html>" + strings.Repeat("<div>", 300_000)), true},
		{"huge attribute", []byte(`<!DOCTYPE html><img src="` + strings.Repeat("a", maxToken+10) + `">`), true},
		{"over maxHTML", append([]byte("<!DOCTYPE html>"+refs), bytes.Repeat([]byte("x"), maxHTML)...), true},
		{"reference flood", []byte("<!DOCTYPE html>" + flood.String()), false},
	} {
		start := time.Now()
		d := scanHTML(c.in)
		if d.Truncated != c.truncated || len(d.Refs) > maxRefs {
			t.Errorf("%s: truncated %v, %d refs", c.name, d.Truncated, len(d.Refs))
		}
		if el := time.Since(start); el > 5*time.Second {
			t.Errorf("%s: %v", c.name, el)
		}
	}
	if d := scanHTML([]byte("<!DOCTYPE html>" + flood.String())); len(d.Refs) != maxRefs {
		t.Errorf("reference flood: %d refs, want the bound %d", len(d.Refs), maxRefs)
	}
}

// TestEntryProblem: origins over https/wss pass; everything else that a
// host would join into its policy is named, and a "*." wildcard is
// accepted in resourceDomains only.
func TestEntryProblem(t *testing.T) {
	for _, c := range []struct {
		list, entry string
		ok, wild    bool
	}{
		{connectDomains, "https://api.example.com", true, false},
		{connectDomains, "wss://live.example.com:8443", true, false},
		{connectDomains, "https://api.example.com/", true, false},
		{resourceDomains, "https://*.cdn.example", true, true},
		{frameDomains, "https://*.cdn.example", false, false},
		{resourceDomains, "https://a.*.example", false, false},
		{connectDomains, "http://api.example.com", false, false},
		{connectDomains, "ws://api.example.com", false, false},
		{connectDomains, "api.example.com", false, false},
		{connectDomains, "https:", false, false},
		{connectDomains, "*", false, false},
		{connectDomains, "'unsafe-eval'", false, false},
		{connectDomains, "https://a.example; script-src *", false, false},
		{connectDomains, "https://a.example/api/v1", false, false},
		{connectDomains, "https://user@a.example", false, false},
		{connectDomains, "ftp://a.example", false, false},
		{connectDomains, "", false, false},
	} {
		p, w := entryProblem(c.list, c.entry)
		if (p == "") != c.ok || w != c.wild {
			t.Errorf("%s %q: problem %q, wildcard %v", c.list, c.entry, p, w)
		}
	}
}

// TestCovers: lenient CSP source matching, so that no load a host might
// allow is called blocked.
func TestCovers(t *testing.T) {
	for _, c := range []struct {
		entry, origin string
		want          bool
	}{
		{"https://cdn.example", "https://cdn.example", true},
		{"https://cdn.example/lib/", "https://cdn.example", true},
		{"https://CDN.example", "https://cdn.example", true},
		{"http://cdn.example", "https://cdn.example", true},
		{"https://api.example", "wss://api.example", true},
		{"wss://api.example", "https://api.example", true},
		{"https://cdn.example", "http://cdn.example", false},
		{"cdn.example", "https://cdn.example", true},
		{"https:", "https://any.example", true},
		{"*", "https://any.example", true},
		{"https://*.example.com", "https://a.b.example.com", true},
		{"https://*.example.com", "https://example.com", false},
		{"https://cdn.example:8443", "https://cdn.example:8443", true},
		{"https://cdn.example:443", "https://cdn.example", true},
		{"https://cdn.example", "https://cdn.example:8443", false},
		{"https://cdn.example:*", "https://cdn.example:8443", true},
		{"https://cdn.example", "https://cdn.example.evil", false},
		{"https://other.example", "https://cdn.example", false},
		{"'self'", "https://cdn.example", false},
	} {
		if got := covers(c.entry, c.origin); got != c.want {
			t.Errorf("covers(%q, %q) = %v", c.entry, c.origin, got)
		}
	}
}

// TestJudgeOrigins: an undeclared static reference is a violation of
// APPS-CSP-UNDECLARED; a declared origin never referenced, or a requested
// permission, makes APPS-LEAST-PRIVILEGE inconclusive, never violated; a
// form's target is listed, not judged.
func TestJudgeOrigins(t *testing.T) {
	d := scanHTML([]byte(`<!DOCTYPE html><script src="https://cdn.example/a.js"></script><script>fetch("https://api.example/x")</script><form action="https://post.example/"></form>`))
	var m uiMeta
	readUIMeta(wire.Object{"ui": wire.Value(`{"csp":{"resourceDomains":["https://cdn.example"],"connectDomains":["https://unused.example", 7]},"permissions":{"camera":{}}}`)}, &m)
	f := newFindings()
	judgeOrigins(f, "r", m, d)
	judgeEntries(f, "r", m)
	if b := f.bad[spec.AppsCspUndeclared]; len(b) != 1 || !strings.Contains(b[0], "https://api.example (fetch(...)") || strings.Contains(b[0], "cdn.example (") || !strings.Contains(b[0], "form targets") {
		t.Errorf("undeclared: %q", b)
	}
	if u := f.unsure[spec.AppsLeastPrivilege]; len(u) != 1 || !strings.Contains(u[0], "https://unused.example") || !strings.Contains(u[0], "camera") || len(f.bad[spec.AppsLeastPrivilege]) > 0 {
		t.Errorf("least privilege: %q %q", u, f.bad[spec.AppsLeastPrivilege])
	}
	if b := f.bad[spec.AppsCspEntries]; len(b) != 1 || !strings.Contains(b[0], "connectDomains[1] is 7") {
		t.Errorf("entries: %q", b)
	}
	f = newFindings()
	readUIMeta(wire.Object{"ui": wire.Value(`{"csp":{"connectDomains":["https://api.example"]}}`)}, &m)
	m.Permissions = nil
	m.CSP[connectDomains] = []string{"https://api.example"}
	judgeOrigins(f, "r", m, d)
	if len(f.bad[spec.AppsCspUndeclared]) > 0 || len(f.good[spec.AppsCspUndeclared]) != 1 || len(f.good[spec.AppsLeastPrivilege]) != 1 {
		t.Errorf("all declared and used: %v %v %v", f.bad, f.unsure, f.good)
	}
}

// TestMime: the exact string passes, the same media type spelled
// otherwise is told apart from other types.
func TestMime(t *testing.T) {
	for in, want := range map[string]mimeKind{
		"text/html;profile=mcp-app":     mimeExact,
		"text/html; profile=mcp-app":    mimeEquivalent,
		`TEXT/HTML;Profile="mcp-app"`:   mimeEquivalent,
		"text/html":                     mimeOther,
		"text/html;profile=mcp-app;x=y": mimeOther,
		"text/html;profile=mcp-apps":    mimeOther,
		"":                              mimeMissing,
	} {
		if got := mimeOf(in); got != want {
			t.Errorf("mimeOf(%q) = %d, want %d", in, got, want)
		}
	}
}

// TestContent: what counts as meaningful content and as a text fallback.
func TestContent(t *testing.T) {
	text := func(s string) wire.ContentBlock { return &wire.TextContent{Type: "text", Text: s} }
	img := &wire.ImageContent{Type: "image", Data: "AAAA", MimeType: "image/png"}
	for _, c := range []struct {
		name              string
		content           []wire.ContentBlock
		meaningful, texty bool
	}{
		{"empty", nil, false, false},
		{"blank text", []wire.ContentBlock{text(" \n")}, false, false},
		{"text", []wire.ContentBlock{text("12 °C")}, true, true},
		{"image only", []wire.ContentBlock{img}, true, false},
		{"blank and image", []wire.ContentBlock{text(""), img}, true, false},
	} {
		r := &wire.CallToolResult{Content: c.content}
		if got := contentProblem(r) == ""; got != c.meaningful {
			t.Errorf("%s: meaningful %v", c.name, got)
		}
		if got := textProblem(r) == ""; got != c.texty {
			t.Errorf("%s: text %v", c.name, got)
		}
	}
}

// TestToolOf: a tool names a UI resource by _meta.ui.resourceUri, else by
// the deprecated flat key; a resourceUri that is no string is kept raw.
func TestToolOf(t *testing.T) {
	tool := func(meta string) wire.Tool {
		var m wire.Object
		if err := wire.Unmarshal(wire.Value(meta), &m); err != nil {
			t.Fatal(err)
		}
		return wire.Tool{Name: "t", InputSchema: wire.Value(`{"type":"object"}`), Meta: m}
	}
	for _, c := range []struct {
		meta, uri, raw string
		named, dep     bool
	}{
		{`{}`, "", "", false, false},
		{`{"ui":{"visibility":["app"]}}`, "", "", false, false},
		{`{"ui":{"resourceUri":"ui://a"}}`, "ui://a", "", true, false},
		{`{"ui/resourceUri":"ui://old"}`, "ui://old", "", true, true},
		{`{"ui":{"resourceUri":"ui://new"},"ui/resourceUri":"ui://old"}`, "ui://new", "", true, true},
		{`{"ui":{"resourceUri":42}}`, "", "42", true, false},
	} {
		ut, named := toolOf(tool(c.meta))
		if named != c.named || ut.URI != c.uri || ut.URIRaw != c.raw || ut.HasDeprecated != c.dep {
			t.Errorf("%s: %+v named %v", c.meta, ut, named)
		}
	}
	if !uiScheme("UI://x") || uiScheme("https://x") || uiScheme("ui:/x") {
		t.Error("uiScheme")
	}
}

// FuzzScanHTML: any bytes are read without a panic, within the bounds,
// and every reference is a web origin under a known list.
func FuzzScanHTML(f *testing.F) {
	for _, seed := range []string{
		`<!DOCTYPE html><script src="https://a.example/x.js"></script><script>fetch('wss://b.example')</script>`,
		"<img srcset=\",, https://x.example 1x,\">",
		"\x00<!doctype>",
	} {
		fuzzseed.Add(f, []byte(seed))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d := scanHTML(b)
		if len(d.Refs) > maxRefs {
			t.Fatalf("%d refs", len(d.Refs))
		}
		for _, r := range d.Refs {
			if o, ok := originOf(r.Origin); !ok || o != r.Origin {
				t.Fatalf("reference %q is not an origin (%q)", r.Origin, o)
			}
			if r.List != noList && !slices.Contains(cspLists, r.List) {
				t.Fatalf("list %q", r.List)
			}
		}
	})
}
