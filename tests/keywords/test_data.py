"""The keyword demo's words: espeak-ng's, made here; voices held out of training are not in it."""
from __future__ import annotations

import numpy as np
import pytest

from clientside.errors import InstallError
from clientside.keywords import data


def test_espeak_says_a_word_as_samples():
    said = data.speak("left", "en-us+f3", 150, 50)
    assert said.rate == 22050 and said.samples.ndim == 1
    assert 0.2 < len(said.samples) / said.rate < 1.0 and np.abs(said.samples).max() > 0.1


def test_a_missing_espeak_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(data.shutil, "which", lambda _: None)
    with pytest.raises(InstallError, match="apt-get install espeak-ng"):
        data.speak("yes")


def test_held_out_voices_are_never_heard_in_training():
    assert not set(data.voices(held_out=True)) & set(data.voices())
    assert len(data.voices()) == 36


def test_a_word_is_placed_whole_inside_its_second():
    said = data.speak("go")
    rng = np.random.default_rng(0)
    for _ in range(5):
        clip = data.placed(said, 1.0, rng, 0.0)
        assert len(clip) == said.rate
        assert np.isclose(np.abs(clip).sum(), np.abs(said.samples).sum(), rtol=1e-5)


def test_other_words_are_not_the_models_and_come_in_every_voice():
    assert not set(data.OTHER_WORDS) & set(data.WORDS)
    assert data.LABELS[:len(data.WORDS)] == data.WORDS and data.LABELS[-2:] == (data.OTHER, data.SILENCE)
    said = list(data.others(held_out=True))
    assert len(said) == len(data.OTHER_WORDS) * len(data.HELD_OUT_VOICES)
    assert {s.voice for s in said} == set(data.HELD_OUT_VOICES)
    assert {data.label(s) for s in said} == {data.LABELS.index(data.OTHER)}
    assert data.label(data.speak("stop")) == data.WORDS.index("stop")


def test_a_quiet_second_holds_no_word():
    """Silence, hiss, rumble or hum, never louder than -30 dBFS (a word peaks near 0 dB)."""
    rng = np.random.default_rng(0)
    seconds = [data.quiet(1.0, 16000, rng) for _ in range(60)]
    assert all(len(q) == 16000 and q.dtype == np.float32 for q in seconds)
    levels = [float(np.sqrt(np.mean(q.astype(np.float64) ** 2))) for q in seconds]
    assert max(levels) <= 0.031 and min(levels) == 0.0
    assert len({round(v, 6) for v in levels}) > 5  # levels and kinds vary
