"""What the open internet sends a server: odd-but-valid and hostile uploads, malformed HTTP,
path traversal. Made by code, so anyone can rerun it; used by the reliability bench and,
for the cases that fail fast, by tests/server/test_hostile.py.

Each upload is (name, bytes, expected): "ok" for an image the pipeline must prepare (200),
"refused" for one it must refuse with a 4xx. Neither may ever get a 5xx.
"""
from __future__ import annotations

import io
import socket
import struct
import zlib

import numpy as np
from PIL import Image, PngImagePlugin

FORMATS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp", "BMP": "bmp"}
#: Modes each format can write (Pillow), all of which a user's file may come in.
MODES = {
    "PNG": ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"],
    "JPEG": ["L", "RGB", "CMYK"],
    "GIF": ["1", "L", "P"],
    "WEBP": ["RGB", "RGBA"],
    "BMP": ["1", "L", "P", "RGB"],
}


def _digit(size: tuple[int, int] = (64, 48)) -> Image.Image:
    """A dark stroke on light paper, like a photographed digit."""
    w, h = size
    a = np.full((h, w), 235, np.uint8)
    a[h // 5: 4 * h // 5, w // 2 - 3: w // 2 + 3] = 20
    a[h // 5: h // 5 + 5, w // 3: 2 * w // 3] = 20
    return Image.fromarray(a).convert("RGB")


def _save(img: Image.Image, fmt: str, **options) -> bytes:
    buf = io.BytesIO()
    img.save(buf, fmt, **options)
    return buf.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims width x height and whose data is one row: a pixel bomb."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" + b"\0" * 16)
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", ihdr) + _png_chunk(b"IDAT", idat) + _png_chunk(b"IEND", b"")


def _lie_about_size(data: bytes, fmt: str, width: int, height: int) -> bytes:
    """A real small file of fmt whose header is rewritten to claim a huge size."""
    b = bytearray(data)
    if fmt == "GIF":
        b[6:10] = struct.pack("<HH", width, height)          # logical screen
        i = b.index(b"\x2c")                                  # first image descriptor
        b[i + 5:i + 9] = struct.pack("<HH", width, height)
    elif fmt == "BMP":
        b[18:26] = struct.pack("<ii", width, height)
    elif fmt == "JPEG":
        i = b.index(b"\xff\xc0") if b"\xff\xc0" in b else b.index(b"\xff\xc2")
        b[i + 5:i + 9] = struct.pack(">HH", height, width)
    elif fmt == "WEBP":
        i = b.index(b"VP8 ")
        b[i + 14:i + 18] = struct.pack("<HH", width & 0x3FFF, height & 0x3FFF)
    return bytes(b)


def uploads() -> list[tuple[str, bytes, str]]:
    """At least 40 files: every mode each format writes, then bombs, lies and animations."""
    items: list[tuple[str, bytes, str]] = []
    base = _digit()
    for fmt, modes in MODES.items():
        for mode in modes:
            if mode == "I;16":  # 16-bit greyscale, as scanners write
                img = Image.fromarray(np.asarray(base.convert("L"), np.uint16) * 257)
            elif mode in ("RGB", "RGBA", "CMYK"):
                img = base.convert(mode)
            else:
                img = base.convert("L").convert(mode)
            items.append((f"mode-{mode.replace(';', '')}.{FORMATS[fmt]}", _save(img, fmt), "ok"))
    items += [
        ("progressive.jpg", _save(base, "JPEG", progressive=True), "ok"),
        ("exif-rotated.jpg", _save(base, "JPEG", exif=_exif_rotated()), "ok"),
        ("interlaced.png", _save(base, "PNG", optimize=False), "ok"),
        ("one-pixel.png", _save(Image.new("L", (1, 1), 0), "PNG"), "refused"),  # blank: nothing to predict
        ("transparent.png", _save(Image.new("RGBA", (40, 40), (0, 0, 0, 0)), "PNG"), "refused"),
        ("tall-thin.png", _save(_digit((3, 900)), "PNG"), "ok"),
        ("animated-300-frames.gif", _animated("GIF", 300), "ok"),
        ("animated-100-frames.webp", _animated("WEBP", 100), "ok"),
        ("png-50000x50000.png", _png_with_size(50_000, 50_000), "refused"),
        ("png-1x2000000000.png", _png_with_size(1, 2_000_000_000), "refused"),
        ("text-chunk-bomb.png", _text_bomb(), "refused"),
        ("empty.png", b"", "refused"),
        ("not-an-image.png", b"<html><body>hello</body></html>", "refused"),
        ("svg.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="9e9" height="9e9"/>', "refused"),
        ("tiff.png", _save(base, "TIFF"), "refused"),  # a format outside the allowed list
    ]
    for fmt in ("GIF", "BMP", "JPEG", "WEBP"):
        small = _save(base, fmt)
        items.append((f"bomb-{fmt.lower()}.{FORMATS[fmt]}", _lie_about_size(small, fmt, 16000, 16000), "refused"))
    for fmt in FORMATS:
        data = _save(base, fmt)
        items.append((f"truncated-half.{FORMATS[fmt]}", data[: len(data) // 2], "refused"))
        items.append((f"header-only.{FORMATS[fmt]}", data[:24], "refused"))
    return items


def _exif_rotated() -> bytes:
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    return exif.tobytes()


def _animated(fmt: str, frames: int) -> bytes:
    images = [_digit((32, 32)).convert("P" if fmt == "GIF" else "RGB") for _ in range(frames)]
    return _save(images[0], fmt, save_all=True, append_images=images[1:], duration=10, loop=0)


def _text_bomb() -> bytes:
    """A valid PNG with a zTXt chunk that inflates to 64 MB: Pillow must not inflate it all."""
    info = PngImagePlugin.PngInfo()
    info.add_text("comment", "A" * (64 * 1024 * 1024), zip=True)
    return _save(_digit(), "PNG", pnginfo=info)


def multipart(parts: list[tuple[str, bytes]], boundary: str = "hostileboundary") -> tuple[bytes, str]:
    body = b"".join(
        (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
         "Content-Type: application/octet-stream\r\n\r\n").encode() + data + b"\r\n"
        for name, data in parts) + f"--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


def raw_requests(host: str, seven: bytes) -> list[tuple[str, bytes]]:
    """Malformed HTTP and multipart as raw bytes: (name, request). Each must get a 4xx (or
    a closed connection), never a 5xx, and the server must answer others afterwards."""
    body, content_type = multipart([("7.png", seven)])
    head = f"POST /api/prepare HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
    part = b"--b\r\nContent-Disposition: form-data; name=\"x\"\r\n\r\ny\r\n"
    many = part * 20_000 + b"--b--\r\n"
    chunked = body
    chunks = b"".join(f"{len(chunked[i:i + 1000]):x}\r\n".encode() + chunked[i:i + 1000] + b"\r\n"
                      for i in range(0, len(chunked), 1000)) + b"0\r\n\r\n"
    return [
        ("multipart without a boundary",
         (head + f"Content-Type: multipart/form-data\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body),
        ("a part never closed",
         (head + f"Content-Type: {content_type}\r\nContent-Length: {len(body) - 25}\r\n\r\n").encode() + body[:-25]),
        ("20,000 form parts",
         (head + f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {len(many)}\r\n\r\n").encode()
         + many),
        ("a chunked body",
         (head + f"Content-Type: {content_type}\r\nTransfer-Encoding: chunked\r\n\r\n").encode() + chunks),
        ("Content-Length larger than the body",
         (head + f"Content-Type: {content_type}\r\nContent-Length: {len(body) + 5000}\r\n\r\n").encode() + body),
        ("Content-Length smaller than the body",
         (head + f"Content-Type: {content_type}\r\nContent-Length: 100\r\n\r\n").encode() + body),
        ("a negative Content-Length", (head + "Content-Type: text/plain\r\nContent-Length: -5\r\n\r\n").encode()),
        ("two Content-Lengths",
         (head + f"Content-Type: {content_type}\r\nContent-Length: 10\r\nContent-Length: {len(body)}\r\n\r\n").encode()
         + body),
        ("a 100 KB header",
         (f"GET /healthz HTTP/1.1\r\nHost: {host}\r\nX-Big: {'a' * 100_000}\r\nConnection: close\r\n\r\n").encode()),
        ("10,000 headers",
         (f"GET /healthz HTTP/1.1\r\nHost: {host}\r\n" + "".join(f"X-{i}: y\r\n" for i in range(10_000))
          + "Connection: close\r\n\r\n").encode()),
        ("a request line of garbage", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not http\r\n\r\n"),
        ("HTTP/0.9", b"GET /\r\n"),
        ("an unknown method", f"BREW /api/prepare HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode()),
        ("a JSON body to the upload route",
         (head + "Content-Type: application/json\r\nContent-Length: 14\r\n\r\n{\"image\": [1]}").encode()),
    ]


def traversal_paths(version: str, shard: str) -> list[str]:
    """Paths that try to leave the folders the app serves files from, encoded every way."""
    secrets = ["etc/passwd", "proc/self/environ", "clientside.json", "model.json"]
    ups = ["../", "..%2f", "%2e%2e/", "%2e%2e%2f", "..%252f", "....//", "..\\", "..%5c", "%c0%ae%c0%ae/"]
    prefixes = ["model/", f"assets/{version}/static/", f"assets/{version}/vendor/", "static/", "vendor/",
                f"model/{shard}/"]
    paths = [f"/{prefix}{up * 6}{secret}" for prefix in prefixes for up in ups for secret in secrets[:2]]
    paths += ["/model/%00model.json", "/model//etc/passwd", "/static/%2fetc%2fpasswd", "/model/.%2e/clientside.json",
              "/sw.js/../../etc/passwd", "/api/model/../../etc/passwd"]
    return paths


def send_raw(port: int, request: bytes) -> bytes:
    """Send bytes as they are to a server on loopback; everything it answers before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=20) as sock:
        try:
            sock.sendall(request)
            sock.shutdown(socket.SHUT_WR)
        except OSError:  # the server may close a connection it refuses before reading it all
            pass
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def status_of(answer: bytes) -> str:
    """The HTTP status of a raw answer, or "closed" when the server sent none."""
    return answer.split(b" ", 2)[1].decode() if answer.startswith(b"HTTP/1.") else "closed"
