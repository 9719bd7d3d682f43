// Package utilities checks the utilities that accompany a request or open
// a stream: progress, per-request logging and subscriptions/listen.
package utilities
