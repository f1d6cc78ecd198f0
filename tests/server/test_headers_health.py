"""Security headers everywhere, CORS only when asked, health and Prometheus metrics."""
from __future__ import annotations

import io

import pytest

from clientside import create_app
from clientside.server.headers import SECURITY_HEADERS
from tests.conftest import BufferedClient
from tests.helpers import SEVEN

KINDS = ["/", "/static/app.js", "/vendor/tfjs-backend-wasm-simd.wasm", "/model", "/model/model.json",
         "/api/model", "/healthz", "/metrics", "/sw.js", "/nope", "/model/nope.bin"]


def client_for(bundle, **kwargs):
    app = create_app(bundle, **kwargs)
    app.test_client_class = BufferedClient
    return app.test_client()


@pytest.mark.parametrize("url", KINDS)
def test_security_headers_on_every_kind_of_response(client, url):
    response = client.get(url)
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get(name) == value, (url, name)
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "Access-Control-Allow-Origin" not in response.headers  # CORS off by default


def test_security_headers_on_errors_and_posts(client):
    response = client.post("/api/prepare", data={"file": (io.BytesIO(b"x"), "x.txt")})
    assert response.status_code == 415
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_cors_only_for_the_given_origin(small_bundle):
    client = client_for(small_bundle, cors=["https://app.example"])
    ok = client.get("/model/model.json", headers={"Origin": "https://app.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "https://app.example"
    other = client.get("/model/model.json", headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    preflight = client.options("/api/prepare", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code == 200
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]


def test_healthz(client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "ok" and body["model"] == "small" and len(body["content_hash"]) == 16


def metric(text: str, name: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and not line.startswith("#"):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_metrics_count_requests_prepare_model_bytes_and_cache_hits(client):
    model_json = client.get("/model/model.json")
    client.get("/model/model.json", headers={"If-None-Match": model_json.headers["ETag"]})
    shard = model_json.get_json()["weightsManifest"][0]["paths"][0]
    shard_bytes = len(client.get(f"/model/{shard}").data)
    client.post("/api/prepare", data={"file": (io.BytesIO(SEVEN.read_bytes()), "7.png")})
    text = client.get("/metrics").get_data(as_text=True)
    assert 'clientside_requests_total{route="/api/prepare",status="200"} 1.0' in text
    assert 'clientside_requests_total{route="/model/model.json",status="304"} 1.0' in text
    assert metric(text, "clientside_model_cache_hits_total") == 1
    assert metric(text, "clientside_model_bytes_served_total") == len(model_json.data) + shard_bytes
    assert metric(text, "clientside_prepare_seconds_count") == 1
