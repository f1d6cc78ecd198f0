"""The production server: gunicorn with 2 workers, graceful stop, start-up refusals."""
from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest

from tests.helpers import REPO, SEVEN, free_port, wait_healthy


def multipart(path: Path) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{path.name}\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode() + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def post_prepare(port: int) -> tuple[int, dict]:
    body, content_type = multipart(SEVEN)
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/prepare", body=body, headers={"Content-Type": content_type})
        response = conn.getresponse()
        return response.status, json.loads(response.read())
    finally:
        conn.close()


@pytest.fixture
def server_cli(small_bundle):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "clientside.cli", "serve", str(small_bundle),
                             "--port", str(port), "--workers", "2"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_healthy(port, proc)
        yield port, proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)
        proc.stdout.close()


def test_gunicorn_serves_the_page_and_prepare(server_cli):
    port, proc = server_cli
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/") as r:
        assert r.status == 200 and b'static/app.js' in r.read()
        assert r.headers["Content-Security-Policy"]
    statuses = []
    threads = [threading.Thread(target=lambda: statuses.append(post_prepare(port)[0])) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert statuses == [200] * 6
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics") as r:
        text = r.read().decode()
    # summed over both workers, whichever served each request
    assert 'clientside_requests_total{route="/api/prepare",status="200"} 6.0' in text
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=30) == 0
    log = proc.stdout.read()
    assert "Booting worker" in log and log.count("Booting worker") >= 2  # two workers
    assert '"POST /api/prepare HTTP/1.1" 200' in log  # access log


def test_sigterm_finishes_requests_in_flight(small_bundle, tmp_path):
    port, marker = free_port(), tmp_path / "in-flight"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, str(REPO / "tests/server/gunicorn_slow_app.py"),
                             str(small_bundle), str(port), str(marker)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        wait_healthy(port, proc)
        result = {}
        request = threading.Thread(target=lambda: result.update(answer=post_prepare(port)))
        request.start()
        deadline = time.monotonic() + 20
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert marker.exists(), "the request never reached a worker"
        proc.send_signal(signal.SIGTERM)  # while the request is being prepared
        request.join(timeout=30)
        status, body = result["answer"]
        assert status == 200 and body["shape"] == [1, 28, 28, 1]
        assert proc.wait(timeout=30) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()


@pytest.mark.parametrize("breakage, words", [
    ("bad json", "not valid JSON"), ("missing shard", "Missing model file"),
    ("changed shard", "does not match its sha256"),
])
def test_invalid_bundle_refused_at_start_up(small_bundle, tmp_path, breakage, words):
    from tests.test_bundle import break_bundle

    folder = break_bundle(small_bundle, tmp_path, breakage)
    proc = subprocess.run([sys.executable, "-m", "clientside.cli", "serve", str(folder),
                           "--port", str(free_port())], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert words in proc.stderr and "Traceback" not in proc.stderr
