package faulty

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
	"github.com/mcpverify/mcpverify/wire"
)

// Variants that get the per-request _meta, the protocol version or the
// mirrored headers of Streamable HTTP wrong, one defect each. They are
// caught by the checks of the meta, versions and headers areas.

func init() {
	Register(&Variant{
		Name:   "version-header-only",
		Defect: "checks only the MCP-Protocol-Version header: the body's _meta protocolVersion is overwritten with the header's before the server reads it",
		Breaks: []spec.ID{spec.HttpVersionMismatch},
		Only:   []string{"versions/body-differs"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(r *http.Request, msg map[string]any) bool {
				vs := r.Header.Values(wire.HeaderProtocolVersion)
				meta := hdrMeta(msg, false)
				if _, ok := meta[wire.MetaProtocolVersion]; !ok || len(vs) != 1 {
					return false
				}
				meta[wire.MetaProtocolVersion] = vs[0]
				return true
			})
		},
	})
	Register(&Variant{
		Name:   "mcp-method-from-body",
		Defect: "ignores Mcp-Method: for the methods it serves, the header is overwritten with the body's method (present or not) before the server reads it",
		Breaks: []spec.ID{spec.HttpHeaderRequired, spec.HttpHeaderMismatch, spec.HttpHeaderInvalid},
		Only:   []string{"headers/mcp-method"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if msg, ok := message(r); ok {
					if m, ok := msg["method"].(string); ok {
						if _, known := wire.LookupMethod(m); known {
							r.Header[wire.HeaderMethod] = []string{m}
						}
					}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "mcp-name-routed-body-executed",
		Defect: "routes by Mcp-Name but executes the body: a present Mcp-Name that does not match the body (or is invalid, or repeated) is rewritten to the body's name instead of being refused",
		Breaks: []spec.ID{spec.HttpHeaderMismatch, spec.HttpHeaderInvalid},
		Only:   []string{"headers/mcp-name"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if _, present := r.Header[wire.HeaderName]; present {
					msg, _ := message(r)
					if name, ok := hdrBodyName(msg); ok {
						r.Header[wire.HeaderName] = []string{wire.EncodeHeaderValue(name)}
					}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "mcp-name-base64-undecoded",
		Defect: "does not decode the Base64 sentinel form of Mcp-Name: an encoded name is compared as is, and refused as a mismatch",
		Breaks: []spec.ID{spec.HttpHeaderBase64},
		Only:   []string{"headers/mcp-name"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				for _, v := range r.Header.Values(wire.HeaderName) {
					if wire.IsSentinel(v) {
						msg, _ := message(r)
						if name, ok := hdrBodyName(msg); ok && name != v {
							writeRPCError(w, http.StatusBadRequest, hdrID(msg), wire.CodeHeaderMismatch,
								fmt.Sprintf("Header mismatch: Mcp-Name header value %q does not match body value %q", v, name))
							return
						}
					}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "header-names-case-sensitive",
		Defect: "matches MCP header names case-sensitively: a request whose Mcp-*/MCP-Protocol-Version names are not spelt canonically is refused with -32020 (seen on the second and later requests of a connection, whose raw header lines this variant reads)",
		Breaks: []spec.ID{spec.HttpHeaderNameCase},
		Only:   []string{"headers/case-insensitive-names"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return &caseSensitiveNames{next: next}
		},
	})
	Register(&Variant{
		Name:   "obs-fold-continuation-dropped",
		Defect: "reads only the first line of a folded (obs-fold) header field instead of refusing the request or reading the fold as a space: a folded Mcp-Method is read without its continuation, and served (net/http has unfolded the line into a space before the handler runs, so the first line is the value up to that space)",
		Breaks: []spec.ID{spec.HttpHeaderLineMalformed},
		Only:   []string{"headers/raw-malformed"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if first, _, folded := strings.Cut(r.Header.Get(wire.HeaderMethod), " "); folded {
					r.Header.Set(wire.HeaderMethod, first)
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "meta-defaults-filled",
		Defect: "accepts requests without the required _meta fields: a missing or null _meta, protocolVersion (taken from the header) or clientCapabilities ({}) is filled in before the server reads the request",
		Breaks: []spec.ID{spec.CoreMetaRequired},
		Only:   []string{"meta/required-fields"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(r *http.Request, msg map[string]any) bool {
				if _, ok := msg["method"].(string); !ok {
					return false
				}
				meta := hdrMeta(msg, true)
				if meta == nil {
					return false
				}
				version := r.Header.Get(wire.HeaderProtocolVersion)
				if version == "" {
					version = wire.Version
				}
				changed := false
				if meta[wire.MetaProtocolVersion] == nil {
					meta[wire.MetaProtocolVersion], changed = version, true
				}
				if meta[wire.MetaClientCapabilities] == nil {
					meta[wire.MetaClientCapabilities], changed = map[string]any{}, true
				}
				return changed
			})
		},
	})
	Register(&Variant{
		Name:   "log-level-unknown-ignored",
		Defect: "ignores a _meta logLevel it does not recognize (the request is served without logging) instead of refusing it with -32602",
		Breaks: []spec.ID{spec.CoreLogInvalidLevel},
		Only:   []string{"meta/log-level"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return bodyEdited(next, func(_ *http.Request, msg map[string]any) bool {
				meta := hdrMeta(msg, false)
				level, ok := meta[wire.MetaLogLevel].(string)
				if !ok || wire.LogLevelRank(level) >= 0 {
					return false
				}
				delete(meta, wire.MetaLogLevel)
				return true
			})
		},
	})
	Register(&Variant{
		Name:   "meta-missing-status-200",
		Defect: "answers a request that lacks a required _meta field with the right -32602 error but HTTP 200",
		Breaks: []spec.ID{spec.HttpMetaStatus},
		Only:   []string{"meta/required-fields"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if msg, ok := message(r); ok && hdrMetaMissing(msg) {
					refusalStatus(next, w, r, wire.CodeInvalidParams, http.StatusOK)
					return
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "version-header-missing-accepted",
		Defect: "serves a request without MCP-Protocol-Version as if the header named the body's _meta protocolVersion, though it does not serve clients older than 2025-06-18 (the header is required)",
		Breaks: []spec.ID{spec.HttpVersionHeaderMissing},
		Only:   []string{"versions/header-missing"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if len(r.Header.Values(wire.HeaderProtocolVersion)) == 0 {
					if msg, ok := message(r); ok {
						if v, ok := hdrMeta(msg, false)[wire.MetaProtocolVersion].(string); ok {
							r.Header.Set(wire.HeaderProtocolVersion, v)
						}
					}
				}
				next.ServeHTTP(w, r)
			})
		},
	})
	Register(&Variant{
		Name:   "unsupported-version-status-200",
		Defect: "answers a request for an unsupported protocol version with the right UnsupportedProtocolVersionError (-32022) but HTTP 200 instead of 400",
		Breaks: []spec.ID{spec.HttpVersionUnsupported},
		Only:   []string{"versions/unsupported"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				refusalStatus(next, w, r, wire.CodeUnsupportedProtocolVersion, http.StatusOK)
			})
		},
	})
	Register(&Variant{
		Name:   "unsupported-version-invalid-params",
		Defect: "answers a request for an unsupported protocol version with -32602 (Invalid params) instead of UnsupportedProtocolVersionError (-32022)",
		Breaks: []spec.ID{spec.CoreVersionUnsupported},
		Only:   []string{"versions/unsupported"},
		Wrap: func(next http.Handler, _ *impl.Server) http.Handler {
			return errorRecoded(next, wire.CodeUnsupportedProtocolVersion, wire.CodeInvalidParams)
		},
	})
}

// hdrMeta returns params._meta of msg; with create, missing or null
// params and _meta are created (nil when they hold another type).
func hdrMeta(msg map[string]any, create bool) map[string]any {
	params, ok := msg["params"].(map[string]any)
	if !ok {
		if !create || msg["params"] != nil {
			return nil
		}
		params = map[string]any{}
		msg["params"] = params
	}
	meta, ok := params["_meta"].(map[string]any)
	if !ok {
		if !create || params["_meta"] != nil {
			return nil
		}
		meta = map[string]any{}
		params["_meta"] = meta
	}
	return meta
}

// hdrMetaMissing reports a request without a required _meta field
// (absent or null; a wrong type is another defect).
func hdrMetaMissing(msg map[string]any) bool {
	if _, ok := msg["method"].(string); !ok {
		return false
	}
	if msg["params"] == nil {
		return true
	}
	params, ok := msg["params"].(map[string]any)
	if !ok {
		return false
	}
	if params["_meta"] == nil {
		return true
	}
	meta, ok := params["_meta"].(map[string]any)
	if !ok {
		return false
	}
	for _, k := range wire.RequiredRequestMeta {
		if meta[k] == nil {
			return true
		}
	}
	return false
}

// refusalStatus serves r through next, answering with status instead of
// 400 when next refuses the request with the JSON-RPC error code.
func refusalStatus(next http.Handler, w http.ResponseWriter, r *http.Request, code int64, status int) {
	rec := recorded(next, r)
	var resp struct {
		Error *struct {
			Code int64 `json:"code"`
		} `json:"error"`
	}
	if rec.Code != http.StatusBadRequest || json.Unmarshal(rec.Body.Bytes(), &resp) != nil || resp.Error == nil || resp.Error.Code != code {
		status = rec.Code
	}
	relay(w, rec, status)
}

// hdrBodyName returns the body value Mcp-Name mirrors (params.name or
// params.uri, by the method table).
func hdrBodyName(msg map[string]any) (string, bool) {
	m, _ := msg["method"].(string)
	info, ok := wire.LookupMethod(m)
	if !ok || info.NameParam == "" {
		return "", false
	}
	params, _ := msg["params"].(map[string]any)
	name, ok := params[info.NameParam].(string)
	return name, ok
}

// hdrID returns the request's id, raw (null when absent or unreadable).
func hdrID(msg map[string]any) json.RawMessage {
	id, ok := msg["id"]
	if !ok {
		return json.RawMessage("null")
	}
	b, err := json.Marshal(id)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}

// caseSensitiveNames serves the first request of each connection through
// net/http (which canonicalizes header names, so their spelling is lost),
// then takes the connection over and reads the following requests' header
// lines itself, refusing any whose MCP header names are not spelt
// canonically.
type caseSensitiveNames struct {
	next http.Handler
}

// canonicalMCPName reports whether an MCP header name is spelt the way a
// case-sensitive server expects it.
func canonicalMCPName(k string) bool {
	if !strings.HasPrefix(strings.ToLower(k), "mcp-") {
		return true
	}
	return k == wire.HeaderProtocolVersion || k == textproto.CanonicalMIMEHeaderKey(k)
}

func (c *caseSensitiveNames) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	hj, ok := w.(http.Hijacker)
	if !ok || r.ProtoMajor != 1 {
		c.next.ServeHTTP(w, r)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		http.Error(w, "could not read the body", http.StatusBadRequest)
		return
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	base := context.WithValue(context.Background(), http.LocalAddrContextKey, conn.LocalAddr())
	r = r.Clone(base)
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	if !c.serveOne(conn, brw.Writer, r, nil) {
		return
	}
	for {
		_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second))
		req, names, err := readRawRequest(brw.Reader)
		if err != nil {
			return
		}
		_ = conn.SetReadDeadline(time.Time{})
		req = req.WithContext(base)
		req.RemoteAddr = conn.RemoteAddr().String()
		if !c.serveOne(conn, brw.Writer, req, names) {
			return
		}
	}
}

// serveOne answers one request on the taken-over connection; it reports
// whether the connection stays open.
func (c *caseSensitiveNames) serveOne(conn net.Conn, bw *bufio.Writer, r *http.Request, names []string) bool {
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	r = r.WithContext(ctx)
	rw := &rawResponse{bw: bw, h: http.Header{}}
	refused := false
	for _, n := range names {
		if !canonicalMCPName(n) {
			msg, _ := message(r)
			writeRPCError(rw, http.StatusBadRequest, hdrID(msg), wire.CodeHeaderMismatch,
				fmt.Sprintf("Header mismatch: the required header is missing (got %q, which is not its name)", n))
			refused = true
			break
		}
	}
	if !refused {
		c.next.ServeHTTP(rw, r)
	}
	if err := rw.finish(); err != nil {
		return false
	}
	return !r.Close
}

// readRawRequest reads one HTTP/1.1 request with a Content-Length body,
// returning the header names as written.
func readRawRequest(br *bufio.Reader) (*http.Request, []string, error) {
	var head bytes.Buffer
	var names []string
	for n := 0; ; n++ {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return nil, nil, fmt.Errorf("read a header line: %w", err)
		}
		if head.Len()+len(line) > 64<<10 {
			return nil, nil, fmt.Errorf("request head over 64 KiB")
		}
		head.Write(line)
		trimmed := strings.TrimRight(string(line), "\r\n")
		if trimmed == "" {
			break
		}
		if n > 0 {
			if k, _, ok := strings.Cut(trimmed, ":"); ok {
				names = append(names, k)
			}
		}
	}
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(head.Bytes())))
	if err != nil {
		return nil, nil, fmt.Errorf("parse the request: %w", err)
	}
	if len(req.TransferEncoding) > 0 || req.ContentLength < 0 || req.ContentLength > maxBody {
		return nil, nil, fmt.Errorf("unsupported request body framing")
	}
	body := make([]byte, req.ContentLength)
	if _, err := io.ReadFull(br, body); err != nil {
		return nil, nil, fmt.Errorf("read the body: %w", err)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	return req, names, nil
}

// rawResponse writes an HTTP/1.1 response on a taken-over connection:
// with Content-Length when the handler set it, chunked otherwise (so that
// SSE streams flow as they are written).
type rawResponse struct {
	bw      *bufio.Writer
	h       http.Header
	wrote   bool
	chunked bool
	err     error
}

func (w *rawResponse) Header() http.Header { return w.h }

func (w *rawResponse) WriteHeader(code int) {
	if w.wrote {
		return
	}
	w.wrote = true
	if w.h.Get("Content-Length") == "" {
		w.chunked = true
		w.h.Set("Transfer-Encoding", "chunked")
	}
	fmt.Fprintf(w.bw, "HTTP/1.1 %d %s\r\n", code, http.StatusText(code))
	w.err = w.h.Write(w.bw)
	_, _ = w.bw.WriteString("\r\n")
}

func (w *rawResponse) Write(p []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.err != nil {
		return 0, w.err
	}
	if w.chunked {
		if len(p) == 0 {
			return 0, nil
		}
		fmt.Fprintf(w.bw, "%x\r\n", len(p))
		n, err := w.bw.Write(p)
		_, _ = w.bw.WriteString("\r\n")
		w.err = err
		return n, err
	}
	n, err := w.bw.Write(p)
	w.err = err
	return n, err
}

// Flush sends what was written so far (SSE).
func (w *rawResponse) Flush() {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if err := w.bw.Flush(); err != nil {
		w.err = err
	}
}

func (w *rawResponse) finish() error {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.chunked {
		_, _ = w.bw.WriteString("0\r\n\r\n")
	}
	if err := w.bw.Flush(); err != nil {
		return err
	}
	return w.err
}
