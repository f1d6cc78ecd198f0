"""--verify for TF.js: the written bundle in real TF.js under Node against Keras.

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
from pathlib import Path
from typing import Any

import numpy as np

from ...sources.base import SourceModel
from ...verify import DEFAULT_TOLERANCE, Report, compare, sample
from .converter.topology import convert_model
from .format import MODEL_JSON
from .weights import read_weights

#: How many inputs --verify runs when none are given.
VERIFY_BATCH = 8


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


def verify(source: SourceModel, bundle_dir: str | os.PathLike, inputs: Sequence[np.ndarray] | None = None,
           tolerance: float = DEFAULT_TOLERANCE) -> Report:
    """The bundle in real TF.js under Node against the Keras model it came from (source.native)."""
    import keras

    from . import node as tfjs_node

    model = source.native
    bundle_dir = Path(bundle_dir)
    model_json = json.loads((bundle_dir / MODEL_JSON).read_text())
    if inputs is not None:
        inputs = list(inputs)
    else:
        inputs = sample(source.io.inputs if source.io else [], source.hints, batch=VERIFY_BATCH)
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

    report = compare(expected, got, tolerance=tolerance, got_by="TF.js", expected_by="Keras",
                     compared="logits" if names else "outputs")
    if quantized:
        cost = compare(_predict(model, inputs), _predict(reference, inputs), got_by="stored", expected_by="float32")
        report.quantized_max_abs_diff = cost.max_abs_diff
        report.quantized_top1_agreement = cost.top1_agreement
    return report
