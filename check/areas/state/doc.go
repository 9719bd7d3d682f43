// Package state checks requestState (basic/patterns/mrtr.mdx, Server
// Requirements): integrity against every mutation family, binding to the
// request, its arguments, the principal and an expiry, and single use.
// The survey of the requests that issue state is package staterun's.
package state
