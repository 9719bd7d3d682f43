package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// Exit codes.
const (
	ExitOK         = 0
	ExitCannotRun  = 1
	ExitUsage      = 2
	ExitViolations = 3
	ExitIncomplete = 4
)

// env is what a command runs with.
type env struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	// run parses args with its own flag.FlagSet and returns an exit code.
	run func(e *env, args []string) int
}

var commands = map[string]*command{}

// register adds a command to the table; each command's file registers it
// from init.
func register(c *command) {
	if commands[c.name] != nil {
		panic("cli: command registered twice: " + c.name)
	}
	commands[c.name] = c
}

// Main runs the mcpverify command line with args (without the program
// name) and returns the exit code. SIGINT and SIGTERM cancel the running
// command's context.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	e := &env{ctx: ctx, stdin: stdin, stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		usage(stderr)
		return ExitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		usage(stdout)
		return ExitOK
	}
	c := commands[args[0]]
	if c == nil {
		fmt.Fprintf(stderr, "mcpverify: unknown command %q\n\n", args[0])
		usage(stderr)
		return ExitUsage
	}
	return c.run(e, args[1:])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "usage: mcpverify <command> [flags]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "commands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'mcpverify <command> -h' for a command's flags.")
}

// newFlagSet makes a command's flag set: errors are returned, not fatal,
// and usage goes to the command's stderr.
func newFlagSet(e *env, name, synopsis string) *flag.FlagSet {
	fs := flag.NewFlagSet("mcpverify "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: mcpverify %s %s\n\nflags:\n", name, synopsis)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses a command's flags; it returns an exit code when the
// command should stop (help asked: 0; bad flags: 2), else -1.
func parse(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return ExitOK
		}
		return ExitUsage
	}
	return -1
}
