"""Export, stage by stage: the one path from what a user hands in to a bundle on disk, for
the Python API and the CLI alike.

    1. source    sources.resolve(model).load(...)   -> SourceModel (graphs, reference, io)
    2. runtime   runtimes.choice.choose(...)          -> the runtime and its graph (auto: written once)
    3. write     runtime.write(...)                   -> the bundle, exact against the source or not at all
    4. verify    runtime.verify(...)   (on request)   -> a Report from the browser's runtime under Node
"""
from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import contract, sources
from .contract import check as self_check
from .errors import ExportError
from .runtimes import Runtime
from .runtimes.choice import AUTO, choose, settle_options
from .sources.base import SourceModel
from .verify import DEFAULT_TOLERANCE, Feeds, Report

log = logging.getLogger("clientside.export")

#: Options every source takes through the pipeline itself (a source's load() may ask for them too).
COMMON = ("labels", "inputs", "say")


@dataclass
class Exported:
    """A written bundle, and what it came from (for --verify and the CLI's report)."""

    path: Path
    runtime: Runtime
    model: SourceModel
    inputs: Feeds | None
    checked: str            # what the export compared, in words
    tolerance: float = DEFAULT_TOLERANCE  # what it was held to (a source may ask for less than the default)


def export_bundle(model: Any, out_dir: str | os.PathLike, *, runtime: str = AUTO,
                  labels: Sequence[str] | None = None, preprocess: str | Sequence[dict[str, Any]] | None = None,
                  meta: str | os.PathLike | Mapping[str, Any] | None = None, name: str | None = None,
                  title: str | None = None, description: str | None = None, inputs: Feeds | None = None,
                  tolerance: float = DEFAULT_TOLERANCE, quantize: str | None = None,
                  say: Callable[[str], None] | None = None, progress: Callable[[str], None] | None = None,
                  **options: Any) -> Exported:
    """Stages 1 to 3 (see the module's docstring); options: the source's own (see its
    load()) and the runtimes' own (e.g. TF.js's shard_bytes, allow_unknown, quantize_patterns).
    progress: told each stage as it starts (the CLI prints them: an export can take a minute)."""
    say = say or log.warning
    progress = progress or (lambda _: None)
    meta = contract.with_card(meta, title=title, description=description)
    source = sources.resolve(model)
    source_options, runtime_options = _split(source, options, labels=labels, inputs=inputs, say=say)
    what = f"{Path(model).name}" if isinstance(model, (str, os.PathLike)) else "the model"
    progress(f"loading {what} ({source.title})…")
    loaded = source.load(model, **source_options)
    loaded.origin = source.title
    if loaded.tolerance is not None and tolerance == DEFAULT_TOLERANCE:
        tolerance = loaded.tolerance
    if inputs is not None:
        loaded.examples = [_array(x) for x in inputs]
        loaded.examples_are = "the given inputs"
    progress("choosing the browser runtime" + (" (a Keras model bound for ONNX is converted in a child process: "
                                               "about 20 s)…" if source.name == "keras" else "…"))
    chosen, graph = choose(loaded, runtime, runtime_options, say)
    taken = settle_options(chosen, runtime_options, quantize)
    progress(f"writing the {chosen.title} bundle and checking it against {loaded.title}…")
    path = chosen.write(graph, Path(out_dir), loaded, labels=labels, preprocess=preprocess, meta=meta, name=name,
                        inputs=loaded.examples, tolerance=tolerance, quantize=quantize, say=say, **taken)
    try:
        self_check.add(path, loaded, tolerance)  # what the page checks each backend against
    except Exception as exc:  # noqa: BLE001 - the bundle stands without it; said, not hidden
        say(f"no self-check written into the bundle (the page will not check its backend): "
            f"{type(exc).__name__}: {exc}")
    checked_on = loaded.examples if inputs is not None or loaded.verify_on_examples else None
    return Exported(path, chosen, loaded, checked_on, _checked(chosen, loaded), tolerance)


def export(model: Any, out_dir: str | os.PathLike, **settings: Any) -> Path:
    """See clientside.export."""
    return export_bundle(model, out_dir, **settings).path


def verify(exported: Exported, tolerance: float | None = None) -> Report:
    """Stage 4: the written bundle in the browser's own runtime, under Node (tolerance: the
    export's own unless given)."""
    return exported.runtime.verify(exported.path, exported.model, exported.inputs,
                                   exported.tolerance if tolerance is None else tolerance)


def _split(source: sources.Source, options: dict[str, Any], **common: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The source's options (its load()'s keywords) and the rest, the runtimes' options."""
    from .runtimes import RUNTIMES

    taken = inspect.signature(source.load).parameters
    runtime_names = {key for r in RUNTIMES.values() for key in r.options}
    mine = {k: v for k, v in options.items() if k in taken}
    mine.update({k: v for k, v in common.items() if k in taken and v is not None})
    unknown = sorted(set(options) - set(taken) - runtime_names)
    if unknown:
        accepted = sorted(({k for k in taken if k not in ("model",)} - set(COMMON)) | runtime_names)
        raise ExportError(f"{source.title} models take no option {unknown[0]!r}. Options: {', '.join(accepted)}")
    missing = [p.name for p in list(taken.values())[1:]
               if p.default is inspect.Parameter.empty and p.name not in mine]
    if missing:
        raise ExportError(f"{source.title} models need {missing[0]}=...: see clientside.export's docstring")
    return mine, {k: v for k, v in options.items() if k not in taken}


def _checked(runtime: Runtime, model: SourceModel) -> str:
    if runtime.name == "tfjs":
        return "exact by construction; --verify runs it in TF.js"
    if runtime.name == "tfjs-graph":
        return "its files as they are; TF.js ran it under Node on random inputs"
    did = f"reproduced {model.title}" if model.reference is not None else "ran it"
    return f"onnxruntime {did} on {model.examples_are if model.examples is not None else 'random inputs'}"


def _array(x: Any) -> Any:
    import numpy as np

    return np.asarray(x)
