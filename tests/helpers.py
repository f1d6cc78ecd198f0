"""Paths and small helpers shared by the tests."""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parents[1]
# ../shared/data beside the checkout (read-only test data); CLIENTSIDE_TEST_DATA overrides.
SHARED_DATA = Path(os.environ.get("CLIENTSIDE_TEST_DATA", REPO.parent / "shared" / "data"))
SEVEN = SHARED_DATA / "upload-seven.png"
SEED_TESTSET = SHARED_DATA / "seed-testset"


def png_bytes(array: np.ndarray, mode: str | None = None) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(np.asarray(array).astype(np.uint8), mode).save(buf, "PNG")
    return buf.getvalue()
