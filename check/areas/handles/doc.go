// Package handles checks server-minted state handles (SEP-2567; the
// STATE-HANDLE-* requirements): detection of the tools that mint, take
// and release handles, by the flow of values from tool results into
// other tools' arguments, confirmed by an acceptance test (names and
// descriptions order the trials; --hints add kinds), within a fixed
// bound of calls and time; then for each kind of handle its randomness
// and entropy, binding to the principal it was minted for, possession
// without credentials, use after release, and whether refusals tell which
// handles exist.
package handles
