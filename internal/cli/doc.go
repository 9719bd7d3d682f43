// Package cli is the mcpverify command line: one flag set per subcommand
// (check, list, replay, serve, version; help prints their usage), dispatched
// from a small command table (commands register themselves in it). Every
// flag is validated before a command starts its work. The exit codes are
// part of the API:
//
//	0  ok (for check: nothing failed)
//	1  could not check (the target would not start or never answered
//	   recognizably: the cause is printed) or a report could not be written
//	2  usage
//	3  violations found
//	4  incomplete: the run started but could not judge what it set out to
//	   judge (check.Report.Incomplete, printed)
//	130 interrupted (SIGINT, SIGTERM): the partial report is written
//
// Main never calls os.Exit and writes only to the writers it is given; it
// draws a progress line only when stderr is a terminal (an *os.File).
package cli
