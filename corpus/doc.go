// Package corpus embeds the trace corpus of mcpverify (txtar files, see
// package trace): seeds/ for fuzz targets and generators, attacks/ for
// attack traces the checker replays, and fixedbugs/ for traces of bugs found
// and fixed, kept so that they stay fixed.
//
// attacks/ holds traces the checker saved against the broken servers of its
// self-test (check/internal/faulty), one or more per attack class: each
// names the variant, the defect (note), the check and the requirement it
// breaks (want), and where the class is known from (source: an advisory,
// a CVE, the spec's security pages). The self-test replays each against
// its variant, where it must fail, and against the reference server, where
// it must not (check/selftest TestReplayAttacks). To add one, run the
// self-test of the variant with MCPVERIFY_SAVE_ATTACKS=DIR, take the trace
// it writes there, and give it a source and a note.
//
// corpus/fixedbugs holds the model's former misjudgments with the verdict
// they must give now. Failures a fuzz target finds that are not sequences
// of exchanges are kept as committed seeds under that target's
// testdata/fuzz directory instead.
package corpus
