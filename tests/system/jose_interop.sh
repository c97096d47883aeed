#!/usr/bin/env bash
# An off-the-shelf JOSE library (npm `jose`) verifies our EdDSA and ES256
# records unchanged, with the JWKS we publish; a changed payload fails.
# usage: jose_interop.sh LEDGERCTL
set -euo pipefail
ledgerctl=$1
here=$(cd "$(dirname "$0")/../js" && pwd)
if ! command -v node >/dev/null || [ ! -d "$here/node_modules/jose" ]; then
  echo "node or tests/js/node_modules/jose missing (./ops/dev setup installs them)"; exit 77
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$ledgerctl" demo --data "$dir/data" >/dev/null
"$ledgerctl" export --data "$dir/data" > "$dir/export.jsonl"
"$ledgerctl" keys --data "$dir/data" > "$dir/jwks.json"
node "$here/verify_records.mjs" "$dir/export.jsonl" "$dir/jwks.json" | tee "$dir/out"
grep -Eq '^[1-9][0-9]* passed, 0 failed' "$dir/out"
# Tamper: swap the payload of record 12 for record 13's; jose must refuse it.
python3 - "$dir/export.jsonl" "$dir/tampered.jsonl" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
a, b = json.loads(lines[11]), json.loads(lines[12])
a["payload"] = b["payload"]
lines[11] = json.dumps(a, separators=(",", ":"))
open(sys.argv[2], "w").write("\n".join(lines) + "\n")
PY
if node "$here/verify_records.mjs" "$dir/tampered.jsonl" "$dir/jwks.json" >/dev/null 2>&1; then
  echo "tampered export verified: FAIL"; exit 1
fi
echo "tampered export rejected"
