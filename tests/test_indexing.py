"""Basic indexing of xfront Arrays against NumPy (eagerly and under ``xf.jit``, with static and
traced integer indices), iteration and ``len``, and the NumPy-style Array methods."""

from __future__ import annotations

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp

_X = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)

_s = slice
# Static basic indices for an array of shape (4, 5, 6).
INDICES = [
    0, 3, -1, -4, np.int32(2), np.int64(-2), np.uint8(1),
    (1, 2), (-1, -2, -3), (0, 1, 2), (3, -5, 5),
    _s(None), _s(1, 3), _s(None, None, 2), _s(1, None, 3), _s(-3, None), _s(None, -1),
    _s(None, None, -1), _s(3, 0, -1), _s(-1, None, -2), _s(2, None, -1), _s(None, 1, -1),
    _s(10, None), _s(2, 2), _s(3, 1), _s(1, 3, -1), _s(-100, 100), _s(100, -100, -1),
    _s(None, None, 7), _s(None, None, -7),
    (_s(1, None, 2), _s(None, None, -2)), (_s(None), _s(4, 0, -3), _s(1, 5)),
    (_s(0, 0), _s(None), 2), (_s(None, None, -1), 1, _s(None, None, -1)),
    None, (None, 0), (0, None), (0, None, _s(1, 3), None), (None, None, 1, None),
    Ellipsis, (Ellipsis, 0), (0, Ellipsis), (Ellipsis, None), (None, Ellipsis, None),
    (1, Ellipsis, -1), (_s(None), Ellipsis, _s(None, None, -1)), (Ellipsis, 0, 1, 2),
    (0, 1, 2, Ellipsis), (Ellipsis, _s(1, 2), None), (),
    (-1, _s(None, None, -2), None, Ellipsis),
]


def _id(idx):
    return repr(idx).replace(" ", "")


def _check(actual, expected):
    assert isinstance(actual, xf.Array)
    a = np.asarray(actual)
    assert a.shape == expected.shape and a.dtype == expected.dtype
    np.testing.assert_array_equal(a, expected)


@pytest.mark.parametrize("idx", INDICES, ids=_id)
def test_static_index(idx):
    x = xnp.asarray(_X)
    expected = _X[idx]
    _check(x[idx], expected)
    _check(xf.jit(lambda a: a[idx])(x), expected)


@pytest.mark.parametrize("idx", [(), None, Ellipsis, (None, Ellipsis, None)], ids=_id)
def test_index_0d(idx):
    v = np.array(3.5, np.float32)
    x = xnp.asarray(v)
    _check(x[idx], v[idx])
    _check(xf.jit(lambda a: a[idx])(x), v[idx])


def test_index_1d_and_int_dtypes():
    for dt in (np.int8, np.uint16, np.bool_, np.complex64):
        v = np.arange(6).astype(dt)
        x = xnp.asarray(v)
        _check(x[2], v[2])
        _check(x[::-2], v[::-2])
        _check(x[None, 1:4], v[None, 1:4])


def test_index_empty_array():
    v = np.zeros((0, 3), np.float32)
    x = xnp.asarray(v)
    _check(x[:, 1], v[:, 1])
    _check(x[::-1], v[::-1])
    _check(x[..., None], v[..., None])


def test_index_chained():
    x = xnp.asarray(_X)
    _check(x[1][2][3], _X[1][2][3])
    _check(x[::-1][1:, ::2][0], _X[::-1][1:, ::2][0])


def test_index_with_0d_numpy_array():
    # NumPy and jax accept a 0-d integer array as an integer index or a slice bound.
    x = xnp.asarray(_X)
    _check(x[np.array(2)], _X[np.array(2)])
    _check(x[np.array(-1), 1], _X[np.array(-1), 1])
    _check(x[np.array(1):np.array(3)], _X[1:3])
    _check(xf.jit(lambda a: a[np.array(-1), np.array(1):])(x), _X[-1, 1:])


def test_slice_bounds_from_concrete_arrays():
    x = xnp.asarray(_X)
    _check(x[xnp.asarray(1):], _X[1:])
    _check(x[:, : xnp.asarray(-1, xnp.int8), :: xnp.asarray(-2)], _X[:, :-1, ::-2])


@pytest.mark.parametrize("idx", [4, -5, (0, 5), (0, 0, 6), (0, -6), (Ellipsis, 6),
                                 (Ellipsis, -7), (None, 4)], ids=_id)
def test_index_out_of_bounds(idx):
    x = xnp.asarray(_X)
    with pytest.raises(IndexError, match="out of bounds"):
        x[idx]
    with pytest.raises(IndexError, match="out of bounds"):
        xf.jit(lambda a: a[idx])(x)


@pytest.mark.parametrize("idx", [(0, 0, 0, 0), (0, 0, 0, Ellipsis, 0), (0, None, 0, 0, 0)],
                         ids=_id)
def test_index_too_many(idx):
    x = xnp.asarray(_X)
    with pytest.raises(IndexError, match="too many indices"):
        x[idx]
    with pytest.raises(IndexError, match="too many indices"):
        xf.jit(lambda a: a[idx])(x)
    with pytest.raises(IndexError, match="too many indices"):
        xnp.asarray(1.0)[0]


def test_index_errors():
    x = xnp.asarray(_X)
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(ValueError, match="step"):
        x[::0]
    with pytest.raises(TypeError, match="slice indices"):
        x[0.5:]
    with pytest.raises(IndexError, match="0.5"):
        x[0.5]
    with pytest.raises(IndexError, match="str"):
        x["a"]
    with pytest.raises(IndexError, match="static"):
        xf.jit(lambda a, i: a[i:])(x, 1)


# ----------------------------------------------------------------------------------------------
# Traced (runtime) integer indices.


@pytest.mark.parametrize("i", [0, 2, 3, -1, -4])
def test_traced_int_index(i):
    x = xnp.asarray(_X)
    _check(xf.jit(lambda a, j: a[j])(x, i), _X[i])
    _check(xf.jit(lambda a, j: a[j, 1:4:2, ::-1])(x, i), _X[i, 1:4:2, ::-1])
    _check(xf.jit(lambda a, j: a[None, ..., j])(x, i), _X[None, ..., i])
    _check(xf.jit(lambda a, j: a[:, j, None])(x, i), _X[:, i, None])


def test_traced_int_indices_several():
    x = xnp.asarray(_X)
    f = xf.jit(lambda a, i, j, k: a[i, j, k])
    for i, j, k in [(0, 0, 0), (3, 4, 5), (-1, -2, -3), (1, -5, 2)]:
        _check(f(x, i, j, k), _X[i, j, k])
    g = xf.jit(lambda a, i, j: a[i, ::-1, j])
    _check(g(x, -2, 4), _X[-2, ::-1, 4])


def test_traced_index_dtypes():
    x = xnp.asarray(_X)
    f = xf.jit(lambda a, j: a[j])
    for j in (xnp.asarray(2, xnp.int8), xnp.asarray(-1, xnp.int16), xnp.asarray(3, xnp.uint8),
              xnp.asarray(1, xnp.uint32), np.int32(-3)):
        _check(f(x, j), _X[int(j)])


def test_traced_narrow_index_on_long_axis():
    # A negative int8 index on an axis longer than 127 must not overflow when made positive.
    v = np.arange(300, dtype=np.int32)
    x = xnp.asarray(v)
    f = xf.jit(lambda a, j: a[j])
    for j in (xnp.asarray(-1, xnp.int8), xnp.asarray(-128, xnp.int8),
              xnp.asarray(255, xnp.uint8), xnp.asarray(-300, xnp.int16)):
        _check(f(x, j), v[int(j)])
        _check(x[j], v[int(j)])


def test_traced_index_out_of_range_clamps():
    # Runtime indices cannot raise: they clamp into range (XLA's and jax's semantics).
    x = xnp.asarray(_X)
    f = xf.jit(lambda a, j: a[j])
    _check(f(x, 10), _X[3])
    _check(f(x, -10), _X[0])


def test_eager_array_index():
    x = xnp.asarray(_X)
    _check(x[xnp.asarray(2)], _X[2])
    _check(x[xnp.asarray(-1), 0], _X[-1, 0])
    _check(x[1, xnp.asarray(-2, xnp.int8), ::2], _X[1, -2, ::2])


def test_index_in_grad_free_loop():
    # The same jitted function serves every index value: one trace, one compilation.
    traces = []

    def f(a, j):
        traces.append(1)
        return a[j] * 2

    jf = xf.jit(f)
    x = xnp.asarray(_X)
    for i in range(-4, 4):
        _check(jf(x, i), _X[i] * 2)
    assert len(traces) == 1


# ----------------------------------------------------------------------------------------------
# Iteration and len.


def test_len_and_iteration():
    v = _X[:, :2, 0]
    x = xnp.asarray(v)
    assert len(x) == 4
    rows = list(x)
    assert len(rows) == 4
    for r, e in zip(rows, v):
        _check(r, e)
    assert [float(s) for s in x[0]] == v[0].tolist()
    a, b, c, d = x
    _check(d, v[3])
    assert list(xnp.zeros((0, 2))) == []
    with pytest.raises(TypeError, match="0-d"):
        len(xnp.asarray(1.0))
    with pytest.raises(TypeError, match="0-d"):
        iter(xnp.asarray(1.0))


def test_iteration_under_jit():
    v = _X[:, 0, :3]
    out = xf.jit(lambda a: [r * 2 for r in a])(xnp.asarray(v))
    assert len(out) == 4
    for r, e in zip(out, v):
        _check(r, e * 2)
    _check(xf.jit(lambda a: len(a) + a[0])(xnp.asarray(v)), len(v) + v[0])
    a, b = xf.jit(lambda a: tuple(a))(xnp.asarray(v[:2]))
    _check(b, v[1])


# ----------------------------------------------------------------------------------------------
# Array methods and properties, eagerly and under jit.

_M = np.linspace(-3, 3, 24, dtype=np.float32).reshape(2, 3, 4)
_C = (np.arange(6) - 2.5 + 1j * np.arange(6)[::-1]).astype(np.complex64).reshape(2, 3)

METHODS = [
    ("astype_int8", lambda x: x.astype(np.int8), lambda v: v.astype(np.int8)),
    ("astype_xnp", lambda x: x.astype(xnp.int32), lambda v: v.astype(np.int32)),
    ("astype_bool", lambda x: x.astype(bool), lambda v: v.astype(bool)),
    ("astype_str", lambda x: x.astype("float16"), lambda v: v.astype(np.float16)),
    ("astype_complex", lambda x: x.astype(xnp.complex64), lambda v: v.astype(np.complex64)),
    ("reshape_tuple", lambda x: x.reshape((4, 6)), lambda v: v.reshape((4, 6))),
    ("reshape_varargs", lambda x: x.reshape(6, -1), lambda v: v.reshape(6, -1)),
    ("reshape_int", lambda x: x.reshape(24), lambda v: v.reshape(24)),
    ("reshape_list", lambda x: x.reshape([2, 12]), lambda v: v.reshape([2, 12])),
    ("transpose", lambda x: x.transpose(), lambda v: v.transpose()),
    ("transpose_varargs", lambda x: x.transpose(1, 0, 2), lambda v: v.transpose(1, 0, 2)),
    ("transpose_tuple", lambda x: x.transpose((2, 0, 1)), lambda v: v.transpose((2, 0, 1))),
    ("transpose_negative", lambda x: x.transpose(-1, 0, 1), lambda v: v.transpose(-1, 0, 1)),
    ("T", lambda x: x.T, lambda v: v.T),
    ("mT", lambda x: x.mT, lambda v: np.swapaxes(v, -1, -2)),
    ("flatten", lambda x: x.flatten(), lambda v: v.flatten()),
    ("ravel", lambda x: x.ravel(), lambda v: v.ravel()),
    ("squeeze", lambda x: x[:, :1, None].squeeze(), lambda v: v[:, :1, None].squeeze()),
    ("squeeze_axis", lambda x: x[:1].squeeze(0), lambda v: v[:1].squeeze(0)),
    ("squeeze_axes", lambda x: x[:1, :1].squeeze((0, 1)), lambda v: v[:1, :1].squeeze((0, 1))),
    ("swapaxes", lambda x: x.swapaxes(0, 2), lambda v: v.swapaxes(0, 2)),
    ("sum", lambda x: (x.sum(), x.sum(0), x.sum(axis=(1, 2)), x.sum(-1, keepdims=True)),
     lambda v: (v.sum(), v.sum(0), v.sum(axis=(1, 2)), v.sum(-1, keepdims=True))),
    ("prod", lambda x: x.prod(axis=1), lambda v: v.prod(axis=1)),
    ("mean", lambda x: (x.mean(), x.mean(axis=0)), lambda v: (v.mean(), v.mean(axis=0))),
    ("std", lambda x: (x.std(), x.std(axis=2, ddof=1)),
     lambda v: (v.std(), v.std(axis=2, ddof=1))),
    ("max_min", lambda x: (x.max(), x.min(axis=1), x.max(axis=-1, keepdims=True)),
     lambda v: (v.max(), v.min(axis=1), v.max(axis=-1, keepdims=True))),
    ("argmax_argmin", lambda x: (x.argmax(), x.argmin(axis=1)),
     lambda v: (v.argmax().astype(np.int32), v.argmin(axis=1).astype(np.int32))),
    ("any_all", lambda x: ((x > 2).any(), (x > -5).all(axis=0)),
     lambda v: ((v > 2).any(), (v > -5).all(axis=0))),
    ("ptp", lambda x: x.ptp(axis=0), lambda v: np.ptp(v, axis=0)),
    ("clip", lambda x: (x.clip(-1, 1), x.clip(max=0.5), x.clip(min=0.0)),
     lambda v: (v.clip(-1, 1), v.clip(max=0.5), v.clip(min=0.0))),
    ("round", lambda x: (x.round(), x.round(1), x.round(decimals=2)),
     lambda v: (v.round(), v.round(1), v.round(decimals=2))),
    ("builtin_round_abs", lambda x: (round(x), abs(x), -x, +x),
     lambda v: (np.round(v), abs(v), -v, +v)),
    ("copy", lambda x: x.copy(), lambda v: v.copy()),
    ("dot", lambda x: x[0].dot(x[1].T), lambda v: v[0].dot(v[1].T)),
    ("conj_real_imag_of_real", lambda x: (x.conj(), x.conjugate(), x.real, x.imag),
     lambda v: (v.conj(), v.conjugate(), v.real, v.imag)),
]

COMPLEX_METHODS = [
    ("real_imag", lambda x: (x.real, x.imag), lambda v: (v.real, v.imag)),
    ("conj", lambda x: (x.conj(), x.conjugate()), lambda v: (v.conj(), v.conjugate())),
    ("astype_float", lambda x: x.real.astype(np.float16), lambda v: v.real.astype(np.float16)),
    ("sum_mean", lambda x: (x.sum(axis=0), x.mean()), lambda v: (v.sum(axis=0), v.mean())),
]


def _assert_tree(actual, expected):
    if isinstance(expected, tuple):
        assert isinstance(actual, tuple) and len(actual) == len(expected)
        for a, e in zip(actual, expected):
            _assert_tree(a, e)
        return
    assert isinstance(actual, xf.Array)
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.shape == e.shape, (a.shape, e.shape)
    assert a.dtype == e.dtype or (e.dtype == np.float64 and a.dtype == np.float32), (
        a.dtype, e.dtype)
    np.testing.assert_allclose(a, e, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize("fn, ref", [pytest.param(f, r, id=n) for n, f, r in METHODS])
def test_methods(fn, ref):
    x = xnp.asarray(_M)
    expected = ref(_M)
    _assert_tree(fn(x), expected)
    _assert_tree(xf.jit(fn)(x), expected)


@pytest.mark.parametrize("fn, ref", [pytest.param(f, r, id=n) for n, f, r in COMPLEX_METHODS])
def test_complex_methods(fn, ref):
    x = xnp.asarray(_C)
    expected = ref(_C)
    _assert_tree(fn(x), expected)
    _assert_tree(xf.jit(fn)(x), expected)


def test_var_method_eager():
    x = xnp.asarray(_M)
    _assert_tree(x.var(), _M.var())
    _assert_tree(x.var(axis=1, ddof=1), _M.var(axis=1, ddof=1))


def test_var_method_under_jit():
    _assert_tree(xf.jit(lambda a: a.var(axis=0))(xnp.asarray(_M)), _M.var(axis=0))


def test_copy_is_a_new_array():
    x = xnp.asarray(_M)
    y = x.copy()
    assert y is not x
    x.delete()
    np.testing.assert_array_equal(np.asarray(y), _M)


def test_metadata():
    x = xnp.asarray(_M)
    assert x.shape == (2, 3, 4) and x.ndim == 3 and x.size == 24
    assert x.dtype == np.float32 and x.itemsize == 4 and x.nbytes == 96
    assert x.T.shape == (4, 3, 2)
    assert xnp.shape(x) == (2, 3, 4) and xnp.ndim(x) == 3 and xnp.size(x) == 24
    assert xnp.size(x, 1) == 3


def test_item_tolist():
    x = xnp.asarray(_M)
    assert x.tolist() == _M.tolist()
    assert x[1, 2].tolist() == _M[1, 2].tolist()
    assert x.item(5) == _M.item(5)
    assert x.item(1, 2, 3) == _M.item(1, 2, 3)
    s = x[1, 2, 3].item()
    assert type(s) is float and s == float(_M[1, 2, 3])
    assert type(xnp.asarray(3).item()) is int
    assert type(xnp.asarray(True).item()) is bool
    assert xnp.asarray(_C).tolist() == _C.tolist()
    with pytest.raises(ValueError):
        x.item()


def test_scalar_conversions():
    x = xnp.asarray(_M)
    assert float(x[0, 0, 1]) == float(_M[0, 0, 1])
    assert int(xnp.asarray(7)) == 7
    assert complex(xnp.asarray(1 + 2j)) == 1 + 2j
    assert bool(xnp.asarray(0.0)) is False
    assert [0, 1, 2][xnp.asarray(2)] == 2  # __index__
    with pytest.raises(TypeError, match="integer scalar"):
        [0, 1, 2][xnp.asarray(1.0)]
    with pytest.raises(ValueError):
        bool(x)
    with pytest.raises(TypeError, match="traced"):
        xf.jit(lambda a: a.item())(x)
