package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes.
const (
	ExitOK         = 0
	ExitCannotRun  = 1
	ExitUsage      = 2
	ExitViolations = 3
	ExitIncomplete = 4
	// ExitInterrupted: the run was stopped (SIGINT, SIGTERM); the partial
	// report was written, marked interrupted.
	ExitInterrupted = 130
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
	// run parses args with its own flag set (newFlagSet) and returns an
	// exit code; with -h it prints its usage on stdout and returns 0.
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
	case "-h", "-help", "--help":
		usage(stdout)
		return ExitOK
	case "-version", "--version":
		return runVersion(e, args[1:])
	case "help":
		return runHelp(e, args[1:])
	}
	c := commands[args[0]]
	if c == nil {
		fmt.Fprintf(stderr, "mcpverify: unknown command %q\n\n", args[0])
		usage(stderr)
		return ExitUsage
	}
	return c.run(e, args[1:])
}

// runHelp is `mcpverify help [COMMAND]`: the command's usage (as
// `mcpverify COMMAND -h` prints it), or the list of commands.
func runHelp(e *env, args []string) int {
	switch {
	case len(args) == 0:
		usage(e.stdout)
		return ExitOK
	case len(args) > 1:
		fmt.Fprintln(e.stderr, "usage: mcpverify help [COMMAND]")
		return ExitUsage
	}
	if args[0] == "help" {
		usage(e.stdout)
		return ExitOK
	}
	c := commands[args[0]]
	if c == nil {
		fmt.Fprintf(e.stderr, "mcpverify help: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return ExitUsage
	}
	return c.run(e, []string{"-h"})
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
	fmt.Fprintf(w, "  %-10s %s\n", "help", "print a command's flags (mcpverify help COMMAND)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Run 'mcpverify help <command>' (or 'mcpverify <command> -h') for a command's flags;")
	fmt.Fprintln(w, "'mcpverify --version' prints the version.")
}

// flagSet is a command's flag set: errors are returned, not fatal; -h
// prints the usage (written from the flags, as the README writes them:
// --name) on stdout, and a usage error says so on stderr.
type flagSet struct {
	*flag.FlagSet
	e        *env
	name     string
	synopsis string
}

func newFlagSet(e *env, name, synopsis string) *flagSet {
	fs := flag.NewFlagSet("mcpverify "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr) // the flag package's own error messages
	fs.Usage = func() {}   // printed by parse instead
	return &flagSet{FlagSet: fs, e: e, name: name, synopsis: synopsis}
}

// parse parses a command's flags; it returns an exit code when the
// command should stop (help asked: 0, the usage on stdout; bad flags: 2),
// else -1.
func (fs *flagSet) parse(args []string) int {
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			fs.usage(fs.e.stdout)
			return ExitOK
		}
		fs.hint()
		return ExitUsage
	}
	return -1
}

// usageError says what is wrong with the command line and returns
// ExitUsage.
func (fs *flagSet) usageError(format string, args ...any) int {
	fmt.Fprintf(fs.e.stderr, "mcpverify %s: %s\n", fs.name, fmt.Sprintf(format, args...))
	fs.hint()
	return ExitUsage
}

// hint points from a usage error to the usage.
func (fs *flagSet) hint() {
	fmt.Fprintf(fs.e.stderr, "usage: mcpverify %s %s\nRun 'mcpverify help %s' for its flags.\n", fs.name, fs.synopsis, fs.name)
}

// usage writes the command's synopsis, summary and flags, each flag as
// --name (-x for one letter), with its value's placeholder (the usage text's `quoted` word,
// else its type) and its default when that is not the zero value.
func (fs *flagSet) usage(w io.Writer) {
	fmt.Fprintf(w, "usage: mcpverify %s %s\n", fs.name, fs.synopsis)
	if c := commands[fs.name]; c != nil {
		fmt.Fprintf(w, "\n%s.\n", capitalize(c.summary))
	}
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		if n == 0 {
			fmt.Fprintf(w, "\nflags:\n")
		}
		n++
		placeholder, text := flag.UnquoteUsage(f)
		if placeholder != "" {
			placeholder = " " + strings.ToUpper(placeholder)
		}
		dashes := "--"
		if len(f.Name) == 1 {
			dashes = "-" // -v, -h: one letter, one dash
		}
		fmt.Fprintf(w, "  %s%s%s\n", dashes, f.Name, placeholder)
		fmt.Fprintf(w, "        %s", text)
		switch f.DefValue {
		case "", "0", "false", "0s":
		default:
			fmt.Fprintf(w, " (default %s)", f.DefValue)
		}
		fmt.Fprintln(w)
	})
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
