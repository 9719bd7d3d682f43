// Package selftest is the checker's self-test, in its tests only: every
// check area against the reference server (nothing fails), against each
// deliberately broken variant of check/internal/faulty (the check names
// the requirement the variant breaks), against servers that reject
// everything (no pass) and against hostile servers (bounded, no hang),
// and every saved trace replayed.
package selftest
