"""Python's onnxruntime: the same kernels as the browser's wasm build, so what the export
check and --verify compare against."""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ...errors import ExportError
from ...verify import Feeds, in_batches


def run_onnxruntime(model_bytes: bytes, names: Sequence[str], feeds: Feeds,
                    batch: int | None = None) -> list[np.ndarray]:
    """The outputs Python's onnxruntime computes (batch: the model's fixed batch size, if any)."""
    try:
        import onnxruntime
    except ImportError:
        raise ExportError("Checking an ONNX export needs onnxruntime: pip install 'clientside[onnx]'") from None
    try:
        session = onnxruntime.InferenceSession(model_bytes, providers=["CPUExecutionProvider"])
        return in_batches(lambda part: session.run(None, dict(zip(names, part))), feeds, batch)
    except Exception as exc:  # noqa: BLE001 - onnxruntime raises its own types
        raise ExportError(f"onnxruntime cannot run this model: {exc}") from None
