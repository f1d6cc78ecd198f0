"""Write a TF.js bundle: model.json + weight shards + clientside.json, whole.

Nothing is written unless every layer converts exactly; an existing bundle at the target is
only replaced once the new one is complete.
"""
from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ... import contract
from ...errors import ExportError
from ...files import ModelFile, folder_name, new_folder, sha256_bytes
from ...sources.base import Say, SourceModel
from ...version import __version__
from ..base import is_bundle_folder
from .converter import refusal
from .converter.topology import convert_model
from .format import DEFAULT_SHARD_BYTES, MODEL_JSON, QUANTIZE_DTYPES
from .weights import Quantization, write_shards


def write(graph: Any, out_dir: str | os.PathLike, model: SourceModel, *, labels: Sequence[str] | None = None,
          preprocess: Any = None, meta: Any = None, name: str | None = None, inputs: Any = None,
          tolerance: float | None = None, quantize: str | None = None, say: Say = print,
          shard_bytes: int = DEFAULT_SHARD_BYTES, allow_unknown: Sequence[str] = (),
          quantize_patterns: Sequence[str] = ("*",)) -> Path:
    """The Keras model `graph` as a bundle in out_dir.

    model: its source (what it knows of the inputs and outputs). quantize: "float16",
    "uint16" or "uint8" stores float32 weights (those whose names match quantize_patterns,
    fnmatch-style, e.g. "dense*/kernel") in 2 or 1 bytes. The converter is exact by
    construction, so the check against Keras is --verify's (verify.py), in real TF.js.
    """
    import keras

    conversion = convert_model(graph, frozenset(allow_unknown))
    if conversion.problems or conversion.topology is None:
        raise ExportError(refusal(conversion.problems))
    quantization = None
    if quantize is not None:
        if quantize not in QUANTIZE_DTYPES:
            raise ExportError(f"Expected quantize to be one of {', '.join(QUANTIZE_DTYPES)}. "
                              f"Received: quantize={quantize!r}")
        quantization = Quantization(quantize, tuple(quantize_patterns))
    if model.io is None:
        raise ExportError(f"{model.title} gives no inputs and outputs for a TF.js bundle")
    out_dir = Path(out_dir)
    draft = contract.draft("tfjs", name or folder_name(out_dir.resolve()), model.io, known=model.about, meta=meta,
                           preprocess=preprocess)
    with new_folder(out_dir, ours=is_bundle_folder, what="bundle") as tmp:
        manifest, shards = write_shards(conversion.weights, tmp, shard_bytes, quantization)
        model_json = {
            "format": "layers-model",
            "generatedBy": model.generated_by,
            "convertedBy": f"clientside {__version__}",
            "modelTopology": {**conversion.topology, "keras_version": keras.__version__,
                              "backend": keras.backend.backend()},
            "weightsManifest": manifest,
        }
        model_bytes = json.dumps(model_json, separators=(",", ":")).encode()
        (tmp / MODEL_JSON).write_bytes(model_bytes)
        files = [ModelFile(MODEL_JSON, len(model_bytes), sha256_bytes(model_bytes)), *shards]
        draft.update(
            files=[f.entry() for f in files],
            content_hash=files[0].sha256[:16],
            params=int(graph.count_params()),
            quantization=None if quantization is None else
            {"dtype": quantization.dtype, "patterns": list(quantization.patterns)},
            generated_by=model_json["generatedBy"], converted_by=model_json["convertedBy"],
        )
        contract.validate(draft, f"{out_dir / contract.BUNDLE_JSON}")
        (tmp / contract.BUNDLE_JSON).write_text(json.dumps(draft, indent=2) + "\n")
    return out_dir
