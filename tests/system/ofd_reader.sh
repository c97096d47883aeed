#!/usr/bin/env bash
# An independent OFD reader opens our OFD documents: ofd.js (npm, unpacked by
# ./ops/dev setup into .cache/tools/ofd.js) in headless Chromium renders each
# page, checks the seal signature itself (SM2/SM3 via sm-crypto: VerifyRet)
# and the SM3 digest of every signed file. The rendered pages are kept as
# PNG test artifacts (look at them). A document with one changed file must
# fail ofd.js's digest check.
# usage: ofd_reader.sh BIN_DIR ARTIFACT_DIR SOURCE_DIR
set -euo pipefail
bin=$1; art=$2; src=$3
mkdir -p "$art"
chrome=$(command -v chromium || command -v chromium-browser || true)
ofdjs=$src/.cache/tools/ofd.js/ofd.umd.min.js
[ -n "$chrome" ] || { echo "chromium is not installed (./ops/dev setup installs it)"; exit 77; }
[ -f "$ofdjs" ] || { echo "ofd.js is not unpacked (./ops/dev setup does it)"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$bin/ledgerctl" --json demo --data "$dir/data" --public-base https://verify.example.gov.cn > "$dir/demo.json"
flags=(--headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking
       --disable-component-update --disable-sync --hide-scrollbars --allow-file-access-from-files
       --user-data-dir="$dir/profile" --virtual-time-budget=30000)
pass=0
check() {  # kind, expect_digest(true|false), ofd file, name
  local kind=$1 want=$2 file=$3 name=$4
  python3 "$src/tests/js/ofd_view.py" "$file" "$ofdjs" "$dir/$name.html"
  "$chrome" "${flags[@]}" --dump-dom "file://$dir/$name.html" 2>/dev/null > "$dir/$name.dom"
  if [ "$want" = true ]; then
    "$chrome" "${flags[@]}" --window-size=820,1180 --screenshot="$art/$name.png" "file://$dir/$name.html" >/dev/null 2>&1 || true
    [ -s "$art/$name.png" ] || { echo "no screenshot for $name"; exit 1; }
  fi
  python3 - "$dir/$name.dom" "$dir/demo.json" "$dir/$name.show.json" "$kind" "$want" <<'PY'
import html, json, re, sys
dom, demo, show, kind, want = sys.argv[1:6]
m = re.search(r'<pre id="result">(.*?)</pre>', open(dom).read(), re.S)
if not m:
    sys.exit("no result element: ofd.js did not run")
r = json.loads(html.unescape(m.group(1)))
if "error" in r:
    sys.exit("ofd.js failed: " + r["error"])
c = json.load(open(show))
text = r["text"].replace(" ", "").replace("\u3000", "")
need = [c["fields"]["number"], c["holder_name"], c["elicense"], "发证机关", "电子证照专用章"]
for n in need:
    if n.replace(" ", "") not in text:
        sys.exit(f"{kind}: rendered text lacks {n!r}: {text[:400]}")
if r["pages"] < 1 or r["signatures"] != 1 or r["seals"] != [True]:
    sys.exit(f"{kind}: ofd.js did not verify the seal signature: {r}")
if str(r["digest"]).lower() != want:
    sys.exit(f"{kind}: ofd.js digest check {r['digest']}, expected {want}")
print(f"{kind}: {r['pages']} page(s), seal signature verified by ofd.js, digests {r['digest']}")
PY
  pass=$((pass + 1))
}
for kind in construction_enterprise safety_license testing_institution; do
  cert=$(python3 -c "import json,sys; print([d['certificate'] for d in json.load(open(sys.argv[1])) if d['kind']==sys.argv[2]][0])" "$dir/demo.json" "$kind")
  "$bin/ledgerctl" --json show --data "$dir/data" "$cert" > "$dir/show.json"
  python3 - "$dir/show.json" "$dir/data" "$dir/ofd-$kind.show.json" <<'PY'
import json, sys
v = json.load(open(sys.argv[1]))
s = v.get("state", v)
out = {"fields": s["fields"], "holder_name": s["fields"].get("holder_name", ""),
       "elicense": v.get("elicense") or s.get("elicense", "")}
json.dump(out, open(sys.argv[3], "w"), ensure_ascii=False)
PY
  "$bin/ledgerctl" document --data "$dir/data" "$cert" --format ofd --public-base https://verify.example.gov.cn \
    --out "$art/$kind.ofd" >/dev/null
  "$bin/ledgerctl" check ofd "$art/$kind.ofd" | grep -q "^valid" || { echo "ledgerctl check ofd rejects $kind"; exit 1; }
  check "$kind" true "$art/$kind.ofd" "ofd-$kind"
done
# One changed file: ofd.js's own digest check must fail.
python3 - "$art/safety_license.ofd" "$dir/tampered.ofd" <<'PY'
import sys, zipfile
src, dst = sys.argv[1:3]
with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
    for item in zin.infolist():
        data = zin.read(item.filename)
        if item.filename.endswith("Page_0/Content.xml"):
            data = data.replace("有效期".encode(), "有效朝".encode(), 1)
        zout.writestr(item, data)
PY
if "$bin/ledgerctl" check ofd "$dir/tampered.ofd" > "$dir/check.txt"; then
  echo "ledgerctl check ofd accepts a changed document"; exit 1
fi
grep -q "Content.xml" "$dir/check.txt" || { echo "ledgerctl check ofd does not name the changed file: $(cat "$dir/check.txt")"; exit 1; }
cp "$dir/ofd-safety_license.show.json" "$dir/ofd-tampered.show.json"
check safety_license false "$dir/tampered.ofd" "ofd-tampered"
echo "$pass passed, 0 failed"
