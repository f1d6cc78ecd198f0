"""Caching rules: content-hashed files forever, everything else revalidated by ETag."""
from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Response, request, send_file

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def _finish(response: Response, immutable: bool) -> Response:
    response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    return response.make_conditional(request)


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def bytes_response(body: bytes, mimetype: str, *, etag: str, immutable: bool = False) -> Response:
    """In-memory content with a strong ETag (computed once, by the caller, with etag_of);
    If-None-Match gets a 304."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    return _finish(response, immutable)


def file_response(path: Path, mimetype: str, *, etag: str, immutable: bool = False) -> Response:
    """A file streamed from disk with the given ETag (its content hash where known)."""
    response = send_file(path, mimetype=mimetype, conditional=False, etag=False)
    response.set_etag(etag)
    return _finish(response, immutable)
