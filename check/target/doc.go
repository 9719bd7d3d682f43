// Package target holds the transports of the checker: a Streamable HTTP
// target (connection lanes, fresh connections) and a stdio target (a
// process the checker starts, or streams it is given, e.g. a server in the
// same process over pipes). Every read is bounded in size and time, so a
// hostile server costs a run time, never memory or a hang.
package target
