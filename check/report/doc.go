// Package report writes the outcome of a run: text for the terminal,
// JSON (docs/report-schema.md), JUnit XML, a SARIF 2.1.0 log for code
// scanning, a self-contained HTML page, and
// the traces of failures; and reads the known-failures file (--baseline).
// It imports the checker's core, never a check.
package report

import "runtime/debug"

// ToolVersion is the version of mcpverify: the main module's version from
// the build information ("v1.2.3" for an installed release, a pseudo-
// version for a build from a checkout), or "(devel)". It is the one source
// of the version that `mcpverify version` and the reports print.
func ToolVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
