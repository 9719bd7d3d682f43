package spec

import (
	"path"
	"strings"
)

// Revision is the MCP revision the catalog states.
const Revision = "2026-07-28"

// siteRoot is the site of the specification, its SEPs and extensions;
// siteBase is where the revision's pages are published.
const (
	siteRoot = "https://modelcontextprotocol.io/"
	siteBase = siteRoot + "specification/" + Revision + "/"
)

// URL is the address of the requirement's section on the published
// specification: the page of Source (without ".mdx" or ".md"; an index
// page by its directory; SEPs and extensions at the site's root) and, as an anchor, the last heading of Section, made as
// the site makes heading anchors (lower case, spaces as "-", other
// punctuation dropped). It is "" when the requirement names no source.
func (r Requirement) URL() string {
	if r.Source == "" {
		return ""
	}
	page, _, _ := strings.Cut(r.Source, "#")
	page = strings.TrimSuffix(strings.TrimSuffix(page, ".mdx"), ".md")
	if path.Base(page) == "index" {
		page = path.Dir(page)
	}
	if page == "." {
		page = ""
	}
	base := siteBase
	if strings.HasPrefix(page, "seps/") || strings.HasPrefix(page, "extensions/") {
		// SEPs and extensions are published beside the revisions, not in
		// one (modelcontextprotocol.io/seps/..., /extensions/...).
		base = siteRoot
	}
	u := base + page
	if a := anchor(r.Section); a != "" {
		u += "#" + a
	}
	return u
}

// anchor is the site's anchor of the last heading of a section path
// ("Messages / Error Responses" is at #error-responses).
func anchor(section string) string {
	if i := strings.LastIndex(section, " / "); i >= 0 {
		section = section[i+len(" / "):]
	}
	var b strings.Builder
	for _, c := range strings.ToLower(strings.TrimSpace(section)) {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '-':
			b.WriteRune(c)
		case c == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}
