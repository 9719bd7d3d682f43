// Package check is the core of the checker of mcpverify: it drives an MCP
// server with requests, judges every exchange with package model, and
// reports each violation against a requirement of package spec, with a
// trace that replays.
//
// The core is small: Run and Options; Report and Result; the Target
// interface with Request (the transports are package check/target); Env,
// through which a check sends requests (Send, SendTo), judges negative
// probes (Expect) and records verdicts (Pass, Violation, Inconclusive,
// Skip); the registry of checks (Register, Checks); discovery (the era of
// the server and every list it declares, learnt into Declarations); the
// identities of a run (AsAlt, ProbeAuth) and its shared store (Shared);
// judging, verdict aggregation and Replay. The checks themselves live in
// one package per area under check/areas, and register themselves with
// the core; check/areas/all imports them all.
//
// Around the core: check/gen (values from JSON Schema, URIs from
// templates) and check/legacyclient (the 2025-11-25 client) below it;
// check/target and check/report beside the areas; check/probe (the probe
// skeleton and the families of requests the areas share) and
// check/staterun (the requestState survey) between the core and the
// areas. deps_test.go at the module root enforces the lattice: the core
// imports no area, areas never import one another, reports import no
// check.
//
// # Adding a check
//
// A check is one file in one area package (a new area is a new package
// under check/areas, added to check/areas/all), registered from init:
//
//	func init() {
//		check.Register(&check.Check{
//			Name: "headers/mcp-example", // "<area>/<name>"
//			IDs:  []spec.ID{spec.HttpHeaderMismatch},
//			Run:  checkExample,
//		})
//	}
//
// Run receives an Env. A negative check first sends the request without
// the defect and needs it served (probe.ServedList, probe.ServedToolCall:
// the reason-bound unaltered request), then sends each mutation and judges it with
// Expect or its own rule; it records a Pass only when the outcome happened
// for the right reason, Inconclusive when it cannot tell, Skip when the
// requirement does not apply. Most checks need not write that sequence:
// probe.Family gives a verdict per mutation (Run: family.Run), probe.Sweep
// one verdict per requirement from a list of probes (the first breaking
// answer decides), probe.HeaderIgnored decides a header the server must
// ignore. Every exchange sent through the Env is also
// judged by the model, and the check's exchanges are the evidence of its
// violations. A requirement a check decides gets its pass only from a
// check, never from the model's passive judgment.
//
// Then, for the check's self-test: a deliberately broken variant of the
// reference server in check/internal/faulty that breaks the requirement
// (its Breaks name the IDs), which check/selftest runs the checker
// against; and, where the check has logic of its own worth testing alone,
// a unit test in the area package. None of this touches the core.
package check
