"""What a static host must send for each file of a build, written in the forms hosts read:

    _headers             Netlify and Cloudflare Pages: cache, security and (--isolate)
                         cross-origin isolation headers per path
    _s3-metadata.json    S3 (and CloudFront in front of it): per object, the file to upload
                         and its Content-Type, Content-Encoding and Cache-Control

One rule per kind of file (`cache_control`, `content_type`) feeds both; the tests hold each
file to what `clientside serve` itself sends for the same URL. S3 cannot send the security or
isolation headers (object metadata has no such field): a CloudFront response headers policy
does, with the values of `security_headers` (README, "Hosting").
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ..server.headers import ISOLATION_HEADERS, SECURITY_HEADERS
from ..server.http_cache import IMMUTABLE, REVALIDATE

HEADERS_FILE = "_headers"
S3_FILE = "_s3-metadata.json"
#: What the build writes for hosts, not for visitors (no host serves them).
HOST_FILES = (HEADERS_FILE, S3_FILE)

#: By suffix, as the app's AssetStore and model routes send them (text types in UTF-8).
CONTENT_TYPES = {".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8",
                 ".mjs": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8",
                 ".json": "application/json", ".wasm": "application/wasm", ".svg": "image/svg+xml; charset=utf-8"}
OCTET = "application/octet-stream"


def security_headers(isolate: bool = False) -> dict[str, str]:
    """The headers every response carries (COOP/COEP too when isolated: wasm threads)."""
    return {**SECURITY_HEADERS, **(ISOLATION_HEADERS if isolate else {})}


def cache_control(path: str) -> str:
    """path: a file's place in the build (`assets/…`, `model/model.json`, `models/x/sw.js`).
    Content-hashed names are immutable: the folder of the page's files (its name is their
    hash) and the model's shards; what names them (the page, model.json, api/model, sw.js)
    is revalidated."""
    if path.startswith("assets/"):
        return IMMUTABLE
    parts = path.split("/")
    if len(parts) >= 2 and parts[-2] == "model" and parts[-1] != "model.json":
        return IMMUTABLE  # every built shard name is hashed
    return REVALIDATE


def content_type(path: str) -> str:
    name = path.rsplit("/", 1)[-1]
    if name == "model" and path.endswith("api/model"):
        return "application/json"
    suffix = name[name.rfind("."):] if "." in name else ""
    return CONTENT_TYPES.get(suffix, OCTET)


def headers_file(multi: bool = False, isolate: bool = False) -> str:
    """Netlify / Cloudflare Pages `_headers`: the headers of each path. Both hosts combine
    every rule that matches; `! Cache-Control` drops what an earlier rule set."""
    security = "".join(f"  {k}: {v}\n" for k, v in security_headers(isolate).items())
    # one splat at most per rule (Cloudflare's limit); :name matches one path segment
    root = "/models/:name/" if multi else "/"
    pages = ["/", "/index.html", *([root, f"{root}index.html"] if multi else [])]
    rules = [
        ("/*", security),
        ("/assets/*", f"  Cache-Control: {IMMUTABLE}\n"),
        (f"{root}model/*", f"  Cache-Control: {IMMUTABLE}\n"),  # every built shard name is hashed
        (f"{root}model/model.json", f"  ! Cache-Control\n  Cache-Control: {REVALIDATE}\n"),
        (f"{root}api/model", f"  Cache-Control: {REVALIDATE}\n  Content-Type: application/json\n"),
        (f"{root}sw.js", f"  Cache-Control: {REVALIDATE}\n"),
        *((page, f"  Cache-Control: {REVALIDATE}\n") for page in pages),
    ]
    return "".join(f"{path}\n{body}" for path, body in rules)


def s3_metadata(folder: Path) -> list[dict[str, Any]]:
    """One entry per object of the site: its key, the file to upload for it (the gzip copy
    where the build made one: every browser takes gzip, and S3 cannot choose by
    Accept-Encoding) and the metadata to set on it."""
    entries = []
    for path in sorted(folder.rglob("*")):
        key = path.relative_to(folder).as_posix()
        if not path.is_file() or path.suffix in (".gz", ".br") or key in HOST_FILES:
            continue
        gzip = path.with_name(path.name + ".gz")
        entry: dict[str, Any] = {"key": key, "file": key, "content_type": content_type(key),
                                 "cache_control": cache_control(key)}
        if gzip.is_file():
            entry.update(file=gzip.relative_to(folder).as_posix(), content_encoding="gzip")
        entries.append(entry)
    return entries


def write_host_files(folder: Path, *, multi: bool, isolate: bool) -> None:
    (folder / HEADERS_FILE).write_text(headers_file(multi=multi, isolate=isolate))
    (folder / S3_FILE).write_text(json.dumps({
        "about": "S3 object metadata for this site, one entry per object: upload `file` as `key` with "
                 "these headers (README, Hosting). Security and isolation headers need a CloudFront "
                 "response headers policy.",
        "response_headers": security_headers(isolate), "objects": s3_metadata(folder)}, indent=1) + "\n")
