"""/api/prepare for every input kind: texts and table rows as JSON, with the same error shape
as images; the ids and columns equal the steps' own."""
from __future__ import annotations

import io

import keras
import numpy as np
import pytest

from clientside import create_app
from clientside.steps import table, text
from tests.helpers import export_tfjs as export
from tests.steps.test_text import CORPUS, GOLDEN, vectorization_steps

ROWS = [{"size": "3", "colour": "red"}, {"size": "4.5", "colour": "blue"}]
TABLE = [{"op": "standardize", "feature": "size", "mean": 4.0, "std": 2.0},
         {"op": "one_hot", "feature": "colour", "categories": ["red", "blue"]}]


@pytest.fixture(scope="module")
def text_and_table(tmp_path_factory):
    words = keras.Input((20,), dtype="int32", name="review")
    fields = keras.Input((3,), name="facts")
    pooled = keras.layers.GlobalAveragePooling1D()(keras.layers.Embedding(300, 4)(words))
    h = keras.layers.Concatenate()([pooled, fields])
    model = keras.Model([words, fields], keras.layers.Dense(2, activation="softmax")(h))
    meta = {"inputs": [{"name": "review", "kind": "text", "steps": vectorization_steps()},
                       {"name": "facts", "kind": "table", "steps": TABLE}]}
    folder = export(model, tmp_path_factory.mktemp("kinds") / "b", meta=meta)
    return create_app(folder, prepare="server").test_client()


def test_text_and_rows_as_json(text_and_table):
    lines = CORPUS[10:14]
    response = text_and_table.post("/api/prepare", json={"inputs": {"review": lines, "facts": ROWS}})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()["inputs"]
    assert answer["review"]["tensor"] == [GOLDEN["text_vectorization"]["ids"][10 + i] for i in range(4)]
    assert answer["review"]["dtype"] == "int32" and answer["review"]["shape"] == [4, 20]
    np.testing.assert_allclose(answer["facts"]["tensor"], table.prepare({"name": "facts", "steps": TABLE}, ROWS))
    assert text.run(lines[0], vectorization_steps()) == answer["review"]["tensor"][0]


@pytest.mark.parametrize("body, status, words", [
    ({"inputs": {"facts": [{"size": "big", "colour": "red"}]}}, 422,
     "facts[0]: column 'size': expected a number, got 'big'"),
    ({"inputs": {"facts": [{"size": "1", "colour": "green"}]}}, 422,
     "facts[0]: column 'colour': unknown category 'green'"),
    ({"inputs": {"facts": [{"colour": "red"}]}}, 422, "facts[0]: column 'size': missing"),
    ({"inputs": {"review": [3]}}, 422, "review[0]: expected a string"),
    ({"inputs": {"voice": ["x"]}}, 422, "this model has no input named 'voice'"),
    ({"inputs": {"review": []}}, 400, "expected a non-empty list"),
    ({"texts": ["x"]}, 400, 'Expected a JSON object {"inputs"'),
])
def test_bad_json_gets_a_clear_4xx(text_and_table, body, status, words):
    response = text_and_table.post("/api/prepare", json=body)
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]


def test_files_to_a_model_without_images_is_415(text_and_table):
    response = text_and_table.post("/api/prepare", data={"file": (io.BytesIO(b"x"), "a.png")})
    assert response.status_code == 415
    assert "review (text), facts (table)" in response.get_json()["error"]["message"]
