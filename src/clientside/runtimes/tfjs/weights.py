"""Weight shards: the TF.js weightsManifest and its binary files, content-hashed.

Weights are streamed one tensor at a time into fixed-size shards, so exporting a large
model holds about one extra copy of one tensor, not of the whole model.
"""
from __future__ import annotations

import fnmatch
import hashlib
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from ...files import ModelFile, hashed_name
from ..affine import quantize as affine_quantize
from .format import DEFAULT_SHARD_BYTES

#: Every storage type of the TF.js manifest -> its little-endian NumPy dtype (bytes per value).
STORAGE = {"float32": "<f4", "int32": "<i4", "bool": "u1", "float16": "<f2", "uint16": "<u2", "uint8": "u1"}


@dataclass(frozen=True)
class Quantization:
    """Which float32 weights to store in fewer bytes, and how (TF.js manifest format)."""

    dtype: str
    patterns: tuple[str, ...] = ("*",)

    def applies_to(self, name: str) -> bool:
        return any(fnmatch.fnmatchcase(name, p) for p in self.patterns)


def quantize(array: np.ndarray, dtype: str) -> tuple[bytes, dict]:
    """float32 array -> (bytes, manifest quantization entry)."""
    if dtype == "float16":
        return array.astype("<f2").tobytes(), {"dtype": "float16"}
    q, scale, low = affine_quantize(array, dtype)
    return q.astype(STORAGE[dtype]).tobytes(), {"dtype": dtype, "scale": scale, "min": low}


def dequantize(data: bytes, shape: list[int], spec: dict) -> np.ndarray:
    """What TF.js decodes from a manifest entry, computed the same way (float32)."""
    q = spec.get("quantization")
    if q is None:
        return np.frombuffer(data, STORAGE[spec["dtype"]]).reshape(shape)
    raw = np.frombuffer(data, STORAGE[q["dtype"]]).astype(np.float32)
    if q["dtype"] == "float16":
        return raw.reshape(shape)
    return (raw * np.float32(q["scale"]) + np.float32(q["min"])).reshape(shape)


def entry_bytes(spec: dict) -> int:
    count = int(np.prod(spec["shape"], dtype=np.int64))
    stored = (spec.get("quantization") or spec)["dtype"]
    return count * np.dtype(STORAGE[stored]).itemsize


def read_weights(folder: Path, manifest: list[dict]) -> dict[str, np.ndarray]:
    """Decode every weight of a bundle as TF.js would (for verification)."""
    out = {}
    for group in manifest:
        data = b"".join((folder / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            size = entry_bytes(spec)
            out[spec["name"]] = dequantize(data[offset:offset + size], spec["shape"], spec)
            offset += size
    return out


def manifest_dtype(array: np.ndarray) -> str:
    if np.issubdtype(array.dtype, np.floating):
        return "float32"
    if np.issubdtype(array.dtype, np.bool_):
        return "bool"
    return "int32"


def _to_bytes(array: np.ndarray) -> bytes:
    return np.ascontiguousarray(array, dtype=STORAGE[manifest_dtype(array)]).tobytes()


class _ShardWriter:
    """Writes a byte stream into group1-shard{i}of{n}.{hash}.bin files of shard_bytes each."""

    def __init__(self, folder: Path, total: int, shard_bytes: int):
        self.folder, self.shard_bytes = folder, shard_bytes
        self.count = max(1, math.ceil(total / shard_bytes))
        self.shards: list[ModelFile] = []
        self._file: BinaryIO | None = None
        self._hash = hashlib.sha256()
        self._written = 0

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            file = self._file or self._open()
            room = self.shard_bytes - self._written
            chunk, view = view[:room], view[room:]
            file.write(chunk)
            self._hash.update(chunk)
            self._written += len(chunk)
            if self._written == self.shard_bytes:
                self._close()

    def _open(self) -> BinaryIO:
        self._tmp = self.folder / f".shard{len(self.shards) + 1}.part"
        self._file = open(self._tmp, "wb")  # noqa: SIM115 - open across write() calls, closed by _close
        self._hash, self._written = hashlib.sha256(), 0
        return self._file

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
        self._file = None
        digest = self._hash.hexdigest()
        name = hashed_name(f"group1-shard{len(self.shards) + 1}of{self.count}", digest)
        os.replace(self._tmp, self.folder / name)
        self.shards.append(ModelFile(name, self._written, digest))

    def finish(self) -> list[ModelFile]:
        if self._file is not None:
            self._close()
        return self.shards  # none for a model without weights


def write_shards(named: Iterable[tuple[str, Any]], folder: Path,
                 shard_bytes: int = DEFAULT_SHARD_BYTES,
                 quantization: Quantization | None = None) -> tuple[list[dict], list[ModelFile]]:
    """Write weights as shards; return (weightsManifest, shards)."""
    from .converter.registry import as_array

    named = list(named)
    specs, total = [], 0
    for name, variable in named:
        shape = [int(d) for d in variable.shape]
        dtype = str(variable.dtype)
        spec: dict = {"name": name, "shape": shape,
                      "dtype": "float32" if "float" in dtype else "bool" if "bool" in dtype else "int32"}
        if quantization and spec["dtype"] == "float32" and quantization.applies_to(name):
            spec["quantization"] = {"dtype": quantization.dtype}
        total += entry_bytes(spec)
        specs.append(spec)
    writer = _ShardWriter(folder, total, shard_bytes)
    entries = []
    for spec, (_, variable) in zip(specs, named):
        array = as_array(variable)
        if "quantization" in spec:
            data, spec["quantization"] = quantize(array, spec["quantization"]["dtype"])
        else:
            data = _to_bytes(array)
        entries.append(spec)
        writer.write(data)
        del array, data
    shards = writer.finish()
    manifest = [{"paths": [s.path for s in shards], "weights": entries}]
    return manifest, shards
