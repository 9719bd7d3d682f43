#!/usr/bin/env bash
# Runs every native fuzz target of the module for FUZZTIME each: the
# packages and targets are found with `go test -list '^Fuzz'`, not listed
# by hand. Prints, per target, the executions per second of its last
# progress line, then a table. Fails at the first target that fails.
set -euo pipefail
GO=${GO:-go}
FUZZTIME=${FUZZTIME:-20s}
table=$(mktemp)
trap 'rm -f "$table"' EXIT
for pkg in $($GO list ./...); do
  targets=$($GO test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true)
  for t in $targets; do
    echo "== $pkg $t (FUZZTIME $FUZZTIME)"
    log=$(mktemp)
    if ! $GO test -run '^$' -fuzz "^$t\$" -fuzztime "$FUZZTIME" "$pkg" >"$log" 2>&1; then
      cat "$log"
      rm -f "$log"
      echo "fuzz: $pkg $t failed"
      exit 1
    fi
    # The last progress line: executions over the time elapsed (its
    # "/sec" figure is of the last interval only).
    rate=$(grep -o 'elapsed: [0-9hms.]*, execs: [0-9]*' "$log" | tail -1 | awk '{
      d = $2; sub(",", "", d); secs = 0
      if (match(d, /[0-9]+h/)) secs += 3600 * substr(d, RSTART, RLENGTH - 1)
      if (match(d, /[0-9]+m/)) secs += 60 * substr(d, RSTART, RLENGTH - 1)
      if (match(d, /[0-9.]+s/)) secs += substr(d, RSTART, RLENGTH - 1)
      if (secs > 0) printf "%d", $4 / secs
    }' || true)
    printf '%-45s %-28s %10s execs/s\n' "${pkg#github.com/mcpverify/mcpverify}" "$t" "${rate:-?}" | tee -a "$table"
    rm -f "$log"
  done
done
echo
echo "fuzz targets, FUZZTIME $FUZZTIME:"
cat "$table"
