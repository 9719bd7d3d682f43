// Package gen draws values from JSON Schema (2020-12) and URIs from RFC
// 6570 templates, against a Chooser, so that the same generators serve the
// checker's requests (a seeded *rand.Rand, gopter) and property tests
// (rapid). It imports nothing of the module.
package gen
