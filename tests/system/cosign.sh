#!/usr/bin/env bash
# A primary with two witnesses (ledgerd --witnesses) and a quorum of both:
# each checkpoint it stores is sent to both with a consistency proof from
# what each last cosigned, and the stored note carries both cosignatures
# (checked by a verifier written from the spec), as do the QR answers' proof
# bundles, which verify with the quorum (C++ and the page's JavaScript);
# with one witness gone, new checkpoints are below quorum: the primary
# hands out no proof against them, and audit, verify-answer and the
# JavaScript verifier holding the quorum refuse them. Prints the cosigning
# round's time.
# usage: cosign.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$(cd "$1" && pwd); src=$(cd "$2" && pwd)
command -v node >/dev/null || { echo "node is not installed (./ops/dev setup installs it)"; exit 77; }
source "$src/tests/system/lib.sh"
"$bin/ledgerctl" init --data p >/dev/null
"$bin/ledgerctl" trust --data p > trust.json
start w1 --witness-name witness.test/w1 --witness-logs trust.json
start w2 --witness-name witness.test/w2 --witness-logs trust.json
k1=$(grep -o 'verifier key [^ ]*' w1.log | cut -d' ' -f3); k2=$(grep -o 'verifier key [^ ]*' w2.log | cut -d' ' -f3)
cat > witnesses.json <<JSON
{"witnesses": [{"url": "http://$(cat w1/ledgerd.addr)", "key": "$k1"}, {"url": "http://$(cat w2/ledgerd.addr)", "key": "$k2"}],
 "timeout_ms": 2000, "quorum": 2}
JSON
"$bin/ledgerctl" trust --data p --witnesses witnesses.json > trust-q.json
"$bin/ledgerctl" trust --data p --witnesses witnesses.json --format policy > policy.txt
grep -q '"quorum": 2' trust-q.json && grep -q "^group quorum 2 witness.test/w1 witness.test/w2$" policy.txt ||
  { echo "FAIL: the trust file does not carry the quorum"; cat trust-q.json policy.txt; exit 1; }
vkey=$(grep -o '"log_key": "[^"]*"' trust.json | cut -d'"' -f4)
start p --demo --witnesses witnesses.json
pa=$(cat p/ledgerd.addr)
cosigned() {  # the latest checkpoint carries both witnesses' lines
  curl -s "http://$pa/api/v1/checkpoint" > cp.txt
  grep -q "^— witness.test/w1 " cp.txt && grep -q "^— witness.test/w2 " cp.txt
}
for _ in $(seq 1 100); do cosigned && break; sleep 0.1; done
cosigned || { echo "FAIL: the checkpoint is not cosigned"; cat cp.txt; tail p.log; exit 1; }
for n in 1 2; do
  grep "^— witness.test/w$n " cp.txt > cosig$n.txt
  node "$src/tests/js/cosignature.mjs" "$(eval echo \$k$n)" cp.txt cosig$n.txt
done
# A QR answer's bundle carries them and still verifies with the log key.
url=$(grep -m1 "已吊销" p.log | grep -o 'http://[^ ]*')
for _ in $(seq 1 50); do
  curl -s -H 'Accept: application/json' "$url" > a.json
  grep -q 'witness.test/w2' a.json && break
  sleep 0.2
done
grep -q 'witness.test/w2' a.json || { echo "FAIL: the answer's bundle has no cosignatures"; exit 1; }
"$bin/ledgerctl" verify-answer a.json --trust trust.json
out=$("$bin/ledgerctl" verify-answer a.json --trust trust-q.json)
grep -q "cosigned by 2 witnesses (quorum 2 of witness.test/w1, witness.test/w2)" <<<"$out" ||
  { echo "FAIL: verify-answer with the quorum: $out"; exit 1; }
"$bin/ledgerctl" verify-answer a.json --trust policy.txt >/dev/null  # the tlog-policy file as trust file
node "$src/tests/js/verify_one.mjs" "$src/api/page/statement_verifier.js" a.json "$vkey" policy.txt |
  grep -q '"witnesses":\["witness.test/w1","witness.test/w2"\]' || { echo "FAIL: the JavaScript verifier with the quorum"; exit 1; }
# The next checkpoint (a change, then a new size) is cosigned from the last
# size each witness holds (a consistency proof, not old 0 again).
size1=$(sed -n 2p cp.txt)
token=$("$bin/ledgerctl" token create --data p --authority GD-ZJT --role approver --operator li.si)
curl -s -X POST "http://$pa/api/v1/certificates" -H "Authorization: Bearer $token" \
  -d @"$src/ops/samples/issue-example.json" > issued.json
for _ in $(seq 1 100); do cosigned && [ "$(sed -n 2p cp.txt)" != "$size1" ] && break; sleep 0.1; done
cosigned && [ "$(sed -n 2p cp.txt)" != "$size1" ] || { echo "FAIL: the next checkpoint is not cosigned"; cat cp.txt; exit 1; }
metrics=$(curl -s "http://$pa/metrics")
echo "$metrics" | grep -E "^certledger_cosign"
[ "$(echo "$metrics" | awk '/^certledger_cosign_refused_total/{print $2}')" = 0 ] || { echo "FAIL: a witness refused"; exit 1; }
# Connections are kept alive between rounds (C2SP tlog-witness): one per witness.
[ "$(echo "$metrics" | awk '/^certledger_cosign_connections_total/{print $2}')" = 2 ] ||
  { echo "FAIL: the cosigner did not keep its witness connections"; echo "$metrics" | grep cosign; exit 1; }
echo "cosigning round: $(echo "$metrics" | awk '/^certledger_cosign_last_seconds/{printf "%.1f ms", $2 * 1000}') for 2 witnesses"

# One witness gone: the next checkpoint has one cosignature of the two
# required. No proof is handed out against it (pending, witness_quorum).
kill "${pids[1]}"; wait "${pids[1]}" 2>/dev/null || true
size2=$(sed -n 2p cp.txt)
curl -s -X POST "http://$pa/api/v1/certificates" -H "Authorization: Bearer $token" \
  -d "$(sed s/2026000123/2026000124/ "$src/ops/samples/issue-example.json")" > issued2.json
qr=$(grep -o '"qr_url": *"[^"]*"' issued2.json | head -1 | cut -d'"' -f4)
[ -n "$qr" ] || { echo "FAIL: no second certificate"; cat issued2.json; exit 1; }
for _ in $(seq 1 100); do
  curl -s "http://$pa/api/v1/checkpoint" > cp2.txt
  [ "$(sed -n 2p cp2.txt)" != "$size2" ] && grep -q "^— witness.test/w1 " cp2.txt && break; sleep 0.1
done
grep -q "^— witness.test/w2 " cp2.txt && { echo "FAIL: the gone witness cosigned"; exit 1; }
curl -s -H 'Accept: application/json' "$qr" > a2.json
grep -q '"reason":"witness_quorum"' a2.json || { echo "FAIL: a proof below quorum was handed out"; cat a2.json; exit 1; }
echo "below quorum: the answer's proof is pending (witness_quorum)"
kill "${pids[2]}"; wait "${pids[2]}" 2>/dev/null || true
token2=$(grep -o '"qr_url": *"[^"]*"' issued2.json | head -1 | cut -d'"' -f4 | sed 's|.*/||')
"$bin/ledgerctl" prove --data p "$token2" --out below.bundle
"$bin/ledgerctl" verify-answer below.bundle --trust trust.json >/dev/null  # genuine, without a quorum
if out=$("$bin/ledgerctl" verify-answer below.bundle --trust trust-q.json 2>&1); then
  echo "FAIL: verify-answer accepted a checkpoint below quorum: $out"; exit 1
fi
grep -q "below the witness quorum (2 of witness.test/w1, witness.test/w2): cosigned by" <<<"$out" ||
  { echo "FAIL: verify-answer's reason: $out"; exit 1; }
if out=$(node "$src/tests/js/verify_one.mjs" "$src/api/page/statement_verifier.js" below.bundle "$vkey" policy.txt); then
  echo "FAIL: the JavaScript verifier accepted a checkpoint below quorum: $out"; exit 1
fi
grep -q '"belowQuorum":true' <<<"$out" || { echo "FAIL: the JavaScript verifier's reason: $out"; exit 1; }
"$bin/ledgerctl" audit --data p --trust trust.json >/dev/null
if out=$("$bin/ledgerctl" audit --data p --trust trust-q.json 2>&1); then echo "FAIL: audit accepted: $out"; exit 1; fi
grep -q "is below the witness quorum" <<<"$out" || { echo "FAIL: audit's reason: $out"; exit 1; }
echo "below quorum: refused by verify-answer, the JavaScript verifier and audit: $out"
echo "cosign: every check passed"
