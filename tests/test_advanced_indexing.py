"""Advanced indexing, ``x.at[...]`` updates and the index functions of ``xfront.numpy``, against
NumPy (eagerly, under jit, grad and vmap) and, for the out-of-bounds modes NumPy lacks, against
the real jax (the ``jax_oracle`` fixture). The gather/scatter primitives themselves are covered
by the op table (tests/op_db_indexing.py)."""

from __future__ import annotations

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront import lax
from xfront.test_util import check_grads

_X = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6)
_a = np.array([0, 2, -1])
_b = np.array([[1], [3]])
_s = slice


def _check(actual, expected):
    assert isinstance(actual, xf.Array)
    a = np.asarray(actual)
    assert a.shape == expected.shape, (a.shape, expected.shape)
    assert a.dtype == expected.dtype, (a.dtype, expected.dtype)
    np.testing.assert_array_equal(a, expected)


def _id(idx):
    return repr(idx).replace(" ", "").replace("array", "")[:60]


# ----------------------------------------------------------------------------------------------
# x[idx] with static advanced indices, against NumPy (eager and jit).

STATIC = [
    [0, 2], np.array([1, -1]), [[0, 1], [3, 2]], (_a, _s(None), 1), (0, _s(None), [1, 2]),
    (_s(None), 0, [1, 2]), (_b, _a), (_b, _s(None), _a), (_s(1, 3), _b, _a), (Ellipsis, _a),
    (None, _a), (_a, None), (_a, None, _a), (1, [2], [[3], [4]]), (np.int32(2), [0, 1]),
    (np.array(2), [0, 1]), ([[0, 1], [2, 3]], _s(None, None, -2), 3),
    (_s(None, None, -1), [0, 4], _s(1, None, 2)), ((0, 1), _s(None), (2, 3)), [],
    (np.array([], np.int32), 0), np.array([[]], np.int64), (_a, [1, 1, 1], _s(2, 3)),
    (np.uint8(3), np.array([4, 0], np.uint8)),
    # boolean scalars
    True, False, (True, 0), (_s(None), True), (_s(None), False, [1]), (True, False),
    (Ellipsis, True), (np.bool_(True), [1, 0]), (None, True, None),
    # concrete boolean masks
    _X[:, 0, 0] > 30, _X > 100, (_s(None), _X[0, :, 0] > 10), (_X[:, :, 0] > 50, 2),
    (1, _X[0] > 100), (_X[:, 0, :1].ravel() > 1000,), (Ellipsis, np.array([1, 0, 1, 0, 0, 1],
                                                                          bool)),
]


@pytest.mark.parametrize("idx", STATIC, ids=_id)
def test_static_advanced_index(idx):
    x = xnp.asarray(_X)
    expected = _X[idx]
    _check(x[idx], expected)
    _check(xf.jit(lambda a: a[idx])(x), expected)


def test_xfront_array_mask_and_index_eagerly():
    x = xnp.asarray(_X)
    mask = xnp.asarray(_X[:, 1, 1] > 40)
    _check(x[mask], _X[_X[:, 1, 1] > 40])
    _check(x[mask, 1:3], _X[_X[:, 1, 1] > 40, 1:3])
    _check(x[xnp.asarray(np.array(True))], _X[True])
    i = xnp.asarray(np.array([[3, -4]], np.int32))
    _check(x[i, :, i], _X[np.array([[3, -4]]), :, np.array([[3, -4]])])
    # a list holding runtime scalars is stacked into one index array
    _check(x[[xnp.asarray(np.int32(1)), 2]], _X[[1, 2]])


# ----------------------------------------------------------------------------------------------
# Traced integer indices (gather under jit and vmap).

DYNAMIC = [
    lambda a, i: a[i], lambda a, i: a[i, :, i], lambda a, i: a[:, i], lambda a, i: a[..., i],
    lambda a, i: a[1:3, i, ::-2], lambda a, i: a[i, None, 2], lambda a, i: a[i[:, None], i],
    lambda a, i: a[0, :, i], lambda a, i: a[True, i],
]


@pytest.mark.parametrize("k", range(len(DYNAMIC)))
def test_traced_int_array_index(k):
    f = DYNAMIC[k]
    i = np.array([0, -1, 3], np.int32)
    x = xnp.asarray(_X)
    expected = f(_X, i)
    _check(xf.jit(f)(x, xnp.asarray(i)), expected)
    _check(f(x, xnp.asarray(i)), expected)


def test_traced_index_out_of_bounds_clamps_like_jax():
    # JAX: runtime indices are normalized once (i < 0 -> i + n) and then clamped.
    x = xnp.asarray(np.arange(5.0, dtype=np.float32))
    i = xnp.asarray(np.array([10, -1, -7, 4], np.int32))
    _check(xf.jit(lambda a, j: a[j])(x, i), np.array([4.0, 4.0, 0.0, 4.0], np.float32))
    _check(x.at[i].get(mode="fill"), np.array([np.nan, 4.0, np.nan, 4.0], np.float32))
    _check(x.at[i].get(mode="fill", fill_value=-1), np.array([-1, 4, -1, 4], np.float32))
    _check(x.at[i].get(mode="clip"), np.array([4.0, 4.0, 0.0, 4.0], np.float32))
    _check(xf.jit(lambda a, j: a.at[j].get(mode="fill"))(x, i),
           np.array([np.nan, 4.0, np.nan, 4.0], np.float32))
    # a runtime scalar index with mode="fill" goes through the gather too
    _check(x.at[xnp.asarray(np.int32(9))].get(mode="fill", fill_value=7.0), np.float32(7.0))


def test_modes_match_jax(jax_oracle):
    jnp = jax_oracle.numpy
    rng = np.random.default_rng(0)
    v = rng.standard_normal((5, 4)).astype(np.float32)
    idx = np.array([[0, 7], [-1, 2], [-6, 1], [4, 3]], np.int32)
    x = xnp.asarray(v)
    for mode in (None, "clip", "fill", "promise_in_bounds"):
        get = lambda a, i, m=mode: a.at[i[:, 0], i[:, 1]].get(mode=m)  # noqa: E731
        np.testing.assert_array_equal(np.asarray(xf.jit(get)(x, xnp.asarray(idx))),
                                      np.asarray(get(jnp.asarray(v), jnp.asarray(idx))))
    u = rng.standard_normal(4).astype(np.float32)
    uniq = np.array([[0, 7], [-1, 2], [-6, 1], [2, 3]], np.int32)
    for mode in (None, "clip", "drop"):
        for op in ("set", "add", "multiply", "min", "max"):
            f = lambda a, i, w, m=mode, o=op: getattr(  # noqa: E731
                a.at[i[:, 0], i[:, 1]], o)(w, mode=m)
            want = np.asarray(f(jnp.asarray(v), jnp.asarray(uniq), jnp.asarray(u)))
            got = np.asarray(xf.jit(f)(x, xnp.asarray(uniq), xnp.asarray(u)))
            np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=f"{op} {mode}")


def test_vmap_of_indexing_with_batched_indices():
    x = xnp.asarray(_X)
    idx = np.array([[0, 3], [2, 2], [-1, 1]], np.int32)
    out = xf.vmap(lambda i: x[i, 1:, i])(xnp.asarray(idx))
    _check(out, np.stack([_X[i, 1:, i] for i in idx]))
    xs = np.stack([_X, _X + 1000])
    out = xf.vmap(lambda a, i: a[:, i])(xnp.asarray(xs), xnp.asarray(idx[:2]))
    _check(out, np.stack([xs[k][:, idx[k]] for k in range(2)]))
    out = xf.vmap(lambda a: a[[1, 1, 0], ::2], in_axes=1)(xnp.asarray(_X))
    _check(out, np.stack([_X[:, k][[1, 1, 0], ::2] for k in range(5)]))


def test_grad_of_advanced_index_accumulates_repeated_indices():
    x = xnp.asarray(np.arange(5.0, dtype=np.float32))
    g = xf.grad(lambda a: (a[np.array([1, 1, 3, -1])] * np.arange(1.0, 5.0)).sum())(x)
    _check(g, np.array([0, 3, 0, 3, 4], np.float32))
    g = xf.jit(xf.grad(lambda a, i: a[i].sum()))(x, xnp.asarray(np.array([0, 0, 9], np.int32)))
    _check(g, np.array([2, 0, 0, 0, 1], np.float32))  # 9 clamps to 4
    g = xf.grad(lambda a: a.at[np.array([0, 9])].get(mode="fill", fill_value=0.0).sum())(x)
    _check(g, np.array([1, 0, 0, 0, 0], np.float32))  # the dropped read gets no gradient


# ----------------------------------------------------------------------------------------------
# Errors.


def test_static_out_of_bounds_raises_index_error():
    x = xnp.asarray(_X)
    for idx in (4, -5, [0, 4], np.array([[-5]]), (0, 5), (0, [1, 9]), (Ellipsis, 6)):
        with pytest.raises(IndexError, match="out of bounds"):
            x[idx]
        with pytest.raises(IndexError, match="out of bounds"):
            x.at[idx].get()
        with pytest.raises(IndexError, match="out of bounds"):
            x.at[idx].set(0.0)
    # an explicit mode follows JAX instead
    _check(x.at[4].get(mode="clip"), _X[3])
    _check(x.at[4].set(1.0, mode="drop"), _X)
    _check(x.at[[0, 4]].add(1.0, mode="drop"), _X + (np.arange(4) == 0)[:, None, None])


def test_index_errors():
    x = xnp.asarray(_X)
    with pytest.raises(IndexError, match="integer or boolean"):
        x[np.array([0.5])]
    with pytest.raises(IndexError, match="integer or boolean"):
        x[xnp.asarray(np.array([1.0]))]
    with pytest.raises(IndexError, match="boolean index did not match.*axis 0.*size of axis is "
                                         "4.*boolean axis is 3"):
        x[np.array([True, False, True])]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0, 0]
    with pytest.raises(IndexError, match="too many indices"):
        x[_X > 0, 0]
    with pytest.raises(IndexError, match=r"could not be broadcast.*\(2,\) \(3,\)"):
        x[[0, 1], [0, 1, 2]]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., [0], ...]
    with pytest.raises(TypeError, match="immutable.*at\\[idx\\].set"):
        x[0] = 1.0
    with pytest.raises(ValueError, match="unknown mode"):
        x.at[0].get(mode="bogus")
    with pytest.raises(ValueError, match="cannot be broadcast"):
        x.at[[0, 1]].set(np.ones(3))


def test_traced_boolean_mask_error_points_to_where_and_size():
    x = xnp.asarray(np.arange(5.0))
    for f in (lambda a: a[a > 2], lambda a: a.at[a > 2].set(0.0), lambda a: a[a.sum() > 2]):
        with pytest.raises(IndexError) as info:
            xf.jit(f)(x)
        msg = str(info.value)
        assert "traced mask" in msg and "where(" in msg and "size=" in msg
    with pytest.raises(IndexError, match="traced mask"):
        xf.vmap(lambda a: a[a > 2])(xnp.ones((2, 3)))


# ----------------------------------------------------------------------------------------------
# x.at[idx] updates against NumPy's in-place operations.

UPDATE_INDICES = [
    0, (_s(1, 3),), [0, 2], [1, 1, 2], (_s(None, None, -2), [1, 3]), (Ellipsis, 1),
    ([1, 1, 2], 0, 0), _X > 100, True, (0, None, [1, 2]), (_s(None), [0, 4], _s(1, None, 2)),
    ([[0], [1]], _s(0, 4, 2), [1, 2, 3]), (-1, _s(None), -2), (_s(3, 0, -1), 1, [5, 0, 5]),
]

_UFUNC_AT = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
             "min": np.minimum, "max": np.maximum}


@pytest.mark.parametrize("idx", UPDATE_INDICES, ids=_id)
def test_at_updates_match_numpy(idx, rng):
    x = xnp.asarray(_X)
    v = rng.integers(-3, 4, size=_X[idx].shape).astype(np.float32)
    want = _X.copy()
    want[idx] = v
    positions = np.arange(_X.size).reshape(_X.shape)[idx].ravel()
    repeated = len(np.unique(positions)) < positions.size  # then which set wins is unspecified
    if not repeated:
        _check(x.at[idx].set(v), want)
    got = xf.jit(lambda a, w: [a.at[idx].set(w)] + [getattr(a.at[idx], op)(w)
                                                   for op in _UFUNC_AT])(x, v)
    if not repeated:
        _check(got[0], want)
    for (name, uf), out in zip(_UFUNC_AT.items(), got[1:]):
        want = _X.copy()
        uf.at(want, idx, v)
        np.testing.assert_array_equal(np.asarray(out), want, err_msg=name)


def test_at_divide_power_apply_and_dtypes():
    x = xnp.asarray(np.arange(5.0, dtype=np.float32))
    _check(x.at[np.array([1, 1, 3])].divide(2.0), np.array([0, 0.25, 2, 1.5, 4], np.float32))
    _check(x.at[np.array([2, 2])].power(2.0), np.array([0, 1, 16, 3, 4], np.float32))
    _check(x.at[np.array([1, 1, 3])].apply(lambda v: v * 2 + 1),
           np.array([0, 7, 2, 7, 4], np.float32))
    i = xnp.asarray(np.array([1, 1, 3], np.int32))
    _check(xf.jit(lambda a, j: a.at[j].apply(lambda v: v * 2 + 1))(x, i),
           np.array([0, 7, 2, 7, 4], np.float32))
    _check(xf.jit(lambda a, j: a.at[j].apply(xnp.sin, unique_indices=True))(x, i[1:]),
           np.array([0, np.sin(1), 2, np.sin(3), 4], np.float32))
    xi = xnp.asarray(np.arange(5, dtype=np.int32))
    _check(xi.at[0].set(2.7), np.array([2, 1, 2, 3, 4], np.int32))  # cast back, as JAX
    _check(xi.at[np.array([1, 1])].divide(2), np.array([0, 0.25, 2, 3, 4], np.float32))
    _check(xi.at[2].subtract(5), np.array([0, 1, -3, 3, 4], np.int32))
    xb = xnp.asarray(np.zeros(4, bool))
    _check(xb.at[np.array([1, 3])].set(True), np.array([0, 1, 0, 1], bool))
    _check(xb.at[np.array([1, 1])].add(True), np.array([0, 1, 0, 0], bool))
    _check(x.at[:].set(1.0), np.ones(5, np.float32))
    _check(x.at[np.array([], np.int32)].add(1.0), np.arange(5.0, dtype=np.float32))
    # repeated indices accumulate for add, also with traced indices
    _check(xf.jit(lambda a, j: a.at[j].add(1.0))(x, i), np.array([0, 3, 2, 4, 4], np.float32))


def test_at_grad_wrt_operand_and_values():
    rng = np.random.default_rng(1)
    xv = rng.standard_normal((4, 3))
    vv = rng.standard_normal((3, 3))
    rep = np.array([0, 2, 0])
    with xf.config.override("enable_x64", True):
        x, v = xnp.asarray(xv), xnp.asarray(vv)
        for op in ("set", "add", "subtract", "multiply", "min", "max"):
            check_grads(lambda a, w, o=op: getattr(a.at[rep], o)(w), (x, v), order=2,
                        modes=("fwd", "rev"))
        check_grads(lambda a, w: a.at[1:3, ::2].set(w[:2, :2]), (x, v), order=2,
                    modes=("fwd", "rev"))
        check_grads(lambda a: a.at[rep].apply(xnp.sin), (x,), order=2, modes=("fwd", "rev"))
        check_grads(lambda a, w: a.at[rep].divide(w), (x, v + 3.0), order=1,
                    modes=("fwd", "rev"))
        # a repeated set: the winning update gets the gradient, the overwritten ones nothing
        g_v = xf.grad(lambda w: x.at[np.array([1, 1])].set(w).sum())(xnp.asarray(vv[:2]))
        g = np.asarray(g_v)
        assert g.sum() == 3.0 and set(np.unique(g)) <= {0.0, 1.0}
        assert (g.sum(axis=0) == 1.0).all()
        g_x = xf.grad(lambda a: a.at[np.array([1, 1])].set(v[:2]).sum())(x)
        _check(g_x, np.array([[1.0] * 3, [0.0] * 3, [1.0] * 3, [1.0] * 3]))


def test_at_under_vmap():
    x = xnp.asarray(_X[:, :, 0])  # (4, 5)
    idx = np.array([[0, 4], [1, 1], [3, 2]], np.int32)
    vals = np.arange(6, dtype=np.float32).reshape(3, 2)
    out = xf.vmap(lambda i, w: x.at[1, i].add(w))(xnp.asarray(idx), xnp.asarray(vals))
    want = []
    for i, w in zip(idx, vals):
        e = _X[:, :, 0].copy()
        np.add.at(e, (1, i), w)
        want.append(e)
    _check(out, np.stack(want))
    out = xf.vmap(lambda a: a.at[[0, 0, 2]].set(-1.0), in_axes=1, out_axes=1)(x)
    want = _X[:, :, 0].copy()
    want[[0, 2], :] = -1.0
    _check(out, want)


# ----------------------------------------------------------------------------------------------
# nonzero and friends (size= / fill_value=)


def test_nonzero_family_matches_numpy():
    v = np.array([[0, 3, 0, 1], [2, 0, 0, 5], [0, 0, 0, 0]], np.int32)
    x = xnp.asarray(v)
    for got, want in zip(xnp.nonzero(x), np.nonzero(v)):
        _check(got, want.astype(np.int32))
    _check(xnp.flatnonzero(x), np.flatnonzero(v).astype(np.int32))
    _check(xnp.argwhere(x), np.argwhere(v).astype(np.int32))
    _check(xnp.argwhere(xnp.asarray(3.0)), np.zeros((1, 0), np.int32))
    _check(xnp.argwhere(xnp.asarray(0.0)), np.zeros((0, 0), np.int32))
    f = xf.jit(lambda a: xnp.nonzero(a, size=6, fill_value=-1))
    got = f(x)
    want = [np.array([0, 0, 1, 1, -1, -1]), np.array([1, 3, 0, 3, -1, -1])]
    for g, w in zip(got, want):
        _check(g, w.astype(np.int32))
    got = xnp.nonzero(x, size=2, fill_value=(7, 8))  # truncated: no padding
    _check(got[0], np.array([0, 0], np.int32))
    got = xnp.nonzero(x, size=5, fill_value=(7, 8))
    _check(got[1], np.array([1, 3, 0, 3, 8], np.int32))
    _check(xf.jit(lambda a: xnp.argwhere(a, size=5))(x),
           np.array([[0, 1], [0, 3], [1, 0], [1, 3], [0, 0]], np.int32))
    _check(xf.jit(lambda a: xnp.flatnonzero(a, size=3))(x), np.array([1, 3, 4], np.int32))
    bools = np.random.default_rng(0).random((3, 7)) < 0.4
    out = xf.vmap(lambda m: xnp.nonzero(m, size=7, fill_value=-1)[0])(xnp.asarray(bools))
    want = np.full((3, 7), -1)
    for k, m in enumerate(bools):
        nz = np.nonzero(m)[0]
        want[k, :len(nz)] = nz
    _check(out, want.astype(np.int32))


def test_nonzero_without_size_under_jit_says_pass_size():
    x = xnp.asarray(np.arange(4.0))
    for f in (xnp.nonzero, xnp.flatnonzero, xnp.argwhere,
              lambda a: xnp.compress(a > 1, a), lambda a: xnp.extract(a > 1, a)):
        with pytest.raises(TypeError, match="size="):
            xf.jit(f)(x)
    with pytest.raises(ValueError, match="0-d"):
        xnp.nonzero(xnp.asarray(1.0))


def test_compress_extract_place_put():
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x = xnp.asarray(a)
    c = np.array([True, False, True])
    _check(xnp.compress(c, x, axis=0), np.compress(c, a, axis=0))
    _check(xnp.compress(c, x, axis=1), np.compress(c, a, axis=1))
    _check(xnp.compress(c, x), np.compress(c, a))
    _check(x.compress(c, axis=0), np.compress(c, a, axis=0))
    _check(xf.jit(lambda m, v: xnp.compress(m, v, axis=1, size=3, fill_value=-5))(
        xnp.asarray(c), x), np.array([[0, 2, -5], [4, 6, -5], [8, 10, -5]], np.float32))
    _check(xnp.extract(a > 6, x), np.extract(a > 6, a))
    _check(xf.jit(lambda v: xnp.extract(v > 6, v, size=7))(x),
           np.array([7, 8, 9, 10, 11, 0, 0], np.float32))
    with pytest.raises(ValueError, match="beyond"):
        xnp.compress(np.array([0, 0, 0, 1]), x, axis=0)
    want = a.copy()
    np.place(want, a > 8, [1.0, 2.0])
    _check(xf.jit(lambda v: xnp.place(v, v > 8, xnp.asarray([1.0, 2.0]), inplace=False))(x),
           want)
    want = a.copy()
    np.put(want, [0, -1, 5], [9.0, 8.0])
    _check(xnp.put(x, np.array([0, -1, 5]), np.array([9.0, 8.0]), inplace=False), want)
    want = a.copy()
    np.put(want, [3, 30], [1.0, 2.0], mode="clip")
    _check(xnp.put(x, np.array([3, 30]), np.array([1.0, 2.0]), mode="clip", inplace=False),
           want)
    want = a.copy()
    np.put(want, [13, -14], [1.0, 2.0], mode="wrap")
    _check(xnp.put(x, np.array([13, -14]), np.array([1.0, 2.0]), mode="wrap", inplace=False),
           want)
    with pytest.raises(IndexError, match="out of bounds"):
        xnp.put(x, np.array([12]), 1.0, mode="raise", inplace=False)
    for fn in (lambda: xnp.put(x, [0], 1.0), lambda: xnp.place(x, a > 1, 1.0),
               lambda: xnp.put_along_axis(x, c, 1.0, 0)):
        with pytest.raises(ValueError, match="inplace=False"):
            fn()


def test_take_and_take_along_axis(jax_oracle):
    jnp = jax_oracle.numpy
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x = xnp.asarray(a)
    idx = np.array([[0, -1], [5, 2]])
    _check(xnp.take(x, np.array([0, 2, -1]), axis=1), np.take(a, [0, 2, -1], axis=1))
    _check(xnp.take(x, [1, 11]), np.take(a, [1, 11]))
    _check(x.take(np.array([2, 0]), axis=0), a[[2, 0]])
    _check(xf.jit(lambda v, i: xnp.take(v, i, axis=0, mode="clip"))(x, xnp.asarray(idx)),
           np.take(a, idx, axis=0, mode="clip"))
    _check(xnp.take(x, idx, axis=1, mode="wrap"), np.take(a, idx, axis=1, mode="wrap"))
    for mode in (None, "fill", "clip", "wrap"):
        np.testing.assert_array_equal(
            np.asarray(xnp.take(x, idx, axis=1, mode=mode)),
            np.asarray(jnp.take(jnp.asarray(a), jnp.asarray(idx), axis=1, mode=mode)))
    np.testing.assert_array_equal(np.asarray(xnp.take(x, idx, fill_value=-2)),
                                  np.asarray(jnp.take(jnp.asarray(a), idx, fill_value=-2)))
    ind = np.array([[0, 3], [1, -1], [2, 0]])
    _check(xnp.take_along_axis(x, ind, axis=1), np.take_along_axis(a, ind % 4, axis=1))
    ind0 = np.array([[2, 0, 1, 1]])
    _check(xnp.take_along_axis(x, ind0, axis=0), np.take_along_axis(a, ind0, axis=0))
    _check(xnp.take_along_axis(x, np.array([5, -1, 0]), axis=None),
           np.array([5, 11, 0], np.float32))
    for mode in (None, "clip", "one_hot"):
        oob = np.array([[0, 5], [-7, 2], [1, 3]])
        got = np.asarray(xf.jit(lambda v, i, m=mode: xnp.take_along_axis(v, i, 1, mode=m))(
            x, xnp.asarray(oob)))
        want = np.asarray(jnp.take_along_axis(jnp.asarray(a), jnp.asarray(oob), 1, mode=mode))
        np.testing.assert_array_equal(got, want, err_msg=str(mode))
    v = np.argsort(a[:, ::-1] * np.array([1, -1, 1, -1]), axis=1)
    _check(xnp.take_along_axis(x, xnp.asarray(v), axis=1), np.take_along_axis(a, v, axis=1))
    g = xf.grad(lambda v: xnp.take_along_axis(v, ind, axis=1).sum())(x)
    want = np.zeros_like(a)
    np.add.at(want, (np.arange(3)[:, None], ind % 4), 1.0)
    _check(g, want)
    want = a.copy()
    np.put_along_axis(want, ind % 4, -1.0, axis=1)
    _check(xnp.put_along_axis(x, ind, -1.0, axis=1, inplace=False), want)
    with pytest.raises(ValueError, match="same number of dimensions"):
        xnp.take_along_axis(x, np.array([0]), axis=1)
    with pytest.raises(TypeError, match="integers"):
        xnp.take(x, np.array([0.5]))


def test_select_choose():
    a = np.arange(6.0, dtype=np.float32)
    x = xnp.asarray(a)
    conds, choices = [a > 3, a < 2], [a, -a]
    _check(xnp.select([xnp.asarray(c) for c in conds], [x, -x], 7.0),
           np.select(conds, choices, 7.0))
    _check(xf.jit(lambda v: xnp.select([v > 3, v < 2], [v, -v]))(x), np.select(conds, choices))
    i = np.array([0, 2, 1, 1, 0, 2])
    chs = [a, 10 * a, 100 * a]
    _check(xnp.choose(xnp.asarray(i), chs), np.choose(i, chs))
    j = np.array([0, 4, -1, 1, 0, 2])
    for mode in ("wrap", "clip"):
        _check(xf.jit(lambda k, m=mode: xnp.choose(k, chs, mode=m))(xnp.asarray(j)),
               np.choose(j, chs, mode=mode))
    _check(xnp.asarray(i).choose(chs), np.choose(i, chs))
    with pytest.raises(ValueError, match="invalid entry"):
        xnp.choose(xnp.asarray(j), chs)


def test_index_generators_and_conversions():
    def check_tuple(got, want):
        assert len(got) == len(want)
        for g, w in zip(got, want):
            _check(g, np.asarray(w).astype(np.int32))

    check_tuple(xnp.diag_indices(3), np.diag_indices(3))
    check_tuple(xnp.diag_indices(2, 4), np.diag_indices(2, 4))
    check_tuple(xnp.diag_indices_from(np.zeros((3, 3, 3))), np.diag_indices(3, 3))
    check_tuple(xnp.tril_indices(4, -1), np.tril_indices(4, -1))
    check_tuple(xnp.triu_indices(3, 1, 5), np.triu_indices(3, 1, 5))
    check_tuple(xnp.tril_indices_from(xnp.zeros((2, 3)), 1), np.tril_indices_from(
        np.zeros((2, 3)), 1))
    check_tuple(xnp.triu_indices_from(np.zeros((3, 3))), np.triu_indices_from(np.zeros((3, 3))))
    check_tuple(xnp.mask_indices(3, np.triu, 1), np.mask_indices(3, np.triu, 1))
    check_tuple(xnp.unravel_index(np.array([0, 5, 7]), (2, 4)),
                np.unravel_index([0, 5, 7], (2, 4)))
    # JAX: negative flat indices count from the end, out-of-range ones clamp
    check_tuple(xnp.unravel_index(xnp.asarray(np.array([-1, 30, -40])), (2, 3)),
                ([1, 1, 0], [2, 2, 0]))
    mi = (np.array([1, 0, 2]), np.array([3, 0, 1]))
    _check(xnp.ravel_multi_index(mi, (3, 4)), np.ravel_multi_index(mi, (3, 4)).astype(np.int32))
    _check(xnp.ravel_multi_index(mi, (3, 4), order="F"),
           np.ravel_multi_index(mi, (3, 4), order="F").astype(np.int32))
    bad = (np.array([1, 3]), np.array([-1, 5]))
    for mode in ("clip", "wrap"):
        _check(xf.jit(lambda i, j, m=mode: xnp.ravel_multi_index((i, j), (3, 4), mode=m))(
            *map(xnp.asarray, bad)), np.ravel_multi_index(bad, (3, 4), mode=mode).astype(
            np.int32))
    with pytest.raises(ValueError, match="invalid entry"):
        xnp.ravel_multi_index(bad, (3, 4))
    check_tuple(xnp.ix_([0, 2], np.array([True, False, True])),
                np.ix_([0, 2], np.array([True, False, True])))
    a = np.arange(20.0, dtype=np.float32).reshape(4, 5)
    _check(xnp.asarray(a)[xnp.ix_([0, 3], [1, 2, 4])], a[np.ix_([0, 3], [1, 2, 4])])
    _check(xnp.indices((2, 3)), np.indices((2, 3)).astype(np.int32))
    check_tuple(xnp.indices((3, 1, 2), sparse=True), np.indices((3, 1, 2), sparse=True))
    assert xnp.indices((2,), dtype=np.int8).dtype == np.int8
    assert xnp.s_[1:3, ::2] == np.s_[1:3, ::2] and xnp.index_exp[2] == (2,)
    _check(xnp.asarray(a)[xnp.s_[1:, ::-2]], a[1:, ::-2])


# ----------------------------------------------------------------------------------------------
# lax.gather / scatter API details.


def test_lax_fill_values_and_defaults_match_jax(jax_oracle):
    jlax = jax_oracle.lax
    dn = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(0,),
                                    start_index_map=(0,))
    idx = np.array([[1], [7], [-1]], np.int32)
    for dt in (np.float32, np.int32, np.uint8, np.bool_, np.complex64, np.int8):
        v = np.arange(5).astype(dt)
        got = lax.gather(xnp.asarray(v), idx, dn, (1,), mode="fill")
        want = jlax.gather(v, idx, jlax.GatherDimensionNumbers((), (0,), (0,)), (1,),
                           mode="fill")
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want), err_msg=str(dt))
    assert lax.GatherScatterMode.from_any("drop") is lax.GatherScatterMode.FILL_OR_DROP
    assert lax.GatherScatterMode.from_any(None) is lax.GatherScatterMode.CLIP
    sdn = lax.ScatterDimensionNumbers((), (0,), (0,))
    x = xnp.asarray(np.arange(5.0, dtype=np.float32))
    u = np.array([10.0, 20.0, 30.0], np.float32)
    for f in ("scatter_sub", "scatter_mul", "scatter_min", "scatter_max", "scatter_add"):
        got = getattr(lax, f)(x, idx, u, sdn, mode="drop")
        want = getattr(jlax, f)(np.arange(5.0, dtype=np.float32), idx, u,
                                jlax.ScatterDimensionNumbers((), (0,), (0,)), mode="drop")
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want), err_msg=f)
    got = lax.scatter_apply(x, idx, lambda v: v * 10, sdn, update_shape=(3,), mode="drop")
    want = jlax.scatter_apply(np.arange(5.0, dtype=np.float32), idx, lambda v: v * 10,
                              jlax.ScatterDimensionNumbers((), (0,), (0,)), update_shape=(3,),
                              mode="drop")
    np.testing.assert_array_equal(np.asarray(got), np.asarray(want))
    src = np.arange(24.0, dtype=np.float32).reshape(2, 3, 4)
    idxs = (np.array([0, -1, 3]), np.array([1, 5, -2]))
    np.testing.assert_array_equal(np.asarray(lax.index_take(xnp.asarray(src), idxs, (0, 2))),
                                  np.asarray(jlax.index_take(src, idxs, (0, 2))))


def test_lax_errors_name_the_operation_and_shapes():
    x = xnp.ones((3, 4))
    dn = lax.GatherDimensionNumbers((1,), (0,), (0, 1))
    with pytest.raises(TypeError, match="gather: indices must be integers"):
        lax.gather(x, np.zeros((2, 2), np.float32), dn, (1, 2))
    with pytest.raises(TypeError, match="gather: start_index_map"):
        lax.gather(x, np.zeros((2, 3), np.int32), dn, (1, 2))
    with pytest.raises(TypeError, match="gather: slice size 5 does not fit"):
        lax.gather(x, np.zeros((2, 2), np.int32), dn, (1, 5))
    with pytest.raises(TypeError, match="offset_dims .* out of range"):
        lax.gather(x, np.zeros((2, 2), np.int32), lax.GatherDimensionNumbers((3,), (0,), (0, 1)),
                   (1, 2))
    with pytest.raises(ValueError, match="fill_value must be a scalar"):
        lax.gather(x, np.zeros((2, 2), np.int32), dn, (1, 2), mode="fill",
                   fill_value=np.ones(2))
    sdn = lax.ScatterDimensionNumbers((1,), (0,), (0, 1))
    with pytest.raises(TypeError, match=r"scatter_mul: the non-window dimensions of updates"):
        lax.scatter_mul(x, np.zeros((2, 2), np.int32), xnp.ones((3, 2)), sdn)
    with pytest.raises(TypeError, match="scatter_max: updates dtype int32 differs"):
        lax.scatter_max(x, np.zeros((2, 2), np.int32), xnp.ones((2, 2), np.int32), sdn)
    with pytest.raises(ValueError, match="unknown gather/scatter mode"):
        lax.scatter_add(x, np.zeros((2, 2), np.int32), xnp.ones((2, 2)), sdn, mode="wrap")


def test_composites_under_transformations():
    a = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    x = xnp.asarray(a)
    c = np.array([True, False, True, True])
    g = xf.grad(lambda v: (xnp.compress(c, v, axis=1, size=2) ** 2).sum())(x)
    want = np.zeros_like(a)
    want[:, [0, 2]] = 2 * a[:, [0, 2]]
    _check(g, want)
    idx = np.array([[1, 0], [3, 3], [0, 2]], np.int32)
    out = xf.vmap(lambda v, i: xnp.take_along_axis(v, i, axis=0))(x, xnp.asarray(idx))
    _check(out, np.stack([a[k][idx[k]] for k in range(3)]))
    out = xf.vmap(lambda i: xnp.take(x, i, axis=1))(xnp.asarray(idx))
    _check(out, np.stack([a[:, i] for i in idx]))
    # a traced scalar index: one index vector, so the update is unique (plain scatter JVP)
    f = xf.jit(xf.grad(lambda w, i: (x.at[1, i].set(w) ** 2).sum()))
    _check(f(xnp.asarray(np.float32(3.0)), xnp.asarray(np.int32(2))), np.float32(6.0))
    g = xf.grad(lambda v: xnp.place(v, a > 8, xnp.asarray([1.0, 2.0]), inplace=False).sum())(x)
    _check(g, (a <= 8).astype(np.float32))


def test_index_array_methods():
    a = np.array([1.0, 3.0, 5.0, 7.0], np.float32)
    x = xnp.asarray(a)
    _check(x.take(np.array([3, -4])), a[[3, -4]])
    _check((x > 2).nonzero(size=4, fill_value=9)[0], np.array([1, 2, 3, 9], np.int32))
    _check(x.compress(np.array([1, 0, 0, 1])), a[[0, 3]])
    _check(xnp.asarray(np.array([1, 0, 1, 1])).choose([x, -x]), np.choose([1, 0, 1, 1], [a, -a]))
    if hasattr(xnp, "searchsorted"):
        v = np.array([0.0, 3.0, 6.0], np.float32)
        np.testing.assert_array_equal(np.asarray(x.searchsorted(v)), np.searchsorted(a, v))
        np.testing.assert_array_equal(np.asarray(x.searchsorted(v, side="right")),
                                      np.searchsorted(a, v, side="right"))
