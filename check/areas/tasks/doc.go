// Package tasks checks a server of the tasks extension
// (io.modelcontextprotocol/tasks; SEP-2663, extensions/tasks-overview.mdx)
// by driving its tasks: what it sends to a request that does not declare
// the extension, the lifecycle of its tasks (durable creation, unknown
// IDs, cancellation, terminal statuses, tool errors, listen streams), the
// randomness of its task IDs, who may read, answer and cancel a task, and
// whether a flood of tasks meets a limit.
//
// Task tools are found, not named: each tool of the server (at most
// maxSurvey, none marked destructiveHint) is called once by a client that
// declares the extension, and a CreateTaskResult marks it. Every exchange
// is judged by the run's model too, which decides the rules of one
// exchange or one task's history (result types, shapes, acknowledgements,
// terminal statuses, a task served to another principal).
package tasks
