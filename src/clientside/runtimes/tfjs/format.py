"""The TF.js layers format's own names and numbers, in one place."""
from __future__ import annotations

MODEL_JSON = "model.json"
#: The largest weight file a bundle is written with (--shard-size).
DEFAULT_SHARD_BYTES = 4 * 1024 * 1024
#: How a layers-model manifest can store float32 weights in fewer bytes.
QUANTIZE_DTYPES = ("float16", "uint16", "uint8")
