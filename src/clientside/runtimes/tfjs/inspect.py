"""A TF.js layers model.json as the contract sees it: its inputs and outputs, inferred from
the topology (for folders written by other tools, such as the official converter)."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ... import contract
from ...errors import BundleError

Doc = dict[str, Any]

CONV_2D = ("Conv2D", "Conv2DTranspose", "SeparableConv2D")


def is_layers_model(model_json: Doc) -> bool:
    return model_json.get("format", "layers-model") == "layers-model" and "modelTopology" in model_json


def _layers(model_json: Doc) -> tuple[list[Doc], Doc]:
    topology = model_json.get("modelTopology", {})
    topology = topology.get("model_config", topology)
    config = topology.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else config
    return layers, config if isinstance(config, dict) else {}


def io(model_json: Doc, labels: Sequence[str] | None = None) -> contract.IO:
    """Inputs and outputs of a TF.js layers model."""
    layers, config = _layers(model_json)
    by_name = {layer.get("config", {}).get("name"): layer for layer in layers}
    embedded = {inbound[0] for layer in layers if layer.get("class_name") == "Embedding"
                for node in layer.get("inbound_nodes", []) for inbound in _inbound(node)}
    inputs = []
    input_names = [entry[0] for entry in config.get("input_layers", [])]
    if not input_names:  # Sequential: the first layer carries the input shape
        first = layers[0].get("config", {}) if layers else {}
        shape = first.get("batch_input_shape") or first.get("batch_shape")
        if not shape:
            raise BundleError("model.json names no input shape (no layer has batch_input_shape).")
        feeds = bool(layers) and layers[0].get("class_name") == "Embedding"
        inputs.append(contract.input_entry(first.get("name", "input"), shape, first.get("dtype", "float32"), feeds))
    for name in input_names:
        cfg = by_name.get(name, {}).get("config", {})
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if not shape:
            raise BundleError(f"model.json: input layer {name!r} has no batch_input_shape.")
        inputs.append(contract.input_entry(name, shape, cfg.get("dtype", "float32"), name in embedded))
    output_names = [entry[0] for entry in config.get("output_layers", [])] or \
        ([layers[-1].get("config", {}).get("name")] if layers else [])
    outputs = []
    image_in = contract.the_image_input(inputs)
    for i, name in enumerate(output_names):
        layer = by_name.get(name, {})
        cfg = layer.get("config", {})
        activation = _activation_of(layer)
        cls = layer.get("class_name")
        shape = None
        if cls == "Dense" and cfg.get("units"):
            shape = [None, cfg["units"]]
        elif cls in CONV_2D and cfg.get("filters"):
            shape = [None, None, None, cfg["filters"]]  # a picture, of a size model.json does not say
        elif activation in ("softmax", "sigmoid") and labels and i == 0:
            shape = [None, len(labels)]
        outputs.append(contract.output_entry(name or f"output_{i}", shape, activation,
                                             labels if i == 0 else None, image_in))
    return contract.IO(inputs, outputs)


def _inbound(node: Any) -> list[Any]:
    if isinstance(node, dict):  # Keras 3 style
        return [arg["config"]["keras_history"] for arg in node.get("args", [])
                if isinstance(arg, dict) and "keras_history" in arg.get("config", {})]
    return list(node) if isinstance(node, list) else []


def _activation_of(layer: Doc) -> str | None:
    cls, cfg = layer.get("class_name"), layer.get("config", {})
    if cls == "Softmax":
        return "softmax"
    activation = cfg.get("activation")
    if isinstance(activation, dict):
        activation = activation.get("config", {}).get("name") or activation.get("class_name")
    return activation


def weight_paths(model_json: Doc) -> list[str]:
    """Every shard model.json names, in manifest order."""
    return [rel for group in model_json.get("weightsManifest", []) for rel in group.get("paths", [])]
