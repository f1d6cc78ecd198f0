"""ONNX files from any tool (an .onnx path, or an onnx.ModelProto): run by ONNX Runtime Web
as they are. With no reference given, the check only proves onnxruntime runs them.

With tokenizer= (`--tokenizer tokenizer.json`), a transformer exported elsewhere takes text:
its input_ids, attention_mask and token_type_ids come from the tokenizer step, and a graph
that gives token vectors (last_hidden_state) gets sentence pooling added (task
feature-extraction), checked against the file's own outputs pooled in NumPy."""
from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..errors import ExportError
from ..verify import Feeds
from .base import Say, Source, SourceModel, as_path, has_suffix

SUFFIXES = (".onnx",)
TEXT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")


def accepts(obj: Any) -> bool:
    return has_suffix(obj, SUFFIXES) or type(obj).__name__ == "ModelProto"


def load(source: Any, *, reference: Callable[[Feeds], Feeds] | None = None, generated_by: str | None = None,
         tokenizer: str | Path | None = None, task: str | None = None, pooling: str | None = None,
         normalize: bool | None = None) -> SourceModel:
    """reference(feeds) -> outputs: the model the file was made from, if you have it; the
    written bundle must then reproduce it. tokenizer: the tokenizer.json the model's token ids
    come from (a file, or a folder holding it); then task (text-classification or
    feature-extraction), pooling and normalize as for a Hugging Face folder."""
    from ..contract import IO
    from ..runtimes.onnx.graph import load as read
    from ..runtimes.onnx.graph import without_zipmap

    model = read(source)
    path = as_path(source)
    about = {"description": model.doc_string.strip()} if model.doc_string.strip() else {}
    made_by = generated_by or (path.name if path else "an ONNX file")
    if tokenizer is not None:
        return _with_tokenizer(model, Path(tokenizer), task, pooling, normalize, made_by, about)
    if task is not None or pooling is not None or normalize is not None:
        raise ExportError("--task, --pooling and --normalize go with --tokenizer for an ONNX file: the tokenizer "
                          "says how text becomes the model's input_ids.")

    model, zipped = without_zipmap(model)

    def graph(say: Say) -> Any:
        return model

    # a ZipMap's probabilities, labelled by its keys (labels= or --labels still win)
    known = IO([], [{"name": name, "kind": "classes", "scores": "probabilities", "labels": labels}
                    for name, labels in zipped.items()]) if zipped else None
    return SourceModel(source="onnx", title="the reference", graphs={"onnx": graph}, reference=reference,
                       generated_by=made_by, about=about, io=known)


def _with_tokenizer(model: Any, tokenizer: Path, task: str | None, pooling: str | None, normalize: bool | None,
                    made_by: str, about: dict[str, str]) -> SourceModel:
    from ..contract import IO
    from ..runtimes.onnx.graph import real_inputs
    from ..runtimes.onnx.run import run_onnxruntime
    from .huggingface import CHECK_TEXTS
    from .huggingface.pooling import append_pooling, numpy_pooled
    from .huggingface.tasks import POOLINGS
    from .huggingface.text import TextInput

    names = [v.name for v in real_inputs(model)]
    others = [n for n in names if n not in TEXT_INPUTS]
    if "input_ids" not in names or others:
        raise ExportError(f"--tokenizer gives a model input_ids, attention_mask and token_type_ids; this one takes "
                          f"{', '.join(names)}. Rename its inputs, or describe them with --meta.")
    fixed = _fixed_length(model)
    text_input = TextInput.of_file(tokenizer, names, fixed_length=fixed)
    outputs = list(model.graph.output)
    if len(outputs) != 1:
        raise ExportError(f"This model gives {len(outputs)} outputs ({', '.join(o.name for o in outputs)}); with "
                          "--tokenizer clientside takes one (logits, or token vectors to pool).")
    rank = len(outputs[0].type.tensor_type.shape.dim)
    task = task or ("feature-extraction" if rank == 3 else "text-classification")
    feeds = text_input.feeds(CHECK_TEXTS, order=names)
    original = model.SerializeToString()
    reference: Callable[[Feeds], Feeds] | None = None
    if task == "feature-extraction":
        mode = pooling or "mean"
        if mode not in POOLINGS:
            raise ExportError(f"pooling={mode!r}: expected one of {', '.join(POOLINGS)}")
        if rank == 3:
            if "attention_mask" not in names:
                raise ExportError("Pooling the token vectors needs the attention mask, and this model takes none.")
            hidden = outputs[0].name
            model = append_pooling(model, hidden, "attention_mask", mode, bool(normalize), "sentence_embedding")
            mask_at = names.index("attention_mask")

            def reference(feeds: Feeds) -> Feeds:
                tokens = run_onnxruntime(original, names, feeds)[0]
                return [numpy_pooled(tokens, feeds[mask_at], mode, bool(normalize))]

            about = {**about, "description": about.get("description") or
                     f"Sentence embeddings: {mode} pooling of {hidden}{', L2-normalized' if normalize else ''}."}
        output = {"name": model.graph.output[0].name, "kind": "embedding", "label": "Embedding"}
    elif task == "text-classification":
        if pooling is not None or normalize is not None:
            raise ExportError("--pooling and --normalize are for feature-extraction.")
        output = {"name": outputs[0].name, "kind": "classes", "scores": "logits", "label": "Prediction"}
    else:
        raise ExportError(f"With --tokenizer an ONNX file takes the task text-classification or feature-extraction. "
                          f"Received: {task!r}")
    entries = {e["name"]: e for e in text_input.entries()}
    proto = model

    def graph(say: Say) -> Any:
        return proto

    return SourceModel(source="onnx", title="the ONNX file" if reference is None else "the ONNX file, pooled in NumPy",
                       graphs={"onnx": graph}, reference=reference, io=IO([entries[n] for n in names], [output]),
                       examples=feeds, examples_are=f"{len(CHECK_TEXTS)} sentences, tokenized",
                       generated_by=made_by, about=about, assets={text_input.file: text_input.bytes},
                       verify_on_examples=True, check_in_browser_runtime=reference is not None,
                       tolerance=1e-4 if reference is not None else None)


def _fixed_length(model: Any) -> int | None:
    """The sequence length the graph fixes for input_ids, if it fixes one."""
    for v in model.graph.input:
        if v.name == "input_ids":
            dims = v.type.tensor_type.shape.dim
            if len(dims) >= 2 and dims[1].dim_value > 0:
                return int(dims[1].dim_value)
    return None


SOURCE = Source(name="onnx", title="ONNX file", what="an .onnx file or an onnx.ModelProto",
                accepts=accepts, load=load, suffixes=SUFFIXES)
