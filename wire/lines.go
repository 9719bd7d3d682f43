package wire

import (
	"bufio"
	"bytes"
	"io"
)

// LineReader reads newline-delimited messages (the stdio framing) with a
// bound on the length of a line: a longer line is consumed up to its
// newline without being kept, and reported as too long.
type LineReader struct {
	br    *bufio.Reader
	limit int64
}

// NewLineReader reads lines of at most limit bytes (not counting the
// "\r\n" or "\n" that ends them) from r.
func NewLineReader(r io.Reader, limit int64) *LineReader {
	return &LineReader{br: bufio.NewReaderSize(r, 64<<10), limit: limit}
}

// Next returns the next line without its line ending. A line over the
// limit comes back as (nil, true, err). err is io.EOF (or the read error)
// after the last line; a final line without a newline is returned with it.
// The returned slice is the caller's to keep.
func (lr *LineReader) Next() (line []byte, tooLong bool, err error) {
	for {
		var chunk []byte
		chunk, err = lr.br.ReadSlice('\n')
		if !tooLong {
			if int64(len(line)+len(chunk)) > lr.limit+2 { // room for "\r\n"
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if err != bufio.ErrBufferFull {
			break
		}
	}
	if tooLong {
		return nil, true, err
	}
	// One "\n", then one "\r" before it: the line ending, and nothing
	// more of the line.
	line = bytes.TrimSuffix(line, []byte("\n"))
	line = bytes.TrimSuffix(line, []byte("\r"))
	if int64(len(line)) > lr.limit {
		return nil, true, err
	}
	return line, false, err
}
