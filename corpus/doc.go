// Package corpus embeds the trace corpus of mcpverify (txtar files, see
// package trace): seeds/ for fuzz targets and generators, attacks/ for
// attack traces the checker replays, and fixedbugs/ for traces of bugs found
// and fixed, kept so that they stay fixed.
//
// attacks/ holds traces the checker saved against the broken servers of its
// self-test (check/internal/faulty): each names the defect (note), the
// check and the requirement it breaks (want). corpus/fixedbugs holds the
// model's former misjudgments with the verdict they must give now.
package corpus
