#!/bin/bash -eu
# ClusterFuzzLite build of the module's native Go fuzz targets; run by the
# base-builder-go image's `compile`, in the source directory, with $OUT
# set. One compile_native_go_fuzzer_v2 line per target, written out in
# full: <package> <FuzzTarget> <fuzzer name>, the name being the package
# path below the module with "/" as "_", then "_" and the target.
# internal/cflite's test fails when a target of `go test -list '^Fuzz'`
# is missing here or a line names none.

# Seed corpora first (the compile steps rewrite test files while they
# build): the seeds that the targets of one []byte add with fuzzseed.Add,
# zipped as $OUT/<fuzzer>_seed_corpus.zip.
go run ./internal/cflite -script "$0" -out "$OUT"

compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzAlteredToken fuzz_FuzzAlteredToken
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzFilesConfined fuzz_FuzzFilesConfined
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzTraceRoundTrip fuzz_FuzzTraceRoundTrip
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzDecodeMessage fuzz_FuzzDecodeMessage
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzModelStep fuzz_FuzzModelStep
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzModelVsImpl fuzz_FuzzModelVsImpl
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzStateMutation fuzz_FuzzStateMutation
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzStateRoundTrip fuzz_FuzzStateRoundTrip
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzCartHandle fuzz_FuzzCartHandle
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzTransferForgedState fuzz_FuzzTransferForgedState
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzServerHTTP fuzz_FuzzServerHTTP
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzHostileHTTP fuzz_FuzzHostileHTTP
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzHostileStdio fuzz_FuzzHostileStdio
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/fuzz FuzzTokenClaims fuzz_FuzzTokenClaims
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/impl FuzzAudience impl_FuzzAudience
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/impl FuzzAuthorization impl_FuzzAuthorization
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/impl FuzzOrigin impl_FuzzOrigin
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/impl FuzzCore impl_FuzzCore
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/wire FuzzParseChallenges wire_FuzzParseChallenges
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/wire FuzzEnvelopeAgrees wire_FuzzEnvelopeAgrees
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/wire FuzzDecodeRequestAgrees wire_FuzzDecodeRequestAgrees
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/wire FuzzUnmarshalRoundTrip wire_FuzzUnmarshalRoundTrip
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/wire FuzzTaskTypesRoundTrip wire_FuzzTaskTypesRoundTrip
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/wire FuzzFastDecodeAgrees wire_FuzzFastDecodeAgrees
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/wire FuzzLineReader wire_FuzzLineReader
compile_native_go_fuzzer_v2 github.com/mcpverify/mcpverify/check/areas/apps FuzzScanHTML check_areas_apps_FuzzScanHTML
