#!/usr/bin/env python3
"""Writes an HTML page that opens an OFD file with ofd.js (an independent
OFD reader, run by headless Chromium): it renders every page, collects the
text of the rendered SVG, the seal signature check ofd.js does itself
(SM2/SM3 with sm-crypto: VerifyRet) and its SM3 digest check of every file
listed in Signature.xml, and prints them as JSON in <pre id="result">.

usage: ofd_view.py OFD_FILE OFD_JS OUT_HTML
"""
import base64
import sys

ofd, ofd_js, out = sys.argv[1:4]
data = base64.b64encode(open(ofd, "rb").read()).decode()
page = """<!doctype html><html><head><meta charset="utf-8"><title>OFD</title>
<script src="file://%(js)s"></script></head>
<body style="margin:0;background:#fff"><div id="pages"></div><pre id="result">pending</pre>
<script>
const bytes = Uint8Array.from(atob("%(data)s"), c => c.charCodeAt(0));
function finish(obj) { document.getElementById('result').textContent = JSON.stringify(obj); }
try {
  ofd.parseOfdDocument({
    ofd: bytes.buffer,
    success(res) {
      try {
        const doc = Array.isArray(res) ? res[0] : res;
        const divs = ofd.renderOfd(794, doc);
        const host = document.getElementById('pages');
        for (const d of divs) host.appendChild(d);
        const texts = [...document.querySelectorAll('#pages text')].map(t => t.textContent);
        const seals = [...document.getElementsByName('seal_img_div')].map(e => JSON.parse(e.dataset.signedInfo || '{}'));
        let digest = null;
        const checks = window.toBeChecked;
        if (checks) { digest = true; for (const [id, arr] of checks) digest = digest && ofd.digestCheck(arr) === true; }
        setTimeout(() => finish({pages: divs.length, text: texts.join(''), seals: seals.map(s => s.VerifyRet),
                                 signatures: seals.length, digest}), 300);
      } catch (e) { finish({error: String(e && e.stack || e)}); }
    },
    fail(e) { finish({error: String(e)}); }
  });
} catch (e) { finish({error: String(e && e.stack || e)}); }
</script></body></html>""" % {"js": ofd_js, "data": data}
open(out, "w").write(page)
