"""One error family: every failure a user can cause has a status and a JSON shape."""
from __future__ import annotations

from typing import Any


class ClientsideError(Exception):
    """Base of every error clientside raises on purpose (never a bug)."""

    status: int = 400

    def __init__(self, message: str, *, status: int | None = None, file: str | None = None):
        super().__init__(message)
        self.message = message
        self.file = file
        if status is not None:
            self.status = status

    def to_dict(self) -> dict[str, Any]:
        return error_body(self.status, self.message, file=self.file)


class InputError(ClientsideError):
    """A request or an uploaded file that cannot be used (4xx)."""


class BundleError(ClientsideError):
    """A model bundle on disk that is missing, malformed or inconsistent."""

    status = 500


class InstallError(ClientsideError):
    """A part of clientside's own installation is missing (TF.js, Node)."""

    status = 500


class ExportError(ClientsideError):
    """A model that cannot be exported exactly (for its runtime, or at all): nothing was written."""


def size_in_words(n: int) -> str:
    """33554432 -> "32 MB", 2000000 -> "1.9 MB", 4800 -> "4.7 KB": for messages (MB = 2**20 bytes)."""
    if n >= 1 << 20:
        return f"{n / (1 << 20):.3g} MB"
    if n >= 1 << 10:
        return f"{n / (1 << 10):.3g} KB"
    return f"{n} bytes"


def too_large(size: int | None, limit: int) -> str:
    """The 413's words, the same from the app and from the HTTP front."""
    sent = f" ({size_in_words(size)})" if size else ""
    return (f"The upload{sent} is larger than the server's limit of {size_in_words(limit)}: send fewer or smaller "
            "files at a time.")


def error_body(status: int, message: str, **extra: Any) -> dict[str, Any]:
    """The single JSON error shape of every endpoint."""
    error: dict[str, Any] = {"status": status, "message": message}
    error.update({k: v for k, v in extra.items() if v is not None})
    return {"error": error}
