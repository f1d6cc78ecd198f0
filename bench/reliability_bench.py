"""Reliability of `clientside serve --workers 2` against what the open internet sends.

Everything runs against a real server process on loopback, bounded in count and time:
the hostile corpus (bench/hostile.py), malformed HTTP, path traversal, a mixed load of
16 clients, slow clients, and a soak of photo prepares with the workers' memory before
and after. Required: no 5xx, no dropped connection on a valid request, no file served
from outside the bundle, no load error, RSS growth under 50 MB.
"""
from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import hostile
from server_bench import free_port

MIXED_CLIENTS, MIXED_SECONDS = 16, 10.0
SOAK_PREPARES, SOAK_CLIENTS = 1200, 4
STALLED = IDLE = 256


def start(bundle: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "clientside.cli", "serve", str(bundle), "--port", str(port),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if get(port, "/healthz")[0] == 200:
                return proc, port
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("clientside serve did not start")


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        r = conn.getresponse()
        return r.status, r.read()
    finally:
        conn.close()


def post(conn: http.client.HTTPConnection, name: str, data: bytes) -> int:
    body, content_type = hostile.multipart([(name, data)])
    conn.request("POST", "/api/prepare", body=body,
                 headers={"Content-Type": content_type, "Accept": "application/octet-stream"})
    r = conn.getresponse()
    r.read()
    return r.status


def worker_rss_mb(pid: int) -> float:
    """Resident memory of the gunicorn master's children (the workers), in MB."""
    total = 0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        if fields.get("PPid", "").strip() == str(pid):
            total += int(fields.get("VmRSS", "0 kB").split()[0])
    return total / 1024


def corpus(port: int) -> dict:
    rows, wrong, five = [], [], 0
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for name, data, expected in hostile.uploads():
        try:
            status = post(conn, name, data)
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 0
        five += status >= 500
        if (status == 200) != (expected == "ok") or status == 0:
            wrong.append(f"{name} ({status})")
        rows.append(status)
    conn.close()
    return {"count": len(rows), "ok": rows.count(200), "refused_4xx": sum(400 <= s < 500 for s in rows),
            "5xx": five, "unexpected": wrong}


def malformed(port: int, seven: bytes) -> list[tuple[str, str, bool]]:
    out = []
    for name, request in hostile.raw_requests("127.0.0.1", seven):
        status = hostile.status_of(hostile.send_raw(port, request))
        healthy = get(port, "/healthz")[0] == 200
        out.append((name, status, healthy))
    return out


def traversal(port: int, shard: str) -> dict:
    version = get(port, "/")[1].decode().split("assets/")[1].split("/")[0]
    paths = hostile.traversal_paths(version, shard)
    leaks, statuses = [], []
    for path in paths:
        try:
            code, body = get(port, path)
        except (OSError, http.client.HTTPException):
            code, body = 0, b""
        statuses.append(code)
        if code == 200 or b"root:" in body:
            leaks.append(path)
    return {"count": len(paths), "leaks": leaks, "5xx": sum(s >= 500 for s in statuses),
            "statuses": sorted(set(statuses))}


def mixed(port: int, shard: str, photo: bytes) -> dict:
    latencies: list[float] = []
    errors = [0]
    stop = time.monotonic() + MIXED_SECONDS
    lock = threading.Lock()

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        n = 0
        while time.monotonic() < stop:
            kind = (i + n) % 3
            n += 1
            t = time.perf_counter()
            try:
                if kind == 0:
                    conn.request("GET", "/")
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                elif kind == 1:
                    conn.request("GET", f"/model/{shard}")
                    r = conn.getresponse()
                    r.read()
                    status = r.status
                else:
                    status = post(conn, "photo.jpg", photo)
                ok = status == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                if ok:
                    latencies.append(time.perf_counter() - t)
                else:
                    errors[0] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,)) for i in range(MIXED_CLIENTS)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    lat = sorted(latencies)
    return {"requests": len(lat), "errors": errors[0], "p50_ms": 1000 * statistics.median(lat),
            "p99_ms": 1000 * lat[int(0.99 * (len(lat) - 1))], "rps": len(lat) / MIXED_SECONDS}


def slow_clients(port: int) -> dict:
    held = []
    try:
        for _ in range(STALLED):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"POST /api/prepare HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                      b"Content-Length: 1000000\r\n\r\n--b\r\n")
            held.append(s)
        for _ in range(IDLE):
            s = socket.create_connection(("127.0.0.1", port), timeout=5)
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            s.recv(65536)
            held.append(s)
        time.sleep(0.5)
        times = []
        for _ in range(10):
            t = time.perf_counter()
            status, _ = get(port, "/healthz")
            times.append((time.perf_counter() - t, status))
        return {"stalled": STALLED, "idle": IDLE, "max_ms": 1000 * max(t for t, _ in times),
                "median_ms": 1000 * statistics.median(t for t, _ in times),
                "all_200": all(s == 200 for _, s in times)}
    finally:
        for s in held:
            s.close()


def soak(port: int, pid: int, photo: bytes) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for _ in range(40):  # warm-up: every worker's imports and first allocations
        post(conn, "photo.jpg", photo)
    conn.close()
    before = worker_rss_mb(pid)
    counts = {"ok": 0, "errors": 0}
    lock = threading.Lock()
    per_client = SOAK_PREPARES // SOAK_CLIENTS // 3

    def client() -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(per_client):
            try:
                ok = post(conn, "photo.jpg", photo) == 200
            except (OSError, http.client.HTTPException):
                ok = False
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            with lock:
                counts["ok" if ok else "errors"] += 1
        conn.close()

    started = time.monotonic()
    rss = [before]
    for _ in range(3):  # in thirds, so a plateau (allocator arenas) shows apart from a leak
        threads = [threading.Thread(target=client) for _ in range(SOAK_CLIENTS)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        rss.append(worker_rss_mb(pid))
    return {**counts, "seconds": time.monotonic() - started, "rss_before_mb": before,
            "rss_after_mb": rss[-1], "rss_mb": rss}


def run(bundle: Path, photo: Path, seven: Path) -> tuple[str, dict]:
    proc, port = start(bundle)
    try:
        shard = json.loads(get(port, "/model")[1])["weightsManifest"][0]["paths"][0].removeprefix("model/")
        photo_bytes = photo.read_bytes()
        soak_result = soak(port, proc.pid, photo_bytes)
        uploads = corpus(port)
        raw = malformed(port, seven.read_bytes())
        paths = traversal(port, shard)
        load = mixed(port, shard, photo_bytes)
        slow = slow_clients(port)
        alive = get(port, "/healthz")[0] == 200
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=60)
    growth = soak_result["rss_after_mb"] - soak_result["rss_before_mb"]
    five = uploads["5xx"] + paths["5xx"] + sum(s.startswith("5") for _, s, _ in raw)
    checks = [
        ("no 5xx response", five == 0, f"{five}"),
        ("uploads: each prepared (200) or refused (4xx) as expected", not uploads["unexpected"],
         ", ".join(uploads["unexpected"]) or f"{uploads['ok']} prepared, {uploads['refused_4xx']} refused"),
        ("no file served from outside the bundle", not paths["leaks"], ", ".join(paths["leaks"]) or "none of "
         f"{paths['count']} paths (statuses {', '.join(map(str, paths['statuses']))})"),
        ("server answers after every malformed request", all(h for _, _, h in raw), f"{len(raw)} requests"),
        ("mixed load: no error", load["errors"] == 0, f"{load['errors']} of {load['requests'] + load['errors']}"),
        ("soak: no error", soak_result["errors"] == 0, f"{soak_result['errors']} of {SOAK_PREPARES}"),
        ("soak: worker RSS growth under 50 MB", growth < 50, f"{growth:+.1f} MB"),
        ("slow clients: others answered within 1 s", slow["max_ms"] < 1000 and slow["all_200"],
         f"slowest {slow['max_ms']:.0f} ms"),
        ("server alive at the end", alive, "yes" if alive else "no"),
    ]
    lines = ["## Reliability (`clientside serve --workers 2`)", "",
             "Against a real server on loopback (bench/reliability_bench.py, corpus in bench/hostile.py).", "",
             "| check | result | |", "|---|---|---|",
             *(f"| {name} | {detail} | {'passed' if ok else '**FAILED**'} |" for name, ok, detail in checks), "",
             f"- Uploads: {uploads['count']} files made by code (every mode PNG, JPEG, GIF, WebP and BMP write; "
             "pixel bombs in every format; a PNG text-chunk bomb; truncated files and header-only files; "
             "animated GIF and WebP with 100-300 frames; empty, HTML, SVG and TIFF files).",
             "- Malformed HTTP (status, or `closed`): " + "; ".join(f"{n}: {s}" for n, s, _ in raw) + ".",
             f"- Path traversal: {paths['count']} paths (`../` encoded nine ways, under every route that serves "
             "files).",
             f"- Mixed load: {MIXED_CLIENTS} clients for {MIXED_SECONDS:.0f} s (page, weight shard, photo "
             f"prepare in turn): {load['requests']} answered ({load['rps']:.0f}/s), p50 {load['p50_ms']:.1f} ms, "
             f"p99 {load['p99_ms']:.1f} ms, {load['errors']} errors.",
             f"- Slow clients: {slow['stalled']} stalled uploads and {slow['idle']} idle keep-alive "
             f"connections held open; /healthz median {slow['median_ms']:.1f} ms, slowest {slow['max_ms']:.1f} ms.",
             f"- Soak: {SOAK_PREPARES} prepares of a 640x480 JPEG by {SOAK_CLIENTS} clients in "
             f"{soak_result['seconds']:.0f} s; workers' RSS after a warm-up of 40, then after each third: "
             + " -> ".join(f"{mb:.0f}" for mb in soak_result["rss_mb"]) + f" MB ({growth:+.1f} MB).", ""]
    return "\n".join(lines), {"passed": all(ok for _, ok, _ in checks), "growth_mb": growth}
