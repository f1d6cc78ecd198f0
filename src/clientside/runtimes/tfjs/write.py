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

from ... import __version__
from ... import contract
from ...bundle import BUNDLE_JSON, MODEL_JSON, ShardFile
from ...errors import ExportError
from ...keras_backend import import_keras
from .converter.registry import Problem
from .converter.topology import Conversion, convert_model
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


def infer_io(model: Any, labels: Sequence[str] | None = None) -> tuple[list[dict], list[dict]]:
    """The contract's inputs and outputs as the model's shapes and last activations say."""
    inputs = []
    for i, t in enumerate(model.inputs):
        layer = _producer(t)
        inputs.append(contract.input_entry(getattr(layer, "name", None) or f"input_{i}", list(t.shape),
                                           str(t.dtype), _feeds_embedding(model, layer)))
    image_in = inputs[0] if len(inputs) == 1 and inputs[0]["kind"] == "image" else None
    outputs = [contract.output_entry(getattr(_producer(t), "name", None) or f"output_{i}", list(t.shape),
                                     _activation(_producer(t)), labels if i == 0 else None, image_in)
               for i, t in enumerate(model.outputs)]
    return inputs, outputs


def describe(doc: dict) -> str:
    """One line per input and output: what the page will offer (printed by the CLI)."""
    lines = []
    for e in doc["inputs"]:
        steps = ", ".join(s["op"] for s in e["steps"]) or "none"
        lines.append(f"  input {e['name']} {e['shape']}: {e['kind']} (steps: {steps})")
    for e in doc["outputs"]:
        extra = f", {len(e['labels'])} labels" if e.get("labels") else ""
        lines.append(f"  output {e['name']} {e['shape']}: {e['kind']}"
                     f"{' (' + e['scores'] + ')' if 'scores' in e else ''}{extra}")
    return "\n".join(lines)


def export(model: Any, out_dir: str | os.PathLike, *, labels: Sequence[str] | None = None,
           preprocess: str | Sequence[dict] | None = None, name: str | None = None,
           meta: str | os.PathLike | dict | None = None,
           shard_bytes: int = DEFAULT_SHARD_BYTES, allow_unknown: Sequence[str] = (),
           quantize: str | None = None, quantize_patterns: Sequence[str] = ("*",)) -> Path:
    """Write `model` (a keras.Model or a .keras/.h5 path) as a clientside bundle in out_dir.

    preprocess: image steps for the first input (a preset name, a JSON file, or a list).
    meta: inputs and outputs entries (a dict or a JSON file) merged over what is inferred,
    e.g. a text input's steps or an output's kind.
    quantize: "float16", "uint16" or "uint8" stores float32 weights (those whose names
    match quantize_patterns, fnmatch-style, e.g. "dense*/kernel") in 2 or 1 bytes.
    """
    keras = import_keras()

    model = load_model(model)
    conversion = convert_model(model, frozenset(allow_unknown))
    if conversion.problems:
        raise ExportError(format_problems(conversion.problems))
    quantization = None
    if quantize is not None:
        if quantize not in QUANTIZE_DTYPES:
            raise ExportError(f"Expected quantize to be one of {', '.join(QUANTIZE_DTYPES)}. "
                              f"Received: quantize={quantize!r}")
        quantization = Quantization(quantize, tuple(quantize_patterns))
    out_dir = Path(out_dir)
    inputs, outputs = infer_io(model, labels)
    doc = contract.merge({"format": contract.FORMAT, "name": name or _name_of(out_dir),
                          "runtime": contract.RUNTIME_TFJS, "inputs": inputs, "outputs": outputs},
                         meta=contract.load_meta(meta), preset=contract.resolve_preset(preprocess))
    tmp = new_bundle_folder(out_dir)
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
        files = [ShardFile(MODEL_JSON, len(model_bytes), hashlib.sha256(model_bytes).hexdigest()),
                 *(ShardFile(s.path, s.size, s.sha256) for s in shards)]
        doc.update(
            files=[f.entry() for f in files],
            content_hash=hashlib.sha256(model_bytes).hexdigest()[:16],
            params=int(model.count_params()),
            quantization=None if quantization is None else
            {"dtype": quantization.dtype, "patterns": list(quantization.patterns)},
            generated_by=model_json["generatedBy"], converted_by=model_json["convertedBy"],
        )
        contract.validate(doc, f"{out_dir / BUNDLE_JSON}")
        (tmp / BUNDLE_JSON).write_text(json.dumps(doc, indent=2) + "\n")
        _replace_dir(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out_dir


def _name_of(out_dir: Path) -> str:
    from ...bundle import _folder_name

    return _folder_name(out_dir.resolve())


def new_bundle_folder(out_dir: Path) -> Path:
    """A temporary folder beside out_dir to write a bundle into (then _replace_dir); refuses
    a target that is a file, or a folder with something in it that is not a bundle."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(f"{out_dir} exists and is not a folder.")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not any((out_dir / f).exists() for f in (MODEL_JSON, BUNDLE_JSON)):
        raise ExportError(f"{out_dir} is not empty and holds no bundle: refusing to write into it.")
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))


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
