// Command mcpverify verifies MCP servers against protocol revision
// 2026-07-28 and serves the reference server.
//
// Commands:
//
//	mcpverify check [--url URL ... | --command CMD] [flags]
//	                        check a server: over Streamable HTTP (--url), a stdio
//	                        server it starts (--command, split into words as a
//	                        shell does), or, with neither, the embedded reference
//	                        server in process
//	mcpverify list [--requirements | --only SELECTOR ...]
//	                        the checks and the requirement IDs each decides, or
//	                        the catalog's requirements (ID, level, what judges
//	                        it, text)
//	mcpverify replay [--url URL ... | --command CMD] [flags] TRACE.txtar
//	                        judge a saved trace again
//	mcpverify serve --http ADDR | --stdio [flags]
//	                        the reference server on http://ADDR/mcp, or on
//	                        stdin/stdout
//	mcpverify version       the version (also mcpverify --version, -version)
//	mcpverify help [COMMAND]
//	                        the commands, or a command's flags (the same as
//	                        mcpverify COMMAND -h)
//
// Exit status (part of the API):
//
//	0  ok: nothing failed (check), no longer occurs (replay)
//	1  could not check: the target would not start or never answered
//	   recognizably (the cause is printed), a trace is unreadable, or a
//	   report could not be written
//	2  usage: a bad flag or argument, checked before anything runs
//	3  violations: a failure no baseline excuses (check), still fails
//	   (replay)
//	4  incomplete: the run started but could not judge what it set out to
//	   judge (the server stopped answering, exited, answered garbage or
//	   over the limits, served no request, does not implement 2026-07-28,
//	   or the budget ran out before checks ran); the cause is printed
//	130 interrupted: SIGINT or SIGTERM stopped the run; the report of what
//	   was judged until then is written
//
// This is a thin main: the CLI lives in internal/cli.
package main
