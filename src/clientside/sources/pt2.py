"""torch.export archives (.pt2, from torch.export.save): the program is what torch.onnx
records, with the dynamic shapes it was exported with; its example inputs (or `inputs`)
are what the written model must reproduce torch on."""
from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from ..errors import ExportError
from .base import Say, Source, SourceModel, has_suffix
from .torch import reference

SUFFIXES = (".pt2",)


def load(source: Any, *, inputs: Any = None) -> SourceModel:
    try:
        import torch
    except ImportError:
        raise ExportError(".pt2 archives need PyTorch: pip install torch") from None
    path = Path(source)
    if not path.is_file():
        raise ExportError(f"No file at {path}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            program = torch.export.load(str(path))
    except Exception as exc:  # noqa: BLE001 - torch raises many types for unreadable archives
        raise ExportError(f"{path} is not a torch.export archive that can be read: {exc}") from None
    args, kwargs = program.example_inputs or ((), {})
    examples = [a.detach().numpy() for a in args] if args and not kwargs else None
    if examples is None and inputs is None:
        raise ExportError(f"{path} holds no example inputs (positional tensors) to compare on: "
                          "pass --inputs FILE.npz")

    def to_onnx(say: Say) -> Any:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                exported: Any = torch.onnx.export(program, dynamo=True, verbose=False)
                from ..runtimes.onnx.graph import without_debug_info

                return without_debug_info(exported.model_proto)
        except Exception as exc:  # noqa: BLE001 - torch.export raises many types
            raise ExportError(f"torch.onnx.export could not export {path.name}: {type(exc).__name__}: {exc}") from None

    return SourceModel(source="pt2", title="torch", graphs={"onnx": to_onnx}, reference=reference(program.module()),
                       examples=examples, examples_are="the archive's example inputs",
                       generated_by=f"{path.name} (torch {torch.__version__}, torch.onnx)")


SOURCE = Source(name="pt2", title="torch.export archive", what="a .pt2 archive (torch.export.save)",
                accepts=lambda obj: has_suffix(obj, SUFFIXES), load=load, suffixes=SUFFIXES)
