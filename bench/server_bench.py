"""Server cost per prediction: A (server-side inference), B (server prepares, browser
predicts), C (browser prepares and predicts), under the same gunicorn setup.

Each server runs in its own process group; its CPU time (user + system of the master and
every worker, from /proc) is read before and after a fixed-duration load from a separate
load-generator process on loopback. CPU per prediction = CPU used / predictions answered.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORKERS = 2
DURATION = 8.0
CONCURRENCY = 4
CLOCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tree_cpu_seconds(pid: int) -> float:
    """utime + stime of pid and all its descendants (gunicorn master and workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    total, stack = 0.0, [pid]
    while stack:
        p = stack.pop()
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / CLOCK
        except OSError:
            pass
        stack.extend(children.get(p, []))
    return total


SERVER = """
import sys
sys.path.insert(0, {here!r})
from clientside.server import wsgi
kind, port = {kind!r}, {port}
def make_app():
    if kind == "A":
        import baseline_app
        return baseline_app.create_app({keras!r}, {steps!r})
    from clientside import create_app
    return create_app({bundle!r}, prepare="server")
# A holds a JAX runtime, which does not survive fork(): each worker loads its own model.
wsgi.run(make_app, host="127.0.0.1", port=port, workers={workers}, threads=1, access_log=False,
         preload=(kind != "A"))
"""


def start_server(kind: str, port: int, keras_path: str, bundle: str, steps: list) -> subprocess.Popen:
    code = SERVER.format(here=str(HERE), kind=kind, port=port, keras=keras_path, steps=steps,
                         bundle=bundle, workers=WORKERS)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"server {kind} did not start")


def load(port: int, path: str, image: Path, headers: dict[str, str], duration: float = DURATION) -> dict:
    """Runs in a separate process: CONCURRENCY threads post the image for `duration` seconds."""
    code = f"""
import http.client, json, threading, time, uuid
from pathlib import Path
data = Path({str(image)!r}).read_bytes()
boundary = uuid.uuid4().hex
body = (f"--{{boundary}}\\r\\nContent-Disposition: form-data; name=\\"file\\"; filename=\\"{image.name}\\"\\r\\n"
        "Content-Type: application/octet-stream\\r\\n\\r\\n").encode() + data + f"\\r\\n--{{boundary}}--\\r\\n".encode()
headers = {{"Content-Type": f"multipart/form-data; boundary={{boundary}}", **{headers!r}}}
latencies, errors, stop = [], [0], time.monotonic() + {duration}
def worker():
    conn = http.client.HTTPConnection("127.0.0.1", {port}, timeout=30)
    while time.monotonic() < stop:
        t = time.perf_counter()
        try:
            conn.request("POST", {path!r}, body=body, headers=headers)
            r = conn.getresponse(); r.read()
            if r.status != 200: errors[0] += 1
            else: latencies.append(time.perf_counter() - t)
        except Exception:
            errors[0] += 1
            conn.close(); conn = http.client.HTTPConnection("127.0.0.1", {port}, timeout=30)
threads = [threading.Thread(target=worker) for _ in range({CONCURRENCY})]
[t.start() for t in threads]; [t.join() for t in threads]
print(json.dumps({{"latencies": latencies, "errors": errors[0]}}))
"""
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def measure(kind: str, keras_path: str, bundle: str, steps: list, image: Path) -> dict:
    port = free_port()
    proc = start_server(kind, port, keras_path, bundle, steps)
    try:
        path, headers = ("/predict", {}) if kind == "A" else ("/api/prepare", {"Accept": "application/octet-stream"})
        # warm-up until every worker answers (A's workers load Keras and compile first)
        deadline = time.monotonic() + 240
        while not load(port, path, image, headers, duration=1.0)["latencies"]:
            if time.monotonic() > deadline:
                raise RuntimeError(f"server {kind} never answered")
        load(port, path, image, headers, duration=2.0)
        cpu0, t0 = tree_cpu_seconds(proc.pid), time.monotonic()
        result = load(port, path, image, headers)
        cpu = tree_cpu_seconds(proc.pid) - cpu0
        wall = time.monotonic() - t0
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    lat = sorted(result["latencies"])
    n = len(lat)
    return {"n": n, "errors": result["errors"], "cpu_ms": 1000 * cpu / max(n, 1),
            "rps": n / DURATION, "p50": 1000 * lat[n // 2] if n else float("nan"),
            "p99": 1000 * lat[min(n - 1, int(n * 0.99))] if n else float("nan"), "wall": wall}


def run(cases: list[tuple[str, str, str, list, Path]]) -> tuple[str, dict[str, float]]:
    """cases: (label, keras file, bundle, preprocessing steps, image).
    Returns the markdown section and the A/B ratio of each model."""
    rows, ratios = [], {}
    for label, keras_path, bundle, steps, image in cases:
        a = measure("A", keras_path, bundle, steps, image)
        b = measure("B", keras_path, bundle, steps, image)
        for kind, r, what in (("A", a, "server-side inference (baseline)"),
                              ("B", b, "article: server prepares, browser predicts")):
            rows.append(f"| {label} | {kind}: {what} | {r['cpu_ms']:.2f} | {r['rps']:.0f} | "
                        f"{r['p50']:.1f} | {r['p99']:.1f} | {r['errors']} |")
        rows.append(f"| {label} | C: clientside default (browser prepares and predicts) | 0 "
                    f"(no request) | n/a | n/a | n/a | 0 |")
        ratios[label] = a["cpu_ms"] / b["cpu_ms"]
        rows.append(f"| {label} | **ratio A/B in CPU per prediction** | **{ratios[label]:.1f}x** | | | | |")
    return "\n".join([
        "## Server cost per prediction", "",
        f"gunicorn, {WORKERS} workers (1 thread each), the same image for every request, a load "
        f"generator in a separate process on loopback ({CONCURRENCY} connections, {DURATION:.0f} s "
        "after a warm-up run). CPU is the server processes' own user+system time per prediction "
        "answered. C sends no request per prediction after the first visit (verified by the "
        "browser tests, and by the Visitor table below: 0 requests per prediction).", "",
        "| model | mode | server CPU ms / prediction | predictions/s | p50 ms | p99 ms | errors |",
        "|---|---|---|---|---|---|---|", *rows, ""]), ratios
