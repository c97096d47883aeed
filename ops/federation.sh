#!/usr/bin/env bash
# A federation on one machine: three provincial primaries (Guangdong,
# Liaoning, Fujian), each with its own origin, keys and embedded Kafka, and
# one national replica that follows all three, serves them together and
# witnesses them. Every primary needs a quorum of two witnesses for its
# checkpoints: the national replica and a peer witness (a witness-only
# ledgerd standing for another province's).
#
# usage: federation.sh BIN_DIR DIR     (sourced by tests/system/federation.sh
#        and run by ./ops/dev federation)
# Leaves the servers running; writes DIR/federation.env:
#   NATIONAL=http://...  PEER=http://...  GD=http://... LN=... FJ=...
#   FED_TRUST=DIR/federation-trust.json  PIDS="..."
set -euo pipefail
bin=$(cd "$1" && pwd)
dir=$(mkdir -p "$2" && cd "$2" && pwd)
cd "$dir"
FED_PROVINCES=(gd ln fj)
declare -A ORIGIN=([gd]=gd.certledger.example/log [ln]=ln.certledger.example/log [fj]=fj.certledger.example/log)
PIDS=()
# A failed start leaves nothing running.
trap 'rc=$?; [ "$rc" = 0 ] || kill "${PIDS[@]}" 2>/dev/null || true; exit "$rc"' EXIT

wait_addr() {  # name
  for _ in $(seq 1 2400); do [ -s "$1/ledgerd.addr" ] && grep -q "listening on" "$1.log" && return 0; sleep 0.05; done
  echo "$1 did not start:" >&2; tail -20 "$1.log" >&2; return 1
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

# The logs and their keys first: what every witness and replica trusts.
for p in "${FED_PROVINCES[@]}"; do
  [ -d "$p/db" ] || "$bin/ledgerctl" init --data "$p" --origin "${ORIGIN[$p]}" >/dev/null
  "$bin/ledgerctl" trust --data "$p" > "$p.trust.json"
done
python3 - "${FED_PROVINCES[@]}" > logs-trust.json <<'PY'
import json, sys
print(json.dumps({"logs": [json.load(open(p + ".trust.json"))["logs"][0] for p in sys.argv[1:]]}, indent=1))
PY
# The witnesses' keys before anything runs: the primaries name them.
NK=$("$bin/ledgerctl" witness-key --data national --name national.witness.example)
PK=$("$bin/ledgerctl" witness-key --data peer --name peer.witness.example)

"$bin/ledgerd" --data peer --listen 127.0.0.1:0 --kafka off --witness-name peer.witness.example \
  --witness-logs logs-trust.json > peer.access.log 2> peer.log &
PIDS+=($!)
wait_addr peer
PEER=http://$(cat peer/ledgerd.addr)
NPORT=$(free_port)
NATIONAL=http://127.0.0.1:$NPORT
cat > witnesses.json <<JSON
{"witnesses": [{"url": "$NATIONAL", "key": "$NK"}, {"url": "$PEER", "key": "$PK"}],
 "timeout_ms": 2000, "quorum": 2}
JSON

declare -A URL
for p in "${FED_PROVINCES[@]}"; do
  "$bin/ledgerd" --data "$p" --listen 127.0.0.1:0 --kafka embedded --demo --witnesses witnesses.json --backup-root "$dir/backups" \
    --checkpoint-heartbeat-ms 1000 --checkpoint-max-interval-ms 2000 > "$p.access.log" 2> "$p.log" &
  PIDS+=($!)
done
for p in "${FED_PROVINCES[@]}"; do wait_addr "$p"; URL[$p]=http://$(cat "$p/ledgerd.addr"); done

# The national replica's trust file: each log's key, where its topics are,
# and the quorum of witnesses its checkpoints need.
python3 - "$NK" "$PK" "$NATIONAL" "$PEER" "${FED_PROVINCES[@]}" > federation-trust.json <<'PY'
import json, sys
nk, pk, national, peer, provinces = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:]
logs = []
for p in provinces:
    log = json.load(open(p + ".trust.json"))["logs"][0]
    log["name"] = p
    log["kafka"] = {"bootstrap": open(p + "/kafka.bootstrap").read().strip(), "prefix": "certledger"}
    log["witnesses"] = [{"name": "national", "key": nk, "url": national}, {"name": "peer", "key": pk, "url": peer}]
    log["quorum"] = 2
    logs.append(log)
print(json.dumps({"logs": logs}, indent=1))
PY
"$bin/ledgerd" --data national --listen "127.0.0.1:$NPORT" --replica --trust federation-trust.json \
  --kafka "$(cat gd/kafka.bootstrap)" --witness-name national.witness.example --replica-max-staleness-ms 30000 \
  > national.access.log 2> national.log &
PIDS+=($!)
wait_addr national

{
  echo "NATIONAL=$NATIONAL"
  echo "PEER=$PEER"
  for p in "${FED_PROVINCES[@]}"; do echo "${p^^}=${URL[$p]}"; done
  echo "FED_TRUST=$dir/federation-trust.json"
  echo "PIDS=\"${PIDS[*]}\""
} > federation.env
