"""What a user says over what was inferred: --preprocess (an image recipe for the first
input), --labels (the first output), --meta (inputs and outputs entries, and the name), and
what a model's source knows over what its graph says."""
from __future__ import annotations

import copy
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import steps as step_kinds
from ..errors import BundleError
from .infer import IO

Contract = dict[str, Any]
Doc = dict[str, Any]  # a part of one (an entry, --meta)

#: Named input recipes a user can ask for with --preprocess NAME.
PRESETS: dict[str, Doc] = {
    "mnist": {"kind": "image", "widgets": ["upload", "paste", "draw"], "steps": step_kinds.image.MNIST_STEPS},
    "imagenet": {"kind": "image", "widgets": ["upload", "paste", "camera"], "steps": step_kinds.image.IMAGENET_STEPS},
}

#: What a runtime's graph says for certain of an entry, over what its source thought: a
#: graph may have fixed a dimension the model kept free (a batch of 1 for a masked RNN).
GRAPH_FIELDS = {"inputs": ("shape", "dtype"), "outputs": ("shape",)}
#: The contract's own fields that --meta may set.
TOP_FIELDS = ("title", "description", "prepare", "name")


def resolve_preset(value: str | Sequence[Doc] | Mapping[str, Any] | None) -> Doc | None:
    """--preprocess: a preset name, a JSON file of image steps (or of an entry's part, as
    clientside.audio's presets give), or the list or part itself -> the part of an input
    entry it sets."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return copy.deepcopy(dict(value))
    if isinstance(value, str):
        if value in PRESETS:
            return copy.deepcopy(PRESETS[value])
        path = Path(value)
        if not path.is_file():
            raise BundleError(f"Unknown preprocessing {value!r}: expected one of "
                              f"{', '.join(PRESETS)} or a JSON file of steps.")
        steps: Any = _load_json(path, "--preprocess")
        if isinstance(steps, dict):
            return steps
    else:
        steps = value
    return {"kind": "image", "steps": [dict(s) for s in steps]}


def load_meta(value: str | os.PathLike | Mapping[str, Any] | None) -> Doc | None:
    """--meta FILE: {"inputs": [...], "outputs": [...]} (and "title", "description", "prepare", "name")."""
    if value is None:
        return None
    meta = dict(value) if isinstance(value, Mapping) else _load_json(Path(value), "--meta")
    if not isinstance(meta, dict):
        raise BundleError("--meta: expected a JSON object with 'inputs' and/or 'outputs'")
    unknown = set(meta) - {"inputs", "outputs", *TOP_FIELDS}
    if unknown:
        raise BundleError(f"--meta: unknown field {sorted(unknown)[0]!r}; expected inputs, outputs, "
                          f"{', '.join(TOP_FIELDS)}")
    for key in ("inputs", "outputs"):
        if key in meta and not (isinstance(meta[key], list) and all(isinstance(e, dict) for e in meta[key])):
            raise BundleError(f"--meta: {key}: expected a list of objects")
    return meta


def with_card(meta: str | os.PathLike | Mapping[str, Any] | None, *, title: str | None = None,
              description: str | None = None) -> str | os.PathLike | Mapping[str, Any] | None:
    """--meta with --title and --description over it (a description naming a .md or .txt
    file is that file's text)."""
    if title is None and description is None:
        return meta
    doc = dict(load_meta(meta) or {})
    if title is not None:
        doc["title"] = title
    if description is not None:
        path = Path(description)
        if path.suffix.lower() in (".md", ".markdown", ".txt") and path.is_file():
            try:
                description = path.read_text()
            except (OSError, UnicodeDecodeError) as exc:
                raise BundleError(f"--description: cannot read {path} ({exc})") from None
        doc["description"] = description
    return doc


def _load_json(path: Path, what: str) -> Any:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        raise BundleError(f"{what}: no file {path}") from None
    except (OSError, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BundleError(f"{what}: {path} is not valid JSON ({exc})") from None


def merge(contract: Contract, *, meta: Doc | None = None, labels: Sequence[str] | None = None,
          preset: Doc | None = None) -> Contract:
    """What the user says over what was inferred: --preprocess (the first input), --labels
    (the first output), then --meta entries, matched by name, else by position."""
    contract = copy.deepcopy(contract)
    if preset is not None:
        contract["inputs"][0].update(preset)
    if labels:
        out = contract["outputs"][0]
        out["labels"] = list(labels)
        if out["kind"] in ("values", "tensor"):
            shape = out.get("shape") or []
            number = len(labels) > 1 and (len(shape) == 1 or (len(shape) == 2 and shape[1] == 1))
            out.update(kind="classes", scores="index" if number else "logits")  # one number: the class's
        for other in contract["outputs"][1:]:  # a classifier's probabilities beside its label output
            width = (other.get("shape") or [0])[-1]
            if other["kind"] == "classes" and not other.get("labels") and width == len(labels):
                other["labels"] = list(labels)
    for key in ("inputs", "outputs"):
        for i, entry in enumerate((meta or {}).get(key, [])):
            target = _match(contract[key], entry, i, key)
            _update(target, copy.deepcopy(entry))
    for key in TOP_FIELDS:
        if meta and key in meta:
            contract[key] = meta[key]
    return contract


def _update(target: Doc, entry: Doc) -> None:
    """entry over target; a table's features are matched by name, so --meta can relabel
    one feature and keep the range the sample gave it."""
    features = entry.pop("features", None)
    target.update(entry)
    if features is None:
        return
    if not isinstance(features, list) or not all(isinstance(f, dict) for f in features):
        target["features"] = features  # validation names what is wrong
        return
    merged = {f.get("name"): dict(f) for f in target.get("features", [])}
    for f in features:
        merged[f.get("name")] = {**merged.get(f.get("name"), {}), **f}
    target["features"] = list(merged.values())


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


def beyond_the_graph(known: IO) -> Doc:
    """What a source knows (kinds, steps, labels, names) as --meta-style entries to merge over
    what a runtime's graph says: everything but the fields the graph says for certain."""
    return {key: [{k: v for k, v in entry.items() if k not in GRAPH_FIELDS[key]} for entry in entries]
            for key, entries in (("inputs", known.inputs), ("outputs", known.outputs))}
