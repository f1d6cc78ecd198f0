"""The contract's JSON Schema (bundle.schema.json) and validation: the schema first, then
what a schema cannot say (each input kind's steps, labels per output unit, unique names).
Errors name the file and the JSON path of the bad field."""
from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from .. import steps as step_kinds
from ..errors import BundleError

FORMAT = 2
SCHEMA_PATH = Path(__file__).with_name("bundle.schema.json")

Contract = dict[str, Any]


@lru_cache(maxsize=1)
def schema() -> Contract:
    return json.loads(SCHEMA_PATH.read_text())


def json_path(parts: Sequence[Any]) -> str:
    """['inputs', 0, 'steps', 2, 'size'] -> 'inputs[0].steps[2].size'."""
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(the whole document)"


def validate(contract: Contract, source: str = "clientside.json") -> Contract:
    """The schema, then what a schema cannot say (each kind's steps, labels per unit)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    error = best_match(Draft202012Validator(schema()).iter_errors(contract))
    if error is not None:
        raise BundleError(f"{source}: {json_path(error.absolute_path)}: {error.message}")
    try:
        for i, spec in enumerate(contract["inputs"]):
            step_kinds.kind_module(spec["kind"]).validate(spec, f"inputs[{i}]")
        for i, spec in enumerate(contract["outputs"]):
            _validate_output(spec, f"outputs[{i}]")
    except ValueError as exc:
        raise BundleError(f"{source}: {exc}") from None
    _validate_parts(contract["inputs"], source)
    check_constants(contract["inputs"], source)
    for key in ("inputs", "outputs"):
        names = [s["name"] for s in contract[key]]
        if len(set(names)) != len(names):
            raise BundleError(f"{source}: {key}: two entries have the same name ({', '.join(names)})")
    return contract


def check_constants(inputs: Sequence[Contract], source: str) -> None:
    """A scalar input (shape []) is a setting of the model (a sampling rate), not an item:
    it needs its value. A constant is a tensor input with no steps, and not every input is one."""
    for i, spec in enumerate(inputs):
        if "value" in spec and (spec["kind"] != "tensor" or spec.get("steps")):
            raise BundleError(f"{source}: inputs[{i}] ({spec['name']}): a constant value goes on a tensor input "
                              "with no steps")
        if spec["shape"] == [] and "value" not in spec:
            raise BundleError(
                f"{source}: inputs[{i}] ({spec['name']}) is a scalar (shape []): a setting of the model, not an item "
                f"a visitor gives. Give its value in a --meta file: {{\"inputs\": [{{\"name\": \"{spec['name']}\", "
                f"\"value\": ...}}]}} (for a sampling rate: 16000).")
    if inputs and all("value" in spec for spec in inputs):
        raise BundleError(f"{source}: every input is a constant: the model would take nothing from a visitor")


def _validate_parts(inputs: Sequence[Contract], source: str) -> None:
    """An input made `from` another names a text input with a tokenizer step."""
    by_name = {s["name"]: s for s in inputs}
    for i, spec in enumerate(inputs):
        if "from" not in spec:
            continue
        origin = by_name.get(spec["from"])
        if origin is None or not step_kinds.text.is_tokenized(origin):
            raise BundleError(f"{source}: inputs[{i}].from: {spec['from']!r} is not a text input with a "
                              "tokenizer step (an attention mask or token types come from one)")


def _validate_output(spec: Contract, where: str) -> None:
    units = spec["shape"][-1] if spec.get("shape") and spec.get("scores") != "index" else None
    if spec["kind"] == "timeline":  # [items, frames] is one track; [items, frames, tracks] names each
        shape = spec.get("shape") or []
        if len(shape) not in (2, 3):
            raise ValueError(f"{where}: a timeline is [items, frames] or [items, frames, tracks], "
                             f"not {shape}")
        units = shape[2] if len(shape) == 3 else 1
    for key in ("labels", "names", "units"):
        given = spec.get(key)
        if given and units is not None and len(given) != units:
            raise ValueError(f"{where}.{key}: {len(given)} given for {units} output units")
    if spec["kind"] == "image":
        lo, hi = spec.get("range", (0, 1))
        if not hi > lo:
            raise ValueError(f"{where}.range: expected [low, high] with high > low. Received: {spec.get('range')}")
