// Package stateless checks statelessness: lists that do not vary per
// connection or as a side effect of other requests, Mcp-Session-Id neither
// minted nor honoured, and answers that depend on each request's own _meta
// when requests interleave.
package stateless
