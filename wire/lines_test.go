package wire

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestLineReader(t *testing.T) {
	in := "a\r\nbb\n" + strings.Repeat("x", 100) + "\nccc\nlast"
	lr := NewLineReader(strings.NewReader(in), 10)
	type got struct {
		line    string
		tooLong bool
	}
	var out []got
	for {
		l, long, err := lr.Next()
		if long || len(l) > 0 {
			out = append(out, got{string(l), long})
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	want := []got{{"a", false}, {"bb", false}, {"", true}, {"ccc", false}, {"last", false}}
	if len(out) != len(want) {
		t.Fatalf("lines %v; want %v", out, want)
	}
	for i := range want {
		if out[i] != want[i] {
			t.Errorf("line %d = %v; want %v", i, out[i], want[i])
		}
	}
}

// FuzzLineReader: the reader splits exactly as the newlines do (one "\n"
// ends a line, one "\r" before it goes with it, a final line needs none),
// and a line longer than the limit comes back as too long, never in part.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("{\"a\":1}\n{\"b\":2}\r\n"), uint8(10))
	f.Add([]byte("abc\r\r\n0123456789A\nlast"), uint8(10))
	f.Add([]byte("\n\n\r\n"), uint8(1))
	f.Fuzz(func(t *testing.T, data []byte, lim uint8) {
		limit := int64(lim%64) + 1
		var want [][]byte
		segs := bytes.Split(data, []byte("\n"))
		if len(segs[len(segs)-1]) == 0 {
			segs = segs[:len(segs)-1] // data ends with "\n" (or is empty)
		}
		for _, s := range segs {
			want = append(want, bytes.TrimSuffix(s, []byte("\r")))
		}
		lr := NewLineReader(bytes.NewReader(data), limit)
		for i := 0; ; i++ {
			line, tooLong, err := lr.Next()
			if i < len(want) {
				w := want[i]
				switch {
				case int64(len(w)) > limit && !tooLong:
					t.Fatalf("line %d %q over the limit %d: not flagged (got %q)", i, w, limit, line)
				case int64(len(w)) <= limit && (tooLong || !bytes.Equal(line, w)):
					t.Fatalf("line %d: got %q (too long %v), want %q", i, line, tooLong, w)
				case tooLong && line != nil:
					t.Fatalf("line %d: too long, but %q returned", i, line)
				}
			} else if len(line) > 0 || tooLong {
				t.Fatalf("line %d beyond the %d lines: %q", i, len(want), line)
			}
			if err != nil {
				if i+1 < len(want) {
					t.Fatalf("stopped after %d lines of %d: %v", i+1, len(want), err)
				}
				return
			}
			if i > len(want)+1 {
				t.Fatalf("more lines than %d", len(want))
			}
		}
	})
}
