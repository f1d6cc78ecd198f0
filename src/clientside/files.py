"""Files on disk: what identifies a model file (size, sha256, the one caching rule) and
folders written whole (built beside their target, then swapped in atomically).

The caching rule, followed by the app, the static build and nginx: a file named
`<stem>.<first 16 hex digits of its sha256>.<suffix>` changes name whenever its content
changes, so it may be cached forever; any other name is revalidated.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import os
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import BundleError, ClientsideError, ExportError

HASH_CHARS = 16
MODEL_FILE_SUFFIXES = (".bin", ".onnx", ".json")  # .json: a tokenizer.json
#: A content-hashed model file name's ending (nginx's location for immutable files).
HASHED_NAME_SUFFIX = rf"\.[0-9a-f]{{{HASH_CHARS}}}\.(?:bin|onnx|json)"


def hashed_name(stem: str, sha256: str, suffix: str = ".bin") -> str:
    """`group1-shard1of1` -> `group1-shard1of1.<16 hex digits>.bin`."""
    return f"{stem}.{sha256[:HASH_CHARS]}{suffix}"


@dataclass(frozen=True)
class ModelFile:
    """One file of a model (model.json, a weight shard, an .onnx file), as the contract lists it."""

    path: str
    size: int
    sha256: str

    @property
    def hashed_name(self) -> bool:
        """True when the file name carries its content hash: it can be cached forever."""
        return any(self.path.endswith(hashed_name("", self.sha256, suffix)) for suffix in MODEL_FILE_SUFFIXES)

    def entry(self) -> dict[str, Any]:
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def content_hash(files: Sequence[ModelFile]) -> str:
    """The bundle's cache key: changes whenever any of its files does."""
    h = hashlib.sha256()
    for f in files:
        h.update(f"{f.path}:{f.sha256}\n".encode())
    return h.hexdigest()[:HASH_CHARS]


def measure(root: Path, rel: str, known: dict[str, dict[str, Any]], verify: bool, *, named_by: str,
            described_by: str = "clientside.json") -> ModelFile:
    """A model file checked against what `described_by` (the contract) says of it in `known`:
    its size always, its sha256 when `verify` or when the contract does not say it.
    named_by: the file that names it (model.json names the shards)."""
    if "/" in rel or "\\" in rel or rel.startswith("."):
        raise BundleError(f"{named_by} names a file outside the folder: {rel!r}")
    path = root / rel
    if not path.is_file():
        raise BundleError(f"Missing model file {rel} in {root}.")
    size = path.stat().st_size
    info = known.get(rel)
    if info and info.get("size") != size:
        raise BundleError(f"Model file {rel} is {size} bytes; {described_by} says {info.get('size')}.")
    digest = info.get("sha256") if info else None
    if digest is None or verify:
        actual = sha256_file(path)
        if digest and actual != digest:
            raise BundleError(f"Model file {rel} does not match its sha256 in {described_by}.")
        digest = actual
    return ModelFile(rel, size, digest)


#: A bundle's name is a URL path segment (/models/<name>/) and a cache key.
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def folder_name(path: Path) -> str:
    """A bundle name made from a folder or file name (what NAME_PATTERN allows)."""
    name = re.sub(r"[^A-Za-z0-9_.-]", "-", path.name).lstrip("._-")[:64]
    return name or "model"


# --- folders written whole ----------------------------------------------------------

@contextlib.contextmanager
def new_folder(target: Path, *, ours: Callable[[Path], bool], what: str,
               error: type[ClientsideError] = ExportError) -> Iterator[Path]:
    """A fresh folder beside `target` to write into; when the block ends, it replaces target
    in one step (the old content stays in place until then, and is never missing), and
    on any error it is removed and target is untouched. ours(target): whether an existing,
    non-empty target may be replaced (it holds a `what`); otherwise nothing is written."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise error(f"{target} exists and is not a folder.")
    if target.is_dir() and any(target.iterdir()) and not ours(target):
        raise error(f"{target} is not empty and holds no {what}: refusing to write into it.")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        replace_folder(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)  # after a swap: the old content


def replace_folder(new: Path, target: Path) -> None:
    """Put `new` where `target` is. An existing target is exchanged with new in one system
    call (Linux renameat2 RENAME_EXCHANGE, macOS renamex_np RENAME_SWAP), so a reader always
    finds either the old folder or the new one; the old content is left at `new`'s path.
    Where neither call exists (Windows), two renames leave a moment with no target."""
    if not target.exists():
        os.replace(new, target)
        return
    if _exchange(new, target):
        return
    old = target.with_name(f".{target.name}.old-{os.getpid()}")
    os.replace(target, old)
    os.replace(new, target)
    os.replace(old, new)


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically; False where the system cannot."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    src, dst = os.fsencode(a), os.fsencode(b)
    if sys.platform.startswith("linux") and hasattr(libc, "renameat2"):
        at_fdcwd, rename_exchange = -100, 2
        result = libc.renameat2(at_fdcwd, src, at_fdcwd, dst, rename_exchange)
    elif sys.platform == "darwin" and hasattr(libc, "renamex_np"):
        rename_swap = 2
        result = libc.renamex_np(src, dst, rename_swap)
    else:
        return False
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):  # a file system without the call
        return False
    raise OSError(code, os.strerror(code), str(b))
