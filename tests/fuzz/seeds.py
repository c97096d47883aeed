#!/usr/bin/env python3
"""Writes the fuzz harnesses' seed corpora (tests/fuzz/seeds/<harness>/) from
real data: a demo data dir made with ledgerctl (its signed records,
checkpoints, trust file and the fields of every kind), ops/samples (import
files, photos, the issue example), the RFC 6962 reference tree of
transparency-dev/merkle's testdata (proofs), and hand-written HTTP requests.

usage: seeds.py LEDGERCTL

The committed seeds came from this script; rerun it after a format change.
It overwrites the files it writes and leaves the others: the JPEG seed
(photo/sample.jpg, a 48x64 RGB baseline JPEG made with libjpeg) and the
hand-made witness and statement seeds are kept as they are. Harness inputs that FuzzedDataProvider splits carry
their choices in trailing bytes (it reads integers from the end)."""
import base64, glob, hashlib, json, os, shutil, struct, subprocess, sys, tempfile

CTL = sys.argv[1]
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(HERE, "seeds")


def put(harness, name, data):
    d = os.path.join(OUT, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def ctl(*args):
    return subprocess.run([CTL, *args], check=True, capture_output=True, text=True).stdout


tmp = tempfile.mkdtemp()
data = os.path.join(tmp, "data")
ctl("init", "--data", data, "--origin", "certledger.fuzz/log")
demo = ctl("demo", "--data", data, "--seed", "3")
records = ctl("export", "--data", data).splitlines()
checkpoints = [json.loads(l) for l in ctl("export", "--data", data, "--checkpoints").splitlines()]
trust = ctl("trust", "--data", data)

# records: signed records of every event type
seen = set()
for i, r in enumerate(records):
    payload = json.loads(base64.urlsafe_b64decode(json.loads(r)["payload"] + "=="))
    if payload["type"] not in seen or i < 12:
        seen.add(payload["type"])
        put("records", f"{i + 1:04d}-{payload['type']}", r)

# checkpoints: the signed notes, and the log's verifier key
for c in checkpoints[:6]:
    put("checkpoint", f"size-{c['tree_size']}", c["checkpoint"])
put("checkpoint", "verifier-key", json.loads(trust)["logs"][0]["log_key"])

# trust
put("trust", "trust.json", trust)
put("trust", "two-logs.json", json.dumps({"logs": json.loads(trust)["logs"] * 2}))

# follower: events messages (position header, then the record) and checkpoint notes;
# trailing bytes: header present, is an event (FuzzedDataProvider reads bools from the end).
for i, r in enumerate(records[:8]):
    put("follower", f"event-{i + 1}", f"{i + 1}\\ ".encode() + r.encode() + b"\x01\x01")
for c in checkpoints[:3]:
    put("follower", f"checkpoint-{c['tree_size']}", c["checkpoint"].encode() + b"\x00")

# command: issue bodies of every kind from the demo's own fields, operation bodies;
# trailing bytes (read from the end): route, certificate, [operation], role, then no
# Idempotency-Key and no If-Match.
kinds = {}
for r in records:
    p = json.loads(base64.urlsafe_b64decode(json.loads(r)["payload"] + "=="))
    if p["type"] == "certificate.issued" and p["kind"] not in kinds:
        # A person's record holds only the public forms (sealed since format
        # 2): the fields as issued come from the vault.
        kinds[p["kind"]] = (json.loads(ctl("show", "--data", data, "--personal", p["stream"]))["fields"]
                            if "personal" in p["data"] else p["data"]["fields"])
for kind, fields in kinds.items():
    put("command", f"issue-{kind}", json.dumps({"kind": kind, "fields": fields}, ensure_ascii=False).encode() +
        b"\x00\x00\x00\x00\x00")
put("command", "issue-example", open(os.path.join(ROOT, "ops/samples/issue-example.json"), "rb").read() + b"\x00\x00\x00\x00\x00")
ops = ["amendments", "reissues", "renewals", "reviews", "suspensions", "reinstatements", "cancellation", "revocation",
       "withdrawal"]
bodies = {"amendments": {"reason": "legal_representative_changed", "changes": {"legal_representative": "赵六"}},
          "renewals": {"valid_until": "2031-12-31"}, "reviews": {"valid_until": "2029-06-30"},
          "suspensions": {"reason": "安全生产事故调查", "until": "2027-01-01"}, "reinstatements": {}}
for i, op in enumerate(ops):
    body = bodies.get(op, {"reason": "依法处理", "decision": "测试〔2026〕1号"})
    put("command", f"op-{op}", json.dumps(body, ensure_ascii=False).encode() + bytes([0, 0, 0, i, 0, 1]))
report = {"fields": {"report_number": "JC-2026-0001", "project_name": "广州某住宅项目", "category": "钢结构",
                     "test_date": "2026-11-30", "result_summary": "符合要求", "file_sha256": "ab" * 32}}
put("command", "report", json.dumps(report, ensure_ascii=False).encode() + bytes([0, 0, 3, 0, 2]))

# http: requests as a connection carries them
tok = "clt_t00000000_" + "A" * 43
bodies_http = json.dumps({"kind": "design", "fields": kinds.get("design", {})}, ensure_ascii=False).encode()
reqs = {
    "get-verify": b"GET /v/AAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n",
    "keepalive-two": b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /readyz HTTP/1.1\r\nHost: x\r\n\r\n",
    "head": b"HEAD /api/v1/checkpoint HTTP/1.1\r\nHost: x\r\n\r\n",
    "post-length": b"POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + tok.encode() +
                   b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(bodies_http)).encode() + b"\r\n\r\n" + bodies_http,
    "post-chunked": b"POST /api/v1/certificates HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"a\":\r\n2\r\n1}\r\n0\r\n\r\n",
    "smuggle-te": b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: xchunked\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n",
    "te-and-length": b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    "dup-auth": b"GET /api/v1/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a\r\nAuthorization: Bearer b\r\n\r\n",
    "lookup": "GET /api/v1/lookup?kind=design&number=A244012345 HTTP/1.1\r\nHost: x\r\n\r\n".encode(),
    "proof": b"GET /api/v1/proofs/inclusion?position=3&tree_size=7 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    "http10": b"GET /openapi.json HTTP/1.0\r\n\r\n",
}
for n, b in reqs.items():
    put("http", n, b)

# proofs: API queries (mode 0), and the RFC 6962 reference tree's proofs as client inputs
# (mode 1 inclusion, mode 2 consistency): hashes from the front, integers little-endian
# from the end, the mode last.
leaves = [bytes.fromhex(h) for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f"]]


def lh(d):
    return hashlib.sha256(b"\x00" + d).digest()


def nh(a, b):
    return hashlib.sha256(b"\x01" + a + b).digest()


def mth(d):
    if len(d) == 0:
        return hashlib.sha256(b"").digest()
    if len(d) == 1:
        return lh(d[0])
    k = 1
    while k * 2 < len(d):
        k *= 2
    return nh(mth(d[:k]), mth(d[k:]))


def path(m, d):
    if len(d) <= 1:
        return []
    k = 1
    while k * 2 < len(d):
        k *= 2
    return path(m, d[:k]) + [mth(d[k:])] if m < k else path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = 1
    while k * 2 < n:
        k *= 2
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


for q in ("position=1&tree_size=5", "position=5&tree_size=5", "position=0&tree_size=3", "position=2&tree_size=99999999999999999999"):
    put("proofs", "query-inclusion-" + q.replace("&", "-").replace("=", ""), q.encode() + b"\x01\x00")
for q in ("from=1&to=5", "from=3&to=3", "from=0&to=2", "from=5&to=1"):
    put("proofs", "query-consistency-" + q.replace("&", "-").replace("=", ""), q.encode() + b"\x00\x00")
for size in range(1, 9):
    for i in range(size):
        body = lh(leaves[i]) + mth(leaves[:size]) + b"".join(path(i, leaves[:size]))
        put("proofs", f"inclusion-{i}-{size}", body + struct.pack("<QQ", size, i) + b"\x01")
    for first in range(1, size + 1):
        body = mth(leaves[:first]) + mth(leaves[:size]) + b"".join(subproof(first, leaves[:size], True))
        put("proofs", f"consistency-{first}-{size}", body + struct.pack("<QQ", size, first) + b"\x02")

# photo: the sample photos (PNG), the JPEG kept beside them
for p in sorted(glob.glob(os.path.join(ROOT, "ops/samples/photos/*.png")))[:4]:
    put("photo", os.path.basename(p), open(p, "rb").read())

# import: the sample files, first byte 0 = CSV, 1 = JSONL
for p in sorted(glob.glob(os.path.join(ROOT, "ops/samples/*.csv"))):
    put("import", os.path.basename(p), b"\x00" + open(p, "rb").read())
for p in sorted(glob.glob(os.path.join(ROOT, "ops/samples/*.jsonl"))):
    put("import", os.path.basename(p), b"\x01" + open(p, "rb").read())

# statement: first byte 0 = a binary map proof, 1 = a bundle's lines before
# its checkpoint (the harness puts a checkpoint of its own log after them),
# 2 = be16(bucket) + a bucket's stored leaves. From the demo's bundles.
for line in demo.splitlines()[:12:3] + ["x\thttp://x/v/NoSuchToken0000000000"]:
    token = line.rsplit("/v/", 1)[1]
    bundle = ctl("prove", token, "--data", data)
    head = bundle[: bundle.index("\n\n")]
    put("statement", f"bundle-{token}", b"\x01" + head.encode())
    proof = next(l for l in head.split("\n") if l.startswith("map-proof "))[10:]
    put("statement", f"map-proof-{token}", b"\x00" + base64.b64decode(proof))
leaf = lambda b, tail: bytes([0x12, 0x34]) + bytes([b]) + bytes(29) + bytes([tail]) * 32
put("statement", "bucket-two-leaves", b"\x02\x12\x34" + leaf(0, 0) + leaf(1, 7))

# personal: the demo's sealed members and their JWEs (last byte 0 and 2), a
# plaintext beside commitments (1: commitments, the \\-terminator, the
# plaintext), keys messages (3; read from the end: mode, holder is the
# harness's, not a tombstone) and recipients files (4).
n = 0
for r in records:
    p = json.loads(base64.urlsafe_b64decode(json.loads(r)["payload"] + "=="))
    member = p["data"].get("personal")
    if member and n < 4:
        put("personal", f"member-{n}", json.dumps(member).encode() + b"\x00")
        put("personal", f"jwe-{n}", member["jwe"].encode() + b"\x02")
        n += 1
put("personal", "plaintext", json.dumps({"name": "x", "id_number": "y"}).encode() + b"\\ " +
    json.dumps({"fields": {"name": "欧阳小明", "id_number": "11010519491231002X"}, "salt": "A" * 22},
               ensure_ascii=False).encode() + b"\x01")
msg = {"authority": "GD-ZJT", "enc": "A256GCM", "holder": "A" * 22, "recipients": {"fuzz": "$WRAP", "other": "x"}}
put("personal", "keys-a256gcm", json.dumps(msg).encode() + b"\x05\x01\x03")
put("personal", "keys-sm4gcm", json.dumps(dict(msg, enc="SM4GCM", recipients={"fuzz": "$WRAP16"})).encode() +
    b"\x05\x01\x03")
x25519 = ctl("vault-key", "--data", data).strip()
sm2 = json.loads(ctl("vault-key", "--data", data, "--alg", "sm2"))
put("personal", "recipients", json.dumps([{"name": "js-archive", "x25519": x25519, "authorities": ["JS-ZJT"]},
                                          {"name": "national", "sm2": sm2}]).encode() + b"\x04")

shutil.rmtree(tmp)
print("seeds written to", OUT)
