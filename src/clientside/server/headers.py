"""Security headers on every response, CORS only where asked, COOP/COEP on request."""
from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, request

#: No inline script anywhere; wasm compilation needs 'wasm-unsafe-eval'; previews (pictures, sound) are blob: URLs;
#: TF.js's threaded wasm starts its helper workers, and their script, from blob: URLs.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' blob: 'wasm-unsafe-eval'; worker-src 'self' blob:; "
    "style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}

ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
}


def secure(response: Response, *, isolate: bool = False) -> Response:
    """The security headers (and COOP/COEP with isolate) on one response; a view's own win."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if isolate:
        response.headers.update(ISOLATION_HEADERS)
    return response


def install(bp: Blueprint, *, isolate: bool = False, cors: Sequence[str] = ()) -> None:
    """Add the headers to every response of bp (and of the blueprints inside it).

    cors: origins allowed to fetch the model and call the API from other sites ("*" for
    any); none by default, unlike the article, which allowed every origin everywhere.
    """
    allowed = frozenset(cors)

    @bp.after_request
    def add_headers(response: Response) -> Response:
        secure(response, isolate=isolate)
        origin = request.headers.get("Origin")
        if allowed and origin and ("*" in allowed or origin in allowed):
            response.headers["Access-Control-Allow-Origin"] = "*" if "*" in allowed else origin
            response.headers["Access-Control-Expose-Headers"] = "ETag, X-Tensor-Shape, X-Tensor-Dtype"
            response.headers.add("Vary", "Origin")
            if request.method == "OPTIONS":
                response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
                response.headers["Access-Control-Allow-Headers"] = "Accept, Content-Type, If-None-Match"
                response.headers["Access-Control-Max-Age"] = "600"
        if isolate and allowed:
            response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
        return response
