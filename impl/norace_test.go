//go:build !race

package impl

// raceDetector: see race_test.go.
const raceDetector = false
