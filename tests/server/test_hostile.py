"""What the open internet sends (bench/hostile.py makes it): never a 5xx, never a file from
outside the served folders, and the server answers normally afterwards. The reliability
section of `make bench` gives the figures under load; these are the cases that fail fast."""
from __future__ import annotations

import io

import pytest

from bench import hostile
from clientside import create_app
from tests.conftest import BufferedClient
from tests.helpers import SEVEN

UPLOADS = hostile.uploads()


@pytest.fixture(scope="module")
def default_client(small_bundle):
    app = create_app(small_bundle)  # the limits `clientside serve` uses
    app.test_client_class = BufferedClient
    return app.test_client()


def test_the_corpus_is_large_enough():
    assert len(UPLOADS) >= 40
    assert {name.rsplit(".", 1)[1] for name, _, _ in UPLOADS} >= {"png", "jpg", "gif", "webp", "bmp"}


@pytest.mark.parametrize("name, data, expected", UPLOADS, ids=[u[0] for u in UPLOADS])
def test_every_upload_is_prepared_or_refused_with_a_4xx(default_client, name, data, expected):
    response = default_client.post("/api/prepare", data={"file": (io.BytesIO(data), name)})
    if expected == "ok":
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["shape"] == [1, 28, 28, 1]
    else:
        assert 400 <= response.status_code < 500
        error = response.get_json()["error"]
        assert error["status"] == response.status_code and name in error["message"]


def test_paths_that_leave_the_served_folders_are_refused(default_client):
    version = default_client.get("/").get_data(as_text=True).split("assets/")[1].split("/")[0]
    shard = default_client.get("/model").get_json()["weightsManifest"][0]["paths"][0].removeprefix("model/")
    for path in hostile.traversal_paths(version, shard):
        response = default_client.get(path, follow_redirects=True)  # werkzeug merges '//' with a 308
        assert response.status_code in (400, 404, 405), path
        assert b"root:" not in response.data and b"content_hash" not in response.data, path


def test_malformed_http_gets_a_4xx_and_the_server_carries_on(serve):
    port = serve()
    for name, request in hostile.raw_requests("127.0.0.1", SEVEN.read_bytes()):
        answer = hostile.send_raw(port, request)
        assert not hostile.status_of(answer).startswith("5"), (name, answer[:300])
        healthy = hostile.send_raw(port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        assert healthy.startswith(b"HTTP/1.1 200"), (name, healthy[:200])
