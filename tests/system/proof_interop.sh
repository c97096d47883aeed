#!/usr/bin/env bash
# Two verifiers, one set of bundles: real answers of a ledgerd --demo (one
# per public status, and an unknown token's 404) are checked by the page's
# JavaScript verifier under Node and by ledgerctl verify-answer; broken
# copies made by the JavaScript test are refused by both. A replica that
# follows the primary's Kafka topics answers with proofs from its own store
# that verify with the primary's key.
# usage: proof_interop.sh BIN_DIR SOURCE_DIR ARTIFACT_DIR
set -euo pipefail
bin=$1; src=$2; art=$3
command -v node >/dev/null || { echo "node is not installed (./ops/dev setup installs it)"; exit 77; }
rm -rf "$art"; mkdir -p "$art/answers"
dir=$(mktemp -d)
rpid=
trap 'kill $pid $rpid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir" 2>/dev/null || true' EXIT
"$bin/ledgerd" --data "$dir/data" --listen 127.0.0.1:0 --demo >/dev/null 2>"$dir/log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$dir/data/ledgerd.addr" ] && grep -q "listening" "$dir/log" && break; sleep 0.05; done
addr=$(cat "$dir/data/ledgerd.addr")
fetch() {  # status word-in-log
  local url
  url=$(grep -m1 "$2" "$dir/log" | grep -o 'http://[^ ]*') || { echo "no demo URL for $1"; exit 1; }
  # Right after a change the proof is pending until the next checkpoint
  # (retry_after_ms): ask again, as a client does.
  for _ in $(seq 1 50); do
    curl -sf -H 'Accept: application/json' "$url" > "$art/answers/$1.json"
    grep -q '"pending":true' "$art/answers/$1.json" || return 0
    sleep 0.2
  done
  echo "$1: the proof stayed pending"; exit 1
}
fetch valid "有效  construction_enterprise"
fetch revoked "已吊销"
fetch cancelled "已注销"
fetch superseded "已作废"
fetch suspended "暂扣"
code=$(curl -s -o "$art/answers/unknown.json" -w '%{http_code}' -H 'Accept: application/json' "http://$addr/v/NoSuchToken0000000000")
[ "$code" = 404 ] || { echo "unknown token: HTTP $code"; exit 1; }
"$bin/ledgerctl" trust --data "$dir/data" > "$art/trust.json"

node "$src/tests/js/verify_bundles.mjs" "$src/api/page/statement_verifier.js" "$art/answers" "$art/trust.json" "$art/broken"

fails=0
for a in "$art"/answers/*.json "$art/broken/good.bundle"; do
  if out=$("$bin/ledgerctl" verify-answer "$a" --trust "$art/trust.json" 2>&1); then echo "C++ $(basename "$a"): $out"
  else echo "FAIL: C++ refused $(basename "$a"): $out"; fails=$((fails+1)); fi
done
for b in "$art"/broken/*.bundle; do
  [ "$(basename "$b")" = good.bundle ] && continue
  if out=$("$bin/ledgerctl" verify-answer "$b" --trust "$art/trust.json" 2>&1); then
    echo "FAIL: C++ accepted $(basename "$b"): $out"; fails=$((fails+1))
  else echo "C++ $(basename "$b"): refused: $out"; fi
done
# The replica.
"$bin/ledgerd" --data "$dir/replica" --listen 127.0.0.1:0 --replica --trust "$art/trust.json" \
  --kafka "$(cat "$dir/data/kafka.bootstrap")" >/dev/null 2>"$dir/replica.log" &
rpid=$!
for _ in $(seq 1 200); do [ -s "$dir/replica/ledgerd.addr" ] && break; sleep 0.05; done
revoked_path=$(grep -m1 "已吊销" "$dir/log" | grep -o '/v/[^ ]*')
for _ in $(seq 1 100); do
  code=$(curl -s -o "$art/replica-revoked.json" -w '%{http_code}' -H 'Accept: application/json' \
    "http://$(cat "$dir/replica/ledgerd.addr")$revoked_path")
  [ "$code" = 200 ] && grep -q '"bundle"' "$art/replica-revoked.json" && break
  sleep 0.2
done
if out=$("$bin/ledgerctl" verify-answer "$art/replica-revoked.json" --trust "$art/trust.json" 2>&1) && grep -q "verified: revoked" <<<"$out"; then
  echo "C++ replica's answer: $out"
else echo "FAIL: the replica's answer (HTTP $code): $out"; tail -5 "$dir/replica.log"; fails=$((fails+1)); fi

sleep 2
if "$bin/ledgerctl" verify-answer "$art/broken/good.bundle" --trust "$art/trust.json" --max-age 1 >/dev/null 2>&1; then
  echo "FAIL: C++ accepted a checkpoint older than --max-age"; fails=$((fails+1))
else echo "C++ old checkpoint: refused (not fresh)"; fi
[ $fails -eq 0 ] || { echo "$fails C++ checks failed"; exit 1; }
echo "C++ verifier agrees on every bundle"
