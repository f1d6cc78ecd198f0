"""The model as TF.js fetches it: model.json and its shards side by side.

Canonical URL: <prefix>/model/model.json with shards at <prefix>/model/<shard>.
The article's URL <prefix>/model also works: TF.js resolves shard paths against the
folder of the model URL (here <prefix>/), so that copy's paths are written "model/<shard>".
"""
from __future__ import annotations

import json

from flask import Blueprint, abort

from ..bundle import MODEL_JSON, Bundle
from .http_cache import bytes_response, etag_of, file_response

OCTET = "application/octet-stream"


def _with_shard_prefix(model_json: dict, prefix: str) -> bytes:
    copy = json.loads(json.dumps(model_json))
    for group in copy.get("weightsManifest", []):
        group["paths"] = [prefix + p for p in group["paths"]]
    return json.dumps(copy, separators=(",", ":")).encode()


def make_blueprint(bundle: Bundle) -> Blueprint:
    bp = Blueprint("model_files", __name__)
    if bundle.model_json is not None:
        _tfjs_routes(bp, bundle)

    @bp.get("/model/<path:name>")
    def shard(name: str):
        info = bundle.shard(name)
        if info is None:
            abort(404, description=f"No weight file named {name!r} in this model.")
        return file_response(bundle.root / info.path, OCTET, etag=info.sha256, immutable=info.hashed_name)

    return bp


def _tfjs_routes(bp: Blueprint, bundle: Bundle) -> None:
    """model.json at its canonical URL and at the article's /model."""
    canonical = (bundle.root / MODEL_JSON).read_bytes()
    article = _with_shard_prefix(bundle.model_json, "model/")
    canonical_etag, article_etag = etag_of(canonical), etag_of(article)

    @bp.get("/model")
    def model_article_url():
        return bytes_response(article, "application/json", etag=article_etag)

    @bp.get(f"/model/{MODEL_JSON}")
    def model_json():
        return bytes_response(canonical, "application/json", etag=canonical_etag)
