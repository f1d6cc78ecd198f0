"""The page, its service worker, and its files (scripts, styles, TF.js)."""
from __future__ import annotations

import json
from pathlib import Path

from flask import Blueprint, abort, render_template

from .assets import STATIC, AssetStore, runtime_file_sizes
from .card import model_card
from .http_cache import bytes_response, etag_of
from .page_modules import page_modules


def service_worker(assets: list[str], version: str, isolate: bool = False) -> bytes:
    """sw.js with the URLs it keeps for offline use and its version; isolate: it gives its
    responses COOP/COEP (a static build for a host that sets no headers)."""
    source = (STATIC / "sw.js").read_text()
    return (source.replace("'__VERSION__'", json.dumps(version))
            .replace("__ASSETS__", json.dumps(assets))
            .replace("__ISOLATE__", json.dumps(isolate))).encode()


def make_blueprint(vendor_root: Path, contract: dict, title: str | None = None) -> Blueprint:
    """contract: what GET /api/model says (the page carries it, saving a round trip);
    title: over the contract's own."""
    bp = Blueprint("pages", __name__, template_folder="templates")
    store = AssetStore(vendor_root)
    sw_body = service_worker(["./", *store.shell_urls(contract)], store.version)
    sw_etag = etag_of(sw_body)
    page: list[tuple[bytes, str]] = []  # rendered on the first request (needs the app)

    @bp.get("/")
    def index():
        # Every URL in the page is relative, so the app works under any prefix.
        if not page:
            card = model_card(contract, vendor_root) | ({"title": title} if title else {})
            html = render_template("index.html", card=card, contract=contract, static=f"{store.prefix}static/",
                                   modules=page_modules(contract),
                                   runtime_files=runtime_file_sizes(vendor_root, contract["runtime"]))
            page.append((html.encode(), etag_of(html.encode())))
        body, etag = page[0]
        return bytes_response(body, "text/html", etag=etag)

    @bp.get("/sw.js")
    def sw():
        return bytes_response(sw_body, "text/javascript", etag=sw_etag)

    @bp.get("/assets/<version>/<kind>/<path:name>")
    def versioned(version: str, kind: str, name: str):
        asset = store.get(f"{kind}/{name}")
        if version != store.version or asset is None:
            abort(404, description=f"No file {kind}/{name} in this version of the page "
                                   "(reload the page to get the current one).")
        return asset.response(immutable=True)

    @bp.get("/static/<path:name>")
    def static_file(name: str):
        return _plain(store, "static", name)

    @bp.get("/vendor/<name>")
    def vendor(name: str):
        return _plain(store, "vendor", name)

    return bp


def _plain(store: AssetStore, kind: str, name: str):
    """The same files at unversioned URLs (revalidated), for links from outside the page."""
    asset = store.get(f"{kind}/{name}")
    if asset is None:
        abort(404, description=f"No {'vendored ' if kind == 'vendor' else 'static '}file {name!r}.")
    return asset.response(immutable=False)
