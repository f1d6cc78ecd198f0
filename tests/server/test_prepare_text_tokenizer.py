"""/api/prepare for a Hugging Face text model: the tokenizer step on the server gives the ids
and the parts the model takes, and says how long each text was; empty text, 1 MB of text and
a wrong type get answers, never a 500."""
from __future__ import annotations

import pytest

from clientside import create_app

pytest.importorskip("tokenizers", reason="the hf extra (make install) installs HF tokenizers")


@pytest.fixture(scope="module")
def client(hf_sentiment_bundle):
    return create_app(hf_sentiment_bundle).test_client()


def test_texts_become_ids_mask_and_types_with_their_lengths(client):
    huge = "a wonderful film " * 62_000  # about 1 MB
    response = client.post("/api/prepare", json={"inputs": {"input_ids": ["", "a wonderful film", huge]}})
    assert response.status_code == 200, response.get_json()
    answer = response.get_json()["inputs"]
    ids, mask = answer["input_ids"], answer["attention_mask"]
    assert ids["shape"] == mask["shape"] == answer["token_type_ids"]["shape"] == [3, 48]
    assert sum(mask["tensor"][0]) == 2 and sum(mask["tensor"][2]) == 48  # [CLS] [SEP]; cut to the model's 48
    assert ids["totals"][2] > 100_000 and ids["totals"][0] == 2


@pytest.mark.parametrize(("body", "status", "said"), [
    ({"inputs": {"input_ids": [42]}}, 422, "expected a string"),
    ({"inputs": {"attention_mask": ["x"]}}, 422, "made from 'input_ids'"),
    ({"inputs": {"input_ids": []}}, 400, "non-empty list"),
])
def test_bad_bodies_get_a_clear_4xx(client, body, status, said):
    response = client.post("/api/prepare", json=body)
    assert response.status_code == status and said in response.get_json()["error"]["message"]
