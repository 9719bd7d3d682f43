package sandbox

import (
	"net/url"
	"path/filepath"
	"strings"

	"github.com/mcpverify/mcpverify/check"
)

// Attack is one path a checker sends where a server takes a path (a tool
// argument) or a file:// URI (a resource read), aiming at a canary; a
// Symlink attack goes through a link inside the workspace
// (FILES-SYMLINK-ESCAPE rather than the route's MUST).
type Attack = check.PathAttack

// Families lists the escape families, in the order Attacks makes them.
var Families = []string{
	"dotdot", "absolute", "prefix-sibling", "symlink", "percent", "double-percent", "backslash",
	"nul", "lookalike", "normalization", "long", "trailing", "scheme",
}

// Attacks are the escape attempts for a path argument (relative to the
// workspace or absolute): every family against every canary, at several
// depths and spellings. The later-out link is aimed at only after
// Materialize.
func (s *Sandbox) Attacks() []Attack {
	var out []Attack
	add := func(family, value, aim string, link bool) {
		out = append(out, Attack{Family: family, Value: value, Aim: aim, Symlink: link})
	}
	ws := filepath.ToSlash(s.Workspace)
	root := filepath.ToSlash(s.Root)
	depth := strings.Count(strings.TrimPrefix(ws, "/"), "/") + 1 // components of the workspace's path
	for _, c := range s.Canaries {
		if c.Where == "behind-link" {
			continue // reached through its link (below), or by absolute path
		}
		p := filepath.ToSlash(c.Path)
		rel := strings.TrimPrefix(p, root+"/") // from the sandbox root, the workspace's parent
		// ".." at every depth: from the workspace, from its subdirectories,
		// with "." and a detour, and climbing past the filesystem root.
		sub, deeper, notes := s.sub+"/", s.sub+"/"+s.deeper+"/", s.notes+"/"
		for _, pre := range []struct {
			prefix string
			ups    int
		}{{"", 1}, {"./", 1}, {sub, 2}, {deeper, 3}, {s.sub + "/./" + s.deeper + "/", 3}, {notes, 2}} {
			add("dotdot", pre.prefix+strings.Repeat("../", pre.ups)+rel, p, false)
		}
		add("dotdot", sub+"../../"+rel, p, false)
		add("dotdot", strings.Repeat("../", depth+3)+strings.TrimPrefix(p, "/"), p, false)
		add("dotdot", ws+"/../"+rel, p, false)
		add("dotdot", ws+"/sub/../../"+rel, p, false)
		add("dotdot", "../"+filepath.Base(ws)+"/../"+rel, p, false)
		add("dotdot", deeper+"../../../"+rel, p, false)
		// The sibling whose name extends the workspace's: a check by
		// string prefix lets it through.
		if c.Where == "prefix-sibling" {
			add("prefix-sibling", p, p, false)
			add("prefix-sibling", "../"+rel, p, false)
			add("prefix-sibling", ws+"-evil/../"+filepath.Base(filepath.Dir(p))+"/"+c.Name, p, false)
			add("prefix-sibling", ws+"-evil//"+c.Name, p, false)
		}
		// Absolute paths.
		add("absolute", p, p, false)
		add("absolute", "/"+strings.TrimPrefix(p, "/"), p, false)
		add("absolute", "//"+strings.TrimPrefix(p, "/"), p, false)
		add("absolute", strings.Replace(p, "/", "/./", 2), p, false)
		// Percent- and double-encoding, which a path argument must not
		// decode (and a server that decodes after its check leaks).
		enc := func(v string) string { return strings.ReplaceAll(strings.ReplaceAll(v, ".", "%2e"), "/", "%2f") }
		add("percent", "%2e%2e/"+rel, p, false)
		add("percent", "..%2f"+rel, p, false)
		add("percent", enc("../")+rel, p, false)
		add("percent", enc(p), p, false)
		add("percent", "%2E%2E/"+rel, p, false)
		add("percent", "..%5c"+rel, p, false)
		add("double-percent", "%252e%252e/"+rel, p, false)
		add("double-percent", "..%252f"+rel, p, false)
		add("double-percent", strings.ReplaceAll(enc("../"), "%", "%25")+rel, p, false)
		// Backslashes as separators.
		add("backslash", `..\`+strings.ReplaceAll(rel, "/", `\`), p, false)
		add("backslash", s.sub+`\..\..\`+strings.ReplaceAll(rel, "/", `\`), p, false)
		add("backslash", `..\/`+rel, p, false)
		// NUL: a check on the whole string, a use of what precedes NUL (or
		// the reverse).
		add("nul", s.notes+"\x00/../../"+rel, p, false)
		add("nul", "../"+rel+"\x00.txt", p, false)
		add("nul", "../"+rel+"\x00", p, false)
		add("nul", "..\x00/../"+rel, p, false)
		// Look-alikes of "." and "/", and forms that NFKC turns into them.
		for _, la := range []string{"\u2025/", "\uFF0E\uFF0E/", "..\u2215", "..\u2044", "\uFE52\uFE52/", "..\uFF0F"} {
			add("lookalike", la+rel, p, false)
		}
		for _, nf := range []string{"\uFF0E\uFF0E\uFF0F", ".\u0307./", "\u2024\u2024/", "\uFF0E./"} {
			add("normalization", nf+rel, p, false)
		}
		// Long paths: deep descent then as many ascents, and one past
		// common limits.
		for _, n := range []int{8, 64, 600, 1100} {
			add("long", strings.Repeat(sub, n)+strings.Repeat("../", n+1)+rel, p, false)
		}
		add("long", strings.Repeat("./", 2100)+"../"+rel, p, false)
		// Trailing dots and slashes, doubled slashes.
		for _, tr := range []string{"../" + rel + "/", "../" + rel + "/.", ".././" + rel, "..//" + rel, "../" + rel + ".", "../" + rel + "//", "..///" + rel, "../" + rel + "/./"} {
			add("trailing", tr, p, false)
		}
		// A URI where a path is expected.
		add("scheme", "file://"+p, p, false)
		add("scheme", "file://localhost"+p, p, false)
		add("scheme", "file:"+p, p, false)
		add("scheme", "file:///"+strings.TrimPrefix(p, "/"), p, false)
		add("scheme", (&url.URL{Scheme: "file", Path: ws + "/../" + rel}).String(), p, false)
	}
	// Symbolic links inside the workspace that lead out.
	for _, l := range s.Links {
		name := filepath.Base(l.Path)
		aim := filepath.ToSlash(l.Reaches)
		switch l.Kind {
		case "file-out", "chain-out", "absolute-out":
			add("symlink", name, aim, true)
			add("symlink", "./"+name, aim, true)
			add("symlink", filepath.ToSlash(l.Path), aim, true)
			add("symlink", s.sub+"/../"+name, aim, true)
		case "dir-out":
			add("symlink", name+"/"+filepath.Base(aim), aim, true)
			add("symlink", filepath.ToSlash(l.Path)+"/"+filepath.Base(aim), aim, true)
			add("symlink", name+"/./"+filepath.Base(aim), aim, true)
			add("symlink", name+"/", aim, true) // a listing of what it leads to
		case "later-out":
			if s.materialized() {
				// Aimed at once its target exists (Materialize).
				add("symlink", name+"/"+filepath.Base(aim), aim, true)
				add("symlink", filepath.ToSlash(l.Path)+"/"+filepath.Base(aim), aim, true)
			}
		}
	}
	return out
}

func (s *Sandbox) materialized() bool { return s.made }

// ResourceAttacks are the escape attempts for file:// resource reads: the
// families that survive in a URI, written as file:// URIs under the
// workspace (percent-encoding is the URI's own; double-encoding must not
// be decoded twice).
func (s *Sandbox) ResourceAttacks() []Attack {
	var out []Attack
	ws := filepath.ToSlash(s.Workspace)
	root := filepath.ToSlash(s.Root)
	for _, a := range s.Attacks() {
		v := a.Value
		switch a.Family {
		case "scheme":
			out = append(out, a)
			continue
		case "absolute":
			v = "file://" + v
		case "nul":
			v = "file://" + ws + "/" + strings.ReplaceAll(v, "\x00", "%00")
		default:
			if strings.HasPrefix(v, "/") {
				v = "file://" + v
			} else {
				v = "file://" + ws + "/" + v
			}
		}
		a.Value = v
		out = append(out, a)
	}
	for _, c := range s.Canaries {
		p := filepath.ToSlash(c.Path)
		rel := strings.TrimPrefix(p, root+"/")
		out = append(out,
			Attack{Family: "percent", Value: "file://" + ws + "/%2E%2E/" + rel, Aim: p},
			Attack{Family: "percent", Value: "file://" + ws + "%2F..%2F" + rel, Aim: p},
			Attack{Family: "absolute", Value: "file://127.0.0.1" + p, Aim: p},
			Attack{Family: "absolute", Value: "file://evil.example" + p, Aim: p},
		)
	}
	return out
}

// Reads are paths inside the workspace a correct server serves: the
// baseline of every attack (path argument form, relative and absolute),
// with the content each must show.
func (s *Sandbox) Reads() map[string]string {
	out := map[string]string{}
	for p, content := range s.Files {
		rel, _ := filepath.Rel(s.Workspace, p)
		out[filepath.ToSlash(rel)] = content
		out[filepath.ToSlash(p)] = content
	}
	return out
}
