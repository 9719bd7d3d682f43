// Command cflite is the part of the ClusterFuzzLite build
// (.clusterfuzzlite/build.sh) that Go does better than a shell: it reads
// the fuzz targets that build.sh compiles, runs their seeds once with
// fuzzseed.EnvDir set, and zips the seeds of each target into
// $OUT/<fuzzer>_seed_corpus.zip, where ClusterFuzzLite finds a fuzzer's
// seed corpus. Only the targets that add their seeds with fuzzseed.Add
// (those of one []byte) get one.
//
// Usage, from the module's root:
//
//	go run ./internal/cflite -script .clusterfuzzlite/build.sh -out DIR
//
// Its test checks build.sh against the fuzz targets that go test finds.
package main
