package faulty

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Variants of the reference server's file access (Config.AllowedDirs):
// each serves read_file (or a file:// read) through a check of its own
// with one flaw, in place of the reference's os.Root confinement, and
// otherwise relays the reference's answer. They need the directory the
// server is told to use: build them with HandlerIn.

// maxFlawRead bounds what a variant reads of a file.
const maxFlawRead = 1 << 20

// readBounded reads at most maxFlawRead bytes of a regular file (through
// symbolic links: the flawed checks decide before).
func readBounded(p string) (string, bool) {
	f, err := os.Open(p)
	if err != nil {
		return "", false
	}
	defer f.Close()
	if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() {
		return "", false
	}
	b, err := io.ReadAll(io.LimitReader(f, maxFlawRead))
	return string(b), err == nil
}

// within reports whether p lies in dir by path segments.
func within(dir, p string) bool {
	return p == dir || strings.HasPrefix(p, dir+string(filepath.Separator))
}

// toolPath returns the path argument of a tools/call of read_file.
func toolPath(msg map[string]any) (string, bool) {
	if msg["method"] != "tools/call" {
		return "", false
	}
	params, _ := msg["params"].(map[string]any)
	if params["name"] != "read_file" {
		return "", false
	}
	args, _ := params["arguments"].(map[string]any)
	p, ok := args["path"].(string)
	return p, ok
}

// absUnder makes a path argument absolute (relative ones under dir), not
// cleaned.
func absUnder(dir, p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return dir + string(filepath.Separator) + p
}

// withContent rewrites the reference's answer to a tools/call: its
// result's content replaced by text, isError and structuredContent
// removed (what a server that served the file would answer), and isError
// set when refused is.
func withContent(body []byte, text string, refused bool) []byte {
	var m map[string]any
	if decodeJSON(body, &m) != nil {
		return body
	}
	res, _ := m["result"].(map[string]any)
	if res == nil {
		return body
	}
	delete(res, "isError")
	delete(res, "structuredContent")
	if refused {
		res["isError"] = true
	}
	res["content"] = []any{map[string]any{"type": "text", "text": text}}
	b, _ := json.Marshal(m)
	return b
}

// onReadFile passes every request to next but the tools/call of
// read_file, which serve answers, given its path argument.
func onReadFile(next http.Handler, serve func(w http.ResponseWriter, r *http.Request, arg string)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, ok := message(r)
		arg, isRead := toolPath(msg)
		if !ok || !isRead {
			next.ServeHTTP(w, r)
			return
		}
		serve(w, r, arg)
	})
}

// flawedRead serves read_file of a path that decide lets through (and
// names a file) with that file's content; any other request goes to the
// reference.
func flawedRead(decide func(dir, arg string) (string, bool)) func(next http.Handler, _ *impl.Server, dir string) http.Handler {
	return func(next http.Handler, _ *impl.Server, dir string) http.Handler {
		return onReadFile(next, func(w http.ResponseWriter, r *http.Request, arg string) {
			file, allowed := decide(dir, arg)
			content, readable := "", false
			if allowed {
				content, readable = readBounded(file)
			}
			rec := recorded(next, r)
			if !readable {
				relay(w, rec, rec.Code)
				return
			}
			relayBody(w, rec, rec.Code, withContent(rec.Body.Bytes(), content, false))
		})
	}
}

// prefixCheck: the cleaned path is allowed when it starts with the
// directory as a string (so the sibling ws-evil passes for ws); the file's
// real path is checked the same way.
func prefixCheck(dir, arg string) (string, bool) {
	p := filepath.Clean(absUnder(dir, arg))
	real, err := filepath.EvalSymlinks(p)
	return p, err == nil && strings.HasPrefix(p, dir) && strings.HasPrefix(real, dir)
}

// lexicalOnly: the cleaned path must lie in the directory by segments,
// but the file is then opened following symbolic links.
func lexicalOnly(dir, arg string) (string, bool) {
	p := filepath.Clean(absUnder(dir, arg))
	return p, within(dir, p)
}

// decodeAfterCheck: the path is checked as given (cleaned, by segments,
// its real path too), then percent-decoded before it is opened.
func decodeAfterCheck(dir, arg string) (string, bool) {
	p := filepath.Clean(absUnder(dir, arg))
	if !within(dir, p) {
		return "", false
	}
	if real, err := filepath.EvalSymlinks(p); err == nil && !within(dir, real) {
		return "", false
	}
	d, err := url.PathUnescape(arg)
	if err != nil {
		return "", false
	}
	return absUnder(dir, d), true
}

// existenceTold answers a read_file of a path outside the directory that
// names an existing file otherwise than one that names nothing (the
// reference answers both alike).
func existenceTold(next http.Handler, _ *impl.Server, dir string) http.Handler {
	return onReadFile(next, func(w http.ResponseWriter, r *http.Request, arg string) {
		p := filepath.Clean(absUnder(dir, arg))
		rec := recorded(next, r)
		if _, err := os.Stat(p); err != nil || within(dir, p) {
			relay(w, rec, rec.Code)
			return
		}
		relayBody(w, rec, rec.Code, withContent(rec.Body.Bytes(), "permission denied: "+arg+" is outside the allowed directories", true))
	})
}

// editTools relays the reference's tools/list answer with its tools
// edited.
func editTools(w http.ResponseWriter, next http.Handler, r *http.Request, edit func([]any) []any) {
	rec := recorded(next, r)
	var m map[string]any
	if decodeJSON(rec.Body.Bytes(), &m) != nil {
		relay(w, rec, rec.Code)
		return
	}
	res, _ := m["result"].(map[string]any)
	if res == nil {
		relay(w, rec, rec.Code)
		return
	}
	tools, _ := res["tools"].([]any)
	res["tools"] = edit(tools)
	b, _ := json.Marshal(m)
	relayBody(w, rec, rec.Code, b)
}

// widening adds an optional "root" argument to read_file ("a directory
// to read from, under the allowed directory") and reads path under it
// without checking that it lies in the allowed directory: an argument
// that widens instead of narrowing.
func widening(next http.Handler, _ *impl.Server, dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, ok := message(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		switch msg["method"] {
		case "tools/list":
			editTools(w, next, r, func(tools []any) []any {
				for _, t := range tools {
					tool, _ := t.(map[string]any)
					if tool["name"] != "read_file" {
						continue
					}
					schema, _ := tool["inputSchema"].(map[string]any)
					if props, _ := schema["properties"].(map[string]any); props != nil {
						props["root"] = map[string]any{"type": "string", "description": "A directory to read from, under the allowed directory (default: the allowed directory)"}
					}
				}
				return tools
			})
		case "tools/call":
			arg, isRead := toolPath(msg)
			params, _ := msg["params"].(map[string]any)
			args, _ := params["arguments"].(map[string]any)
			root, _ := args["root"].(string)
			if !isRead || root == "" {
				if isRead { // the reference refuses unknown arguments: drop it
					delete(args, "root")
				}
				next.ServeHTTP(w, rewritten(r, msg))
				return
			}
			delete(args, "root")
			rec := recorded(next, rewritten(r, msg))
			content, ok := readBounded(filepath.Join(absUnder(dir, root), arg))
			if !ok {
				relay(w, rec, rec.Code)
				return
			}
			relayBody(w, rec, rec.Code, withContent(rec.Body.Bytes(), content, false))
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// rewritten is r with msg as its body.
func rewritten(r *http.Request, msg map[string]any) *http.Request {
	b, _ := json.Marshal(msg)
	r = r.Clone(r.Context())
	r.Body = io.NopCloser(strings.NewReader(string(b)))
	r.ContentLength = int64(len(b))
	return r
}

// rootsAsking makes read_file ask a client that declares roots for them
// (an input request roots/list) and, on the retry that answers, read with
// the directories dirs makes of the configured one and the roots given:
// the flaw is in dirs. A client that declares no roots gets the
// reference.
func rootsAsking(dirs func(dir string, roots []string) []string) func(next http.Handler, _ *impl.Server, dir string) http.Handler {
	return func(next http.Handler, _ *impl.Server, dir string) http.Handler {
		return onReadFile(next, func(w http.ResponseWriter, r *http.Request, arg string) {
			msg, _ := message(r)
			params, _ := msg["params"].(map[string]any)
			meta, _ := params["_meta"].(map[string]any)
			caps, _ := meta["io.modelcontextprotocol/clientCapabilities"].(map[string]any)
			if _, declared := caps["roots"]; !declared {
				next.ServeHTTP(w, r)
				return
			}
			responses, _ := params["inputResponses"].(map[string]any)
			answer, _ := responses["roots"].(map[string]any)
			if answer == nil {
				b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": msg["id"], "result": map[string]any{
					"resultType":    "input_required",
					"inputRequests": map[string]any{"roots": map[string]any{"method": "roots/list", "params": map[string]any{}}},
					"_meta":         map[string]any{"io.modelcontextprotocol/serverInfo": map[string]any{"name": "mcpverify-reference", "version": "0.1.0"}},
				}})
				w.Header().Set("Content-Type", "application/json")
				w.Write(b)
				return
			}
			var roots []string
			list, _ := answer["roots"].([]any)
			for _, x := range list {
				root, _ := x.(map[string]any)
				if u, err := url.Parse(fmt.Sprint(root["uri"])); err == nil && u.Scheme == "file" {
					roots = append(roots, filepath.Clean(u.Path))
				}
			}
			delete(params, "inputResponses")
			delete(params, "requestState")
			rec := recorded(next, rewritten(r, msg))
			allowed := dirs(dir, roots)
			p := filepath.Clean(absUnder(allowed[0], arg))
			real, err := filepath.EvalSymlinks(p)
			ok := err == nil && slices.ContainsFunc(allowed, func(d string) bool { return within(d, p) && within(d, real) })
			content, readable := "", false
			if ok {
				content, readable = readBounded(p)
			}
			if !readable {
				relayBody(w, rec, rec.Code, withContent(rec.Body.Bytes(), "no such file or directory in the allowed directories: "+arg, true))
				return
			}
			relayBody(w, rec, rec.Code, withContent(rec.Body.Bytes(), content, false))
		})
	}
}

// writeUnconfined adds a write_file {path, content} tool (not read-only)
// that writes where the cleaned path starts with the allowed directory as
// a string: into the sibling ws-NAME-evil too.
func writeUnconfined(next http.Handler, _ *impl.Server, dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, ok := message(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		params, _ := msg["params"].(map[string]any)
		switch {
		case msg["method"] == "tools/list":
			editTools(w, next, r, func(tools []any) []any {
				return append(tools, map[string]any{
					"name": "write_file", "description": "Writes content to the file at path, under the allowed directory",
					"inputSchema": map[string]any{"type": "object", "required": []any{"path", "content"}, "properties": map[string]any{
						"path": map[string]any{"type": "string", "description": "The file's path"}, "content": map[string]any{"type": "string"}}},
					"annotations": map[string]any{"readOnlyHint": false, "destructiveHint": true},
				})
			})
		case msg["method"] == "tools/call" && params["name"] == "write_file":
			args, _ := params["arguments"].(map[string]any)
			arg, _ := args["path"].(string)
			content, _ := args["content"].(string)
			p := filepath.Clean(absUnder(dir, arg))
			text, refused := "wrote "+arg, false
			if !strings.HasPrefix(p, dir) || arg == "" || strings.ContainsRune(arg, 0) || os.WriteFile(p, []byte(content), 0o644) != nil {
				text, refused = "cannot write "+arg, true
			}
			b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": msg["id"], "result": map[string]any{
				"resultType": "complete", "isError": refused,
				"content": []any{map[string]any{"type": "text", "text": text}},
				"_meta":   map[string]any{"io.modelcontextprotocol/serverInfo": map[string]any{"name": "mcpverify-reference", "version": "0.1.0"}},
			}})
			w.Header().Set("Content-Type", "application/json")
			w.Write(b)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// decodeTwice reads file:// URIs whose path it percent-decodes twice,
// checking (by segments, after cleaning) between the two decodings.
func decodeTwice(next http.Handler, _ *impl.Server, dir string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		msg, ok := message(r)
		if !ok || msg["method"] != "resources/read" {
			next.ServeHTTP(w, r)
			return
		}
		params, _ := msg["params"].(map[string]any)
		uri, _ := params["uri"].(string)
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "file" {
			next.ServeHTTP(w, r)
			return
		}
		if once := filepath.Clean(u.Path); !within(dir, once) {
			next.ServeHTTP(w, r)
			return
		}
		twice, err := url.PathUnescape(u.Path)
		if err != nil {
			next.ServeHTTP(w, r)
			return
		}
		content, ok := readBounded(twice)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		b, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": msg["id"], "result": map[string]any{
			"resultType": "complete", "ttlMs": 0, "cacheScope": "private",
			"contents": []any{map[string]any{"uri": uri, "text": content}},
			"_meta":    map[string]any{"io.modelcontextprotocol/serverInfo": map[string]any{"name": "mcpverify-reference", "version": "0.1.0"}},
		}})
		w.Header().Set("Content-Type", "application/json")
		w.Write(b)
	})
}

func init() {
	only := []string{"files/"}
	for _, v := range []*Variant{
		{Name: "files-prefix-check", Defect: "read_file allows a path whose cleaned form starts with the allowed directory as a string: the sibling ws-NAME-evil passes for ws-NAME", Breaks: []spec.ID{spec.FilesToolConfined},
			WrapDir: flawedRead(prefixCheck)},
		{Name: "files-lexical-check", Defect: "read_file checks the cleaned path lexically, then opens it following symbolic links: a link inside that leads out is served", Breaks: []spec.ID{spec.FilesSymlinkEscape},
			WrapDir: flawedRead(lexicalOnly)},
		{Name: "files-decode-after-check", Defect: "read_file checks the path as given, then percent-decodes it: %2e%2e/ passes the check and climbs out", Breaks: []spec.ID{spec.FilesToolConfined},
			WrapDir: flawedRead(decodeAfterCheck)},
		{Name: "files-existence-oracle", Defect: "read_file refuses a path outside the allowed directory with \"permission denied\" when a file is there and with the reference's \"no such file\" when nothing is", Breaks: []spec.ID{spec.FilesExistenceOracle},
			WrapDir: existenceTold},
		{Name: "files-widening-parameter", Defect: "read_file takes a \"root\" argument, a directory to read from, which it does not check against the allowed directory: an argument widens instead of narrowing", Breaks: []spec.ID{spec.FilesToolConfined},
			WrapDir: widening},
		{Name: "files-roots-ignored", Defect: "read_file asks a client that declares roots for them, then reads anywhere in its configured directory: a root narrower than it is not respected", Breaks: []spec.ID{spec.FilesRootsRespect},
			WrapDir: rootsAsking(func(dir string, _ []string) []string { return []string{dir} })},
		{Name: "files-roots-replace", Defect: "read_file asks a client that declares roots for them, then reads within the roots given in place of its configured directory: a root outside widens its access", Breaks: []spec.ID{spec.FilesRootsWiden},
			WrapDir: rootsAsking(func(_ string, roots []string) []string {
				if len(roots) == 0 {
					return []string{"/nonexistent"}
				}
				return roots
			})},
		{Name: "files-write-unconfined", Defect: "a write_file tool (not read-only) writes where the cleaned path starts with the allowed directory as a string: into the sibling ws-NAME-evil too", Breaks: []spec.ID{spec.FilesToolConfined},
			WrapDir: writeUnconfined},
		{Name: "files-resource-decode-twice", Defect: "resources/read decodes a file:// URI's path twice, checking between: %252e%252e passes the check and climbs out", Breaks: []spec.ID{spec.FilesResourceTraversal},
			WrapDir: decodeTwice},
	} {
		v.Only = only
		Register(v)
	}
}
