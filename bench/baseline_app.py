"""Baseline A: what a user would otherwise write: a Flask app that decodes, preprocesses
and runs the Keras model (JAX backend) for every request. The model is loaded once and
called through a jitted stateless function (the fast path; model.predict() is far slower
per call). Preprocessing is clientside's own, so only the inference differs."""
from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import numpy as np
from flask import Flask, jsonify, request

from clientside.steps import image as preprocess


def create_app(keras_path: str, steps: list[dict]) -> Flask:
    import jax
    import keras

    model = keras.saving.load_model(keras_path, compile=False)
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]

    @jax.jit
    def infer(x):
        return model.stateless_call(trainable, non_trainable, x, training=False)[0]

    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    infer(np.zeros((1, *shape), np.float32)).block_until_ready()  # compile once, up front
    app = Flask(__name__)

    @app.post("/predict")
    def predict():
        files = request.files.getlist("file")
        batch = np.stack([preprocess.prepare_image(f.read(), steps, f.filename or "upload") for f in files])
        probs = np.asarray(infer(batch))
        return jsonify({"predictions": probs.argmax(-1).tolist(), "probabilities": probs.tolist()})

    return app
