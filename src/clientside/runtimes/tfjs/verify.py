"""Built-in verification: run the written bundle in real TF.js (Node) and compare with Keras.

The translation is checked exactly: Keras runs with the weights as the bundle stores them
(decoded, so quantization is not mistaken for a translation error), and classifiers are
compared on logits, because a softmax of random weights is flat and would hide anything.
The cost of quantization is reported separately, against the original float model.
"""
from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ...bundle import MODEL_JSON
from .converter.topology import convert_model
from .weights import read_weights

#: Float32 rounding between two correct implementations stays near 1e-4 of the output
#: scale (ResNet50 on two Keras backends: 2e-4); every real mismatch found was above 1e-2.
DEFAULT_TOLERANCE = 1e-3


@dataclass
class VerifyReport:
    max_abs_diff: float
    relative_diff: float
    tolerance: float
    compared: str                    # "logits" or "outputs"
    top1_agreement: float | None     # TF.js vs Keras (same stored weights)
    quantized_top1_agreement: float | None = None  # TF.js vs the original float model
    quantized_max_abs_diff: float | None = None

    @property
    def passed(self) -> bool:
        return self.relative_diff <= self.tolerance

    def lines(self) -> list[str]:
        out = [f"compared {self.compared}: max |TF.js - Keras| = {self.max_abs_diff:.3g} "
               f"({self.relative_diff:.3g} of the output scale; tolerance {self.tolerance:g})"]
        if self.top1_agreement is not None:
            out.append(f"top class agrees on {self.top1_agreement:.1%} of the inputs")
        if self.quantized_max_abs_diff is not None:
            out.append(f"quantization cost vs the float32 model: max |diff| = "
                       f"{self.quantized_max_abs_diff:.3g}"
                       + (f", top class agrees on {self.quantized_top1_agreement:.1%}"
                          if self.quantized_top1_agreement is not None else ""))
        out.append("verification passed" if self.passed else "VERIFICATION FAILED")
        return out


def random_inputs(model: Any, batch: int = 8, seed: int = 0) -> list[np.ndarray]:
    """Inputs a real caller could send: ids in [0, input_dim) for an input that feeds an
    Embedding (whatever its dtype: Keras's default float Input is common), and, where the
    embedding masks zeros, padded sequences of every length from empty to full, pre-padded
    as pad_sequences writes them (the first half of the batch) and post-padded as
    TextVectorization does (the rest), so the masks are exercised; normal noise for
    everything else."""
    rng = np.random.default_rng(seed)
    layers = _all_layers(model)
    all_vocab = min([layer.input_dim for layer in layers if hasattr(layer, "input_dim")] or [10])
    inputs = []
    for t in model.inputs:
        shape = (batch, *[int(d) if d is not None else 8 for d in t.shape[1:]])
        embeddings = [layer for layer in layers if hasattr(layer, "input_dim") and _consumes(layer, t)]
        if embeddings or "int" in str(t.dtype):
            vocab = min(layer.input_dim for layer in embeddings) if embeddings else all_vocab
            ids = rng.integers(1 if embeddings else 0, vocab, shape)
            if any(getattr(layer, "mask_zero", False) for layer in embeddings) and len(shape) >= 2:
                steps = shape[1]
                for i, (row, length) in enumerate(zip(ids, rng.permutation(np.arange(batch) % (steps + 1)))):
                    if i < batch // 2:
                        row[: steps - length] = 0  # pre-padding: the last `length` steps are kept
                    else:
                        row[length:] = 0  # post-padding
            inputs.append(ids.astype(np.int32 if "int" in str(t.dtype) else np.float32))
        else:
            inputs.append(rng.normal(0, 1, shape).astype(np.float32))
    return inputs


def _consumes(layer: Any, tensor: Any) -> bool:
    return any(t is tensor for node in getattr(layer, "_inbound_nodes", []) for t in node.input_tensors)


def _all_layers(model: Any) -> list:
    out = []
    for layer in model.layers:
        out.append(layer)
        if hasattr(layer, "layers"):
            out.extend(_all_layers(layer))
    return out


def _softmax_outputs(model: Any) -> list[Any]:
    """Output layers whose activation attribute is softmax (Dense, Conv, Activation)."""
    import keras

    found = []
    for tensor in model.outputs:
        layer = tensor._keras_history.operation
        if getattr(layer, "activation", None) is keras.activations.softmax:
            found.append(layer)
    return found


def _predict(model: Any, inputs: Sequence[np.ndarray]) -> list[np.ndarray]:
    out = model.predict(list(inputs) if len(inputs) > 1 else inputs[0], verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, (list, tuple)) else [out])]


def _set_linear(config: Any, names: set[str]) -> None:
    if isinstance(config, dict):
        if config.get("name") in names and "activation" in config:
            config["activation"] = "linear"
        for value in config.values():
            _set_linear(value, names)
    elif isinstance(config, list):
        for value in config:
            _set_linear(value, names)


def verify(model: Any, bundle_dir: str | os.PathLike, inputs: Sequence[np.ndarray] | None = None,
           tolerance: float = DEFAULT_TOLERANCE) -> VerifyReport:
    import keras

    from . import node as tfjs_node

    bundle_dir = Path(bundle_dir)
    model_json = json.loads((bundle_dir / MODEL_JSON).read_text())
    inputs = list(inputs) if inputs is not None else random_inputs(model)
    quantized = any("quantization" in w for g in model_json["weightsManifest"] for w in g["weights"])

    reference = model
    if quantized:  # Keras with exactly the weights TF.js will decode
        reference = keras.models.clone_model(model)
        reference.set_weights(model.get_weights())
        decoded = read_weights(bundle_dir, model_json["weightsManifest"])
        for name, variable in convert_model(reference).weights:
            variable.assign(decoded[name])

    softmax_layers = _softmax_outputs(reference)
    names = {layer.name for layer in softmax_layers}
    saved = [(layer, layer.activation) for layer in softmax_layers]
    with tempfile.TemporaryDirectory(prefix="clientside-verify-") as tmp:
        target = bundle_dir
        if names:
            target = Path(tmp)
            for group in model_json["weightsManifest"]:
                for p in group["paths"]:
                    os.symlink((bundle_dir / p).resolve(), target / p)
            logits_json = json.loads(json.dumps(model_json))
            _set_linear(logits_json["modelTopology"], names)
            (target / MODEL_JSON).write_text(json.dumps(logits_json))
        try:
            for layer in softmax_layers:
                layer.activation = keras.activations.linear
            expected = _predict(reference, inputs)
        finally:
            for layer, act in saved:
                layer.activation = act
        got = tfjs_node.predict(target, inputs)

    max_abs = max(float(np.abs(e - g).max()) for e, g in zip(expected, got))
    scale = max(max(float(np.abs(e).max()) for e in expected), 1e-6)
    top1 = _agreement(expected, got)
    report = VerifyReport(max_abs, max_abs / scale, tolerance, "logits" if names else "outputs", top1)
    if quantized:
        original = _predict(model, inputs)
        final = _predict(reference, inputs)
        report.quantized_max_abs_diff = max(float(np.abs(o - f).max()) for o, f in zip(original, final))
        report.quantized_top1_agreement = _agreement(original, final)
    return report


def _agreement(a: list[np.ndarray], b: list[np.ndarray]) -> float | None:
    first, second = a[0], b[0]
    if first.ndim < 2 or first.shape[-1] < 2:
        return None
    return float((first.argmax(-1) == second.argmax(-1)).mean())
