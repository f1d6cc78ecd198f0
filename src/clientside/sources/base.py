"""What every model source gives: a registry entry (Source) and what it makes of the
object or path a user hands in (SourceModel)."""
from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..contract import IO
from ..verify import Feeds, Hint

Say = Callable[[str], None]


@dataclass
class SourceModel:
    """A model as its source makes it ready for a runtime.

    graphs: runtime name -> a function making the graph that runtime writes (a Keras model
    for TF.js, an onnx.ModelProto for ONNX), in the source's order of preference; each is
    called only for the runtime chosen (making an ONNX graph from Keras takes a process).
    reference: the original model, feeds -> outputs, that the written model must reproduce.
    io: what the source knows of the inputs and outputs (kinds, labels, steps, shapes).
    examples: inputs to compare on, when the source has them (else they are sampled).
    about: what the source knows for the model card (a Keras model's own name as title).
    assets: bundle files beside the model that its input steps name (a Hugging Face tokenizer).
    hints: per input name, what the sampler should know of its values (vocabularies).
    """

    source: str
    title: str                                   # "Keras", "torch", ...: "onnxruntime reproduced <title>"
    graphs: dict[str, Callable[[Say], Any]]
    generated_by: str
    reference: Callable[[Feeds], Feeds] | None = None
    io: IO | None = None
    examples: Feeds | None = None
    examples_are: str = "random inputs"          # what `examples` are, for messages
    hints: Mapping[str, Hint] = field(default_factory=dict)
    native: Any = None                           # the user's own model object
    via: Mapping[str, str] = field(default_factory=dict)  # runtime -> how the graph reached it
    origin: str = ""                              # the source's title ("PyTorch"), set by the pipeline
    about: Mapping[str, str] = field(default_factory=dict)  # the card's title, description, if it knows them
    assets: Mapping[str, bytes] = field(default_factory=dict)  # files the input steps read (tokenizer.<hash>.json)
    verify_on_examples: bool = False   # --verify compares on `examples` (real text) rather than sampled inputs
    check_in_browser_runtime: bool = False  # the browser's runtime (under Node) is compared before writing too
    tolerance: float | None = None     # the source's own, stricter than the default (used unless one is given)
    reference_on_examples_only: bool = False  # the reference answers for `examples` alone (a table's sample rows)


@dataclass(frozen=True)
class Source:
    """One origin of models: a row of the sources table.

    accepts(obj): whether obj (a path or an object) is this source's; suffixes: the file
    suffixes it reads (what the CLI and error messages list); load(obj, **options) ->
    SourceModel, where options are the keyword arguments this source takes (torch's
    example_inputs, scikit-learn's sample...)."""

    name: str
    title: str
    what: str                                    # how an error lists it: "a .pt2 archive (torch.export)"
    accepts: Callable[[Any], bool]
    load: Callable[..., SourceModel]
    suffixes: tuple[str, ...] = ()
    folders: bool = False                        # whether it reads a folder (a save_pretrained one)


def as_path(obj: Any) -> Path | None:
    """obj as a Path when it is one (or a str naming one), else None."""
    return Path(obj) if isinstance(obj, (str, os.PathLike)) else None


def has_suffix(obj: Any, suffixes: tuple[str, ...]) -> bool:
    path = as_path(obj)
    return path is not None and path.suffix.lower() in suffixes
