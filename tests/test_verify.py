"""The one sampler, comparison and report every source and runtime verifies with."""
from __future__ import annotations

import numpy as np
import pytest

from clientside import ExportError
from clientside.verify import Hint, compare, fixed_batch, in_batches, sample


def spec(name, shape, dtype="float32"):
    return {"name": name, "shape": shape, "dtype": dtype}


def test_samples_have_each_inputs_shape_and_dtype():
    x, ids, wide = sample([spec("x", [None, 4]), spec("ids", [None, None], "int64"), spec("w", [2, 3], "int32")],
                          batch=5)
    assert x.shape == (5, 4) and x.dtype == np.float32 and (x < 0).any()  # noise, negatives too
    assert ids.shape == (5, 8) and ids.dtype == np.int64 and set(np.unique(ids)) <= {0, 1}
    assert wide.shape == (2, 3) and wide.dtype == np.int32


def test_hints_bound_ids_and_pad_sequences():
    [ids] = sample([spec("tokens", [None, 10])], {"tokens": Hint(high=40, low=1, padded=True)}, batch=32)
    assert ids.dtype == np.float32 and ids.min() >= 0 and ids.max() < 40  # a float Input that feeds an Embedding
    for row in ids[:16]:  # pre-padded, as pad_sequences writes them: zeros, then the sequence
        kept = int((row != 0).sum())
        assert (row[: 10 - kept] == 0).all() and (row[10 - kept:] != 0).all()
    for row in ids[16:]:  # post-padded, as TextVectorization writes them
        kept = int((row != 0).sum())
        assert (row[:kept] != 0).all() and (row[kept:] == 0).all()
    lengths = sorted(int((row != 0).sum()) for row in ids)
    assert lengths[0] == 0 and lengths[-1] == 10  # empty to full


def test_the_same_seed_gives_the_same_sample():
    specs = [spec("x", [None, 3])]
    assert np.array_equal(sample(specs, seed=3)[0], sample(specs, seed=3)[0])
    assert not np.array_equal(sample(specs, seed=3)[0], sample(specs, seed=4)[0])


def test_the_comparison_is_relative_to_the_output_scale():
    expected = [np.array([[10.0, -20.0]]), np.array([[1.0]])]
    report = compare(expected, [np.array([[10.0, -20.01]]), np.array([[1.0]])], tolerance=1e-3,
                     got_by="runtime", expected_by="source")
    assert report.max_abs_diff == pytest.approx(0.01) and report.relative_diff == pytest.approx(0.0005)
    assert report.passed and report.lines()[-1] == "verification passed"
    assert report.lines()[0].startswith("compared outputs: max |runtime - source| = 0.01")
    failed = compare(expected, [np.array([[10.0, -19.0]]), np.array([[1.0]])], tolerance=1e-3, got_by="r",
                     expected_by="s")
    assert not failed.passed and failed.lines()[-1] == "VERIFICATION FAILED"
    with pytest.raises(ExportError, match=r"r does not match: max \|r - s\| = 1 .*nothing was written"):
        failed.check("r does not match")


def test_nan_on_both_sides_is_equal_and_on_one_side_is_not():
    both = compare([np.array([np.nan, 1.0])], [np.array([np.nan, 1.0])], got_by="a", expected_by="b")
    assert both.passed and both.max_abs_diff == 0.0
    one = compare([np.array([np.nan, 1.0])], [np.array([0.0, 1.0])], got_by="a", expected_by="b")
    assert not one.passed and one.max_abs_diff == np.inf


def test_outputs_of_another_shape_or_count_are_errors():
    with pytest.raises(ExportError, match=r"a gives an output of shape \[2\], b \[3\]"):
        compare([np.zeros(3)], [np.zeros(2)], got_by="a", expected_by="b")
    with pytest.raises(ExportError, match="a gives 2 outputs, b 1"):
        compare([np.zeros(3)], [np.zeros(3), np.zeros(3)], got_by="a", expected_by="b")


def test_a_fixed_batch_runs_slice_by_slice():
    calls = []

    def run(feeds):
        calls.append(len(feeds[0]))
        return [feeds[0] * 2]

    x = np.arange(6.0).reshape(6, 1)
    assert fixed_batch([spec("x", [1, 1])]) == 1 and fixed_batch([spec("x", [None, 1])]) is None
    np.testing.assert_array_equal(in_batches(run, [x], 1)[0], x * 2)
    assert calls == [1] * 6
