package model

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"path"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Rules of file access after Roots (server/tools.mdx and
// server/resources.mdx, Security Considerations; client/roots.mdx): a
// server told which directories it may use serves nothing from outside
// them. The model is given the tree the server was started on (the
// checker's sandbox, Config.Files): which files lie outside, and what
// they hold. It does no I/O.

// FileTree is an abstract file tree: directories, files and symbolic
// links by absolute slash-separated path, and the directories the server
// was configured with. Files outside them (the canaries) hold contents
// and have names that occur nowhere else, so that finding either in an
// answer shows the server read outside.
type FileTree struct {
	// Allowed are the configured directories (absolute, clean).
	Allowed []string `json:"allowed"`
	// Nodes maps an absolute clean path to what is there.
	Nodes map[string]FileNode `json:"nodes"`
}

// FileNode is one entry of a FileTree: a directory, a file with its
// content, or a symbolic link with its target as written (absolute, or
// relative to the link's directory).
type FileNode struct {
	Dir     bool   `json:"dir,omitempty"`
	Content string `json:"file,omitempty"`
	Link    string `json:"link,omitempty"`
}

// ParseFileTree reads the JSON of a FileTree (a trace's sandbox field).
func ParseFileTree(s string) (*FileTree, error) {
	var t FileTree
	if err := json.Unmarshal([]byte(s), &t); err != nil {
		return nil, fmt.Errorf("sandbox tree: %w", err)
	}
	for _, a := range t.Allowed {
		if !path.IsAbs(a) || path.Clean(a) != a {
			return nil, fmt.Errorf("sandbox tree: allowed directory %q: want an absolute clean path", a)
		}
	}
	for p := range t.Nodes {
		if !path.IsAbs(p) || path.Clean(p) != p {
			return nil, fmt.Errorf("sandbox tree: node %q: want an absolute clean path", p)
		}
	}
	return &t, nil
}

// String is the tree's JSON, on one line.
func (t *FileTree) String() string {
	b, _ := json.Marshal(t)
	return string(b)
}

// Within reports whether the absolute clean path p is one of the
// allowed directories or below one, by path segments (/ws-evil is not
// within /ws).
func (t *FileTree) Within(p string) bool {
	return slices.ContainsFunc(t.Allowed, func(a string) bool { return p == a || strings.HasPrefix(p, strings.TrimSuffix(a, "/")+"/") })
}

// maxLinkHops bounds the symbolic links followed in one resolution (as
// the kernel's ELOOP does).
const maxLinkHops = 40

// Resolve follows the symbolic links of the absolute path p, component by
// component (".." after a link climbs from where the link leads, as the
// kernel does; nothing follows a file, not even "."), and returns the path it names in the tree (clean, without
// links), whether a link was followed on the way, and whether something
// exists there.
func (t *FileTree) Resolve(p string) (real string, viaLink, ok bool) {
	return t.resolve(p, 0)
}

func (t *FileTree) resolve(p string, hops int) (string, bool, bool) {
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	cur := "/"
	via := false
	for i, c := range parts {
		if c == "" {
			continue
		}
		if cur != "/" && !t.Nodes[cur].Dir {
			// Something after a file, even "." or "..": not a directory.
			return cur, via, false
		}
		if c == "." {
			continue
		}
		if c == ".." {
			cur = path.Dir(cur)
			continue
		}
		next := path.Join(cur, c)
		n, exists := t.Nodes[next]
		switch {
		case !exists:
			return next, via, false
		case n.Link != "":
			if hops >= maxLinkHops {
				return next, true, false
			}
			// The link's target, then the rest, resolved from the start:
			// not cleaned, so that ".." is physical.
			target := n.Link
			if !path.IsAbs(target) {
				target = cur + "/" + target
			}
			real, _, ok := t.resolve(target+"/"+strings.Join(parts[i+1:], "/"), hops+1)
			return real, true, ok
		default:
			cur = next
		}
	}
	return cur, via, true
}

// secret is a file outside the configured directories: its content and
// its name must appear in no answer.
type secret struct{ path, name, content string }

// secrets are the tree's files outside every allowed directory.
func (t *FileTree) secrets() []secret {
	var out []secret
	for p, n := range t.Nodes {
		if n.Dir || n.Link != "" || t.Within(p) {
			continue
		}
		out = append(out, secret{path: p, name: path.Base(p), content: n.Content})
	}
	slices.SortFunc(out, func(a, b secret) int { return strings.Compare(a.path, b.path) })
	return out
}

// linkNamed are the files outside that a link inside the configured
// directories names as its target: the link's content is inside, so an
// answer may say where it leads (a refusal that names the target) without
// showing anything from outside; only their content is secret.
func (t *FileTree) linkNamed() map[string]bool {
	out := map[string]bool{}
	for p, n := range t.Nodes {
		if n.Link == "" || !t.Within(p) {
			continue
		}
		if real, _, ok := t.Resolve(p); ok {
			out[real] = true
		}
	}
	return out
}

// hasFiles: the model was given a sandbox and the exchange answered a
// request with a result.
func hasFiles(c *ctx) bool { return c.s.cfg.Files != nil && c.req != nil && c.result != nil }

// checkFileLeaks: an answer that holds the content of a file outside the
// configured directories, or its name where the request did not hold it,
// shows the server read outside them. The route names the requirement:
// a resources/read breaks FILES-RESOURCE-TRAVERSAL, any other request
// (a tool's arguments) FILES-TOOL-CONFINED; when the request named a path
// inside a configured directory that reaches the file through a symbolic
// link, FILES-SYMLINK-ESCAPE (hardening) instead.
func checkFileLeaks(c *ctx) {
	t := c.s.cfg.Files
	answer := string(c.ex.RespBody)
	if c.ex.Transport == wire.Stdio {
		answer = ""
		for _, l := range c.ex.Lines {
			answer += string(l) + "\n"
		}
	}
	id, got, leaked := t.Leak(c.method, c.req.Params, string(c.ex.Body), answer)
	c.judge(id)
	if !leaked {
		return
	}
	switch id {
	case spec.FilesSymlinkEscape:
		c.report(id, got, "no access through a link that leads outside")
		return
	case spec.FilesRootsWiden:
		c.report(id, got, "roots narrow what a server may read, never widen it beyond its configured directories")
		return
	}
	c.report(id, got, "nothing from outside the configured directories")
}

// Leak judges the answer to a request (its method, params and body as
// sent): whether it holds the content of a file outside the configured
// directories (or its base64), or its name where the request did not
// hold it. id is the requirement the route names (FILES-RESOURCE-TRAVERSAL
// for resources/read, else FILES-TOOL-CONFINED; FILES-SYMLINK-ESCAPE when
// the request named a path inside that a link leads out of), got says
// what was found. The checker calls it for answers the model does not
// judge (a 2025-11-25 session).
func (t *FileTree) Leak(method string, params wire.Value, sent, answer string) (id spec.ID, got string, leaked bool) {
	id = spec.FilesToolConfined
	if method == "resources/read" {
		id = spec.FilesResourceTraversal
	}
	named := t.linkNamed()
	for _, s := range t.secrets() {
		what := ""
		// A file served whole as a blob shows its content base64-encoded
		// (the last character depends on what follows, so it is left out).
		b64 := strings.TrimRight(base64.StdEncoding.EncodeToString([]byte(s.content)), "=")
		switch {
		case s.content != "" && strings.Contains(answer, s.content):
			what = "the content of " + s.path
		case len(s.content) >= 8 && strings.Contains(answer, b64[:len(b64)-1]):
			what = "the content of " + s.path + ", base64-encoded"
		case strings.Contains(answer, s.name) && !strings.Contains(sent, s.name) && !named[s.path]:
			what = "the name of " + s.path
		default:
			continue
		}
		got = fmt.Sprintf("an answer to %s holding %s, outside the configured directories %v", method, what, t.Allowed)
		if r, ok := withinRoot(params, s.path); ok {
			// The client gave a root that holds the file: access widened
			// by roots, which are guidance, not grants.
			return spec.FilesRootsWiden, got + fmt.Sprintf(" (within the root %s the client gave)", r), true
		}
		if p, ok := linkPathTo(t, params, s.path); ok {
			return spec.FilesSymlinkEscape, got + fmt.Sprintf(" (the request named %s, inside, which a symbolic link leads out of)", p), true
		}
		return id, got, true
	}
	return id, "", false
}

// withinRoot finds, among the roots the request's inputResponses give
// (ListRootsResult answers), a file:// root that holds p.
func withinRoot(params wire.Value, p string) (string, bool) {
	var v struct {
		InputResponses map[string]struct {
			Roots []struct {
				URI string `json:"uri"`
			} `json:"roots"`
		} `json:"inputResponses"`
	}
	if json.Unmarshal(params, &v) != nil {
		return "", false
	}
	for _, r := range v.InputResponses {
		for _, root := range r.Roots {
			u, err := url.Parse(root.URI)
			if err != nil || u.Scheme != "file" {
				continue
			}
			d := path.Clean(u.Path)
			if p == d || strings.HasPrefix(p, strings.TrimSuffix(d, "/")+"/") {
				return root.URI, true
			}
		}
	}
	return "", false
}

// linkPathTo finds, among the strings of the request's params (a tool's
// arguments, a resource's file:// URI), a path inside a configured
// directory that resolves, through a symbolic link, to target.
func linkPathTo(t *FileTree, params wire.Value, target string) (string, bool) {
	var v any
	if json.Unmarshal(params, &v) != nil {
		return "", false
	}
	found := ""
	var walk func(any)
	walk = func(x any) {
		switch x := x.(type) {
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case string:
			p := x
			if u, err := url.Parse(x); err == nil && u.Scheme == "file" {
				p = u.Path
			}
			for _, cand := range candidates(t, p) {
				if real, via, ok := t.Resolve(cand); ok && via && real == target && t.Within(path.Clean(cand)) {
					found = x
				}
			}
		}
	}
	walk(v)
	return found, found != ""
}

// candidates are the absolute paths a path argument may name: itself if
// absolute, else relative to each configured directory.
func candidates(t *FileTree, p string) []string {
	if path.IsAbs(p) {
		return []string{path.Clean(p)}
	}
	var out []string
	for _, a := range t.Allowed {
		out = append(out, path.Join(a, p))
	}
	return out
}
