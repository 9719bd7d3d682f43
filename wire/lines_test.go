package wire

import (
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
