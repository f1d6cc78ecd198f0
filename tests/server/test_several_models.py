"""Several bundles in one server: /models/<name>/ each, an index at /."""
from __future__ import annotations

import json
import shutil

import pytest

from clientside import BundleError, create_app
from tests.conftest import BufferedClient


def renamed(bundle, folder, name):
    shutil.copytree(bundle, folder)
    meta = json.loads((folder / "clientside.json").read_text())
    meta["name"] = name
    (folder / "clientside.json").write_text(json.dumps(meta))
    return folder


@pytest.fixture
def two(small_bundle, tmp_path):
    app = create_app([small_bundle, renamed(small_bundle, tmp_path / "b", "letters")])
    app.test_client_class = BufferedClient
    return app.test_client()


def test_index_lists_models_and_each_has_its_routes(two):
    index = two.get("/").get_data(as_text=True)
    assert 'href="models/small/"' in index and 'href="models/letters/"' in index
    for name in ("small", "letters"):
        assert two.get(f"/models/{name}/").status_code == 200
        assert two.get(f"/models/{name}/api/model").get_json()["name"] == name
        model = two.get(f"/models/{name}/model").get_json()
        assert two.get(f"/models/{name}/{model['weightsManifest'][0]['paths'][0]}").status_code == 200
    assert two.get("/healthz").get_json()["models"].keys() == {"small", "letters"}
    assert two.get("/model/model.json").status_code == 404  # single-model routes only with one model


def test_metrics_cover_every_model(two):
    two.get("/models/small/api/model")
    two.get("/models/letters/api/model")
    text = two.get("/metrics").get_data(as_text=True)
    assert 'clientside_requests_total{route="/models/small/api/model",status="200"} 1.0' in text
    assert 'clientside_requests_total{route="/models/letters/api/model",status="200"} 1.0' in text


def test_same_name_twice_is_refused(small_bundle):
    with pytest.raises(BundleError, match="Two bundles would be served as 'small'"):
        create_app([small_bundle, small_bundle])
