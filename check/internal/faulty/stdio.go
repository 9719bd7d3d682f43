package faulty

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/mcpverify/mcpverify/impl"
	"github.com/mcpverify/mcpverify/spec"
)

// Stdio variants: the reference server's ServeStdio with a filter on its
// streams (pipes in between) that introduces the defect, rewriting the
// lines the client sends before the server reads them, or the lines the
// server writes before the client reads them.

func init() {
	Register(&Variant{
		Name:   "stdio-log-on-stdout",
		Defect: "writes a log line that is not an MCP message to stdout before each response",
		Breaks: []spec.ID{spec.StdioStdout},
		Only:   []string{"stdio/interleaved-meta"},
		Stdio: func(srv *impl.Server) StdioServer {
			return &stdioFilter{srv: srv, out: func(line []byte) [][]byte {
				if m, ok := envelopeOf(line); ok && m["id"] != nil && m["method"] == nil {
					return [][]byte{[]byte("INFO handling request"), line}
				}
				return [][]byte{line}
			}}
		},
	})
	Register(&Variant{
		Name:   "stdio-ignores-cancel",
		Defect: "ignores notifications/cancelled: keeps sending progress and then the response of a cancelled request",
		Breaks: []spec.ID{spec.CoreCancelSilence, spec.CoreCancelNoResponse},
		Only:   []string{"stdio/cancellation"},
		Stdio: func(srv *impl.Server) StdioServer {
			return &stdioFilter{srv: srv, in: func(line []byte) [][]byte {
				if m, ok := envelopeOf(line); ok && string(m["method"]) == `"notifications/cancelled"` {
					return nil
				}
				return [][]byte{line}
			}}
		},
	})
	Register(&Variant{
		Name:   "stdio-connection-context",
		Defect: "answers each request with the client capabilities of the previous request on the process",
		Breaks: []spec.ID{spec.CoreNoConnectionContext},
		Only:   []string{"stdio/interleaved-meta"},
		Stdio: func(srv *impl.Server) StdioServer {
			var prev json.RawMessage
			return &stdioFilter{srv: srv, in: func(line []byte) [][]byte {
				out, caps, ok := swapCapabilities(line, prev)
				if !ok {
					return [][]byte{line}
				}
				prev = caps
				return [][]byte{out}
			}}
		},
	})
}

// ProcessVariants returns the stdio variants that need a process the
// checker starts (the check spawns a second copy of the server with the
// same command), sorted by name. They are not in All, whose stdio
// self-test serves over in-process pipes, where such a check is skipped:
// the self-test runs each as a helper process instead.
func ProcessVariants() []*Variant {
	return []*Variant{
		{
			Name:   "stdio-lingers-after-eof",
			Defect: "keeps running after its standard input is closed: serving ends, but the process stays until it is sent a signal",
			Breaks: []spec.ID{spec.StdioExitOnEof},
			Only:   []string{"stdio/exit-on-eof"},
			Stdio:  func(srv *impl.Server) StdioServer { return lingering{srv} },
		},
	}
}

// lingering serves like ServeStdio, then never returns (as a server whose
// background work keeps the process alive).
type lingering struct{ srv *impl.Server }

func (l lingering) Serve(in StdinReader, out StdoutWriter) error {
	_ = l.srv.ServeStdio(context.Background(), in, out)
	for {
		time.Sleep(time.Hour)
	}
}

// stdioFilter runs the reference server's ServeStdio between two line
// filters; a nil filter passes lines as they are. Each filter returns the
// lines to pass on (none to drop the line).
type stdioFilter struct {
	srv     *impl.Server
	in, out func(line []byte) [][]byte
}

// Serve serves until in ends, like ServeStdio.
func (f *stdioFilter) Serve(in StdinReader, out StdoutWriter) error {
	toServer, serverIn := io.Pipe()
	serverOut, fromServer := io.Pipe()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		pump(in, serverIn, f.in)
		serverIn.Close()
	}()
	go func() {
		defer wg.Done()
		pump(serverOut, out, f.out)
		serverOut.Close()
	}()
	err := f.srv.ServeStdio(context.Background(), toServer, fromServer)
	fromServer.Close()
	toServer.Close()
	wg.Wait()
	return err
}

// pump copies lines from r to w through filter, each line with one Write.
func pump(r io.Reader, w io.Writer, filter func([]byte) [][]byte) {
	br := bufio.NewReader(r)
	for {
		line, err := br.ReadBytes('\n')
		if len(line) > 0 {
			body := bytes.TrimRight(line, "\r\n")
			lines := [][]byte{body}
			if filter != nil && len(bytes.TrimSpace(body)) > 0 {
				lines = filter(body)
			}
			for _, l := range lines {
				if _, werr := w.Write(append(append([]byte(nil), l...), '\n')); werr != nil {
					io.Copy(io.Discard, r)
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

// envelopeOf decodes the members of a JSON-RPC message, raw.
func envelopeOf(line []byte) (map[string]json.RawMessage, bool) {
	var m map[string]json.RawMessage
	if json.Unmarshal(line, &m) != nil {
		return nil, false
	}
	return m, true
}

// swapCapabilities replaces the clientCapabilities of a request's _meta
// with prev (when prev is set) and returns the new line and the
// capabilities the request carried.
func swapCapabilities(line []byte, prev json.RawMessage) ([]byte, json.RawMessage, bool) {
	const key = "io.modelcontextprotocol/clientCapabilities"
	m, ok := envelopeOf(line)
	if !ok || m["id"] == nil || m["method"] == nil {
		return nil, nil, false
	}
	var params, meta map[string]json.RawMessage
	if json.Unmarshal(m["params"], &params) != nil || json.Unmarshal(params["_meta"], &meta) != nil || meta[key] == nil {
		return nil, nil, false
	}
	caps := meta[key]
	if prev != nil {
		meta[key] = prev
	}
	var err error
	if params["_meta"], err = json.Marshal(meta); err != nil {
		return nil, nil, false
	}
	if m["params"], err = json.Marshal(params); err != nil {
		return nil, nil, false
	}
	out, err := json.Marshal(m)
	if err != nil {
		return nil, nil, false
	}
	return out, caps, true
}
