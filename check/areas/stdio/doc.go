// Package stdio checks the stdio transport: silence after a cancellation,
// answers that depend only on each request's own _meta when requests share
// one process, and exit at the end of input.
package stdio
