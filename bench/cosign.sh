#!/usr/bin/env bash
# Cosigning: a primary with two witnesses (ledgerd --witnesses, quorum 2) on
# this machine, under a steady stream of issuances (one client, keep-alive)
# and signing a checkpoint every T ms (--checkpoint-interval-ms), for
# T = 1000, 200, 50, 20. Prints per T:
# checkpoints signed and cosigned per second, the mean round (checkpoint
# stored -> cosigned note stored: two HTTP POSTs in parallel, each witness
# verifying the log's signature and the consistency proof, storing its state
# with an fsync and signing, then the primary verifying both cosignatures and
# storing the cosigned note with an fsync), and the same round's floor
# measured in the same run: the critical path's two fsyncs of a small write
# on this disk (a witness's, then the primary's) plus its Ed25519 work (a
# witness: 1 verify + 1 sign, the witnesses in parallel; the primary: 2
# verifies) at `openssl speed` rates. The writer never waits for a round; what rounds
# cost is how often checkpoints can be cosigned: 1 / round, and the CPU the
# rounds take from the writer on the same cores: each T runs twice in a row,
# without witnesses and with them, and issued/s of the two is compared.
# usage: bench/cosign.sh BUILD_BIN_DIR [SECONDS=10]
set -euo pipefail
bin=$(cd "$1" && pwd); secs=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work" 2>/dev/null || true' EXIT
cd "$work"
echo "# cosign — $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
read -r sign verify < <(openssl speed -seconds 2 ed25519 2>/dev/null | awk '/Ed25519/ {print $(NF-1), $NF}' | tail -1)
fsync_ms=$(python3 - <<'PY'
import os, time
fd = os.open("fsync.probe", os.O_WRONLY | os.O_CREAT, 0o600)
n, t0 = 200, time.perf_counter()
for i in range(n):
    os.pwrite(fd, b"x" * 200, i * 200)
    os.fsync(fd)
print(f"{(time.perf_counter() - t0) / n * 1000:.3f}")
PY
)
crypto_ms=$(python3 -c "print(f'{(3 / $verify + 1 / $sign) * 1000:.3f}')")
floor_ms=$(python3 -c "print(f'{2 * $fsync_ms + $crypto_ms:.3f}')")
echo "floor per round: 2 fsyncs of ${fsync_ms} ms + Ed25519 ${crypto_ms} ms (openssl: ${sign} sign/s, ${verify} verify/s) = ${floor_ms} ms"

start() {  # name args...
  local name=$1; shift
  "$bin/ledgerd" --data "$name" --listen 127.0.0.1:0 --kafka off --no-access-log --log-level warn "$@" 2>"$name.log" &
  pids+=($!)
  for _ in $(seq 1 200); do [ -s "$name/ledgerd.addr" ] && curl -sf "http://$(cat "$name/ledgerd.addr")/healthz" >/dev/null && break; sleep 0.05; done
}
metric() { curl -s "http://$1/metrics" | awk -v m="$2" '$1 == m {print $2}'; }

printf '%-8s %-10s %10s %12s %12s %10s %10s %8s\n' "T ms" "witnesses" "issued/s" "signed/s" "cosigned/s" "round ms" "floor ms" "ratio"
for t in 1000 200 50 20; do
for mode in 0 2; do
  rm -rf w1 w2 p; "$bin/ledgerctl" init --data p >/dev/null
  "$bin/ledgerctl" trust --data p > trust.json
  start w1 --witness-name w1.bench --witness-logs trust.json
  start w2 --witness-name w2.bench --witness-logs trust.json
  k1=$("$bin/ledgerctl" witness-key --data w1 --name w1.bench); k2=$("$bin/ledgerctl" witness-key --data w2 --name w2.bench)
  printf '{"witnesses": [{"url": "http://%s", "key": "%s"}, {"url": "http://%s", "key": "%s"}], "quorum": 2}\n' \
    "$(cat w1/ledgerd.addr)" "$k1" "$(cat w2/ledgerd.addr)" "$k2" > witnesses.json
  if [ "$mode" = 0 ]; then start p --demo --checkpoint-interval-ms "$t"
  else start p --demo --witnesses witnesses.json --checkpoint-interval-ms "$t"; fi
  pa=$(cat p/ledgerd.addr)
  for _ in $(seq 1 200); do curl -s "http://$pa/api/v1/keys" | grep -q GD-ZJT && break; sleep 0.1; done
  tok=$("$bin/ledgerctl" token create --data p --authority GD-ZJT --role approver --operator bench)
  python3 - "$pa" "$tok" "$here/../ops/samples/issue-example.json" $((secs + 3)) > load.log 2>&1 <<'PY' &
import http.client, json, sys, time
addr, tok, sample, secs = sys.argv[1], sys.argv[2], json.load(open(sys.argv[3])), float(sys.argv[4])
c = http.client.HTTPConnection(addr)
n, end, number = 0, time.time() + secs, sample["fields"]["number"]
while time.time() < end:
    sample["fields"]["number"] = number.replace("2026000123", str(2027000000 + n))
    c.request("POST", "/api/v1/certificates", json.dumps(sample), {"Authorization": "Bearer " + tok, "Content-Type": "application/json"})
    r = c.getresponse()
    r.read()
    if r.status != 201:
        sys.exit(f"issue: {r.status}")
    n += 1
print(n)
PY
  pids+=($!)
  sleep 1
  c0=$(metric "$pa" certledger_checkpoints_total); k0=$(metric "$pa" certledger_cosigned_checkpoints_total)
  r0=$(metric "$pa" certledger_cosign_rounds_total); s0=$(metric "$pa" certledger_cosign_seconds_total)
  sleep "$secs"
  c1=$(metric "$pa" certledger_checkpoints_total); k1n=$(metric "$pa" certledger_cosigned_checkpoints_total)
  r1=$(metric "$pa" certledger_cosign_rounds_total); s1=$(metric "$pa" certledger_cosign_seconds_total)
  wait "${pids[-1]}" 2>/dev/null || true
  python3 - "$t" "$secs" "${c0:-0}" "${c1:-0}" "${k0:-0}" "${k1n:-0}" "${r0:-0}" "${r1:-0}" "${s0:-0}" "${s1:-0}" "$floor_ms" "$(tail -1 load.log)" "$mode" <<'PY'
import sys
t, secs, c0, c1, k0, k1, r0, r1, s0, s1, floor, issued, mode = sys.argv[1:]
secs = float(secs)
rounds = float(r1) - float(r0)
round_ms = (float(s1) - float(s0)) / rounds * 1000 if rounds else float("nan")
print(f"{t:<8} {mode:<10} {float(issued) / (secs + 3):10.0f} {(float(c1) - float(c0)) / secs:12.1f} {(float(k1) - float(k0)) / secs:12.1f} "
      f"{round_ms:10.2f} {float(floor):10.3f} {round_ms / float(floor):8.2f}")
PY
  kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; pids=()
done
done
