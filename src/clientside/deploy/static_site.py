"""Static build: a folder any static host or CDN serves with no Python at all.

    OUT/index.html, sw.js, api/model            revalidated (no-cache)
    OUT/model/model.json                        revalidated
    OUT/model/group1-shard*.<hash>.bin          immutable (content-hashed names, given here if missing)
    OUT/assets/<hash>/static/*, vendor/*        immutable (the folder name is their hash)
    OUT/_headers                                cache and security headers per path
    *.gz, *.br beside every text asset          precompressed, for gzip_static and the like

Several bundles go to OUT/models/<name>/ each, with an index page listing them. Only
bundles whose preprocessing runs in the browser can be built: nothing answers /api/prepare.
"""
from __future__ import annotations

import dataclasses
import hashlib
import gzip
import json
import os
import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from flask import Flask, render_template

from ..bundle import MODEL_JSON, Bundle, BundleSpec, hashed_shard_name, load_bundles
from ..errors import BundleError
from ..server.headers import SECURITY_HEADERS
from ..server.http_cache import IMMUTABLE, REVALIDATE
from ..server.assets import PAGE_MODULES, all_files, assets_version, shell_files
from ..server.pages import service_worker
from ..vendor import find_vendor_root

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


def with_hashed_shards(bundle: Bundle) -> Bundle:
    """The bundle as a static host serves it: every shard under a content-hashed name (a
    plain TF.js folder's `group1-shard1of1.bin` becomes `group1-shard1of1.<hash>.bin`, and
    model.json says so), so that the one caching rule, hashed names immutable, holds."""
    if bundle.model_json is None:  # ONNX: one file, named by its content unless it came from elsewhere
        shards = [s if s.hashed_name else dataclasses.replace(s, path=hashed_shard_name(
            s.path.removesuffix(".onnx"), s.sha256, ".onnx")) for s in bundle.shards]
        return dataclasses.replace(bundle, shards=shards,
                                   contract={**bundle.contract, "files": [s.entry() for s in shards]})
    renamed = {s.path: s.path if s.hashed_name else hashed_shard_name(s.path.removesuffix(".bin"), s.sha256)
               for s in bundle.shards}
    model_json = json.loads(json.dumps(bundle.model_json))
    for group in model_json.get("weightsManifest", []):
        group["paths"] = [renamed[p] for p in group["paths"]]
    shards = [dataclasses.replace(s, path=renamed[s.path]) for s in bundle.shards]
    body = json.dumps(model_json, separators=(",", ":")).encode()
    files = [{"path": MODEL_JSON, "size": len(body), "sha256": hashlib.sha256(body).hexdigest()},
             *(s.entry() for s in shards)]
    return dataclasses.replace(bundle, model_json=model_json, shards=shards,
                               contract={**bundle.contract, "files": files})


def _model_page(bundle: Bundle, out: Path, assets: str, vendor_root: Path, version: str) -> None:
    """index.html, sw.js, api/model and model/ for one bundle, in out."""
    if bundle.prepare == "server":
        raise BundleError(f"{bundle.root} needs server preprocessing (/api/prepare), which a "
                          "static site cannot run: serve it with `clientside serve` instead.")
    built = with_hashed_shards(bundle)
    info = {**built.contract, "prepare": "browser"}
    _write(out / "index.html", _render("index.html", title=f"clientside: {bundle.name}",
                                       info=info, static=f"{assets}static/", modules=PAGE_MODULES))
    _write(out / "api" / "model", json.dumps(info))
    if built.model_json is not None:
        _write(out / "model" / MODEL_JSON, json.dumps(built.model_json, separators=(",", ":")))  # as in files
    (out / "model").mkdir(parents=True, exist_ok=True)
    for source, shard in zip(bundle.shards, built.shards):
        shutil.copyfile(bundle.root / source.path, out / "model" / shard.path)
    shell = ["./", *(f"{assets}{name}" for name in shell_files(vendor_root, bundle.runtime))]
    _write(out / "sw.js", service_worker(shell, f"{version}-{bundle.content_hash}"))


def build(bundle_dirs: Sequence[BundleSpec] | Mapping[str, str | os.PathLike], out_dir: str | os.PathLike,
          vendor_root: Path | None = None) -> Path:
    """Write the static site for one or more bundles into out_dir (replacing it)."""
    bundles = load_bundles(bundle_dirs)
    vendor_root = vendor_root or find_vendor_root()
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()) and not (out / "_headers").exists():
        raise BundleError(f"{out} is not empty and is not a clientside build: refusing to overwrite it.")
    tmp = out.with_name(f".{out.name}.building")
    shutil.rmtree(tmp, ignore_errors=True)
    version = assets_version(vendor_root)
    runtimes = sorted({b.runtime for b in bundles})
    for name, path in all_files(vendor_root, runtimes).items():  # with the fallback backends
        _write(tmp / "assets" / version / name, path.read_bytes())
    if len(bundles) == 1:
        _model_page(bundles[0], tmp, f"assets/{version}/", vendor_root, version)
    else:
        for bundle in bundles:
            _model_page(bundle, tmp / "models" / bundle.name, f"../../assets/{version}/", vendor_root, version)
        _write(tmp / "index.html", _render("models.html", models=[(b.name, f"models/{b.name}/") for b in bundles],
                                           static=f"assets/{version}/static/"))
    _write(tmp / "_headers", headers_file(multi=len(bundles) > 1))
    precompress(tmp)
    if out.exists():
        shutil.rmtree(out)
    os.replace(tmp, out)
    return out


def headers_file(multi: bool = False) -> str:
    """Netlify / Cloudflare Pages `_headers`: the cache and security rules for each path."""
    security = "".join(f"  {k}: {v}\n" for k, v in SECURITY_HEADERS.items())
    root = "/models/*/" if multi else "/"
    rules = [
        ("/*", security),
        ("/assets/*", f"  Cache-Control: {IMMUTABLE}\n"),
        (f"{root}model/*", f"  Cache-Control: {IMMUTABLE}\n"),  # every built shard name is hashed
        (f"{root}model/model.json", f"  ! Cache-Control\n  Cache-Control: {REVALIDATE}\n"),
        (f"{root}api/model", f"  Cache-Control: {REVALIDATE}\n  Content-Type: application/json\n"),
        (f"{root}sw.js", f"  Cache-Control: {REVALIDATE}\n"),
        ("/*.html", f"  Cache-Control: {REVALIDATE}\n"),
        ("/", f"  Cache-Control: {REVALIDATE}\n"),
    ]
    return "".join(f"{path}\n{body}" for path, body in rules)


def precompress(folder: Path) -> None:
    """Write .gz and .br copies of text assets (and wasm) worth compressing."""
    import brotli

    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.suffix in (".gz", ".br", ".bin") or path.name == "_headers":
            continue
        if path.suffix not in COMPRESS_SUFFIXES:
            continue
        data = path.read_bytes()
        if len(data) < MIN_COMPRESS_BYTES:
            continue
        path.with_name(path.name + ".gz").write_bytes(gzip.compress(data, 9, mtime=0))
        path.with_name(path.name + ".br").write_bytes(brotli.compress(data, quality=11))
