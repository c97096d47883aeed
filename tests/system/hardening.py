#!/usr/bin/env python3
"""The hostile user's findings against a real ledgerd, over real sockets.

usage: hardening.py BIN_DIR ARTIFACT_DIR

Each check names the finding of the hardening issue it covers. Run against
a ledgerd from before the fixes, these fail (or the process dies); after them
they pass. Findings that need no socket are in tests/api/hardening_test.cc,
the replica's in tests/system/kafka_test.cc."""
import base64, json, os, socket, stat, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httptest import Run, idnum, uscc  # noqa: E402

BIN, ART = sys.argv[1], sys.argv[2]
run = Run(BIN, ART)
check, ctl = run.check, run.ctl


def curl(method, path, body=None, token=None, headers=None, raw=None, out=None):
    status, parsed, text, _ = run.curl(method, path, body, token, headers, raw, out)
    return status, parsed, text


def alive():
    try:
        return curl("GET", "/healthz")[0] == 200 and run.proc.poll() is None
    except Exception:
        return False


def raw_exchange(data, wait=3.0):
    """Sends bytes on a fresh connection; returns everything read until the server closes or `wait` passes."""
    s = socket.create_connection((HOST, PORT))
    s.sendall(data)
    s.settimeout(wait)
    got = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
    except socket.timeout:
        pass
    s.close()
    return got


tmp = tempfile.mkdtemp(prefix="certledger-hardening-")
data = os.path.join(tmp, "data")
backups = os.path.join(tmp, "backups")
ctl("init", "--data", data, "--origin", "certledger.hardening/log")
for code, name, region, prov in [("GD-ZJT", "广东省住房和城乡建设厅", "440000", "粤"), ("JS-ZJT", "江苏省住房和城乡建设厅", "320000", "苏")]:
    ctl("authority", "add", "--data", data, "--code", code, "--name", name, "--region", region, "--province", prov)
tok = {r: ctl("token", "create", "--data", data, "--authority", "GD-ZJT", "--role", r, "--operator", "gd." + r)
       for r in ("clerk", "reviewer", "approver", "auditor", "admin")}
tok["js_approver"] = ctl("token", "create", "--data", data, "--authority", "JS-ZJT", "--role", "approver", "--operator", "js.a")
tok["log_admin"] = ctl("token", "create", "--data", data, "--log-wide", "--role", "admin", "--operator", "log.operator")

# Started with umask 000: what it creates must still be owner-only.
addr = run.start(data, "--kafka", "off", "--header-timeout-ms", "1000", "--idle-timeout-ms", "20000",
                 "--max-connections-per-client", "40", "--backup-root", backups, shell_prefix="umask 000")
HOST, PORT = addr.rsplit(":", 1)[0], int(addr.rsplit(":", 1)[1])

today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
year = int(today[:4])
org = {"holder_name": "广州市宏达建设工程有限公司", "uscc": uscc("9144010100000000"[:16] + "3"), "legal_representative": "陈建华",
       "address": "广东省广州市天河区天河路100号", "valid_from": today, "valid_until": f"{year + 4}-12-31", "issue_date": today,
       "scope": ["建筑材料及构配件", "钢结构"]}
def png(grey):
    """A valid 8x8 greyscale PNG of one shade, base64."""
    import struct, zlib
    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d))
    raw = b"".join(b"\0" + bytes([grey]) * 8 for _ in range(8))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 0, 0, 0, 0)) +
                            chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")).decode()


def sha_ref(b64):
    return "sha256:" + __import__("hashlib").sha256(base64.b64decode(b64)).hexdigest()


PNG, PNG2, PNG_GD = png(40), png(80), png(120)
person = {"name": "王小明", "id_number": idnum("44010219850312123"), "photo": "data:image/png;base64," + PNG,
          "issue_date": today, "post": "建筑电工", "valid_until": f"{year + 1}-12-31"}


def issue(kind, fields, who="approver"):
    s, j, _ = curl("POST", "/api/v1/certificates", {"kind": kind, "fields": fields}, token=tok[who])
    check(s == 201, f"issue {kind}: {s} {j}")
    return j["certificate"]["id"], j["qr_url"].rsplit("/", 1)[1]


inst_a, _ = issue("testing_institution", dict(org, number="粤检字第2026000001号"))
inst_b, _ = issue("testing_institution", dict(org, number="粤检字第2026000002号", holder_name="佛山市检测有限公司"))
person_id, person_qr = issue("special_operation", dict(person, number=f"粤A01{year}000001"))
tok["inst_a"] = ctl("token", "create", "--data", data, "--authority", "GD-ZJT", "--role", "institution", "--operator", "a.staff",
                    "--institution", inst_a)

# ---- 1. Nested JSON: no token can take the service down ----
deep = b'{"kind":"design","fields":{"number":' + b"[" * 1000000 + b"]" * 1000000 + b"}}"
s, j, _ = curl("POST", "/api/v1/certificates", raw=deep, token=tok["approver"], headers={"Idempotency-Key": "d1"})
check(s == 400 and alive(), f"1: 1,000,000-deep fields.number: {s}, ledgerd alive: {alive()}")
deep2 = b'{"kind":"design","fields":{"number":' + b"[" * 100000 + b"]" * 100000 + b"}}"
for who in ("clerk", "inst_a"):
    s, j, _ = curl("POST", "/api/v1/certificates", raw=deep2, token=tok[who], headers={"Idempotency-Key": "d2"})
    check(s == 403 and alive(), f"1: 100,000-deep with Idempotency-Key, {who} token: {s}, alive: {alive()}")

# ---- 2. Reads check the role ----
s, j, _ = curl("GET", f"/api/v1/certificates/{person_id}", token=tok["inst_a"])
check(s == 403 and person["id_number"] not in json.dumps(j), f"2: institution reads a person's certificate: {s}")
s, _, _ = curl("GET", f"/api/v1/certificates/{person_id}/document.pdf", token=tok["inst_a"])
check(s == 403, f"2: institution reads a person's PDF: {s}")
s, _, _ = curl("GET", f"/api/v1/certificates/{person_id}/events", token=tok["inst_a"])
check(s == 403, f"2: institution reads a person's records: {s}")
s, _, _ = curl("GET", f"/api/v1/certificates?holder={person['id_number']}", token=tok["inst_a"])
check(s == 403, f"2: institution probes the holder index: {s}")
s, _, _ = curl("GET", f"/api/v1/certificates/{inst_b}", token=tok["inst_a"])
check(s == 403, f"2: institution A reads institution B: {s}")
s, j, _ = curl("GET", f"/api/v1/certificates/{inst_a}", token=tok["inst_a"])
check(s == 200 and j["id"] == inst_a, f"2: institution reads its own: {s}")
statuses = [curl("GET", f"/api/v1/certificates?holder={person['id_number']}", token=tok["reviewer"])[0] for _ in range(40)]
check(200 in statuses and 429 in statuses, f"2: holder lookups are rate limited: {statuses}")

# ---- 3. The audit feed does not cross authorities ----
js_id, _ = issue("special_operation", dict(person, number=f"苏A01{year}000001", id_number=idnum("32010219850312123")),
                 who="js_approver")
s, j, _ = curl("GET", "/api/v1/events?after=0&limit=1000", token=tok["auditor"])
check(s == 200 and all(json.loads(base64.urlsafe_b64decode(e["record"]["payload"] + "==")).get("authority") in ("GD-ZJT", "")
                       for e in j["events"]), "3: the GD auditor sees only GD's records (and the log's)")
check(idnum("32010219850312123") not in json.dumps(j), "3: no JS ID number in GD's feed")

# ---- 6. Request smuggling ----
for te in (b"xchunked", b"chunked, identity", b"identity"):
    got = raw_exchange(b"POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: " + te +
                       b"\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n")
    check(got.startswith(b"HTTP/1.1 400") and got.count(b"HTTP/1.1 ") == 1, f"6: Transfer-Encoding {te}: {got[:120]}")
time.sleep(0.2)
check("/smuggled" not in open(os.path.join(ART, "access.log")).read(), "6: the smuggled request was never served")
got = raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n")
check(got.startswith(b"HTTP/1.1 400"), f"9: duplicate Authorization: {got[:60]}")

# ---- 7. Photo intake ----
s, _, _ = curl("POST", "/api/v1/certificates", {"kind": "special_operation",
               "fields": dict(person, number=f"粤A01{year}000002", photo="data:image/png;base64," + PNG2)}, token=tok["clerk"])
check(s == 403, f"7: a clerk's request with a photo: {s}")
s, j, _ = curl("POST", "/api/v1/certificates", {"kind": "special_operation",
               "fields": dict(person, number=f"粤A01{year}000003", photo=sha_ref(PNG2))}, token=tok["approver"])
check(s == 422 and j["field"] == "photo", f"7: the clerk's photo was not stored: {s}")
fake = base64.b64encode(b"\xff\xd8\xff\xe0" + os.urandom(3000) + b"\xff\xd9").decode()
s, j, _ = curl("POST", "/api/v1/certificates", {"kind": "special_operation",
               "fields": dict(person, number=f"粤A01{year}000004", photo="data:image/jpeg;base64," + fake)}, token=tok["approver"])
check(s == 422 and j["field"] == "photo", f"7: random bytes between JPEG markers: {s}")
s, j, _ = curl("POST", "/api/v1/certificates", {"kind": "special_operation",
               "fields": dict(person, number=f"粤A01{year}000005", photo="data:image/png;base64," + PNG_GD)},
               token=tok["approver"])
check(s == 201, f"7: Guangdong uploads a photo: {s} {j}")
s, j, _ = curl("POST", "/api/v1/certificates", {"kind": "special_operation",
               "fields": dict(person, number=f"苏A01{year}000002", photo=sha_ref(PNG_GD))},
               token=tok["js_approver"])
check(s == 422 and j["field"] == "photo", f"7: Jiangsu references Guangdong's photo: {s}")

# ---- 8. Backups ----
os.chdir(tmp)
s, _, _ = curl("POST", "/api/v1/admin/backup", {"to": "rel"}, token=tok["admin"])
check(s == 403, f"8: a per-authority admin backs up: {s}")
s, _, _ = curl("POST", "/api/v1/admin/backup", {"to": "../outside"}, token=tok["log_admin"])
check(s == 422 and not os.path.exists(os.path.join(tmp, "outside")), f"8: a path outside the root: {s}")
s, _, _ = curl("POST", "/api/v1/admin/backup", {"to": data + "/../x"}, token=tok["log_admin"])
check(s == 422, f"8: an absolute path: {s}")
s, j, _ = curl("POST", "/api/v1/admin/backup", {"to": "nightly-1"}, token=tok["log_admin"])
check(s == 200 and os.path.isdir(os.path.join(backups, "nightly-1", "keys")), f"8: a backup under the root: {s} {j}")
check(stat.S_IMODE(os.stat(os.path.join(backups, "nightly-1")).st_mode) & 0o077 == 0, "8: the backup is owner-only")
s, _, _ = curl("POST", "/api/v1/admin/backup", {"to": "nightly-1"}, token=tok["log_admin"])
check(s == 409, f"8: an existing non-empty target is refused: {s}")

# ---- 9. Smaller items ----
for i in range(300):
    raw_exchange(f"M{i} /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(), wait=1)
s, _, metrics = curl("GET", "/metrics")
check('method="M7"' not in metrics and 'method="other"' in metrics, "9: made-up methods share the label 'other'")
# A slow header after a keep-alive request gets the header timeout (1 s), not the idle timeout (20 s).
c = socket.create_connection((HOST, PORT))
c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
c.settimeout(5)
first = c.recv(65536)
c.sendall(b"GET /healthz HTTP/1.1\r\n")
t0 = time.time()
try:
    rest = c.recv(65536)
except socket.timeout:
    rest = b"timeout"
check(first.startswith(b"HTTP/1.1 200") and rest == b"" and time.time() - t0 < 4, f"9: slow header closed in {time.time() - t0:.1f}s: {rest[:40]}")
c.close()
# Connections per client address are capped (40 here). The server releases the
# slot of a closed connection when its session ends: give the one above time.
time.sleep(1.0)
socks = [socket.create_connection((HOST, PORT)) for _ in range(60)]
time.sleep(0.5)
open_count = 0
for s_ in socks:
    s_.settimeout(3)  # a refused connection is closed at once; a served one may wait for a busy core
    try:
        s_.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        open_count += s_.recv(100).startswith(b"HTTP/1.1 200")
    except OSError:
        pass
for s_ in socks:
    s_.close()
check(open_count == 40, f"9: 40 of 60 connections from one address served, got {open_count}")
time.sleep(0.3)
s, j, text = curl("GET", "/readyz")
check(s == 200 and j == {"status": "ready"}, f"9: public /readyz shows no details: {text}")
s, _, page = curl("GET", f"/v/{person_qr}", headers={"Accept": "text/html"})
hdrs = subprocess.run(["curl", "-s", "-D", "-", "-o", "/dev/null", run.base + f"/v/{person_qr}"], capture_output=True, text=True).stdout
check("X-Content-Type-Options: nosniff" in hdrs and "Content-Security-Policy: default-src 'none'" in hdrs, "9: nosniff and CSP")
s, _, _ = curl("POST", f"/api/v1/certificates/{person_id}/suspensions", {"reason": "x"}, token=tok["approver"],
               headers={"If-Match": 'W/"1"'})
check(s == 412, f"9: a weak If-Match never matches: {s}")
s, _, _ = curl("POST", f"/api/v1/certificates/{person_id}/suspensions", {"reason": "x"}, token=tok["approver"],
               headers={"Idempotency-Key": "k" * 201})
check(s == 400, f"9: a 201-character Idempotency-Key on an operation: {s}")
s, _, _ = curl("POST", f"/api/v1/certificates/{person_id}/revocation", {"reason": "以欺骗手段取得"}, token=tok["approver"])
check(s == 201, "revoke the person's certificate")
pdf = os.path.join(ART, "revoked-public.pdf")
s, _, _ = curl("GET", f"/v/{person_qr}/document.pdf", out=pdf)
text = subprocess.run(["pdftotext", "-enc", "UTF-8", pdf, "-"], capture_output=True, text=True).stdout
check(s == 200 and all(ch in text for ch in "已吊销"), "9: the public PDF of a revoked certificate says 已吊销")
s, _, _ = curl("POST", f"/api/v1/certificates/{inst_a}/revocation", {"reason": "出具虚假报告"}, token=tok["approver"])
report = {"fields": {"report_number": "JC-1", "project_name": "某工程", "category": "钢结构", "test_date": today,
                     "result_summary": "合格", "file_sha256": "ab" * 32}}
s, _, _ = curl("POST", "/api/v1/reports", report, token=tok["inst_a"])
check(s == 401, f"9: a revoked institution's token registers nothing: {s}")
bad_mode = []
for root, dirs, files in os.walk(os.path.join(data, "db")):
    for n in dirs + files:
        if stat.S_IMODE(os.stat(os.path.join(root, n)).st_mode) & 0o077:
            bad_mode.append(n)
check(stat.S_IMODE(os.stat(os.path.join(data, "db")).st_mode) == 0o700 and not bad_mode,
      f"9: db/ is 0700 and its files owner-only under umask 000: {bad_mode[:5]}")

rc = run.stop()
check(rc == 0, f"SIGTERM exits 0 (got {rc})")
run.finish()
