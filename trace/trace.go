package trace

import (
	"bufio"
	"bytes"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/wire"
	"golang.org/x/tools/txtar"
)

// Trace is a transcript: header fields and exchanges in order.
type Trace struct {
	// Fields are the "key: value" lines of the archive comment, in order.
	// Keys used by mcpverify: "transport" (http or stdio), "want"
	// (requirement IDs a bad trace must produce), "note" (free text),
	// "check", "seed", "target".
	Fields []Field
	// Exchanges in the order they happened.
	Exchanges []*wire.Exchange
}

// Field is one header line.
type Field struct{ Key, Value string }

// Get returns the value of the first field named key, or "".
func (t *Trace) Get(key string) string {
	for _, f := range t.Fields {
		if f.Key == key {
			return f.Value
		}
	}
	return ""
}

// Set replaces the first field named key, or appends one.
func (t *Trace) Set(key, value string) {
	for i := range t.Fields {
		if t.Fields[i].Key == key {
			t.Fields[i].Value = value
			return
		}
	}
	t.Fields = append(t.Fields, Field{key, value})
}

// fieldKey is the form of a header key: a word, so that no header line
// Format writes can read as a txtar file marker ("-- name --").
var fieldKey = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_.-]*$`)

// Parse reads a trace from the txtar format:
//
//	transport: http
//	want: CORE-META-REQUIRED
//	-- 1.request --
//	POST /mcp HTTP/1.1
//	Mcp-Method: tools/list
//
//	{"jsonrpc":"2.0", ...}
//	-- 1.response --
//	HTTP/1.1 200 OK
//	Content-Type: application/json
//
//	{"jsonrpc":"2.0", ...}
//
// On stdio the files are N.stdin (one line) and N.stdout (the lines the
// server wrote for it). An optional N.meta holds "conn", "instance", "at"
// (a Go duration), "outcome", "cancel-at" (a duration after at) and
// "line-at" (comma-separated durations) lines. Files of one exchange share the
// number N; exchanges are ordered by N. The newline that txtar adds at the
// end of each file is not part of a body.
func Parse(data []byte) (*Trace, error) {
	ar := txtar.Parse(data)
	t := &Trace{}
	sc := bufio.NewScanner(bytes.NewReader(ar.Comment))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok || !fieldKey.MatchString(strings.TrimSpace(k)) {
			return nil, fmt.Errorf("header line %q: want key: value, the key a word of letters, digits, '-', '_' and '.'", line)
		}
		t.Fields = append(t.Fields, Field{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	transport := wire.HTTP
	switch tr := t.Get("transport"); tr {
	case "", "http":
	case "stdio":
		transport = wire.Stdio
	default:
		return nil, fmt.Errorf("transport %q: want http or stdio", tr)
	}
	byNum := map[int]*wire.Exchange{}
	for _, f := range ar.Files {
		numStr, kind, ok := strings.Cut(f.Name, ".")
		n, err := strconv.Atoi(numStr)
		if !ok || err != nil || n < 1 {
			return nil, fmt.Errorf("file %q: want N.request, N.response, N.stdin, N.stdout or N.meta", f.Name)
		}
		ex := byNum[n]
		if ex == nil {
			ex = &wire.Exchange{Transport: transport}
			byNum[n] = ex
		}
		body := trimFinalNewline(f.Data)
		switch {
		case kind == "request" && transport == wire.HTTP:
			err = parseRequest(ex, body)
		case kind == "response" && transport == wire.HTTP:
			err = parseResponse(ex, body)
		case kind == "stdin" && transport == wire.Stdio:
			ex.Body = bytes.Clone(body)
		case kind == "stdout" && transport == wire.Stdio:
			for _, l := range bytes.Split(body, []byte("\n")) {
				if len(l) > 0 {
					ex.Lines = append(ex.Lines, bytes.Clone(l))
				}
			}
		case kind == "meta":
			err = parseMeta(ex, body)
		default:
			err = fmt.Errorf("unexpected file for transport %s", transport)
		}
		if err != nil {
			return nil, fmt.Errorf("file %s: %w", f.Name, err)
		}
	}
	nums := make([]int, 0, len(byNum))
	for n := range byNum {
		nums = append(nums, n)
	}
	sort.Ints(nums)
	for _, n := range nums {
		ex := byNum[n]
		if ex.Transport == wire.HTTP && ex.HTTPMethod == "" {
			// Format writes a request for every HTTP exchange: one
			// without it would come back as a POST.
			return nil, fmt.Errorf("exchange %d has no %d.request", n, n)
		}
		t.Exchanges = append(t.Exchanges, ex)
	}
	return t, nil
}

func trimFinalNewline(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		return b[:n-1]
	}
	return b
}

// splitHead splits an HTTP message into its first line, headers and body.
func splitHead(b []byte) (first string, h http.Header, body []byte, err error) {
	head, body, found := bytes.Cut(b, []byte("\n\n"))
	if !found {
		head, body = b, nil
	}
	// Header names are kept as written, not canonicalized: the case a
	// client used is part of what some checks send (lower-case names must
	// be accepted). Look them up with wire.HeaderValues.
	lines := strings.Split(string(head), "\n")
	first = strings.TrimSpace(lines[0])
	h = http.Header{}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return "", nil, nil, fmt.Errorf("header line %q: want Name: value", l)
		}
		h[k] = append(h[k], strings.TrimLeft(v, " "))
	}
	return first, h, bytes.Clone(body), nil
}

func parseRequest(ex *wire.Exchange, b []byte) error {
	first, h, body, err := splitHead(b)
	if err != nil {
		return err
	}
	method, rest, ok := strings.Cut(first, " ")
	if !ok {
		return fmt.Errorf("request line %q: want METHOD PATH HTTP/1.1", first)
	}
	target, _, _ := strings.Cut(rest, " ")
	_, ex.Query, _ = strings.Cut(target, "?")
	ex.HTTPMethod, ex.Header, ex.Body = method, h, body
	return nil
}

func parseResponse(ex *wire.Exchange, b []byte) error {
	first, h, body, err := splitHead(b)
	if err != nil {
		return err
	}
	f := strings.Fields(first)
	if len(f) < 2 || !strings.HasPrefix(f[0], "HTTP/") {
		return fmt.Errorf("status line %q: want HTTP/1.1 CODE TEXT", first)
	}
	code, err := strconv.Atoi(f[1])
	if err != nil {
		return fmt.Errorf("status line %q: %w", first, err)
	}
	ex.Status, ex.RespHeader, ex.RespBody = code, h, body
	return nil
}

// credential returns ex's credential record, made on first use.
func credential(ex *wire.Exchange) *wire.Credential {
	if ex.Credential == nil {
		ex.Credential = &wire.Credential{}
	}
	return ex.Credential
}

func parseMeta(ex *wire.Exchange, b []byte) error {
	for _, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) == "" {
			continue
		}
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			return fmt.Errorf("meta line %q: want key: value", l)
		}
		v = strings.TrimSpace(v)
		var err error
		switch strings.TrimSpace(k) {
		case "conn":
			ex.Conn, err = strconv.Atoi(v)
		case "instance":
			ex.Instance, err = strconv.Atoi(v)
		case "at":
			ex.At, err = time.ParseDuration(v)
		case "outcome":
			ex.Outcome, err = wire.ParseOutcome(v)
		case "cancel-at":
			ex.CancelAt, err = time.ParseDuration(v)
		case "credential":
			credential(ex).Case = v
		case "credential-principal":
			credential(ex).Principal = v
		case "credential-claims":
			credential(ex).Claims = v
		case "credential-resource":
			credential(ex).Resource = v
		case "credential-scope":
			credential(ex).Scope = v
		case "line-at":
			ex.LineAt = nil
			for _, f := range strings.Split(v, ",") {
				var d time.Duration
				if d, err = time.ParseDuration(strings.TrimSpace(f)); err != nil {
					break
				}
				ex.LineAt = append(ex.LineAt, d)
			}
		default:
			err = fmt.Errorf("unknown meta key %q", k)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Format writes t in the format Parse reads (with a transport field for a
// stdio trace that has none).
func Format(t *Trace) []byte {
	ar := &txtar.Archive{}
	var c bytes.Buffer
	// Parse reads a trace without a transport field as HTTP: a stdio
	// trace says so.
	if t.Get("transport") == "" && len(t.Exchanges) > 0 && t.Exchanges[0].Transport == wire.Stdio {
		c.WriteString("transport: stdio\n")
	}
	for _, f := range t.Fields {
		fmt.Fprintf(&c, "%s: %s\n", f.Key, f.Value)
	}
	ar.Comment = c.Bytes()
	for i, ex := range t.Exchanges {
		n := strconv.Itoa(i + 1)
		if ex.Transport == wire.Stdio {
			ar.Files = append(ar.Files,
				txtar.File{Name: n + ".stdin", Data: withNewline(ex.Body)},
				txtar.File{Name: n + ".stdout", Data: withNewline(bytes.Join(ex.Lines, []byte("\n")))})
		} else {
			ar.Files = append(ar.Files,
				txtar.File{Name: n + ".request", Data: formatRequest(ex)},
				txtar.File{Name: n + ".response", Data: formatResponse(ex)})
		}
		if meta := formatMeta(ex); len(meta) > 0 {
			ar.Files = append(ar.Files, txtar.File{Name: n + ".meta", Data: meta})
		}
	}
	return txtar.Format(ar)
}

func withNewline(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append(bytes.Clone(b), '\n')
}

func formatHeader(b *bytes.Buffer, h http.Header) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, v)
		}
	}
}

func formatRequest(ex *wire.Exchange) []byte {
	var b bytes.Buffer
	m := ex.HTTPMethod
	if m == "" {
		m = "POST"
	}
	q := ""
	if ex.Query != "" {
		q = "?" + ex.Query
	}
	fmt.Fprintf(&b, "%s /mcp%s HTTP/1.1\n", m, q)
	formatHeader(&b, ex.Header)
	if len(ex.Body) > 0 {
		b.WriteByte('\n')
		b.Write(ex.Body)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func formatResponse(ex *wire.Exchange) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "HTTP/1.1 %d %s\n", ex.Status, http.StatusText(ex.Status))
	formatHeader(&b, ex.RespHeader)
	if len(ex.RespBody) > 0 {
		b.WriteByte('\n')
		b.Write(ex.RespBody)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func formatMeta(ex *wire.Exchange) []byte {
	var b bytes.Buffer
	if ex.Conn != 0 {
		fmt.Fprintf(&b, "conn: %d\n", ex.Conn)
	}
	if ex.Instance != 0 {
		fmt.Fprintf(&b, "instance: %d\n", ex.Instance)
	}
	if ex.At != 0 {
		fmt.Fprintf(&b, "at: %s\n", ex.At)
	}
	if ex.Outcome != wire.Complete {
		fmt.Fprintf(&b, "outcome: %s\n", ex.Outcome)
	}
	if ex.CancelAt != 0 {
		fmt.Fprintf(&b, "cancel-at: %s\n", ex.CancelAt)
	}
	if c := ex.Credential; c != nil {
		fmt.Fprintf(&b, "credential: %s\n", c.Case)
		if c.Principal != "" {
			fmt.Fprintf(&b, "credential-principal: %s\n", c.Principal)
		}
		if c.Claims != "" {
			fmt.Fprintf(&b, "credential-claims: %s\n", c.Claims)
		}
		if c.Resource != "" {
			fmt.Fprintf(&b, "credential-resource: %s\n", c.Resource)
		}
		if c.Scope != "" {
			fmt.Fprintf(&b, "credential-scope: %s\n", c.Scope)
		}
	}
	if len(ex.LineAt) > 0 {
		at := make([]string, len(ex.LineAt))
		for i, d := range ex.LineAt {
			at[i] = d.String()
		}
		fmt.Fprintf(&b, "line-at: %s\n", strings.Join(at, ","))
	}
	return b.Bytes()
}
