"""`clientside nginx-conf`: an nginx server block for a static build.

nginx's add_header is not inherited by a location that sets its own, so every location
repeats the security headers.
"""
from __future__ import annotations

from pathlib import Path

from ..files import HASHED_NAME_SUFFIX
from ..server.headers import ISOLATION_HEADERS, SECURITY_HEADERS
from ..server.http_cache import IMMUTABLE, REVALIDATE


def _headers(cache: str, isolate: bool, indent: str = "        ") -> str:
    lines = [f'add_header Cache-Control "{cache}" always;']
    headers = {**SECURITY_HEADERS, **(ISOLATION_HEADERS if isolate else {})}
    lines += [f'add_header {k} "{v}" always;' for k, v in headers.items()]
    return "\n".join(indent + line for line in lines)


def server_block(root: str | Path, *, listen: str = "80", server_name: str = "_",
                 isolate: bool = False, brotli: bool = False, api_upstream: str | None = None) -> str:
    """root: the folder `clientside build` wrote. api_upstream: host:port of `clientside
    serve`, for bundles that prepare images on the server (/api/ is proxied there)."""
    root = Path(root).resolve()
    immutable = _headers(IMMUTABLE, isolate)
    revalidate = _headers(REVALIDATE, isolate)
    proxy = ""
    if api_upstream:
        proxy = f"""
    # Server-side preprocessing runs in clientside's WSGI server.
    location /api/ {{
        proxy_pass http://{api_upstream};
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        client_max_body_size 32m;
    }}
"""
    return f"""server {{
    listen {listen};
    server_name {server_name};
    root {root};
    index index.html;

    gzip_static on;{"" if not brotli else chr(10) + "    brotli_static on;  # needs the ngx_brotli module"}
    gzip on;
    gzip_types text/css text/javascript application/javascript application/json application/wasm image/svg+xml;
    charset utf-8;
    charset_types text/css text/javascript application/javascript application/json image/svg+xml;

    # Content-hashed: the folder name (assets) or the file name (shards) changes with the content.
    location /assets/ {{
        types {{ text/html html; text/css css; text/javascript js mjs; application/wasm wasm;
                image/svg+xml svg; application/json json; }}
{immutable}
    }}
    location ~ "/model/[^/]+{HASHED_NAME_SUFFIX}$" {{
        types {{ }} default_type application/octet-stream;
{immutable}
    }}
    # The model's description and the page: always revalidated (ETag, 304).
    location ~ /api/model$ {{
        default_type application/json;
{revalidate}
    }}
    location / {{
        types {{ text/html html; text/css css; text/javascript js mjs; application/wasm wasm;
                image/svg+xml svg; application/json json; application/octet-stream bin onnx; }}
        try_files $uri $uri/ =404;
{revalidate}
    }}
{proxy}}}
"""
