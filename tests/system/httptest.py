"""What the end-to-end scripts share: pass/fail counting, ledgerctl, a
ledgerd started on a free port, curl against it, and identifiers with valid
check characters (统一社会信用代码 GB 32100, 身份证号 GB 11643)."""
import json, os, subprocess, sys, time


class Run:
    def __init__(self, bin_dir, art_dir):
        self.bin, self.art = bin_dir, art_dir
        os.makedirs(art_dir, exist_ok=True)
        self.passed = self.failed = 0
        self.base = None
        self.proc = None
        self.on_response = None  # called with (method, path, template, status, content type, parsed body)

    def check(self, cond, what):
        if cond:
            self.passed += 1
        else:
            self.failed += 1
            print("FAIL:", what, file=sys.stderr)

    def ctl(self, *args):
        out = subprocess.run([os.path.join(self.bin, "ledgerctl"), *args], capture_output=True, text=True)
        if out.returncode != 0:
            raise SystemExit(f"ledgerctl {args}: {out.stderr}")
        return out.stdout.strip()

    def start(self, data, *flags, shell_prefix=None):
        """Starts ledgerd on data with flags (access log and log in the artifact dir); returns its address."""
        cmd = [os.path.join(self.bin, "ledgerd"), "--data", data, "--listen", "127.0.0.1:0", *flags]
        if shell_prefix:  # e.g. "umask 000": run through sh
            cmd = ["sh", "-c", shell_prefix + '; exec "$0" "$@"', *cmd]
        self.proc = subprocess.Popen(cmd, stdout=open(os.path.join(self.art, "access.log"), "w"),
                                     stderr=open(os.path.join(self.art, "ledgerd.log"), "w"))
        addr_file = os.path.join(data, "ledgerd.addr")
        for _ in range(200):
            if os.path.exists(addr_file) and open(addr_file).read().strip():
                break
            time.sleep(0.05)
        addr = open(addr_file).read().strip()
        self.base = "http://" + addr
        return addr

    def curl(self, method, path, body=None, token=None, headers=None, raw=None, out=None, timeout=30, template=None):
        """(status, parsed JSON or None, body text, content type)."""
        cmd = ["curl", "-s", "-S", "-X", method, "-o", out or "-", "-w", "\n%{http_code}\n%{content_type}",
               "--max-time", str(timeout), self.base + path]
        for k, v in (headers or {}).items():
            cmd += ["-H", f"{k}: {v}"]
        if token:
            cmd += ["-H", f"Authorization: Bearer {token}"]
        data = raw if raw is not None else (json.dumps(body, ensure_ascii=False).encode() if body is not None else None)
        if data is not None:
            cmd += ["-H", "Content-Type: application/json", "--data-binary", "@-"]
        res = subprocess.run(cmd, input=data, capture_output=True)
        text, status, ctype = res.stdout.decode("utf-8", "replace").rsplit("\n", 2)
        status = int(status or 0)
        parsed = None
        if "json" in ctype:
            try:
                parsed = json.loads(text)
            except ValueError:
                self.check(False, f"{method} {path}: JSON answer does not parse")
        if self.on_response:
            self.on_response(method, path, template, status, ctype, parsed)
        return status, parsed, text, ctype

    def stop(self):
        """SIGTERM, then the exit code (-1 if it had to be killed)."""
        self.proc.terminate()
        try:
            return self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return -1

    def finish(self):
        print(f"{self.passed} passed, {self.failed} failed")
        sys.exit(1 if self.failed else 0)


def uscc(body17):
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    w = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    s = sum(chars.index(c) * w[i] for i, c in enumerate(body17))
    return body17 + chars[(31 - s % 31) % 31]


def idnum(body17):
    w = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    return body17 + "10X98765432"[sum(int(c) * w[i] for i, c in enumerate(body17)) % 11]
