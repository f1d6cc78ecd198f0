"""Caching rules: content-hashed files forever, everything else revalidated by ETag."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Response, abort, request
from werkzeug.wsgi import wrap_file

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


def _finish(response: Response, immutable: bool) -> Response:
    response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    response.make_conditional(request)  # in place
    return response


def etag_of(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:32]


def bytes_response(body: bytes, mimetype: str, *, etag: str, immutable: bool = False) -> Response:
    """In-memory content with a strong ETag (computed once, by the caller, with etag_of);
    If-None-Match gets a 304."""
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    return _finish(response, immutable)


def file_response(path: Path, mimetype: str, *, etag: str, immutable: bool = False) -> Response:
    """A file streamed from disk with the given ETag (its content hash where known).

    A revalidation is answered 304 without touching the file. Otherwise the file is opened
    once, here: one that vanished or cannot be read since start-up gets a JSON 404 or
    503, never a 500 (no window between a check and the open)."""
    response = Response(mimetype=mimetype)
    response.set_etag(etag)
    response.headers["Cache-Control"] = IMMUTABLE if immutable else REVALIDATE
    if request.if_none_match.contains(etag):
        response.make_conditional(request)  # in place
        return response
    try:
        file = open(path, "rb")  # noqa: SIM115 - closed by the response
    except FileNotFoundError:
        abort(404, description=f"The file {path.name!r} is missing on the server.")
    except OSError as exc:
        abort(503, description=f"The file {path.name!r} cannot be read on the server ({exc.strerror}).")
    response.response = wrap_file(request.environ, file)
    response.direct_passthrough = True
    response.content_length = os.fstat(file.fileno()).st_size
    return response
