"""The bundle contract (clientside.json, format 2): what a bundle is made of and what its
model takes and gives. Every part of clientside calls this document the contract.

It says which runtime runs the model, which files make it (size, sha256; the first is the
model's entry: model.json or the .onnx file), what each input takes (`kind` and `steps`) and
what each output gives (`kind`, labels...). A runtime's writer drafts it, the server reads it
and hands it to the page unchanged, and the page and worker dispatch on it.

    schema.py    the JSON Schema (bundle.schema.json) and validation
    infer.py     entries from what a model's shapes say
    merge.py     what the user says (--preprocess, --labels, --meta) over what was inferred
    migrate.py   format 1, and old runtime names, read as today's
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .infer import DYNAMIC_MAX_PIXELS, IO, image_fit_steps, input_entry, output_entry, readable, the_image_input
from .merge import PRESETS, beyond_the_graph, load_meta, merge, resolve_preset, with_card
from .schema import FORMAT, SCHEMA_PATH, Contract, check_constants, json_path, schema, validate

BUNDLE_JSON = "clientside.json"


def draft(runtime: str, name: str, io: IO, *, known: Mapping[str, Any] | None = None,
          meta: str | Path | Mapping[str, Any] | None = None,
          preprocess: str | Sequence[dict[str, Any]] | None = None) -> Contract:
    """A new contract, before its files: what the graph says (io), what the model's source
    knows over it (known: entries merged by name), then what the user says (--meta,
    --preprocess)."""
    contract = {"format": FORMAT, "name": name, "runtime": runtime,
                "inputs": io.inputs, "outputs": io.outputs}
    if known:
        contract = merge(contract, meta=dict(known))
    return merge(contract, meta=load_meta(meta), preset=resolve_preset(preprocess))


def describe(contract: Contract) -> str:
    """One line per input and output: what the page will offer (printed by the CLI)."""
    lines = []
    for e in contract["inputs"]:
        steps = ", ".join(s["op"] for s in e["steps"]) or "none"
        lines.append(f"  input {e['name']} {e['shape']}: {e['kind']} (steps: {steps})")
    for e in contract["outputs"]:
        extra = f", {len(e['labels'])} labels" if e.get("labels") else ""
        lines.append(f"  output {e['name']} {e['shape']}: {e['kind']}"
                     f"{' (' + e['scores'] + ')' if 'scores' in e else ''}{extra}")
    return "\n".join(lines)


__all__ = ["BUNDLE_JSON", "DYNAMIC_MAX_PIXELS", "FORMAT", "IO", "PRESETS", "SCHEMA_PATH", "Contract",
           "beyond_the_graph", "check_constants", "describe", "draft", "image_fit_steps", "input_entry", "json_path",
           "load_meta", "merge", "output_entry", "readable", "resolve_preset", "schema", "the_image_input", "validate",
           "with_card"]
