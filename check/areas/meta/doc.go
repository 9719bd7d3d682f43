// Package meta checks the per-request _meta fields (missing, null or of
// the wrong type: rejected with -32602, HTTP 400) and the per-request log
// level.
package meta
