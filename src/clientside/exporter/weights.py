"""Weight shards: the TF.js weightsManifest and its binary files, content-hashed.

Weights are streamed one tensor at a time into fixed-size shards, so exporting a large
model holds about one extra copy of one tensor, not of the whole model.
"""
from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

DEFAULT_SHARD_BYTES = 4 * 1024 * 1024
HASH_CHARS = 16


@dataclass(frozen=True)
class Shard:
    path: str
    size: int
    sha256: str


def manifest_dtype(array: np.ndarray) -> str:
    if np.issubdtype(array.dtype, np.floating):
        return "float32"
    if np.issubdtype(array.dtype, np.bool_):
        return "bool"
    return "int32"


def _to_bytes(array: np.ndarray) -> bytes:
    dtype = {"float32": "<f4", "int32": "<i4", "bool": "u1"}[manifest_dtype(array)]
    return np.ascontiguousarray(array, dtype=dtype).tobytes()


class _ShardWriter:
    """Writes a byte stream into group1-shard{i}of{n}.{hash}.bin files of shard_bytes each."""

    def __init__(self, folder: Path, total: int, shard_bytes: int):
        self.folder, self.shard_bytes = folder, shard_bytes
        self.count = max(1, math.ceil(total / shard_bytes))
        self.shards: list[Shard] = []
        self._file = None
        self._hash = hashlib.sha256()
        self._written = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            if self._file is None:
                self._open()
            room = self.shard_bytes - self._written
            chunk, view = view[:room], view[room:]
            self._file.write(chunk)
            self._hash.update(chunk)
            self._written += len(chunk)
            if self._written == self.shard_bytes:
                self._close()

    def _open(self) -> None:
        self._tmp = self.folder / f".shard{len(self.shards) + 1}.part"
        self._file = open(self._tmp, "wb")
        self._hash, self._written = hashlib.sha256(), 0

    def _close(self) -> None:
        self._file.close()
        self._file = None
        digest = self._hash.hexdigest()
        name = f"group1-shard{len(self.shards) + 1}of{self.count}.{digest[:HASH_CHARS]}.bin"
        os.replace(self._tmp, self.folder / name)
        self.shards.append(Shard(name, self._written, digest))

    def finish(self) -> list[Shard]:
        if self._file is not None:
            self._close()
        if not self.shards:  # a model without weights still gets one (empty) shard list
            return []
        return self.shards


def write_shards(named: Iterable[tuple[str, Any]], folder: Path,
                 shard_bytes: int = DEFAULT_SHARD_BYTES) -> tuple[list[dict], list[Shard]]:
    """Write weights as shards; return (weightsManifest, shards)."""
    from .registry import as_array

    named = list(named)
    specs, total = [], 0
    for name, variable in named:
        shape = [int(d) for d in variable.shape]
        itemsize = 1 if "bool" in str(variable.dtype) else 4
        total += itemsize * int(np.prod(shape, dtype=np.int64))
        specs.append((name, shape))
    writer = _ShardWriter(folder, total, shard_bytes)
    entries = []
    for (name, shape), (_, variable) in zip(specs, named):
        array = as_array(variable)
        entries.append({"name": name, "shape": shape, "dtype": manifest_dtype(array)})
        writer.write(_to_bytes(array))
        del array
    shards = writer.finish()
    manifest = [{"paths": [s.path for s in shards], "weights": entries}]
    return manifest, shards
