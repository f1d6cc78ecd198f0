"""Spoken words for the keyword demo, made on this machine: espeak-ng (Debian's speech
synthesizer) says each word in many voices, speeds and pitches, and training adds noise and
moves the word about in its second. Nothing is downloaded. Voices held out of training
measure how well the model hears a voice it never heard."""
from __future__ import annotations

import io
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ..errors import InstallError

WORDS = ("yes", "no", "up", "down", "left", "right", "stop", "go")
#: words the model must not take for one of WORDS (Speech Commands' auxiliary words)
OTHER_WORDS = ("bed", "bird", "cat", "dog", "happy", "house", "tree", "wow", "zero", "one")
OTHER = "(another word)"
SILENCE = "(silence)"
#: what the model answers: a word, another word, or no word at all
LABELS = (*WORDS, OTHER, SILENCE)
#: espeak-ng's English voices and its voice variants (male, female): 36 speakers for training
TRAIN_VOICES = ("en", "en-us", "en-gb-scotland", "en-gb-x-rp", "en-029", "en-gb-x-gbclan")
TRAIN_VARIANTS = ("", "+m1", "+m3", "+f1", "+f3", "+f5")
#: speakers never heard in training: another accent, other variants
HELD_OUT_VOICES = ("en-gb-x-gbcwmd", "en-us+m7", "en+f4", "en-gb-scotland+f2")
SPEEDS = (130, 165, 200)  # words per minute
PITCHES = (35, 50, 65)


@dataclass(frozen=True)
class Spoken:
    word: str
    voice: str
    speed: int
    pitch: int
    samples: np.ndarray  # float32, mono
    rate: int


def speak(word: str, voice: str = "en", speed: int = 165, pitch: int = 50) -> Spoken:
    """espeak-ng saying word, as its WAV decodes (22,050 Hz, mono)."""
    import soundfile

    if not shutil.which("espeak-ng"):
        raise InstallError("the keyword demo makes its words with espeak-ng, which is not installed: "
                          "apt-get install espeak-ng (Debian, Ubuntu) or brew install espeak-ng (macOS)")
    wav = subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "--stdout", word],
                         capture_output=True, check=True).stdout
    samples, rate = soundfile.read(io.BytesIO(wav), dtype="float32")
    return Spoken(word, voice, speed, pitch, samples, int(rate))


def voices(held_out: bool = False) -> list[str]:
    if held_out:
        return list(HELD_OUT_VOICES)
    return [v + variant for v in TRAIN_VOICES for variant in TRAIN_VARIANTS]


def label(clip: Spoken) -> int:
    """The clip's class: its word's, or OTHER's."""
    return WORDS.index(clip.word) if clip.word in WORDS else LABELS.index(OTHER)


def others(held_out: bool = False, rng: np.random.Generator | None = None) -> Iterator[Spoken]:
    """Each of OTHER_WORDS once in every voice of the set, at one speed (at random for
    training, the middle one for held-out voices)."""
    for voice in voices(held_out):
        for word in OTHER_WORDS:
            speed = SPEEDS[1] if rng is None else int(rng.choice(SPEEDS))
            yield speak(word, voice, speed, PITCHES[1] if rng is None else int(rng.choice(PITCHES)))


def quiet(seconds: float, rate: int, rng: np.random.Generator) -> np.ndarray:
    """A second with no word in it, as a microphone hears one: digital silence, hiss (white
    noise), rumble (brown noise) or mains hum, at a random level up to about -30 dBFS."""
    n = int(seconds * rate)
    level = float(rng.choice((0.0, 0.0003, 0.001, 0.003, 0.01, 0.03)))
    what = int(rng.integers(3))
    if what == 0:
        out = rng.normal(0, 1, n)
    elif what == 1:
        out = np.cumsum(rng.normal(0, 1, n))
        out -= np.linspace(out[0], out[-1], n)  # no drift: a rumble about zero
        out -= out.mean()
        out /= max(float(out.std()), 1e-12)
    else:
        t = np.arange(n) / rate
        hz = float(rng.choice((50.0, 60.0)))
        out = (np.sin(2 * np.pi * hz * t) + 0.3 * np.sin(2 * np.pi * 3 * hz * t)) / 0.74
    return (level * out).astype(np.float32)


def spoken(held_out: bool = False, rng: np.random.Generator | None = None) -> Iterator[Spoken]:
    """Every word in every voice of the set: for training, one speed and pitch of each at
    random per voice (rng), or all of them for held-out voices."""
    for voice in voices(held_out):
        for word in WORDS:
            if held_out:
                for speed in SPEEDS:
                    yield speak(word, voice, speed, PITCHES[1])
            else:
                assert rng is not None
                for speed in SPEEDS:
                    yield speak(word, voice, speed, int(rng.choice(PITCHES)))


def placed(clip: Spoken, seconds: float, rng: np.random.Generator, noise: float) -> np.ndarray:
    """clip somewhere in `seconds` of quiet noise (at its own rate), as a recording would have it."""
    n = int(seconds * clip.rate)
    word = clip.samples[:n]
    start = int(rng.integers(0, max(1, n - len(word)) + 1)) if len(word) < n else 0
    out = rng.normal(0, noise, n).astype(np.float32) if noise else np.zeros(n, np.float32)
    out[start:start + len(word)] += word
    return out
