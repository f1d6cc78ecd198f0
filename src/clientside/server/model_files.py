"""The model's files, as the bundle's contract lists them: <page>/model/<path>, with the
sha256 as ETag (immutable when the name carries it), plus any other URL the runtime's models
are known by (TF.js: the article's <page>/model)."""
from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, Response, abort

from ..bundle import Bundle
from ..runtimes import get
from .http_cache import bytes_response, etag_of, file_response

MIMETYPES = {".json": "application/json"}
OCTET = "application/octet-stream"


def make_blueprint(bundle: Bundle) -> Blueprint:
    bp = Blueprint("model_files", __name__)

    @bp.get("/model/<path:name>")
    def model_file(name: str):
        file = bundle.file(name)
        if file is None:
            abort(404, description=f"No model file named {name!r} in this model.")
        mimetype = MIMETYPES.get(name[name.rfind("."):], OCTET)
        return file_response(bundle.root / file.path, mimetype, etag=file.sha256, immutable=file.hashed_name)

    for i, (url, body) in enumerate(get(bundle.runtime).aliases(bundle.as_read()).items()):
        bp.add_url_rule(f"/{url}", f"alias_{i}", _alias(body))
    return bp


def _alias(body: bytes) -> Callable[[], Response]:
    etag = etag_of(body)
    return lambda: bytes_response(body, "application/json", etag=etag)
