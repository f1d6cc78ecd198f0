"""PyTorch modules (torch.nn.Module with example inputs), through torch.onnx.export's dynamo
exporter: the exporter torch has made its default, which records the module with
torch.export (the legacy TorchScript tracer is deprecated and fails on LayerNorm-style
graphs). The batch dimension stays free."""
from __future__ import annotations

import sys
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import ExportError
from ..verify import Feeds
from .base import Say, Source, SourceModel


def accepts(obj: Any) -> bool:
    torch = sys.modules.get("torch")
    keras = sys.modules.get("keras")
    # a Keras model on the torch backend is a torch Module too: the Keras source takes it
    return torch is not None and isinstance(obj, torch.nn.Module) and \
        not (keras is not None and isinstance(obj, keras.Model))


def reference(module: Any) -> Any:
    """The module as the comparison runs it: NumPy feeds in, NumPy outputs out (a dict, tuple
    or named tuple of tensors flattened in the order torch.export flattens it)."""
    import torch

    def run(feeds: Feeds) -> Feeds:
        with torch.no_grad():
            out = module(*[torch.from_numpy(np.asarray(f)) for f in feeds])
        return [o.detach().numpy() for _, o in flat_outputs(out)]

    return run


def flat_outputs(out: Any) -> list[tuple[str, Any]]:
    """What forward returned, as (name, tensor) in torch.export's order: a dict's tensors named
    by their keys ("logits", "aux.0"), a tuple's by position ("output_0"); anything else in it
    (None, a number, a string) is refused, naming where, with what to do."""
    import torch
    from torch.utils._pytree import tree_flatten_with_path

    if isinstance(out, torch.Tensor):
        return [("", out)]
    leaves, _ = tree_flatten_with_path(out)
    named = []
    for path, leaf in leaves:
        parts = [str(getattr(k, "key", getattr(k, "idx", getattr(k, "name", k)))) for k in path]
        name = ".".join(parts) if not isinstance(out, (tuple, list)) else "output_" + ".".join(parts)
        if not isinstance(leaf, torch.Tensor):
            raise ExportError(f"forward returns {type(leaf).__name__} at {name or 'its top'}: the page takes "
                              "tensors. Wrap the model in a Module whose forward returns only its tensors (a "
                              "tensor, a tuple or a dict of them).")
        named.append((name, leaf))
    if not named:
        raise ExportError("forward returns no tensor: the page takes tensors.")
    return named


def load(module: Any, *, example_inputs: Sequence[Any], input_names: Sequence[str] | None = None,
         dynamic_batch: bool = True) -> SourceModel:
    import torch

    module = module.eval()
    examples = tuple(x if isinstance(x, torch.Tensor) else torch.as_tensor(np.asarray(x)) for x in example_inputs)
    names = list(input_names or [f"input_{i}" if len(examples) > 1 else "input" for i in range(len(examples))])

    with torch.no_grad():
        returned = flat_outputs(module(*examples))
    output_names = None if returned[0][0] == "" else [name for name, _ in returned]

    def to_onnx(say: Say) -> Any:
        dynamic = None
        if dynamic_batch:
            batch = torch.export.Dim("batch")
            dynamic = tuple({0: batch} for _ in examples)
        try:
            with warnings.catch_warnings():  # torch's own deprecations, not the user's concern
                warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning, UserWarning))
                program: Any = torch.onnx.export(module, examples, input_names=names, output_names=output_names,
                                                 dynamo=True, dynamic_shapes=dynamic, verbose=False)
        except Exception as exc:  # noqa: BLE001 - torch.export raises many types
            hint = ("" if output_names is None else " If a part of what forward returns is made in Python (boxes "
                    "kept by a loop, a list of variable length), wrap the model to return fixed tensors only.")
            raise ExportError(f"torch.onnx.export could not export this module: {type(exc).__name__}: {exc}"
                              + hint) from None
        from ..runtimes.onnx.graph import without_debug_info

        return without_debug_info(program.model_proto)

    return SourceModel(source="torch", title="torch", graphs={"onnx": to_onnx}, reference=reference(module),
                       examples=[np.asarray(x.detach().numpy()) for x in examples], examples_are="the example inputs",
                       generated_by=f"torch {torch.__version__} (torch.onnx.export, dynamo)", native=module,
                       about=about(module))


def about(module: Any) -> dict[str, str]:
    """The module's class name as the card's title, unless it is torch's own container."""
    name = type(module).__name__
    return {} if type(module).__module__.startswith("torch.") else {"title": name}


SOURCE = Source(name="torch", title="PyTorch", what="a torch.nn.Module (with example_inputs=[...])",
                accepts=accepts, load=load)
