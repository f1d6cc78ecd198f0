"""Compressed copies (`.br`, `.gz`) kept beside a file, made once, checked whenever read.

ONNX Runtime Web's wasm is 14 MB raw, 3.6 MB gzipped and 2.4 MB as brotli, which takes about
30 s to make. A server that compressed it after start-up sent it raw meanwhile: a first visit
at 4 Mbit/s then waited 27 s. So the copies are made ahead: by the wheel's build (setup.py, for
clientside/vendored/), by `make install` after `npm ci` (`python -m clientside.precompressed`,
for node_modules), and by the static build. A copy is used only if it decompresses to the file
it stands beside, so a stale one is remade, never served.

This module imports nothing from clientside at import time: setup.py loads it by path.
"""
from __future__ import annotations

import gzip
import os
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

#: Content-Encoding -> the suffix of its copy.
SUFFIX = {"br": ".br", "gzip": ".gz"}
#: Files worth compressing: text and wasm (images, weights and ONNX files are left alone).
COMPRESSIBLE = (".html", ".js", ".mjs", ".cjs", ".css", ".json", ".svg", ".wasm", ".txt")
MIN_BYTES = 1024


def worth_compressing(path: Path, size: int) -> bool:
    return path.suffix in COMPRESSIBLE and size >= MIN_BYTES


def compress(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.compress(data, 9, mtime=0)  # mtime=0: the same bytes every time
    import brotli

    return brotli.compress(data, quality=11)


def decompress(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(data)
    import brotli

    return brotli.decompress(data)


def copy_path(path: Path, encoding: str) -> Path:
    return path.with_name(path.name + SUFFIX[encoding])


def read_beside(path: Path, body: bytes | None = None) -> dict[str, bytes]:
    """encoding -> the copy beside path, for each copy that decompresses to the file's body."""
    body = path.read_bytes() if body is None else body
    found = {}
    for encoding in SUFFIX:
        try:
            copy = copy_path(path, encoding).read_bytes()
            if decompress(copy, encoding) == body:
                found[encoding] = copy
        except Exception:  # noqa: BLE001 - missing, truncated or foreign: it is remade
            continue
    return found


def write_beside(path: Path, body: bytes | None = None,
                 making: Callable[[list[str]], object] | None = None) -> dict[str, bytes]:
    """Make sure path has both copies, correct: those missing or stale are (re)written,
    each atomically (a reader never sees half a copy). making: told the encodings it must
    make, before it makes them (brotli takes a while). Returns encoding -> copy."""
    body = path.read_bytes() if body is None else body
    copies = read_beside(path, body)
    missing = [encoding for encoding in SUFFIX if encoding not in copies]
    if missing and making is not None:
        making(missing)
    for encoding in missing:
        copies[encoding] = compress(body, encoding)
        _write_atomically(copy_path(path, encoding), copies[encoding])
    return copies


def _write_atomically(target: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_all(paths: Iterable[Path], say: Callable[[str], object] = print) -> int:
    """write_beside for each file worth compressing; says each one it had to compress."""
    made = 0
    for path in paths:
        body = path.read_bytes()
        if not worth_compressing(path, len(body)):
            continue

        def told(missing: list[str], path: Path = path, size: int = len(body)) -> None:
            nonlocal made
            say(f"compressing {path} ({size / 1e6:.1f} MB)")
            made += 1

        write_beside(path, body, making=told)
    return made


def main(argv: list[str] | None = None) -> int:
    """`python -m clientside.precompressed [NODE_MODULES]`: the copies of the page's npm files."""
    from .vendor import VENDOR_FILES, find_vendor_root

    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else find_vendor_root()
    made = write_all(root / rel for rel in VENDOR_FILES.values())
    print(f"precompressed copies of the page's runtime files are ready in {root} ({made} made now)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
