//go:build race

package selftest_test

// raceDetector: under the race detector a child process's peak RSS starts
// from the (instrumented) test process's, so the checker's memory bound is
// not asserted.
const raceDetector = true
