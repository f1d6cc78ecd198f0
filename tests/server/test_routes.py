"""Routes through Flask's test client: page, model files, caching, /api/prepare."""
from __future__ import annotations

import gzip
import io
import json
import re
import time

import numpy as np
import pytest
from flask import Flask

from clientside.server import make_blueprint
from tests.conftest import BufferedClient
from tests.helpers import SEED_TESTSET, SEVEN, png_bytes


def test_page_is_served_with_local_scripts_only(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # TF.js itself is loaded by the worker, from the versioned vendor/ beside static/
    assert re.search(r'src="assets/[0-9a-f]{16}/static/app\.js"', html)
    assert "http://" not in html and "https://" not in html  # nothing from a CDN
    assert "<script>" not in html  # no inline script


@pytest.mark.parametrize("name, mimetype", [
    ("tf-core.min.js", "text/javascript"),
    ("tfjs-backend-wasm-simd.wasm", "application/wasm"),
])
def test_vendor_files_come_from_npm(client, name, mimetype):
    response = client.get(f"/vendor/{name}")
    assert response.status_code == 200 and response.mimetype == mimetype
    assert len(response.data) > 100_000


def test_worker_and_service_worker(client):
    worker = client.get("/static/worker.js").get_data(as_text=True)
    assert "tfjs: './runtimes/tfjs.js'" in worker  # the runtime is loaded from the app
    runtime = client.get("/static/runtimes/tfjs.js").get_data(as_text=True)
    assert "tf-core.min.js" in runtime
    shared = client.get("/static/runtimes/tfjs-backends.js").get_data(as_text=True)
    assert "http" not in shared.split("const VENDOR", 1)[1][:200]
    sw = client.get("/sw.js")
    assert sw.status_code == 200 and sw.mimetype == "text/javascript"
    text = sw.get_data(as_text=True)
    assert re.search(r'"assets/[0-9a-f]{16}/vendor/tfjs-backend-wasm-simd\.wasm"', text)
    assert "__ASSETS__" not in text
    assert "__VERSION__" not in text


def _asset_url(client, name: str) -> str:
    version = re.search(r'assets/([0-9a-f]{16})/', client.get("/").get_data(as_text=True)).group(1)
    return f"/assets/{version}/{name}"


def test_versioned_assets_are_immutable_and_the_same_files(client):
    for name in ["static/app.js", "static/worker.js", "vendor/tf-core.min.js", "vendor/tfjs-backend-wasm-simd.wasm"]:
        versioned = client.get(_asset_url(client, name))
        plain = client.get("/" + name)
        assert versioned.status_code == 200
        assert versioned.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert plain.headers["Cache-Control"] == "no-cache"
        assert versioned.data == plain.data and len(versioned.data) > 1000


def test_other_versions_and_names_are_404(client):
    good = _asset_url(client, "static/app.js")
    assert client.get(good.replace("/assets/", "/assets/0")).status_code == 404
    assert client.get("/assets/0123456789abcdef/static/app.js").status_code == 404
    assert client.get(good.replace("app.js", "nope.js")).status_code == 404
    assert client.get(good.replace("static/app.js", "vendor/package.json")).status_code == 404
    assert client.get(good.replace("static/app.js", "static/sw.js")).status_code == 404


@pytest.mark.parametrize("encoding", ["br", "gzip"])
def test_the_runtime_wasm_is_never_sent_raw(client, encoding):
    """onnxruntime-web's 14 MB wasm goes out compressed from the first request: its copies
    are made ahead (`make install` after `npm ci`; the wheel's build), not after start-up."""
    import brotli

    from clientside.vendor import VENDOR_FILES, find_vendor_root

    path = find_vendor_root() / VENDOR_FILES["ort-wasm-simd-threaded.wasm"]
    raw = path.read_bytes()
    assert len(raw) > 10_000_000
    packed = client.get(_asset_url(client, "vendor/ort-wasm-simd-threaded.wasm"),
                        headers={"Accept-Encoding": encoding}, buffered=True)
    assert packed.headers["Content-Encoding"] == encoding
    assert len(packed.data) < len(raw) / 3
    assert (brotli.decompress if encoding == "br" else gzip.decompress)(packed.data) == raw


def test_without_copies_made_ahead_gzip_comes_at_once_and_a_stale_copy_is_remade(tmp_path):
    """A node_modules made by `npm ci` alone: gzipped when loaded (never sent raw), brotli
    later. A copy that does not decompress to its file is not served, and write_beside remakes it."""
    from clientside import precompressed
    from clientside.server.assets import Asset

    path = tmp_path / "lib.js"
    path.write_text("export const a = 1;\n" * 400)
    assert precompressed.read_beside(path) == {}
    asset = Asset.load(path)
    assert gzip.decompress(asset.gzipped()) == path.read_bytes()
    precompressed.copy_path(path, "br").write_bytes(precompressed.compress(b"something else", "br"))
    precompressed.copy_path(path, "gzip").write_bytes(b"not gzip at all")
    assert precompressed.read_beside(path) == {}
    told: list[list[str]] = []
    copies = precompressed.write_beside(path, making=told.append)
    assert set(copies) == {"br", "gzip"} and precompressed.read_beside(path) == copies
    assert told == [["br", "gzip"]]
    precompressed.copy_path(path, "gzip").unlink()
    assert precompressed.write_beside(path, making=told.append) == copies and told[1:] == [["gzip"]]
    assert precompressed.write_beside(path, making=told.append) == copies and len(told) == 2  # nothing to make
    assert Asset.load(path).brotli() == copies["br"]  # read from beside it, not remade


@pytest.mark.parametrize("encoding", ["gzip", "br"])
def test_assets_are_sent_compressed_when_accepted(client, encoding):
    import brotli

    url = _asset_url(client, "vendor/tf-core.min.js")
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    # brotli is made in the background on first demand (gzip meanwhile): a bounded wait
    deadline = time.monotonic() + 30
    while True:
        packed = client.get(url, headers={"Accept-Encoding": f"{encoding}, gzip"})
        if packed.headers["Content-Encoding"] == encoding or time.monotonic() > deadline:
            break
        assert packed.headers["Content-Encoding"] == "gzip"  # never uncompressed, never waiting
        time.sleep(0.05)
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert len(packed.data) < len(plain.data) / 3
    decode = gzip.decompress if encoding == "gzip" else brotli.decompress
    assert decode(packed.data) == plain.data
    # one ETag per encoding, each revalidates
    assert packed.headers["ETag"] != plain.headers["ETag"]
    again = client.get(url, headers={"Accept-Encoding": encoding, "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304


def test_isolate_sends_coop_coep(small_bundle):
    from clientside import create_app

    app = create_app(small_bundle, isolate=True)
    app.test_client_class = BufferedClient
    client = app.test_client()
    for url in ["/", "/static/worker.js", "/vendor/tfjs-backend-wasm-simd.wasm", "/api/model"]:
        response = client.get(url)
        assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin", url
        assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp", url


@pytest.mark.parametrize("kwargs, mode", [
    ({}, "browser"), ({"prepare": "server"}, "server"),
    ({"prepare": lambda data, name: np.zeros((28, 28, 1), np.float32)}, "server"),
])
def test_prepare_mode(small_bundle, kwargs, mode):
    from clientside import create_app

    client = create_app(small_bundle, **kwargs).test_client()
    assert client.get("/api/model").get_json()["prepare"] == mode


def test_a_prepare_function_given_as_preprocess_still_works_and_says_its_new_name(small_bundle):
    """create_app(preprocess=fn) from before: preprocess now names an image recipe only."""
    from clientside import create_app

    with pytest.warns(DeprecationWarning, match=r"create_app\(prepare=fn\)"):
        app = create_app(small_bundle, preprocess=lambda data, name: np.zeros((28, 28, 1), np.float32))
    assert app.test_client().get("/api/model").get_json()["prepare"] == "server"


def test_static_paths_outside_the_folder_are_refused(client):
    assert client.get("/static/../__init__.py").status_code == 404
    assert client.get("/static/%2e%2e/__init__.py").status_code == 404
    assert client.get("/vendor/package.json").status_code == 404


def test_canonical_model_json_and_its_shards(client, small_bundle):
    response = client.get("/model/model.json")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    model = response.get_json()
    paths = model["weightsManifest"][0]["paths"]
    assert len(paths) > 1  # small shard size: several files
    body = b""
    for path in paths:
        shard = client.get(f"/model/{path}")
        assert shard.status_code == 200
        assert shard.mimetype == "application/octet-stream"
        assert shard.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        body += shard.data
    assert body == b"".join((small_bundle / p).read_bytes() for p in paths)


def test_article_url_rewrites_shard_paths_beside_it(client):
    """TF.js resolves shards against the folder of /model, i.e. /: so they are 'model/...'."""
    article = client.get("/model").get_json()
    canonical = client.get("/model/model.json").get_json()
    for a, c in zip(article["weightsManifest"][0]["paths"], canonical["weightsManifest"][0]["paths"]):
        assert a == f"model/{c}"
        assert client.get(f"/{a}").status_code == 200
    assert article["modelTopology"] == canonical["modelTopology"]


def test_etag_and_304(client):
    shard = client.get("/model/model.json").get_json()["weightsManifest"][0]["paths"][0]
    for url in ["/model/model.json", "/model", f"/model/{shard}", "/vendor/tf-core.min.js", "/static/app.js"]:
        first = client.get(url)
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.data == b""


def test_unknown_shard_is_a_json_404(client):
    response = client.get("/model/group1-shard9of9.bin")
    assert response.status_code == 404
    assert "group1-shard9of9.bin" in response.get_json()["error"]["message"]


def test_model_info(client, small_bundle):
    """GET /api/model is the bundle's contract as written, plus where inputs are prepared."""
    info = client.get("/api/model").get_json()
    written = json.loads((small_bundle / "clientside.json").read_text())
    assert info["outputs"][0]["labels"] == list("0123456789")
    assert info["inputs"][0]["shape"] == [None, 28, 28, 1]
    assert info["inputs"][0]["steps"][0]["op"] == "flatten_alpha"
    assert info["prepare"] == "browser"
    assert {k: v for k, v in info.items() if k != "prepare"} == written


def test_prepare_one_file_json(client):
    response = client.post("/api/prepare", data={"file": (io.BytesIO(SEVEN.read_bytes()), "seven.png")})
    assert response.status_code == 200
    body = response.get_json()
    image = np.asarray(body["image"], np.float32)
    assert image.shape == (28, 28)  # the article's contract: its page calls tf.tensor2d on it
    tensor = np.asarray(body["tensor"], np.float32)
    assert tensor.shape == (1, 28, 28, 1) and body["shape"] == [1, 28, 28, 1]
    np.testing.assert_array_equal(tensor[0, ..., 0], image)
    assert image.min() >= 0 and 0.9 < image.max() <= 1  # 0..1, not 0..255
    assert body["files"] == ["seven.png"]


def test_prepare_many_files_binary_matches_json(client):
    paths = sorted(SEED_TESTSET.glob("*.jpg"))[:5]

    def files():
        return {"file": [(io.BytesIO(p.read_bytes()), p.name) for p in paths]}

    binary = client.post("/api/prepare", data=files(), headers={"Accept": "application/octet-stream"})
    assert binary.status_code == 200 and binary.mimetype == "application/octet-stream"
    shape = [int(d) for d in binary.headers["X-Tensor-Shape"].split(",")]
    assert shape == [5, 28, 28, 1]
    tensor = np.frombuffer(binary.data, "<f4").reshape(shape)
    as_json = client.post("/api/prepare", data=files()).get_json()
    np.testing.assert_array_equal(tensor, np.asarray(as_json["tensor"], np.float32))
    np.testing.assert_array_equal(tensor[..., 0], np.asarray(as_json["image"], np.float32))


@pytest.mark.parametrize("files, status, words", [
    ({}, 400, "No file received"),
    ({"file": (io.BytesIO(b""), "empty.png")}, 400, "empty.png is empty"),
    ({"file": (io.BytesIO(b"hello"), "notes.txt")}, 415, "notes.txt is not an image"),
    ({"file": (io.BytesIO(SEVEN.read_bytes()[:3000]), "cut.png")}, 422, "cut.png could not be decoded"),
    ({"file": [(io.BytesIO(SEVEN.read_bytes()), f"{i}.png") for i in range(9)]}, 413, "Too many files"),
    ({"file": (io.BytesIO(png_bytes(np.zeros((2100, 2100)))), "huge.png")}, 422, "huge.png is 2100x2100 pixels"),
    ({"file": [(io.BytesIO(SEVEN.read_bytes()), "ok.png"), (io.BytesIO(b"x"), "bad.gif")]}, 415, "bad.gif"),
])
def test_bad_uploads_get_a_named_4xx(client, files, status, words):
    response = client.post("/api/prepare", data=files)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["status"] == status and words in error["message"]
    assert client.get("/api/model").status_code == 200  # and the server keeps serving


def test_too_large_a_request_is_a_413(client):
    # A raw body (not the test client's multipart builder, whose temp file for a large
    # body is never closed): the limit is enforced from Content-Length, before parsing.
    boundary = "b0undary"
    part = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.png\"\r\n"
            "Content-Type: image/png\r\n\r\n").encode()
    body = part + b"\0" * 2_100_000 + f"\r\n--{boundary}--\r\n".encode()
    response = client.post("/api/prepare", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "The upload (2 MB) is larger than the server's limit of 1.91 MB" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("method, url", [
    ("get", "/nope"), ("get", "/model/nope.bin"), ("post", "/model/model.json"),
    ("get", "/api/prepare"), ("post", "/api/prepare"),
])
def test_every_error_has_the_same_json_shape(client, method, url):
    response = getattr(client, method)(url)
    assert 400 <= response.status_code < 500
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["status"] == response.status_code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]


def test_a_python_preprocess_function(small_bundle):
    from clientside import create_app

    def fn(data: bytes, filename: str) -> np.ndarray:
        return np.full((28, 28, 1), len(data) / 1000, np.float32)

    app = create_app(small_bundle, prepare=fn)
    app.test_client_class = BufferedClient
    client = app.test_client()
    body = client.post("/api/prepare", data={"file": (io.BytesIO(b"x" * 500), "a.bin")}).get_json()
    assert np.asarray(body["image"]).max() == pytest.approx(0.5)


def test_blueprint_in_a_users_own_app(small_bundle):
    app = Flask("users_app")
    app.register_blueprint(make_blueprint(small_bundle), url_prefix="/digits")

    @app.get("/")
    def home():
        return "the user's own home page"

    app.test_client_class = BufferedClient
    client = app.test_client()
    assert client.get("/").data == b"the user's own home page"
    assert client.get("/digits/").status_code == 200
    model = client.get("/digits/model").get_json()
    first = model["weightsManifest"][0]["paths"][0]
    # relative to /digits/model's folder (/digits/), as TF.js resolves it
    assert client.get(f"/digits/{first}").status_code == 200
    response = client.post("/digits/api/prepare", data={"file": (io.BytesIO(SEVEN.read_bytes()), "7.png")})
    assert response.status_code == 200
    assert json.loads(response.data)["shape"] == [1, 28, 28, 1]


def test_the_page_carries_the_model_description_and_revalidates(client):
    """The page embeds what /api/model says (no round trip before the worker can start)
    as a JSON data block, not a script, and answers 304 to a returning visitor."""
    page = client.get("/")
    html = page.get_data(as_text=True)
    block = re.search(r'<script id="contract" type="application/json">(.*?)</script>', html, re.S)
    assert block and json.loads(block.group(1)) == client.get("/api/model").get_json()
    assert page.headers["Cache-Control"] == "no-cache"
    again = client.get("/", headers={"If-None-Match": page.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize("breakage, status, words", [
    ("deleted", 404, "is missing on the server"),
    ("unreadable", 503, "cannot be read on the server"),  # a folder in its place: open() fails
])
def test_a_shard_that_breaks_while_serving_is_a_json_4xx_or_503(small_bundle, tmp_path, breakage, status, words):
    import shutil

    from clientside import create_app

    folder = shutil.copytree(small_bundle, tmp_path / "bundle")
    client = create_app(folder).test_client()
    shard = client.get("/model").get_json()["weightsManifest"][0]["paths"][0].removeprefix("model/")
    (folder / shard).unlink()
    if breakage == "unreadable":
        (folder / shard).mkdir()
    response = client.get(f"/model/{shard}")
    assert response.status_code == status
    assert words in response.get_json()["error"]["message"]
