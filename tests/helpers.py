"""Paths and small helpers shared by the tests."""
from __future__ import annotations

import io
import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
#: Test data kept in the repository (tests/data/README.md says where each file comes from).
DATA = Path(__file__).resolve().parent / "data"
SEVEN = DATA / "upload-seven.png"
SEED_TESTSET = DATA / "seed-testset"


def png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(array).astype(np.uint8), mode).save(buf, "PNG")
    return buf.getvalue()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_healthy(port: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stdout.read() if proc.stdout else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def stop_process(proc: subprocess.Popen) -> str:
    """SIGTERM to the whole process group (make and the server it started); its output."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    with proc.stdout:
        return proc.stdout.read()


def start_process(args, **kwargs) -> subprocess.Popen:
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True, **kwargs)


def export_tfjs(model, out_dir, **options):
    """clientside.export to TF.js alone: refused (ExportError) where TF.js cannot run it exactly."""
    import clientside

    return clientside.export(model, out_dir, runtime="tfjs", **options)


def verify_tfjs(model, bundle_dir, inputs=None, tolerance=None):
    """--verify of a TF.js bundle: real TF.js under Node against the Keras model."""
    from clientside.runtimes import get
    from clientside.sources import keras
    from clientside.verify import DEFAULT_TOLERANCE

    return get("tfjs").verify(Path(bundle_dir), keras.load(model), inputs, tolerance or DEFAULT_TOLERANCE)


def keras_sample(model, batch=8, seed=0):
    """What --verify feeds a Keras model: padded id sequences (pre and post, empty to full) for
    embeddings, noise elsewhere (clientside.verify.sample with the Keras source's hints)."""
    from clientside.sources import keras
    from clientside.verify import sample

    return sample(keras.io(model).inputs, keras.sampling_hints(model), batch=batch, seed=seed)
