#!/usr/bin/env bash
# A/B of the public read path between two builds: ledgerd from BIN_A and
# BIN_B take turns on one data dir (N testing-institution certificates made
# by BIN_A's bench_http_pool), each pinned to core 0 with one I/O thread,
# while wrk, pinned to core 1, asks /v/{token} for random tokens over 64
# connections. The figure compared is ledgerd's own CPU time per request
# (utime + stime from /proc over the run, divided by the requests wrk
# counted), which a load generator sharing the machine cannot hide; req/s is
# printed beside it. JSON and HTML, ROUNDS alternating rounds.
# usage: bench/ab_http.sh BIN_A BIN_B [N=50000] [ROUNDS=4] [SECONDS=8]   (AB_KINDS="json html" by default)
set -euo pipefail
a=$(cd "$1" && pwd); b=$(cd "$2" && pwd); n=${3:-50000}; rounds=${4:-4}; secs=${5:-8}
for t in wrk taskset curl; do command -v $t >/dev/null || { echo "$t is needed (./ops/dev bench installs wrk)"; exit 77; }; done
work=$(mktemp -d); trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
echo "# ab_http — $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores; A=$a B=$b"
"$a/bench_http_pool" "$work/data" "$n" >/dev/null
for accept in application/json text/html; do
  cat > "$work/$(basename $accept).lua" <<LUA
local tokens = {}
for line in io.lines("$work/data/tokens.txt") do tokens[#tokens + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format("GET", "/v/" .. tokens[math.random(#tokens)], { ["Accept"] = "$accept" })
end
LUA
done
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
one() {  # bin, script -> "us_per_request req_per_s"
  rm -f "$work/data/ledgerd.addr"
  taskset -c 0 "$1/ledgerd" --data "$work/data" --listen 127.0.0.1:0 --kafka off --no-access-log --log-level warn \
    --io-threads 1 --verify-cache-entries $((n + n / 2)) &
  local pid=$!
  for _ in $(seq 1 400); do [ -s "$work/data/ledgerd.addr" ] && curl -sf "http://$(cat $work/data/ledgerd.addr)/healthz" >/dev/null && break; sleep 0.05; done
  local url="http://$(cat $work/data/ledgerd.addr)"
  taskset -c 1 wrk -t1 -c64 -d3s -s "$2" "$url" >/dev/null 2>&1  # warm-up: fills the verify cache
  local c0; c0=$(cpu $pid)
  local out; out=$(taskset -c 1 wrk -t1 -c64 -d"${secs}s" -s "$2" "$url" 2>&1)
  local c1; c1=$(cpu $pid)
  kill $pid; wait $pid 2>/dev/null || true
  local reqs; reqs=$(echo "$out" | awk '/requests in/ {print $1}')
  local rps; rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
  echo "$(echo "scale=2; ($c1 - $c0) * 1000000 / $tick / $reqs" | bc) $rps"
}
for kind in ${AB_KINDS:-json html}; do
  script="$work/$kind.lua"
  for r in $(seq 1 "$rounds"); do
    for side in A B; do
      bin=$a; [ $side = B ] && bin=$b
      read -r us rps < <(one "$bin" "$script")
      printf '%-4s round %d  %s  %6s us CPU/request  %10s req/s\n' "$kind" "$r" "$side" "$us" "$rps"
    done
  done
done
