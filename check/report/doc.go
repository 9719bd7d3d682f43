// Package report writes the outcome of a run: text for the terminal,
// JSON (docs/report-schema.md), JUnit XML, a self-contained HTML page, and
// the traces of failures; and reads the known-failures file (--baseline).
// It imports the checker's core, never a check.
package report
