#!/usr/bin/env python3
"""Edge benchmark: `portalgen serve` alone and behind the shipped nginx front (python3 standard
library only; wrk and nginx from Debian).

1. Request rate of `GET /api/session` with a valid session cookie, measured with wrk (2 threads,
   --duration seconds, several connection counts), straight to the edge and through nginx with
   deploy/nginx/ (the same files tests/front.rs runs). Per run: requests/s, latency percentiles,
   non-2xx answers, socket errors, the edge's peak threads and memory, CPU seconds used by the
   edge, nginx and wrk, and by the rest of the machine ("other CPU": the machine is shared).
2. With --data instead: the customer-data calls the portal screens make, straight to the edge —
   `GET /api/subscriptions/{id}/dashboard` (the signed-in demo customer's smart-meter
   subscription) and an invoice page `GET /api/invoices?limit=10` — the same per-run figures plus
   the edge's peak resident memory per run (VmHWM, reset before each run).
3. The probes of tests/front.rs against both: 300 idle half-open connections (the edge's and
   nginx's threads and memory; when the connections get closed) and one 100 MiB header line
   (answer, the edge's peak memory), plus a 20 KiB body.

The edge runs with --demo --behind-proxy on 127.0.0.1:<free port>, from a copy of the
repository's tenants/ themes/ help/ in a temporary folder, its log to a file there. The session
cookie comes from a real sign-in (code request, the code from the outbox mail, verify).
nginx runs unprivileged from the temporary folder: deploy/nginx/portalgen.conf with its
`listen 80` lines and its edge address changed, deploy/nginx/portalgen/*.conf as they are.

Usage (from anywhere):
  python3 benches/edge_bench.py                     # cargo build --release, everything (~6 min)
  python3 benches/edge_bench.py --duration 5 --connections 2,32   # smoke run
  python3 benches/edge_bench.py --binary target/release/portalgen --skip-probes
  python3 benches/edge_bench.py --data              # dashboard and invoice page, 16 and 64 connections
A JSON summary goes to benches/results/edge-latest.json (git-ignored). wrk and nginx are
installed with apt-get when missing.
"""

from __future__ import annotations

import argparse
import email
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CLK = os.sysconf("SC_CLK_TCK")


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# --- machine and processes


def cpu_busy_seconds() -> float:
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return (sum(fields[:8]) - idle) / CLK


def cpu_irq_seconds() -> float:
    """Time in interrupts and softirqs (the loopback TCP stack runs there), machine-wide: no
    process is charged for it."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return (fields[5] + fields[6]) / CLK


def proc_cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / CLK
    except (OSError, IndexError):
        return 0.0


def proc_stats(pid: int) -> tuple[int, int]:
    """(threads, RSS KiB) of a process."""
    try:
        threads = len(os.listdir(f"/proc/{pid}/task"))
        with open(f"/proc/{pid}/status") as f:
            rss = next(int(l.split()[1]) for l in f if l.startswith("VmRSS:"))
        return threads, rss
    except (OSError, StopIteration):
        return 0, 0


def proc_hwm_kib(pid: int) -> int:
    """Peak resident memory (VmHWM) of a process since start or the last reset_hwm."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return 0


def reset_hwm(pid: int) -> bool:
    """Resets VmHWM to the current RSS (writing 5 to clear_refs; needs the process's owner)."""
    try:
        with open(f"/proc/{pid}/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def children(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    rest = f.read().rsplit(")", 1)[1].split()
                if int(rest[1]) == pid:
                    out.append(int(entry))
            except (OSError, IndexError):
                pass
    return out


def machine() -> dict:
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    def version(cmd):
        try:
            p = subprocess.run(cmd, capture_output=True, text=True)
            return (p.stdout + p.stderr).strip().splitlines()[0]
        except OSError:
            return "?"
    debian = Path("/etc/debian_version").read_text().strip() if Path("/etc/debian_version").exists() else "?"
    return {
        "date": time.strftime("%Y-%m-%d"),
        "cores": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kib / 1048576, 1),
        "kernel": platform.release(),
        "os": f"Debian {debian}",
        "nginx": version(["nginx", "-v"]),
        "wrk": version(["wrk", "--version"]).split(" Copyright")[0],
        "rustc": version(["rustc", "--version"]),
    }


class Sampler:
    """Peak threads and RSS of processes, every 10 ms."""

    def __init__(self, pids_fn):
        self.pids_fn = pids_fn
        self.peak_threads = 0
        self.peak_rss = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)

    def run(self):
        while not self.stop_flag.is_set():
            threads = rss = 0
            for pid in self.pids_fn():
                t, r = proc_stats(pid)
                threads += t
                rss += r
            self.peak_threads = max(self.peak_threads, threads)
            self.peak_rss = max(self.peak_rss, rss)
            time.sleep(0.01)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        self.thread.join()


def need_tools(nginx: bool = True) -> None:
    tools = [("nginx", "nginx"), ("wrk", "wrk")] if nginx else [("wrk", "wrk")]
    missing = [pkg for tool, pkg in tools if not find_tool(tool)]
    if missing:
        log(f"== apt-get install -y {' '.join(missing)}")
        sudo = [] if os.geteuid() == 0 else ["sudo"]
        subprocess.run(sudo + ["apt-get", "update", "-qq"], check=True)
        subprocess.run(sudo + ["apt-get", "install", "-y", "-qq", *missing], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def find_tool(name: str) -> str | None:
    return shutil.which(name) or next(
        (p for p in (f"/usr/sbin/{name}", f"/usr/local/sbin/{name}") if os.path.isfile(p)), None)


# --- the edge and nginx


class Edge:
    def __init__(self, binary: Path, work: Path):
        self.work = work
        ws = work / "ws"
        for name in ["tenants", "themes", "help"]:
            shutil.copytree(REPO / name, ws / name)
        state = work / "state"
        state.mkdir()
        self.outbox = state / "outbox"
        self.err = open(work / "edge.log", "wb")
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTALGEN_")}
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--listen", "127.0.0.1:0", "--db", str(state / "db.sqlite"),
             "--secret-file", str(state / "secret.key"), "--outbox", str(self.outbox), "--demo",
             "--behind-proxy"],
            cwd=ws, stdout=subprocess.PIPE, stderr=self.err, text=True, env=env)
        self.pid = self.proc.pid
        self.banner = []
        self.port = None
        deadline = time.time() + 120
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise SystemExit(f"portalgen serve exited: {self.banner}")
            self.banner.append(line.rstrip("\n"))
            m = re.search(r"listening on port (\d+)", line)
            if m:
                self.port = int(m.group(1))
            if line.rstrip().endswith("Ctrl-C stops"):
                break
        threading.Thread(target=self.proc.stdout.read, daemon=True).start()

    def demo_email(self, slug: str) -> str:
        current = None
        for line in self.banner:
            if line.startswith("  ") and "http://" in line and "sign in as" not in line:
                current = line.split()[0]
            m = re.search(r"sign in as (\S+)", line)
            if m and current == slug:
                return m.group(1)
        raise SystemExit(f"no demo address for {slug} in the banner")

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.err.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def instantiate_site(site: str, port: int, edge: str) -> str:
    out, listens, upstreams = [], 0, 0
    for line in site.splitlines():
        stripped = line.lstrip()
        indent = line[: len(line) - len(stripped)]
        if stripped.startswith("listen 80"):
            listens += 1
            line = f"{indent}listen 127.0.0.1:{port}{stripped[len('listen 80'):]}"
        elif stripped.startswith("server 127.0.0.1:8080"):
            upstreams += 1
            line = f"{indent}server {edge}{stripped[len('server 127.0.0.1:8080'):]}"
        out.append(line)
    assert listens >= 1 and upstreams == 1, "portalgen.conf changed shape"
    return "\n".join(out) + "\n"


class Nginx:
    def __init__(self, work: Path, edge_port: int):
        root = work / "nginx"
        (root / "temp").mkdir(parents=True)
        shutil.copytree(REPO / "deploy/nginx/portalgen", root / "portalgen")
        self.port = free_port()
        site = (REPO / "deploy/nginx/portalgen.conf").read_text()
        (root / "portalgen.conf").write_text(instantiate_site(site, self.port, f"127.0.0.1:{edge_port}"))
        user = "user root;\n" if os.geteuid() == 0 else ""
        p = str(root)
        (root / "nginx.conf").write_text(
            f"{user}worker_processes auto;\npid {p}/nginx.pid;\nerror_log {p}/error.log warn;\n"
            "events {\n    include portalgen/events.conf;\n}\n"
            f"http {{\n    access_log off;\n    client_body_temp_path {p}/temp/body;\n"
            f"    proxy_temp_path {p}/temp/proxy;\n    fastcgi_temp_path {p}/temp/fastcgi;\n"
            f"    uwsgi_temp_path {p}/temp/uwsgi;\n    scgi_temp_path {p}/temp/scgi;\n"
            "    include portalgen.conf;\n}\n")
        self.root = root
        self.proc = subprocess.Popen(
            [find_tool("nginx"), "-p", f"{p}/", "-c", f"{p}/nginx.conf", "-e", f"{p}/error.log",
             "-g", "daemon off;"], stdin=subprocess.DEVNULL)
        self.pid = self.proc.pid
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    raise SystemExit(f"nginx exited:\n{(root / 'error.log').read_text()}")
                time.sleep(0.05)
        raise SystemExit("nginx did not start")

    def pids(self) -> list[int]:
        return [self.pid, *children(self.pid)]

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


# --- HTTP


def http(port: int, method: str, host: str, path: str, headers: dict | None = None,
         body: bytes | None = None, timeout: float = 30) -> tuple[int, dict, bytes]:
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        head = f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n"
        for k, v in (headers or {}).items():
            head += f"{k}: {v}\r\n"
        if body is not None:
            head += f"Content-Length: {len(body)}\r\n"
        head += "Connection: close\r\n\r\n"
        try:
            s.sendall(head.encode() + (body or b""))
        except OSError:
            pass
        raw = b""
        while True:
            try:
                chunk = s.recv(65536)
            except OSError:
                break
            if not chunk:
                break
            raw += chunk
    head, _, rest = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1]) if lines and len(lines[0].split()) > 1 else 0
    hdrs = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        hdrs.setdefault(k.strip().lower(), v.strip())
    return status, hdrs, rest


def sign_in(edge: Edge) -> str:
    address = edge.demo_email("lumio")
    host = f"lumio.localhost:{edge.port}"
    api = {"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}
    before = set(os.listdir(edge.outbox)) if edge.outbox.exists() else set()
    status, _, body = http(edge.port, "POST", host, "/api/auth/code", api,
                           json.dumps({"email": address}).encode())
    assert status == 202, (status, body)
    deadline = time.time() + 20
    while time.time() < deadline:
        new = [f for f in (os.listdir(edge.outbox) if edge.outbox.exists() else [])
               if f not in before and f.endswith(".eml")]
        if new:
            break
        time.sleep(0.05)
    else:
        raise SystemExit("no sign-in mail in the outbox")
    msg = email.message_from_bytes((edge.outbox / new[0]).read_bytes())
    text = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
    code = re.search(r"(?<!\d)\d{6}(?!\d)", text.get_payload(decode=True).decode()).group(0)
    status, hdrs, body = http(edge.port, "POST", host, "/api/auth/verify", api,
                              json.dumps({"email": address, "code": code}).encode())
    assert status == 200, (status, body)
    return hdrs["set-cookie"].split(";")[0]


def smart_subscription(edge: Edge, cookie: str) -> str:
    """Id of the signed-in customer's first active smart-meter subscription (else the first)."""
    status, _, body = http(edge.port, "GET", "lumio.localhost", "/api/subscriptions?limit=100",
                           {"Cookie": cookie})
    assert status == 200, (status, body)
    subs = []
    for item in json.loads(body)["items"]:
        status, _, detail = http(edge.port, "GET", "lumio.localhost",
                                 f"/api/subscriptions/{item['id']}", {"Cookie": cookie})
        assert status == 200, (status, detail)
        meter = json.loads(detail).get("meter") or {}
        subs.append((meter.get("type") != "smart" if isinstance(meter, dict) else True,
                     item["status"] != "active", item["id"]))
    assert subs, "the demo customer has no subscription"
    subs.sort()
    if subs[0][0]:
        log(f"   no smart-meter subscription, using {subs[0][2]}")
    return subs[0][2]


# --- wrk


def wait_quiet(max_other_cores: float, timeout: float = 300) -> float:
    """Waits until the machine's busy CPU over 2 s is at most max_other_cores."""
    start = time.time()
    while True:
        b0 = cpu_busy_seconds()
        time.sleep(2)
        cores = (cpu_busy_seconds() - b0) / 2
        if cores <= max_other_cores or time.time() - start > timeout:
            return cores


def parse_wrk(out: str) -> dict:
    def num(pattern, conv=float, default=None):
        m = re.search(pattern, out)
        return conv(m.group(1)) if m else default

    def dur(text):
        m = re.match(r"([\d.]+)(us|ms|s|m)", text)
        if not m:
            return None
        v = float(m.group(1))
        return {"us": v / 1000, "ms": v, "s": v * 1000, "m": v * 60000}[m.group(2)]

    lat = {}
    for pct in ("50", "75", "90", "99"):
        m = re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M)
        lat[pct] = dur(m.group(1)) if m else None
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "requests_per_s": num(r"Requests/sec:\s+([\d.]+)"),
        "requests": num(r"(\d+) requests in", int),
        "latency_ms": lat,
        "non_2xx": num(r"Non-2xx or 3xx responses: (\d+)", int, 0),
        "socket_errors": dict(zip(["connect", "read", "write", "timeout"],
                                  map(int, errors.groups()))) if errors else None,
    }


def run_wrk(target: str, port: int, cookie: str, conns: int, threads: int, duration: int,
            edge: Edge, nginx: Nginx | None, path: str = "/api/session") -> dict:
    cmd = [find_tool("wrk"), f"-t{threads}", f"-c{conns}", f"-d{duration}s", "--latency",
           "-H", "Host: lumio.localhost", "-H", f"Cookie: {cookie}",
           f"http://127.0.0.1:{port}{path}"]
    nginx_pids = nginx.pids if nginx else (lambda: [])
    hwm_reset = reset_hwm(edge.pid)
    edge_cpu0 = proc_cpu_seconds(edge.pid)
    ours0 = edge_cpu0 + sum(proc_cpu_seconds(p) for p in nginx_pids())
    busy0 = cpu_busy_seconds()
    irq0 = cpu_irq_seconds()
    t0 = time.time()
    with Sampler(lambda: [edge.pid]) as sampler:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
    wall = time.time() - t0
    edge_cpu = proc_cpu_seconds(edge.pid)
    nginx_cpu = sum(proc_cpu_seconds(p) for p in nginx_pids())
    hwm = proc_hwm_kib(edge.pid)
    busy = cpu_busy_seconds() - busy0
    irq = cpu_irq_seconds() - irq0
    wrk_cpu = usage.ru_utime + usage.ru_stime
    result = parse_wrk(out)
    ours = edge_cpu + nginx_cpu - ours0
    if result["requests_per_s"] and result["requests"]:
        ok_share = (result["requests"] - result["non_2xx"]) / result["requests"]
        result["ok_per_s"] = result["requests_per_s"] * ok_share
    else:
        result["ok_per_s"] = 0.0
    result.update({
        "target": target, "path": path, "connections": conns, "threads": threads, "duration_s": duration,
        "edge_peak_threads": sampler.peak_threads,
        "edge_peak_rss_mib": round(sampler.peak_rss / 1024, 1),
        "edge_vmhwm_mib": round(hwm / 1024, 1), "vmhwm_reset": hwm_reset,
        "server_cpu_s": round(ours, 1), "edge_cpu_s": round(edge_cpu - edge_cpu0, 1),
        "wrk_cpu_s": round(wrk_cpu, 1), "softirq_cpu_s": round(irq, 1),
        "other_cpu_s": round(max(0.0, busy - ours - wrk_cpu - irq), 1), "wall_s": round(wall, 1),
        "raw": out,
    })
    if result["requests_per_s"] is None:
        log(out)
    return result


# --- probes


def half_open_probe(port: int, edge: Edge, nginx: Nginx | None, n: int, hold: float) -> dict:
    host = f"lumio.localhost:{port}"
    t_before, rss_before = proc_stats(edge.pid)
    nginx_rss_before = sum(proc_stats(p)[1] for p in nginx.pids()) if nginx else 0
    socks = []
    t0 = time.time()
    with Sampler(lambda: [edge.pid]) as es, Sampler(lambda: nginx.pids() if nginx else []) as ns:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", port))
            s.sendall(f"GET /probe-idle HTTP/1.1\r\nHost: {host}\r\nX-Slow: ".encode())
            socks.append(s)
        opened = time.time() - t0
        time.sleep(2)
        t1 = time.time()
        status, _, _ = http(port, "GET", host, "/api/session", timeout=30)
        normal_ms = (time.time() - t1) * 1000
        closed_at = []
        deadline = t0 + hold
        for s in socks:
            s.settimeout(max(0.01, deadline - time.time()))
            try:
                while s.recv(4096):
                    pass
                closed_at.append(time.time() - t0)
            except socket.timeout:
                pass
            except OSError:
                closed_at.append(time.time() - t0)
        for s in socks:
            s.close()
        time.sleep(1)
    t_after, rss_after = proc_stats(edge.pid)
    return {
        "connections": n, "opened_s": round(opened, 2),
        "edge_threads_before": t_before, "edge_threads_peak": es.peak_threads,
        "edge_threads_after_close": t_after,
        "edge_rss_before_mib": round(rss_before / 1024, 1),
        "edge_rss_peak_mib": round(es.peak_rss / 1024, 1),
        "edge_rss_after_mib": round(rss_after / 1024, 1),
        "nginx_rss_before_mib": round(nginx_rss_before / 1024, 1),
        "nginx_rss_peak_mib": round(ns.peak_rss / 1024, 1),
        "normal_request_status": status, "normal_request_ms": round(normal_ms, 1),
        "closed_by_server": len(closed_at),
        "closed_after_s": [round(min(closed_at), 2), round(max(closed_at), 2)] if closed_at else None,
        "held_s": hold,
    }


def huge_header_probe(port: int, edge: Edge, size: int) -> dict:
    host = f"lumio.localhost:{port}"
    _, rss_before = proc_stats(edge.pid)
    s = socket.create_connection(("127.0.0.1", port))
    answer = bytearray()

    def reader():
        try:
            while True:
                b = s.recv(65536)
                if not b:
                    break
                answer.extend(b)
        except OSError:
            pass

    t0 = time.time()
    with Sampler(lambda: [edge.pid]) as es:
        r = threading.Thread(target=reader)
        r.start()
        sent, error = 0, None
        chunk = b"a" * (1 << 20)
        try:
            s.sendall(f"GET /probe-huge HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nX-Huge: ".encode())
            while sent < size:
                s.sendall(chunk)
                sent += len(chunk)
            s.sendall(b"\r\n\r\n")
        except OSError as e:
            error = str(e)
        r.join(120)
        elapsed = time.time() - t0
        time.sleep(0.5)
    s.close()
    _, rss_after = proc_stats(edge.pid)
    first = bytes(answer[:200]).decode("latin-1")
    m = re.match(r"HTTP/1\.\d (\d+)", first)
    return {
        "size_mib": size >> 20, "status": int(m.group(1)) if m else None,
        "elapsed_s": round(elapsed, 2), "sent_mib": round(sent / 1048576, 1), "write_error": error,
        "edge_rss_before_mib": round(rss_before / 1024, 1),
        "edge_rss_peak_mib": round(es.peak_rss / 1024, 1),
        "edge_rss_after_mib": round(rss_after / 1024, 1),
    }


def body_probe(port: int) -> int:
    body = json.dumps({"email": "x" * 20480 + "@example.com"}).encode()
    status, _, _ = http(port, "POST", f"lumio.localhost:{port}", "/api/auth/code",
                        {"Sec-Fetch-Site": "same-origin", "Content-Type": "application/json"}, body)
    return status


# --- report


def table(runs: list[dict]) -> str:
    rows = ["| target | connections | requests/s | of them 2xx/s | p50 | p90 | p99 | non-2xx | "
            "socket errors | edge peak threads | edge peak RSS | CPU s: edge / nginx / wrk / softirq / other |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lat = r["latency_ms"]
        fmt = lambda v: "?" if v is None else f"{v:.2f} ms"
        errs = r["socket_errors"]
        err_text = "0" if not errs else ", ".join(f"{k} {v}" for k, v in errs.items() if v) or "0"
        rows.append(
            f"| {r['target']} | {r['connections']} | {r['requests_per_s']:,.0f} | "
            f"{r['ok_per_s']:,.0f} | {fmt(lat['50'])} | "
            f"{fmt(lat['90'])} | {fmt(lat['99'])} | {r['non_2xx']:,} | {err_text} | "
            f"{r['edge_peak_threads']} | {r['edge_peak_rss_mib']} MiB | "
            f"{r['edge_cpu_s']} / {round(r['server_cpu_s'] - r['edge_cpu_s'], 1)} / "
            f"{r['wrk_cpu_s']} / {r['softirq_cpu_s']} / {r['other_cpu_s']} |")
    return "\n".join(rows)


def data_table(runs: list[dict]) -> str:
    rows = ["| call | connections | requests/s | of them 2xx/s | p50 | p90 | p99 | non-2xx | "
            "socket errors | edge peak threads | edge peak RSS (VmHWM) | CPU s: edge / wrk / softirq / other |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in runs:
        lat = r["latency_ms"]
        fmt = lambda v: "?" if v is None else f"{v:.2f} ms"
        errs = r["socket_errors"]
        err_text = "0" if not errs else ", ".join(f"{k} {v}" for k, v in errs.items() if v) or "0"
        rows.append(
            f"| {r['target']} | {r['connections']} | {r['requests_per_s']:,.0f} | "
            f"{r['ok_per_s']:,.0f} | {fmt(lat['50'])} | {fmt(lat['90'])} | {fmt(lat['99'])} | "
            f"{r['non_2xx']:,} | {err_text} | {r['edge_peak_threads']} | "
            f"{r['edge_vmhwm_mib']} MiB | {r['edge_cpu_s']} / {r['wrk_cpu_s']} / "
            f"{r['softirq_cpu_s']} / {r['other_cpu_s']} |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--binary", type=Path, help="portalgen binary (default: cargo build --release)")
    ap.add_argument("--duration", type=int, default=30)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--connections", help="comma-separated (default 2,8,32,64; 16,64 with --data)")
    ap.add_argument("--skip-probes", action="store_true")
    ap.add_argument("--data", action="store_true",
                    help="measure the dashboard and an invoice page straight to the edge instead "
                         "(no nginx, no probes)")
    ap.add_argument("--max-other-cores", type=float, default=0.6,
                    help="wait before each run until the machine uses at most this many cores")
    args = ap.parse_args()
    # Stop cleanly (nginx and the edge too) on Ctrl-C and SIGTERM, also when started in the
    # background, where SIGINT starts out ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    if args.connections is None:
        args.connections = "16,64" if args.data else "2,8,32,64"
    need_tools(nginx=not args.data)
    if args.binary is None:
        log("== cargo build --release")
        subprocess.run(["cargo", "build", "--release", "--quiet"], cwd=REPO, check=True)
        args.binary = REPO / "target/release/portalgen"
    info = machine()
    log(f"== machine: {info}")
    work = Path(tempfile.mkdtemp(prefix="edge-bench-"))
    binary = work / "portalgen"
    shutil.copy2(args.binary, binary)
    edge = nginx = None
    results: dict = {"machine": info, "runs": [], "probes": {}}
    try:
        edge = Edge(binary, work)
        if args.data:
            cookie = sign_in(edge)
            sub = smart_subscription(edge, cookie)
            calls = [("dashboard", f"/api/subscriptions/{sub}/dashboard"),
                     ("invoice page", "/api/invoices?limit=10")]
            for name, path in calls:
                status, _, body = http(edge.port, "GET", "lumio.localhost", path, {"Cookie": cookie})
                assert status == 200, (name, status, body[:500])
                log(f"== {name}: GET {path} -> {status}, {len(body)} bytes")
            results["data_calls"] = dict(calls)
            for conns in [int(c) for c in args.connections.split(",")]:
                for name, path in calls:
                    other = wait_quiet(args.max_other_cores)
                    log(f"== wrk edge {name} -c{conns} (machine busy {other:.2f} cores before)")
                    run = run_wrk(name, edge.port, cookie, conns, args.threads, args.duration,
                                  edge, None, path)
                    run["busy_cores_before"] = round(other, 2)
                    results["runs"].append(run)
                    log(f"   {run['requests_per_s']} req/s, p99 {run['latency_ms']['99']} ms, "
                        f"non-2xx {run['non_2xx']}, errors {run['socket_errors']}, "
                        f"VmHWM {run['edge_vmhwm_mib']} MiB, other CPU {run['other_cpu_s']} s")
        else:
            nginx = Nginx(work, edge.port)
            cookie = sign_in(edge)
            for name, port in [("edge", edge.port), ("nginx", nginx.port)]:
                status, _, body = http(port, "GET", "lumio.localhost", "/api/session", {"Cookie": cookie})
                assert status == 200, (name, status, body)
            log(f"== edge on {edge.port}, nginx on {nginx.port}, signed in")
            for conns in [int(c) for c in args.connections.split(",")]:
                for name, port in [("edge", edge.port), ("nginx → edge", nginx.port)]:
                    other = wait_quiet(args.max_other_cores)
                    log(f"== wrk {name} -c{conns} (machine busy {other:.2f} cores before)")
                    run = run_wrk(name, port, cookie, conns, args.threads, args.duration, edge, nginx)
                    run["busy_cores_before"] = round(other, 2)
                    results["runs"].append(run)
                    log(f"   {run['requests_per_s']} req/s, non-2xx {run['non_2xx']}, "
                        f"errors {run['socket_errors']}, other CPU {run['other_cpu_s']} s")
            if not args.skip_probes:
                wait_quiet(args.max_other_cores)
                log("== probes: 300 half-open connections")
                results["probes"]["half_open_nginx"] = half_open_probe(nginx.port, edge, nginx, 300, 30)
                time.sleep(6)  # tiny_http's idle pool threads end
                results["probes"]["half_open_edge"] = half_open_probe(edge.port, edge, None, 300, 15)
                time.sleep(6)
                log("== probes: one 100 MiB header line")
                results["probes"]["huge_header_nginx"] = huge_header_probe(nginx.port, edge, 100 << 20)
                results["probes"]["huge_header_edge"] = huge_header_probe(edge.port, edge, 100 << 20)
                results["probes"]["body_20k"] = {"nginx": body_probe(nginx.port),
                                                 "edge": body_probe(edge.port)}
                log_text = (work / "edge.log").read_text(errors="replace")
                results["probes"]["edge_logged"] = {
                    "probe_idle": log_text.count("/probe-idle"),
                    "probe_huge": log_text.count("/probe-huge"),
                }
    finally:
        if nginx:
            nginx.stop()
        if edge:
            edge.stop()
        shutil.rmtree(work, ignore_errors=True)

    out_dir = REPO / "benches/results"
    out_dir.mkdir(exist_ok=True)
    slim = {**results, "runs": [{k: v for k, v in r.items() if k != "raw"} for r in results["runs"]]}
    out_file = out_dir / ("edge-data-latest.json" if args.data else "edge-latest.json")
    out_file.write_text(json.dumps(slim, indent=2, ensure_ascii=False))
    print(f"machine: {json.dumps(info, ensure_ascii=False)}\n")
    print(data_table(results["runs"]) if args.data else table(results["runs"]))
    if results["probes"]:
        print("\nprobes:")
        print(json.dumps(results["probes"], indent=2, ensure_ascii=False))
    print(f"\nwritten: {out_file}")


if __name__ == "__main__":
    main()
