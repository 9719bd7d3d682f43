#!/usr/bin/env bash
# Mutation testing of the reference server's security code with gremlins
# (pinned below; run through `go run`, nothing installed). Only the files
# of MUTATION_FILES (names in impl/) are mutated: gremlins has no include
# flag, so every other non-test file of impl/ is excluded by an anchored
# regular expression, and a file added to impl/ later is excluded until it
# is listed. The tests run are impl's own (`go test` of the package).
#
#   MUTATION_FILES    the files to mutate (default: the security files; see docs/mutation.md)
#   MUTATION_WORKERS  gremlins --workers (default 2)
#   MUTATION_TIMEOUT  gremlins --timeout-coefficient (default 10)
#   MUTATION_MIN      --threshold-efficacy: fail when efficacy is at or below it (default 85;
#                     gremlins counts a mutant that does not compile as killed, see docs/mutation.md)
#   MUTATION_DRY      set: list the mutants without running the tests
#   CACHE             where the JSON results go (default .cache); the file is $CACHE/mutation.json
#
# At the end (with jq) it prints every mutant that lived or is not covered, as
# file:line:column mutator status, from the JSON.
set -euo pipefail
GO=${GO:-go}
GREMLINS=github.com/go-gremlins/gremlins/cmd/gremlins@v0.6.0
CACHE=${CACHE:-$PWD/.cache}
MUTATION_FILES=${MUTATION_FILES:-auth.go resource.go issuer.go state.go mrtr.go carts.go store.go store_memory.go headers.go origin.go files.go owned.go tasks.go}
MUTATION_WORKERS=${MUTATION_WORKERS:-2}
MUTATION_TIMEOUT=${MUTATION_TIMEOUT:-10}
MUTATION_MIN=${MUTATION_MIN:-85}

root=$(pwd)
test -f "$root/go.mod" || { echo "mutation: run from the module root"; exit 2; }
for f in $MUTATION_FILES; do
  test -f "impl/$f" || { echo "mutation: impl/$f does not exist"; exit 2; }
done

args=()
for path in impl/*.go; do
  f=${path#impl/}
  case "$f" in *_test.go) continue ;; esac
  case " $MUTATION_FILES " in *" $f "*) continue ;; esac
  args+=(--exclude-files "^${f//./\\.}\$")
done

mkdir -p "$CACHE"
out="$CACHE/mutation.json"
rm -f "$out"
dry=()
if [ -n "${MUTATION_DRY:-}" ]; then dry=(--dry-run); fi

echo "== gremlins v0.6.0 on impl: $MUTATION_FILES (workers $MUTATION_WORKERS, timeout coefficient $MUTATION_TIMEOUT)"
start=$(date +%s)
status=0
# The store tests need redis-server: without it they fail, rather than
# skip. -count=1: gremlins times each mutant's run against the first
# (coverage) run, which must therefore not come from the test cache.
# -short (through GOFLAGS, which every `go test` of gremlins reads)
# skips the one test it skips, TestHeldBodies: 200 connections of 4 MiB
# bodies against limits.go, no file mutated here, the costliest test of
# impl (seconds of CPU on every mutant that survives up to it); -vet=off
# spares the vet of impl that `go test` would redo for every mutant (vet is
# part of `make test`; a mutant that only vet would catch then counts as
# lived, never as killed).
GOFLAGS="${GOFLAGS:+$GOFLAGS }-count=1 -short -vet=off" MCPVERIFY_REQUIRE_REDIS=1 $GO run "$GREMLINS" unleash "$root/impl" \
  "${args[@]}" "${dry[@]}" \
  --workers "$MUTATION_WORKERS" --timeout-coefficient "$MUTATION_TIMEOUT" \
  --threshold-efficacy "$MUTATION_MIN" --output "$out" || status=$?
echo "== wall time: $(( $(date +%s) - start )) s; results in $out"

if [ -f "$out" ] && [ -z "${MUTATION_DRY:-}" ] && command -v jq >/dev/null; then
  echo "== per file: killed lived not-covered timed-out not-viable"
  jq -r '.files[] | [.file_name,
      ([.mutations[] | select(.status == "KILLED")] | length),
      ([.mutations[] | select(.status == "LIVED")] | length),
      ([.mutations[] | select(.status == "NOT COVERED")] | length),
      ([.mutations[] | select(.status == "TIMED OUT")] | length),
      ([.mutations[] | select(.status == "NOT VIABLE")] | length)] | @tsv' "$out" | sort | column -t
  echo "== survivors"
  jq -r '.files[] | .file_name as $f | .mutations[] | select(.status == "LIVED" or .status == "NOT COVERED")
      | "\($f):\(.line):\(.column) \(.type) \(.status)"' "$out" | sort -t: -k1,1 -k2,2n
fi
exit $status
