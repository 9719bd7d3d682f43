// Package check is the checker of mcpverify: it drives an MCP server (over
// Streamable HTTP or stdio) with generated requests and attacks, judges
// every exchange with package model, and reports each violation against a
// requirement of package spec, with a trace that replays.
//
// This file set holds the parts every check uses: targets (HTTPTarget),
// conforming request construction (Client.Request), the declarations a
// server makes about itself (Declarations), and generators of values from
// JSON Schema (GenerateValue) and of URIs from templates, written against a
// Chooser so that both gopter and rapid can drive them.
package check
