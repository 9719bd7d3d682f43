// Package results makes sure the model gets every kind of result to judge:
// every list page, every tool, prompt and resource called, pagination with
// valid and invalid cursors, and reads of resources that do not exist.
package results
