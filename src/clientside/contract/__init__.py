"""The bundle contract (clientside.json, format 2): the one place it is built, merged,
migrated and validated.

The contract says which runtime runs the model, which files make it (size, sha256), what
each input takes (`kind` and `steps`) and what each output gives (`kind`, labels...). The
exporter writes it, the server reads it and hands it to the page unchanged, and the page
and worker dispatch on it. bundle.schema.json is its JSON Schema; the kinds' own rules
(step names and parameters) are checked by the step registries in clientside/steps.
"""
from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import steps as step_kinds
from ..errors import BundleError

FORMAT = 2
#: The largest picture an image input of any height and width is fed at its own size.
DYNAMIC_MAX_PIXELS = 4_000_000
SCHEMA_PATH = Path(__file__).with_name("bundle.schema.json")
RUNTIME_TFJS = "tfjs-layers"
RUNTIME_ONNX = "onnx"

Doc = dict[str, Any]

#: Named input recipes a user can ask for with --preprocess NAME.
PRESETS: dict[str, Doc] = {
    "mnist": {"kind": "image", "widgets": ["upload", "paste", "draw"], "steps": step_kinds.image.MNIST_STEPS},
    "imagenet": {"kind": "image", "widgets": ["upload", "paste", "camera"], "steps": step_kinds.image.IMAGENET_STEPS},
}


@lru_cache(maxsize=1)
def schema() -> Doc:
    return json.loads(SCHEMA_PATH.read_text())


def json_path(parts: Sequence[Any]) -> str:
    """['inputs', 0, 'steps', 2, 'size'] -> 'inputs[0].steps[2].size'."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(the whole document)"


def validate(doc: Doc, source: str = "clientside.json") -> Doc:
    """The schema, then what a schema cannot say (each kind's steps, labels per unit).
    Errors name the file and the JSON path of the bad field."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema()).iter_errors(doc))
    if error is not None:
        raise BundleError(f"{source}: {json_path(error.absolute_path)}: {error.message}")
    try:
        for i, spec in enumerate(doc["inputs"]):
            step_kinds.kind_module(spec["kind"]).validate(spec, f"inputs[{i}]")
        for i, spec in enumerate(doc["outputs"]):
            _validate_output(spec, f"outputs[{i}]")
    except ValueError as exc:
        raise BundleError(f"{source}: {exc}") from None
    for key in ("inputs", "outputs"):
        names = [s["name"] for s in doc[key]]
        if len(set(names)) != len(names):
            raise BundleError(f"{source}: {key}: two entries have the same name ({', '.join(names)})")
    return doc


def _validate_output(spec: Doc, where: str) -> None:
    units = spec["shape"][-1] if spec.get("shape") else None
    for key in ("labels", "names", "units"):
        given = spec.get(key)
        if given and units is not None and len(given) != units:
            raise ValueError(f"{where}.{key}: {len(given)} given for {units} output units")
    if spec["kind"] == "image":
        lo, hi = spec.get("range", (0, 1))
        if not hi > lo:
            raise ValueError(f"{where}.range: expected [low, high] with high > low. Received: {spec.get('range')}")


# --- what a model's shapes say --------------------------------------------------------

def input_entry(name: str, shape: Sequence[int | None], dtype: str = "float32",
                feeds_embedding: bool = False) -> Doc:
    """An input as inferred from its shape. Only what the shape says for certain: an image
    gets the steps that make a picture fit (no scaling: pixels stay 0..255), anything
    else is a tensor. Text and tables need their steps declared (--meta)."""
    shape = list(shape)
    dtype = "int64" if "int64" in dtype else "int32" if "int" in dtype else "float32"
    if len(shape) == 4 and shape[1] in (1, 3) and shape[-1] not in (1, 3, 4) and not feeds_embedding:
        # channels first (PyTorch): [batch, channels, height, width]
        entry = input_entry(name, [shape[0], shape[2], shape[3], shape[1]], dtype)
        return {**entry, "shape": shape, "layout": "nchw"}
    if len(shape) == 4 and shape[-1] in (1, 3, 4) and not feeds_embedding:
        entry = {"name": name, "shape": shape, "dtype": dtype, "kind": "image",
                 "widgets": ["upload", "paste"], "steps": image_fit_steps(shape)}
        if shape[1] is None or shape[2] is None:
            entry["max_pixels"] = DYNAMIC_MAX_PIXELS
        return entry
    return {"name": name, "shape": shape, "dtype": dtype, "kind": "tensor", "steps": []}


def image_fit_steps(shape: Sequence[int | None]) -> list[Doc]:
    """Transparent pixels on white, grey if one channel, resized if the size is fixed."""
    steps: list[Doc] = []
    if shape[-1] != 4:
        steps.append({"op": "flatten_alpha", "background": 255})
    if shape[-1] == 1:
        steps.append({"op": "grayscale"})
    if shape[1] is not None and shape[2] is not None:
        steps.append({"op": "resize", "size": [shape[1], shape[2]]})
    return steps


def output_entry(name: str, shape: Sequence[int | None] | None, activation: str | None,
                 labels: Sequence[str] | None = None, image_in: Doc | None = None) -> Doc:
    """An output as its last activation says: softmax -> classes, sigmoid -> multilabel,
    linear with labels -> classes (logits), linear -> values; a picture (rank 4, 1 or 3
    channels) from a model that takes one is an image in the input's range; anything else
    a tensor."""
    shape = list(shape) if shape is not None else None
    rank2 = shape is not None and len(shape) == 2
    entry: Doc = {"name": name, "shape": shape}
    if image_in is not None and shape is not None and len(shape) == 4 and shape[-1] in (1, 3):
        scaled = any(s["op"] == "normalize" for s in image_in["steps"])
        entry.update(kind="image", range=[0, 1] if scaled else [0, 255])
    elif activation == "softmax" and rank2:
        entry.update(kind="classes", scores="probabilities")
    elif activation == "sigmoid" and rank2:
        entry.update(kind="multilabel", scores="probabilities", threshold=0.5)
    elif activation in (None, "linear") and rank2 and labels:
        entry.update(kind="classes", scores="logits")
    elif activation in (None, "linear") and rank2:
        entry.update(kind="values")
    else:
        entry.update(kind="tensor")
    if labels and entry["kind"] in ("classes", "multilabel"):
        entry["labels"] = list(labels)
    return entry


def _layers(model_json: Doc) -> tuple[list[Doc], Doc]:
    topology = model_json.get("modelTopology", {})
    topology = topology.get("model_config", topology)
    config = topology.get("config", {})
    layers = config.get("layers", []) if isinstance(config, dict) else config
    return layers, config if isinstance(config, dict) else {}


def infer_from_model_json(model_json: Doc, labels: Sequence[str] | None = None) -> tuple[list[Doc], list[Doc]]:
    """Inputs and outputs of a TF.js layers model (a folder from the official converter)."""
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
        inputs.append(input_entry(first.get("name", "input"), shape, first.get("dtype", "float32"), feeds))
    for name in input_names:
        cfg = by_name.get(name, {}).get("config", {})
        shape = cfg.get("batch_input_shape") or cfg.get("batch_shape")
        if not shape:
            raise BundleError(f"model.json: input layer {name!r} has no batch_input_shape.")
        inputs.append(input_entry(name, shape, cfg.get("dtype", "float32"), name in embedded))
    output_names = [entry[0] for entry in config.get("output_layers", [])] or \
        ([layers[-1].get("config", {}).get("name")] if layers else [])
    outputs = []
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
        image_in = inputs[0] if len(inputs) == 1 and inputs[0]["kind"] == "image" else None
        outputs.append(output_entry(name or f"output_{i}", shape, activation, labels if i == 0 else None, image_in))
    return inputs, outputs


CONV_2D = ("Conv2D", "Conv2DTranspose", "SeparableConv2D")


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


# --- what a user says -------------------------------------------------------------------

def resolve_preset(value: str | Sequence[Doc] | None) -> Doc | None:
    """--preprocess: a preset name, a JSON file of image steps, or the list itself -> the
    part of an input entry it sets."""
    if value is None:
        return None
    if isinstance(value, str):
        if value in PRESETS:
            return copy.deepcopy(PRESETS[value])
        path = Path(value)
        if not path.is_file():
            raise BundleError(f"Unknown preprocessing {value!r}: expected one of "
                              f"{', '.join(PRESETS)} or a JSON file of steps.")
        value = _load_json(path, "--preprocess")
    return {"kind": "image", "steps": [dict(s) for s in value]}


def load_meta(value: str | Path | Mapping[str, Any] | None) -> Doc | None:
    """--meta FILE: {"inputs": [...], "outputs": [...]} (and "prepare", "name")."""
    if value is None:
        return None
    meta = dict(value) if isinstance(value, Mapping) else _load_json(Path(value), "--meta")
    if not isinstance(meta, dict):
        raise BundleError("--meta: expected a JSON object with 'inputs' and/or 'outputs'")
    unknown = set(meta) - {"inputs", "outputs", "prepare", "name"}
    if unknown:
        raise BundleError(f"--meta: unknown field {sorted(unknown)[0]!r}; expected inputs, outputs, prepare or name")
    for key in ("inputs", "outputs"):
        if key in meta and not (isinstance(meta[key], list) and all(isinstance(e, dict) for e in meta[key])):
            raise BundleError(f"--meta: {key}: expected a list of objects")
    return meta


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{what}: no file {path}") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{what}: {path} is not valid JSON ({exc})") from None


def merge(doc: Doc, *, meta: Doc | None = None, labels: Sequence[str] | None = None,
          preset: Doc | None = None) -> Doc:
    """What the user says over what was inferred: --preprocess (the first input), --labels
    (the first output), then --meta entries, matched by name, else by position."""
    doc = copy.deepcopy(doc)
    if preset is not None:
        doc["inputs"][0].update(preset)
    if labels:
        out = doc["outputs"][0]
        out["labels"] = list(labels)
        if out["kind"] in ("values", "tensor"):
            out.update(kind="classes", scores="logits")
    for key in ("inputs", "outputs"):
        for i, entry in enumerate((meta or {}).get(key, [])):
            target = _match(doc[key], entry, i, key)
            target.update(copy.deepcopy(entry))
    for key in ("prepare", "name"):
        if meta and key in meta:
            doc[key] = meta[key]
    return doc


def _match(entries: list[Doc], entry: Doc, i: int, key: str) -> Doc:
    if "name" in entry:
        for target in entries:
            if target["name"] == entry["name"]:
                return target
        raise BundleError(f"--meta: {key}[{i}].name: the model has no {key[:-1]} named {entry['name']!r} "
                          f"(it has {', '.join(repr(e['name']) for e in entries)})")
    if i >= len(entries):
        raise BundleError(f"--meta: {key}[{i}]: the model has only {len(entries)} {key}")
    return entries[i]


def from_v1(meta: Doc, model_json: Doc) -> Doc:
    """A format-1 clientside.json as a format-2 contract (before `files`, which the
    loader measures). Format 1 knew one input, image steps (`preprocess`) and labels."""
    inferred_in, inferred_out = infer_from_model_json(model_json, meta.get("labels"))
    inputs = [dict(e) for e in meta.get("inputs") or inferred_in]
    for e in inputs:
        e["shape"] = list(e["shape"])
        e.update(dtype="int32" if "int" in str(e.get("dtype", "float32")) else "float32")
        e.setdefault("kind", input_entry(e["name"], e["shape"])["kind"])
        e.setdefault("steps", [])
        if e["kind"] == "image":
            e.setdefault("widgets", ["upload", "paste"])
    if meta.get("preprocess"):
        preset = resolve_preset(meta["preprocess"]) if isinstance(meta["preprocess"], str) else \
            {"kind": "image", "steps": meta["preprocess"]}
        inputs[0].update(preset, widgets=["upload", "paste", "draw"])
    for e in inputs:
        if e["kind"] == "image" and not e["steps"]:
            e["steps"] = image_fit_steps(e["shape"])
    outputs = []
    for i, e in enumerate(meta.get("outputs") or inferred_out):
        guess = inferred_out[i] if i < len(inferred_out) else {}
        entry = output_entry(e["name"], e.get("shape"), _guess_activation(guess), meta.get("labels") if i == 0 else None)
        outputs.append(entry)
    doc = {"format": FORMAT, "name": meta.get("name"), "runtime": RUNTIME_TFJS,
           "content_hash": meta.get("content_hash"), "inputs": inputs, "outputs": outputs}
    for key in ("prepare", "params", "quantization"):
        if meta.get(key) is not None:
            doc[key] = meta[key]
    return doc


def _guess_activation(entry: Doc) -> str | None:
    return {"classes": "softmax" if entry.get("scores") == "probabilities" else None,
            "multilabel": "sigmoid"}.get(entry.get("kind"))
