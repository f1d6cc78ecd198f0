"""Keras 3 models: a keras.Model, or a .keras / .h5 file. TF.js runs them where its
converter translates every layer exactly; ONNX Runtime Web runs the rest (sources/keras_onnx.py
makes the ONNX graph without TensorFlow)."""
from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import contract
from ..errors import ExportError
from ..keras_backend import import_keras
from ..verify import Feeds, Hint, sample
from .base import Say, Source, SourceModel, as_path, has_suffix

SUFFIXES = (".keras", ".h5", ".hdf5")
#: What the ONNX export's example batch holds (a batch of 1 would let torch.export fix it).
EXAMPLE_BATCH = 3


def accepts(obj: Any) -> bool:
    if has_suffix(obj, SUFFIXES):
        return True
    keras = sys.modules.get("keras")
    return keras is not None and isinstance(obj, keras.Model)


def load_model(model: Any) -> Any:
    """A keras.Model as is, or one loaded from a .keras/.h5 path (with a clear error)."""
    path = as_path(model)
    if path is None:
        return model
    keras = import_keras()
    if path.suffix.lower() not in SUFFIXES:
        raise ExportError(f"Expected a .keras or .h5 file. Received: path='{path}'")
    if not path.is_file():
        raise ExportError(f"No model file at {path}.")
    try:
        return keras.saving.load_model(path, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for unreadable files
        raise ExportError(f"Keras could not load {path}: {exc}") from None


def load(model: Any, *, labels: Sequence[str] | None = None, say: Say | None = None) -> SourceModel:
    keras = import_keras(say)
    model = load_model(model)
    # a subclassed model has no inputs to read: TF.js refuses it with the reason, ONNX too
    found = io(model, labels) if _has_graph(model) else None
    hints = sampling_hints(model) if found else {}
    loaded = SourceModel(
        source="keras", title="Keras", native=model, io=found, hints=hints, graphs={},
        reference=lambda feeds: outputs(model, feeds),
        examples=sample(found.inputs, hints, batch=EXAMPLE_BATCH) if found else None,
        generated_by=f"keras {keras.__version__} ({keras.backend.backend()} backend)",
        via={"onnx": "through Keras's torch backend and torch.onnx (dynamo)"}, about=about(model))

    def to_onnx(say: Say) -> bytes:
        from .keras_onnx import convert

        if found is None:
            raise ExportError(f"{type(model).__name__} is a subclassed keras.Model: it has no config that describes "
                              "its call(); rebuild it as a Sequential or Functional model (same layers, same "
                              "weights) and export that")
        return convert(model, found, loaded.examples or [], say)

    loaded.graphs.update(tfjs=lambda say: model, onnx=to_onnx)
    return loaded


#: The names Keras gives a model its user did not name.
DEFAULT_NAMES = re.compile(r"(sequential|functional|model)(_\d+)?")


def about(model: Any) -> dict[str, str]:
    """The model's own name as the card's title, if its user gave it one."""
    name = str(getattr(model, "name", "") or "")
    return {"title": contract.readable(name)} if name and not DEFAULT_NAMES.fullmatch(name) else {}


def outputs(model: Any, feeds: Feeds) -> Feeds:
    """The model's outputs in its own backend, in model.outputs order."""
    import keras

    out = model(feeds if len(feeds) > 1 else feeds[0], training=False)
    if isinstance(out, dict):
        out = [out[name] for name in model.output_names]
    elif not isinstance(out, (list, tuple)):
        out = [out]
    return [np.asarray(keras.ops.convert_to_numpy(o), dtype=np.float32) for o in out]


# --- what the model says of its inputs and outputs ------------------------------------

def _has_graph(model: Any) -> bool:
    """Whether the model is a graph of layers (Sequential, Functional) with known inputs."""
    try:
        return bool(model.inputs)
    except (AttributeError, ValueError):
        return False


def _producer(tensor: Any) -> Any:
    history = getattr(tensor, "_keras_history", None)
    return getattr(history, "operation", None)


def _activation(layer: Any) -> str | None:
    if type(layer).__name__ == "Softmax":
        return "softmax"
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", None)


def _feeds_embedding(model: Any, input_layer: Any) -> bool:
    """True when an input goes straight into an Embedding (its values are ids)."""
    for layer in model.layers:
        if type(layer).__name__ != "Embedding":
            continue
        for node in getattr(layer, "_inbound_nodes", []):
            if any(_producer(t) is input_layer for t in node.input_tensors):
                return True
    return False


def io(model: Any, labels: Sequence[str] | None = None) -> contract.IO:
    """The contract's inputs and outputs as the model's shapes and last activations say."""
    inputs = []
    for i, t in enumerate(model.inputs):
        layer = _producer(t)
        inputs.append(contract.input_entry(getattr(layer, "name", None) or f"input_{i}", list(t.shape),
                                           str(t.dtype), _feeds_embedding(model, layer)))
    image_in = contract.the_image_input(inputs)
    outputs = [contract.output_entry(getattr(_producer(t), "name", None) or f"output_{i}", list(t.shape),
                                     _activation(_producer(t)), labels if i == 0 else None, image_in)
               for i, t in enumerate(model.outputs)]
    return contract.IO(inputs, outputs)


def _all_layers(model: Any) -> list[Any]:
    out = []
    for layer in model.layers:
        out.append(layer)
        if hasattr(layer, "layers"):
            out.extend(_all_layers(layer))
    return out


def _consumes(layer: Any, tensor: Any) -> bool:
    return any(t is tensor for node in getattr(layer, "_inbound_nodes", []) for t in node.input_tensors)


def sampling_hints(model: Any) -> dict[str, Hint]:
    """Per input: ids in [1, vocabulary) for an input that feeds an Embedding (whatever its
    dtype: Keras's default float Input is common), as padded sequences where the Embedding
    masks zeros; any other integer input below the smallest vocabulary of the model."""
    layers = _all_layers(model)
    smallest = min([layer.input_dim for layer in layers if hasattr(layer, "input_dim")] or [10])
    names = [entry["name"] for entry in io(model).inputs]
    hints = {}
    for name, t in zip(names, model.inputs):
        embeddings = [layer for layer in layers if hasattr(layer, "input_dim") and _consumes(layer, t)]
        if embeddings:
            hints[name] = Hint(high=min(layer.input_dim for layer in embeddings), low=1,
                               padded=any(getattr(layer, "mask_zero", False) for layer in embeddings))
        elif "int" in str(t.dtype):
            hints[name] = Hint(high=smallest)
    return hints


SOURCE = Source(name="keras", title="Keras", what="a .keras or .h5 file or a keras.Model (Keras 3)",
                accepts=accepts, load=load, suffixes=SUFFIXES)

__all__ = ["SOURCE", "io", "load", "load_model", "outputs", "sampling_hints"]
