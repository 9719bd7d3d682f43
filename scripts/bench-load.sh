#!/usr/bin/env bash
# Loads the reference server (`mcpverify serve --http`) and the Go SDK's
# conformance server (everything-server v1.8.0, -stateless) in one run, with
# the same generator (hey) and the same request: tools/call test_simple_text
# with the 2026-07-28 headers and _meta. Loopback only; every load is bounded
# by -z. Rounds alternate between the servers to even out drift; the script
# prints req/s of each round, the means and their ratio, and fails if any
# answer had a status other than 200 or a sampled body is wrong.
set -euo pipefail
CACHE=${CACHE:-$PWD/.cache}
BIN=${BIN:-$PWD/bin}
GO=${GO:-go}
DURATION=${DURATION:-8s}
CONCURRENCY=${CONCURRENCY:-32}
ROUNDS=${ROUNDS:-2}
SDK_VERSION=v1.8.0

if ! command -v hey >/dev/null; then
  echo "installing hey (Debian package)"
  if [ "$(id -u)" = 0 ]; then apt-get install -y -q hey >/dev/null || { apt-get update -q >/dev/null && apt-get install -y -q hey >/dev/null; }
  else sudo apt-get install -y -q hey >/dev/null; fi
fi
sdk=$CACHE/bin/everything-server
if [ ! -x "$sdk" ]; then
  echo "installing the Go SDK conformance server $SDK_VERSION"
  GOBIN=$CACHE/bin "$GO" install "github.com/modelcontextprotocol/go-sdk/conformance/everything-server@$SDK_VERSION"
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

reflog=$(mktemp)
"$BIN/mcpverify" serve --http 127.0.0.1:0 2>"$reflog" & pids+=($!)
ref_url=""
for _ in $(seq 100); do
  ref_url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/mcp' "$reflog" | head -1 || true)
  [ -n "$ref_url" ] && break; sleep 0.1
done
[ -n "$ref_url" ] || { echo "reference server did not start"; cat "$reflog"; exit 1; }

port=$(free_port)
"$sdk" -http "127.0.0.1:$port" -stateless >/dev/null 2>&1 & pids+=($!)
sdk_url="http://127.0.0.1:$port/mcp"
for _ in $(seq 100); do curl -s -o /dev/null "$sdk_url" && break; sleep 0.1; done

body='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{},"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientInfo":{"name":"bench","version":"1"},"io.modelcontextprotocol/clientCapabilities":{}}}}'
headers=(-H "Accept: application/json, text/event-stream" -H "MCP-Protocol-Version: 2026-07-28" -H "Mcp-Method: tools/call" -H "Mcp-Name: test_simple_text")

sample() { # one request; the answer must be the fixture's text
  local out
  out=$(curl -s -X POST "$1" -H "Content-Type: application/json" "${headers[@]}" -d "$body")
  grep -q 'This is a simple text response for testing.' <<<"$out" || { echo "wrong answer from $1: $out"; exit 1; }
}

load() { # prints req/s; fails unless every answer was 200
  local out rps
  out=$(hey -z "$DURATION" -c "$CONCURRENCY" -m POST -T application/json "${headers[@]}" -d "$body" "$1")
  rps=$(awk '/Requests\/sec:/ {print $2}' <<<"$out")
  if ! grep -A20 'Status code distribution' <<<"$out" | grep -q '\[200\]' || grep -A20 'Status code distribution' <<<"$out" | grep -E '^\s+\[[0-9]+\]' | grep -vq '\[200\]' || grep -q 'Error distribution' <<<"$out"; then
    echo "non-200 answers or errors from $1:"; echo "$out" | sed -n '/Status code distribution/,$p'; exit 1
  fi
  echo "$rps"
}

sample "$ref_url"; sample "$sdk_url"
ref_total=0; sdk_total=0
for r in $(seq "$ROUNDS"); do
  a=$(load "$ref_url"); b=$(load "$sdk_url")
  printf 'round %d: reference %10.0f req/s   go-sdk %10.0f req/s\n' "$r" "$a" "$b"
  ref_total=$(awk -v x="$ref_total" -v y="$a" 'BEGIN{print x+y}')
  sdk_total=$(awk -v x="$sdk_total" -v y="$b" 'BEGIN{print x+y}')
done
sample "$ref_url"; sample "$sdk_url"
awk -v a="$ref_total" -v b="$sdk_total" -v n="$ROUNDS" 'BEGIN{
  printf "mean:    reference %10.0f req/s   go-sdk %10.0f req/s\n", a/n, b/n;
  printf "ratio:   reference / go-sdk = %.1fx\n", a/b }'
