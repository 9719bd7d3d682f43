package cli

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/mcpverify/mcpverify/check"
	"github.com/mcpverify/mcpverify/check/report"
)

// outputs are check's report destinations: --json, --junit, --html and
// --sarif (a FILE, or - for stdout) and --traces DIR.
type outputs struct {
	json, junit, html, sarif, traces string
}

// output is one report file.
type output struct {
	flag, path string
	write      func(io.Writer, *check.Report) error
}

func (o outputs) files() []output {
	return []output{
		{"--json", o.json, report.WriteJSON},
		{"--junit", o.junit, report.WriteJUnit},
		{"--html", o.html, report.WriteHTML},
		{"--sarif", o.sarif, report.WriteSARIF},
	}
}

// toStdout reports whether a machine report goes to stdout (then the text
// report goes to stderr).
func (o outputs) toStdout() bool {
	for _, f := range o.files() {
		if f.path == "-" {
			return true
		}
	}
	return false
}

// validate checks, before the run, that every report can be written: at
// most one goes to stdout, no two to one file, and each file's directory
// exists and takes a new file (the traces directory, or the nearest of its
// parents that exists when it does not yet).
func (o outputs) validate() error {
	seen := map[string]string{}
	for _, f := range o.files() {
		switch f.path {
		case "":
			continue
		case "-":
			if prev := seen["-"]; prev != "" {
				return fmt.Errorf("%s and %s both write to stdout (-): write the others to files", prev, f.flag)
			}
			seen["-"] = f.flag
			continue
		}
		abs, err := filepath.Abs(f.path)
		if err != nil {
			return fmt.Errorf("%s %s: %v", f.flag, f.path, err)
		}
		if prev := seen[abs]; prev != "" {
			return fmt.Errorf("%s and %s both write to %s", prev, f.flag, f.path)
		}
		seen[abs] = f.flag
		if err := writableFile(f.path); err != nil {
			return fmt.Errorf("%s %s: %v", f.flag, f.path, err)
		}
	}
	if o.traces != "" {
		if err := writableDir(o.traces); err != nil {
			return fmt.Errorf("--traces %s: %v", o.traces, err)
		}
	}
	return nil
}

// writableFile checks that path can be written: it is not a directory, an
// existing file opens for writing (left as it is), and its directory
// exists and takes a new file.
func writableFile(path string) error {
	if fi, err := os.Stat(path); err == nil {
		if fi.IsDir() {
			return errors.New("is a directory")
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("cannot be written: %w", err)
		}
		return f.Close()
	}
	return takesFiles(filepath.Dir(path))
}

// writableDir checks that dir is a directory that takes new files, or can
// be made: the nearest of its parents that exists is such a directory.
func writableDir(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		_, err := os.Stat(d)
		if (errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR)) && filepath.Dir(d) != d {
			continue
		}
		return takesFiles(d)
	}
}

// takesFiles checks that dir is a directory in which a file can be made,
// by making one and removing it.
func takesFiles(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist", dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".mcpverify-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	f.Close()
	return os.Remove(f.Name())
}

// write writes the traces and every report file; a failure does not stop
// the others. It returns each failure, named by its flag. The text report
// goes to text, after the traces (it names their paths) and before the
// files.
func (o outputs) write(stdout, text io.Writer, rep *check.Report, topts report.TextOptions) []error {
	var errs []error
	if o.traces != "" {
		if err := report.SaveTraces(o.traces, rep); err != nil {
			errs = append(errs, fmt.Errorf("--traces: %w", err))
			topts.TraceDir = "" // the text report names only the traces saved
		}
	}
	report.WriteText(text, rep, topts)
	for _, f := range o.files() {
		if err := writeFile(stdout, f.path, func(w io.Writer) error { return f.write(w, rep) }); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", f.flag, err))
		}
	}
	return errs
}

// writeFile writes to path with write ("-" is stdout; "" does nothing).
func writeFile(stdout io.Writer, path string, write func(io.Writer) error) error {
	switch path {
	case "":
		return nil
	case "-":
		return write(stdout)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
