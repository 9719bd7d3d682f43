package wire

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseSSE(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     []SSEEvent
		err      error
	}{
		{"one event", "data: a\n\n", []SSEEvent{{Data: []byte("a"), End: 9}}, nil},
		{"fields, comment, two data lines", ": hi\nevent: message\nid: 7\ndata: a\ndata:b\n\n",
			[]SSEEvent{{Event: "message", ID: "7", Data: []byte("a\nb"), End: 42}}, nil},
		{"every line ending", "data: a\r\n\r\ndata: b\r\rdata: c\n\n",
			[]SSEEvent{{Data: []byte("a"), End: 11}, {Data: []byte("b"), End: 20}, {Data: []byte("c"), End: 29}}, nil},
		{"no data: not dispatched", "event: x\n\ndata: y\n\n", []SSEEvent{{Data: []byte("y"), End: 19}}, nil},
		{"last event without a blank line", "data: a\n\ndata: b", []SSEEvent{{Data: []byte("a"), End: 9}, {Data: []byte("b"), End: 16}}, nil},
		{"line over the limit", "data: " + strings.Repeat("x", 64) + "\n\n", nil, ErrSSETooLarge},
		{"data over the limit", strings.Repeat("data: xxxxxxxxxx\n", 8) + "\n", nil, ErrSSETooLarge},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got []SSEEvent
			err := ParseSSE(strings.NewReader(c.in), 32, func(ev SSEEvent) error {
				got = append(got, ev)
				return nil
			})
			if !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			if diff := cmp.Diff(c.want, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			for _, ev := range got {
				if ev.End > int64(len(c.in)) {
					t.Errorf("End %d past the stream's %d bytes", ev.End, len(c.in))
				}
			}
		})
	}
}

// TestParseSSEStop: an error of the callback stops the parse with it, and
// the stream up to the last event's End holds exactly the events taken.
func TestParseSSEStop(t *testing.T) {
	in := strings.Repeat("data: {}\n\n", 10)
	stop := errors.New("stop")
	var last SSEEvent
	n := 0
	err := ParseSSE(strings.NewReader(in), 1<<10, func(ev SSEEvent) error {
		n, last = n+1, ev
		if n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Fatalf("error %v after %d events, want %v after 3", err, n, stop)
	}
	again := 0
	if err := ParseSSE(strings.NewReader(in[:last.End]), 1<<10, func(SSEEvent) error { again++; return nil }); err != nil || again != 3 {
		t.Errorf("the stream up to End holds %d events (%v), want 3", again, err)
	}
}
