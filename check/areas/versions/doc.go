// Package versions checks protocol version negotiation (unsupported
// versions, a body that differs from the header) and the
// MCP-Protocol-Version header (missing, mutated).
package versions
