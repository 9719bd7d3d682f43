// Package trace reads and writes transcripts of exchanges in the txtar
// format: the comment holds "key: value" fields, and each exchange is a
// pair of files, N.request and N.response (HTTP, written as HTTP messages)
// or N.stdin and N.stdout (stdio, one message per line), with an optional
// N.meta. Traces are what the model is tested on, what a failing check
// saves, and what `mcpverify replay` sends again.
package trace
