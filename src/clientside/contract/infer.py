"""What a model's shapes say for certain, as contract entries: an image gets the steps that
make a picture fit (no scaling: pixels stay 0..255), anything else is a tensor; an output is
what its last activation says. Every source and runtime infers through these two functions."""
from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

Entry = dict[str, Any]

#: The largest picture an image input of any height and width is fed at its own size.
DYNAMIC_MAX_PIXELS = 4_000_000


def readable(name: str) -> str:
    """A column or model name as a person writes it: "malic_acid" -> "Malic acid",
    "od280/od315_of_diluted_wines" -> "Od280/od315 of diluted wines". Names with capitals
    of their own ("pH", "LSTAT", "SmallCNN") keep them."""
    words = re.sub(r"[_\s]+", " ", name).strip()
    if not words:
        return name
    first = words.split(" ", 1)[0]
    return words[0].upper() + words[1:] if first.islower() else words


class IO(NamedTuple):
    """A model's inputs and outputs as contract entries."""

    inputs: list[Entry]
    outputs: list[Entry]


def input_entry(name: str, shape: Sequence[int | None], dtype: str = "float32",
                feeds_embedding: bool = False) -> Entry:
    """An input as inferred from its shape. Only what the shape says for certain: an image
    gets the steps that make a picture fit (no scaling: pixels stay 0..255), anything
    else is a tensor. Text and tables need their steps declared (--meta)."""
    shape = list(shape)
    if dtype not in ("uint8", "float64"):
        dtype = "int64" if "int64" in dtype else "int32" if "int" in dtype else "float32"
    if len(shape) == 4 and shape[1] in (1, 3) and shape[-1] not in (1, 3, 4) and not feeds_embedding:
        # channels first (PyTorch): [batch, channels, height, width]
        entry = input_entry(name, [shape[0], shape[2], shape[3], shape[1]], dtype)
        return {**entry, "shape": shape, "layout": "nchw"}
    if len(shape) == 4 and shape[-1] in (1, 3, 4) and not feeds_embedding:
        entry = {"name": name, "shape": shape, "dtype": dtype, "kind": "image",
                 "widgets": ["upload", "paste"], "steps": image_fit_steps(shape)}
        if shape[1] is None or shape[2] is None:
            entry["max_pixels"] = DYNAMIC_MAX_PIXELS
        return entry
    return {"name": name, "shape": shape, "dtype": dtype, "kind": "tensor", "steps": []}


def image_fit_steps(shape: Sequence[int | None]) -> list[Entry]:
    """Transparent pixels on white, grey if one channel, resized if the size is fixed."""
    steps: list[Entry] = []
    if shape[-1] != 4:
        steps.append({"op": "flatten_alpha", "background": 255})
    if shape[-1] == 1:
        steps.append({"op": "grayscale"})
    if shape[1] is not None and shape[2] is not None:
        steps.append({"op": "resize", "size": [shape[1], shape[2]]})
    return steps


def output_entry(name: str, shape: Sequence[int | None] | None, activation: str | None,
                 labels: Sequence[str] | None = None, image_in: Entry | None = None) -> Entry:
    """An output as its last activation says: softmax -> classes, sigmoid -> multilabel,
    linear with labels -> classes (logits), linear -> values; a picture (rank 4, 1 or 3
    channels) from a model that takes one is an image in the input's range; anything else
    a tensor."""
    shape = list(shape) if shape is not None else None
    rank2 = shape is not None and len(shape) == 2
    entry: Entry = {"name": name, "shape": shape}
    if image_in is not None and shape is not None and len(shape) == 4 and shape[-1] in (1, 3) and \
            not any(isinstance(d, int) and d < 8 for d in shape[1:3]):  # [1, 1, 17, 3]: 17 keypoints, not a picture
        scaled = any(s["op"] == "normalize" for s in image_in["steps"])
        entry.update(kind="image", range=[0, 1] if scaled else [0, 255])
    elif activation == "softmax" and rank2:
        entry.update(kind="classes", scores="probabilities")
    elif activation == "sigmoid" and rank2:
        entry.update(kind="multilabel", scores="probabilities", threshold=0.5)
    elif activation in (None, "linear") and rank2 and labels:
        entry.update(kind="classes", scores="logits")
    elif activation in (None, "linear") and rank2:
        entry.update(kind="values")
    else:
        entry.update(kind="tensor")
    if labels and entry["kind"] in ("classes", "multilabel"):
        entry["labels"] = list(labels)
    return entry


def the_image_input(inputs: Sequence[Entry]) -> Entry | None:
    """The one input, when it is an image: what an image output is drawn in the range of."""
    return inputs[0] if len(inputs) == 1 and inputs[0]["kind"] == "image" else None
