# What the system test scripts share (source it after `set -euo pipefail`
# with bin set to the build's bin dir): a scratch dir ($dir, the working
# directory) removed at exit unless KEEP=1, and ledgerd servers started in
# it, each stopped (and waited for) at exit.
#   start NAME [ARGS...]   ledgerd on NAME/ (a data dir under $dir), a free
#                          port, Kafka off unless ARGS say otherwise; its
#                          log in NAME.log, its stdout (the access log) in
#                          NAME.out; waits until it listens
#   addr NAME              its host:port
dir=$(mktemp -d)
pids=()
# The trap must never fail (set -e holds inside it): a server still writing
# its data dir when rm runs would turn a passed test into a failed one.
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$dir" 2>/dev/null || true' EXIT
cd "$dir"

start() {
  local name=$1; shift
  local kafka=(--kafka off)
  for a in "$@"; do [ "$a" = --kafka ] && kafka=(); done
  "$bin/ledgerd" --data "$name" --listen 127.0.0.1:0 "${kafka[@]}" "$@" >"$name.out" 2>"$name.log" &
  pids+=($!)
  # Sanitizer builds with --demo take a while: up to a minute.
  for _ in $(seq 1 1200); do
    [ -s "$name/ledgerd.addr" ] && grep -q "listening on" "$name.log" && return 0
    kill -0 "${pids[-1]}" 2>/dev/null || break
    sleep 0.05
  done
  echo "ledgerd $name did not start:" >&2
  tail -20 "$name.log" >&2
  return 1
}

addr() { cat "$1/ledgerd.addr"; }
