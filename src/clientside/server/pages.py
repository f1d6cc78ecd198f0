"""The page and its own scripts and styles, plus the vendored TF.js files."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Blueprint, abort, make_response, render_template

from .http_cache import bytes_response, etag_of, file_response
from .vendor import VENDOR_FILES

STATIC = Path(__file__).with_name("static")

MIMETYPES = {".js": "text/javascript", ".css": "text/css", ".wasm": "application/wasm",
             ".svg": "image/svg+xml", ".json": "application/json", ".html": "text/html"}


def _etag(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha256(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode()).hexdigest()[:32]


#: What the service worker keeps for offline use (relative to the page). Only the SIMD
#: wasm binary: the one browsers use without cross-origin isolation; another one (threads,
#: no SIMD) is kept by the service worker once a visit has fetched it.
SHELL_STATIC = ["style.css", "favicon.svg", "app.js", "predictor.js", "draw.js", "results.js",
                "worker.js", "preprocess.js"]
SHELL_VENDOR = ["tf-core.min.js", "tf-layers.min.js", "tf-backend-wasm.min.js",
                "tfjs-backend-wasm-simd.wasm"]


def shell_files(vendor_root: Path) -> dict[str, Path]:
    """The page's own files and the TF.js files it needs offline: name -> file on disk."""
    files = {f"static/{n}": STATIC / n for n in SHELL_STATIC}
    files.update({f"vendor/{n}": vendor_root / VENDOR_FILES[n] for n in SHELL_VENDOR})
    return files


def assets_version(vendor_root: Path) -> str:
    """Changes whenever any file of the page does (content hash)."""
    h = hashlib.sha256()
    for name, path in sorted(shell_files(vendor_root).items()):
        h.update(name.encode() + b"\0" + path.read_bytes())
    h.update((Path(__file__).with_name("templates") / "index.html").read_bytes())
    return h.hexdigest()[:16]


def service_worker(assets: list[str], version: str) -> bytes:
    """sw.js with the URLs it keeps for offline use and its version."""
    source = (STATIC / "sw.js").read_text()
    return (source.replace("'__VERSION__'", json.dumps(version))
            .replace("__ASSETS__", json.dumps(assets))).encode()


def _service_worker(vendor_root: Path) -> bytes:
    assets = ["./", "api/model", *shell_files(vendor_root)]
    return service_worker(assets, assets_version(vendor_root))


def make_blueprint(vendor_root: Path, title: str, prepare: str) -> Blueprint:
    bp = Blueprint("pages", __name__, template_folder="templates")
    service_worker = _service_worker(vendor_root)
    service_worker_etag = etag_of(service_worker)

    @bp.get("/")
    def index():
        # Every URL in the page is relative, so the app works under any prefix.
        response = make_response(render_template("index.html", title=title, prepare=prepare,
                                                 static="static/"))
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.get("/sw.js")
    def sw():
        return bytes_response(service_worker, "text/javascript", etag=service_worker_etag)

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
