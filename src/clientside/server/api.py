"""JSON API: the model's contract and /api/prepare (server-side preprocessing, every input kind)."""
from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from flask import Blueprint, Response, jsonify, request

from .. import steps
from ..bundle import Bundle
from ..errors import InputError
from ..steps import audio as audio_steps
from ..steps import image as image_steps
from ..steps import text as text_steps

PrepareFn = Callable[[bytes, str], np.ndarray]

TENSOR_MIMETYPE = "application/octet-stream"


@dataclass(frozen=True)
class UploadLimits:
    """What one request may send: the one place these limits live (the app's
    MAX_CONTENT_LENGTH and the HTTP front's body limit are read from max_bytes)."""

    max_bytes: int = 32 * 1024 * 1024
    max_files: int = 512
    max_pixels: int = image_steps.DEFAULT_MAX_PIXELS


#: The input kinds whose items are files, posted as multipart form field 'file'.
FILE_KINDS = ("image", "audio")


def file_input(bundle: Bundle, name: str | None = None) -> dict | None:
    """The input uploaded files go to (an image or an audio input): the one named, else the first."""
    files = [spec for spec in bundle.inputs if spec["kind"] in FILE_KINDS]
    if name is not None:
        return next((spec for spec in files if spec["name"] == name), None)
    return files[0] if files else None


def default_prepare(bundle: Bundle, limits: UploadLimits, name: str | None = None) -> PrepareFn | None:
    spec = file_input(bundle, name)
    if spec is None:
        return None
    if spec["kind"] == "audio":
        return lambda data, filename: audio_steps.prepare(spec, [data], names=[filename])[0]
    image_limits = image_steps.Limits(max_pixels=limits.max_pixels)
    return lambda data, filename: image_steps.prepare(spec, [(data, filename)], image_limits)[0]


def prepare_json(bundle: Bundle, body: object, limits: UploadLimits,
                 totals: dict[str, list[int]] | None = None,
                 extra: dict[str, dict[str, list]] | None = None) -> dict[str, np.ndarray]:
    """{"inputs": {name: [item, ...]}} -> {name: batch}: texts, table rows, arrays. totals: filled
    with each tokenized text's length before truncation (the page says when one was cut);
    extra: the token offsets, specials and tokens a spans output needs."""
    extra = {} if extra is None else extra
    if not isinstance(body, dict) or not isinstance(body.get("inputs"), dict) or not body["inputs"]:
        raise InputError('Expected a JSON object {"inputs": {"<input name>": [item, ...]}}.', status=400)
    specs = {spec["name"]: spec for spec in bundle.inputs}
    out = {}
    for name, items in body["inputs"].items():
        spec = specs.get(name)
        if spec is None:
            raise InputError(f"inputs.{name}: this model has no input named {name!r} "
                             f"(it has {', '.join(map(repr, specs))}).", status=422)
        if spec["kind"] == "image":
            raise InputError(f"inputs.{name}: an image input takes files: post them as multipart "
                             "form field 'file'.", status=415)
        if spec["kind"] == "audio" and any(not isinstance(i, dict) for i in items or []):
            raise InputError(f"inputs.{name}: an audio input takes files (post them as multipart form field "
                             "'file', with field 'input' naming it) or recordings {\"samples\": [...], \"rate\": n} "
                             "in JSON.", status=415)
        if not isinstance(items, list) or not items:
            raise InputError(f"inputs.{name}: expected a non-empty list of items.", status=400)
        if len(items) > limits.max_files:
            raise InputError(f"inputs.{name}: {len(items)} items received, the limit is {limits.max_files} "
                             "per request.", status=413)
        if spec.get("from") is not None:
            raise InputError(f"inputs.{name}: this input is made from {spec['from']!r}: send that one.", status=422)
        if "value" in spec:
            raise InputError(f"inputs.{name}: this input is a constant ({spec['value']}), fed by the page: "
                             "send the others.", status=422)
        if text_steps.is_tokenized(spec):
            parts = text_steps.encode_batch(spec, items)
            out[name] = parts["ids"]
            if totals is not None:
                totals[name] = parts["total"].tolist()
                if "spans" in parts:  # a spans output reads them in the page (the worker groups them)
                    extra[name] = {key: [row[key] for row in parts["spans"]]
                                   for key in ("offsets", "special", "tokens")}
            out.update({s["name"]: parts[s["part"]] for s in bundle.inputs if s.get("from") == name})
        else:
            out[name] = steps.kind_module(spec["kind"]).prepare(spec, items)
    return out


def _json_list(batch: np.ndarray) -> list:
    """The batch as JSON lists; NaN (a missing value, where the model takes one) as null,
    which JSON has and the page reads back as NaN."""
    if batch.dtype.kind == "f" and np.isnan(batch).any():
        cells = batch.astype(object)
        cells[np.isnan(batch)] = None
        return cells.tolist()
    return batch.tolist()


def prepare_batch(files, prepare: PrepareFn, limits: UploadLimits) -> tuple[np.ndarray, list[str]]:
    """Uploaded files -> one float32 batch [n, ...]; the first bad file stops the batch."""
    if not files:
        raise InputError("No file received: send the file(s) as multipart form field 'file'.")
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
        raise InputError(f"The prepared files have different shapes {sorted(shapes)}.", status=422)
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
                   contract: dict, observe: Callable[[float], None] = lambda seconds: None) -> Blueprint:
    """contract: the model's, as the page carries it (this is for other clients)."""
    bp = Blueprint("api", __name__, url_prefix="/api")

    @bp.get("/model")
    def model_info():
        response = jsonify(contract)
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.post("/prepare")
    def prepare_route():
        started = time.perf_counter()
        if request.mimetype == "application/json":
            totals: dict[str, list[int]] = {}
            extra: dict[str, dict[str, list]] = {}
            batches = prepare_json(bundle, request.get_json(silent=True), limits, totals, extra)
            observe(time.perf_counter() - started)
            response = jsonify({"inputs": {name: {"shape": list(b.shape), "dtype": str(b.dtype),
                                                  "tensor": _json_list(b),
                                                  **({"totals": totals[name]} if name in totals else {}),
                                                  **extra.get(name, {})}
                                           for name, b in batches.items()}})
            response.headers["Cache-Control"] = "no-store"
            return response
        chosen = request.form.get("input")
        fn = prepare if chosen is None else default_prepare(bundle, limits, chosen)
        if fn is None:
            kinds = ", ".join(f"{s['name']} ({s['kind']})" for s in bundle.inputs)
            raise InputError(f"This model takes no file{'' if chosen is None else ' input named ' + repr(chosen)}: "
                             f"its inputs are {kinds}. Send JSON {{\"inputs\": {{name: [items]}}}}.", status=415)
        batch, names = prepare_batch(request.files.getlist("file"), fn, limits)
        observe(time.perf_counter() - started)
        if request.accept_mimetypes.best == TENSOR_MIMETYPE:
            return tensor_response(batch)
        response = jsonify(json_answer(batch, names))
        response.headers["Cache-Control"] = "no-store"
        return response

    return bp
