"""The page's own files and the runtimes' (TF.js, ONNX Runtime Web), held in memory with their
compressed forms.

Each file is served twice: under `assets/<version>/...`, where the version is the hash of
every file of the page, with `immutable` caching (a returning visitor asks for nothing),
and under its plain name, revalidated by ETag, for people who link to it. The runtimes' files
come with their brotli and gzip copies made ahead (clientside/precompressed.py: in the wheel,
and beside node_modules after `make install`), checked against the file when loaded. A file
without them (the page's own small modules; a node_modules that only `npm ci` made) is
gzipped when first loaded, so nothing worth compressing is ever sent raw, and its brotli form
(slow to make: about 30 s for ONNX Runtime's wasm) is made in a background thread the first
time a client asks for it, which gets gzip meanwhile.
"""
from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import Response, request

from .. import precompressed, runtimes
from ..vendor import VENDOR_FILES
from . import page_modules
from .http_cache import IMMUTABLE, REVALIDATE, etag_of

STATIC = Path(__file__).with_name("static")
TEMPLATES = Path(__file__).with_name("templates")

MIMETYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".wasm": "application/wasm",
             ".svg": "image/svg+xml", ".json": "application/json", ".html": "text/html"}
MIN_COMPRESS_BYTES = 1024

#: The npm files a page may load besides its runtime's: the CSV reader, the tokenizer.json
#: reader and the audio steps' FFT (each for the kinds that use it: page_modules.VENDOR).
KIND_VENDOR_FILES = sorted({name for names in page_modules.VENDOR.values() for name in names})


def static_files() -> dict[str, Path]:
    """The page's own files, folders included: "static/inputs/text.js" -> its path. sw.js is
    not one: it is generated per app."""
    return {f"static/{p.relative_to(STATIC).as_posix()}": p for p in sorted(STATIC.rglob("*"))
            if p.is_file() and p.name != "sw.js"}


def shell_files(vendor_root: Path, contract: Mapping[str, Any]) -> dict[str, Path]:
    """The page's own files and the runtime files it needs offline: name -> file on disk.
    Only the bundle's own runtime (a TF.js page keeps no ONNX Runtime, and the reverse) and
    its own kinds' modules (a page without sound keeps no audio code)."""
    unused = page_modules.unused_modules(contract)
    files = {name: path for name, path in static_files().items() if name.removeprefix("static/") not in unused}
    names = [*runtimes.get(contract["runtime"]).offline_files, *page_modules.vendor_files(contract)]
    files.update({f"vendor/{n}": vendor_root / VENDOR_FILES[n] for n in names})
    return files


def all_files(vendor_root: Path, runtime_names: Sequence[str] | None = None) -> dict[str, Path]:
    """Everything the page may load: the shell plus the fallback backends; with runtime_names,
    only those runtimes' files (a static build of TF.js bundles carries no ONNX Runtime). The
    rest of VENDOR_FILES is for Node (--verify)."""
    files = static_files()
    if runtime_names is None:
        runtime_names = list(runtimes.RUNTIMES)
    names = [n for r in runtime_names for n in runtimes.get(r).page_files] + KIND_VENDOR_FILES
    files.update({f"vendor/{n}": vendor_root / VENDOR_FILES[n] for n in names})
    return files


def runtime_file_sizes(vendor_root: Path, runtime: str) -> dict[str, int]:
    """The runtime's page files and their sizes uncompressed: the page counts its download
    progress in them (the network may carry them compressed)."""
    return {n: (vendor_root / VENDOR_FILES[n]).stat().st_size for n in runtimes.get(runtime).page_files}


def assets_version(vendor_root: Path) -> str:
    """Changes whenever any file of the page does (content hash)."""
    return _version(_load_all(vendor_root))


def _load_all(vendor_root: Path) -> dict[str, Asset]:
    return {name: _cached(path) for name, path in all_files(vendor_root).items()}


def _version(assets: dict[str, Asset]) -> str:
    h = hashlib.sha256()
    for name, asset in sorted(assets.items()):
        h.update(f"{name}\0{asset.etag}\0".encode())  # etag: a sha256 of the content
    for template in sorted(TEMPLATES.iterdir()):
        h.update(template.read_bytes())
    return h.hexdigest()[:16]


@dataclass
class Asset:
    body: bytes
    mimetype: str
    etag: str
    gzip: bytes | None
    compressible: bool = False
    _brotli: bytes | None = field(default=None, repr=False)
    _worker_pid: int | None = field(default=None, repr=False)  # the process compressing it
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @classmethod
    def load(cls, path: Path) -> Asset:
        body = path.read_bytes()
        mimetype = MIMETYPES.get(path.suffix, "application/octet-stream")
        compressible = len(body) >= MIN_COMPRESS_BYTES
        if not compressible:
            return cls(body, mimetype, etag_of(body), None)
        made = precompressed.read_beside(path, body)
        return cls(body, mimetype, etag_of(body), made.get("gzip") or precompressed.compress(body, "gzip"),
                   compressible, _brotli=made.get("br"))

    def brotli(self) -> bytes | None:
        """The brotli body; None while it is being made, or if not worth making."""
        self._compress_in_background()
        return self._brotli

    def gzipped(self) -> bytes | None:
        """The gzip body; None if not worth making."""
        return self.gzip

    def _compress_in_background(self) -> None:
        if not self.compressible:
            return
        with self._lock:
            # a thread started before gunicorn forked its workers does not exist in them
            if self._brotli is None and self._worker_pid != os.getpid():
                self._worker_pid = os.getpid()
                threading.Thread(target=self._compress, daemon=True, name="clientside-compress").start()

    def _compress(self) -> None:
        body = precompressed.compress(self.body, "br")
        with self._lock:
            self._brotli = body

    def response(self, *, immutable: bool) -> Response:
        """The best encoding the client accepts (and that is ready), with an ETag per encoding."""
        accepted = request.accept_encodings
        body, encoding = self.body, None
        if self.compressible:
            packed = self.brotli() if accepted["br"] else None
            zipped = self.gzipped() if accepted["gzip"] else None
            if packed is not None:
                body, encoding = packed, "br"
            elif zipped is not None:
                body, encoding = zipped, "gzip"
        response = Response(body, mimetype=self.mimetype)
        response.set_etag(f"{self.etag}-{encoding}" if encoding else self.etag)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if self.compressible:
            response.vary.add("Accept-Encoding")
        response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
        response.make_conditional(request)  # in place
        return response


_CACHE: dict[tuple[str, int, int], Asset] = {}
_CACHE_LOCK = threading.Lock()


def _cached(path: Path) -> Asset:
    """One Asset per file content per process, however many apps are made."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    with _CACHE_LOCK:
        asset = _CACHE.get(key)
        if asset is None:
            asset = _CACHE[key] = Asset.load(path)
        return asset


class AssetStore:
    """The files of one app, loaded at start-up so a bad install fails then, not mid-visit."""

    def __init__(self, vendor_root: Path):
        self.vendor_root = vendor_root
        self.assets = _load_all(vendor_root)
        self.version = _version(self.assets)
        self.prefix = f"assets/{self.version}/"

    def get(self, name: str) -> Asset | None:
        return self.assets.get(name)

    def shell_urls(self, contract: Mapping[str, Any]) -> list[str]:
        """The service worker's list, relative to the page."""
        return [self.prefix + name for name in shell_files(self.vendor_root, contract)]
