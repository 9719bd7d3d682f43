package main

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/mcpverify/mcpverify/internal/fuzzseed"
)

// compileCmd is the command of build.sh that builds one fuzzer from a
// native Go fuzz target: compileCmd <package> <FuzzTarget> <fuzzer name>.
const compileCmd = "compile_native_go_fuzzer_v2"

// Bounds of what cflite reads and waits for.
const (
	maxScript   = 1 << 20
	maxSeedFile = 16 << 20
	seedTimeout = 10 * time.Minute
)

// target is one compileCmd line of build.sh.
type target struct {
	Pkg, Func, Fuzzer string
	Line              int
}

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "cflite:", err)
		os.Exit(1)
	}
}

// run reads the targets of the build script, writes the seed corpus zips
// to the output directory and prints one line for each.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("cflite", flag.ContinueOnError)
	script := fs.String("script", ".clusterfuzzlite/build.sh", "the ClusterFuzzLite build script that lists the fuzz targets")
	out := fs.String("out", "", "the directory of the seed corpus zips ($OUT)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() != 0 {
		return errors.New("usage: cflite [-script build.sh] -out DIR")
	}
	ts, err := readScript(*script)
	if err != nil {
		return err
	}
	n, err := writeZips(ctx, ts, *out)
	if err != nil {
		return err
	}
	for _, t := range ts {
		if n[t.Fuzzer] > 0 {
			fmt.Fprintf(stdout, "%s_seed_corpus.zip: %d seeds\n", t.Fuzzer, n[t.Fuzzer])
		}
	}
	return nil
}

// readScript returns the targets of a build script, in its order.
func readScript(path string) ([]target, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ts, err := parseScript(io.LimitReader(f, maxScript))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ts, nil
}

// parseScript reads the compileCmd lines of a build script. Each must be
// written out in full on its line (no variables, no other build command),
// and two targets may not share a name: the seeds are written by target
// name.
func parseScript(r io.Reader) ([]target, error) {
	var ts []target
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") || !strings.Contains(line, "compile_native_go_fuzzer") {
			continue
		}
		f := strings.Fields(line)
		if f[0] != compileCmd || len(f) != 4 || strings.ContainsAny(line, `$"'`) {
			return nil, fmt.Errorf("line %d: %q: want %s <package> <FuzzTarget> <fuzzer name>, written out", n, line, compileCmd)
		}
		t := target{Pkg: f[1], Func: f[2], Fuzzer: f[3], Line: n}
		for _, u := range ts {
			if u.Func == t.Func {
				return nil, fmt.Errorf("line %d: %s is on line %d too: targets need distinct names (their seeds are written by name)", n, t.Func, u.Line)
			}
			if u.Fuzzer == t.Fuzzer {
				return nil, fmt.Errorf("line %d: fuzzer name %s is on line %d too", n, t.Fuzzer, u.Line)
			}
		}
		ts = append(ts, t)
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(ts) == 0 {
		return nil, fmt.Errorf("no %s line", compileCmd)
	}
	return ts, nil
}

// writeZips runs the seeds of the fuzz targets of the packages of ts
// (go test -run '^Fuzz') with fuzzseed.EnvDir set, then zips the seeds of
// each target that wrote some into out/<fuzzer>_seed_corpus.zip. It
// returns the number of seeds of each fuzzer.
func writeZips(ctx context.Context, ts []target, out string) (map[string]int, error) {
	seeds, err := os.MkdirTemp("", "cflite-seeds-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(seeds)
	var pkgs []string
	for _, t := range ts {
		if !slices.Contains(pkgs, t.Pkg) {
			pkgs = append(pkgs, t.Pkg)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, seedTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-count=1", "-run", "^Fuzz"}, pkgs...)...)
	cmd.Env = append(os.Environ(), fuzzseed.EnvDir+"="+seeds)
	if b, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("running the seeds: %w\n%s", err, tail(b, 8<<10))
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return nil, err
	}
	n := map[string]int{}
	for _, t := range ts {
		k, err := zipDir(filepath.Join(seeds, t.Func), filepath.Join(out, t.Fuzzer+"_seed_corpus.zip"))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", t.Fuzzer, err)
		}
		n[t.Fuzzer] = k
	}
	return n, nil
}

// zipDir writes the files of dir, sorted by name, into a new zip file
// and returns how many it wrote. A missing dir writes nothing.
func zipDir(dir, zipPath string) (int, error) {
	ents, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	f, err := os.Create(zipPath)
	if err != nil {
		return 0, err
	}
	zw := zip.NewWriter(f)
	n := 0
	for _, e := range ents {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := readBounded(filepath.Join(dir, e.Name()))
		if err != nil {
			f.Close()
			return 0, err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: e.Name(), Method: zip.Deflate})
		if err != nil {
			f.Close()
			return 0, err
		}
		if _, err := w.Write(data); err != nil {
			f.Close()
			return 0, err
		}
		n++
	}
	if err := zw.Close(); err != nil {
		f.Close()
		return 0, err
	}
	return n, f.Close()
}

// readBounded reads a seed file of at most maxSeedFile bytes.
func readBounded(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxSeedFile+1))
	if err == nil && len(b) > maxSeedFile {
		err = fmt.Errorf("%s: seed over %d bytes", path, maxSeedFile)
	}
	return b, err
}

// tail is the last max bytes of b.
func tail(b []byte, max int) []byte {
	if len(b) > max {
		return append([]byte("..."), b[len(b)-max:]...)
	}
	return b
}
