"""Python's onnxruntime: the same kernels as the browser's wasm build, so what the export
check and --verify compare against."""
from __future__ import annotations

import os
from collections.abc import Collection, Sequence

import numpy as np

from ...errors import ExportError
from ...verify import Feeds, in_batches


def run_onnxruntime(model: bytes | os.PathLike, names: Sequence[str], feeds: Feeds,
                    batch: int | None = None, whole: Collection[int] = ()) -> list[np.ndarray]:
    """The outputs Python's onnxruntime computes (batch: the model's fixed batch size, if any).
    model: its bytes, or its path (a graph whose weights are external data, beside it)."""
    try:
        import onnxruntime
    except ImportError:
        raise ExportError("Checking an ONNX export needs onnxruntime: pip install 'clientside[onnx]'") from None
    try:
        source = model if isinstance(model, bytes) else os.fspath(model)
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # its refusal is said once, in the ExportError, not also logged
        session = onnxruntime.InferenceSession(source, options, providers=["CPUExecutionProvider"])
        return in_batches(lambda part: session.run(None, dict(zip(names, part))), feeds, batch, whole)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        raise ExportError(f"onnxruntime cannot run this model: {exc}") from None
