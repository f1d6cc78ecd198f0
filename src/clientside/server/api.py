"""JSON API: the model's metadata and /api/prepare (server-side preprocessing)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from flask import Blueprint, Response, jsonify, request

from .. import preprocess
from ..bundle import Bundle
from ..errors import InputError

PrepareFn = Callable[[bytes, str], np.ndarray]

TENSOR_MIMETYPE = "application/octet-stream"


@dataclass(frozen=True)
class UploadLimits:
    """What one request may send: the one place these limits live (the app's
    MAX_CONTENT_LENGTH and the HTTP front's body limit are read from max_bytes)."""

    max_bytes: int = 32 * 1024 * 1024
    max_files: int = 512
    max_pixels: int = preprocess.DEFAULT_MAX_PIXELS


def default_prepare(bundle: Bundle, limits: UploadLimits) -> PrepareFn | None:
    if bundle.preprocess is None:
        return None
    steps = bundle.preprocess
    image_limits = preprocess.Limits(max_pixels=limits.max_pixels)
    return lambda data, filename: preprocess.prepare(data, steps, filename, image_limits)


def prepare_batch(files, prepare: PrepareFn, limits: UploadLimits) -> tuple[np.ndarray, list[str]]:
    """Uploaded files -> one float32 batch [n, ...]; the first bad file stops the batch."""
    if not files:
        raise InputError("No file received: send the image(s) as multipart form field 'file'.")
    if len(files) > limits.max_files:
        raise InputError(f"Too many files: {len(files)} received, the limit is {limits.max_files} "
                         "per request.", status=413)
    arrays, names = [], []
    for i, storage in enumerate(files):
        name = storage.filename or f"file {i + 1}"
        arrays.append(np.asarray(prepare(storage.read(), name), dtype=np.float32))
        names.append(name)
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise InputError(f"The prepared images have different shapes {sorted(shapes)}.", status=422)
    return np.stack(arrays), names


def tensor_response(batch: np.ndarray) -> Response:
    """Raw little-endian float32 with its shape in a header: 30x smaller and faster than JSON."""
    response = Response(batch.astype("<f4").tobytes(), mimetype=TENSOR_MIMETYPE)
    response.headers["X-Tensor-Shape"] = ",".join(str(d) for d in batch.shape)
    response.headers["X-Tensor-Dtype"] = "float32"
    response.headers["Cache-Control"] = "no-store"
    return response


def json_answer(batch: np.ndarray, names: list[str]) -> dict:
    """The article's contract, kept exactly: its front end posts one file and calls
    tf.tensor2d(result['image']), so for one file `image` is the image itself (28x28 for
    MNIST: no batch axis, no single channel axis); for several, the list of them.
    `tensor` is the model-ready batch and `shape` its shape."""
    images = batch[..., 0] if batch.ndim == 4 and batch.shape[-1] == 1 else batch
    return {"image": (images[0] if len(images) == 1 else images).tolist(), "tensor": batch.tolist(),
            "shape": list(batch.shape), "files": names}


def make_blueprint(bundle: Bundle, prepare: PrepareFn | None, limits: UploadLimits,
                   info: dict, observe: Callable[[float], None] = lambda seconds: None) -> Blueprint:
    """info: the model's description (the page carries the same; this is for other clients)."""
    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.get("/model")
    def model_info():
        response = jsonify(info)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.post("/prepare")
    def prepare_route():
        if prepare is None:
            raise InputError("This model has no preprocessing: send tensors, not images.", status=404)
        started = time.perf_counter()
        batch, names = prepare_batch(request.files.getlist("file"), prepare, limits)
        observe(time.perf_counter() - started)
        if request.accept_mimetypes.best == TENSOR_MIMETYPE:
            return tensor_response(batch)
        response = jsonify(json_answer(batch, names))
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
