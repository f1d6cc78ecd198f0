"""Train the keyword demo (eight spoken words) and export it as a bundle with an audio input.

The words come from espeak-ng (keywords/data.py); the features are the bundle's own audio
steps run in Python (clientside.steps.audio), so the page computes the same numbers from a
file or the microphone. A small CNN over 40 log-mel bands, Adam; about a minute on two cores.
"""
from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .. import audio as presets
from ..steps import audio as audio_steps
from . import data

#: 1 s at 16 kHz, a 512-point STFT every 10 ms, 40 mel bands in dB: [40, 101]
PRESET = presets.input_from_librosa(sr=16000, n_fft=512, hop_length=160, n_mels=40, seconds=1.0,
                                    max_seconds=30)
DEFAULT_EPOCHS = 12
NOISE = (0.0, 0.003, 0.01, 0.03)  # the noise added to the training words (standard deviation)


@dataclass(frozen=True)
class TrainResult:
    bundle: Path
    held_out_accuracy: float  # on the eight words said by voices never heard in training
    held_out_count: int
    seconds: float
    model: Any = None  # the trained keras.Model
    #: the same voices saying other words, and seconds of no word: how often each is named right
    other_accuracy: float = 0.0
    other_count: int = 0
    silence_accuracy: float = 0.0
    silence_count: int = 0


def features(clips: list[np.ndarray], rate: int) -> np.ndarray:
    """The bundle's input steps on each clip, in Python: [clips, 40, 101] float32."""
    steps = PRESET["steps"]
    return np.stack([audio_steps.run_steps(audio_steps.from_samples(c, rate), steps).data for c in clips]
                    ).astype(np.float32)


def build_model():  # -> keras.Model
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((40, 101), name="mel"),
        layers.Rescaling(1 / 40, offset=1.0),  # dB (-80 to 0) to about -1..1
        layers.Reshape((40, 101, 1)),
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dropout(0.3),
        layers.Dense(64, activation="relu"),
        layers.Dense(len(data.LABELS), activation="softmax", name="word"),
    ], name="keywords")


def train(out_dir: str | os.PathLike, *, epochs: int = DEFAULT_EPOCHS, seed: int = 0,
          say: Callable[[str], None] = print) -> TrainResult:
    """Speak the words, train, measure on the held-out voices, export to out_dir."""
    from ..keras_backend import import_keras
    from ..pipeline import export

    keras = import_keras(say)
    rng = np.random.default_rng(seed)
    started = time.perf_counter()
    training, others = list(data.spoken(rng=rng)), list(data.others(rng=rng))
    held_out, held_out_others = list(data.spoken(held_out=True)), list(data.others(held_out=True))
    say(f"data: espeak-ng said {len(data.WORDS)} words {len(training):,} times and {len(data.OTHER_WORDS)} other "
        f"words {len(others):,} times in {len(data.voices()):,} voices for training; {len(held_out):,} and "
        f"{len(held_out_others):,} times in {len(data.HELD_OUT_VOICES)} other voices to test")
    rate = training[0].rate
    x, y = [], []
    for clip in training:  # each word twice: somewhere in its second, in noise
        for _ in range(2):
            x.append(data.placed(clip, 1.0, rng, float(rng.choice(NOISE))))
            y.append(data.label(clip))
    for clip in others:  # other words once each; as many seconds with no word at all
        x.append(data.placed(clip, 1.0, rng, float(rng.choice(NOISE))))
        y.append(data.label(clip))
        x.append(data.quiet(1.0, rate, rng))
        y.append(data.LABELS.index(data.SILENCE))
    x_train = features(x, rate)
    y_train = np.asarray(y)
    silences = [data.quiet(1.0, rate, rng) for _ in held_out_others]
    tests = {"words": ([data.placed(c, 1.0, rng, 0.0) for c in held_out], [data.label(c) for c in held_out]),
             "other": ([data.placed(c, 1.0, rng, 0.0) for c in held_out_others],
                       [data.label(c) for c in held_out_others]),
             "silence": (silences, [data.LABELS.index(data.SILENCE)] * len(silences))}

    keras.utils.set_random_seed(seed)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(2e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    for epoch in range(1, epochs + 1):
        history = model.fit(x_train, y_train, batch_size=32, epochs=1, shuffle=True, verbose=0)
        say(f"epoch {epoch}/{epochs}: loss {history.history['loss'][-1]:.4f}, "
            f"accuracy {history.history['accuracy'][-1]:.4f} ({time.perf_counter() - started:.0f} s)")
    right = {}
    for group, (clips, labels) in tests.items():
        guesses = model.predict(features(clips, rate), verbose=0).argmax(axis=1)
        right[group] = (float(np.mean(guesses == np.asarray(labels))), len(labels))
    seconds = time.perf_counter() - started
    (accuracy, count), (other, others_count), (silence, silence_count) = right.values()
    say(f"held-out accuracy, in voices it never heard: {accuracy:.4f} on {count} of its words, {other:.4f} on "
        f"{others_count} other words, {silence:.4f} on {silence_count} seconds of no word ({seconds:.0f} s in all)")
    words = ", ".join(data.WORDS[:-1]) + f" or {data.WORDS[-1]}"
    description = (f"A small convolutional network that hears one of eight words: {words}; or another word, or "
                   f"none. Trained on words spoken by espeak-ng's synthetic voices; {accuracy:.0%} right on voices "
                   "it never heard. Record yourself saying one, or upload a sound file.")
    bundle = export(model, out_dir, runtime="tfjs", labels=list(data.LABELS), preprocess=PRESET, name="keywords",
                    title="Spoken words", description=description, say=say)
    say(f"bundle written to {bundle}")
    return TrainResult(bundle, accuracy, count, seconds, model, other, others_count, silence, silence_count)
