"""Write a bundle: model.json + shards + clientside.json, atomically.

Nothing is written unless the whole model converts; an existing bundle at the target is
only replaced once the new one is complete.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from ..bundle import BUNDLE_FORMAT, BUNDLE_JSON, MODEL_JSON, resolve_preprocess
from ..errors import ExportError
from ..keras_backend import import_keras
from .registry import Problem
from .topology import Conversion, convert_model
from .weights import DEFAULT_SHARD_BYTES, QUANTIZE_DTYPES, Quantization, write_shards


def load_model(model: Any) -> Any:
    """A keras.Model as is, or one loaded from a .keras/.h5 path (with a clear error)."""
    if isinstance(model, (str, os.PathLike)):
        keras = import_keras()
        path = Path(model)
        if path.suffix not in (".keras", ".h5", ".hdf5"):
            raise ExportError(f"Expected a .keras or .h5 file. Received: path='{path}'")
        if not path.is_file():
            raise ExportError(f"No model file at {path}.")
        try:
            return keras.saving.load_model(path, compile=False)
        except Exception as exc:  # keras raises many types for unreadable files
            raise ExportError(f"Keras could not load {path}: {exc}") from None
    return model


def format_problems(problems: Sequence[Problem]) -> str:
    lines = [f"Cannot export this model to TF.js exactly ({len(problems)} problem"
             f"{'s' if len(problems) != 1 else ''}); nothing was written:"]
    lines += [f"  - {p}" for p in problems]
    return "\n".join(lines)


def export_config(model: Any, allow_unknown: Sequence[str] = ()) -> Conversion:
    """Convert without writing: the TF.js topology, named weights, and any problems."""
    return convert_model(load_model(model), frozenset(allow_unknown))


def _tensor_name(tensor: Any, fallback: str) -> str:
    history = getattr(tensor, "_keras_history", None)
    operation = getattr(history, "operation", None)
    return getattr(operation, "name", None) or fallback


def _io_spec(model: Any) -> tuple[list[dict], list[dict]]:
    inputs = [{"name": _tensor_name(t, f"input_{i}"), "shape": list(t.shape), "dtype": str(t.dtype)}
              for i, t in enumerate(model.inputs)]
    outputs = [{"name": _tensor_name(t, f"output_{i}"), "shape": list(t.shape)}
               for i, t in enumerate(model.outputs)]
    return inputs, outputs


def export(model: Any, out_dir: str | os.PathLike, *, labels: Sequence[str] | None = None,
           preprocess: str | Sequence[dict] | None = None, name: str | None = None,
           shard_bytes: int = DEFAULT_SHARD_BYTES, allow_unknown: Sequence[str] = (),
           quantize: str | None = None, quantize_patterns: Sequence[str] = ("*",)) -> Path:
    """Write `model` (a keras.Model or a .keras/.h5 path) as a clientside bundle in out_dir.

    quantize: "float16", "uint16" or "uint8" stores float32 weights (those whose names
    match quantize_patterns, fnmatch-style, e.g. "dense*/kernel") in 2 or 1 bytes.
    """
    keras = import_keras()

    model = load_model(model)
    conversion = convert_model(model, frozenset(allow_unknown))
    if conversion.problems:
        raise ExportError(format_problems(conversion.problems))
    steps = resolve_preprocess(preprocess)
    quantization = None
    if quantize is not None:
        if quantize not in QUANTIZE_DTYPES:
            raise ExportError(f"Expected quantize to be one of {', '.join(QUANTIZE_DTYPES)}. "
                              f"Received: quantize={quantize!r}")
        quantization = Quantization(quantize, tuple(quantize_patterns))
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a folder.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / MODEL_JSON).exists():
        raise ExportError(f"{out_dir} is not empty and holds no bundle: refusing to write into it.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)

    tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        manifest, shards = write_shards(conversion.weights, tmp, shard_bytes, quantization)
        model_json = {
            "format": "layers-model",
            "generatedBy": f"keras {keras.__version__} ({keras.backend.backend()} backend)",
            "convertedBy": f"clientside {__version__}",
            "modelTopology": {**conversion.topology, "keras_version": keras.__version__,
                              "backend": keras.backend.backend()},
            "weightsManifest": manifest,
        }
        model_bytes = json.dumps(model_json, separators=(",", ":")).encode()
        (tmp / MODEL_JSON).write_bytes(model_bytes)
        inputs, outputs = _io_spec(model)
        meta = {
            "format": BUNDLE_FORMAT,
            "name": name or out_dir.name,
            "content_hash": hashlib.sha256(model_bytes).hexdigest()[:16],
            "input_shape": inputs[0]["shape"],
            "inputs": inputs,
            "outputs": outputs,
            "labels": list(labels) if labels else [],
            "preprocess": steps,
            "shards": [{"path": s.path, "size": s.size, "sha256": s.sha256} for s in shards],
            "params": int(model.count_params()),
            "quantization": None if quantization is None else
            {"dtype": quantization.dtype, "patterns": list(quantization.patterns)},
        }
        (tmp / BUNDLE_JSON).write_text(json.dumps(meta, indent=2) + "\n")
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _replace_dir(new: Path, target: Path) -> None:
    """Swap new into target; the old content survives until the new one is in place."""
    os.chmod(new, 0o755)
    if not target.exists():
        os.replace(new, target)
        return
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    os.replace(target, old)
    os.replace(new, target)
    shutil.rmtree(old, ignore_errors=True)
