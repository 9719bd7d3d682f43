package apps

import (
	"bytes"
	"errors"
	"io"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	"golang.org/x/net/html"
)

// The HTML of a UI resource comes from the server under test and may be
// hostile: it is read up to maxHTML bytes, tokenized (never built into a
// tree) up to maxTokens tokens, no token longer than maxToken bytes, and at
// most maxRefs references are kept.
const (
	maxHTML   = 2 << 20
	maxTokens = 100_000
	maxToken  = 256 << 10
	maxRefs   = 256
)

// A CSP list of _meta.ui.csp, as the extension names them; noList is a
// reference that no list governs (a form's target).
const (
	connectDomains  = "connectDomains"
	resourceDomains = "resourceDomains"
	frameDomains    = "frameDomains"
	baseURIDomains  = "baseUriDomains"
	noList          = ""
)

// cspLists are the lists of McpUiResourceCsp, in the order reports name
// them.
var cspLists = []string{connectDomains, resourceDomains, frameDomains, baseURIDomains}

// reference is an external origin the HTML names statically.
type reference struct {
	// List is the csp list that must declare the origin for a conforming
	// host to allow the load (noList for a form's target).
	List string
	// Origin is scheme://host[:port], lower case, without a default port.
	Origin string
	// Where says what names it: "<script src>", "fetch(...)".
	Where string
}

// document is what a static reading of a UI resource's HTML found.
type document struct {
	// Blank: nothing but white space.
	Blank bool
	// NUL: a U+0000 character, a parse error wherever it stands.
	NUL bool
	// Doctype is the name of the first DOCTYPE (lower case), "" if none;
	// DoctypeFirst says it came before any element or text.
	Doctype      string
	DoctypeFirst bool
	// Tags counts start tags.
	Tags int
	// Truncated: the content was longer than maxHTML, had more than
	// maxTokens tokens or a token over maxToken; what follows was not read.
	Truncated bool
	Refs      []reference
}

// scanHTML reads b as an HTML document, bounded as the constants above
// say: the DOCTYPE, the tags, and the external origins named by script,
// stylesheet, icon and preload links, images, media, iframes, base,
// forms, and string literals passed to fetch, WebSocket, EventSource,
// XMLHttpRequest.open and import in scripts and event-handler attributes.
func scanHTML(b []byte) document {
	var d document
	if len(b) > maxHTML {
		b, d.Truncated = b[:maxHTML], true
	}
	d.Blank = len(bytes.TrimSpace(b)) == 0
	d.NUL = bytes.IndexByte(b, 0) >= 0
	z := html.NewTokenizer(bytes.NewReader(b))
	z.SetMaxBuf(maxToken)
	seen := map[string]bool{} // list and origin: the first place names it
	add := func(list, raw, where string) {
		o, ok := originOf(raw)
		if key := list + " " + o; ok && !seen[key] && len(d.Refs) < maxRefs {
			seen[key] = true
			d.Refs = append(d.Refs, reference{List: list, Origin: o, Where: where})
		}
	}
	inScript, started := false, false
	for i := 0; ; i++ {
		if i == maxTokens {
			d.Truncated = true
			break
		}
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			if !errors.Is(z.Err(), io.EOF) {
				d.Truncated = true
			}
			return d
		case html.DoctypeToken:
			if d.Doctype == "" {
				f := strings.Fields(strings.ToLower(string(z.Text())))
				d.Doctype = "(empty)"
				if len(f) > 0 {
					d.Doctype = f[0]
				}
				d.DoctypeFirst = !started
			}
		case html.TextToken:
			text := z.Text()
			if inScript {
				scriptRefs(string(text), "<script>", add)
			} else if len(bytes.TrimSpace(text)) > 0 {
				started = true
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			started = true
			d.Tags++
			name, attrs := tagOf(z)
			inScript = name == "script" && tt == html.StartTagToken && attrs["src"] == ""
			tagRefs(name, attrs, add)
		case html.EndTagToken:
			inScript = false
		}
	}
	return d
}

// tagOf returns the tag's name and its attributes (the first of each
// name, as the HTML parser keeps them).
func tagOf(z *html.Tokenizer) (string, map[string]string) {
	n, more := z.TagName()
	attrs := map[string]string{}
	for more {
		var k, v []byte
		k, v, more = z.TagAttr()
		if _, dup := attrs[string(k)]; !dup {
			attrs[string(k)] = string(v)
		}
	}
	return string(n), attrs
}

// tagRefs adds the external origins a tag names: the attribute that
// loads, and the literals of its event handlers.
func tagRefs(name string, attrs map[string]string, add func(list, raw, where string)) {
	switch name {
	case "script":
		add(resourceDomains, attrs["src"], "<script src>")
	case "link":
		if rel := strings.Fields(strings.ToLower(attrs["rel"])); anyOf(rel, "stylesheet", "icon", "preload", "modulepreload") {
			add(resourceDomains, attrs["href"], "<link rel="+strings.Join(rel, " ")+" href>")
		}
	case "img", "source":
		add(resourceDomains, attrs["src"], "<"+name+" src>")
		for _, c := range strings.Split(attrs["srcset"], ",") {
			if f := strings.Fields(c); len(f) > 0 {
				add(resourceDomains, f[0], "<"+name+" srcset>")
			}
		}
	case "audio", "video", "track":
		add(resourceDomains, attrs["src"], "<"+name+" src>")
		add(resourceDomains, attrs["poster"], "<"+name+" poster>")
	case "iframe", "frame":
		add(frameDomains, attrs["src"], "<"+name+" src>")
	case "base":
		add(baseURIDomains, attrs["href"], "<base href>")
	case "form":
		add(noList, attrs["action"], "<form action>")
	case "button", "input":
		add(noList, attrs["formaction"], "<"+name+" formaction>")
	}
	for _, k := range slices.Sorted(maps.Keys(attrs)) {
		if strings.HasPrefix(k, "on") {
			scriptRefs(attrs[k], "<"+name+" "+k+">", add)
		}
	}
}

func anyOf(have []string, want ...string) bool {
	return slices.ContainsFunc(have, func(h string) bool { return slices.Contains(want, h) })
}

// Literal URLs in script text: the first string argument of fetch,
// WebSocket and EventSource, the second of XMLHttpRequest's open, and the
// specifier of a static or dynamic import. A URL built at run time is
// not seen (APPS-LEAST-PRIVILEGE says so).
var (
	connectCall = regexp.MustCompile(`\b(fetch|WebSocket|EventSource)\s*\(\s*["'` + "`" + `]([^"'` + "`" + `\s]{1,1000})`)
	xhrOpen     = regexp.MustCompile(`\.open\s*\(\s*["'][A-Za-z]{1,16}["']\s*,\s*["'` + "`" + `]([^"'` + "`" + `\s]{1,1000})`)
	importSpec  = regexp.MustCompile(`\bimport\s*(?:\(\s*|[\w*{}\s,$]{0,512}\bfrom\s*)["']([^"'\s]{1,1000})`)
)

func scriptRefs(src, where string, add func(list, raw, where string)) {
	for _, m := range connectCall.FindAllStringSubmatch(src, maxRefs) {
		add(connectDomains, m[2], m[1]+"(...) in "+where)
	}
	for _, m := range xhrOpen.FindAllStringSubmatch(src, maxRefs) {
		add(connectDomains, m[1], "XMLHttpRequest open(...) in "+where)
	}
	for _, m := range importSpec.FindAllStringSubmatch(src, maxRefs) {
		add(resourceDomains, m[1], "import in "+where)
	}
}

// defaultPorts are the ports an origin of each web scheme leaves out.
var defaultPorts = map[string]string{"http": "80", "https": "443", "ws": "80", "wss": "443"}

// originOf returns the origin of an absolute http(s) or ws(s) URL (a
// scheme-relative "//host/..." counts as https, the scheme a host's
// sandbox is served over); false for a relative URL, another scheme
// (data:, blob:, javascript:) or no URL at all: those load from the
// document itself, or not from the network.
func originOf(raw string) (string, bool) {
	raw = strings.TrimSpace(raw)
	if strings.HasPrefix(raw, "//") {
		raw = "https:" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "", false
	}
	scheme := strings.ToLower(u.Scheme)
	def, web := defaultPorts[scheme]
	if !web {
		return "", false
	}
	host, port := strings.ToLower(u.Hostname()), u.Port()
	if host == "" {
		return "", false
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" && port != def {
		host += ":" + port
	}
	return scheme + "://" + host, true
}
