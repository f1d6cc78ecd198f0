"""A real `clientside serve` (gunicorn + waitress) for tests that need real sockets."""
from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from tests.helpers import free_port, wait_healthy


@pytest.fixture
def serve(small_bundle):
    """serve(*options) -> the port of a new `clientside serve small_bundle` (stopped after)."""
    procs = []

    def start(*options: str) -> int:
        port = free_port()
        proc = subprocess.Popen([sys.executable, "-m", "clientside.cli", "serve", str(small_bundle),
                                 "--port", str(port), "--workers", "2", *options],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        wait_healthy(port, proc)
        return port

    yield start
    for proc in procs:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=30)


