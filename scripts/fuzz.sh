#!/usr/bin/env bash
# Runs every native fuzz target of the module for FUZZTIME each: the
# packages and targets are found with `go test -list '^Fuzz'`, not listed
# by hand (FUZZTARGETS, an extended regular expression, keeps only the
# targets whose name matches). FUZZJOBS targets run at a time (default
# 1), each with one worker (-parallel 1), so that the rates compare.
# Prints, per target, the
# executions per second of its whole run, then a table sorted by package
# and target. Fails when a target fails (after the others have run), with
# its output. FUZZMINIMIZETIME (default 5s) bounds each minimization of a
# new input: while it runs, the target's only worker does not fuzz, and at
# go's default of 60s a one-worker run spent most of its time minimizing
# (FuzzDecodeRequestAgrees: 2,100 executions per second in a minute, 7,200
# with 2s, on the same loaded machine).
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
FUZZJOBS=${FUZZJOBS:-1}
FUZZTARGETS=${FUZZTARGETS:-.}
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-5s}
export GO FUZZTIME FUZZMINIMIZETIME

# One target: fuzz.sh --one PKG TARGET prints its table line, or its log
# and a failure line.
if [ "${1:-}" = "--one" ]; then
  pkg=$2 t=$3
  log=$(mktemp)
  trap 'rm -f "$log"' EXIT
  if ! $GO test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" -fuzzminimizetime "$FUZZMINIMIZETIME" -parallel 1 "$pkg" >"$log" 2>&1; then
    cat "$log" >&2
    printf '%-45s %-28s %10s\n' "${pkg#github.com/mcpverify/mcpverify}" "$t" "FAILED"
    exit 1
  fi
  # The last progress line: executions over the time elapsed (its "/sec"
  # figure is of the last interval only).
  rate=$(grep -o 'elapsed: [0-9hms.]*, execs: [0-9]*' "$log" | tail -1 | awk '{
    d = $2; sub(",", "", d); secs = 0
    if (match(d, /[0-9]+h/)) secs += 3600 * substr(d, RSTART, RLENGTH - 1)
    if (match(d, /[0-9]+m/)) secs += 60 * substr(d, RSTART, RLENGTH - 1)
    if (match(d, /[0-9.]+s/)) secs += substr(d, RSTART, RLENGTH - 1)
    if (secs > 0) printf "%d", $4 / secs
  }' || true)
  printf '%-45s %-28s %10s execs/s\n' "${pkg#github.com/mcpverify/mcpverify}" "$t" "${rate:-?}"
  exit 0
fi

pairs=$(mktemp)
table=$(mktemp)
trap 'rm -f "$pairs" "$table"' EXIT
for pkg in $($GO list ./...); do
  for t in $($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' | grep -E "$FUZZTARGETS" || true); do
    echo "$pkg $t" >>"$pairs"
  done
done
echo "fuzzing $(wc -l <"$pairs") targets for $FUZZTIME each, $FUZZJOBS at a time, minimizing each new input for at most $FUZZMINIMIZETIME"
status=0
xargs -P "$FUZZJOBS" -L 1 "$0" --one <"$pairs" | tee "$table" || status=1
echo
echo "fuzz targets, FUZZTIME $FUZZTIME, FUZZJOBS $FUZZJOBS:"
sort "$table"
exit $status
