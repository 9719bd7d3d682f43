package authmock

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
)

// maxResponseBytes bounds an answer served by Transport: the documents
// the mock serves are a few KiB.
const maxResponseBytes = 256 << 10

// Transport returns a RoundTripper that serves every request by calling
// the server's Handler in the caller's goroutine: no socket is opened and
// no goroutine started, so it can be used inside a testing/synctest
// bubble, and it serves whatever host the request names (give it to the
// client that is to reach the issuer, e.g. impl.Config.IssuerTransport).
// It works for a listening server too. An answer longer than 256 KiB is
// an error; a request whose context is done is not served.
func (s *Server) Transport() http.RoundTripper { return memTransport{s.handler} }

type memTransport struct{ h http.Handler }

func (t memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	body := req.Body
	if body != nil {
		defer body.Close() // a RoundTripper always closes the body
	}
	if req.URL == nil {
		return nil, errors.New("authmock: a request without a URL")
	}
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	// The handler sees what a server would: a clone, its URL reduced to
	// the path and query, Host set, a body that is never nil.
	in := req.Clone(req.Context())
	if body == nil {
		in.Body = http.NoBody
	}
	in.Host = req.Host
	if in.Host == "" {
		in.Host = req.URL.Host
	}
	in.RequestURI = req.URL.RequestURI()
	in.Proto, in.ProtoMajor, in.ProtoMinor = "HTTP/1.1", 1, 1
	in.RemoteAddr = "127.0.0.1:1"
	in.Close = false

	w := &memWriter{header: http.Header{}}
	t.h.ServeHTTP(w, in)
	if w.over {
		return nil, fmt.Errorf("authmock: the answer to %s %s exceeds %d bytes", req.Method, req.URL.Redacted(), maxResponseBytes)
	}
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	res := &http.Response{
		Status:        strconv.Itoa(w.status) + " " + http.StatusText(w.status),
		StatusCode:    w.status,
		Proto:         "HTTP/1.1",
		ProtoMajor:    1,
		ProtoMinor:    1,
		Header:        w.written,
		ContentLength: int64(w.body.Len()),
		Body:          io.NopCloser(bytes.NewReader(w.body.Bytes())),
		Request:       req,
	}
	if req.Method == http.MethodHead {
		res.Body = http.NoBody
	}
	return res, nil
}

// memWriter records an answer, keeping at most maxResponseBytes of its
// body.
type memWriter struct {
	header  http.Header
	status  int
	written http.Header // the header as of WriteHeader
	body    bytes.Buffer
	over    bool
}

func (w *memWriter) Header() http.Header { return w.header }

func (w *memWriter) WriteHeader(code int) {
	if w.status != 0 || code < 200 { // informational answers are not recorded
		return
	}
	w.status = code
	w.written = w.header.Clone()
}

func (w *memWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.body.Len()+len(b) > maxResponseBytes {
		w.over = true
		return 0, errors.New("authmock: answer too long")
	}
	return w.body.Write(b)
}
