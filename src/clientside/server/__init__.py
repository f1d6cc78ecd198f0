"""The Flask app: serves the page, the model files, and /api/prepare.

`create_app(bundle_dir)` makes a whole app; `make_blueprint(bundle_dir)` gives the same
routes to mount in a user's own Flask app (e.g. under url_prefix="/digits").
"""
from __future__ import annotations

import os
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from flask import Blueprint, Flask

from ..bundle import Bundle, BundleSpec, load_bundle, load_bundles
from ..errors import BundleError
from ..vendor import find_vendor_root
from . import api, headers, health, model_files, pages
from .assets import assets_version
from .card import title_of
from .errors import register_error_handlers

PREPARE_MODES = ("browser", "server")

#: prepare_fn(data, filename) -> the model-ready array of one uploaded image (/api/prepare).
PrepareFn = Callable[[bytes, str], np.ndarray]


def prepare_mode(bundle: Bundle, requested: str | None, custom_fn: bool) -> str:
    """Where inputs are prepared: a Python function needs the server; otherwise the
    browser, unless the caller or the bundle asks for the server."""
    if custom_fn:
        return "server"
    mode = requested or bundle.prepare or "browser"
    if mode not in PREPARE_MODES:
        raise BundleError(f"Expected prepare to be one of {', '.join(PREPARE_MODES)} or a function. Received: {mode!r}")
    return mode


def make_blueprint(bundle: Bundle | str | os.PathLike, *, name: str = "clientside",
                   prepare: str | PrepareFn | None = None, isolate: bool = False, cors: Sequence[str] = (),
                   limits: api.UploadLimits = api.UploadLimits(),  # noqa: B008 - frozen, immutable
                   vendor_root: Path | None = None, title: str | None = None,
                   metrics: health.Metrics | None = None) -> Blueprint:
    """All of clientside's routes for one model, as one blueprint.

    prepare: "browser" (default) or "server": where the page prepares its inputs; or your
    own function fn(data: bytes, filename: str) -> np.ndarray, which /api/prepare then runs
    for images (and the page uses the server).
    isolate: send COOP/COEP so the page is cross-origin isolated (wasm threads).
    cors: origins allowed to use the model and API from other sites (none by default).
    """
    if not isinstance(bundle, Bundle):
        bundle = load_bundle(bundle)
    custom = prepare if callable(prepare) else None
    mode = prepare_mode(bundle, None if callable(prepare) else prepare, custom is not None)
    prepare_fn = custom or api.default_prepare(bundle, limits)
    bp = Blueprint(name, __name__)
    contract = {**bundle.contract, "prepare": mode}  # what the page and GET /api/model say
    bp.register_blueprint(pages.make_blueprint(vendor_root or find_vendor_root(), contract, title))
    bp.register_blueprint(model_files.make_blueprint(bundle))
    metrics = metrics or health.Metrics()
    bp.register_blueprint(api.make_blueprint(bundle, prepare_fn, limits, contract,
                                             observe=metrics.prepare_seconds.observe))
    bp.register_blueprint(health.make_blueprint([bundle], metrics))
    headers.install(bp, isolate=isolate, cors=cors)
    health.install(bp, metrics)
    return bp


def _blueprint_name(bundle_name: str) -> str:
    return "clientside_" + "".join(c if c.isalnum() else "_" for c in bundle_name)


def create_app(bundle_dir: BundleSpec | Sequence[BundleSpec] | Mapping[str, str | os.PathLike], *,
               labels: Sequence[str] | None = None,
               preprocess: str | Sequence[dict[str, Any]] | PrepareFn | None = None,
               meta: str | os.PathLike | Mapping[str, Any] | None = None,
               max_bytes: int = api.UploadLimits.max_bytes, max_files: int = api.UploadLimits.max_files,
               max_pixels: int = api.UploadLimits.max_pixels, prepare: str | PrepareFn | None = None,
               isolate: bool = False, cors: Sequence[str] = (),
               test_config: dict[str, Any] | None = None) -> Flask:
    """A Flask app serving one model (or several) for prediction in the browser.

    bundle_dir: one bundle folder, or several (a list of folders or of (name, folder), or a
    {name: folder} dict): each is then served under /models/<name>/ and / lists them.
    preprocess: an image recipe for the first input (a preset name such as "mnist", a JSON
    file or a list of steps). prepare: "browser", "server", or a Python function
    fn(data: bytes, filename: str) -> np.ndarray used by /api/prepare (see make_blueprint).
    meta: inputs and outputs entries (a dict or a JSON file) merged over each bundle's own.
    """
    if callable(preprocess):
        warnings.warn("create_app(preprocess=fn) is now create_app(prepare=fn): preprocess names an image "
                      "recipe (a preset or steps)", DeprecationWarning, stacklevel=2)
        preprocess, prepare = None, preprocess
    bundles = load_bundles(bundle_dir, labels=labels, preprocess=preprocess, meta=meta)
    app = Flask(__name__, static_folder=None)  # the pages blueprint serves static files
    app.extensions["clientside.bundles"] = bundles  # for the CLI's hints, read once the app is made
    limits = api.UploadLimits(max_bytes=max_bytes, max_files=max_files, max_pixels=max_pixels)
    app.config.update(MAX_CONTENT_LENGTH=limits.max_bytes, MAX_FORM_MEMORY_SIZE=limits.max_bytes)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    if test_config:
        app.config.update(test_config)
    metrics = health.Metrics()
    options: dict[str, Any] = dict(prepare=prepare, isolate=isolate, cors=cors, limits=limits, metrics=metrics)
    if len(bundles) == 1:
        app.register_blueprint(make_blueprint(bundles[0], **options))
    else:
        for bundle in bundles:
            app.register_blueprint(make_blueprint(bundle, name=_blueprint_name(bundle.name), **options),
                                   url_prefix=f"/models/{bundle.name}")
        _register_index(app, bundles, metrics)
    register_error_handlers(app, limits.max_bytes)

    # also on responses no blueprint route produced (404s)
    app.after_request(lambda response: headers.secure(response, isolate=isolate))

    return app


def _register_index(app: Flask, bundles: list[Bundle], metrics: health.Metrics) -> None:
    """With several models: / lists them; /healthz and /metrics cover them all."""
    from flask import Response, render_template

    first = bundles[0].name
    static = f"models/{first}/assets/{assets_version(find_vendor_root())}/static/"

    @app.get("/")
    def index():
        html = render_template("models.html", models=[(title_of(b.contract), f"models/{b.name}/") for b in bundles],
                               static=static)
        return Response(html, mimetype="text/html", headers={"Cache-Control": "no-cache"})

    app.register_blueprint(health.make_blueprint(bundles, metrics))
