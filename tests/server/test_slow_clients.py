"""`clientside serve` on the open internet: slow and greedy clients must not stop it."""
from __future__ import annotations

import http.client
import socket
import time

from tests.helpers import SEVEN


def stalled_upload(port: int) -> socket.socket:
    """The headers of a 1 MB upload, and then nothing: the body never comes."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"POST /api/prepare HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                 b"Content-Length: 1000000\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"file\"; "
                 b"filename=\"a.png\"\r\n\r\n")
    return sock


def idle_keep_alive(port: int) -> socket.socket:
    """One request answered, then the connection kept open and silent."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    return sock


def timed_get(port: int, path: str) -> tuple[int, float]:
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        response.read()
        return response.status, time.monotonic() - started
    finally:
        conn.close()


def test_stalled_uploads_and_idle_connections_do_not_stop_the_server(serve):
    port = serve()
    held = [stalled_upload(port) for _ in range(256)] + [idle_keep_alive(port) for _ in range(256)]
    try:
        time.sleep(0.5)  # let every stalled request reach the server
        times = []
        for path in ["/healthz", "/api/model", "/model/model.json", "/"] * 3:
            status, seconds = timed_get(port, path)
            assert status == 200
            times.append(seconds)
        body = SEVEN.read_bytes()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        started = time.monotonic()
        conn.request("POST", "/api/prepare", body=b"--b\r\nContent-Disposition: form-data; name=\"file\"; "
                     b"filename=\"7.png\"\r\n\r\n" + body + b"\r\n--b--\r\n",
                     headers={"Content-Type": "multipart/form-data; boundary=b"})
        response = conn.getresponse()
        assert response.status == 200 and response.read()
        times.append(time.monotonic() - started)
        conn.close()
        print(f"\nwith 256 stalled uploads and 256 idle connections: slowest answer {max(times) * 1000:.0f} ms")
        assert max(times) < 1.0  # 100x the normal answer time; the old server gave none in 30 s
    finally:
        for sock in held:
            sock.close()


def test_a_stalled_client_is_dropped_after_the_timeout(serve):
    port = serve("--client-timeout", "2")
    sock = stalled_upload(port)
    sock.settimeout(15)
    started = time.monotonic()
    assert sock.recv(1024) == b""  # the server closed it
    assert time.monotonic() - started < 15
    sock.close()


def test_an_oversized_body_is_refused_from_its_content_length(serve):
    port = serve()
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    sock.sendall(b"POST /api/prepare HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                 b"Content-Length: 100000000000\r\n\r\n")  # 100 GB announced, not a byte of it sent
    answer = b""
    while chunk := sock.recv(65536):  # until the server closes (Connection: close)
        answer += chunk
    sock.close()
    assert answer.startswith(b"HTTP/1.1 413")
    assert b"application/json" in answer and b"The upload is larger than the server's limit of" in answer
