package impl

import (
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mcpverify/mcpverify/wire"
)

// File access, confined to the directories of Config.AllowedDirs.
//
// Roots are deprecated in 2026-07-28 (client/roots.mdx): servers take the
// directories they may use from their configuration, tool parameters and
// resource URIs, so which files a server serves is its own decision. This
// server never asks a client for roots; it serves files under the
// directories its operator configured, and nothing else:
//
//   - each allowed directory is made absolute and opened as an os.Root in
//     New; every file is opened through the root of its directory, which
//     refuses ".." past the directory and symlinks (file or directory,
//     chained, absolute) that lead outside it, at every step of the walk,
//     so a directory renamed or a link swapped meanwhile cannot widen it;
//   - a path argument is relative to the first allowed directory (handed
//     to its root as given), or absolute: then it is cleaned lexically
//     (filepath.Clean) and must lie inside an allowed directory, compared
//     whole segment by whole segment (/work/ws-evil is not inside
//     /work/ws); the rest of it is opened through that directory's root
//     (the innermost one when allowed directories nest). An argument can
//     narrow to a subdirectory, never widen;
//   - outside the allowed directories, missing, refused by the root and
//     permission denied get one answer, word for word (refusal), so the
//     answers are no oracle of what exists outside;
//   - a file is read up to maxFileBytes+1 bytes, never further: a larger
//     file is refused, naming the limit; a directory lists at most
//     maxListEntries entries;
//   - a path argument is never percent-decoded (a path is a path); a
//     file:// URI is parsed with net/url and its path decoded exactly once.
//
// Tools (read_file, list_directory) report bad paths and refusals as tool
// execution errors (isError results, tools.mdx "Error Handling": input
// errors a model can correct). resources/read answers a file:// URI it does
// not serve with the error of any unknown resource (-32602 "Resource not
// found", resources.mdx "Error Handling"), whatever the reason.

// Limits of file access.
const (
	// maxFileBytes bounds a file read_file or resources/read serves.
	maxFileBytes = 1 << 20
	// maxPathBytes bounds a path argument (and the path of a file:// URI).
	maxPathBytes = 4096
	// maxListEntries bounds the entries list_directory returns.
	maxListEntries = 1000
	// maxEchoBytes bounds the part of a path argument an answer repeats.
	maxEchoBytes = 256
)

// allowedDir is one directory of Config.AllowedDirs.
type allowedDir struct {
	path string   // absolute and clean
	segs []string // path's segments, for containment
	root *os.Root
	// uri is the file:// URI of the directory, percent-encoded, without a
	// trailing slash.
	uri string
}

// fileAccess serves files under the allowed directories.
type fileAccess struct {
	s    *Server
	dirs []*allowedDir
}

// errNoFile is every refusal to open a path: outside the allowed
// directories, missing, refused by the root, permission denied.
var errNoFile = errors.New("no such file or directory in the allowed directories")

// openAllowedDirs makes each path absolute and opens it as an os.Root. A
// path that is empty, missing or not a directory is an error.
func openAllowedDirs(paths []string) ([]*allowedDir, error) {
	var dirs []*allowedDir
	fail := func(err error) ([]*allowedDir, error) {
		for _, d := range dirs {
			d.root.Close()
		}
		return nil, err
	}
	for _, p := range paths {
		if p == "" || strings.IndexByte(p, 0) >= 0 {
			return fail(fmt.Errorf("impl: Config.AllowedDirs: %q is not a directory path", p))
		}
		abs, err := filepath.Abs(p)
		if err != nil {
			return fail(fmt.Errorf("impl: Config.AllowedDirs: %q: %w", p, err))
		}
		fi, err := os.Stat(abs)
		if err != nil {
			return fail(fmt.Errorf("impl: Config.AllowedDirs: %w", err))
		}
		if !fi.IsDir() {
			return fail(fmt.Errorf("impl: Config.AllowedDirs: %s is not a directory", abs))
		}
		root, err := os.OpenRoot(abs)
		if err != nil {
			return fail(fmt.Errorf("impl: Config.AllowedDirs: %w", err))
		}
		dirs = append(dirs, &allowedDir{path: abs, segs: segments(abs), root: root, uri: dirURI(abs)})
	}
	return dirs, nil
}

// segments splits a path at its separators, dropping empty segments.
func segments(p string) []string {
	return strings.FieldsFunc(p, func(r rune) bool { return r < utf8.RuneSelf && os.IsPathSeparator(uint8(r)) })
}

// dirURI is the file:// URI of an absolute directory path, without a
// trailing slash: "file:///work/ws", "file:///C:/work/ws".
func dirURI(abs string) string {
	p := filepath.ToSlash(abs)
	if !strings.HasPrefix(p, "/") {
		p = "/" + p
	}
	u := url.URL{Scheme: "file", Path: strings.TrimSuffix(p, "/")}
	return "file://" + u.EscapedPath()
}

// within returns the part of the clean absolute path p under dir, joined
// with "/" ("." for dir itself), and whether p is dir or lies under it.
// It compares whole segments: /work/ws-evil is not under /work/ws.
func (d *allowedDir) within(p string) (string, bool) {
	ps := segments(p)
	if len(ps) < len(d.segs) {
		return "", false
	}
	for i, s := range d.segs {
		if ps[i] != s {
			return "", false
		}
	}
	if len(ps) == len(d.segs) {
		return ".", true
	}
	return strings.Join(ps[len(d.segs):], "/"), true
}

// locate finds the allowed directory of a path argument and the part of
// it to open through that directory's root. A relative path is the first
// directory's, as given. An absolute path is cleaned and must lie inside
// a directory (the innermost, when they nest); a path that ends in a
// separator, "." or ".." keeps a trailing slash, so that it names a
// directory as its relative spelling does. ok is false outside.
func (fa *fileAccess) locate(p string) (d *allowedDir, rel string, ok bool) {
	if !filepath.IsAbs(p) {
		return fa.dirs[0], p, true
	}
	clean := filepath.Clean(p)
	for _, cand := range fa.dirs {
		if r, in := cand.within(clean); in && (d == nil || len(cand.segs) > len(d.segs)) {
			d, rel = cand, r
		}
	}
	if d == nil {
		return nil, "", false
	}
	if rel != "." && namesDir(p) {
		rel += "/"
	}
	return d, rel, true
}

// namesDir reports whether a path ends in a separator or in a "." or ".."
// segment: whatever it names must be a directory.
func namesDir(p string) bool {
	i := len(p)
	for i > 0 && !os.IsPathSeparator(p[i-1]) {
		i--
	}
	last := p[i:]
	return last == "" || last == "." || last == ".."
}

// open opens a path argument through the root of its allowed directory,
// and stats what it opened. Every failure to open is errNoFile (the cause
// is logged): no answer tells outside from missing.
func (fa *fileAccess) open(p string) (*os.File, fs.FileInfo, error) {
	d, rel, ok := fa.locate(p)
	if !ok {
		fa.s.log.Debug("file access refused: outside the allowed directories", "path", p)
		return nil, nil, errNoFile
	}
	// Non-blocking: opening a FIFO must not wait for a writer. Reads of
	// regular files and directories are unaffected.
	f, err := d.root.OpenFile(rel, os.O_RDONLY|openNonblock, 0)
	if err != nil {
		fa.s.log.Debug("file access refused", "path", p, "dir", d.path, "err", err)
		return nil, nil, errNoFile
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		fa.s.log.Debug("file access refused: stat", "path", p, "dir", d.path, "err", err)
		return nil, nil, errNoFile
	}
	return f, fi, nil
}

// pathProblem says what is wrong with a path argument, or "" when nothing
// is: empty, a NUL byte, over maxPathBytes bytes.
func pathProblem(p string) string {
	switch {
	case p == "":
		return "invalid path: the path is empty"
	case strings.IndexByte(p, 0) >= 0:
		return "invalid path: the path contains a NUL byte"
	case len(p) > maxPathBytes:
		return fmt.Sprintf("invalid path: the path is %d bytes long; at most %d", len(p), maxPathBytes)
	}
	return ""
}

// echo quotes a path argument for an answer, truncated to maxEchoBytes
// bytes (at a character boundary).
func echo(p string) string {
	if len(p) > maxEchoBytes {
		cut := maxEchoBytes
		for cut > 0 && !utf8.RuneStart(p[cut]) {
			cut--
		}
		return strconv.Quote(p[:cut]) + "..."
	}
	return strconv.Quote(p)
}

// refusal is the one answer to a path that is outside the allowed
// directories, missing, or not readable.
func refusal(p string) *wire.CallToolResult {
	return toolError(errNoFile.Error() + ": " + echo(p))
}

// readBounded reads r up to maxFileBytes; over reports that r holds more
// (at most maxFileBytes+1 bytes are ever read).
func readBounded(r io.Reader) (b []byte, over bool, err error) {
	b, err = io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if len(b) > maxFileBytes {
		return nil, true, err
	}
	return b, false, err
}

// Tool schemas.
const (
	pathProperty = `"path":{"type":"string","minLength":1,"maxLength":4096,` +
		`"description":"An absolute path inside one of the allowed directories, or a path relative to the first; never percent-decoded"}`
	fileToolInput       = `{"type":"object","properties":{` + pathProperty + `},"required":["path"],"additionalProperties":false}`
	listDirectoryOutput = `{"type":"object","properties":{` +
		`"path":{"type":"string"},` +
		`"entries":{"type":"array","maxItems":1000,"items":{"type":"object","properties":{` +
		`"name":{"type":"string"},"kind":{"type":"string","enum":["file","directory","symlink","other"]}},` +
		`"required":["name","kind"],"additionalProperties":false}},` +
		`"truncated":{"type":"boolean","description":"true when the directory holds more entries than were listed"}},` +
		`"required":["path","entries","truncated"],"additionalProperties":false}`
)

// addFiles registers the file tools and one resource template per allowed
// directory; without Config.AllowedDirs it registers nothing.
func (r *registry) addFiles(s *Server) error {
	if len(s.cfg.AllowedDirs) == 0 {
		return nil
	}
	dirs, err := openAllowedDirs(s.cfg.AllowedDirs)
	if err != nil {
		return err
	}
	fa := &fileAccess{s: s, dirs: dirs}
	var names []string
	for _, d := range dirs {
		names = append(names, d.path)
	}
	where := fmt.Sprintf("the allowed directories (%s); a relative path is relative to %s", strings.Join(names, ", "), dirs[0].path)
	readOnly := &wire.ToolAnnotations{ReadOnlyHint: ptr(true)}
	for _, sp := range []struct {
		name, desc, output string
		run                toolFunc
	}{
		{name: "read_file", run: fa.runReadFile,
			desc: fmt.Sprintf("Reads a text file (UTF-8, at most 1 MiB) inside %s. Paths outside them, and symlinks or .. leading outside, are refused like missing files.", where)},
		{name: "list_directory", run: fa.runListDirectory, output: listDirectoryOutput,
			desc: fmt.Sprintf("Lists the entries of a directory (name and kind: file, directory, symlink or other; at most %d) inside %s. Paths outside them, and symlinks or .. leading outside, are refused like missing directories.", maxListEntries, where)},
	} {
		def := wire.Tool{Name: sp.name, Description: sp.desc, InputSchema: wire.Value(fileToolInput), Annotations: readOnly}
		if sp.output != "" {
			def.OutputSchema = wire.Value(sp.output)
		}
		t, err := newTool(def, sp.run)
		if err != nil {
			return fmt.Errorf("impl: %w", err)
		}
		if err := r.addTool(t); err != nil {
			return err
		}
	}
	for i, d := range dirs {
		uriTmpl := d.uri + "/{+path}"
		tmpl, err := parseTemplate(uriTmpl)
		if err != nil {
			return err
		}
		name := "files"
		if i > 0 {
			name = fmt.Sprintf("files-%d", i+1)
		}
		r.addResource(&resource{tmplDef: wire.ResourceTemplate{URITemplate: uriTmpl, Name: name, Title: "Files under " + d.path,
			Description: fmt.Sprintf("Reads a file under %s: text for UTF-8 content, a base64 blob otherwise, at most 1 MiB. path is relative to the directory; symlinks and .. leading outside it are refused.", d.path)},
			tmpl: tmpl, read: fa.readResource})
	}
	r.files = &resource{read: fa.readResource}
	return nil
}

// runReadFile is read_file: the content of a UTF-8 text file.
func (fa *fileAccess) runReadFile(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	p, _ := args["path"].(string)
	if msg := pathProblem(p); msg != "" {
		return toolError(msg), nil, nil
	}
	f, fi, err := fa.open(p)
	if err != nil {
		return refusal(p), nil, nil
	}
	defer f.Close()
	switch {
	case fi.IsDir():
		return toolError(echo(p) + " is a directory; list it with list_directory"), nil, nil
	case !fi.Mode().IsRegular():
		return toolError(echo(p) + " is not a regular file"), nil, nil
	}
	b, over, err := readBounded(f)
	switch {
	case over:
		return toolError(fmt.Sprintf("%s is larger than the limit of read_file, 1 MiB (%d bytes)", echo(p), maxFileBytes)), nil, nil
	case err != nil:
		x.s.log.Warn("read_file: read failed", "path", p, "err", err)
		return toolError("could not read " + echo(p)), nil, nil
	case !utf8.Valid(b):
		return toolError(echo(p) + " is not a text file (its content is not valid UTF-8); read it as a resource (file:// URI) for its bytes in base64"), nil, nil
	}
	return textResult(string(b)), nil, nil
}

// dirEntry is one entry of list_directory's structuredContent.
type dirEntry struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
}

// runListDirectory is list_directory: the entries of a directory, sorted
// by name. Of a directory with more than maxListEntries entries, it lists
// maxListEntries of them (in the order the system reads them) and says so.
func (fa *fileAccess) runListDirectory(x *exchange, args map[string]any, _ *inputs) (*wire.CallToolResult, *ask, *rpcError) {
	p, _ := args["path"].(string)
	if msg := pathProblem(p); msg != "" {
		return toolError(msg), nil, nil
	}
	f, fi, err := fa.open(p)
	if err != nil {
		return refusal(p), nil, nil
	}
	defer f.Close()
	if !fi.IsDir() {
		return toolError(echo(p) + " is not a directory"), nil, nil
	}
	des, err := f.ReadDir(maxListEntries + 1)
	if err != nil && err != io.EOF {
		x.s.log.Warn("list_directory: read failed", "path", p, "err", err)
		return toolError("could not list " + echo(p)), nil, nil
	}
	truncated := len(des) > maxListEntries
	if truncated {
		des = des[:maxListEntries]
	}
	entries := make([]dirEntry, 0, len(des))
	for _, de := range des {
		// A name that is not UTF-8 cannot travel in JSON as it is.
		entries = append(entries, dirEntry{Name: strings.ToValidUTF8(de.Name(), "\uFFFD"), Kind: entryKind(de.Type())})
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].Name < entries[j].Name })
	var b strings.Builder
	fmt.Fprintf(&b, "%d entries in %s", len(entries), echo(p))
	if truncated {
		fmt.Fprintf(&b, " (the directory holds more; only %d are listed)", maxListEntries)
	}
	b.WriteString(":")
	for _, e := range entries {
		b.WriteString("\n" + e.Kind + "\t" + e.Name)
	}
	out := struct {
		Path      string     `json:"path"`
		Entries   []dirEntry `json:"entries"`
		Truncated bool       `json:"truncated"`
	}{p, entries, truncated}
	return structuredResult(b.String(), out), nil, nil
}

// entryKind names the type of a directory entry.
func entryKind(m fs.FileMode) string {
	switch {
	case m&fs.ModeSymlink != 0:
		return "symlink"
	case m.IsDir():
		return "directory"
	case m.IsRegular():
		return "file"
	}
	return "other"
}

// errResourceTooLarge refuses a file over maxFileBytes.
func errResourceTooLarge(uri string) *rpcError {
	return errInvalid(map[string]any{"uri": uri, "limit": maxFileBytes}, "Invalid params: the resource is larger than this server's limit of 1 MiB (%d bytes)", maxFileBytes)
}

// readResource serves resources/read of a file:// URI: the URI is parsed
// with net/url (no query or fragment, no user, host empty or "localhost"),
// its path decoded exactly once, and opened as an absolute path argument
// is. Every URI it does not serve gets errResourceNotFound.
func (fa *fileAccess) readResource(x *exchange, uri string, _ map[string]string, _ *inputs) (*wire.ReadResourceResult, *ask, *rpcError) {
	p, ok := fileURIPath(uri)
	if !ok || pathProblem(p) != "" {
		return nil, nil, errResourceNotFound(uri)
	}
	f, fi, err := fa.open(p)
	if err != nil {
		return nil, nil, errResourceNotFound(uri)
	}
	defer f.Close()
	if !fi.Mode().IsRegular() {
		return nil, nil, errResourceNotFound(uri)
	}
	b, over, err := readBounded(f)
	switch {
	case over:
		return nil, nil, errResourceTooLarge(uri)
	case err != nil:
		x.s.log.Warn("resources/read: read failed", "uri", uri, "err", err)
		return nil, nil, errInternal("could not read the resource")
	}
	// A file can change at any time and may be the operator's private
	// data: immediately stale, and never shared across callers.
	if utf8.Valid(b) {
		return readResult(textResource(uri, "", string(b)), 0, wire.CacheScopePrivate), nil, nil
	}
	return readResult(blobResource(uri, "", base64.StdEncoding.EncodeToString(b)), 0, wire.CacheScopePrivate), nil, nil
}

// isFileURI reports whether uri has the file scheme (case-insensitively).
func isFileURI(uri string) bool {
	return len(uri) >= 5 && strings.EqualFold(uri[:5], "file:")
}

// fileURIPath is the local path of a file:// URI, percent-decoded once;
// ok is false for a URI that is not a well-formed file URI of this host.
func fileURIPath(uri string) (string, bool) {
	if wire.URIProblem(uri) != "" {
		return "", false
	}
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || u.Opaque != "" || u.User != nil ||
		(u.Host != "" && !strings.EqualFold(u.Host, "localhost")) ||
		u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || !strings.HasPrefix(u.Path, "/") {
		return "", false
	}
	p := u.Path
	if runtime.GOOS == "windows" {
		// file:///C:/dir/file names C:\dir\file.
		p = filepath.FromSlash(strings.TrimPrefix(p, "/"))
	}
	if !filepath.IsAbs(p) {
		return "", false
	}
	return p, true
}
