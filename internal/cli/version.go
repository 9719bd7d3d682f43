package cli

import (
	"fmt"

	"github.com/mcpverify/mcpverify/check/report"
	"github.com/mcpverify/mcpverify/wire"
)

func init() {
	register(&command{name: "version", summary: "print the version of mcpverify and the protocol revision it implements", run: runVersion})
}

func runVersion(e *env, args []string) int {
	fs := newFlagSet(e, "version", "")
	if code := fs.parse(args); code >= 0 {
		return code
	}
	if fs.NArg() > 0 {
		return fs.usageError("unexpected argument %q", fs.Arg(0))
	}
	fmt.Fprintf(e.stdout, "mcpverify %s (MCP protocol revision %s)\n", report.ToolVersion(), wire.Version)
	return ExitOK
}
