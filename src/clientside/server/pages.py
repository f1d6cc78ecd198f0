"""The page and its own scripts and styles, plus the vendored TF.js files."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, abort, make_response, render_template

from .http_cache import file_response
from .vendor import VENDOR_FILES

STATIC = Path(__file__).with_name("static")

MIMETYPES = {".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm",
             ".svg": "image/svg+xml", ".json": "application/json", ".html": "text/html"}


def _etag(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:32]


def make_blueprint(vendor_root: Path, title: str) -> Blueprint:
    bp = Blueprint("pages", __name__, template_folder="templates")

    @bp.get("/")
    def index():
        # Every URL in the page is relative, so the app works under any prefix.
        response = make_response(render_template("index.html", title=title))
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.get("/static/<path:name>")
    def static_file(name: str):
        path = (STATIC / name).resolve()
        if STATIC.resolve() not in path.parents or not path.is_file():
            abort(404, description=f"No static file {name!r}.")
        return file_response(path, MIMETYPES.get(path.suffix, "application/octet-stream"),
                             etag=_etag(path))

    @bp.get("/vendor/<name>")
    def vendor(name: str):
        rel = VENDOR_FILES.get(name)
        if rel is None:
            abort(404, description=f"No vendored file {name!r}.")
        path = vendor_root / rel
        return file_response(path, MIMETYPES.get(path.suffix, "application/octet-stream"),
                             etag=_etag(path))

    return bp
