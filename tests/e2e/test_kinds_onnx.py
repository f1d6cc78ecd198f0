"""The input and output kinds again, with the Keras models sent to ONNX Runtime Web
(--runtime onnx) instead of TF.js: the same page, worker and contract must give the same
numbers whichever runtime runs the model. The tests are test_kinds.py's own, collected here
again with a `serve` fixture that exports through ONNX."""
from __future__ import annotations

import contextlib

import pytest

from clientside import create_app
from clientside.sources.keras_onnx import export_keras
from tests.conftest import LiveServer
from tests.e2e.test_kinds import (  # noqa: F401 - collected again, with this module's `serve`
    table_page,
    test_an_output_with_no_other_kind_is_a_tensor,
    test_multilabel_from_a_tensor,
    test_regression_with_names_and_units,
    test_rgb_classifier_with_colour_thumbnails,
    test_segmentation_mask_drawn_over_the_input,
    test_table_classifier_from_a_csv_of_200_rows,
    test_table_classifier_from_the_form,
    test_text_classifier,
    test_two_inputs_each_get_a_widget,
)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    """serve(model, name, **export_options) -> (url, bundle folder): exported for ONNX Runtime
    Web and served; the page must say it runs onnxruntime-web."""
    with contextlib.ExitStack() as stack:
        def run(model, name, folder=None, **options):
            assert folder is None, "plain TF.js folders are test_kinds.py's alone"
            folder = export_keras(model, tmp_path_factory.mktemp(name) / name, runtime="onnx",
                                  say=lambda _: None, **options)
            assert (folder / "clientside.json").read_text().count('"runtime": "onnx"') == 1
            server = stack.enter_context(LiveServer(create_app(folder)))
            return server.url, folder
        yield run


@pytest.fixture(autouse=True)
def ran_in_onnxruntime_web(page):
    yield
    assert page.evaluate("() => document.body.dataset.backend || ''").startswith("wasm (onnxruntime-web")
