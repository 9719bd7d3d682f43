// Package cli is the mcpverify command line: one flag.FlagSet per
// subcommand, dispatched from a small command table (commands register
// themselves in it), with exit codes that are part of the API:
//
//	0  ok (for check: nothing failed)
//	1  could not run
//	2  usage
//	3  violations found (check)
//
// Main never calls os.Exit and writes only to the writers it is given.
package cli
