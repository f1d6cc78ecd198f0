"""Static build: a folder any static host or CDN serves with no Python at all.

    OUT/index.html, sw.js, api/model            revalidated (no-cache)
    OUT/model/model.json                        revalidated
    OUT/model/group1-shard*.<hash>.bin          immutable (content-hashed names, given here if missing)
    OUT/assets/<hash>/static/*, vendor/*        immutable (the folder name is their hash)
    OUT/_headers, _s3-metadata.json             what a host sends per path (deploy/hosts.py)
    *.gz, *.br beside every text asset          precompressed, for gzip_static and the like

Several bundles go to OUT/models/<name>/ each, with an index page listing them. Only
bundles whose preprocessing runs in the browser can be built: nothing answers /api/prepare.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from flask import Flask, render_template

from .. import precompressed, runtimes
from ..bundle import Bundle, BundleSpec, load_bundles, specs_of
from ..errors import BundleError
from ..files import new_folder
from ..server.assets import all_files, assets_version, runtime_file_sizes, shell_files
from ..server.card import model_card, title_of
from ..server.page_modules import page_modules
from ..server.pages import service_worker
from ..vendor import find_vendor_root
from .hosts import HEADERS_FILE, HOST_FILES, write_host_files

COMPRESS_SUFFIXES = (".html", ".js", ".mjs", ".css", ".json", ".svg", ".wasm", "")
MIN_COMPRESS_BYTES = 1024


def _render(template: str, **context) -> str:
    app = Flask(__name__, template_folder=str(Path(__file__).parents[1] / "server" / "templates"),
                static_folder=None)
    with app.app_context():
        return render_template(template, **context)


def _write(path: Path, data: bytes | str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def _model_page(bundle: Bundle, out: Path, assets: str, vendor_root: Path, version: str,
                isolate_sw: bool = False) -> None:
    """index.html, sw.js, api/model and model/ for one bundle, in out."""
    if bundle.prepare == "server":
        raise BundleError(f"{bundle.root} needs server preprocessing (/api/prepare), which a "
                          "static site cannot run: serve it with `clientside serve` instead.")
    built = runtimes.get(bundle.runtime).static_files(bundle.as_read())
    contract = {**built.contract, "prepare": "browser"}
    _write(out / "index.html", _render("index.html", card=model_card(contract, vendor_root),
                                       contract=contract, static=f"{assets}static/", modules=page_modules(contract),
                                       isolate_sw=isolate_sw,
                                       runtime_files=runtime_file_sizes(vendor_root, bundle.runtime)))
    _write(out / "api" / "model", json.dumps(contract))
    for name, content in built.files.items():
        target = out / "model" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copyfile(content, target)
    shell = ["./", *(f"{assets}{name}" for name in shell_files(vendor_root, contract))]
    _write(out / "sw.js", service_worker(shell, f"{version}-{bundle.content_hash}", isolate=isolate_sw))


def build(bundle_dirs: Sequence[BundleSpec] | Mapping[str, str | os.PathLike], out_dir: str | os.PathLike,
          vendor_root: Path | None = None, say: Callable[[str], object] | None = None,
          isolate: bool = False, isolate_sw: bool = False) -> Path:
    """Write the static site for one or more bundles into out_dir: built whole beside it,
    then swapped in, so a host serving out_dir always has a complete site. say: told each
    stage (the CLI prints them). isolate: the host files ask for cross-origin isolation
    (COOP/COEP), which gives the wasm runtimes their threads. isolate_sw: the page's service
    worker gives it COOP/COEP itself, on hosts that set no headers (GitHub Pages)."""
    say = say or (lambda _: None)
    started = time.monotonic()
    say(f"reading {len(specs_of(bundle_dirs))} bundle(s) and checking their files…")
    bundles = load_bundles(bundle_dirs)
    vendor_root = vendor_root or find_vendor_root()
    out = Path(out_dir)
    version = assets_version(vendor_root)
    with new_folder(out, ours=lambda path: (path / HEADERS_FILE).exists(), what="clientside build",
                    error=BundleError) as tmp:
        runtime_names = sorted({b.runtime for b in bundles})
        say(f"copying the page and its runtime files ({', '.join(runtimes.get(r).title for r in runtime_names)})…")
        for name, path in all_files(vendor_root, runtime_names).items():
            data = path.read_bytes()
            _write(tmp / "assets" / version / name, data)  # with the fallback backends
            for encoding, copy in precompressed.read_beside(path, data).items():  # made ahead: no 30 s brotli
                _write(precompressed.copy_path(tmp / "assets" / version / name, encoding), copy)
        if len(bundles) == 1:
            _model_page(bundles[0], tmp, f"assets/{version}/", vendor_root, version, isolate_sw)
        else:
            for bundle in bundles:
                _model_page(bundle, tmp / "models" / bundle.name, f"../../assets/{version}/", vendor_root, version,
                            isolate_sw)
            _write(tmp / "index.html", _render("models.html", static=f"assets/{version}/static/",
                                               models=[(title_of(b.contract), f"models/{b.name}/") for b in bundles]))
        precompress(tmp, say)
        write_host_files(tmp, multi=len(bundles) > 1, isolate=isolate)  # after the copies it lists
    files = [p for p in out.rglob("*") if p.is_file()]
    size = sum(p.stat().st_size for p in files) / 1e6
    say(f"{len(files)} files, {size:.1f} MB, in {time.monotonic() - started:.1f} s")
    return out


def precompress(folder: Path, say: Callable[[str], object] = lambda _: None) -> None:
    """Write .gz and .br copies of text assets (and wasm) worth compressing (those copied
    with their copies already are only checked)."""
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".gz", ".br", ".bin") or path.name in HOST_FILES:
            continue
        if path.suffix not in COMPRESS_SUFFIXES:
            continue
        data = path.read_bytes()
        if len(data) >= MIN_COMPRESS_BYTES:
            def told(missing: list[str], name: str = str(path.relative_to(folder)), size: int = len(data)) -> None:
                if size > 1_000_000:
                    say(f"compressing {name} ({size / 1e6:.1f} MB; brotli takes a while)…")

            precompressed.write_beside(path, data, making=told)  # keeps the copies already there if they are right
