package faulty

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
)

// The rewrite toolkit: how a variant reads a request (bounded, leaving
// the body for the reference server), changes it, and rewrites the
// messages of the response. Every variant that edits JSON goes through it.

// maxBody bounds the request bodies the variants read.
const maxBody = 8 << 20

// readBody reads a POST body (bounded) and puts it back for the next
// handler.
func readBody(r *http.Request) ([]byte, bool) {
	if r.Method != http.MethodPost || r.Body == nil {
		return nil, false
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	setBody(r, b)
	return b, err == nil
}

// setBody replaces the body of r.
func setBody(r *http.Request, b []byte) {
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
}

// sseHeaders sets the headers of an SSE response as the reference sends
// them, so that a variant answering with a stream of its own has no defect
// but its own.
func sseHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache, no-store")
	h.Set("X-Accel-Buffering", "no")
}

// decodeJSON decodes b, one JSON value and nothing after it, keeping
// numbers exact (json.Number). Text with more after the value fails, so
// that a variant passes it on unedited (the reference refuses it) rather
// than re-encoding the first value alone.
func decodeJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if _, err := d.Token(); err != io.EOF {
		return errors.New("more after the JSON value")
	}
	return nil
}

// message decodes a POSTed JSON object (numbers kept as written), leaving
// the body for the next handler.
func message(r *http.Request) (map[string]any, bool) {
	b, ok := readBody(r)
	if !ok {
		return nil, false
	}
	var msg map[string]any
	if decodeJSON(b, &msg) != nil || msg == nil {
		return nil, false
	}
	return msg, true
}

// editBody rewrites the JSON body of r with edit (when edit reports a
// change).
func editBody(r *http.Request, edit func(map[string]any) bool) {
	msg, ok := message(r)
	if !ok || !edit(msg) {
		return
	}
	if b, err := json.Marshal(msg); err == nil {
		setBody(r, b)
		r.Header.Del("Content-Length")
	}
}

// bodyEdited returns a handler around next that rewrites the JSON body of
// each request with edit (see editBody) before next reads it.
func bodyEdited(next http.Handler, edit func(r *http.Request, msg map[string]any) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		editBody(r, func(msg map[string]any) bool { return edit(r, msg) })
		next.ServeHTTP(w, r)
	})
}

// peekRPC reads the method and id of a POSTed JSON-RPC message, leaving
// the body for the next handler.
func peekRPC(r *http.Request) (method string, id json.RawMessage, hasID bool, ok bool) {
	body, ok := readBody(r)
	if !ok {
		return "", nil, false, false
	}
	var env struct {
		Method *string          `json:"method"`
		ID     *json.RawMessage `json:"id"`
	}
	if json.Unmarshal(body, &env) != nil || env.Method == nil {
		return "", nil, false, false
	}
	if env.ID != nil {
		id, hasID = *env.ID, true
	}
	return *env.Method, id, hasID, true
}

// recorded serves r through next into a recorder, for a variant that
// changes the status or headers of a whole answer (a stream is then
// relayed at its end, not as it goes).
func recorded(next http.Handler, r *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	next.ServeHTTP(rec, r)
	return rec
}

// relay writes a recorded answer to w with status, leaving out the
// headers named in drop.
func relay(w http.ResponseWriter, rec *httptest.ResponseRecorder, status int, drop ...string) {
	relayBody(w, rec, status, rec.Body.Bytes(), drop...)
}

// relayBody writes a recorded answer's headers (but Content-Length and
// those named in drop) to w with status and body.
func relayBody(w http.ResponseWriter, rec *httptest.ResponseRecorder, status int, body []byte, drop ...string) {
	for k, vs := range rec.Header() {
		if k != "Content-Length" && !slices.Contains(drop, k) {
			w.Header()[k] = vs
		}
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// errorRecoded returns a handler around next whose JSON-RPC errors with
// code from carry code to instead (without their data).
func errorRecoded(next http.Handler, from, to int64) http.Handler {
	return editMessages(next, func(m map[string]any) {
		e, ok := m["error"].(map[string]any)
		if c, isNum := e["code"].(json.Number); ok && isNum && c.String() == strconv.FormatInt(from, 10) {
			e["code"] = to
			delete(e, "data")
		}
	})
}

// rpcCall is what a rewriting variant knows of the request: its method,
// raw id and params (decoded with json.Number for numbers).
type rpcCall struct {
	Method string
	ID     any
	Params map[string]any
}

// meta returns the request's params._meta (nil if none).
func (q *rpcCall) meta() map[string]any {
	m, _ := q.Params["_meta"].(map[string]any)
	return m
}

// editMessages is rewriteMessages with an edit of each message in place.
func editMessages(next http.Handler, edit func(m map[string]any)) http.Handler {
	return rewriteMessages(next, nil, func(_ *rpcCall, m map[string]any, _ int) []map[string]any {
		edit(m)
		return []map[string]any{m}
	})
}

// rewriteMessages returns a handler around next that reads the JSON-RPC
// request (editReq, if set, may change its params before next sees it:
// return true to re-encode the body), and passes every message next sends
// (a JSON body, or each SSE event as it is written) through edit, with its
// index in the response; edit returns the messages to send in its place.
// A JSON body replaced by several messages becomes an SSE stream.
func rewriteMessages(next http.Handler, editReq func(q *rpcCall) bool, edit func(q *rpcCall, m map[string]any, i int) []map[string]any) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := &rpcCall{}
		if body, ok := readBody(r); ok {
			var msg map[string]any
			if decodeJSON(body, &msg) == nil && msg != nil {
				q.Method, _ = msg["method"].(string)
				q.ID = msg["id"]
				q.Params, _ = msg["params"].(map[string]any)
				if q.Params == nil {
					q.Params = map[string]any{}
				}
				if editReq != nil && editReq(q) {
					msg["params"] = q.Params
					if b, err := json.Marshal(msg); err == nil {
						setBody(r, b)
					}
				}
			}
		}
		rw := &rewriteWriter{w: w, q: q, edit: edit}
		next.ServeHTTP(rw, r)
		rw.finish()
	})
}

// rewriteWriter passes the messages of a response through edit: SSE events
// as they are written (streams stay live), a JSON body at the end.
type rewriteWriter struct {
	w      http.ResponseWriter
	q      *rpcCall
	edit   func(q *rpcCall, m map[string]any, i int) []map[string]any
	status int
	wrote  bool
	sse    bool
	buf    bytes.Buffer
	n      int
}

func (rw *rewriteWriter) Header() http.Header { return rw.w.Header() }

func (rw *rewriteWriter) WriteHeader(code int) {
	if rw.wrote {
		return
	}
	rw.wrote, rw.status = true, code
	rw.sse = strings.HasPrefix(rw.w.Header().Get("Content-Type"), "text/event-stream")
	rw.w.Header().Del("Content-Length")
	if rw.sse {
		rw.w.WriteHeader(code)
	}
}

func (rw *rewriteWriter) Write(b []byte) (int, error) {
	if !rw.wrote {
		rw.WriteHeader(http.StatusOK)
	}
	rw.buf.Write(b)
	if rw.sse {
		if err := rw.drain(false); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}

// FlushError implements the flush of http.ResponseController.
func (rw *rewriteWriter) FlushError() error {
	if !rw.sse {
		return nil
	}
	if err := rw.drain(false); err != nil {
		return err
	}
	return http.NewResponseController(rw.w).Flush()
}

// editOne passes one raw message through edit and encodes the result.
func (rw *rewriteWriter) editOne(raw []byte) [][]byte {
	var m map[string]any
	if decodeJSON(raw, &m) != nil {
		return [][]byte{raw}
	}
	out := rw.edit(rw.q, m, rw.n)
	rw.n++
	var bs [][]byte
	for _, o := range out {
		if b, err := json.Marshal(o); err == nil {
			bs = append(bs, b)
		}
	}
	return bs
}

// drain rewrites the complete SSE events in buf (all of it at the end).
func (rw *rewriteWriter) drain(final bool) error {
	for {
		data := rw.buf.Bytes()
		i := bytes.Index(data, []byte("\n\n"))
		if i < 0 {
			if final && len(data) > 0 {
				_, err := rw.w.Write(data)
				rw.buf.Reset()
				return err
			}
			return nil
		}
		block := append([]byte(nil), data[:i]...)
		rw.buf.Next(i + 2)
		var payload [][]byte
		var other []string
		for _, line := range strings.Split(string(block), "\n") {
			if v, ok := strings.CutPrefix(line, "data:"); ok {
				payload = append(payload, []byte(strings.TrimPrefix(v, " ")))
			} else {
				other = append(other, line)
			}
		}
		var out bytes.Buffer
		if len(payload) == 0 {
			out.Write(block)
			out.WriteString("\n\n")
		} else {
			for _, msg := range rw.editOne(bytes.Join(payload, []byte("\n"))) {
				for _, l := range other {
					out.WriteString(l + "\n")
				}
				out.WriteString("data: ")
				out.Write(msg)
				out.WriteString("\n\n")
			}
		}
		if _, err := rw.w.Write(out.Bytes()); err != nil {
			return err
		}
	}
}

// finish writes what is left: the rest of a stream, or the edited JSON
// body (as an SSE stream when edit made it several messages).
func (rw *rewriteWriter) finish() {
	if !rw.wrote {
		return
	}
	if rw.sse {
		_ = rw.drain(true)
		return
	}
	body := rw.buf.Bytes()
	if len(bytes.TrimSpace(body)) == 0 || !strings.HasPrefix(rw.w.Header().Get("Content-Type"), "application/json") {
		rw.w.WriteHeader(rw.status)
		rw.w.Write(body)
		return
	}
	msgs := rw.editOne(body)
	if len(msgs) == 1 {
		rw.w.WriteHeader(rw.status)
		rw.w.Write(msgs[0])
		return
	}
	sseHeaders(rw.w.Header())
	rw.w.WriteHeader(rw.status)
	for _, m := range msgs {
		rw.w.Write([]byte("data: "))
		rw.w.Write(m)
		rw.w.Write([]byte("\n\n"))
	}
}

// writeJSON writes v as a JSON body with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// refusing returns a handler around next that answers the messages refuse
// picks (by method and whether they have an id) with a JSON-RPC error of
// code, with status, and passes the others to next.
func refusing(next http.Handler, status int, code int64, msg string, refuse func(method string, hasID bool) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m, id, hasID, ok := peekRPC(r); ok && refuse(m, hasID) {
			writeRPCError(w, status, id, code, msg)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// writeRPCError writes a JSON-RPC error response; without id when id is
// nil (hdrID gives null for a request whose id is unknown).
func writeRPCError(w http.ResponseWriter, status int, id json.RawMessage, code int64, msg string) {
	resp := rpcError(id, code, msg)
	if len(id) == 0 {
		delete(resp, "id")
	}
	writeJSON(w, status, resp)
}
