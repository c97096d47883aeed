#!/usr/bin/env bash
# Runs one libFuzzer harness for SECONDS from its seeds, keeping what it
# finds in WORK/corpus and any crash in WORK/. Prints the executions reached
# and appends them to WORK/../executions.tsv (name, seconds, executions,
# result). Exit 0 only when the run ended without a crash. With FUZZ_RUNS
# set, it stops after that many executions instead (SECONDS still bounds it).
# usage: run.sh HARNESS SECONDS SEED_DIR WORK_DIR
set -uo pipefail
harness=$1 seconds=$2 seeds=$3 work=$4
name=$(basename "$harness")
mkdir -p "$work/corpus"
log="$work/last.log"
# Leaks are checked (libFuzzer's per-input check); -rss_limit_mb guards the
# 2-core CI machine; one job, the other core runs the other tests.
start=$(date +%s)
"$harness" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs=$FUZZ_RUNS} -print_final_stats=1 -rss_limit_mb=3072 -max_len=65536 -timeout=30 \
  -artifact_prefix="$work/" "$work/corpus" "$seeds" >"$log" 2>&1
rc=$?
seconds=$(( $(date +%s) - start ))
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
result=$([ $rc = 0 ] && echo ok || echo CRASH)
printf '%s\t%s\t%s\t%s\n' "$name" "$seconds" "${execs:-0}" "$result" >>"$(dirname "$work")/executions.tsv"
echo "$name: ${execs:-0} executions in ${seconds}s: $result"
if [ $rc != 0 ]; then
  grep -E 'ERROR|SUMMARY|==[0-9]+==|Test unit written' "$log" | head -20
  tail -40 "$log"
fi
exit $rc
