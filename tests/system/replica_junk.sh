#!/usr/bin/env bash
# A real `ledgerd --replica` fed an unsigned checkpoint whose tree size has
# 20 digits (it once made std::stoull throw and the follower thread end the
# process): the replica halts, keeps running, says not ready, and answers
# public status with 503 instead of what it last knew.
# usage: replica_junk.sh BIN_DIR
set -u
bin=$1
command -v kcat >/dev/null || { echo "kcat not installed"; exit 77; }
d=$(mktemp -d)
trap 'exec 9>&- 2>/dev/null; kill $pid $mock 2>/dev/null; rm -rf "$d"' EXIT
"$bin/ledgerctl" init --data "$d/p" --origin junk.example/log >/dev/null
"$bin/ledgerctl" trust --data "$d/p" > "$d/trust.json"
mkfifo "$d/hold"
"$bin/kafka_mock" < "$d/hold" > "$d/boot" & mock=$!
exec 9>"$d/hold"
for _ in $(seq 100); do [ -s "$d/boot" ] && break; sleep 0.1; done
boot=$(cat "$d/boot")
printf 'junk.example/log\n99999999999999999999\nAAAA\n\n\xe2\x80\x94 x AAAA\n' |
  kcat -b "$boot" -t certledger.checkpoints -P -k x -D '@@@' 2>/dev/null
"$bin/ledgerd" --data "$d/r" --listen 127.0.0.1:0 --replica --kafka "$boot" --trust "$d/trust.json" \
  >/dev/null 2>"$d/log" & pid=$!
for _ in $(seq 100); do grep -q HALTED "$d/log" 2>/dev/null && break; sleep 0.1; done
sleep 0.5
fail=0
kill -0 $pid 2>/dev/null || { echo "FAIL: the replica died: $(tail -3 "$d/log")"; exit 1; }
grep -q "replica HALTED" "$d/log" || { echo "FAIL: the replica did not halt"; fail=1; }
addr=$(cat "$d/r/ledgerd.addr")
code=$(curl -s -o "$d/ready" -w '%{http_code}' "http://$addr/readyz")
[ "$code" = 503 ] && grep -q '"not ready"' "$d/ready" || { echo "FAIL: /readyz $code $(cat "$d/ready")"; fail=1; }
code=$(curl -s -o "$d/v" -w '%{http_code}' "http://$addr/api/v1/verify/AAAAAAAAAAAAAAAAAAAAAA")
[ "$code" = 503 ] && grep -q status-unconfirmed "$d/v" || { echo "FAIL: public status $code $(cat "$d/v")"; fail=1; }
code=$(curl -s -o "$d/page" -w '%{http_code}' "http://$addr/v/AAAAAAAAAAAAAAAAAAAAAA")
[ "$code" = 503 ] && grep -q 暂时无法确认 "$d/page" || { echo "FAIL: public page $code"; fail=1; }
kill -TERM $pid; wait $pid; rc=$?
[ $rc = 0 ] || { echo "FAIL: exit $rc after SIGTERM"; fail=1; }
[ $fail = 0 ] && echo "5 passed, 0 failed"
exit $fail
