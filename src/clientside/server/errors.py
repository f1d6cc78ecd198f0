"""One JSON error shape for every endpoint (see clientside.errors.error_body)."""
from __future__ import annotations

from flask import Flask, jsonify
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from ..errors import ClientsideError, error_body, too_large


def register_error_handlers(app: Flask, max_bytes: int | None) -> None:
    def http_error(exc: HTTPException):
        message = exc.description or exc.name
        if isinstance(exc, RequestEntityTooLarge) and max_bytes:
            from flask import request

            message = too_large(request.content_length, max_bytes)
        return jsonify(error_body(exc.code or 500, message)), exc.code or 500

    def clientside_error(exc: ClientsideError):
        return jsonify(exc.to_dict()), exc.status

    def unexpected(exc: Exception):
        app.logger.exception("Unhandled error")
        return jsonify(error_body(500, "Internal server error.")), 500

    app.register_error_handler(HTTPException, http_error)
    app.register_error_handler(ClientsideError, clientside_error)
    app.register_error_handler(Exception, unexpected)
