// Package fuzz holds the native Go fuzz targets of mcpverify (run them with
// `go test -fuzz=FuzzName ./fuzz/` or `make fuzz`). Each target seeds from
// package corpus and asserts a property, not only the absence of a panic:
// traces round-trip through their format; the model judges any exchange
// with catalog requirements only and deterministically; the model accepts
// every answer of the reference server.
package fuzz
