#!/usr/bin/env bash
# ledgerd as a C2SP tlog-witness over HTTP, fed the checkpoints of a real
# log and of a fork of it (two primaries from one copy of a data dir, the
# same log key): every status code of the spec, the cosignature checked by
# a verifier written from the spec (tests/js/cosignature.mjs), the state
# kept across a restart, and the fork caught with both signed checkpoints
# kept as evidence (ledgerctl witness-evidence, /metrics).
# usage: witness.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$(cd "$1" && pwd); src=$(cd "$2" && pwd)
command -v node >/dev/null || { echo "node is not installed (./ops/dev setup installs it)"; exit 77; }
source "$src/tests/system/lib.sh"
fails=0
expect() {  # what want got
  if [ "$2" = "$3" ]; then echo "ok: $1 ($3)"; else echo "FAIL: $1: want $2, got $3"; fails=$((fails+1)); fi
}
latest() {  # data-dir file: the latest checkpoint note, exactly
  "$bin/ledgerctl" export --data "$1" --checkpoints | tail -1 |
    python3 -c "import json,sys; open('$2','w').write(json.loads(sys.stdin.read())['checkpoint'])"
}
size_of() { sed -n 2p "$1"; }
submit() {  # old proof-file note-file -> status; body in last.txt
  { echo "old $1"; [ -s "$2" ] && cat "$2"; echo; cat "$3"; } > req.txt
  curl -s -o last.txt -D last.head -w '%{http_code}' --data-binary @req.txt "http://$(cat w/ledgerd.addr)/add-checkpoint"
}
proof() {  # data-dir from to -> consistency proof lines (from a running primary)
  curl -sf "http://$(cat "$1/ledgerd.addr")/api/v1/proofs/consistency?from=$2&to=$3" |
    python3 -c "import json,sys; print('\n'.join(json.load(sys.stdin)['proof']))"
}

"$bin/ledgerctl" init --data p >/dev/null
"$bin/ledgerctl" demo --data p --seed 1 >/dev/null
"$bin/ledgerctl" trust --data p > trust.json
latest p cp1.txt; n1=$(size_of cp1.txt)
cp -a p fork   # a second primary from the same copy: same origin, same key
start w --witness-name witness.test/w1 --witness-logs trust.json
vkey=$(grep -o 'verifier key [^ ]*' w.log | cut -d' ' -f3)
: > empty.txt

expect "first checkpoint, old 0" 200 "$(submit 0 empty.txt cp1.txt)"
cp last.txt cosig.txt
node "$src/tests/js/cosignature.mjs" "$vkey" cp1.txt cosig.txt || fails=$((fails+1))
expect "the same again with old 0" 409 "$(submit 0 empty.txt cp1.txt)"
expect "409 body: the size held" "$n1" "$(cat last.txt)"
expect "409 content type" "text/x.tlog.size" "$(grep -i '^content-type' last.head | cut -d' ' -f2 | tr -d '\r')"

"$bin/ledgerctl" demo --data p --seed 2 >/dev/null
latest p cp2.txt; n2=$(size_of cp2.txt)
start p
proof p "$n1" "$n2" > proof12.txt
sed '1s/^./A/' proof12.txt > badproof.txt; cmp -s proof12.txt badproof.txt && sed -i '1s/^./B/' badproof.txt
expect "an inconsistent proof" 422 "$(submit "$n1" badproof.txt cp2.txt)"
expect "the next checkpoint with its consistency proof" 200 "$(submit "$n1" proof12.txt cp2.txt)"
expect "old size above the checkpoint's" 400 "$(submit $((n2 + 1)) empty.txt cp2.txt)"
printf 'old x\n\n' > junk.txt; expect "malformed" 400 "$(curl -s -o /dev/null -w '%{http_code}' --data-binary @junk.txt "http://$(cat w/ledgerd.addr)/add-checkpoint")"
sed 's/^\(— [^ ]* \)A/\1B/; t; s/^\(— [^ ]* \)./\1A/' cp2.txt > forged.txt
expect "a signature that does not verify" 403 "$(submit "$n2" empty.txt forged.txt)"
"$bin/ledgerctl" init --data other --origin other.example/log >/dev/null
"$bin/ledgerctl" demo --data other --seed 4 >/dev/null
latest other other.txt
expect "an unknown log" 404 "$(submit 0 empty.txt other.txt)"

# A restart keeps the checkpoint it cosigned.
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true
start w --witness-name witness.test/w1 --witness-logs trust.json
expect "after a restart, old 0" 409 "$(submit 0 empty.txt cp1.txt)"
expect "after a restart, the size held" "$n2" "$(cat last.txt)"

# The fork grows the same way (same seed: the same number of records, made
# at other times): another tree of the size the witness holds.
"$bin/ledgerctl" demo --data fork --seed 2 >/dev/null
latest fork cpf.txt; nf=$(size_of cpf.txt)
expect "the fork's size" "$n2" "$nf"
expect "the fork's tree of the same size" 409 "$(submit "$n2" empty.txt cpf.txt)"
expect "split views on /metrics" 1 "$(curl -s "http://$(cat w/ledgerd.addr)/metrics" | awk '/^certledger_witness_split_views_total/{print $2}')"
"$bin/ledgerctl" witness-evidence --data w > evidence.txt
grep -qF "$(sed -n 3p cp2.txt)" evidence.txt && grep -qF "$(sed -n 3p cpf.txt)" evidence.txt &&
  echo "ok: the evidence holds both roots" || { echo "FAIL: evidence"; cat evidence.txt; fails=$((fails+1)); }
logged=0  # the log line may reach the file a moment after the answer
for _ in $(seq 1 50); do grep -q "witness: certledger.local/log showed a split view" w.log && { logged=1; break; }; sleep 0.1; done
[ $logged = 1 ] && echo "ok: the fork is in the witness's log" ||
  { echo "FAIL: the fork is not logged"; cat w.log; fails=$((fails+1)); }
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "witness: every check passed"
