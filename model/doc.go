// Package model is an executable model of MCP revision 2026-07-28 as it
// binds a server: a pure acceptor that judges observed exchanges.
//
// State.Step takes one exchange (the request as sent, with its HTTP
// headers, and everything the server sent back) and returns the next state
// and every violation it sees, each naming a requirement of package spec
// with its level. Where the spec lets a server choose (ids, requestState
// contents, message texts, which of several required rejections to give a
// request with several defects), the model accepts any conforming choice;
// where it cannot know (a version the server has not declared, an Origin
// policy it was not told), it does not judge.
//
// The rules are rows of one ordered table (rules.go): the spec page each
// states, whether it learns or judges, and the requirements it may report
// (enforced in the model's tests). Their functions live in one file per
// spec page (envelope.go for basic/index,
// http.go for Streamable HTTP, mrtr.go, caching.go, utilities.go for
// progress, logging, cancellation and subscriptions, primitives.go for
// discover, tools, resources and prompts, state.go for requestState and
// state handles, tasks.go for the tasks extension); request.go decides what a request's defects oblige the
// server to answer.
//
// Step does no I/O and reads no clock: time comes from the exchange. The
// first Step on an exchange decodes it and validates each server message
// against schema.json (Prepare); that work is done once and cached in the
// exchange, so judging itself is cheap.
package model
