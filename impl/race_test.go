//go:build race

package impl

// raceDetector: the race detector's shadow memory multiplies what the
// process holds, so memory budgets are not asserted under it.
const raceDetector = true
