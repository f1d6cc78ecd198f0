"""Contracts written by earlier versions, read as today's: format 1 (one input, image steps
in `preprocess`, labels), and format 2 with a runtime's old name."""
from __future__ import annotations

from typing import Any

from .infer import IO, image_fit_steps, input_entry, output_entry
from .merge import resolve_preset
from .schema import FORMAT

Contract = dict[str, Any]

#: Runtime names contracts used before, and the one name each has now.
RENAMED_RUNTIMES = {"tfjs-layers": "tfjs"}


def runtime_name(stored: Contract) -> str | None:
    """The runtime a stored contract names, by its name of today."""
    name = stored.get("runtime")
    return RENAMED_RUNTIMES.get(name, name) if isinstance(name, str) else name


def upgrade(stored: Contract) -> Contract:
    """A format-2 contract as this version writes it (the runtime's name of today)."""
    if stored.get("runtime") in RENAMED_RUNTIMES:
        return {**stored, "runtime": RENAMED_RUNTIMES[stored["runtime"]]}
    return stored


def from_v1(stored: Contract, inferred: IO, runtime: str) -> Contract:
    """A format-1 clientside.json as a format-2 contract (before `files`, which the
    loader measures). Format 1 knew one input, image steps (`preprocess`) and labels;
    inferred: what the model file itself says."""
    inferred_in, inferred_out = inferred
    inputs = [dict(e) for e in stored.get("inputs") or inferred_in]
    for e in inputs:
        e["shape"] = list(e["shape"])
        e.update(dtype="int32" if "int" in str(e.get("dtype", "float32")) else "float32")
        e.setdefault("kind", input_entry(e["name"], e["shape"])["kind"])
        e.setdefault("steps", [])
        if e["kind"] == "image":
            e.setdefault("widgets", ["upload", "paste"])
    if stored.get("preprocess"):
        preset = resolve_preset(stored["preprocess"]) if isinstance(stored["preprocess"], str) else \
            {"kind": "image", "steps": stored["preprocess"]}
        inputs[0].update(preset or {}, widgets=["upload", "paste", "draw"])
    for e in inputs:
        if e["kind"] == "image" and not e["steps"]:
            e["steps"] = image_fit_steps(e["shape"])
    outputs = []
    for i, e in enumerate(stored.get("outputs") or inferred_out):
        guess = inferred_out[i] if i < len(inferred_out) else {}
        labels = stored.get("labels") if i == 0 else None
        outputs.append(output_entry(e["name"], e.get("shape"), _guess_activation(guess), labels))
    contract = {"format": FORMAT, "name": stored.get("name"), "runtime": runtime,
                "content_hash": stored.get("content_hash"), "inputs": inputs, "outputs": outputs}
    for key in ("prepare", "params", "quantization"):
        if stored.get(key) is not None:
            contract[key] = stored[key]
    return contract


def _guess_activation(entry: Contract) -> str | None:
    return {"classes": "softmax" if entry.get("scores") == "probabilities" else None,
            "multilabel": "sigmoid"}.get(str(entry.get("kind")))
