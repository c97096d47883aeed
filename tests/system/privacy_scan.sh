#!/usr/bin/env bash
# Personal data is nowhere in clear (issue #26's scan). A primary streaming
# to Kafka is filled by `ledgerctl demo` (every personnel kind, every
# lifecycle step); its staff read personal data through the API (opened
# from the seal); the access log is on. Then every demo holder's 身份证号
# and name is searched, as raw bytes, in
#   - every file of the data dir (SST, WAL, MANIFEST, OPTIONS, key files),
#     and every SST decompressed by RocksDB's own sst_dump,
#   - `ledgerctl export` (the signed records) and its checkpoints,
#   - every Kafka topic the relay wrote (kcat),
#   - the server's logs (application and access log),
# and must not be found. The values themselves come from the operator's
# `ledgerctl show --personal`, which opens the seal with the vault.
# usage: privacy_scan.sh BIN_DIR
set -euo pipefail
bin=$(cd "$1" && pwd)
for t in kcat sst_dump python3 curl; do
  command -v $t >/dev/null || { echo "$t not installed"; exit 77; }
done
source "$(dirname "$0")/lib.sh"

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

mkfifo hold
"$bin/kafka_mock" < hold > boot &
pids+=($!)
exec 9>hold
for _ in $(seq 100); do [ -s boot ] && break; sleep 0.1; done
boot=$(cat boot)

"$bin/ledgerctl" demo --data p --json > demo.json
approver=$("$bin/ledgerctl" token create --data p --authority JS-ZJT --role approver --operator scan.approver)
other=$("$bin/ledgerctl" token create --data p --authority GD-ZJT --role approver --operator scan.other)

# The demo's people, opened by the operator: certificate id, name, ID number.
python3 - "$bin" > people.tsv <<'EOF'
import json, subprocess, sys
bin = sys.argv[1]
persons = {"staff_training", "special_operation", "safety_manager_a", "safety_manager_b", "safety_manager_c"}
seen = set()
for c in json.load(open("demo.json")):
    if c["kind"] not in persons or c["certificate"] in seen:
        continue
    seen.add(c["certificate"])
    v = json.loads(subprocess.check_output([bin + "/ledgerctl", "show", "--data", "p", "--personal", "--json",
                                            c["certificate"]]))
    f = v["fields"]
    print("\t".join([c["certificate"], v["authority"], f["name"], f["id_number"], v.get("holder", "")]))
EOF
people=$(wc -l < people.tsv)
[ "$people" -ge 5 ] && ok || bad "only $people personnel certificates in the demo"
# Opened means opened: 18-character ID numbers, names unmasked.
if awk -F'\t' 'length($4) != 18 || $3 ~ /\*/ || $4 ~ /\*/ || $5 == "" { exit 1 }' people.tsv; then ok; else
  bad "ledgerctl show --personal did not open every seal: $(head -3 people.tsv)"
fi

"$bin/ledgerctl" export --data p > export.jsonl
"$bin/ledgerctl" export --data p --checkpoints > checkpoints.txt
records=$(wc -l < export.jsonl)

start p --kafka "$boot" --access-log
a=$(addr p)
# Staff read a Jiangsu person opened; the holder lookup by 身份证号 finds
# them through the keyed index, for their own authority only.
IFS=$'\t' read -r cert auth name idnum holder < <(awk -F'\t' '$2 == "JS-ZJT"' people.tsv | head -1)
curl -s -H "Authorization: Bearer $approver" "http://$a/api/v1/certificates/$cert" > staff.json
grep -qF "$idnum" staff.json && grep -qF "$name" staff.json && ok || bad "staff do not read $cert opened: $(head -c 300 staff.json)"
curl -s -H "Authorization: Bearer $approver" "http://$a/api/v1/certificates?holder=$idnum" > lookup.json
grep -qF "\"$cert\"" lookup.json && ok || bad "the holder lookup by 身份证号 did not find $cert: $(head -c 300 lookup.json)"
curl -s -H "Authorization: Bearer $other" "http://$a/api/v1/certificates?holder=$idnum" > other.json
python3 -c 'import json,sys; sys.exit(0 if json.load(open("other.json"))["certificates"] == [] else 1)' && ok ||
  bad "another authority's staff found the holder: $(head -c 300 other.json)"
code=$(curl -s -o /dev/null -w '%{http_code}' "http://$a/api/v1/certificates?holder=$idnum")
[ "$code" = 401 ] && ok || bad "an anonymous holder lookup answered $code"
# The public sees the masked forms.
token=$(python3 -c 'import json,sys; print(json.load(open("staff.json"))["qr_url"].rsplit("/",1)[1])')
curl -s "http://$a/api/v1/verify/$token" > public.json
grep -qF "${idnum:0:6}********${idnum:14:4}" public.json && ! grep -qF "$idnum" public.json && ok ||
  bad "the public answer is not masked: $(head -c 300 public.json)"

# Every record, checkpoint and status message on the topics.
for _ in $(seq 300); do
  n=$(kcat -b "$boot" -C -t certledger.events -e -q -f '%k\n' 2>/dev/null | wc -l)
  [ "$n" -ge "$records" ] && break
  sleep 0.2
done
[ "$n" -ge "$records" ] && ok || bad "the relay published $n of $records events"
mkdir topics
for t in $(kcat -b "$boot" -L 2>/dev/null | sed -n 's/^ *topic "\([^"]*\)".*/\1/p'); do
  kcat -b "$boot" -C -t "$t" -e -q -f '%k\t%s\n' > "topics/$t.txt" 2>/dev/null || true
done
ntopics=$(ls topics | wc -l)
[ "$ntopics" -ge 3 ] && ok || bad "only $ntopics topics: $(ls topics)"

kill -TERM "${pids[-1]}"
wait "${pids[-1]}" || true

# SSTs as RocksDB reads them (decompressed), beside the raw bytes.
for f in p/db/*.sst; do sst_dump --file="$f" --command=scan 2>/dev/null; done > sst.txt
[ -s sst.txt ] && ok || bad "sst_dump read nothing"
# A signed record carries its event base64url-encoded: every payload found
# anywhere (SSTs, the WAL, export, topics) decoded, to be scanned as well.
python3 - > payloads.txt <<'EOF'
import base64, os, re
pat = re.compile(rb'"payload":"([A-Za-z0-9_-]+)"')
paths = ["sst.txt", "export.jsonl"] + ["topics/" + t for t in os.listdir("topics")]
paths += [os.path.join(r, f) for r, _, fs in os.walk("p") for f in fs]
for path in paths:
    for m in pat.finditer(open(path, "rb").read()):
        b = m.group(1)
        os.write(1, base64.urlsafe_b64decode(b + b"=" * (-len(b) % 4)) + b"\n")
EOF
decoded=$(wc -l < payloads.txt)
[ "$decoded" -ge "$records" ] && ok || bad "only $decoded payloads decoded"

files=$(find p -type f | wc -l)
while IFS=$'\t' read -r cert auth name idnum holder; do
  for v in "$idnum" "$name"; do
    hits=$(grep -rlaF -- "$v" p export.jsonl checkpoints.txt topics sst.txt payloads.txt p.log p.out 2>/dev/null || true)
    [ -z "$hits" ] && ok || bad "\"$v\" ($cert) in clear in: $hits"
  done
done < people.tsv
# The scan would see them: the decoded events hold each person's public
# form (the masked 身份证号), sst_dump's text a public field in clear, and
# the access log the staff's requests.
while IFS=$'\t' read -r cert auth name idnum holder; do
  grep -qF -- "${idnum:0:6}********${idnum:14:4}" payloads.txt || bad "no public form of $cert in the decoded events"
done < people.tsv
number=$(python3 -c 'import json; print(json.load(open("staff.json"))["fields"]["number"])')
grep -qF -- "$number" sst.txt && ok || bad "sst_dump's output does not hold the certificate number $number"
grep -qF "/api/v1/certificates/$cert" p.out && ok || bad "no access log in p.out"

echo "scanned $files files of the data dir, $records records, $ntopics topics, $people people"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
