#!/usr/bin/env python3
"""End-to-end test of ledgerd's HTTP API with curl against a real process.

usage: e2e_api.py BIN_DIR ARTIFACT_DIR

Starts ledgerd on a random port, drives the full lifecycle of one
certificate of every kind through the API, checks every status word on the
public page and in JSON, and the error answers (412, idempotent retry,
401, 403 across authorities, 413, 429, malformed bodies). Records every
response for the OpenAPI check (tests/js/check_openapi.mjs) and saves
/metrics for promtool. Ends with a graceful SIGTERM (exit 0)."""
import base64, json, os, signal, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httptest import Run, idnum, uscc  # noqa: E402

BIN, ART = sys.argv[1], sys.argv[2]
run = Run(BIN, ART)
check, ctl = run.check, run.ctl
records = open(os.path.join(ART, "responses.jsonl"), "w")
run.on_response = lambda method, path, template, status, ctype, parsed: records.write(json.dumps(
    {"method": method.lower(), "path": path.split("?")[0], "template": template, "status": status,
     "content_type": ctype.split(";")[0], "body": parsed}, ensure_ascii=False) + "\n")


def curl(method, path, body=None, token=None, headers=None, template=None, raw=None):
    return run.curl(method, path, body, token, headers, raw, timeout=20, template=template)


tmp = tempfile.mkdtemp(prefix="certledger-e2e-")
data = os.path.join(tmp, "data")
auths = [("GD-ZJT", "广东省住房和城乡建设厅", "440000", "粤", "ed25519"),
         ("LN-ZJT", "辽宁省住房和城乡建设厅", "210000", "辽", "sm2"),
         ("FJ-ZJT", "福建省住房和城乡建设厅", "350000", "闽", "es256"),
         ("JS-ZJT", "江苏省住房和城乡建设厅", "320000", "苏", "ed25519")]
ctl("init", "--data", data, "--origin", "certledger.e2e/log")
for code, name, region, prov, alg in auths:
    ctl("authority", "add", "--data", data, "--code", code, "--name", name, "--region", region,
        "--province", prov, "--alg", alg)
tok = {code: ctl("token", "create", "--data", data, "--authority", code, "--role", "approver", "--operator", "approver." + code)
       for code, *_ in auths}
clerk = ctl("token", "create", "--data", data, "--authority", "GD-ZJT", "--role", "clerk", "--operator", "clerk.gd")
auditor = ctl("token", "create", "--data", data, "--authority", "GD-ZJT", "--role", "auditor", "--operator", "audit.gd")

run.start(data, "--kafka", "off", "--max-body-bytes", "65536", "--lookup-per-minute", "6", "--lookup-burst", "6",
          "--checkpoint-every", "20")

# Sample data: a generator lives in ledgerctl demo; here we write fields by hand, with valid check characters.
PNG = base64.b64encode(bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108000000003a7e9b55"
                                      "0000000a49444154789c636800000082008177cd72b60000000049454e44ae426082")).decode()
today = time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))
year = int(today[:4])
org = {"holder_name": "广州市宏达建设工程有限公司", "uscc": uscc("91440101MA5CXY12"[:16] + "3"),
       "legal_representative": "陈建华", "address": "广东省广州市天河区天河路100号",
       "valid_from": today, "valid_until": f"{year + 4}-12-31", "issue_date": today}
person = {"name": "王小明", "id_number": idnum("32010219850312123"), "photo": "data:image/png;base64," + PNG,
          "issue_date": today}
kinds = {
    "testing_institution": ("GD-ZJT", dict(org, number="粤检字第2026000001号", scope=["建筑材料及构配件", "钢结构"])),
    "construction_enterprise": ("LN-ZJT", dict(org, number="D221012345", qualifications=["建筑工程施工总承包二级"])),
    "survey": ("LN-ZJT", dict(org, number="B221012345", qualifications=["工程勘察专业类岩土工程乙级"])),
    "design": ("LN-ZJT", dict(org, number="A221012345", qualifications=["建筑行业（建筑工程）乙级"])),
    "supervision": ("LN-ZJT", dict(org, number="E221012345", qualifications=["房屋建筑工程监理甲级"])),
    "safety_license": ("FJ-ZJT", {**{k: v for k, v in org.items() if k != "legal_representative"},
                                   "number": f"（闽）JZ安许证字[{year}]000123", "principal": "林国平",
                                   "economic_type": "有限责任公司", "scope": ["建筑施工"], "valid_until": f"{year + 2}-12-31"}),
    "staff_training": ("JS-ZJT", dict(person, number="3201202600001", post="施工员", gender="男")),
    "special_operation": ("JS-ZJT", dict(person, number=f"苏A01{year}000001", post="建筑电工", valid_until=f"{year + 1}-12-31")),
    "safety_manager_a": ("JS-ZJT", dict(person, number=f"苏建安A({year})0000001", employer="南京宏达建设集团有限公司", valid_until=f"{year + 2}-12-31")),
    "safety_manager_b": ("JS-ZJT", dict(person, number=f"苏建安B({year})0000001", employer="南京宏达建设集团有限公司", valid_until=f"{year + 2}-12-31")),
    "safety_manager_c": ("JS-ZJT", dict(person, number=f"苏建安C2({year})0000001", employer="南京宏达建设集团有限公司", valid_until=f"{year + 2}-12-31")),
}
amend = {"testing_institution": ("legal_representative_changed", {"legal_representative": "赵六"}),
         "safety_license": ("principal_changed", {"principal": "黄海"}),
         "staff_training": ("post_changed", {"post": "质量员"}),
         "special_operation": ("info_corrected", {"name": "王晓明"}),
         "safety_manager_a": ("employer_changed", {"employer": "苏州建工集团有限公司"}),
         "safety_manager_b": ("employer_changed", {"employer": "苏州建工集团有限公司"}),
         "safety_manager_c": ("employer_changed", {"employer": "苏州建工集团有限公司"})}
terminal = ["cancellation", "revocation", "withdrawal"]
words = {"cancellation": ("cancelled", "已注销"), "revocation": ("revoked", "已吊销"), "withdrawal": ("withdrawn", "已撤销")}
approval = [{"step": "clerk", "operator": "zhang.san"}, {"step": "approve", "operator": "li.si", "opinion": "同意"}]


def public(token, expect_status, expect_word):
    s, j, _, _ = curl("GET", f"/api/v1/verify/{token}", template="/api/v1/verify/{token}")
    check(s == 200 and j and j["status"] == expect_status and j["status_zh"] == expect_word,
          f"verify {token}: want {expect_status}/{expect_word}, got {s} {j and j.get('status')}")
    s, _, html, ctype = curl("GET", f"/v/{token}", headers={"Accept": "text/html"}, template="/v/{token}")
    check(s == 200 and expect_word in html and ctype.startswith("text/html"), f"page {token} shows {expect_word}")
    return j


n = 0
ids = {}
for kind, (code, fields) in kinds.items():
    s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": kind, "fields": fields, "approval": approval},
                      token=tok[code], headers={"Idempotency-Key": "issue-" + kind}, template="/api/v1/certificates")
    check(s == 201, f"issue {kind}: {s} {j}")
    if s != 201:
        continue
    cid, first_token = j["certificate"]["id"], j["qr_url"].rsplit("/", 1)[1]
    ids[kind] = cid
    check(j["record"]["protected"] and j["position"] > 0, f"issue {kind} returns the signed record and position")
    pub = public(first_token, "valid", "有效")
    if "id_number" in fields:
        masked = pub["certificate"]["fields"]["id_number"]
        check(masked.startswith(fields["id_number"][:6]) and "*" in masked and fields["id_number"] not in json.dumps(pub),
              f"{kind}: public JSON masks the 身份证号")
        check(pub["certificate"]["holder_name"] == "王*明", f"{kind}: public JSON masks the name")
    # amend
    reason, changes = amend.get(kind, ("legal_representative_changed", {"legal_representative": "赵六"}))
    s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/amendments", {"reason": reason, "changes": changes},
                      token=tok[code], headers={"If-Match": '"1"'}, template="/api/v1/certificates/{id}/amendments")
    check(s == 201 and j["version"] == 2, f"amend {kind}: {s} {j}")
    public(first_token, "superseded", "已作废")
    # reissue
    s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/reissues", {"reason": "lost"}, token=tok[code],
                      template="/api/v1/certificates/{id}/reissues")
    check(s == 201 and j["version"] == 3, f"reissue {kind}: {s}")
    current = j["qr_url"].rsplit("/", 1)[1]
    # renew or review
    op = "reviews" if kind == "special_operation" else "renewals"
    until = f"{year + 3}-06-30" if op == "reviews" else f"{year + 5}-06-30"
    s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/{op}", {"valid_until": until},
                      token=tok[code], template="/api/v1/certificates/{id}/" + op)
    if kind == "staff_training":
        check(s == 409 and j["type"].endswith("/lifecycle"), f"renew staff_training refused: {s}")
    else:
        check(s == 201, f"{op} {kind}: {s} {j}")
        current = j["qr_url"].rsplit("/", 1)[1] if s == 201 else current
    # suspend / reinstate where the kind has them
    s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/suspensions", {"reason": "安全生产事故调查"},
                      token=tok[code], template="/api/v1/certificates/{id}/suspensions")
    if kind in ("testing_institution", "safety_license", "special_operation", "safety_manager_a", "safety_manager_b", "safety_manager_c"):
        check(s == 201, f"suspend {kind}: {s}")
        public(current, "suspended", "暂扣")
        s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/reinstatements", {}, token=tok[code],
                          template="/api/v1/certificates/{id}/reinstatements", raw=b"{}")
        check(s == 201, f"reinstate {kind}: {s} {j}")
    else:
        check(s == 409, f"suspend {kind} refused: {s}")
    public(current, "valid", "有效")
    # documents: PDF for every kind, OFD for the kinds whose notices ask for it
    if kind in ("construction_enterprise", "safety_license", "staff_training"):
        s, _, body, ctype = curl("GET", f"/api/v1/certificates/{cid}/document.pdf", token=tok[code],
                                 template="/api/v1/certificates/{id}/document.pdf")
        check(s == 200 and ctype.startswith("application/pdf") and body.startswith("%PDF"), f"{kind}: document.pdf {s}")
        s, _, body, ctype = curl("GET", f"/api/v1/certificates/{cid}/document.ofd", token=tok[code],
                                 template="/api/v1/certificates/{id}/document.ofd")
        if kind == "staff_training":
            check(s == 404 and "json" in ctype, f"{kind}: no OFD form, 404: {s}")
        else:
            check(s == 200 and ctype.startswith("application/ofd") and body.startswith("PK"), f"{kind}: document.ofd {s}")
            s, _, body, ctype = curl("GET", f"/v/{current}/document.ofd", template="/v/{token}/document.ofd")
            check(s == 200 and body.startswith("PK"), f"{kind}: public document.ofd {s}")
            other = "GD-ZJT" if code != "GD-ZJT" else "LN-ZJT"
            s, _, _, _ = curl("GET", f"/api/v1/certificates/{cid}/document.ofd", token=tok[other],
                              template="/api/v1/certificates/{id}/document.ofd")
            check(s == 403, f"{kind}: another authority's OFD is forbidden: {s}")
    # authority view, events, point in time
    s, j, _, _ = curl("GET", f"/api/v1/certificates/{cid}", token=tok[code], template="/api/v1/certificates/{id}")
    check(s == 200 and j["id"] == cid and len(j["versions"]) >= 3, f"get {kind}")
    s, j2, _, _ = curl("GET", f"/api/v1/certificates/{cid}?at={j['versions'][0]['position']}", token=tok[code],
                       template="/api/v1/certificates/{id}")
    check(s == 200 and j2["version"] == 1, f"point in time {kind}")
    s, j, _, _ = curl("GET", f"/api/v1/certificates/{cid}/events", token=tok[code], template="/api/v1/certificates/{id}/events")
    check(s == 200 and len(j["events"]) >= 3, f"events {kind}")
    # end of life
    t = terminal[n % 3]
    s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/{t}", {"reason": "依法处理", "decision": "测试〔2026〕1号"},
                      token=tok[code], template="/api/v1/certificates/{id}/" + t)
    check(s == 201, f"{t} {kind}: {s} {j}")
    public(current, *words[t])
    public(first_token, *words[t])
    s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/reissues", {"reason": "lost"}, token=tok[code],
                      template="/api/v1/certificates/{id}/reissues")
    check(s == 409, f"terminal {kind} refuses more: {s}")
    n += 1

# ---- personal data: the keyed lookup by 身份证号, erasure ----
pid = person["id_number"]
s, j, _, _ = curl("GET", f"/api/v1/certificates?holder={pid}", token=tok["JS-ZJT"], template="/api/v1/certificates")
check(s == 200 and len(j["certificates"]) == 5 and all(c["fields"]["id_number"] == pid for c in j["certificates"]),
      f"the authority finds its person by 身份证号, fields opened: {s}")
s, j2, _, _ = curl("GET", f"/api/v1/certificates?holder={pid}", token=tok["GD-ZJT"], template="/api/v1/certificates")
check(s == 200 and j2["certificates"] == [], "another authority finds no one")
holder = j["certificates"][0]["holder"] if s == 200 and j["certificates"] else ""
check(holder and all(c["holder"] == holder for c in j["certificates"]), "one holder per person and authority")
erase = {"legal_basis": "《个人信息保护法》第四十七条第一款第一项", "reason": "处理目的已实现"}
s, j, _, _ = curl("POST", f"/api/v1/holders/{holder}/erasure", erase, token=tok["GD-ZJT"],
                  template="/api/v1/holders/{ref}/erasure")
check(s == 404, f"another authority's approver cannot erase: {s}")
s, j, _, _ = curl("POST", f"/api/v1/holders/{holder}/erasure", dict(erase, extra=1), token=tok["JS-ZJT"],
                  template="/api/v1/holders/{ref}/erasure")
check(s == 400, f"an unknown member is refused: {s}")
s, j, _, _ = curl("POST", f"/api/v1/holders/{holder}/erasure", erase, token=tok["JS-ZJT"],
                  template="/api/v1/holders/{ref}/erasure")
check(s == 201 and len(j["certificates"]) == 5 and j["record"]["protected"], f"erasure: {s} {j}")
s, j, _, _ = curl("GET", f"/api/v1/certificates/{ids['special_operation']}", token=tok["JS-ZJT"],
                  template="/api/v1/certificates/{id}")
check(s == 200 and j.get("personal_data") == "erased" and j["fields"]["name"] == "已依法删除"
      and j["fields"]["id_number"] == "已依法删除", f"staff see the fields erased: {j.get('fields')}")
s, j, _, _ = curl("GET", f"/api/v1/certificates?holder={pid}", token=tok["JS-ZJT"], template="/api/v1/certificates")
check(s == 200 and j["certificates"] == [], "an erased person is no longer found by 身份证号")

# ---- error answers ----
code, fields = kinds["design"]
fields = dict(fields, number="A221099999")
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "design", "fields": fields}, token=tok[code],
                  headers={"Idempotency-Key": "retry-1"}, template="/api/v1/certificates")
check(s == 201, "issue for retry")
pos = j["position"]
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "design", "fields": fields}, token=tok[code],
                  headers={"Idempotency-Key": "retry-1"}, template="/api/v1/certificates")
check(s == 201 and j["position"] == pos and j["replayed"] is True, "idempotent retry returns the first answer")
s, j, _, _ = curl("GET", "/readyz", template="/readyz")
check(s == 200 and j == {"status": "ready"}, f"public readiness says ready and nothing more: {j}")
s, j, _, _ = curl("GET", "/readyz", token=auditor, template="/readyz")
check(j["last_position"] == pos, "the retry appended nothing")
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "design", "fields": dict(fields, holder_name="别的公司")},
                  token=tok[code], headers={"Idempotency-Key": "retry-1"}, template="/api/v1/certificates")
check(s == 422 and j["field"] == "Idempotency-Key", f"reused key with another body: {s}")
cid = None
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "design", "fields": dict(fields, number="A221099998")},
                  token=tok[code], template="/api/v1/certificates")
cid = j["certificate"]["id"]
s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/cancellation", {"reason": "x"}, token=tok[code],
                  headers={"If-Match": '"5"'}, template="/api/v1/certificates/{id}/cancellation")
check(s == 412, f"If-Match mismatch: {s}")
s, j, _, _ = curl("GET", f"/api/v1/certificates/{cid}", token=tok[code], template="/api/v1/certificates/{id}")
check(j["status"] == "active" and j["stream_version"] == 1, "412 wrote nothing")
s, j, _, _ = curl("GET", f"/api/v1/certificates/{cid}", template="/api/v1/certificates/{id}")
check(s == 401, f"no token: {s}")
s, j, _, _ = curl("GET", f"/api/v1/certificates/{cid}", token="clt_tdeadbeef_xxxx", template="/api/v1/certificates/{id}")
check(s == 401, f"bad token: {s}")
s, j, _, _ = curl("GET", f"/api/v1/certificates/{cid}", token=tok["GD-ZJT"], template="/api/v1/certificates/{id}")
check(s == 403, f"another authority reads: {s}")
s, j, _, _ = curl("POST", f"/api/v1/certificates/{cid}/revocation", {"reason": "x"}, token=tok["GD-ZJT"],
                  template="/api/v1/certificates/{id}/revocation")
check(s == 403, f"another authority acts: {s}")
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "testing_institution", "fields": kinds["testing_institution"][1]},
                  token=clerk, template="/api/v1/certificates")
check(s == 403, f"clerk cannot issue: {s}")
s, j, _, _ = curl("POST", "/api/v1/certificates", raw=b'{"kind": "design", "fields": {', token=tok[code], template="/api/v1/certificates")
check(s == 400, f"malformed JSON: {s}")
s, j, _, _ = curl("POST", "/api/v1/certificates", raw=b'{"kind": "design", "fields": {"number": "\xff\xfe"}}', token=tok[code], template="/api/v1/certificates")
check(s == 400, f"bad UTF-8: {s}")
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "design", "fields": fields, "colour": "red"}, token=tok[code], template="/api/v1/certificates")
check(s == 400 and j["field"] == "colour", f"unknown member: {s}")
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "design", "fields": dict(fields, valid_until=12)}, token=tok[code], template="/api/v1/certificates")
check(s == 422 and j["field"] == "valid_until", f"wrong type: {s} {j}")
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "design", "fields": dict(fields, uscc="91440101MA5CXY1234")}, token=tok[code], template="/api/v1/certificates")
check(s == 422 and j["field"] == "uscc", f"bad USCC: {s}")
# A photo whose image data is damaged (one byte of IDAT changed): refused
# at intake, naming the field, instead of a document without the photo later.
bad_png = bytearray(base64.b64decode(PNG))
bad_png[41] ^= 0x01
s, j, _, _ = curl("POST", "/api/v1/certificates",
                  {"kind": "special_operation", "fields": dict(kinds["special_operation"][1], number=f"苏A01{year}000099",
                                                               photo="data:image/png;base64," + base64.b64encode(bytes(bad_png)).decode())},
                  token=tok["JS-ZJT"], template="/api/v1/certificates")
check(s == 422 and j["field"] == "photo" and "CRC" in j["detail"], f"damaged photo: {s} {j}")
big = {"kind": "design", "fields": dict(fields, address="广" * 40000)}
s, j, _, _ = curl("POST", "/api/v1/certificates", big, token=tok[code], template="/api/v1/certificates")
check(s == 413, f"oversized body: {s}")
s, j, _, _ = curl("GET", "/v/nonexistenttoken000000", headers={"Accept": "application/json"}, template="/v/{token}")
check(s == 404, "unknown token 404")
statuses = [curl("GET", "/api/v1/lookup?kind=design&number=A221012345", template="/api/v1/lookup")[0] for _ in range(10)]
check(200 in statuses and 429 in statuses, f"lookup rate limit: {statuses}")
s, _, text, _ = curl("GET", "/api/v1/lookup?kind=design&number=A221012345", template="/api/v1/lookup")
# ---- test reports (防伪监管标识码) ----
ti_fields = dict(kinds["testing_institution"][1], number="粤检字第2026000777号")
s, j, _, _ = curl("POST", "/api/v1/certificates", {"kind": "testing_institution", "fields": ti_fields}, token=tok["GD-ZJT"],
                  template="/api/v1/certificates")
check(s == 201, f"testing institution for reports: {s}")
inst = ctl("token", "create", "--data", data, "--authority", "GD-ZJT", "--role", "institution", "--operator", "检测员",
           "--institution", j["certificate"]["id"])
report = {"fields": {"report_number": "JC-2026-0001", "project_name": "广州某住宅项目", "category": "钢结构",
                     "test_date": today, "result_summary": "符合要求", "file_sha256": "ab" * 32}}
s, j, _, _ = curl("POST", "/api/v1/reports", report, token=inst, template="/api/v1/reports")
check(s == 201 and len(j["code"]) == 15, f"register report: {s} {j}")
code = j.get("code", "")
s, j, _, _ = curl("POST", "/api/v1/reports", dict(report, fields=dict(report["fields"], report_number="JC-2", category="室内环境")),
                  token=inst, template="/api/v1/reports")
check(s == 409, f"out-of-scope report refused: {s}")
s, j, _, _ = curl("GET", f"/api/v1/reports/{code}/check?sha256={'ab' * 32}", template="/api/v1/reports/{code}/check")
check(s == 200 and j["file_check"]["matches"] and j["status"] == "valid", "public report check")
s, _, html, _ = curl("GET", f"/r/{code}", headers={"Accept": "text/html"}, template="/r/{code}")
check(s == 200 and "防伪监管标识码" in html, "report page")
s, j, _, _ = curl("GET", f"/api/v1/reports/{code}", token=tok["GD-ZJT"], template="/api/v1/reports/{code}")
check(s == 200, "authority reads its report")
s, j, _, _ = curl("POST", f"/api/v1/reports/{code}/withdrawal", {"reason": "数据错误"}, token=inst,
                  template="/api/v1/reports/{code}/withdrawal")
check(s == 201 and j["withdrawn"], "report withdrawn")
s, j, _, _ = curl("GET", "/api/v1/stats", token=tok["GD-ZJT"], template="/api/v1/stats")
check(s == 200 and len(j["by_status"]) > 0 and len(j["reports"]) == 1, "statistics")
s, _, html, _ = curl("GET", "/stats", template="/stats")
check(s == 200 and "<svg" in html, "statistics page")

# ---- audit surface ----
s, j, _, _ = curl("GET", "/api/v1/events?after=0&limit=5", token=auditor, template="/api/v1/events")
check(s == 200 and len(j["events"]) == 5 and j["events"][0]["position"] == 1, "audit feed")
s, j, _, _ = curl("GET", "/api/v1/events?after=0&limit=5", token=tok["GD-ZJT"], template="/api/v1/events")
check(s == 403, "audit feed needs the auditor role")
s, _, note, _ = curl("GET", "/api/v1/checkpoint", template="/api/v1/checkpoint")
check(s == 200 and note.startswith("certledger.e2e/log\n"), "checkpoint")
size = int(note.split("\n")[1])
s, j, _, _ = curl("GET", f"/api/v1/proofs/inclusion?position=3&tree_size={size}", template="/api/v1/proofs/inclusion")
check(s == 200 and len(j["proof"]) > 0, "inclusion proof")
s, j, _, _ = curl("GET", f"/api/v1/proofs/consistency?from=3&to={size}", template="/api/v1/proofs/consistency")
check(s == 200 and len(j["proof"]) > 0, "consistency proof")
s, j, _, _ = curl("GET", "/api/v1/keys", template="/api/v1/keys")
check(s == 200 and len(j["keys"]) == 5, "JWKS")
s, _, metrics, _ = curl("GET", "/metrics", template="/metrics")
open(os.path.join(ART, "metrics.txt"), "w").write(metrics)
check("certledger_http_requests_total" in metrics and "certledger_log_last_position" in metrics, "metrics")
s, j, _, _ = curl("GET", "/openapi.json", template="/openapi.json")
check(s == 200 and j["openapi"] == "3.1.0", "openapi.json")
s, j, _, _ = curl("DELETE", "/api/v1/certificates", template="/api/v1/certificates")
check(s == 405, "405")

# ---- graceful shutdown ----
rc = run.stop()
check(rc == 0, f"SIGTERM exits 0 (got {rc})")
audit = subprocess.run([os.path.join(BIN, "ledgerctl"), "audit", "--data", data], capture_output=True, text=True)
check(audit.returncode == 0, "audit after the run: " + audit.stdout + audit.stderr)
records.close()
run.finish()
