// Package mrtr checks multi round-trip requests (basic/patterns/mrtr.mdx)
// and the client capabilities they depend on: input requests only of kinds
// the client declared, -32021 where a capability is required, and the retry
// protocol (inputResponses validated, asked again when incomplete).
package mrtr
