"""Run clientside under gunicorn (clientside.server.wsgi.run) with a slow Python
preprocess function that leaves a marker file when a request is in flight."""
from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np

from clientside import create_app
from clientside.server import wsgi

bundle, port, marker = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])


def slow(data: bytes, filename: str) -> np.ndarray:
    marker.write_text(filename)
    time.sleep(1.5)
    return np.zeros((28, 28, 1), np.float32)


wsgi.run(lambda: create_app(bundle, prepare=slow), host="127.0.0.1", port=port, workers=2)
