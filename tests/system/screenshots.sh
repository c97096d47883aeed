#!/usr/bin/env bash
# Headless Chromium opens the verification page at a 390x844 phone viewport
# for a valid and a revoked certificate: the screenshots are kept as test
# artifacts (look at them), and the rendered DOM must carry the status word.
# usage: screenshots.sh BIN_DIR ARTIFACT_DIR
set -euo pipefail
bin=$1; art=$2
mkdir -p "$art"
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "chromium is not installed (./ops/dev setup installs it)"; exit 77; }
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir" 2>/dev/null || true' EXIT
"$bin/ledgerd" --data "$dir/data" --listen 127.0.0.1:0 --kafka off --demo >/dev/null 2>"$dir/log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$dir/data/ledgerd.addr" ] && grep -q "listening" "$dir/log" && break; sleep 0.05; done
valid=$(grep -m1 "有效  construction_enterprise" "$dir/log" | grep -o 'http://[^ ]*')
revoked=$(grep -m1 "已吊销" "$dir/log" | grep -o 'http://[^ ]*')
superseded=$(grep -m1 "已作废  special_operation" "$dir/log" | grep -o 'http://[^ ]*')
[ -n "$valid" ] && [ -n "$revoked" ] && [ -n "$superseded" ] || { echo "demo URLs not found"; cat "$dir/log"; exit 1; }
flags=(--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$dir/profile"
       --window-size=390,844 --force-device-scale-factor=1)
shoot() {  # name url word
  "$chrome" "${flags[@]}" --screenshot="$art/verify-$1.png" "$2" >/dev/null 2>&1
  "$chrome" "${flags[@]}" --dump-dom "$2" 2>/dev/null > "$dir/$1.html"
  [ -s "$art/verify-$1.png" ] || { echo "no screenshot for $1"; exit 1; }
  head -c 8 "$art/verify-$1.png" | grep -q PNG || { echo "$1: not a PNG"; exit 1; }
  grep -q "$3" "$dir/$1.html" || { echo "$1: page does not say $3"; exit 1; }
  grep -q 'name="viewport"' "$dir/$1.html" || { echo "$1: no mobile viewport"; exit 1; }
  echo "$1: $(stat -c %s "$art/verify-$1.png") bytes, says $3"
}
shoot valid "$valid" "有效"
shoot revoked "$revoked" "已吊销"
shoot superseded "$superseded" "已作废"
echo "3 passed, 0 failed"
