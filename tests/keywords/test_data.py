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
