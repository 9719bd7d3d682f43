package fuzzseed

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
)

// EnvDir names the environment variable that, set to a directory, makes
// Add write every seed it adds there.
const EnvDir = "MCPVERIFY_FUZZ_SEED_DIR"

// F is what Add needs of a *testing.F. It is an interface so that the
// fuzz targets compile where a fuzzing build replaces package testing.
type F interface {
	Helper()
	Name() string
	Add(args ...any)
	Fatalf(format string, args ...any)
}

// Add adds data to the seed corpus of the fuzz target f, whose fuzz
// function takes one []byte, and writes Input(data) to
// $MCPVERIFY_FUZZ_SEED_DIR/<f.Name()>/<hash> when that variable is set.
// A seed that cannot be written fails the target.
func Add(f F, data []byte) {
	f.Helper()
	f.Add(data)
	dir := os.Getenv(EnvDir)
	if dir == "" {
		return
	}
	in := Input(data)
	sum := sha256.Sum256(in)
	d := filepath.Join(dir, f.Name())
	if err := os.MkdirAll(d, 0o755); err != nil {
		f.Fatalf("fuzzseed: %v", err)
	}
	if err := os.WriteFile(filepath.Join(d, hex.EncodeToString(sum[:8])), in, 0o644); err != nil {
		f.Fatalf("fuzzseed: %v", err)
	}
}

// Input is the libFuzzer input on which the harness that
// compile_native_go_fuzzer_v2 builds calls a fuzz function of one []byte
// with data. That harness reads the fixed-size arguments first, then one
// weight byte per argument of variable size ([]byte, string), then gives
// each such argument its share of the rest: the last one takes all that
// remains. With one []byte argument the input is therefore a weight byte
// (its value unused) followed by data.
func Input(data []byte) []byte {
	return append([]byte{0}, data...)
}

// Data is the inverse of Input: the argument the harness passes for the
// libFuzzer input in, and whether in is long enough to be one.
func Data(in []byte) ([]byte, bool) {
	if len(in) == 0 {
		return nil, false
	}
	return in[1:], true
}
