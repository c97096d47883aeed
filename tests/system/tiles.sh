#!/usr/bin/env bash
# The log as C2SP tlog-tiles: a client written from the specs
# (tests/js/tiles_client.mjs) reads only the tiles of a ledgerd holding a
# few hundred records (more than two tiles), recomputes the tree head,
# checks every entry and random inclusions, and that the API's proofs and
# a QR answer's proof bundle agree with it. A replica following the
# primary serves byte-identical tiles.
# usage: tiles.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$1; src=$2
command -v node >/dev/null || { echo "node is not installed (./ops/dev setup installs it)"; exit 77; }
dir=$(mktemp -d)
pid=; rpid=
trap 'kill $pid $rpid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir" 2>/dev/null || true' EXIT
"$bin/ledgerctl" init --data "$dir/p" >/dev/null
for s in 1 2 3 4 5 6; do "$bin/ledgerctl" demo --data "$dir/p" --seed $s > "$dir/demo-$s.txt"; done
"$bin/ledgerctl" trust --data "$dir/p" > "$dir/trust.json"
"$bin/ledgerd" --data "$dir/p" --listen 127.0.0.1:0 >/dev/null 2>"$dir/p.log" &
pid=$!
for _ in $(seq 1 200); do [ -s "$dir/p/ledgerd.addr" ] && grep -q listening "$dir/p.log" && break; sleep 0.05; done
addr=$(cat "$dir/p/ledgerd.addr")
revoked=$(grep -m1 "已吊销" "$dir/demo-1.txt" | grep -o '/v/[^ ]*')
for _ in $(seq 1 50); do
  curl -sf -H 'Accept: application/json' "http://$addr$revoked" > "$dir/answer.json" && grep -q '"bundle"' "$dir/answer.json" && break
  sleep 0.2
done
node "$src/tests/js/tiles_client.mjs" "http://$addr" /tiles "$dir/trust.json" "$dir/answer.json"

# The replica's tiles are the primary's, byte for byte.
"$bin/ledgerd" --data "$dir/r" --listen 127.0.0.1:0 --replica --trust "$dir/trust.json" \
  --kafka "$(cat "$dir/p/kafka.bootstrap")" >/dev/null 2>"$dir/r.log" &
rpid=$!
for _ in $(seq 1 200); do [ -s "$dir/r/ledgerd.addr" ] && break; sleep 0.05; done
raddr=$(cat "$dir/r/ledgerd.addr")
size=$(curl -s "http://$addr/tiles/checkpoint" | sed -n 2p)
for _ in $(seq 1 150); do
  [ "$(curl -s "http://$raddr/tiles/checkpoint" | sed -n 2p)" = "$size" ] && break
  sleep 0.2
done
same=0
last=$(printf '%03d' $((size / 256))); w=$((size % 256))
[ "$w" -gt 0 ] && [ "$size" -lt 256000 ] || { echo "the demo log's size $size does not end in a partial tile"; exit 1; }
for t in tile/0/000 tile/0/001 "tile/0/$last.p/$w" "tile/1/000.p/$((size / 256))" tile/entries/000 "tile/entries/$last.p/$w"; do
  if cmp -s <(curl -s "http://$addr/tiles/$t") <(curl -s "http://$raddr/tiles/$t"); then same=$((same+1))
  else echo "FAIL: the replica's $t differs"; exit 1; fi
done
echo "replica: $same tiles byte-identical to the primary's at size $size"
