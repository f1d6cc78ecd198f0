"""Which runtime gets a model: written once, for every source.

auto: the source's own order of preference (Keras: TF.js first, since its bundles are
smaller and TF.js is already fast on them), skipping every runtime that cannot run the model
exactly; the refusals of the ones skipped are said as the reason. A runtime asked for by
name refuses instead, listing what it cannot run.
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..errors import ExportError
from ..sources.base import Say, SourceModel
from . import AUTO, RUNTIMES, Runtime

CHOICES = (AUTO, *RUNTIMES)
#: Options that shape a bundle's files or the choice itself, never a prediction: a runtime
#: that does not take them goes without (e.g. TF.js's shard size for an ONNX bundle).
LAYOUT_OPTIONS = frozenset({"shard_bytes", "allow_unknown"})


def choose(model: SourceModel, requested: str, options: Mapping[str, Any], say: Say) -> tuple[Runtime, Any]:
    """(the runtime, the graph it writes). options: the runtimes' own (allow_unknown...)."""
    if requested not in CHOICES:
        raise ExportError(f"Expected runtime to be one of {', '.join(CHOICES)}. Received: runtime={requested!r}")
    if requested != AUTO:
        if requested not in model.graphs:
            titles = " or ".join(RUNTIMES[n].title for n in model.graphs)
            names = " or ".join(repr(n) for n in model.graphs)
            raise ExportError(f"This model ({model.origin or model.title}) runs in {titles} only (runtime={names}). "
                              f"Received: runtime={requested!r}")
        runtime = RUNTIMES[requested]
        graph = model.graphs[requested](say)
        problems = runtime.problems(graph, **_taken(runtime, options))
        if problems:
            raise ExportError(runtime.refusal(problems))
        return runtime, graph
    passed: list[tuple[Runtime, list[Any]]] = []
    for name, make in model.graphs.items():
        runtime = RUNTIMES[name]
        for other, why in passed[-1:]:  # said before the next graph is made (which may say more)
            say(f"runtime: {runtime.name} ({runtime.title}), because {_short(other)} cannot run this model "
                "exactly:\n" + "\n".join(other.reasons(why)))
        graph = make(say)
        problems = runtime.problems(graph, **_taken(runtime, options))
        if not problems:
            return runtime, graph
        passed.append((runtime, problems))
    raise ExportError("\n".join(runtime.refusal(problems) for runtime, problems in passed))


def _short(runtime: Runtime) -> str:
    return {"tfjs": "TF.js"}.get(runtime.name, runtime.title)


def _taken(runtime: Runtime, options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k in runtime.options}


def settle_options(runtime: Runtime, options: Mapping[str, Any], quantize: str | None) -> dict[str, Any]:
    """The options the chosen runtime takes. One it does not take, given a value other than
    its default, stops the export (a TF.js quantization pattern is not silently dropped for
    an ONNX bundle), except layout options, which it goes without."""
    others = [r for r in RUNTIMES.values() if r is not runtime]
    foreign = [f"{key}={value!r}" if key != "quantize_patterns" else key
               for key, value in options.items()
               if key not in runtime.options and key not in LAYOUT_OPTIONS
               and any(key in r.options and value != r.options[key] for r in others)]
    if quantize is not None and not runtime.quantize:
        raise ExportError(f"{runtime.title} bundles are served with the weights the model has: quantize it where it "
                          f"was made (the TF.js converter's --quantize_float16 or --quantize_uint8), and drop "
                          f"quantize={quantize!r}. Nothing was written.")
    if quantize is not None and quantize not in runtime.quantize:
        foreign.append(f"quantize={quantize!r}")
    if foreign:
        takes = " or ".join(f"quantize={q!r}" for q in runtime.quantize)
        # the runtimes that take what was given (a TF.js graph model takes no quantize and no shard size)
        owning = [r for r in others if (quantize is not None and quantize in r.quantize)
                  or any(key in r.options for key in options if key not in runtime.options)]
        owners = " and ".join(_short(r) for r in owning or others)
        raise ExportError(f"{', '.join(foreign)} only apply to {owners} bundles ({runtime.title.split()[0]} bundles "
                          f"take {takes}), and this model goes to {runtime.title}; nothing was written.")
    return {k: v for k, v in options.items() if k in runtime.options}
