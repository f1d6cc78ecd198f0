"""TF.js graph models that no one here wrote: @vladmandic/human's, written by the official
converter (tests/npm/package.json; `make test` installs them). What each one exercises:

    emotion      no signature (inputs are its Placeholders, outputs what nothing consumes),
                 float32 weights, a softmax over 7 classes after a pooled convolution
    movenet      an int32 picture in, a fixed batch of 1, float16 weights, [1, 1, 17, 3] out
    handtrack    a uint8 picture of any size in, control flow and NonMaxSuppression (only
                 executeAsync runs it), uint8-quantized weights, 8 outputs
    faceres      three outputs (sigmoid, pooled features, softmax), float16 weights
"""
from __future__ import annotations

from pathlib import Path

import pytest

HUMAN = Path(__file__).resolve().parents[2] / "npm" / "node_modules" / "@vladmandic" / "human" / "models"

#: Licences: the package is MIT; each model's own origin is in its JSON's generatedBy.
EMOTION, MOVENET, HANDTRACK, FACERES = (HUMAN / f"{n}.json" for n in ("emotion", "movenet-lightning",
                                                                        "handtrack", "faceres"))
EMOTIONS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]


def human_models() -> list[Path]:
    if not HUMAN.is_dir():
        pytest.fail(f"{HUMAN} is missing: `make test` installs it (tests/npm/package.json).")
    return sorted(p for p in HUMAN.glob("*.json") if p.name != "models.json")
