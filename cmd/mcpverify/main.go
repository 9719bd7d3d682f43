package main

import (
	"os"
	"runtime/debug"

	"github.com/mcpverify/mcpverify/internal/cli"
)

// memoryLimit is the soft limit of the Go heap (unless GOMEMLIMIT sets
// one): a server that answers megabytes on every request leaves the
// checker garbage at the rate it reads, and the collector keeps the
// process near this limit instead of letting the heap double between
// collections. Each read is bounded on its own (the response limits).
const memoryLimit = 40 << 20

func main() {
	if _, set := os.LookupEnv("GOMEMLIMIT"); !set {
		debug.SetMemoryLimit(memoryLimit)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
