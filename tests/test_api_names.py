"""Every name xfront provides from JAX's public lists is exercised by some test, plus tests of the
small helpers that no family test reaches by name.

The by-name check reads the test sources: a provided name must occur in them as a word (a
primitive ``foo_p`` counts when its op-table name ``foo`` does; the op tables run every
primitive through values, jit, grad and vmap). It keeps new names from arriving untested.
"""

from __future__ import annotations

import glob
import importlib
import os
import re

import numpy as np
import pytest

import xfront as xf
import xfront.lax as lax
import xfront.numpy as xnp

HERE = os.path.dirname(os.path.abspath(__file__))
NAMES = os.path.join(os.path.dirname(HERE), "benchmarks", "api_names")

MODULES = [
    ("numpy", "xfront.numpy"),
    ("numpy_linalg", "xfront.numpy.linalg"),
    ("numpy_fft", "xfront.numpy.fft"),
    ("lax", "xfront.lax"),
    ("random", "xfront.random"),
    ("nn", "xfront.nn"),
    ("scipy_special", "xfront.scipy.special"),
]

# Provided for NumPy compatibility but deliberately unsupported as array dtypes (see
# benchmarks/api_coverage.py's EXCLUDED): they are NumPy's own classes, nothing of ours to test.
NOT_OURS = {"flexible", "object_", "character"}


def _test_words() -> set[str]:
    words: set[str] = set()
    for path in glob.glob(os.path.join(HERE, "*.py")):
        if os.path.basename(path) == os.path.basename(__file__):
            continue  # this file's own lists must not count
        with open(path) as f:
            words.update(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", f.read()))
    return words


@pytest.mark.parametrize("list_name,module_path", MODULES, ids=[m[0] for m in MODULES])
def test_every_provided_name_is_tested(list_name, module_path):
    module = importlib.import_module(module_path)
    with open(os.path.join(NAMES, f"{list_name}.txt")) as f:
        names = [line.strip() for line in f if line.strip()]
    words = _test_words() | _COVERED_HERE
    untested = [n for n in names if hasattr(module, n) and n not in NOT_OURS
                and n not in words and not (n.endswith("_p") and n[:-2] in words)]
    assert not untested, f"{module_path} provides names no test mentions: {untested}"


# Names exercised below (this file is excluded from the word scan above, so list them).
_COVERED_HERE = {
    "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift", "broadcast_shapes",
    "cdouble", "complex_", "csingle", "double", "euler_gamma", "int_", "newaxis", "uint",
    "set_printoptions", "broadcast_to_rank", "collapse", "dynamic_index_in_dim",
    "dynamic_slice_in_dim", "dynamic_update_index_in_dim", "dynamic_update_slice_in_dim",
    "index_in_dim", "reduce_window_shape_tuple", "slice_in_dim", "reduce_window_min_p",
}


# ------------------------------------------------------------------------------------------------
# numpy aliases and constants.


def test_bitwise_aliases_match_numpy():
    a = np.array([0, 1, 5, -7, 123], np.int32)
    b = np.array([1, 2, 0, 3, 4], np.int32)
    np.testing.assert_array_equal(xnp.bitwise_invert(a), np.invert(a))
    np.testing.assert_array_equal(xnp.bitwise_left_shift(a, b), np.left_shift(a, b))
    np.testing.assert_array_equal(xnp.bitwise_right_shift(a, b), np.right_shift(a, b))
    np.testing.assert_array_equal(xf.jit(xnp.bitwise_left_shift)(a, b), np.left_shift(a, b))


def test_broadcast_shapes():
    assert xnp.broadcast_shapes((3, 1), (1, 4), (4,)) == (3, 4)
    assert xnp.broadcast_shapes((), (2, 0)) == (2, 0)
    with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)|\(4,\).*\(3,\)"):
        xnp.broadcast_shapes((3,), (4,))


def test_dtype_aliases_follow_x64():
    # The 64-bit aliases canonicalize to 32 bits unless x64 is on, as in JAX.
    assert xnp.zeros(2, xnp.double).dtype == np.float32
    assert xnp.zeros(2, xnp.int_).dtype == np.int32
    assert xnp.zeros(2, xnp.uint).dtype == np.uint32
    assert xnp.zeros(2, xnp.cdouble).dtype == np.complex64
    assert xnp.zeros(2, xnp.complex_).dtype == np.complex64
    assert xnp.zeros(2, xnp.csingle).dtype == np.complex64
    with xf.config.override("enable_x64", True):
        assert xnp.zeros(2, xnp.double).dtype == np.float64
        assert xnp.zeros(2, xnp.int_).dtype == np.int64
        assert xnp.zeros(2, xnp.cdouble).dtype == np.complex128


def test_constants_and_newaxis():
    assert xnp.euler_gamma == pytest.approx(np.euler_gamma, rel=1e-15)
    x = xnp.arange(6.0).reshape(2, 3)
    assert x[:, xnp.newaxis, :].shape == (2, 1, 3)


def test_set_printoptions_affects_repr():
    old = np.get_printoptions()
    try:
        xnp.set_printoptions(precision=2)
        assert "3.14" in repr(xnp.asarray([3.14159])) and "3.1416" not in repr(
            xnp.asarray([3.14159]))
    finally:
        np.set_printoptions(**old)


# ------------------------------------------------------------------------------------------------
# lax's index/slice helpers.


def test_slice_and_index_in_dim():
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(lax.slice_in_dim(x, 1, 4, stride=2, axis=2), x[:, :, 1:4:2])
    np.testing.assert_array_equal(lax.index_in_dim(x, 2, axis=1), x[:, 2:3, :])
    np.testing.assert_array_equal(lax.index_in_dim(x, -1, axis=1, keepdims=False), x[:, -1, :])


def test_dynamic_in_dim_helpers_with_traced_indices():
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)

    @xf.jit
    def f(i):
        return (lax.dynamic_slice_in_dim(x, i, 2, axis=2),
                lax.dynamic_index_in_dim(x, i, axis=1, keepdims=False))

    a, b = f(1)
    np.testing.assert_array_equal(a, x[:, :, 1:3])
    np.testing.assert_array_equal(b, x[:, 1, :])
    a, _ = f(3)  # clamped so the window fits, as in XLA
    np.testing.assert_array_equal(a, x[:, :, 2:4])

    upd = -np.ones((2, 3, 2), np.float32)
    got = xf.jit(lambda i: lax.dynamic_update_slice_in_dim(x, upd, i, axis=2))(1)
    want = x.copy()
    want[:, :, 1:3] = upd
    np.testing.assert_array_equal(got, want)
    row = -np.ones((2, 1, 4), np.float32)
    got = lax.dynamic_update_index_in_dim(x, row, 2, axis=1)
    want = x.copy()
    want[:, 2:3, :] = row
    np.testing.assert_array_equal(got, want)
    # Gradient flows to the update through the traced index.
    g = xf.grad(lambda u: lax.dynamic_update_slice_in_dim(x, u, 1, axis=2).sum() * 2)(upd)
    np.testing.assert_array_equal(g, np.full_like(upd, 2.0))


def test_collapse_and_broadcast_to_rank():
    x = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    np.testing.assert_array_equal(lax.collapse(x, 0, 2), x.reshape(6, 4))
    np.testing.assert_array_equal(lax.collapse(x, 1), x.reshape(2, 12))
    y = lax.broadcast_to_rank(np.ones((3,), np.float32), 3)
    assert y.shape == (1, 1, 3)


def test_reduce_window_shape_tuple_matches_pooling():
    shape = lax.reduce_window_shape_tuple((1, 7, 9, 2), (1, 3, 3, 1), (1, 2, 2, 1),
                                          ((0, 0), (1, 1), (0, 2), (0, 0)))
    x = np.random.default_rng(0).normal(size=(1, 7, 9, 2)).astype(np.float32)
    out = lax.reduce_window(x, np.inf, lax.min, (1, 3, 3, 1), (1, 2, 2, 1),
                            ((0, 0), (1, 1), (0, 2), (0, 0)))
    assert shape == out.shape == (1, 4, 5, 2)
    # reduce_window with lax.min and +inf is the reduce_window_min primitive.
    ir_text = str(xf.make_ir(lambda x: lax.reduce_window(
        x, np.inf, lax.min, (1, 3, 3, 1), (1, 2, 2, 1), "VALID"))(x))
    assert "reduce_window_min" in ir_text
    ref = np.min(np.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(1, 2))[:, ::2, ::2],
                 axis=(-1, -2))
    np.testing.assert_array_equal(
        lax.reduce_window(x, np.inf, lax.min, (1, 3, 3, 1), (1, 2, 2, 1), "VALID"), ref)
