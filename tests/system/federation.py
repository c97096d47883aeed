#!/usr/bin/env python3
"""A federation on one machine (ops/federation.sh): three provincial
primaries with their own embedded Kafka, a national replica following all
three and witnessing them, each primary needing a quorum of two witnesses
(the national replica and a peer witness).

usage: federation.py BIN_DIR SOURCE_DIR ARTIFACT_DIR

Checked: every province's certificates answer at the national replica with
proofs against witnessed checkpoints that ledgerctl verify-answer accepts
with the quorum; lookup searches all logs; /stats adds them up by log;
/metrics labels each log's families; a revocation in one province shows at
the national replica within the replication bound; a fork of one province
(a primary restored from its backup, growing another history) is refused
by both witnesses, which keep both signed checkpoints as evidence, and gets
no proof past the quorum; each log the national replica holds audits clean
with the quorum."""
import json, os, re, shutil, signal, subprocess, sys, time, urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from httptest import Run  # noqa: E402

BIN, SRC, ART = [os.path.abspath(a) for a in sys.argv[1:4]]
run = Run(BIN, ART)
check = run.check
fed = os.path.join(ART, "federation")
shutil.rmtree(fed, ignore_errors=True)
pids = []


def cleanup():
    for p in pids:
        try:
            os.kill(p, signal.SIGTERM)
        except OSError:
            pass
    for p in pids:
        for _ in range(100):
            try:
                os.kill(p, 0)
            except OSError:
                break
            time.sleep(0.1)


def ctl(*args, ok=True):
    out = subprocess.run([os.path.join(BIN, "ledgerctl"), *args], capture_output=True, text=True)
    if ok and out.returncode != 0:
        raise SystemExit(f"ledgerctl {args}: {out.stderr}{out.stdout}")
    return out


def http(method, url, body=None, token=None, accept="application/json"):
    """(status, parsed JSON or text, headers)."""
    req = urllib.request.Request(url, method=method, data=json.dumps(body, ensure_ascii=False).encode() if body else None)
    req.add_header("Accept", accept)
    if body is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            status, text, headers = r.status, r.read().decode(), r.headers
    except urllib.error.HTTPError as e:
        status, text, headers = e.code, e.read().decode(), e.headers
    try:
        return status, json.loads(text), headers
    except ValueError:
        return status, text, headers


def wait_for(what, fn, seconds=60):
    deadline = time.time() + seconds
    while time.time() < deadline:
        got = fn()
        if got:
            return got
        time.sleep(0.2)
    check(False, f"timed out waiting for {what}")
    return None


def proven(url):
    """The answer at url once it carries a proof (not pending), else None."""
    s, j, _ = http("GET", url)
    return j if s == 200 and isinstance(j, dict) and "bundle" in j.get("proof", {}) else None


def issue(base, token, n):
    body = json.load(open(os.path.join(SRC, "ops/samples/issue-example.json")))
    body["fields"]["number"] = body["fields"]["number"].replace("2026000123", str(2026500000 + n))
    s, j, h = http("POST", base + "/api/v1/certificates", body, token)
    check(s == 201, f"issue {n} at {base}: {s} {j}")
    return j["qr_url"].rsplit("/", 1)[1], h["Location"].rsplit("/", 1)[1]


try:
    started = subprocess.run(["bash", os.path.join(SRC, "ops/federation.sh"), BIN, fed], capture_output=True, text=True)
    env = dict(re.findall(r'^(\w+)="?([^"\n]*)"?$', open(os.path.join(fed, "federation.env")).read(), re.M)) \
        if started.returncode == 0 else {}
    pids += [int(p) for p in env.get("PIDS", "").split()]
    if started.returncode != 0:
        raise SystemExit("ops/federation.sh failed: " + started.stderr[-3000:])
    nat, trust = env["NATIONAL"], env["FED_TRUST"]
    prov = {p: env[p.upper()] for p in ("gd", "ln", "fj")}

    # Each province's demo certificates answer at the national replica,
    # with a proof verify-answer accepts under the quorum.
    for p in prov:
        line = next(l for l in open(os.path.join(fed, p + ".log")) if "  已吊销  " in l)
        token = line.rsplit("/", 1)[1].strip()
        a = wait_for(f"{p}'s revoked certificate proven at the national replica", lambda: proven(f"{nat}/v/{token}"), 90)
        if not a:
            continue
        check(a["status"] == "revoked", f"{p}: national says {a['status']}")
        path = os.path.join(ART, f"{p}-answer.json")
        json.dump(a, open(path, "w"), ensure_ascii=False)
        out = ctl("verify-answer", path, "--trust", trust, ok=False)
        check(out.returncode == 0 and "verified: revoked" in out.stdout and "cosigned by 2 witnesses" in out.stdout,
              f"{p}: verify-answer: {out.stdout}{out.stderr}")
        print(f"{p}: {out.stdout.strip()}")

    # /logs/ names them; each log's own API is under /logs/<name>/.
    s, j, _ = http("GET", nat + "/logs/")
    check(s == 200 and [l["name"] for l in j["logs"]] == ["gd", "ln", "fj"], f"/logs/: {s} {j}")
    for p in prov:
        s, text, _ = http("GET", f"{nat}/logs/{p}/api/v1/checkpoint", accept="text/plain")
        check(s == 200 and text.startswith(p + ".certledger.example/log\n") and "\n— national.witness.example " in text
              and "\n— peer.witness.example " in text, f"/logs/{p}/api/v1/checkpoint: {s} {text[:300]}")
    s, j, _ = http("GET", nat + "/api/v1/checkpoint")
    check(s == 404 and "/logs/<name>" in j.get("detail", ""), f"an unprefixed log endpoint: {s} {j}")

    # Lookup searches every log.
    line = next(l for l in open(os.path.join(fed, "ln.log")) if "  有效  " in l)
    kind, number = line.split()[5], line.split()[6]
    s, j, _ = http("GET", f"{nat}/api/v1/lookup?kind={kind}&number={urllib.parse.quote(number)}")
    check(s == 200 and any(r.get("log") == "ln" for r in j.get("results", [])), f"lookup {kind} {number}: {s} {j}")

    # /stats adds the logs up, and names each.
    s, page, _ = http("GET", nat + "/stats", accept="text/html")
    check(s == 200 and "各省级日志" in page and all(f">{p}</text>" in page for p in prov), "the national /stats")
    s, metrics, _ = http("GET", nat + "/metrics", accept="text/plain")
    check(all(f'certledger_replica_applied_position{{log="{p}"}}' in metrics for p in prov), "per-log metrics")
    check(metrics.count("# TYPE certledger_replica_applied_position ") == 1, "one TYPE line per family")
    open(os.path.join(ART, "metrics.txt"), "w").write(metrics)
    promtool = shutil.which("promtool") or os.path.join(SRC, ".cache/tools/promtool")
    if os.path.exists(promtool):
        r = subprocess.run([promtool, "check", "metrics"], input=metrics, capture_output=True, text=True)
        check(r.returncode == 0, f"promtool: {r.stdout}{r.stderr}")

    # A revocation in Liaoning reaches the national view within the bound.
    ln_token = ctl("token", "create", "--data", os.path.join(fed, "ln"), "--authority", "GD-ZJT", "--role", "approver",
                   "--operator", "ln.approver").stdout.strip()
    qr, cid = issue(prov["ln"], ln_token, 1)
    wait_for("the new Liaoning certificate proven at the national replica", lambda: proven(f"{nat}/v/{qr}"), 60)
    s, j, _ = http("POST", f"{prov['ln']}/api/v1/certificates/{cid}/revocation", {"reason": "以欺骗手段取得资质，依法吊销"},
                   ln_token)
    check(s in (200, 201) and j.get("certificate", {}).get("status") == "revoked", f"revoke: {s}")
    t0 = time.time()
    a = wait_for("the revocation at the national replica",
                 lambda: (lambda x: x if x and x["status"] == "revoked" else None)(proven(f"{nat}/v/{qr}")), 30)
    seen = time.time() - t0
    check(a is not None, "the revocation reached the national replica with a proof")
    print(f"revocation in ln proven at the national replica after {seen:.1f} s")

    # A fork of Fujian: its backup restored and grown another way, while the
    # original grows too. Both witnesses refuse it and keep the evidence.
    fj = os.path.join(fed, "fj")
    admin = ctl("token", "create", "--data", fj, "--log-wide", "--role", "admin", "--operator", "ops").stdout.strip()
    fj_token = ctl("token", "create", "--data", fj, "--authority", "GD-ZJT", "--role", "approver",
                   "--operator", "fj.approver").stdout.strip()
    s, j, _ = http("POST", prov["fj"] + "/api/v1/admin/backup", {"to": "fork"}, admin)
    check(s == 200, f"backup: {s} {j}")
    ctl("restore", "--from", os.path.join(fed, "backups", "fork"), "--data", os.path.join(fed, "fjfork"))
    qr_fj, _ = issue(prov["fj"], fj_token, 2)
    wait_for("the original Fujian's new certificate proven at the national replica", lambda: proven(f"{nat}/v/{qr_fj}"),
             60)
    fork = subprocess.Popen([os.path.join(BIN, "ledgerd"), "--data", os.path.join(fed, "fjfork"), "--listen",
                             "127.0.0.1:0", "--kafka", "embedded", "--witnesses", os.path.join(fed, "witnesses.json")],
                            stdout=subprocess.DEVNULL, stderr=open(os.path.join(fed, "fjfork.log"), "w"))
    pids.append(fork.pid)
    addr = wait_for("the fork to listen", lambda: open(os.path.join(fed, "fjfork/ledgerd.addr")).read().strip()
                    if os.path.exists(os.path.join(fed, "fjfork/ledgerd.addr")) else None, 30)
    fork_base = "http://" + addr
    forked = [issue(fork_base, fj_token, 10 + i)[0] for i in range(3)]

    def caught(base):
        s, m, _ = http("GET", base + "/metrics", accept="text/plain")
        n = sum(float(x) for x in re.findall(r'^certledger_witness_(?:split_views|inconsistent)_total(?:\{[^}]*\})? (\S+)$',
                                              m, re.M))
        return n >= 1

    check(wait_for("the national witness to catch the fork", lambda: caught(nat), 30), "national witness caught the fork")
    check(wait_for("the peer witness to catch the fork", lambda: caught(env["PEER"]), 30), "peer witness caught the fork")
    ev = ctl("witness-evidence", "--data", os.path.join(fed, "national"), "--json").stdout
    items = json.loads(ev)["evidence"]
    check(any(i["origin"] == "fj.certledger.example/log" and i["evidence"].count("\n— fj.certledger.example/log ") >= 2
              for i in items), f"the national witness kept both signed checkpoints: {ev[:500]}")
    print("fork caught; evidence:", items[0]["evidence"].split("\n")[0] if items else None)
    def fork_proof():
        s, j, _ = http("GET", f"{fork_base}/v/{forked[-1]}")
        return j.get("proof") if s == 200 and (j.get("proof", {}).get("reason") or "bundle" in j.get("proof", {})) else None
    p = wait_for("the fork's answer past its newest checkpoint", fork_proof, 20)
    check(p is not None and p.get("reason") == "witness_quorum", f"the fork gets no proof past the quorum: {p}")
    s, j, _ = http("GET", f"{nat}/v/{forked[-1]}")
    check(s == 404, f"the national view does not hold the fork's certificate: {s}")

    # Each log the national replica holds audits clean under the quorum.
    cleanup()
    pids.clear()
    for p in prov:
        out = ctl("audit", "--data", os.path.join(fed, "national", "logs", p), "--trust", trust, ok=False)
        check(out.returncode == 0 and "witnessed through size" in out.stdout, f"audit of {p}: {out.stdout}{out.stderr}")
finally:
    cleanup()
run.finish()
