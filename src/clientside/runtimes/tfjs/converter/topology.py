"""Model topology: Keras 3 Sequential/Functional config -> the Keras-2-style JSON TF.js reads.

Collects every problem of every layer before anything is written, so one error lists
them all.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .masks import check_masks, tfjs_layer_classes
from .registry import REFUSED_LAYERS, Config, LayerContext, Problem, converter_for, layer_weights

_MODEL_CLASSES = ("Sequential", "Functional", "Model")

#: Keras call arguments that do not change an inference result.
_HARMLESS_KWARGS = frozenset({"training", "mask"})


@dataclass
class Conversion:
    """The result of walking a model: TF.js topology, named weights, and problems found."""

    topology: Config | None = None
    weights: list[tuple[str, Any]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    allow_unknown: frozenset[str] = frozenset()


def model_kind(model: Any) -> str:
    """'Sequential', 'Functional', or 'subclassed' (which has no config to translate)."""
    import keras

    if isinstance(model, keras.Sequential):
        return "Sequential"
    cls = type(model)
    if cls.__name__ == "Functional" and cls.__module__.startswith("keras"):
        return "Functional"
    if isinstance(model, keras.Model) and hasattr(model, "_operations") and cls is keras.Model:
        return "Functional"
    return "subclassed"


def convert_model(model: Any, allow_unknown: frozenset[str] = frozenset()) -> Conversion:
    conv = Conversion(allow_unknown=allow_unknown)
    kind = model_kind(model)
    if kind == "subclassed":
        conv.problems.append(Problem(
            model.name, type(model).__name__, "subclassed model",
            "a subclassed keras.Model has no config that describes its call(); rebuild it "
            "as a Sequential or Functional model (same layers, same weights) and export that"))
        return conv
    conv.topology = _convert(model, kind, conv)
    conv.problems.extend(check_masks(model, tfjs_layer_classes(conv.topology)))
    seen: set[str] = set()
    for name, _ in conv.weights:
        if name in seen:
            layer = name.rsplit("/", 1)[0]
            conv.problems.append(Problem(layer, "layer name", "duplicate weight name",
                                         f"two layers (in nested models) are both named {layer!r}; "
                                         "TF.js matches weights by name: give them unique names"))
        seen.add(name)
    return conv


def _convert(model: Any, kind: str, conv: Conversion) -> Config:
    config = model.get_config()
    objects = {layer.name: layer for layer in model.layers}
    # TF.js (like Keras 2) counts a nested model's own construction as its node 0, so the
    # first call of a nested model from outside is node 1; Keras 3 calls it node 0.
    # Keras 3 already counts it so in input_layers/output_layers of a nested Functional
    # (not of a nested Sequential), but never in inbound_nodes.
    nested = {e["config"].get("name") or e.get("name") for e in config["layers"]
              if e["class_name"] in _MODEL_CLASSES}
    nested_sequential = {e["config"].get("name") or e.get("name") for e in config["layers"]
                         if e["class_name"] == "Sequential"}
    layers_out = []
    mask_ops = _mask_only_ops(config)
    for entry in config["layers"]:
        name = entry["config"].get("name") or entry.get("name")
        if name in mask_ops:
            continue  # TF.js computes masks itself; check_masks proves it gets the same ones
        layer = objects.get(name)
        converted = _convert_layer(entry, layer, conv)
        if converted is None:
            continue
        if kind == "Functional":
            converted["name"] = name
            converted["inbound_nodes"] = _inbound_nodes(entry, conv, name, nested)
        layers_out.append(converted)
    out: Config = {"name": config["name"], "layers": layers_out}
    if kind == "Functional":
        out["input_layers"] = _node_refs(config["input_layers"], nested_sequential)
        out["output_layers"] = _node_refs(config["output_layers"], nested_sequential)
        return {"class_name": "Model", "config": out}
    return {"class_name": "Sequential", "config": out}


def _convert_layer(entry: Config, layer: Any, conv: Conversion) -> Config | None:
    class_name = entry["class_name"]
    config = entry["config"]
    ctx = LayerContext(layer=layer, class_name=class_name, config=config)
    if class_name in _MODEL_CLASSES:
        kind = model_kind(layer) if layer is not None else "subclassed"
        if kind == "subclassed":
            conv.problems.append(Problem(ctx.name, class_name, "nested model",
                                         "a subclassed model used as a layer has no config to translate"))
            return None
        nested = _convert(layer, kind, conv)
        nested["config"]["name"] = ctx.name
        return nested
    if class_name in REFUSED_LAYERS:
        ctx.refuse("layer class", REFUSED_LAYERS[class_name])
        conv.problems.extend(ctx.problems)
        return None
    converter = converter_for(class_name)
    if converter is None:
        if class_name in conv.allow_unknown:
            if layer is not None:
                conv.weights.extend(layer_weights(class_name, layer))
            return {"class_name": class_name, "config": config}
        where = entry.get("module") or "unknown module"
        registered = entry.get("registered_name")
        custom = registered and registered != class_name
        reason = ("a custom layer: TF.js needs a matching class registered in the page; pass "
                  f"allow_unknown=['{class_name}'] if you will register it"
                  if custom or not where.startswith("keras.")
                  else "a Keras layer that TF.js layers does not implement")
        ctx.refuse("layer class", f"{reason} ({where})")
        conv.problems.extend(ctx.problems)
        return None
    converted = converter(ctx)
    conv.problems.extend(ctx.problems)
    if converted is None:
        return None
    if layer is not None:
        conv.weights.extend(layer_weights(class_name, layer))
    return {"class_name": converted.class_name, "config": converted.config}


def _ref(ref: list, nested: set[str]) -> list:
    layer, node, index = ref[:3]
    return [layer, node + 1 if layer in nested else node, index]


def _inbound_nodes(entry: Config, conv: Conversion, layer_name: str, nested: set[str]) -> list:
    """Keras 3 writes {"args": [...], "kwargs": {...}} per call; TF.js wants
    [[layer, node_index, tensor_index, kwargs], ...] per call."""
    nodes = []
    for node in entry.get("inbound_nodes", []):
        refs: list = []
        _collect_tensors(node.get("args", []), refs)
        kwargs = {k: v for k, v in node.get("kwargs", {}).items() if k not in _HARMLESS_KWARGS}
        for key, value in kwargs.items():
            conv.problems.append(Problem(layer_name, entry["class_name"], f"call argument {key}={value!r}",
                                         "TF.js layers cannot pass extra call arguments"))
        nodes.append([[*_ref(ref, nested), {}] for ref in refs])
    return nodes


def _collect_tensors(value: Any, refs: list) -> None:
    if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
        refs.append(list(value["config"]["keras_history"]))
    elif isinstance(value, (list, tuple)):
        for item in value:
            _collect_tensors(item, refs)


def _node_refs(value: list, nested: set[str]) -> list:
    """A single input/output is written flat (["img", 0, 0]); TF.js wants a list of them."""
    if value and isinstance(value[0], str):
        value = [value]
    return [_ref(list(v), nested) for v in value]


def _mask_only_ops(config: Config) -> set[str]:
    """Keras 3 writes the operations that compute a mask (NotEqual for Embedding(mask_zero),
    LogicalOr, Any... for Concatenate's) into a Functional config, feeding the `mask`
    argument of the layers that use it. TF.js computes masks in its layers instead, so these
    are left out of the topology: an operation whose outputs reach only `mask` arguments."""
    def name_of(entry: Config) -> str:
        return str(entry["config"].get("name") or entry.get("name"))

    entries = config.get("layers", [])
    ops = {name_of(e) for e in entries if (e.get("module") or "").startswith("keras.src.ops")}
    users: dict[str, list[tuple[str, bool]]] = {}  # op -> [(user, as a mask argument)]
    for entry in entries:
        for node in entry.get("inbound_nodes", []):
            refs: list = []
            _collect_tensors(node.get("args", []), refs)
            for key, value in node.get("kwargs", {}).items():
                kw_refs: list = []
                _collect_tensors(value, kw_refs)
                refs += [[*r, key == "mask"] for r in kw_refs]
            for ref in refs:
                users.setdefault(ref[0], []).append((name_of(entry), len(ref) > 3 and ref[3] is True))
    outputs = {ref[0] for ref in _node_refs(config.get("output_layers", []), set())}
    changed = True
    while changed:
        changed = False
        for op in sorted(ops):
            if op in outputs or any(not as_mask and user not in ops for user, as_mask in users.get(op, [])):
                ops.discard(op)
                changed = True
    return ops
