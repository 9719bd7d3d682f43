#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance)
# against the reference server, `mcpverify serve --http`, on loopback.
# Installs Node 22 and the suite into $CACHE/conformance
# (conformance-install.sh). Fails unless every scored 2026-07-28 server scenario
# passes.
set -euo pipefail
CACHE=${CACHE:-$PWD/.cache}
BIN=${BIN:-$PWD/bin}
# shellcheck source=conformance-install.sh
. "$(dirname "$0")/conformance-install.sh"

log=$(mktemp)
"$BIN/mcpverify" serve --http 127.0.0.1:0 2>"$log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -f "$log"' EXIT
url=""
for _ in $(seq 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$log" | head -1 || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "mcpverify serve did not start:"; cat "$log"; exit 1; }

out=$CACHE/conformance-results
rm -rf "$out"
set +e
"$node" "$suite" server --url "$url" --requirements 2026-07-28 -o "$out" | tee "$CACHE/conformance.log"
status=${PIPESTATUS[0]}
set -e
exit "$status"
