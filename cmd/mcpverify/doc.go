// Command mcpverify verifies MCP servers against protocol revision
// 2026-07-28 and serves the reference server.
//
//	mcpverify serve --http 127.0.0.1:8080   the reference server on http://ADDR/mcp
//	mcpverify serve --stdio                 the reference server on stdin/stdout
//	mcpverify version
//
// This is a thin main: the CLI lives in internal/cli, whose exit codes are
// part of its API (0 ok, 1 could not run, 2 usage).
package main
