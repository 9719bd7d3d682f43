package wire

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// MaxSSEEvent is the default bound on one SSE event's data, in bytes.
const MaxSSEEvent = 4 << 20

// ErrSSETooLarge reports an SSE line or event over the size bound.
var ErrSSETooLarge = errors.New("sse event too large")

// SSEEvent is one Server-Sent Event.
type SSEEvent struct {
	Event string
	ID    string
	Data  []byte
	// End is the offset in the stream just past the event (its blank
	// line, or the end of the stream): the stream up to End holds this
	// event and the ones before it, no more.
	End int64
}

// ParseSSE reads a text/event-stream from r and calls fn for each event
// that is dispatched (a blank line after at least one field). Comments
// (lines starting with ':') are ignored. A line or an event's data longer
// than max bytes stops the parse with ErrSSETooLarge; an error from fn stops
// it with that error. An event not terminated by a blank line at EOF is
// dispatched too (servers that close after the last data line are common;
// a strict reader can compare counts).
func ParseSSE(r io.Reader, max int, fn func(SSEEvent) error) error {
	br := bufio.NewReaderSize(r, 64<<10)
	var ev SSEEvent
	var data bytes.Buffer
	hasData, hasField := false, false
	var off int64
	dispatch := func() error {
		if hasData {
			ev.Data, ev.End = bytes.Clone(data.Bytes()), off
			if err := fn(ev); err != nil {
				return err
			}
		}
		ev, hasData, hasField = SSEEvent{}, false, false
		data.Reset()
		return nil
	}
	for {
		line, n, err := readLine(br, max)
		off += int64(n)
		if err == io.EOF {
			if hasField {
				return dispatch()
			}
			return nil
		}
		if err != nil {
			return err
		}
		if len(line) == 0 {
			if err := dispatch(); err != nil {
				return err
			}
			continue
		}
		if line[0] == ':' {
			continue
		}
		field, value, _ := bytes.Cut(line, []byte{':'})
		value = bytes.TrimPrefix(value, []byte{' '})
		hasField = true
		switch string(field) {
		case "data":
			if hasData {
				data.WriteByte('\n')
			}
			if data.Len()+len(value) > max {
				return fmt.Errorf("%w: event data over %d bytes", ErrSSETooLarge, max)
			}
			data.Write(value)
			hasData = true
		case "event":
			ev.Event = string(value)
		case "id":
			ev.ID = string(value)
		}
	}
}

// readLine reads one line ending in "\n", "\r\n" or "\r" (SSE allows all
// three), without the terminator, bounded by max bytes; n counts the bytes
// consumed, terminator included.
func readLine(br *bufio.Reader, max int) (line []byte, n int, err error) {
	for {
		b, err := br.ReadByte()
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return line, n, nil
			}
			return nil, n, err
		}
		n++
		switch b {
		case '\n':
			return line, n, nil
		case '\r':
			if next, err := br.Peek(1); err == nil && next[0] == '\n' {
				br.ReadByte()
				n++
			}
			return line, n, nil
		}
		if len(line) >= max {
			return nil, n, fmt.Errorf("%w: line over %d bytes", ErrSSETooLarge, max)
		}
		line = append(line, b)
	}
}
