"""xfront.numpy statistics: quantiles (every NumPy method), nan-reductions, average, cov,
corrcoef, histograms, bincount and digitize, against NumPy (and the real jax where xfront
follows JAX), eagerly and under jit / grad / vmap, plus their errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront.core.errors import ConcretizationTypeError
from xfront.test_util import check_grads

ALL_METHODS = ("linear", "lower", "higher", "midpoint", "nearest", "inverted_cdf",
               "averaged_inverted_cdf", "closest_observation", "interpolated_inverted_cdf",
               "hazen", "weibull", "median_unbiased", "normal_unbiased")
Q = np.array([0.0, 0.1, 0.25, 0.5, 0.6, 0.75, 0.9, 1.0])


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def _data(rng, shape, nan_rows=()):
    x = rng.normal(size=shape)
    for r in nan_rows:
        x[r] = np.nan
    return x


# ----------------------------------------------------------------------------------------------
# quantile / percentile / median


@pytest.mark.parametrize("method", ALL_METHODS)
def test_quantile_every_method_matches_numpy(method, rng, x64):
    x = _data(rng, (3, 8))
    got = xnp.quantile(x, Q, axis=1, method=method)
    np.testing.assert_allclose(got, np.quantile(x, Q, axis=1, method=method), rtol=1e-12)
    got = xnp.quantile(x[0, :7], 0.4, method=method)  # odd count, scalar q
    np.testing.assert_allclose(got, np.quantile(x[0, :7], 0.4, method=method), rtol=1e-12)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (None, True), (0, True), (-1, False),
                                           ((0, 2), False), ((2, 0), True)])
def test_quantile_axes_and_keepdims(axis, keepdims, rng):
    x = _data(rng, (3, 4, 5)).astype(np.float32)
    got = xnp.quantile(x, np.array([0.3, 0.5]), axis=axis, keepdims=keepdims)
    want = np.quantile(x, [0.3, 0.5], axis=axis, keepdims=keepdims)
    assert got.shape == want.shape and got.dtype == np.float32
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-6)


def test_percentile_median_and_nan_propagation(rng):
    x = _data(rng, (4, 6), nan_rows=()).astype(np.float32)
    x[1, 3] = np.nan
    np.testing.assert_allclose(xnp.percentile(x, [5, 50, 95], axis=1),
                               np.percentile(x, [5, 50, 95], axis=1), rtol=2e-6)
    np.testing.assert_allclose(xnp.median(x, axis=1), np.median(x, axis=1), rtol=1e-6)
    np.testing.assert_allclose(xnp.median(x[:, :5], axis=1), np.median(x[:, :5], axis=1))
    assert np.isnan(xnp.median(x)) and np.isnan(xnp.quantile(x, 0.1))
    # integer input gives floats (as JAX)
    ints = np.array([1, 7, 3, 4])
    assert xnp.median(ints).dtype == np.float32 and float(xnp.median(ints)) == 3.5
    assert float(xnp.percentile(ints, 100, method="lower")) == 7.0
    # NumPy's 'nearest' rounds half to even (JAX's rounds half down: 2.0 here)
    assert float(xnp.quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.5, method="nearest")) == 3.0


def test_nan_quantiles_ignore_nans(rng, x64):
    x = _data(rng, (4, 7), nan_rows=(2,))
    x[0, [1, 4]] = np.nan
    for method in ("linear", "lower", "nearest", "hazen", "inverted_cdf"):
        np.testing.assert_allclose(xnp.nanquantile(x, Q, axis=1, method=method),
                                   np.nanquantile(x, Q, axis=1, method=method), rtol=1e-12)
    np.testing.assert_allclose(xnp.nanpercentile(x, [10, 90], axis=1, keepdims=True),
                               np.nanpercentile(x, [10, 90], axis=1, keepdims=True))
    np.testing.assert_allclose(xnp.nanmedian(x, axis=1), np.nanmedian(x, axis=1))
    np.testing.assert_allclose(xnp.nanmedian(x), np.nanmedian(x))


def test_quantile_weights_inverted_cdf(rng, x64):
    x = _data(rng, (3, 6))
    w = rng.random((3, 6))
    w[0, :2] = 0.0  # leading zero weights are never selected
    for q in (0.0, 0.3, np.array([0.0, 0.5, 1.0])):
        np.testing.assert_allclose(
            xnp.quantile(x, q, axis=1, method="inverted_cdf", weights=w),
            np.quantile(x, q, axis=1, method="inverted_cdf", weights=w))
    w1 = rng.random(3)
    np.testing.assert_allclose(
        xnp.percentile(x, 40, axis=0, method="inverted_cdf", weights=w1),
        np.percentile(x, 40, axis=0, method="inverted_cdf", weights=w1))


def test_quantile_errors():
    x = np.arange(6.0)
    with pytest.raises(ValueError, match="method"):
        xnp.quantile(x, 0.5, method="bogus")
    with pytest.raises(ValueError, match="range"):
        xnp.quantile(x, 1.5)
    with pytest.raises(ValueError, match="range"):
        xnp.percentile(x, -1)
    with pytest.raises(ValueError, match="1-D"):
        xnp.quantile(x, np.ones((2, 2)) / 2)
    with pytest.raises(TypeError, match="complex"):
        xnp.median(np.ones(3, np.complex64))
    with pytest.raises(ValueError, match="inverted_cdf"):
        xnp.quantile(x, 0.5, weights=np.ones(6))
    with pytest.raises(ValueError, match="weights"):
        xnp.quantile(x, 0.5, method="inverted_cdf", weights=np.ones(5))
    with pytest.raises(ValueError, match="empty"):
        xnp.median(np.zeros((0, 3)), axis=0)


def test_quantile_grad_jit_vmap(x64):
    x = np.array([3.0, -1.0, 2.0, 0.5, 4.0, 1.0])
    g = xf.grad(xnp.median)(x)  # even count: the two middle values share the derivative
    np.testing.assert_allclose(g, [0, 0, 0.5, 0, 0, 0.5])
    g = xf.grad(lambda x: xnp.quantile(x, 0.3))(x)  # (n-1) q = 1.5 -> between sorted 1, 2
    np.testing.assert_allclose(g, [0, 0, 0, 0.5, 0, 0.5])
    check_grads(lambda x: xnp.quantile(x, np.array([0.2, 0.7]), method="hazen"), (x,),
                order=2, modes=("fwd", "rev"))
    xs = np.stack([x, x[::-1] * 2, x + 1])
    np.testing.assert_allclose(xf.jit(lambda x: xnp.percentile(x, 35, axis=1))(xs),
                               np.percentile(xs, 35, axis=1))
    np.testing.assert_allclose(xf.vmap(xnp.nanmedian, in_axes=1)(xs), np.median(xs, axis=0))


# ----------------------------------------------------------------------------------------------
# nan-reductions


def test_nan_reductions_match_numpy(rng):
    x = _data(rng, (3, 5), nan_rows=(1,)).astype(np.float32)
    x[0, 2] = np.nan
    for name in ("nansum", "nanprod", "nanmean", "nanmax", "nanmin"):
        for axis in (None, 0, 1):
            np.testing.assert_allclose(getattr(xnp, name)(x, axis=axis),
                                       getattr(np, name)(x, axis=axis), rtol=2e-6,
                                       err_msg=f"{name} axis={axis}")
    for ddof in (0, 1, 4):
        np.testing.assert_allclose(xnp.nanvar(x, axis=1, ddof=ddof),
                                   np.nanvar(x, axis=1, ddof=ddof), rtol=2e-6)
        np.testing.assert_allclose(xnp.nanstd(x, axis=0, ddof=ddof, keepdims=True),
                                   np.nanstd(x, axis=0, ddof=ddof, keepdims=True), rtol=2e-6)
    np.testing.assert_array_equal(xnp.nanargmax(x, axis=1)[[0, 2]], np.nanargmax(x[[0, 2]],
                                                                                  axis=1))
    np.testing.assert_array_equal(xnp.nanargmin(x, axis=0), np.nanargmin(x, axis=0))
    assert int(xnp.nanargmax(x)) == np.nanargmax(x)
    np.testing.assert_allclose(xnp.nansum(x, axis=1, keepdims=True),
                               np.nansum(x, axis=1, keepdims=True))


def test_nan_reductions_integers_where_and_dtype():
    i = np.array([[1, 5, 3], [2, 2, 9]], np.int32)
    np.testing.assert_array_equal(xnp.nansum(i, axis=0), np.nansum(i, axis=0))
    np.testing.assert_array_equal(xnp.nanmax(i, axis=1), [5, 9])
    np.testing.assert_array_equal(xnp.nanargmin(i, axis=1), [0, 0])
    np.testing.assert_allclose(xnp.nanmean(i), np.nanmean(i))
    x = np.array([1.0, np.nan, 3.0, 4.0], np.float32)
    w = np.array([True, True, False, True])
    np.testing.assert_allclose(xnp.nanmean(x, where=w), np.nanmean(x, where=w))
    np.testing.assert_allclose(xnp.nansum(x, where=w), np.nansum(x, where=w))
    np.testing.assert_allclose(xnp.nanvar(x, where=w), np.nanvar(x, where=w), rtol=1e-6)
    assert xnp.nansum(x, dtype=np.float16).dtype == np.float16


def test_nanargmax_all_nan_slice_like_jax(jax_oracle):
    x = np.array([[np.nan, np.nan], [1.0, np.nan]], np.float32)
    np.testing.assert_array_equal(xnp.nanargmax(x, axis=1),
                                  jax_oracle.numpy.nanargmax(x, axis=1))
    np.testing.assert_array_equal(xnp.nanargmin(x, axis=1), [-1, 0])
    assert np.isnan(xnp.nanmax(x, axis=1)[0]) and float(xnp.nanmin(x, axis=1)[1]) == 1.0


def test_nan_reductions_grad(x64):
    x = np.array([1.0, np.nan, 3.0, -2.0])
    np.testing.assert_allclose(xf.grad(xnp.nansum)(x), [1, 0, 1, 1])
    np.testing.assert_allclose(xf.grad(xnp.nanmean)(x), [1 / 3, 0, 1 / 3, 1 / 3])
    np.testing.assert_allclose(xf.grad(xnp.nanmax)(x), [0, 0, 1, 0])
    g = xf.grad(lambda x: xnp.nanvar(x))(x)
    m = np.nanmean(x)
    np.testing.assert_allclose(g, [2 * (1 - m) / 3, 0, 2 * (3 - m) / 3, 2 * (-2 - m) / 3])


# ----------------------------------------------------------------------------------------------
# average, cov, corrcoef


def test_average(rng):
    x = rng.normal(size=(3, 4)).astype(np.float32)
    w = rng.random((3, 4)).astype(np.float32)
    np.testing.assert_allclose(xnp.average(x), np.average(x), rtol=1e-6)
    np.testing.assert_allclose(xnp.average(x, axis=1, weights=w),
                               np.average(x, axis=1, weights=w), rtol=1e-6)
    np.testing.assert_allclose(xnp.average(x, axis=0, weights=w[:, 0]),
                               np.average(x, axis=0, weights=w[:, 0]), rtol=1e-6)
    for axis in (None, 1):
        got = xnp.average(x, axis=axis, weights=w, returned=True, keepdims=True)
        want = np.average(x, axis=axis, weights=w, returned=True, keepdims=True)
        for g, e in zip(got, want):
            np.testing.assert_allclose(g, e, rtol=1e-5)
    got = xnp.average(x, axis=0, returned=True)
    np.testing.assert_allclose(got[1], np.average(x, axis=0, returned=True)[1])
    with pytest.raises(ValueError, match="axis"):
        xnp.average(x, weights=w[0])
    with pytest.raises(ValueError, match="weights"):
        xnp.average(x, axis=1, weights=w[:, 0])
    g = xf.grad(lambda w: xnp.average(np.arange(4.0), weights=w))(np.ones(4))
    np.testing.assert_allclose(g, (np.arange(4.0) - 1.5) / 4)


@pytest.mark.parametrize("kw", [{}, {"rowvar": False}, {"bias": True}, {"ddof": 3},
                                {"fweights": np.array([1, 2, 0, 3, 1, 1])},
                                {"aweights": np.array([0.5, 1, 2, 0.1, 1, 3])},
                                {"fweights": np.array([1, 2, 1, 3, 1, 1]),
                                 "aweights": np.array([0.5, 1, 2, 0.1, 1, 3]), "ddof": 2}])
def test_cov_matches_numpy(kw, rng, x64):
    x = rng.normal(size=(3, 6))
    if kw.get("rowvar") is False:
        x = x.T
    np.testing.assert_allclose(xnp.cov(x, **kw), np.cov(x, **kw), rtol=1e-12, atol=1e-14)


def test_cov_y_1d_complex_and_corrcoef(rng, x64):
    x, y = rng.normal(size=(2, 5)), rng.normal(size=5)
    np.testing.assert_allclose(xnp.cov(x, y), np.cov(x, y), rtol=1e-12)
    np.testing.assert_allclose(xnp.cov(y), np.cov(y), rtol=1e-12)
    assert xnp.cov(y).shape == ()
    z = x + 1j * rng.normal(size=(2, 5))
    np.testing.assert_allclose(xnp.cov(z), np.cov(z), rtol=1e-12)
    np.testing.assert_allclose(xnp.corrcoef(x, y), np.corrcoef(x, y), rtol=1e-12)
    np.testing.assert_allclose(xnp.corrcoef(x.T, rowvar=False), np.corrcoef(x.T, rowvar=False),
                               rtol=1e-12)
    np.testing.assert_allclose(xnp.corrcoef(z), np.corrcoef(z), rtol=1e-12)
    c = np.asarray(xnp.corrcoef(np.array([[1.0, 2, 3], [2.0, 4, 6]])))
    assert (np.abs(c) <= 1).all()
    np.testing.assert_allclose(c, 1.0)
    assert float(xnp.corrcoef(y)) == 1.0


def test_cov_errors_jit_grad(rng, x64):
    x = rng.normal(size=(2, 4))
    with pytest.raises(TypeError, match="fweights"):
        xnp.cov(x, fweights=np.ones(4))
    with pytest.raises(ValueError, match="fweights"):
        xnp.cov(x, fweights=np.ones(3, np.int32))
    with pytest.raises(ValueError, match="negative"):
        xnp.cov(x, aweights=-np.ones(4))
    with pytest.raises(ValueError, match="2 dimensions"):
        xnp.cov(np.ones((2, 2, 2)))
    np.testing.assert_allclose(xf.jit(xnp.corrcoef)(x), np.corrcoef(x), rtol=1e-12)
    check_grads(lambda x: xnp.cov(x, aweights=np.arange(1.0, 5.0)), (x,), order=2,
                modes=("fwd", "rev"))


# ----------------------------------------------------------------------------------------------
# histograms


def test_histogram_matches_numpy(rng):
    x = rng.normal(size=60).astype(np.float32)
    w = rng.random(60).astype(np.float32)
    for kw in ({}, {"bins": 7}, {"bins": 4, "range": (-1.0, 1.0)},
               {"bins": np.array([-2.0, -0.5, 0.0, 0.3, 3.0])}, {"bins": 5, "weights": w},
               {"bins": 6, "density": True}, {"bins": 3, "weights": w, "density": True}):
        counts, edges = xnp.histogram(x, **kw)
        wc, we = np.histogram(x, **kw)
        np.testing.assert_allclose(counts, wc, rtol=1e-5, err_msg=str(kw))
        np.testing.assert_allclose(edges, we, rtol=1e-6, atol=1e-6, err_msg=str(kw))
        np.testing.assert_allclose(xnp.histogram_bin_edges(x, kw.get("bins", 10),
                                                           kw.get("range")), we, atol=1e-6)


def test_histogram_edges_ends_and_constant_data():
    x = np.array([0.0, 1.0, 2.0, 3.0, 3.0, -5.0, 9.0])
    c, _ = xnp.histogram(x, bins=np.array([0.0, 1.5, 3.0]))
    np.testing.assert_array_equal(c, [2, 3])  # 3.0 is in the last (closed) bin, -5, 9 ignored
    c, e = xnp.histogram(np.full(4, 2.0), bins=2)
    wc, we = np.histogram(np.full(4, 2.0), bins=2)
    np.testing.assert_array_equal(c, wc)
    np.testing.assert_allclose(e, we)
    c, e = xnp.histogram(np.array([np.nan, 1.0, 2.0]), bins=2, range=(0, 4))
    np.testing.assert_array_equal(c, [1, 1])


def test_histogram_like_jax_float_counts_jit_grad(jax_oracle):
    x = np.array([1.0, 2.0, 3.0, 3.5], np.float32)
    c, e = xnp.histogram(x, 3)
    wc, we = jax_oracle.numpy.histogram(x, 3)
    assert c.dtype == wc.dtype
    np.testing.assert_array_equal(c, wc)
    f = xf.jit(lambda x, w: xnp.histogram(x, 3, range=(0.0, 4.0), weights=w)[0])
    np.testing.assert_allclose(f(x, np.ones(4, np.float32)), [1, 1, 2])
    g = xf.grad(lambda w: (xnp.histogram(x, 3, weights=w)[0] * np.array([1.0, 10, 100])).sum())
    np.testing.assert_allclose(g(np.ones(4, np.float32)), [1, 10, 100, 100])
    r = xf.jit(lambda x, lo: xnp.histogram(x, 2, range=(lo, 4.0))[0])(x, 2.5)
    np.testing.assert_array_equal(r, [1, 1])


def test_histogram_errors():
    with pytest.raises(ValueError, match="string"):
        xnp.histogram(np.ones(3), bins="auto")
    with pytest.raises(ValueError, match="monotonically"):
        xnp.histogram(np.ones(3), bins=np.array([0.0, 2.0, 1.0]))
    with pytest.raises(ValueError, match="larger"):
        xnp.histogram(np.ones(3), bins=2, range=(2, 1))
    with pytest.raises(ValueError, match="positive"):
        xnp.histogram(np.ones(3), bins=0)
    with pytest.raises(ValueError, match="weights"):
        xnp.histogram(np.ones(3), weights=np.ones(2))


def test_histogram2d_and_dd(rng):
    x, y, z = rng.normal(size=(3, 40))
    H, ex, ey = xnp.histogram2d(x, y, bins=(3, 4))
    wH, wx, wy = np.histogram2d(x, y, bins=(3, 4))
    np.testing.assert_array_equal(H, wH)
    np.testing.assert_allclose(ex, wx, rtol=1e-6)
    np.testing.assert_allclose(ey, wy, rtol=1e-6)
    kw = {"bins": [np.array([-3.0, 0.0, 3.0]), 3], "range": [None, (-1, 1)],
          "weights": np.abs(z)}
    np.testing.assert_allclose(xnp.histogram2d(x, y, **kw)[0], np.histogram2d(x, y, **kw)[0],
                               rtol=1e-5)
    s = np.stack([x, y, z], 1)
    H, edges = xnp.histogramdd(s, bins=(2, 3, 2), density=True)
    wH, wedges = np.histogramdd(s, bins=(2, 3, 2), density=True)
    np.testing.assert_allclose(H, wH, rtol=1e-5)
    for e, we in zip(edges, wedges):
        np.testing.assert_allclose(e, we, rtol=1e-6)
    H, _ = xnp.histogramdd([x, y], bins=2)
    np.testing.assert_array_equal(H, np.histogramdd([x, y], bins=2)[0])


# ----------------------------------------------------------------------------------------------
# bincount, digitize


def test_bincount(jax_oracle):
    x = np.array([0, 1, 1, 3, 2, 1, 7])
    np.testing.assert_array_equal(xnp.bincount(x), np.bincount(x))
    w = np.linspace(0, 1, 7)
    np.testing.assert_allclose(xnp.bincount(x, w), np.bincount(x, w), rtol=1e-6)
    np.testing.assert_array_equal(xnp.bincount(x, minlength=10), np.bincount(x, minlength=10))
    np.testing.assert_array_equal(xnp.bincount(np.zeros(0, np.int32), minlength=2), [0, 0])
    neg = np.array([-1, 0, 2, 5])
    np.testing.assert_array_equal(xnp.bincount(neg, length=4),
                                  jax_oracle.numpy.bincount(neg, length=4))  # -1 -> 0, 5 dropped
    f = xf.jit(lambda x, w: xnp.bincount(x, w, length=5))
    np.testing.assert_allclose(f(x, w), np.bincount(x, w)[:5], rtol=1e-6)
    out = xf.vmap(lambda r: xnp.bincount(r, length=3))(np.array([[0, 0, 2], [1, 2, 2]]))
    np.testing.assert_array_equal(out, [[2, 0, 1], [0, 1, 2]])
    g = xf.grad(lambda w: (xnp.bincount(x, w) * np.arange(8.0)).sum())(w.astype(np.float32))
    np.testing.assert_allclose(g, x.astype(np.float32))


def test_bincount_errors():
    with pytest.raises(ConcretizationTypeError, match="length="):
        xf.jit(xnp.bincount)(np.array([1, 2]))
    with pytest.raises(TypeError, match="integers"):
        xnp.bincount(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="1-D"):
        xnp.bincount(np.ones((2, 2), np.int32))
    with pytest.raises(ValueError, match="weights"):
        xnp.bincount(np.array([1, 2]), np.ones(3))


@pytest.mark.parametrize("right", [False, True])
def test_digitize(right, rng):
    x = np.concatenate([rng.normal(size=10), [0.0, 1.0, -1.0, 5.0]]).astype(np.float32)
    inc = np.array([-1.0, 0.0, 0.5, 1.0], np.float32)
    np.testing.assert_array_equal(xnp.digitize(x, inc, right=right),
                                  np.digitize(x, inc, right=right))
    np.testing.assert_array_equal(xnp.digitize(x, inc[::-1], right=right),
                                  np.digitize(x, inc[::-1], right=right))
    np.testing.assert_array_equal(
        xf.jit(lambda x, b: xnp.digitize(x, b, right=right, method="compare_all"))(x, inc),
        np.digitize(x, inc, right=right))
    with pytest.raises(ValueError, match="1-D"):
        xnp.digitize(x, np.ones((2, 2)))
