"""Sorting, selection and bit-level lax ops, and xfront.numpy's sorting, searching and set
functions: values against NumPy (and the real jax where semantics go beyond NumPy), edge cases,
errors, and jit / grad / vmap."""

from __future__ import annotations

import ml_dtypes
import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront import lax
from xfront.array import Array
from xfront.core.errors import ConcretizationTypeError
from xfront.test_util import check_grads

SPECIAL = np.array([0.0, -0.0, np.nan, -np.nan, 1.0, -1.0, np.inf, -np.inf, 0.0, -0.0],
                   np.float32)


def _bits(x):
    return np.asarray(x).view(np.uint32)


# ----------------------------------------------------------------------------------------------
# lax.sort


def test_sort_total_order_nans_last_signed_zeros_stable():
    out = np.asarray(lax.sort(SPECIAL))
    assert np.isneginf(out[0]) and out[1] == -1.0
    # -0.0 and 0.0 are equivalent: a stable sort keeps their input order (0, -0, 0, -0).
    np.testing.assert_array_equal(np.signbit(out[2:6]), [False, True, False, True])
    assert out[6] == 1.0 and np.isposinf(out[7]) and np.isnan(out[8:]).all()
    _, perm = lax.sort((SPECIAL, np.arange(10, dtype=np.int32)), num_keys=1)
    np.testing.assert_array_equal(perm, np.argsort(SPECIAL, kind="stable"))


def test_sort_matches_jax_on_special_values(jax_oracle):
    rng = np.random.default_rng(0)
    x = rng.choice(SPECIAL, size=(4, 9))
    want = jax_oracle.lax.sort(x, dimension=1)
    np.testing.assert_array_equal(_bits(lax.sort(x, dimension=1)), _bits(want))
    xs = xf.jit(lambda x: lax.sort((x, -x), num_keys=2, dimension=0))(x)
    ws = jax_oracle.lax.sort((x, -x), num_keys=2, dimension=0)
    for a, b in zip(xs, ws):
        np.testing.assert_array_equal(_bits(a), _bits(b))


def test_sort_complex_lexicographic_matches_jax(jax_oracle):
    parts = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0])
    rng = np.random.default_rng(1)
    z = np.empty(24, np.complex64)
    z.real, z.imag = rng.choice(parts, 24), rng.choice(parts, 24)
    got = np.asarray(lax.sort(z))
    want = np.asarray(jax_oracle.lax.sort(z))
    np.testing.assert_array_equal(got.real, want.real)
    np.testing.assert_array_equal(got.imag, want.imag)


def test_sort_several_keys_and_stability():
    k1 = np.array([2, 1, 2, 1, 0, 2], np.int32)
    k2 = np.array([1.0, 3.0, 0.0, 3.0, 5.0, 1.0], np.float32)
    v = np.arange(6, dtype=np.int32)
    a, b, c = lax.sort((k1, k2, v), num_keys=2)
    order = np.lexsort((k2, k1))
    np.testing.assert_array_equal(c, order)  # ties of both keys keep input order (1, 3) (0, 5)
    np.testing.assert_array_equal(a, k1[order])
    np.testing.assert_array_equal(b, k2[order])
    kv = lax.sort_key_val(np.array([3.0, 1.0, 2.0]), np.array([30, 10, 20], np.int32))
    np.testing.assert_array_equal(kv[1], [10, 20, 30])
    assert isinstance(kv, tuple) and len(kv) == 2


def test_sort_bool_and_unsigned_keys():
    b = np.array([True, False, True, False])
    np.testing.assert_array_equal(lax.sort(b), [False, False, True, True])
    u = np.array([200, 3, 255, 0], np.uint8)
    np.testing.assert_array_equal(lax.sort(u), [0, 3, 200, 255])


@pytest.mark.parametrize("args,kw,msg", [
    ((np.ones(3), np.ones(4)), {}, "equal shapes"),
    ((np.ones(3),), {"num_keys": 2}, "num_keys"),
    ((np.ones(3), np.ones(3)), {"num_keys": 0}, "num_keys"),
])
def test_lax_sort_errors(args, kw, msg):
    with pytest.raises(TypeError if "shape" in msg else ValueError, match=msg):
        lax.sort(args, **kw)


def test_sort_rank0_and_bad_dimension():
    with pytest.raises(TypeError, match="rank >= 1"):
        lax.sort(np.float32(1.0))
    with pytest.raises(ValueError, match="out of bounds"):
        lax.sort(np.ones((2, 3)), dimension=2)


def test_sort_grad_is_the_permutation():
    x = np.array([3.0, -1.0, 2.0, 0.5])
    w = np.array([1.0, 10.0, 100.0, 1000.0])
    g = xf.grad(lambda x: (lax.sort(x) * w).sum())(x)
    # sorted order: -1 (idx 1), 0.5 (3), 2 (2), 3 (0)
    np.testing.assert_allclose(g, [1000.0, 1.0, 100.0, 10.0])
    g2 = xf.jit(xf.grad(lambda x: (lax.sort(x) ** 2 * w).sum()))(x)
    np.testing.assert_allclose(g2, 2 * x * np.array([1000.0, 1.0, 100.0, 10.0]))


def test_sort_jvp_of_values_follows_keys(x64):
    keys = np.array([2.0, 0.0, 1.0])
    vals = np.array([10.0, 20.0, 30.0])

    def f(k, v):
        return lax.sort((k, v), num_keys=1)[1]

    out, t = xf.jvp(f, (keys, vals), (np.zeros(3), np.array([1.0, 2.0, 3.0])))
    np.testing.assert_allclose(out, [20.0, 30.0, 10.0])
    np.testing.assert_allclose(t, [2.0, 3.0, 1.0])
    check_grads(f, (keys, vals), order=2, modes=("fwd", "rev"))


def test_sort_vmap_batch_in_the_middle_and_unbatched_operand():
    x = np.random.default_rng(2).normal(size=(3, 4, 5)).astype(np.float32)
    y = np.arange(5, dtype=np.int32)
    f = lambda x, y: lax.sort((x, y), dimension=1, num_keys=1)  # noqa: E731
    a, b = xf.vmap(f, in_axes=(1, None), out_axes=1)(x, np.broadcast_to(y, (3, 5)))
    np.testing.assert_array_equal(a, np.sort(x, axis=2))
    np.testing.assert_array_equal(b, np.argsort(x, axis=2, kind="stable"))


# ----------------------------------------------------------------------------------------------
# top_k and approx_top_k


def test_top_k_values_indices_ties_and_nan():
    x = np.array([1.0, 3.0, np.nan, 3.0, -np.inf], np.float32)
    v, i = lax.top_k(x, 3)
    assert np.isnan(v[0]) and list(np.asarray(v[1:])) == [3.0, 3.0]
    np.testing.assert_array_equal(i, [2, 1, 3])
    assert np.asarray(i).dtype == np.int32
    v, i = lax.top_k(np.arange(12, dtype=np.int32).reshape(3, 4), 2, axis=0)
    np.testing.assert_array_equal(v, [[8, 9, 10, 11], [4, 5, 6, 7]])
    np.testing.assert_array_equal(i, [[2, 2, 2, 2], [1, 1, 1, 1]])


def test_top_k_errors():
    with pytest.raises(ValueError, match="k=4"):
        lax.top_k(np.ones(3), 4)
    with pytest.raises(TypeError, match="complex"):
        lax.top_k(np.ones(3, np.complex64), 1)
    with pytest.raises(TypeError, match="rank >= 1"):
        lax.top_k(np.float32(1), 1)


def test_top_k_grad_and_vmap(x64):
    x = np.array([[0.3, 2.0, -1.0, 1.5], [4.0, 0.1, 0.2, 3.0]])
    g = xf.grad(lambda x: (lax.top_k(x, 2)[0] * np.array([1.0, 10.0])).sum())(x)
    np.testing.assert_allclose(g, [[0, 1, 0, 10], [1, 0, 0, 10]])
    check_grads(lambda x: lax.top_k(x, 2)[0], (x,), order=2, modes=("fwd", "rev"))
    v, i = xf.vmap(lambda r: lax.top_k(r, 2), in_axes=1, out_axes=1)(x.T)
    np.testing.assert_allclose(v, [[2.0, 4.0], [1.5, 3.0]])  # (k, batch)
    np.testing.assert_array_equal(i, [[1, 0], [3, 3]])


def test_approx_max_min_k_exact_on_cpu_and_output_size(jax_oracle):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 1000)).astype(np.float32)
    v, i = lax.approx_max_k(x, 5)
    np.testing.assert_array_equal(v, -np.sort(-x, axis=1)[:, :5])
    np.testing.assert_array_equal(np.take_along_axis(x, np.asarray(i), 1), v)
    v, _ = lax.approx_min_k(x, 4, reduction_dimension=1, recall_target=0.9)
    np.testing.assert_array_equal(v, np.sort(x, axis=1)[:, :4])
    for n, k, rt in ((1000, 5, 0.95), (5000, 5, 0.5), (100, 3, 0.95), (3000, 1, 0.95)):
        y = rng.normal(size=(2, n)).astype(np.float32)
        got = lax.approx_max_k(y, k, recall_target=rt, aggregate_to_topk=False)[0]
        want = jax_oracle.lax.approx_max_k(y, k, recall_target=rt, aggregate_to_topk=False)[0]
        assert got.shape == want.shape
        np.testing.assert_array_equal(got, -np.sort(-y, axis=1)[:, :got.shape[1]])


def test_approx_top_k_errors_and_grad(x64):
    with pytest.raises(TypeError, match="approx_top_k"):
        lax.approx_max_k(np.ones(4, np.int32), 2)
    with pytest.raises(ValueError, match="k=5"):
        lax.approx_min_k(np.ones(4), 5)
    x = np.array([0.5, 2.0, -1.0, 1.0])
    g = xf.grad(lambda x: lax.approx_min_k(x, 2)[0].sum())(x)
    np.testing.assert_allclose(g, [1.0, 0.0, 1.0, 0.0])


# ----------------------------------------------------------------------------------------------
# reduce_precision


@pytest.mark.parametrize("target,bits", [(ml_dtypes.bfloat16, (8, 7)),
                                         (np.float16, (5, 10)),
                                         (ml_dtypes.float8_e5m2, (5, 2))])
def test_reduce_precision_matches_narrow_types(target, bits):
    x = np.random.default_rng(4).uniform(-100, 100, size=200).astype(np.float32)
    x[:3] = [np.inf, -np.inf, np.nan]
    x[3] = 1e6 if target is not ml_dtypes.bfloat16 else 1.0  # float16/e5m2 overflow to inf
    got = np.asarray(lax.reduce_precision(x, *bits))
    with np.errstate(over="ignore"):
        want = x.astype(target).astype(np.float32)
    np.testing.assert_array_equal(got, want)


def test_reduce_precision_jvp_rounds_tangent_and_errors():
    x = np.array([1.0, 2.0], np.float32)
    t = np.array([1.0001, 3.14159], np.float32)
    _, tout = xf.jvp(lambda x: lax.reduce_precision(x, 8, 7), (x,), (t,))
    np.testing.assert_array_equal(tout, t.astype(ml_dtypes.bfloat16).astype(np.float32))
    g = xf.grad(lambda x: lax.reduce_precision(x, 11, 52).sum())(x)
    np.testing.assert_array_equal(g, [1.0, 1.0])
    with pytest.raises(TypeError, match="reduce_precision"):
        lax.reduce_precision(np.ones(2, np.int32), 8, 7)
    with pytest.raises(ValueError, match="exponent_bits"):
        lax.reduce_precision(x, 0, 7)
    with pytest.raises(ValueError, match="mantissa_bits"):
        lax.reduce_precision(x, 8, -1)


# ----------------------------------------------------------------------------------------------
# rng_bit_generator


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.uint64])
@pytest.mark.parametrize("alg", ["RNG_DEFAULT", "RNG_THREE_FRY", "RNG_PHILOX"])
def test_rng_bit_generator_matches_jax(jax_oracle, dtype, alg):
    if dtype == np.uint64 and not xf.config.read("enable_x64"):
        ctx = xf.config.override("enable_x64", True)
    else:
        ctx = None
    key = np.array([7, 11, 13, 17], np.uint32)
    if ctx is not None:
        with ctx:
            k, bits = lax.rng_bit_generator(key, (3, 5), dtype, getattr(lax.RandomAlgorithm,
                                                                         alg))
            k, bits = np.asarray(k), np.asarray(bits)
    else:
        k, bits = lax.rng_bit_generator(key, (3, 5), dtype, getattr(lax.RandomAlgorithm, alg))
    jax_oracle.config.update("jax_enable_x64", dtype == np.uint64)
    try:
        wk, wbits = jax_oracle.lax.rng_bit_generator(
            key, (3, 5), dtype, getattr(jax_oracle.lax.RandomAlgorithm, alg))
        np.testing.assert_array_equal(k, wk)
        np.testing.assert_array_equal(bits, wbits)
        assert np.asarray(bits).dtype == np.dtype(dtype)
    finally:
        jax_oracle.config.update("jax_enable_x64", False)


def test_rng_bit_generator_chains_and_jits():
    key = np.array([1, 2, 3, 4], np.uint32)
    k1, b1 = lax.rng_bit_generator(key, (4,))
    k2, b2 = xf.jit(lambda k: lax.rng_bit_generator(k, (4,)))(k1)
    assert not np.array_equal(b1, b2) and not np.array_equal(k1, k2)
    k1j, b1j = xf.jit(lambda k: lax.rng_bit_generator(k, (4,)))(key)
    np.testing.assert_array_equal(b1, b1j)
    np.testing.assert_array_equal(k1, k1j)


def test_rng_bit_generator_vmap_like_jax(jax_oracle):
    keys = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [9, 9, 9, 9]], np.uint32)
    nk, bits = xf.vmap(lambda k: lax.rng_bit_generator(k, (2,)))(keys)
    wk, wbits = jax_oracle.vmap(lambda k: jax_oracle.lax.rng_bit_generator(k, (2,)))(keys)
    np.testing.assert_array_equal(nk, wk)
    np.testing.assert_array_equal(bits, wbits)


def test_rng_bit_generator_vmap_semantics():
    # One draw of (batch, *shape) bits from the first key; only the first key advances.
    keys = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.uint32)
    nk, bits = xf.vmap(lambda k: lax.rng_bit_generator(k, (3,)), in_axes=0)(keys)
    k0, b0 = lax.rng_bit_generator(keys[0], (2, 3))
    np.testing.assert_array_equal(bits, b0)
    np.testing.assert_array_equal(nk, np.stack([np.asarray(k0), keys[1]]))


def test_rng_bit_generator_errors():
    with pytest.raises(TypeError, match="uint32\\[4\\]"):
        lax.rng_bit_generator(np.array([1, 2, 3], np.uint32), (2,))
    with pytest.raises(TypeError, match="uint32\\[4\\]"):
        lax.rng_bit_generator(np.array([1, 2, 3, 4], np.int32), (2,))
    with pytest.raises(TypeError, match="dtype"):
        lax.rng_bit_generator(np.array([1, 2, 3, 4], np.uint32), (2,), np.int32)
    with pytest.raises(ValueError, match="algorithm"):
        lax.rng_bit_generator(np.array([1, 2, 3, 4], np.uint32), (2,), algorithm=7)
    assert lax.RandomAlgorithm.THREE_FRY is lax.RandomAlgorithm.RNG_THREE_FRY


# ----------------------------------------------------------------------------------------------
# numpy: sort, argsort, lexsort, partition, sort_complex


def test_sort_argsort_axes_and_flatten(rng):
    x = rng.integers(0, 4, size=(3, 5)).astype(np.int32)
    np.testing.assert_array_equal(xnp.sort(x), np.sort(x))
    np.testing.assert_array_equal(xnp.sort(x, axis=0), np.sort(x, axis=0))
    np.testing.assert_array_equal(xnp.sort(x, axis=None), np.sort(x, axis=None))
    np.testing.assert_array_equal(xnp.argsort(x, axis=0), np.argsort(x, axis=0, kind="stable"))
    np.testing.assert_array_equal(xnp.argsort(x, axis=None),
                                  np.argsort(x, axis=None, kind="stable"))
    assert xnp.argsort(x).dtype == np.int32
    assert xnp.argsort(x, dtype=np.int8).dtype == np.int8
    np.testing.assert_array_equal(xnp.sort(x, kind="quicksort"), np.sort(x))


def test_sort_descending_keeps_ties_in_order(jax_oracle):
    x = np.array([[1, 3, 1, 2, 3], [0, 0, 5, 5, 1]], np.int32)
    np.testing.assert_array_equal(xnp.sort(x, descending=True), -np.sort(-x))
    got = xnp.argsort(x, descending=True)
    np.testing.assert_array_equal(got, jax_oracle.numpy.argsort(x, descending=True))
    np.testing.assert_array_equal(got, [[1, 4, 3, 0, 2], [2, 3, 4, 0, 1]])
    f = np.array([1.0, np.nan, -2.0], np.float32)
    np.testing.assert_array_equal(xnp.sort(f, descending=True),
                                  jax_oracle.numpy.sort(f, descending=True))


def test_sort_errors():
    with pytest.raises(TypeError, match="order"):
        xnp.sort(np.ones(3), order="x")
    with pytest.raises(ValueError, match="axis"):
        xnp.sort(np.float32(1.0))
    with pytest.raises(TypeError, match="list"):
        xnp.sort([3, 1])


def test_sort_under_jit_vmap_grad(x64):
    x = np.random.default_rng(5).normal(size=(4, 6))
    np.testing.assert_array_equal(xf.jit(lambda x: xnp.sort(x, axis=0))(x), np.sort(x, axis=0))
    np.testing.assert_array_equal(xf.vmap(xnp.argsort)(x), np.argsort(x, axis=1))
    check_grads(lambda x: xnp.sort(x, axis=1, descending=True), (x,), order=2,
                modes=("fwd", "rev"))


def test_lexsort_matches_numpy(rng):
    a = rng.integers(0, 3, size=12)
    b = rng.integers(0, 3, size=12)
    c = rng.normal(size=12)
    np.testing.assert_array_equal(xnp.lexsort((c, b, a)), np.lexsort((c, b, a)))
    np.testing.assert_array_equal(xnp.lexsort(np.stack([b, a])), np.lexsort(np.stack([b, a])))
    m = rng.integers(0, 3, size=(2, 3, 4))
    np.testing.assert_array_equal(xnp.lexsort(m, axis=0), np.lexsort(m, axis=0))
    with pytest.raises(ValueError, match="same shape"):
        xnp.lexsort((np.ones(3), np.ones(4)))


def test_partition_and_argpartition(rng, jax_oracle):
    x = rng.normal(size=(3, 9)).astype(np.float32)
    for kth in (0, 4, 8, -2):
        p = np.asarray(xnp.partition(x, kth))
        k = kth % 9
        s = np.sort(x, axis=1)
        np.testing.assert_array_equal(p[:, k], s[:, k])
        assert (p[:, :k] <= p[:, k:k + 1]).all() and (p[:, k + 1:] >= p[:, k:k + 1]).all()
        ap = np.asarray(xnp.argpartition(x, kth))
        np.testing.assert_array_equal(np.take_along_axis(x, ap, 1), p)
    xi = np.array([5, 1, 4, 2, 3, 0], np.int32)
    np.testing.assert_array_equal(xnp.partition(xi, 2), jax_oracle.numpy.partition(xi, 2))
    np.testing.assert_array_equal(xnp.argpartition(xi, 2),
                                  jax_oracle.numpy.argpartition(xi, 2))
    np.testing.assert_array_equal(xnp.partition(x, 1, axis=0)[1], np.sort(x, axis=0)[1])
    with pytest.raises(ValueError, match="kth"):
        xnp.partition(xi, 6)


def test_sort_complex(rng):
    x = rng.integers(-3, 3, size=7)
    got = xnp.sort_complex(x)
    assert got.dtype == np.complex64
    np.testing.assert_array_equal(got, np.sort_complex(x).astype(np.complex64))
    z = (rng.integers(-2, 2, 8) + 1j * rng.integers(-2, 2, 8)).astype(np.complex64)
    np.testing.assert_array_equal(xnp.sort_complex(z), np.sort_complex(z))


# ----------------------------------------------------------------------------------------------
# searchsorted

METHODS = ("scan", "scan_unrolled", "compare_all", "sort")


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_matches_numpy(method, side, rng):
    a = np.sort(rng.integers(0, 6, size=11)).astype(np.float32)
    v = np.concatenate([a, np.array([-1, 0.5, 2.5, 7], np.float32)]).reshape(3, 5)
    got = xnp.searchsorted(a, v, side=side, method=method)
    np.testing.assert_array_equal(got, np.searchsorted(a, v, side=side))
    assert got.dtype == np.int32
    for n in (1, 4, 7):
        np.testing.assert_array_equal(xnp.searchsorted(a[:n], v, side=side, method=method),
                                      np.searchsorted(a[:n], v, side=side))


@pytest.mark.parametrize("method", METHODS)
def test_searchsorted_nan_and_signed_zero_order(method, jax_oracle):
    a = np.array([-np.inf, -1.0, 0.0, 0.0, 3.0, np.inf, np.nan, np.nan], np.float32)
    v = np.array([np.nan, -0.0, 0.0, np.inf, -np.inf, 5.0], np.float32)
    for side in ("left", "right"):
        got = xnp.searchsorted(a, v, side=side, method=method)
        want = jax_oracle.numpy.searchsorted(a, v, side=side)
        np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(xnp.searchsorted(a, v), np.searchsorted(a, v))


def test_searchsorted_sorter_scalar_empty_and_complex():
    a = np.array([3.0, 1.0, 2.0])
    s = np.argsort(a)
    np.testing.assert_array_equal(xnp.searchsorted(a, np.array([2.5, 0.0]), sorter=s),
                                  np.searchsorted(a, np.array([2.5, 0.0]), sorter=s))
    assert int(xnp.searchsorted(np.array([1, 2, 3]), 2)) == 1
    assert xnp.searchsorted(np.array([1, 2, 3]), 2).shape == ()
    np.testing.assert_array_equal(xnp.searchsorted(np.zeros(0), np.ones(3)), [0, 0, 0])
    z = np.array([1 + 1j, 1 + 2j, 2 + 0j])
    np.testing.assert_array_equal(xnp.searchsorted(z, np.array([1 + 1.5j, 3j])),
                                  np.searchsorted(z, np.array([1 + 1.5j, 3j])))


@pytest.mark.parametrize("method", METHODS)
def test_searchsorted_jit_and_vmap(method):
    a = np.array([[1.0, 2, 3, 4], [0.0, 0, 10, 20]], np.float32)
    v = np.array([[2.5, 0.0], [0.0, 15.0]], np.float32)
    f = lambda a, v: xnp.searchsorted(a, v, side="right", method=method)  # noqa: E731
    out = xf.vmap(f)(a, v)
    np.testing.assert_array_equal(out, [np.searchsorted(a[i], v[i], "right") for i in range(2)])
    out = xf.jit(xf.vmap(f, in_axes=(None, 1)))(a[1], v)
    np.testing.assert_array_equal(out, np.searchsorted(a[1], v.T, "right"))


def test_searchsorted_errors():
    with pytest.raises(ValueError, match="1-D"):
        xnp.searchsorted(np.ones((2, 2)), 1.0)
    with pytest.raises(ValueError, match="side"):
        xnp.searchsorted(np.ones(2), 1.0, side="middle")
    with pytest.raises(ValueError, match="method"):
        xnp.searchsorted(np.ones(2), 1.0, method="bisect")


# ----------------------------------------------------------------------------------------------
# unique


def test_unique_all_outputs_match_numpy(rng):
    x = rng.integers(0, 5, size=(3, 4))
    got = xnp.unique(x, return_index=True, return_inverse=True, return_counts=True)
    want = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    assert got[2].shape == x.shape
    np.testing.assert_array_equal(xnp.unique(x), np.unique(x))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_unique_along_axis(axis, rng):
    x = rng.integers(0, 2, size=(4, 3, 5)).astype(np.float32)
    x = np.concatenate([x, x[:2]], axis=0) if axis == 0 else x
    got = xnp.unique(x, axis=axis, return_index=True, return_inverse=True, return_counts=True)
    want = np.unique(x, axis=axis, return_index=True, return_inverse=True, return_counts=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_unique_nans_and_complex():
    x = np.array([np.nan, 1.0, np.nan, -0.0, 0.0, 1.0], np.float32)
    np.testing.assert_array_equal(xnp.unique(x), np.unique(x))
    np.testing.assert_array_equal(xnp.unique(x, equal_nan=False), np.unique(x, equal_nan=False))
    v, c = xnp.unique(x, return_counts=True)
    np.testing.assert_array_equal(c, np.unique(x, return_counts=True)[1])
    z = np.array([1 + 1j, complex(np.nan, 1), 1 + 1j, complex(1, np.nan), 2 + 0j], np.complex64)
    got = np.asarray(xnp.unique(z))
    assert got.shape == (3,) and np.isnan(got[-1])
    np.testing.assert_array_equal(got[:2], [1 + 1j, 2 + 0j])


def test_unique_size_and_fill_value_match_jax(jax_oracle):
    x = np.array([3, 1, 1, 2, 3, 3], np.int32)
    for size, fill in ((6, None), (2, 0)):
        got = xnp.unique(x, return_index=True, return_inverse=True, return_counts=True,
                         size=size, fill_value=fill)
        want = jax_oracle.numpy.unique(x, return_index=True, return_inverse=True,
                                       return_counts=True, size=size, fill_value=fill)
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    f = np.array([[1.0, 2.0], [1.0, 2.0], [0.5, 3.0]], np.float32)
    got = xnp.unique(f, axis=0, size=4, fill_value=9.0)
    np.testing.assert_array_equal(got, jax_oracle.numpy.unique(f, axis=0, size=4,
                                                               fill_value=9.0))


def test_unique_under_jit_and_vmap_needs_size():
    x = np.array([[3, 1, 3, 2], [0, 0, 0, 5]], np.int32)
    f = lambda r: xnp.unique(r, size=3, fill_value=-1, return_counts=True)  # noqa: E731
    vals, counts = xf.vmap(f)(x)
    np.testing.assert_array_equal(vals, [[1, 2, 3], [0, 5, -1]])
    np.testing.assert_array_equal(counts, [[1, 1, 2], [3, 1, 0]])
    vals, counts = xf.jit(f)(x[0])
    np.testing.assert_array_equal(vals, [1, 2, 3])
    with pytest.raises(ConcretizationTypeError, match="size="):
        xf.jit(xnp.unique)(x[0])
    with pytest.raises(ConcretizationTypeError, match="size="):
        xf.vmap(xnp.unique)(x)


def test_unique_empty_input():
    e = np.zeros((0,), np.float32)
    assert xnp.unique(e).shape == (0,)
    np.testing.assert_array_equal(xnp.unique(e, size=2, fill_value=5.0), [5.0, 5.0])
    with pytest.raises(ValueError, match="fill_value"):
        xnp.unique(e, size=2)


def test_unique_values_counts_inverse_all(rng):
    x = rng.integers(0, 4, size=(2, 5))
    np.testing.assert_array_equal(xnp.unique_values(x), np.unique_values(x))
    r = xnp.unique_counts(x)
    w = np.unique_counts(x)
    np.testing.assert_array_equal(r.values, w.values)
    np.testing.assert_array_equal(r.counts, w.counts)
    r = xnp.unique_inverse(x)
    w = np.unique_inverse(x)
    np.testing.assert_array_equal(r.inverse_indices, w.inverse_indices)
    r = xnp.unique_all(x)
    w = np.unique_all(x)
    for name in ("values", "indices", "inverse_indices", "counts"):
        np.testing.assert_array_equal(getattr(r, name), getattr(w, name))
    r = xnp.unique_all(x, size=6)
    np.testing.assert_array_equal(r.counts[:len(w.counts)], w.counts)
    assert r.values.shape == (6,)


# ----------------------------------------------------------------------------------------------
# Set operations


@pytest.mark.parametrize("method", ["auto", "compare_all", "binary_search", "sort"])
def test_isin(method, rng):
    e = rng.integers(0, 8, size=(3, 4)).astype(np.float32)
    e[0, 0] = np.nan
    t = np.array([1.0, 3.0, np.nan, 5.0, 3.0], np.float32)
    np.testing.assert_array_equal(xnp.isin(e, t, method=method), np.isin(e, t))
    np.testing.assert_array_equal(xnp.isin(e, t, invert=True, method=method),
                                  np.isin(e, t, invert=True))
    np.testing.assert_array_equal(xnp.isin(e, np.zeros(0)), np.zeros((3, 4), bool))
    assert bool(xnp.isin(3, t))
    with pytest.raises(ValueError, match="method"):
        xnp.isin(e, t, method="hash")


def test_set_operations_match_numpy(rng):
    a = rng.integers(0, 10, size=12)
    b = rng.integers(5, 15, size=(2, 4))
    np.testing.assert_array_equal(xnp.union1d(a, b), np.union1d(a, b))
    np.testing.assert_array_equal(xnp.setdiff1d(a, b), np.setdiff1d(a, b))
    np.testing.assert_array_equal(xnp.setxor1d(a, b), np.setxor1d(a, b))
    np.testing.assert_array_equal(xnp.intersect1d(a, b), np.intersect1d(a, b))
    got = xnp.intersect1d(a, b, return_indices=True)
    want = np.intersect1d(a, b, return_indices=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)
    ua, ub = np.unique(a), np.unique(b)
    np.testing.assert_array_equal(xnp.setdiff1d(ua, ub, assume_unique=True),
                                  np.setdiff1d(ua, ub, assume_unique=True))
    np.testing.assert_array_equal(xnp.setxor1d(ua, ub, assume_unique=True),
                                  np.setxor1d(ua, ub, assume_unique=True))
    got = xnp.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    want = np.intersect1d(ua, ub, assume_unique=True, return_indices=True)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


def test_set_operations_nan_and_empty():
    a = np.array([np.nan, 1.0, 2.0])
    b = np.array([np.nan, 2.0])
    for name in ("union1d", "setdiff1d", "setxor1d", "intersect1d"):
        np.testing.assert_array_equal(getattr(xnp, name)(a, b), getattr(np, name)(a, b),
                                      err_msg=name)
        np.testing.assert_array_equal(getattr(xnp, name)(a, np.zeros(0)),
                                      getattr(np, name)(a, np.zeros(0)), err_msg=name)


@pytest.mark.parametrize("name", ["union1d", "setdiff1d", "setxor1d", "intersect1d"])
def test_set_operations_size_match_jax(name, jax_oracle):
    a = np.array([1, 2, 3, 3, 7], np.int32)
    b = np.array([2, 5, 3, 9], np.int32)
    for size, fill in ((2, None), (7, -1)):
        got = getattr(xnp, name)(a, b, size=size, fill_value=fill)
        want = getattr(jax_oracle.numpy, name)(a, b, size=size, fill_value=fill)
        np.testing.assert_array_equal(got, want, err_msg=f"{name} {size} {fill}")
    want = getattr(jax_oracle.numpy, name)(a, b, size=7)
    jitted = xf.jit(lambda a, b: getattr(xnp, name)(a, b, size=7))
    np.testing.assert_array_equal(jitted(a, b), want)
    with pytest.raises(ConcretizationTypeError, match="size="):
        xf.jit(getattr(xnp, name))(a, b)


def test_intersect1d_indices_with_size_match_jax(jax_oracle):
    a = np.array([4, 1, 2, 3, 3, 7], np.int32)
    b = np.array([2, 5, 3, 9, 4], np.int32)
    got = xnp.intersect1d(a, b, return_indices=True, size=5)
    want = jax_oracle.numpy.intersect1d(a, b, return_indices=True, size=5)
    for g, w in zip(got, want):
        np.testing.assert_array_equal(g, w)


# ----------------------------------------------------------------------------------------------
# Array methods (jax.Array has sort, argsort, searchsorted, argpartition)


_METHOD_CASES = {
    "sort": (lambda x: x.sort(), [1.0, 2.0, 3.0]),
    "argsort": (lambda x: x.argsort(descending=True), [0, 2, 1]),
    "searchsorted": (lambda x: xnp.sort(x).searchsorted(np.array([2.5, 0.0])), [2, 0]),
    "argpartition": (lambda x: x.argpartition(0)[:1], [1]),
}


@pytest.mark.parametrize("name", sorted(_METHOD_CASES))
def test_array_methods(name):
    if not hasattr(Array, name):
        pytest.skip(f"Array.{name} is not installed (xfront/numpy/_array_methods.py)")
    fn, want = _METHOD_CASES[name]
    x = xnp.asarray(np.array([3.0, 1.0, 2.0]))
    np.testing.assert_array_equal(fn(x), want)
    np.testing.assert_array_equal(xf.jit(fn)(x), want)
