// Package hints reads the --hints file: what the protocol does not mark
// and the state checks cannot always detect (state-handle tools,
// single-use requests, requests whose state matters, lifetimes). It sits
// below the checker's core, which configures the model from it.
package hints
