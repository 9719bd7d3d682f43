// Package headers checks the mirrored request headers of Streamable HTTP
// (Mcp-Method, Mcp-Name, Mcp-Param-*: missing, mismatched, invalid, Base64
// forms, name case), malformed raw header lines, and the x-mcp-header
// annotations of tool input schemas.
package headers
