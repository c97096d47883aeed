#!/usr/bin/env bash
# Erasure end to end (issue #26): a primary, a replica entitled to Jiangsu's
# personal data (X25519), one entitled to all of it with an SM2 key (its
# keys arrive SM2-encrypted) and one without an entitlement, on one Kafka
# cluster.
#   before: the entitled replica opens a person's sealed fields with the
#           key the keys topic brought it; the unentitled one has only the
#           public forms; npm `jose` opens the same chain from the keys
#           message and the signed record (a second implementation);
#   erase:  refused (409) while a certificate is in force without a reason, then
#           POST /api/v1/holders/{ref}/erasure;
#   after:  a tombstone on the keys topic; neither replica (nor the primary)
#           holds the key or can show the values; every view reads
#           已依法删除; `ledgerctl audit` passes on all three; an answer and
#           its proof saved before the erasure still verify.
# usage: erasure.sh BIN_DIR SOURCE_DIR
set -euo pipefail
bin=$(cd "$1" && pwd)
src=$(cd "$2" && pwd)
for t in kcat ldb python3 curl node; do
  command -v $t >/dev/null || { echo "$t not installed"; exit 77; }
done
[ -d "$src/tests/js/node_modules/jose" ] || { echo "tests/js/node_modules/jose missing"; exit 77; }
source "$src/tests/system/lib.sh"

passed=0 failed=0
ok() { passed=$((passed + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }
wait_for() {  # wait_for SECONDS CMD...: until CMD succeeds
  local n=$(($1 * 10)); shift
  for _ in $(seq "$n"); do "$@" && return 0; sleep 0.1; done
  return 1
}

"$bin/ledgerctl" demo --data p --json > demo.json
"$bin/ledgerctl" trust --data p > trust.json
approver=$("$bin/ledgerctl" token create --data p --authority JS-ZJT --role approver --operator e2e.approver)
key_e=$("$bin/ledgerctl" vault-key --data e)
"$bin/ledgerctl" vault-key --data u > /dev/null
# A second consumer with an SM2 key (national crypto): its wrap is SM2.
sm2=$("$bin/ledgerctl" vault-key --data n --alg sm2)
printf '[{"name": "js-archive", "x25519": "%s", "authorities": ["JS-ZJT"]}, {"name": "national", "sm2": %s}]\n' \
  "$key_e" "$sm2" > recipients.json
"$bin/ledgerctl" export --data p > export.jsonl

# A Jiangsu person of the demo: certificate, holder, ID number, name, token.
python3 - "$bin" > person.tsv <<'EOF'
import json, subprocess, sys
persons = {"staff_training", "special_operation", "safety_manager_a", "safety_manager_b", "safety_manager_c"}
for c in json.load(open("demo.json")):
    if c["kind"] not in persons:
        continue
    v = json.loads(subprocess.check_output([sys.argv[1] + "/ledgerctl", "show", "--data", "p", "--personal", "--json",
                                            c["certificate"]]))
    if v["authority"] == "JS-ZJT" and v["status"] == "active":
        print("\t".join([c["certificate"], v["holder"], v["fields"]["id_number"], v["fields"]["name"],
                         c["url"].rsplit("/", 1)[1]]))
        break
EOF
IFS=$'\t' read -r cert holder idnum name token < person.tsv
[ -n "$holder" ] && [ ${#idnum} = 18 ] && ok || bad "no active Jiangsu person in the demo"
masked="${idnum:0:6}********${idnum:14:4}"

# The primary's embedded cluster (its topics made before anything is sent).
start p --kafka embedded --personal-data-recipients recipients.json
boot=$(cat p/kafka.bootstrap)
start e --replica --kafka "$boot" --trust trust.json --replica-group e --personal-data-name js-archive
start u --replica --kafka "$boot" --trust trust.json --replica-group u
start n --replica --kafka "$boot" --trust trust.json --replica-group n --personal-data-name national
P=$(addr p) E=$(addr e) U=$(addr u) N=$(addr n)

live() { curl -sf "http://$1/api/v1/verify/$token" > "$2" && grep -qF "$3" "$2"; }
wait_for 60 live "$E" e.json "$masked" && ok || bad "the entitled replica does not answer for $cert: $(head -c 300 e.json)"
wait_for 60 live "$U" u.json "$masked" && ok || bad "the unentitled replica does not answer for $cert"
wait_for 60 live "$N" n.json "$masked" && ok || bad "the SM2 consumer's replica does not answer for $cert"
curl -sf "http://$P/api/v1/verify/$token" > before.json && ok || bad "no answer from the primary"

# Before: the entitled replica's vault opens the seal, the other's does not.
wait_for 30 sh -c "'$bin/ledgerctl' show --data e --personal --json $cert > e-show.json && grep -qF '$idnum' e-show.json" &&
  ok || bad "the entitled replica cannot open $cert: $(head -c 300 e-show.json)"
# The national consumer's key arrived SM2-encrypted: its vault opens it too.
wait_for 30 sh -c "'$bin/ledgerctl' show --data n --personal --json $cert > n-show.json && grep -qF '$idnum' n-show.json" &&
  ok || bad "the SM2 consumer cannot open $cert: $(head -c 300 n-show.json)"
"$bin/ledgerctl" show --data u --personal --json "$cert" > u-show.json
grep -qF "$masked" u-show.json && ! grep -qF "$idnum" u-show.json && ok ||
  bad "the unentitled replica shows more than the public form: $(head -c 300 u-show.json)"

# A second implementation opens the same chain: keys message -> data key -> record.
kcat -b "$boot" -C -t certledger.keys -e -q -f '%k\t%s\n' 2>/dev/null | awk -F'\t' -v h="$holder" '$1 == h { m = $2 } END { print m }' > message.json
python3 - "$cert" > record.json <<'EOF'
import base64, json, sys
for line in open("export.jsonl"):
    r = json.loads(line)
    p = r["payload"]
    e = json.loads(base64.urlsafe_b64decode(p + "=" * (-len(p) % 4)))
    if e["stream"] == sys.argv[1] and "personal" in e["data"]:
        last = line.strip()  # the latest sealed record of the certificate
print(last)
EOF
# (its latest sealed record: every value it opens is the certificate's now)
node "$src/tests/js/open_personal.mjs" e/keys/vault/node-x25519.pem message.json record.json js-archive > jose.json &&
  python3 -c 'import json,sys; j=json.load(open("jose.json")); f=json.load(open("e-show.json"))["fields"]; sys.exit(0 if j and all(f[k]==v for k,v in j.items()) else 1)' && ok ||
  bad "jose did not open the chain: $(cat jose.json) $(head -c 200 message.json)"
python3 -c '
import base64, json, sys
r = json.load(open("message.json"))["recipients"]
h = r["national"].split(".")[0]
sys.exit(0 if json.loads(base64.urlsafe_b64decode(h + "=" * (-len(h) % 4)))["alg"] == "SM2" else 1)' && ok ||
  bad "no SM2 wrap for the national consumer: $(head -c 300 message.json)"
if node "$src/tests/js/open_personal.mjs" u/keys/vault/node-x25519.pem message.json record.json js-archive >/dev/null 2>&1; then
  bad "another node's key opened the entitled consumer's wrap"
else ok; fi

# Erase: refused while in force without a reason; then with one.
body='{"legal_basis":"《个人信息保护法》第四十七条第一款第一项","reason":"持证人申请删除"}'
code=$(curl -s -o refused.json -w '%{http_code}' -X POST -H "Authorization: Bearer $approver" \
  -H 'Content-Type: application/json' -d "$body" "http://$P/api/v1/holders/$holder/erasure")
[ "$code" = 409 ] && grep -qF "$cert" refused.json && ok || bad "erasure while in force answered $code: $(cat refused.json)"
body='{"legal_basis":"《个人信息保护法》第四十七条第一款第一项","reason":"持证人申请删除","in_force_reason":"持证人已死亡"}'
code=$(curl -s -o erased.json -w '%{http_code}' -X POST -H "Authorization: Bearer $approver" \
  -H 'Content-Type: application/json' -d "$body" "http://$P/api/v1/holders/$holder/erasure")
[ "$code" = 201 ] && grep -qF "$cert" erased.json && ok || bad "erasure answered $code: $(cat erased.json)"
code=$(curl -s -o again.json -w '%{http_code}' -X POST -H "Authorization: Bearer $approver" \
  -H 'Content-Type: application/json' -d "$body" "http://$P/api/v1/holders/$holder/erasure")
[ "$code" = 404 ] && ok || bad "a second erasure answered $code"

# After: every node shows the erased fields, the keys topic a tombstone.
for n in P E U N; do
  wait_for 60 live "${!n}" "after-$n.json" "已依法删除" && ok || bad "$n does not show the erasure: $(head -c 300 after-$n.json)"
done
grep -qF "$masked" after-E.json && bad "the entitled replica still shows the masked number" || ok
wait_for 30 sh -c "kcat -b '$boot' -C -t certledger.keys -e -q -Z -f '%k\t%s\n' 2>/dev/null | awk -F'\t' -v h='$holder' '\$1 == h { m = \$2 } END { exit m == \"NULL\" ? 0 : 1 }'" &&
  ok || bad "no tombstone for $holder on the keys topic"
status=$(python3 -c 'import json; print(json.load(open("after-P.json"))["status"], json.load(open("before.json"))["status"])')
[ "${status% *}" = "${status#* }" ] && ok || bad "the status changed with the erasure: $status"

kill -TERM "${pids[@]}"
wait "${pids[@]}" 2>/dev/null || true

# No node holds the key; the log audits clean everywhere; the answer saved
# before still verifies.
for n in p e u n; do
  if ldb --db="$n/db" --column_family=vault scan 2>/dev/null | grep -qF "k$holder"; then
    bad "$n's vault still holds the key of $holder"
  else ok; fi
  "$bin/ledgerctl" show --data "$n" --personal --json "$cert" > "show-$n.json"
  ! grep -qF "$idnum" "show-$n.json" && grep -qF "已依法删除" "show-$n.json" && ok || bad "$n still shows $cert's data"
  "$bin/ledgerctl" audit --data "$n" > "audit-$n.txt" 2>&1 && ok || bad "audit of $n: $(tail -3 "audit-$n.txt")"
done
ldb --db=e/db --column_family=vault scan 2>/dev/null | grep -q . && ok || bad "the entitled replica's vault is empty (no key ever arrived)"
"$bin/ledgerctl" verify-answer before.json --trust trust.json --max-age 100000 > verify.txt 2>&1 && ok ||
  bad "the answer saved before the erasure no longer verifies: $(cat verify.txt)"
"$bin/ledgerctl" export --data p | head -n "$(wc -l < export.jsonl)" | cmp -s - export.jsonl && ok ||
  bad "records before the erasure changed"

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
