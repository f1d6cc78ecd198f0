"""A real trained audio model in the page: the keyword demo (eight words, trained on
espeak-ng's voices; `clientside keywords train`). Words said by voices it never heard, as an
uploaded file and through the microphone, are recognised in Chromium with Keras's own
probabilities on the same samples."""
from __future__ import annotations

import json

import numpy as np
import pytest

from clientside import create_app, load_bundle
from clientside.keywords import data, train
from clientside.steps import audio
from tests.conftest import LiveServer
from tests.e2e.audio_page import last_outputs, microphone_browser, record_and_predict, upload_and_predict
from tests.e2e.conftest import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def keywords(tmp_path_factory):
    return train.train(tmp_path_factory.mktemp("keywords") / "keywords", epochs=10, say=lambda _: None)


def test_the_model_hears_voices_it_never_heard(keywords):
    assert keywords.held_out_count == len(data.WORDS) * len(data.HELD_OUT_VOICES) * len(data.SPEEDS)
    assert keywords.held_out_accuracy >= 0.9, keywords.held_out_accuracy
    # the same voices saying words it was not trained to hear, and seconds with no word at all
    assert keywords.other_count == len(data.OTHER_WORDS) * len(data.HELD_OUT_VOICES) == keywords.silence_count
    assert keywords.other_accuracy >= 0.8 and keywords.silence_accuracy >= 0.9, keywords
    contract = json.loads((keywords.bundle / "clientside.json").read_text())
    assert contract["runtime"] == "tfjs" and contract["inputs"][0]["kind"] == "audio"
    assert [o["labels"] for o in contract["outputs"]] == [list(data.LABELS)]


def held_out_file(word: str, voice: str, folder, fmt: str = "wav", lead: float = 0.0, pause: float = 0.0):
    """The word in a voice never heard in training, as a 16-bit file; lead, pause: seconds of
    silence before and after it."""
    import soundfile

    said = data.speak(word, voice, 150, 50)
    quiet = [np.zeros(int(s * said.rate), np.float32) for s in (lead, pause)]
    samples = np.concatenate([quiet[0], said.samples, quiet[1]])
    path = folder / f"{word}-{voice}.{fmt}"
    soundfile.write(path, samples, said.rate, subtype="PCM_16", format=fmt.upper())
    return path


def test_uploaded_words_are_recognised_with_keras_probabilities(keywords, page, tmp_path):
    said = [("left", "en-gb-x-gbcwmd", "wav"), ("stop", "en-us+m7", "flac"), ("yes", "en+f4", "wav"),
            ("down", "en-gb-scotland+f2", "flac")]
    files = [held_out_file(w, v, tmp_path, fmt) for w, v, fmt in said]
    spec = load_bundle(keywords.bundle).inputs[0]
    want = keywords.model.predict(audio.prepare(spec, [f.read_bytes() for f in files]), verbose=0)
    with LiveServer(create_app(keywords.bundle)) as server:
        open_page(page, server.url)
        got = upload_and_predict(page, files)
        shown = [e.inner_text() for e in page.query_selector_all(".result .label")]
    assert [data.LABELS[i] for i in want.argmax(axis=1)] == [w for w, _, _ in said]
    assert np.abs(got - want).max() <= 1e-4, np.abs(got - want).max()
    assert [s.strip() for s in shown][: len(said)] == [w for w, _, _ in said]
    assert page.errors == []


@pytest.fixture(scope="module")
def mic_saying_go(playwright, tmp_path_factory):
    """A Chromium whose microphone says "go" once, in a voice the model never heard, a third of
    a second after the recording starts (as a visitor speaks after pressing Record)."""
    b = microphone_browser(playwright, held_out_file("go", "en-us+m7", tmp_path_factory.mktemp("mic"), lead=0.3))
    yield b
    b.close()


def test_a_word_said_into_the_microphone_is_recognised(keywords, mic_saying_go):
    got, samples, rate, errors = record_and_predict(mic_saying_go, keywords.bundle)
    spec = load_bundle(keywords.bundle).inputs[0]
    want = keywords.model.predict(audio.prepare(spec, [{"samples": samples, "rate": rate}]), verbose=0)
    assert data.LABELS[int(got.argmax())] == "go", dict(zip(data.LABELS, got[0].round(3)))
    assert np.abs(got - want).max() <= 1e-4
    assert errors == []


@pytest.fixture(scope="module")
def mic_saying_stop_again(playwright, tmp_path_factory):
    """A Chromium whose microphone says "stop", then 1.5 s of silence, again and again: a
    window of the last second holds the word, part of it, or nothing for half a second."""
    wav = held_out_file("stop", "en-gb-x-gbcwmd", tmp_path_factory.mktemp("live"), pause=1.5)
    b = microphone_browser(playwright, wav, loop=True)
    yield b
    b.close()


def test_listening_live_hears_the_word_in_its_sliding_window(keywords, mic_saying_stop_again):
    """Listen live: windows of the last second, one after another as fast as the model allows;
    "stop" is heard, then a window with no word is said to be silence, and the last window's
    probabilities equal Keras's on its samples."""
    spec = load_bundle(keywords.bundle).inputs[0]
    context = mic_saying_stop_again.new_context()
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        with LiveServer(create_app(keywords.bundle)) as server:
            open_page(page, server.url)
            page.click("#listen")
            page.wait_for_function("""() => [...document.querySelectorAll('#live .label')]
                .some((e) => e.textContent.trim() === 'stop')""", timeout=30_000)
            page.wait_for_function(f"""() => [...document.querySelectorAll('#live .label')]
                .some((e) => e.textContent.trim() === '{data.SILENCE}')""", timeout=30_000)
            page.wait_for_function("() => Number(document.querySelector('#live .fps').dataset.fps) > 0")
            fps = float(page.get_attribute("#live .fps", "data-fps"))
            page.click("#listen")  # stop
            page.wait_for_function("() => !window.clientside.state.live")
            got = last_outputs(page)
            [(channels, rate)] = page.evaluate("""() => Object.values(window.clientside.state.last.items)[0]
                .map((c) => [c.channels.map((x) => Array.from(x)), c.rate])""")
            assert page.inner_text("#listen") == "Listen live"
    finally:
        context.close()
    samples = np.asarray(channels, np.float32)
    assert samples.shape[1] == rate  # one second, the clip the steps make
    want = keywords.model.predict(audio.prepare(spec, [{"samples": samples, "rate": rate}]), verbose=0)
    print(json.dumps({"live windows per second": fps}))
    assert fps > 1
    assert np.abs(got - want).max() <= 1e-4
    assert errors == []
