#!/usr/bin/env bash
# ledgerd serves HTTPS with the certificate and key from its configuration:
# curl verifies the chain against our test CA, the public page answers, a
# command goes through, and plain HTTP on the TLS port gets no answer.
# usage: tls.sh BIN_DIR
set -euo pipefail
bin=$1
dir=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$dir" 2>/dev/null || true' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
"$bin/ledgerctl" init --data "$dir/data" >/dev/null
"$bin/ledgerctl" authority add --data "$dir/data" --code GD-ZJT --name 广东省住房和城乡建设厅 --region 440000 >/dev/null
token=$("$bin/ledgerctl" token create --data "$dir/data" --authority GD-ZJT --role approver --operator li.si)
"$bin/ledgerd" --data "$dir/data" --listen 127.0.0.1:0 --kafka off --tls-cert "$dir/cert.pem" --tls-key "$dir/key.pem" \
  2>"$dir/log" >/dev/null &
pid=$!
for _ in $(seq 1 200); do grep -q listening "$dir/log" 2>/dev/null && break; sleep 0.05; done
addr=$(cat "$dir/data/ledgerd.addr")
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$dir/cert.pem" "https://$addr/healthz")
[ "$code" = 200 ] || { echo "https /healthz: $code"; cat "$dir/log"; exit 1; }
here=$(cd "$(dirname "$0")/../.." && pwd)
code=$(curl -s -o "$dir/out.json" -w '%{http_code}' --cacert "$dir/cert.pem" -X POST "https://$addr/api/v1/certificates" \
  -H "Authorization: Bearer $token" -d @"$here/ops/samples/issue-example.json")
[ "$code" = 201 ] || { echo "https issue: $code $(cat $dir/out.json)"; exit 1; }
# With TLS on, the startup log and the QR links say https.
grep -q "listening on https://$addr (public base https://$addr)" "$dir/log" || { echo "the startup log does not say https"; cat "$dir/log"; exit 1; }
grep -q "\"qr_url\":\"https://$addr/v/" "$dir/out.json" || { echo "QR links are not https: $(cat $dir/out.json)"; exit 1; }
if curl -s -m 3 -o /dev/null "http://$addr/healthz"; then echo "plain HTTP answered on the TLS port"; exit 1; fi
if curl -s -m 3 -o /dev/null "https://$addr/healthz"; then echo "an unknown CA was accepted"; exit 1; fi
kill -TERM $pid; wait $pid; rc=$?
[ $rc = 0 ] || { echo "ledgerd exit $rc after SIGTERM"; exit 1; }
echo "6 passed, 0 failed"
