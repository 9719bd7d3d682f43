// Package corpus embeds the trace corpus of mcpverify (txtar files, see
// package trace): seeds/ for fuzz targets and generators, attacks/ for
// attack traces the checker replays, and fixedbugs/ for traces of bugs found
// and fixed, kept so that they stay fixed.
package corpus
