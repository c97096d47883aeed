#!/usr/bin/env bash
# Headless Chromium runs the verification page's own proof check (WebCrypto,
# the script inline in the page): a real answer shows 已验证; the same page
# with one byte of the statement changed on the way (a proxy in this test)
# shows 验证失败; a witnessed log's page (quorum 2) shows 已验证, and 验证失败
# with a byte of a cosignature changed; a proof older than the server's
# bound shows 无法确认实时状态. Prints the time the check took in the page.
# usage: proof_page.sh BIN_DIR ARTIFACT_DIR
set -euo pipefail
bin=$(cd "$1" && pwd); mkdir -p "$2"; art=$(cd "$2" && pwd)
chrome=$(command -v chromium || command -v chromium-browser || true)
[ -n "$chrome" ] || { echo "chromium is not installed (./ops/dev setup installs it)"; exit 77; }
source "$(dirname "$0")/lib.sh"
url_of() { grep -m1 "$2" "$dir/$1.log" | grep -o 'http://[^ ]*'; }
# The page's verdict after its script ran: the proof-check element.
verdict() {
  "$chrome" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$dir/profile" --virtual-time-budget=10000 \
    --dump-dom "$1" 2>/dev/null | grep -o '<div id="proof-check"[^>]*>[^<]*</div>' || true
}
fails=0
expect() {  # name url word
  local v
  v=$(verdict "$2")
  echo "$1: $v"
  echo "$1: $v" >> "$art/proof-page.txt"
  if ! grep -q "$3" <<<"$v"; then echo "FAIL: $1 does not say $3"; fails=$((fails+1)); fi
}
: > "$art/proof-page.txt"
start live --demo
# A page whose certificate changed after the newest checkpoint waits for
# the next one (it reloads itself once); give the writer's checkpoint time.
sleep 1.5
for w in "有效  construction_enterprise" 已吊销 已注销 已作废 暂扣; do expect "live $w" "$(url_of live "$w")" "已验证"; done

# A proxy that changes one byte of the statement (or of a witness's
# cosignature) inside the page's bundle, and passes everything else through.
# usage: proxy TARGET_URL PORT_FILE statement|cosignature
proxy() {
python3 - "$@" <<'PY' &
import base64, http.server, re, sys, urllib.request
target = sys.argv[1]
origin = target[:target.index("/", 8)]
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/":  # the page's script and the rest: passed through untouched
            with urllib.request.urlopen(origin + self.path) as r:
                body = r.read(); ctype = r.headers.get("Content-Type")
            self.send_response(200); self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
            return
        with urllib.request.urlopen(target) as r:
            body = r.read().decode(); csp = r.headers.get("Content-Security-Policy")
        # The cosignature line's base64 (76 bytes), not the policy's key.
        field = "statement " if sys.argv[3] == "statement" else "witness.test/w1 "
        def flip(m):
            b = bytearray(base64.b64decode(m.group(1))); b[30] ^= 1
            return field + base64.b64encode(bytes(b)).decode()
        body = re.sub(re.escape(field) + r"([A-Za-z0-9+/]{40,}=*)", flip, body, count=1).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        if csp: self.send_header("Content-Security-Policy", csp)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
open(sys.argv[2], "w").write(str(s.server_port))
s.serve_forever()
PY
pids+=($!)
for _ in $(seq 1 100); do [ -s "$2" ] && break; sleep 0.05; done
}
proxy "$(url_of live 已吊销)" "$dir/proxy.port" statement
expect "statement byte changed" "http://127.0.0.1:$(cat "$dir/proxy.port")/" "验证失败"

# A primary whose checkpoints two witnesses cosign, with a quorum of 2: the
# page has the policy in its data and checks the cosignatures as well.
"$bin/ledgerctl" init --data q >/dev/null
"$bin/ledgerctl" trust --data q > q-trust.json
start w1 --witness-name witness.test/w1 --witness-logs q-trust.json
start w2 --witness-name witness.test/w2 --witness-logs q-trust.json
printf '{"witnesses": [{"url": "http://%s", "key": "%s"}, {"url": "http://%s", "key": "%s"}], "quorum": 2}\n' \
  "$(addr w1)" "$("$bin/ledgerctl" witness-key --data w1 --name witness.test/w1)" \
  "$(addr w2)" "$("$bin/ledgerctl" witness-key --data w2 --name witness.test/w2)" > witnesses.json
start q --demo --witnesses witnesses.json
sleep 1.5
curl -s "$(url_of q 已吊销)" | grep -q '"policy":"witness witness.test/w1 ' || { echo "FAIL: the page has no policy"; fails=$((fails+1)); }
expect "witnessed, quorum 2" "$(url_of q 已吊销)" "已验证"
proxy "$(url_of q 已吊销)" "$dir/proxy-q.port" cosignature
expect "cosignature byte changed" "http://127.0.0.1:$(cat "$dir/proxy-q.port")/" "验证失败"

# A server whose proofs count as fresh for 1 s and that does not sign its
# size again while idle: after 3 s its proof no longer confirms live status.
start old --demo --proof-max-age-s 1 --checkpoint-max-interval-ms 0
sleep 3
expect "checkpoint older than the bound" "$(url_of old 已吊销)" "无法确认实时状态"

ms=$(grep -o 'data-verify-ms="[0-9.]*"' "$art/proof-page.txt" | grep -o '[0-9.]*' | sort -n | tr '\n' ' ')
echo "verify time in the page (ms, sorted): $ms"
[ $fails -eq 0 ] || { echo "$fails failed"; exit 1; }
echo "9 passed, 0 failed"
