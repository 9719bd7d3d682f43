// Package fuzzseed adds the seeds of the native fuzz targets that take one
// []byte, and writes them out for the ClusterFuzzLite build, whose fuzzers
// never see what f.Add adds. It is imported by tests only.
//
// A target calls Add(f, data) where it would call f.Add(data). With the
// environment variable EnvDir set to a directory, Add also writes the seed
// as a libFuzzer input to DIR/<target name>/<hash>; internal/cflite runs
// the targets' seeds that way and zips each directory into the fuzzer's
// seed corpus. One list of seeds serves both.
package fuzzseed
