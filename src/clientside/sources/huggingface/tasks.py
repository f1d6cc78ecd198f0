"""The tasks clientside takes from transformers, one row each (as Transformers.js keeps a table
of tasks): how a model's architecture names it, the Auto class that loads it, what the graph
gives (a tensor from the model's output), and the contract's output entry.

What is not a row is refused by `refusal`, with the reason and what would be needed.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ...errors import ExportError


@dataclass(frozen=True)
class Task:
    name: str                 # the pipeline's task name
    auto: str                 # transformers' Auto class
    suffixes: tuple[str, ...]  # architecture names ending so (BertForSequenceClassification)
    output: Callable[[Any, dict[str, Any], dict[str, Any]], Any]  # (model output, inputs, settings) -> one tensor
    entry: Callable[[Any], dict[str, Any]]  # config -> the contract's output entry
    input_kind: str = "text"


def _classes(config: Any) -> dict[str, Any]:
    labels = [str(config.id2label[i]) for i in range(config.num_labels)] if getattr(config, "id2label", None) else None
    problem = getattr(config, "problem_type", None)
    if problem == "regression" or (config.num_labels == 1 and problem is None and labels is None):
        return {"name": "logits", "kind": "values", "label": "Score"}
    entry: dict[str, Any] = {"name": "logits", "scores": "logits", "label": "Prediction"}
    if labels:
        entry["labels"] = labels
    if problem == "multi_label_classification":
        return {**entry, "kind": "multilabel", "threshold": 0.5}
    return {**entry, "kind": "classes", "top_k": min(5, config.num_labels)}


def _spans(config: Any) -> dict[str, Any]:
    labels = [str(config.id2label[i]) for i in range(config.num_labels)]
    return {"name": "logits", "kind": "spans", "label": "Entities", "labels": labels, "scores": "logits",
            "aggregation": "simple", "ignore": ["O"], "of": "input_ids"}


def _embedding(config: Any) -> dict[str, Any]:
    return {"name": "sentence_embedding", "kind": "embedding", "label": "Embedding"}


#: How a plain encoder's token vectors become one vector per text (sentence-transformers' Pooling
#: modes, the same arithmetic): a sentence-transformers folder brings its own modules instead.
POOLINGS = ("mean", "cls", "max", "mean_sqrt_len_tokens")


def pooled(out: Any, inputs: dict[str, Any], settings: dict[str, Any]) -> Any:
    """last_hidden_state pooled over the tokens the mask keeps, then L2-normalized if asked."""
    import torch

    hidden = out.last_hidden_state
    mask = inputs.get("attention_mask")
    if mask is None:
        mask = torch.ones(hidden.shape[:2], dtype=torch.int64)
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    mode = settings.get("pooling", "mean")
    if mode == "cls":
        vector = hidden[:, 0]
    elif mode == "max":
        vector = hidden.masked_fill(weights == 0, float("-inf")).max(dim=1).values
    else:
        count = torch.clamp(weights.sum(dim=1), min=1e-9)
        vector = (hidden * weights).sum(dim=1) / (count if mode == "mean" else torch.sqrt(count))
    return torch.nn.functional.normalize(vector, p=2, dim=1) if settings.get("normalize") else vector


TASKS: dict[str, Task] = {t.name: t for t in [
    Task("text-classification", "AutoModelForSequenceClassification", ("ForSequenceClassification",),
         lambda out, inputs, settings: out.logits, _classes),
    Task("token-classification", "AutoModelForTokenClassification", ("ForTokenClassification",),
         lambda out, inputs, settings: out.logits, _spans),
    Task("feature-extraction", "AutoModel", ("Model",), pooled, _embedding),
    Task("image-classification", "AutoModelForImageClassification", ("ForImageClassification",),
         lambda out, inputs, settings: out.logits, _classes, input_kind="image"),
]}

#: Pipelines' other names for a task.
ALIASES = {"sentiment-analysis": "text-classification", "sentence-similarity": "feature-extraction",
           "ner": "token-classification"}

#: Architectures that generate, and why clientside does not take them yet.
GENERATIVE = ("ForCausalLM", "LMHeadModel", "ForConditionalGeneration", "ForSeq2SeqLM", "ForSpeechSeq2Seq",
              "ForVision2Seq")


def by_name(name: str) -> Task:
    name = ALIASES.get(name, name)
    if name not in TASKS:
        raise ExportError(f"clientside does not take the task {name!r} yet. It takes: {', '.join(TASKS)}.")
    return TASKS[name]


def of_config(config: Any, asked: str | None = None) -> Task:
    """The task of a model: asked (--task, the pipeline's), else its config's architecture."""
    refused = refusal(config)
    if refused:
        raise ExportError(refused)
    if asked:
        return by_name(asked)
    architectures = list(getattr(config, "architectures", None) or [])
    for arch in architectures:
        for task in TASKS.values():
            if arch.endswith(task.suffixes):
                return task
    named = architectures[0] if architectures else f"a {config.model_type} model with no architecture in config.json"
    raise ExportError(f"{named}: clientside cannot tell its task. Give it with --task ({', '.join(TASKS)}) "
                      "or export the pipeline object (transformers.pipeline(task, model=...)).")


def refusal(config: Any) -> str | None:
    """Why a model cannot go to the browser as one graph, or None."""
    architectures = list(getattr(config, "architectures", None) or [])
    if getattr(config, "auto_map", None):
        return (f"{architectures[0] if architectures else 'This model'} needs remote code (config.json has "
                "auto_map: its classes are Python files in the folder). clientside does not run code from a model "
                "folder: export it to ONNX yourself (torch.onnx.export) and run "
                "`clientside export model.onnx OUT --tokenizer tokenizer.json`.")
    if getattr(config, "is_encoder_decoder", False):
        return (f"{architectures[0] if architectures else config.model_type}: an encoder-decoder model generates "
                "text token by token. That needs two graphs (encoder, and decoder with its cache) and a generation "
                "loop in the page; clientside takes one graph that predicts in one pass (classification, NER, "
                "embeddings).")
    for arch in architectures:
        if arch.endswith(GENERATIVE):
            return (f"{arch} generates text token by token: that needs a decoder graph with its key/value cache and "
                    "a generation loop (sampling, stopping) in the page, which clientside does not have. It takes "
                    "models that predict in one pass: " + ", ".join(TASKS) + ".")
    return None
