// Package transport checks the generic behaviour of the transport:
// unknown and removed methods, GET and DELETE, notifications, content
// types, the ids of responses, malformed messages and Last-Event-ID.
package transport
