"""TF.js graph models in Chromium, through the real page, on the converter's own files
(tests/runtimes/tfjs_graph/models.py): each prediction equals TF.js under Node on the very
input the page prepared.

    emotion     served as it is, from the .json a package ships: a photo -> 7 named classes
    movenet     an int32 input with a batch of 1: two photos, run one by one, rounded to integers
    handtrack   a bundle: a uint8 input of any size, control flow (executeAsync), 8 outputs
"""
from __future__ import annotations

import shutil

import numpy as np
import pytest

from clientside import create_app, export
from clientside.runtimes.tfjs_graph.node import run
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page, predict_files
from tests.runtimes.tfjs_graph.models import EMOTION, EMOTIONS, HANDTRACK, MOVENET

pytestmark = [pytest.mark.browser, pytest.mark.gallery]


@pytest.fixture
def photos(tmp_path):
    from PIL import Image
    from sklearn.datasets import load_sample_image  # two colour photos the scikit-learn wheel ships

    paths = []
    for name in ("china.jpg", "flower.jpg"):
        path = tmp_path / name
        Image.fromarray(load_sample_image(name)).save(path, quality=95)
        paths.append(path)
    return paths


def page_values(page) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The last prediction's outputs and the feeds the page made for it, by name."""
    got = page.evaluate("""() => {
        const { outputs, feeds } = window.clientside.state.last;
        const plain = (m) => Object.fromEntries(Object.entries(m).map(([k, v]) => [k, [Array.from(v.data), v.shape]]));
        return [plain(outputs), plain(feeds)];
    }""")
    return tuple({k: np.asarray(data, np.float64).reshape(shape) for k, (data, shape) in part.items()}
                 for part in got)


def rounded(x: np.ndarray) -> np.ndarray:
    """As the page feeds an integer input (Math.round: halves up)."""
    return np.floor(x + 0.5).astype(np.int32)


def test_a_graph_model_served_as_its_package_ships_it_names_the_classes(page, photos):
    app = create_app(EMOTION, labels=EMOTIONS)
    with LiveServer(app) as server:
        open_page(page, server.url)
        assert page.evaluate("document.body.dataset.runtime") == "tfjs-graph"
        found = predict_files(page, photos[:1])
        outputs, feeds = page_values(page)
    expected = run(EMOTION, [("input_1", feeds["input_1"].astype(np.float32))]).values[0]
    np.testing.assert_allclose(outputs["Identity"], expected, atol=1e-5)
    assert found == [EMOTIONS[int(expected.argmax())]]
    assert page.errors == []


def test_an_int32_input_with_a_batch_of_one_runs_photo_by_photo(page, photos):
    with LiveServer(create_app(MOVENET)) as server:
        open_page(page, server.url)
        predict_files(page, photos)
        outputs, feeds = page_values(page)
    x = feeds["input"]
    assert x.shape == (2, 192, 192, 3)
    ours = rounded(x)
    expected = np.concatenate([run(MOVENET, [("input", ours[i:i + 1])]).values[0] for i in range(2)])
    np.testing.assert_allclose(outputs["Identity"], expected, atol=1e-4)
    assert not np.allclose(expected[0], expected[1])  # two photos, two answers: not one repeated
    assert page.errors == []


def test_control_flow_and_a_uint8_input_of_any_size_from_a_bundle(page, photos, tmp_path):
    out = export(HANDTRACK, tmp_path / "hands", say=lambda _: None)
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        predict_files(page, photos[:1])
        outputs, feeds = page_values(page)
        text = page.inner_text("#results")
    x = feeds["input_tensor"]
    assert x.shape == (1, 427, 640, 3)  # its own size: the graph takes any
    fed = np.clip(rounded(x), 0, 255)
    same_kernels = run(out / "model.json", [("input_tensor", fed)], backend="wasm")
    assert same_kernels.needs_async
    assert list(outputs) == [o["name"] for o in same_kernels.outputs] and len(outputs) == 8
    for (name, got), want in zip(outputs.items(), same_kernels.values):
        np.testing.assert_allclose(got, want, atol=1e-4, err_msg=name)
    assert "Identity_6" in text
    assert page.errors == []


def test_a_missing_shard_is_said_before_the_server_starts(tmp_path):
    from clientside.errors import BundleError

    folder = tmp_path / "emotion"
    folder.mkdir()
    shutil.copy(EMOTION, folder / "emotion.json")
    with pytest.raises(BundleError, match=r"Missing model file emotion\.bin"):
        create_app(folder / "emotion.json")
