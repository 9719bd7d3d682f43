package impl

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// fileTree is a workspace to allow and canaries around it:
//
//	parent/canary.txt            outside: the workspace's parent
//	parent/ws/                   the allowed directory
//	parent/ws-evil/canary.txt    outside: a sibling whose name has the workspace's as prefix
//	other/canary.txt             outside: an unrelated directory
//
// The workspace holds files, a subdirectory, a non-UTF-8 file, symlinks
// that stay inside and symlinks that lead outside (to a file, to a
// directory, through two links, by an absolute target), and a dangling
// one. No name inside the workspace contains "canary".
type fileTree struct {
	parent, ws, evil, other string
	// canaries are the contents of the canary files.
	canaries []string
}

const (
	helloText = "hello, world\n"
	innerText = "inner file\n"
	deepText  = "deep file\n"
)

var binaryBytes = []byte{0xff, 0xfe, 0x00, 0x80, 'x'}

func newFileTree(t *testing.T) *fileTree {
	t.Helper()
	ft := &fileTree{parent: t.TempDir(), other: t.TempDir()}
	ft.ws = filepath.Join(ft.parent, "ws")
	ft.evil = filepath.Join(ft.parent, "ws-evil")
	write := func(p string, b []byte) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for i, dir := range []string{ft.parent, ft.evil, ft.other} {
		c := fmt.Sprintf("CANARY-CONTENT-%d-7f3a", i)
		ft.canaries = append(ft.canaries, c)
		write(filepath.Join(dir, "canary.txt"), []byte(c))
	}
	write(filepath.Join(ft.ws, "hello.txt"), []byte(helloText))
	write(filepath.Join(ft.ws, "sub", "inner.txt"), []byte(innerText))
	write(filepath.Join(ft.ws, "sub", "deeper", "d.txt"), []byte(deepText))
	write(filepath.Join(ft.ws, "binary.bin"), binaryBytes)
	write(filepath.Join(ft.ws, "with space.txt"), []byte(helloText))
	links := map[string]string{
		"link-in":       "hello.txt",
		"link-in-dir":   "sub",
		"sub/link-up":   "../hello.txt", // .. that stays inside
		"link-out-file": "../canary.txt",
		"link-out-dir":  "..",
		"link-out-evil": "../ws-evil",
		"link-chain-1":  "link-chain-2",
		"link-chain-2":  "../canary.txt",
		"link-chain-d1": "sub/link-chain-d2",
		"link-abs-out":  filepath.Join(ft.parent, "canary.txt"),
		"link-abs-in":   filepath.Join(ft.ws, "hello.txt"),
		"link-abs-dir":  ft.other,
		"dangling":      "nothere.txt",
	}
	links["sub/link-chain-d2"] = "../../ws-evil"
	for name, target := range links {
		if err := os.Symlink(target, filepath.Join(ft.ws, name)); err != nil {
			t.Skipf("symlinks: %v", err)
		}
	}
	return ft
}

// refusalText is the one refusal of the file tools for a path.
func refusalText(p string) string {
	return "no such file or directory in the allowed directories: " + echo(p)
}

// noLeak fails if an answer holds a canary's content, or the word canary
// where the request did not name it.
func (ft *fileTree) noLeak(t *testing.T, asked string, body []byte) {
	t.Helper()
	for _, c := range ft.canaries {
		if bytes.Contains(body, []byte(c)) {
			t.Fatalf("the answer holds a canary's content %q: %s", c, body)
		}
	}
	if !strings.Contains(strings.ToLower(asked), "canary") && bytes.Contains(bytes.ToLower(body), []byte("canary")) {
		t.Fatalf("the answer names a canary the request did not: %s", body)
	}
}

// toolText is the text of a tool result's first content block.
func toolText(r *resp) string {
	s, _ := get(r.result(), "content", "0", "text").(string)
	return s
}

// TestFilesTools drives read_file and list_directory with every family of
// path: reads inside, and escapes that must all get the one refusal
// without anything of the canaries.
func TestFilesTools(t *testing.T) {
	ft := newFileTree(t)
	h := newHarness(t, Config{AllowedDirs: []string{ft.ws}})
	ws, parent := ft.ws, ft.parent
	abs := func(elem ...string) string { return filepath.Join(append([]string{ws}, elem...)...) }
	long := strings.Repeat("a/", 2500)
	type outcome int
	const (
		served  outcome = iota // the content (read_file) or an entry (list_directory)
		refused                // the one refusal, word for word
		invalid                // a bad-input tool error
		toolErr                // another tool error (inside the directory)
	)
	cases := []struct {
		family, name, tool, path string
		want                     outcome
		text                     string // served: the content, or an entry listed
	}{
		{"inside", "relative", "read_file", "hello.txt", served, helloText},
		{"inside", "dot-slash", "read_file", "./hello.txt", served, helloText},
		{"inside", "subdirectory", "read_file", "sub/inner.txt", served, innerText},
		{"inside", "deeper", "read_file", "sub/deeper/d.txt", served, deepText},
		{"inside", "dotdot-within", "read_file", "sub/../hello.txt", served, helloText},
		{"inside", "dotdot-within-deep", "read_file", "sub/deeper/../../hello.txt", served, helloText},
		{"inside", "space", "read_file", "with space.txt", served, helloText},
		{"inside", "absolute", "read_file", abs("hello.txt"), served, helloText},
		{"inside", "absolute-sub", "read_file", abs("sub", "inner.txt"), served, innerText},
		{"inside", "absolute-dotdot-within", "read_file", ws + "/sub/../hello.txt", served, helloText},
		{"inside", "absolute-double-slash", "read_file", ws + "//sub//inner.txt", served, innerText},
		{"inside", "symlink-to-file", "read_file", "link-in", served, helloText},
		{"inside", "symlink-to-dir", "read_file", "link-in-dir/inner.txt", served, innerText},
		{"inside", "symlink-dotdot-inside", "read_file", "sub/link-up", served, helloText},
		{"inside", "list-workspace", "list_directory", ".", served, "hello.txt"},
		{"inside", "list-absolute", "list_directory", ws, served, "sub"},
		{"inside", "list-trailing-slash", "list_directory", "sub/", served, "inner.txt"},
		{"inside", "list-absolute-trailing-slash", "list_directory", ws + "/sub/", served, "inner.txt"},
		{"inside", "list-through-symlink", "list_directory", "link-in-dir", served, "deeper"},

		{"missing", "relative", "read_file", "nothere.txt", refused, ""},
		{"missing", "absolute", "read_file", abs("nothere.txt"), refused, ""},
		{"missing", "list", "list_directory", "nothere", refused, ""},

		{"dotdot", "parent", "read_file", "../canary.txt", refused, ""},
		{"dotdot", "sub-up-two", "read_file", "sub/../../canary.txt", refused, ""},
		{"dotdot", "dot-then-up", "read_file", "./../canary.txt", refused, ""},
		{"dotdot", "deep-up-three", "read_file", "sub/deeper/../../../canary.txt", refused, ""},
		{"dotdot", "sibling", "read_file", "../ws-evil/canary.txt", refused, ""},
		{"dotdot", "up-and-back", "read_file", "../ws/../canary.txt", refused, ""},
		{"dotdot", "many", "read_file", strings.Repeat("../", 40) + "etc/passwd", refused, ""},
		{"dotdot", "list-parent", "list_directory", "..", refused, ""},
		{"dotdot", "list-parent-slash", "list_directory", "../", refused, ""},
		{"dotdot", "list-sub-up-two", "list_directory", "sub/../..", refused, ""},

		{"absolute-outside", "parent-file", "read_file", filepath.Join(parent, "canary.txt"), refused, ""},
		{"absolute-outside", "unrelated", "read_file", filepath.Join(ft.other, "canary.txt"), refused, ""},
		{"absolute-outside", "system", "read_file", "/etc/passwd", refused, ""},
		{"absolute-outside", "dotdot-in-absolute", "read_file", ws + "/../canary.txt", refused, ""},
		{"absolute-outside", "sub-dotdot-in-absolute", "read_file", ws + "/sub/../../canary.txt", refused, ""},
		{"absolute-outside", "list-parent", "list_directory", parent, refused, ""},
		{"absolute-outside", "list-root", "list_directory", "/", refused, ""},

		{"prefix-sibling", "file", "read_file", filepath.Join(ft.evil, "canary.txt"), refused, ""},
		{"prefix-sibling", "list", "list_directory", ft.evil, refused, ""},
		{"prefix-sibling", "via-dotdot", "read_file", ws + "/../ws-evil/canary.txt", refused, ""},

		{"symlink", "to-outside-file", "read_file", "link-out-file", refused, ""},
		{"symlink", "to-outside-dir", "read_file", "link-out-dir/canary.txt", refused, ""},
		{"symlink", "to-outside-dir-list", "list_directory", "link-out-dir", refused, ""},
		{"symlink", "to-prefix-sibling", "read_file", "link-out-evil/canary.txt", refused, ""},
		{"symlink", "chained-file", "read_file", "link-chain-1", refused, ""},
		{"symlink", "chained-dir", "read_file", "link-chain-d1/canary.txt", refused, ""},
		{"symlink", "absolute-target-outside", "read_file", "link-abs-out", refused, ""},
		{"symlink", "absolute-target-inside", "read_file", "link-abs-in", refused, ""},
		{"symlink", "absolute-target-dir", "read_file", "link-abs-dir/canary.txt", refused, ""},
		{"symlink", "absolute-path-through-link", "read_file", abs("link-out-file"), refused, ""},
		{"symlink", "dangling", "read_file", "dangling", refused, ""},

		{"percent", "encoded-dotdot", "read_file", "%2e%2e/canary.txt", refused, ""},
		{"percent", "encoded-slash", "read_file", "..%2fcanary.txt", refused, ""},
		{"percent", "double-encoded", "read_file", "%252e%252e/canary.txt", refused, ""},
		{"percent", "encoded-name-inside", "read_file", "%68ello.txt", refused, ""},

		{"backslash", "parent", "read_file", `..\canary.txt`, refused, ""},
		{"backslash", "sub-up-two", "read_file", `sub\..\..\canary.txt`, refused, ""},
		{"backslash", "absolute", "read_file", ws + `\..\canary.txt`, refused, ""},

		{"trailing", "slash", "read_file", "../canary.txt/", refused, ""},
		{"trailing", "slash-dot", "read_file", "../canary.txt/.", refused, ""},
		{"trailing", "dot", "read_file", "../canary.txt.", refused, ""},
		{"trailing", "dots", "read_file", "../canary.txt...", refused, ""},
		{"trailing", "three-dots", "read_file", ".../canary.txt", refused, ""},
		{"trailing", "file-slash", "read_file", "hello.txt/", refused, ""},
		{"trailing", "absolute-file-slash", "read_file", abs("hello.txt") + "/", refused, ""},
		{"trailing", "absolute-file-slash-dot", "read_file", abs("hello.txt") + "/.", refused, ""},
		{"trailing", "absolute-sibling-slash", "list_directory", ft.evil + "/", refused, ""},

		{"bad-input", "empty", "read_file", "", invalid, ""},
		{"bad-input", "nul", "read_file", "hello.txt\x00", invalid, ""},
		{"bad-input", "nul-escape", "read_file", "../canary.txt\x00.png", invalid, ""},
		{"bad-input", "nul-list", "list_directory", "\x00", invalid, ""},
		{"bad-input", "5000-bytes", "read_file", long, invalid, ""},
		{"bad-input", "5000-bytes-escape", "read_file", strings.Repeat("../", 1667), invalid, ""},
		{"bad-input", "5000-bytes-list", "list_directory", long, invalid, ""},

		{"kind", "read-a-directory", "read_file", "sub", toolErr, "is a directory"},
		{"kind", "list-a-file", "list_directory", "hello.txt", toolErr, "is not a directory"},
		{"kind", "not-utf8", "read_file", "binary.bin", toolErr, "not a text file"},
	}
	for _, c := range cases {
		t.Run(c.family+"/"+c.name, func(t *testing.T) {
			r := callAs(h, "", c.tool, map[string]any{"path": c.path}, nil)
			if r.errCode() != 0 || r.result() == nil {
				t.Fatalf("want a tool result, got: %s", r.body)
			}
			ft.noLeak(t, c.path, r.body)
			isErr := get(r.result(), "isError") == true
			text := toolText(r)
			switch c.want {
			case served:
				if isErr {
					t.Fatalf("refused: %s", r.body)
				}
				if c.tool == "read_file" && text != c.text {
					t.Fatalf("content %q; want %q", text, c.text)
				}
				if c.tool == "list_directory" && !listed(r, c.text) {
					t.Fatalf("%q not listed: %s", c.text, r.body)
				}
			case refused:
				if !isErr || text != refusalText(c.path) || len(get(r.result(), "content").([]any)) != 1 || get(r.result(), "structuredContent") != nil {
					t.Fatalf("want the refusal %q alone, got: %s", refusalText(c.path), r.body)
				}
			case invalid:
				if !isErr || !(strings.HasPrefix(text, "invalid path:") || strings.HasPrefix(text, "Invalid arguments for tool")) {
					t.Fatalf("want a bad-input tool error, got: %s", r.body)
				}
			case toolErr:
				if !isErr || !strings.Contains(text, c.text) {
					t.Fatalf("want a tool error saying %q, got: %s", c.text, r.body)
				}
			}
			if len(r.body) > 4096 && c.want != served {
				t.Errorf("a %d-byte answer to a refusal", len(r.body))
			}
		})
	}
}

// listed reports whether a list_directory result names an entry, in its
// structuredContent and in its text.
func listed(r *resp, name string) bool {
	entries, _ := get(r.result(), "structuredContent", "entries").([]any)
	for _, e := range entries {
		if get(e, "name") == name {
			return strings.Contains(toolText(r), "\t"+name)
		}
	}
	return false
}

// TestFilesListDirectory: the workspace's entries with their kinds, in
// text and in structuredContent (checked against the outputSchema by the
// server), and a directory over the limit says it is cut short.
func TestFilesListDirectory(t *testing.T) {
	ft := newFileTree(t)
	big := filepath.Join(ft.ws, "big")
	if err := os.Mkdir(big, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range maxListEntries + 5 {
		if err := os.WriteFile(filepath.Join(big, fmt.Sprintf("f%04d", i)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, Config{AllowedDirs: []string{ft.ws}})
	r := callAs(h, "", "list_directory", map[string]any{"path": "."}, nil)
	kinds := map[string]string{}
	entries, _ := get(r.result(), "structuredContent", "entries").([]any)
	for _, e := range entries {
		kinds[get(e, "name").(string)] = get(e, "kind").(string)
	}
	want := map[string]string{"hello.txt": "file", "binary.bin": "file", "sub": "directory", "big": "directory",
		"link-in": "symlink", "link-out-file": "symlink", "link-out-dir": "symlink", "dangling": "symlink"}
	for name, kind := range want {
		if kinds[name] != kind {
			t.Errorf("entry %s: kind %q; want %q (%s)", name, kinds[name], kind, r.body)
		}
	}
	if get(r.result(), "structuredContent", "truncated") != false || get(r.result(), "structuredContent", "path") != "." {
		t.Errorf("structuredContent: %s", r.body)
	}
	ft.noLeak(t, ".", r.body)

	r = callAs(h, "", "list_directory", map[string]any{"path": "big"}, nil)
	entries, _ = get(r.result(), "structuredContent", "entries").([]any)
	if get(r.result(), "isError") == true || len(entries) != maxListEntries || get(r.result(), "structuredContent", "truncated") != true ||
		!strings.Contains(toolText(r), fmt.Sprintf("only %d are listed", maxListEntries)) {
		t.Errorf("a directory of %d entries: %d listed, text %q", maxListEntries+5, len(entries), toolText(r))
	}
}

// TestFilesLimits: a file over 1 MiB is refused naming the limit, by the
// tool and by resources/read; a file of exactly 1 MiB is served; and no
// more than the limit and one byte is ever read.
func TestFilesLimits(t *testing.T) {
	ws := t.TempDir()
	if err := os.WriteFile(filepath.Join(ws, "big.txt"), bytes.Repeat([]byte("a"), 2<<20), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "exact.txt"), bytes.Repeat([]byte("b"), maxFileBytes), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{AllowedDirs: []string{ws}})
	r := callAs(h, "", "read_file", map[string]any{"path": "big.txt"}, nil)
	if get(r.result(), "isError") != true || !strings.Contains(toolText(r), "1 MiB (1048576 bytes)") || len(r.body) > 1024 {
		t.Errorf("read_file of 2 MiB: %.300s", r.body)
	}
	r = callAs(h, "", "read_file", map[string]any{"path": "exact.txt"}, nil)
	if get(r.result(), "isError") == true || len(toolText(r)) != maxFileBytes {
		t.Errorf("read_file of exactly 1 MiB: %d bytes, %.300s", len(toolText(r)), r.body)
	}
	uri := "file://" + filepath.ToSlash(ws) + "/big.txt"
	r = h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": uri}})
	if r.errCode() != -32602 || get(r.msg, "error", "data", "limit") != float64(maxFileBytes) || len(r.body) > 1024 {
		t.Errorf("resources/read of 2 MiB: %.300s", r.body)
	}

	// The bound holds for a file that never ends (or grows while read).
	var endless countingReader
	b, over, err := readBounded(&endless)
	if !over || b != nil || err != nil || endless.n != maxFileBytes+1 {
		t.Errorf("readBounded of an endless reader: over %v, %d bytes returned, %d read, err %v; want over after %d", over, len(b), endless.n, err, maxFileBytes+1)
	}
}

// countingReader is an endless reader that counts what is read of it.
type countingReader struct{ n int }

func (c *countingReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	c.n += len(p)
	return len(p), nil
}

var _ io.Reader = (*countingReader)(nil)

// TestFilesResources reads file:// URIs: inside, served once decoded;
// every escape family, and every URI that is not a plain file URI of this
// host, gets the resource-not-found error of any unknown resource.
func TestFilesResources(t *testing.T) {
	ft := newFileTree(t)
	h := newHarness(t, Config{AllowedDirs: []string{ft.ws}})
	base := "file://" + (&url.URL{Path: filepath.ToSlash(ft.ws)}).EscapedPath()
	parentURI := "file://" + (&url.URL{Path: filepath.ToSlash(ft.parent)}).EscapedPath()
	otherURI := "file://" + (&url.URL{Path: filepath.ToSlash(ft.other)}).EscapedPath()
	cases := []struct {
		family, name, uri string
		text              string // served as text
		blob              []byte // served as a blob
	}{
		{"inside", "file", base + "/hello.txt", helloText, nil},
		{"inside", "subdirectory", base + "/sub/inner.txt", innerText, nil},
		{"inside", "localhost", "file://localhost" + base[len("file://"):] + "/hello.txt", helloText, nil},
		{"inside", "upper-case-scheme", "FILE://" + base[len("file://"):] + "/hello.txt", helloText, nil},
		{"inside", "encoded-letter", base + "/%68ello.txt", helloText, nil},
		{"inside", "encoded-space", base + "/with%20space.txt", helloText, nil},
		{"inside", "dotdot-within", base + "/sub/../hello.txt", helloText, nil},
		{"inside", "encoded-dotdot-within", base + "/sub/%2e%2e/hello.txt", helloText, nil},
		{"inside", "symlink-inside", base + "/link-in", helloText, nil},
		{"inside", "binary", base + "/binary.bin", "", binaryBytes},

		{"missing", "file", base + "/nothere.txt", "", nil},
		{"missing", "directory-is-no-file", base + "/sub", "", nil},
		{"missing", "the-directory", base, "", nil},
		{"missing", "the-directory-slash", base + "/", "", nil},

		{"dotdot", "parent", base + "/../canary.txt", "", nil},
		{"dotdot", "sub-up-two", base + "/sub/../../canary.txt", "", nil},
		{"dotdot", "dot-then-up", base + "/./../canary.txt", "", nil},
		{"percent", "encoded-dotdot", base + "/%2e%2e/canary.txt", "", nil},
		{"percent", "encoded-dotdot-upper", base + "/%2E%2E/canary.txt", "", nil},
		{"percent", "encoded-dotdot-slash", base + "/..%2fcanary.txt", "", nil},
		{"percent", "encoded-sub-up-two", base + "/sub/%2e%2e/%2e%2e/canary.txt", "", nil},
		{"percent", "double-encoded", base + "/%252e%252e/canary.txt", "", nil},
		{"percent", "double-encoded-slash", base + "/..%252fcanary.txt", "", nil},

		{"absolute-outside", "parent", parentURI + "/canary.txt", "", nil},
		{"absolute-outside", "unrelated", otherURI + "/canary.txt", "", nil},
		{"absolute-outside", "system", "file:///etc/passwd", "", nil},
		{"prefix-sibling", "file", parentURI + "/ws-evil/canary.txt", "", nil},

		{"symlink", "to-outside-file", base + "/link-out-file", "", nil},
		{"symlink", "to-outside-dir", base + "/link-out-dir/canary.txt", "", nil},
		{"symlink", "to-prefix-sibling", base + "/link-out-evil/canary.txt", "", nil},
		{"symlink", "chained-file", base + "/link-chain-1", "", nil},
		{"symlink", "chained-dir", base + "/link-chain-d1/canary.txt", "", nil},
		{"symlink", "absolute-target", base + "/link-abs-out", "", nil},
		{"symlink", "absolute-target-dir", base + "/link-abs-dir/canary.txt", "", nil},
		{"symlink", "dangling", base + "/dangling", "", nil},

		{"backslash", "parent", base + `/..\canary.txt`, "", nil},
		{"backslash", "encoded", base + "/..%5ccanary.txt", "", nil},
		{"trailing", "slash", base + "/hello.txt/", "", nil},
		{"trailing", "slash-dot", base + "/hello.txt/.", "", nil},
		{"trailing", "outside-slash", base + "/../canary.txt/", "", nil},
		{"trailing", "dot", base + "/../canary.txt.", "", nil},

		{"uri", "other-host", "file://example.com" + base[len("file://"):] + "/hello.txt", "", nil},
		{"uri", "host-with-port", "file://localhost:80" + base[len("file://"):] + "/hello.txt", "", nil},
		{"uri", "user", "file://u@localhost" + base[len("file://"):] + "/hello.txt", "", nil},
		{"uri", "query", base + "/hello.txt?x=1", "", nil},
		{"uri", "fragment", base + "/hello.txt#top", "", nil},
		{"uri", "opaque", "file:hello.txt", "", nil},
		{"uri", "relative-host", "file://hello.txt", "", nil},
		{"uri", "nul", base + "/hello.txt%00", "", nil},
		{"uri", "nul-escape", base + "/../canary.txt%00.png", "", nil},
		{"uri", "5000-bytes", base + "/" + strings.Repeat("a/", 2500), "", nil},
		{"uri", "5000-bytes-escape", base + "/" + strings.Repeat("../", 1667), "", nil},
		{"uri", "bad-escape", base + "/%zz", "", nil},
	}
	for _, c := range cases {
		t.Run(c.family+"/"+c.name, func(t *testing.T) {
			r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": c.uri}})
			ft.noLeak(t, c.uri, r.body)
			switch {
			case c.text != "":
				if got := get(r.result(), "contents", "0", "text"); got != c.text || get(r.result(), "contents", "0", "uri") != c.uri {
					t.Fatalf("want the text %q, got: %s", c.text, r.body)
				}
			case c.blob != nil:
				b64, _ := get(r.result(), "contents", "0", "blob").(string)
				if b, err := base64.StdEncoding.DecodeString(b64); err != nil || !bytes.Equal(b, c.blob) {
					t.Fatalf("want the blob %x, got: %s", c.blob, r.body)
				}
			default:
				if r.errCode() != -32602 || get(r.msg, "error", "message") != "Resource not found: "+c.uri || get(r.msg, "error", "data", "uri") != c.uri {
					t.Fatalf("want resource not found, got: %s", r.body)
				}
			}
		})
	}
}

// TestFilesRefusalIsOneAnswer: an existing file outside, a missing file
// inside, a missing file outside and an unreadable file inside get the
// same answer, the path aside, from both tools and from resources/read.
func TestFilesRefusalIsOneAnswer(t *testing.T) {
	ft := newFileTree(t)
	paths := []string{
		filepath.Join(ft.parent, "canary.txt"),  // outside, exists
		filepath.Join(ft.ws, "nothere.txt"),     // inside, missing
		filepath.Join(ft.parent, "nothere.txt"), // outside, missing
		filepath.Join(ft.evil, "canary.txt"),    // prefix sibling, exists
		filepath.Join(ft.ws, "link-out-file"),   // inside, a link outside
		filepath.Join(ft.ws, "sub", "nothere"),  // inside, missing, deeper
		filepath.Join(ft.other, "canary.txt"),   // unrelated, exists
		filepath.Join(ft.ws, "dangling"),        // inside, a dangling link
		ft.ws + "/../canary.txt",                // dotdot, exists
	}
	if os.Geteuid() != 0 { // root reads whatever the mode says
		locked := filepath.Join(ft.ws, "locked.txt")
		if err := os.WriteFile(locked, []byte("locked"), 0o000); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, locked)
	}
	h := newHarness(t, Config{AllowedDirs: []string{ft.ws}})
	for _, tool := range []string{"read_file", "list_directory"} {
		var first string
		for _, p := range paths {
			r := callAs(h, "", tool, map[string]any{"path": p}, nil)
			ft.noLeak(t, p, r.body)
			got := strings.ReplaceAll(string(r.body), jsonString(t, echo(p)), "PATH")
			if first == "" {
				first = got
				if !strings.Contains(got, "no such file or directory in the allowed directories: PATH") {
					t.Fatalf("%s %s: %s", tool, p, r.body)
				}
			} else if got != first {
				t.Errorf("%s %s: answer\n%s\ndiffers from\n%s", tool, p, got, first)
			}
		}
	}
	var first string
	for _, p := range paths {
		uri := "file://" + (&url.URL{Path: filepath.ToSlash(p)}).EscapedPath()
		r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": uri}})
		got := strings.ReplaceAll(string(r.body), uri, "URI")
		if first == "" {
			first = got
			if r.errCode() != -32602 {
				t.Fatalf("resources/read %s: %s", uri, r.body)
			}
		} else if got != first {
			t.Errorf("resources/read %s: answer\n%s\ndiffers from\n%s", uri, got, first)
		}
	}
	// And it is the answer of any resource the server does not have.
	r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": "test://no-such-resource"}})
	if got := strings.ReplaceAll(string(r.body), "test://no-such-resource", "URI"); got != first {
		t.Errorf("an unknown resource: %s; want %s", got, first)
	}
}

// jsonString is s as a JSON string's contents (without the quotes).
func jsonString(t *testing.T, s string) string {
	t.Helper()
	b := bytes.NewBuffer(nil)
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		t.Fatal(err)
	}
	out := strings.TrimSpace(b.String())
	return out[1 : len(out)-1]
}

// TestFilesTemplates: one template per allowed directory, its URI the
// directory's, percent-encoded, with {+path}; no mimeType; no file is
// listed among the resources; the templates offer no completions.
func TestFilesTemplates(t *testing.T) {
	a, b := t.TempDir(), filepath.Join(t.TempDir(), "with space")
	if err := os.Mkdir(b, 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{AllowedDirs: []string{a, b}})
	tmpls, _ := get(h.do(rpc{Method: "resources/templates/list"}).result(), "resourceTemplates").([]any)
	var files []any
	for _, tm := range tmpls {
		if strings.HasPrefix(get(tm, "uriTemplate").(string), "file:") {
			files = append(files, tm)
		}
	}
	wantURI := []string{"file://" + filepath.ToSlash(a) + "/{+path}", "file://" + strings.ReplaceAll(filepath.ToSlash(b), " ", "%20") + "/{+path}"}
	if len(files) != 2 {
		t.Fatalf("file templates: %v", files)
	}
	for i, tm := range files {
		if get(tm, "uriTemplate") != wantURI[i] || get(tm, "mimeType") != nil || !strings.Contains(get(tm, "description").(string), "Reads a file under") {
			t.Errorf("template %d: %v; want uriTemplate %s", i, tm, wantURI[i])
		}
	}
	res := h.do(rpc{Method: "resources/list"})
	if strings.Contains(string(res.body), "file:") {
		t.Errorf("resources/list names files: %s", res.body)
	}
	r := h.do(rpc{Method: "completion/complete", Params: map[string]any{
		"ref":      map[string]any{"type": "ref/resource", "uri": wantURI[0]},
		"argument": map[string]any{"name": "path", "value": ""}}})
	if vals, _ := get(r.result(), "completion", "values").([]any); r.errCode() != 0 || len(vals) != 0 {
		t.Errorf("completion of a file template: %s", r.body)
	}
	// A relative path is the first directory's; the second is reached by
	// an absolute path.
	if err := os.WriteFile(filepath.Join(b, "x.txt"), []byte("in b"), 0o644); err != nil {
		t.Fatal(err)
	}
	if r := callAs(h, "", "read_file", map[string]any{"path": "x.txt"}, nil); get(r.result(), "isError") != true {
		t.Errorf("x.txt relative to the first directory: %s", r.body)
	}
	if r := callAs(h, "", "read_file", map[string]any{"path": filepath.Join(b, "x.txt")}, nil); toolText(r) != "in b" {
		t.Errorf("x.txt in the second directory: %s", r.body)
	}
	if r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": strings.Replace(wantURI[1], "{+path}", "x.txt", 1)}}); get(r.result(), "contents", "0", "text") != "in b" {
		t.Errorf("resources/read in the second directory: %s", r.body)
	}
}

// TestFilesAbsentWithoutAllowedDirs: without AllowedDirs there are no file
// tools and no file templates, and file:// URIs are unknown resources.
func TestFilesAbsentWithoutAllowedDirs(t *testing.T) {
	ft := newFileTree(t)
	h := newHarness(t, Config{})
	tools := string(h.do(rpc{Method: "tools/list"}).body)
	tmpls := string(h.do(rpc{Method: "resources/templates/list"}).body)
	if strings.Contains(tools, "read_file") || strings.Contains(tools, "list_directory") || strings.Contains(tmpls, "file:") {
		t.Errorf("file access offered without AllowedDirs: %s %s", tools, tmpls)
	}
	uri := "file://" + filepath.ToSlash(ft.ws) + "/hello.txt"
	if r := h.do(rpc{Method: "resources/read", Params: map[string]any{"uri": uri}}); r.errCode() != -32602 || strings.Contains(string(r.body), "hello, world") {
		t.Errorf("resources/read without AllowedDirs: %s", r.body)
	}
	if r := callAs(h, "", "read_file", map[string]any{"path": "hello.txt"}, nil); r.errCode() != -32602 {
		t.Errorf("read_file without AllowedDirs: %s", r.body)
	}
}

// TestFilesToolDefinitions: both tools are read-only, with input
// schemas, and list_directory has an outputSchema.
func TestFilesToolDefinitions(t *testing.T) {
	h := newHarness(t, Config{AllowedDirs: []string{t.TempDir()}})
	tools, _ := get(h.do(rpc{Method: "tools/list"}).result(), "tools").([]any)
	found := 0
	for _, tl := range tools {
		name := get(tl, "name")
		if name != "read_file" && name != "list_directory" {
			continue
		}
		found++
		if get(tl, "annotations", "readOnlyHint") != true || get(tl, "inputSchema", "properties", "path", "type") != "string" {
			t.Errorf("%s: %v", name, tl)
		}
		if (name == "list_directory") != (get(tl, "outputSchema") != nil) {
			t.Errorf("%s outputSchema: %v", name, get(tl, "outputSchema"))
		}
	}
	if found != 2 {
		t.Errorf("%d file tools listed; want 2", found)
	}
}

// TestAllowedDirsConfig: a missing path, a file and an empty string are
// configuration errors; a relative directory is made absolute.
func TestAllowedDirsConfig(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]string{{filepath.Join(dir, "missing")}, {file}, {""}, {dir, filepath.Join(dir, "missing")}} {
		if _, err := New(Config{AllowedDirs: bad}); err == nil || !strings.Contains(err.Error(), "AllowedDirs") {
			t.Errorf("AllowedDirs %q: err %v; want a configuration error", bad, err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "rel"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	h := newHarness(t, Config{AllowedDirs: []string{"rel"}})
	body := string(h.do(rpc{Method: "resources/templates/list"}).body)
	if !strings.Contains(body, "file://"+filepath.ToSlash(filepath.Join(dir, "rel"))+"/{+path}") {
		t.Errorf("a relative directory's template: %s", body)
	}
}

// TestFilesSchemaConformance: what the file tools, the templates and
// resources/read of files answer validates against schema.json.
func TestFilesSchemaConformance(t *testing.T) {
	ft := newFileTree(t)
	if err := os.WriteFile(filepath.Join(ft.ws, "big.txt"), bytes.Repeat([]byte("a"), maxFileBytes+1), 0o644); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, Config{AllowedDirs: []string{ft.ws}})
	base := "file://" + filepath.ToSlash(ft.ws)
	reqs := []rpc{{Method: "tools/list"}, {Method: "resources/templates/list"}, {Method: "resources/list"}}
	for _, tc := range []struct{ tool, path string }{
		{"read_file", "hello.txt"}, {"read_file", "../canary.txt"}, {"read_file", "binary.bin"}, {"read_file", "big.txt"}, {"read_file", ""},
		{"list_directory", "."}, {"list_directory", "sub"}, {"list_directory", ".."}, {"list_directory", "hello.txt"},
	} {
		reqs = append(reqs, rpc{Method: "tools/call", Params: map[string]any{"name": tc.tool, "arguments": map[string]any{"path": tc.path}}})
	}
	for _, p := range []string{"/hello.txt", "/binary.bin", "/big.txt", "/../canary.txt", "/nothere"} {
		reqs = append(reqs, rpc{Method: "resources/read", Params: map[string]any{"uri": base + p}})
	}
	for _, r := range reqs {
		res := h.do(r)
		if res.msg == nil {
			t.Fatalf("%s: no JSON answer: %s", r.Method, res.body)
		}
		checkSchema(t, r.Method, res.msg)
	}
}

// TestEchoBound: an answer repeats at most maxEchoBytes of a path argument,
// cut before a character that would not fit whole, and says it was cut.
func TestEchoBound(t *testing.T) {
	a := func(n int) string { return strings.Repeat("a", n) }
	for _, c := range []struct{ p, want string }{
		{a(maxEchoBytes), strconv.Quote(a(maxEchoBytes))},
		{a(maxEchoBytes + 1), strconv.Quote(a(maxEchoBytes)) + "..."},
		{a(maxEchoBytes-1) + "é" + "bbb", strconv.Quote(a(maxEchoBytes-1)) + "..."},
		{a(maxEchoBytes-2) + "€" + "x", strconv.Quote(a(maxEchoBytes-2)) + "..."},
		{a(maxEchoBytes-1) + "€", strconv.Quote(a(maxEchoBytes-1)) + "..."},
		// Not UTF-8 at all (a path argument never is, once decoded; echo
		// must not fail on it either).
		{strings.Repeat("\x80", maxEchoBytes+44), `""...`},
	} {
		if got := echo(c.p); got != c.want {
			t.Errorf("echo of %d bytes ending %q: %q, want %q", len(c.p), c.p[len(c.p)-4:], got, c.want)
		}
	}
}

// TestFilesNestedDirs: when allowed directories nest, an absolute path is
// opened through the innermost one, which confines it: a link in the inner
// directory that leads out of it is refused, even into the outer one,
// while the same file named under the outer directory is served.
func TestFilesNestedDirs(t *testing.T) {
	ft := newFileTree(t)
	sub := filepath.Join(ft.ws, "sub")
	h := newHarness(t, Config{AllowedDirs: []string{ft.ws, sub}})
	read := func(p string) *resp { return callAs(h, "", "read_file", map[string]any{"path": p}, nil) }
	if r := read(filepath.Join(sub, "link-up")); toolText(r) != refusalText(filepath.Join(sub, "link-up")) {
		t.Errorf("a link out of the inner directory: %.300s", r.body)
	}
	if r := read(filepath.Join(ft.ws, "hello.txt")); toolText(r) != helloText {
		t.Errorf("the file in the outer directory: %.300s", r.body)
	}
	if r := read(filepath.Join(sub, "inner.txt")); toolText(r) != innerText {
		t.Errorf("a file of the inner directory: %.300s", r.body)
	}
}

// TestFilesListDirectoryEdges: an empty directory lists no entries (not an
// error); a directory of exactly maxListEntries entries is listed whole,
// in ascending order of name, and not said to be cut short.
func TestFilesListDirectoryEdges(t *testing.T) {
	ws := t.TempDir()
	if err := os.Mkdir(filepath.Join(ws, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	full := filepath.Join(ws, "full")
	if err := os.Mkdir(full, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range maxListEntries {
		if err := os.WriteFile(filepath.Join(full, fmt.Sprintf("f%04d", (i*7)%maxListEntries)), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	h := newHarness(t, Config{AllowedDirs: []string{ws}})
	for dir, n := range map[string]int{"empty": 0, "full": maxListEntries} {
		r := callAs(h, "", "list_directory", map[string]any{"path": dir}, nil)
		entries, ok := get(r.result(), "structuredContent", "entries").([]any)
		if !ok || get(r.result(), "isError") == true || len(entries) != n || get(r.result(), "structuredContent", "truncated") != false {
			t.Errorf("%s: %d entries listed, want %d: %.300s", dir, len(entries), n, r.body)
			continue
		}
		for i, e := range entries {
			if name := get(e, "name"); name != fmt.Sprintf("f%04d", i) {
				t.Fatalf("%s: entry %d is %v; want ascending order", dir, i, name)
			}
		}
	}
}
