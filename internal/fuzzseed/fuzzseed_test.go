package fuzzseed

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// recorder is an F that keeps what is added.
type recorder struct {
	name  string
	added [][]any
	fatal string
}

func (r *recorder) Helper()                           {}
func (r *recorder) Name() string                      { return r.name }
func (r *recorder) Add(args ...any)                   { r.added = append(r.added, args) }
func (r *recorder) Fatalf(format string, args ...any) { r.fatal = fmt.Sprintf(format, args...) }

func TestAddWritesSeedsOnlyWhenAsked(t *testing.T) {
	dir := t.TempDir()
	t.Setenv(EnvDir, "")
	r := &recorder{name: "FuzzX"}
	Add(r, []byte("a"))
	if len(r.added) != 1 || !bytes.Equal(r.added[0][0].([]byte), []byte("a")) {
		t.Fatalf("added %v, want [[a]]", r.added)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("wrote %v with %s unset", ents, EnvDir)
	}

	t.Setenv(EnvDir, dir)
	seeds := [][]byte{[]byte(`{"jsonrpc":"2.0"}`), {}, []byte(`{"jsonrpc":"2.0"}`), {0xff, 0}}
	for _, s := range seeds {
		Add(r, s)
	}
	if r.fatal != "" || len(r.added) != 1+len(seeds) {
		t.Fatalf("fatal %q, %d added", r.fatal, len(r.added))
	}
	ents, err := os.ReadDir(filepath.Join(dir, "FuzzX"))
	if err != nil {
		t.Fatal(err)
	}
	if len(ents) != 3 { // the same seed twice is one file
		t.Fatalf("%d files, want 3", len(ents))
	}
	got := map[string]bool{}
	for _, e := range ents {
		in, err := os.ReadFile(filepath.Join(dir, "FuzzX", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		d, ok := Data(in)
		if !ok {
			t.Fatalf("%s: %q is no input", e.Name(), in)
		}
		got[string(d)] = true
	}
	for _, s := range seeds {
		if !got[string(s)] {
			t.Errorf("seed %q not written", s)
		}
	}
}

func TestAddFailsTheTargetWhenItCannotWrite(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv(EnvDir, file) // a file, not a directory
	r := &recorder{name: "FuzzX"}
	Add(r, []byte("a"))
	if r.fatal == "" {
		t.Fatal("no failure")
	}
}

func TestInputData(t *testing.T) {
	for _, d := range [][]byte{nil, {}, {0}, []byte("abc"), bytes.Repeat([]byte{7}, 300)} {
		in := Input(d)
		if len(in) != len(d)+1 {
			t.Errorf("Input(%d bytes) has %d", len(d), len(in))
		}
		back, ok := Data(in)
		if !ok || !bytes.Equal(back, d) {
			t.Errorf("Data(Input(%q)) = %q, %v", d, back, ok)
		}
	}
	if _, ok := Data(nil); ok {
		t.Error("Data of an empty input: ok")
	}
}
