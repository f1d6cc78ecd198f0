"""Keras to ONNX without TensorFlow: the graph ONNX Runtime Web runs for a Keras model.

How: the model is saved as .keras (backend-neutral), loaded again under Keras's torch
backend in a child process, and recorded by torch.onnx.export's dynamo exporter with the
batch (and any other free dimension) left free. Why this way:
- Keras's own `model.export(format="onnx")` goes through tf2onnx and TensorFlow under the
  JAX and TensorFlow backends (never installed here), and under torch it falls back
  silently to the deprecated TorchScript tracer when the batch is free, which fails on every
  LayerNormalization (so on ConvNeXt and every transformer);
- writing ONNX from the Keras config, as the TF.js converter does, would be a second
  converter per layer to keep exact; torch's exporter already covers all of Keras's layers.
A child process because Keras's backend is fixed at its first import: the user's process
keeps its own (JAX, TensorFlow or torch). The reference is the user's model in the user's
backend, so what is compared is what was trained.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..contract import IO
from ..errors import ExportError

TORCH_HINT = ("Keras models reach ONNX through Keras's torch backend: install PyTorch's CPU wheel "
              "(pip install torch --index-url https://download.pytorch.org/whl/cpu) and "
              "pip install 'clientside[onnx]'")


def convert(model: Any, io: IO, examples: Sequence[np.ndarray], say: Callable[[str], None]) -> bytes:
    """The Keras model as a serialized ONNX model, recorded on `examples` (which also fix any
    size torch cannot keep free); what could not stay free is said."""
    with tempfile.TemporaryDirectory(prefix="clientside-keras-onnx-") as tmp:
        keras_path, onnx_path = Path(tmp) / "model.keras", Path(tmp) / "model.onnx"
        try:
            model.save(keras_path)
        except Exception as exc:  # noqa: BLE001 - Keras raises many types
            raise ExportError(f"Keras could not save this model as .keras, which the ONNX export reads: "
                              f"{exc}") from None
        np.savez(Path(tmp) / "feeds.npz", *examples)
        names = {"inputs": [s["name"] for s in io.inputs], "outputs": [s["name"] for s in io.outputs]}
        outcome = _run_child(keras_path, onnx_path, Path(tmp) / "feeds.npz", names)
        _say_fixed(outcome, io.inputs, say)
        return onnx_path.read_bytes()


def _say_fixed(outcome: dict, specs: Sequence[dict], say: Callable[[str], None]) -> None:
    """Dimensions the export could not keep free, said (the contract shows them too)."""
    for spec, axes in zip(specs, outcome["free_axes"]):
        lost = [axis for axis, size in enumerate(spec["shape"]) if size is None and axis > 0 and str(axis) not in axes]
        if lost:
            say(f"input {spec['name']}: torch could not keep axes {lost} free; they are fixed at the example's "
                "sizes (see the shape below). Give the model's Input a fixed size to choose them.")
    if outcome["batch"] is not None:
        say(f"batch: fixed at {outcome['batch']} (torch could not keep it free: {'; '.join(outcome['tried'])}); "
            "the page runs the model once per item.")


def _run_child(keras_path: Path, onnx_path: Path, feeds_path: Path, names: dict) -> dict:
    """The export under KERAS_BACKEND=torch, in a process of its own."""
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    result = keras_path.with_name("result.json")
    proc = subprocess.run([sys.executable, "-m", "clientside.sources.keras_onnx", str(keras_path), str(onnx_path),
                           str(feeds_path), json.dumps(names), str(result)],
                          env=env, capture_output=True, text=True)
    if result.is_file():
        outcome = json.loads(result.read_text())
        if "error" in outcome:
            raise ExportError(outcome["error"])
        return outcome
    tail = "\n".join((proc.stderr or proc.stdout).strip().splitlines()[-5:])
    raise ExportError(f"The ONNX export process failed (exit {proc.returncode}):\n{tail}")


# ---- the child process (KERAS_BACKEND=torch) ----

def _child(keras_path: str, onnx_path: str, feeds_path: str, names: dict) -> dict:
    import importlib.util
    import warnings

    if importlib.util.find_spec("torch") is None:
        return {"error": f"PyTorch is not installed. {TORCH_HINT}"}
    for module in ("onnx", "onnxscript"):
        if importlib.util.find_spec(module) is None:
            return {"error": f"{module} is not installed: pip install 'clientside[onnx]'"}
    import keras
    import torch

    try:
        model = keras.saving.load_model(keras_path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types, reported to the parent
        return {"error": f"Keras could not load the model under its torch backend: {type(exc).__name__}: {exc} "
                         "(custom layers must be importable and registered with "
                         "keras.saving.register_keras_serializable)"}
    with np.load(feeds_path) as data:
        examples = tuple(torch.from_numpy(data[f"arr_{i}"]) for i in range(len(data.files)))
    wrapped = _Forward(model)
    attempts = [(_free_axes(model, batch_only=False), examples)]
    if _free_axes(model, batch_only=True) != attempts[0][0]:
        attempts.append((_free_axes(model, batch_only=True), examples))
    # Last: a batch of one. Keras's torch RNN loop over a masked sequence iterates over the
    # batch, which fixes it; the page then runs the model once per item.
    attempts.append(([{} for _ in examples], tuple(x[:1] for x in examples)))
    errors = []
    for axes, xs in attempts:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                program: Any = torch.onnx.export(wrapped, xs, input_names=names["inputs"],
                                            output_names=names["outputs"], dynamo=True,
                                            dynamic_shapes=(_dims(axes),), verbose=False)
        except Exception as exc:  # noqa: BLE001 - torch.export raises many types
            errors.append(_summary(exc))
            continue
        fixed = _fixed_axes(program.model_proto, axes)
        if fixed:  # torch.onnx silently drops dynamic shapes it could not keep
            errors.append(f"torch fixed {fixed}")
            continue
        import onnx

        from ..runtimes.onnx.graph import without_debug_info

        onnx.save_model(without_debug_info(program.model_proto), onnx_path)
        return {"free_axes": axes, "batch": None if all(0 in a for a in axes) else len(xs[0]),
                "tried": errors}
    return {"error": "torch.onnx.export could not export this Keras model (under Keras's torch backend): "
                     + errors[-1]}


def _fixed_axes(model_proto: Any, axes: list[dict[int, str]]) -> str:
    """Which of the axes asked to stay free the graph fixed ('' when none)."""
    fixed = []
    for value, entry in zip(model_proto.graph.input, axes):
        dims = value.type.tensor_type.shape.dim
        fixed += [f"{value.name} axis {axis}" for axis in entry if dims[axis].HasField("dim_value")]
    return ", ".join(fixed)


def _summary(exc: Exception) -> str:
    """The line of torch.onnx's long report that names the cause."""
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    if "## Exception summary" in lines:
        after = lines[lines.index("## Exception summary") + 1:]
        if after:
            return after[0]
    return f"{type(exc).__name__}: {lines[0] if lines else ''}"


def _free_axes(model: Any, batch_only: bool) -> list[dict[int, str]]:
    """Each input's free dimensions, named for torch.export; batch_only=True: the batch alone
    (for a layer whose shapes torch cannot keep symbolic: the rest get the example's sizes)."""
    axes = []
    for i, t in enumerate(model.inputs):
        entry = {}
        for axis, size in enumerate(t.shape):
            if size is None and (axis == 0 or not batch_only):
                entry[axis] = "batch" if axis == 0 else f"input{i}_axis{axis}"
        axes.append(entry)
    return axes


def _dims(axes: list[dict[int, str]]) -> tuple[dict, ...]:
    import torch

    made: dict[str, Any] = {}
    return tuple({axis: made.setdefault(name, torch.export.Dim(name)) for axis, name in entry.items()}
                 for entry in axes)


def _forward_class() -> Any:
    import torch

    class Forward(torch.nn.Module):
        """The Keras model as torch sees a module: positional inputs, a tuple of outputs."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            self.model = model

        def forward(self, *xs: Any) -> Any:
            out = self.model(list(xs) if len(xs) > 1 else xs[0], training=False)
            if isinstance(out, dict):
                out = [out[name] for name in self.model.output_names]
            return tuple(out) if isinstance(out, (list, tuple)) else out

    return Forward


def _Forward(model: Any) -> Any:  # noqa: N802 - builds the class lazily (torch is only in the child)
    return _forward_class()(model)


if __name__ == "__main__":
    keras_file, onnx_file, feeds_file, names_json, result_file = sys.argv[1:6]
    try:
        outcome = _child(keras_file, onnx_file, feeds_file, json.loads(names_json))
    except Exception as exc:  # noqa: BLE001 - reported to the parent as a message
        outcome = {"error": f"The ONNX export failed: {type(exc).__name__}: {exc}"}
    Path(result_file).write_text(json.dumps(outcome))
