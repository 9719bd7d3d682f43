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

// Extension pages live in the extension's own repository, not on the
// site: a Source that starts with one of these prefixes (e.g.
// "ext-apps/specification/2026-01-26/apps.mdx", the MCP Apps
// extension's Stable text) names a file of that repository, and its
// address is the file on GitHub with the heading's anchor as GitHub makes
// it (as anchor does, for the headings the catalog names).
var extensionBases = map[string]string{
	"ext-apps/": "https://github.com/modelcontextprotocol/ext-apps/blob/main/",
}

// ExtensionBase returns the address prefix of an extension page's Source
// and the Source without its repository prefix; ok is false for a page
// of the core specification.
func ExtensionBase(source string) (base, rest string, ok bool) {
	for prefix, b := range extensionBases {
		if r, found := strings.CutPrefix(source, prefix); found {
			return b, r, true
		}
	}
	return "", "", false
}

// URL is the address of the requirement's section on the published
// specification: the page of Source (without ".mdx" or ".md"; an index
// page by its directory; SEPs and extensions at the site's root) and, as an anchor, the last heading of Section, made as
// the site makes heading anchors (lower case, spaces as "-", other
// punctuation dropped). A Source in an extension's repository
// (ExtensionBase) is addressed as that repository's file. It is "" when
// the requirement names no source.
func (r Requirement) URL() string {
	if r.Source == "" {
		return ""
	}
	page, _, _ := strings.Cut(r.Source, "#")
	if base, rest, ok := ExtensionBase(page); ok {
		u := base + rest
		if a := anchor(r.Section); a != "" {
			u += "#" + a
		}
		return u
	}
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
	if rest, ok := strings.CutPrefix(page, "extensions/"); ok {
		// The local copy flattens an extension's folder into the file
		// name: extensions/apps-overview.mdx is published as
		// /extensions/apps/overview.
		if name, ok := strings.CutSuffix(rest, "-overview"); ok {
			page = "extensions/" + name + "/overview"
		}
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
