// Package spec is the requirement catalog of MCP revision 2026-07-28: one
// entry per normative statement that binds a server, with its ID, level,
// source page and section, a paraphrase, and whether a black-box checker can
// test it. IDs are typed constants (ids.go, generated from catalog.json by
// `go generate ./spec`), so a misspelt ID does not compile.
//
// Package spec also embeds the official schema.json and validates JSON
// documents against its definitions.
package spec
