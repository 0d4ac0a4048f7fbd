"""Statistics of ``xfront.numpy``: median, percentile, quantile (all of NumPy's methods), their
NaN-ignoring forms, the other nan-reductions, average, cov, corrcoef, histograms, bincount and
digitize.

Order statistics sort (``lax.sort``: NaNs last) and gather, so they are differentiable (the
derivative flows to the selected or interpolated entries) and batch under vmap. Results whose
size depends on the data take a static size (``bincount(length=...)``) under transformations.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from xfront import lax
from xfront.core import dtypes
from xfront.core.errors import ConcretizationTypeError, XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, get_aval
from xfront.numpy._reductions import argmax, argmin, max, mean, min, sum
from xfront.numpy._sorting import (
    _asarray,
    _flat,
    cumsum_last,
    jit_static,
    searchsorted,
    take_along_last,
)
from xfront.numpy._util import (
    broadcast_to,
    canonical_axes,
    check_arraylike,
    check_no_out,
    ensure_traced,
    promote_dtypes_inexact,
)

__all__ = [
    "average",
    "bincount",
    "corrcoef",
    "cov",
    "digitize",
    "histogram",
    "histogram2d",
    "histogram_bin_edges",
    "histogramdd",
    "median",
    "nanargmax",
    "nanargmin",
    "nanmax",
    "nanmean",
    "nanmedian",
    "nanmin",
    "nanpercentile",
    "nanprod",
    "nanquantile",
    "nanstd",
    "nansum",
    "nanvar",
    "percentile",
    "quantile",
]


def _isnan(x):
    if dtypes.is_inexact(get_aval(x).dtype):
        return lax.ne(x, x)
    return lax.full(get_aval(x).shape, False, dtypes.bool_)


def _const(x, v):
    return lax.full((), v, get_aval(x).dtype)


# ----------------------------------------------------------------------------------------------
# Quantiles.

# NumPy's methods: virtual index v(n, q) into the sorted values and how to interpolate.
_CONTINUOUS = {  # (alpha, beta) of Hyndman & Fan: v = n q + alpha + q (1 - alpha - beta) - 1
    "interpolated_inverted_cdf": (0.0, 1.0),
    "hazen": (0.5, 0.5),
    "weibull": (0.0, 0.0),
    "median_unbiased": (1 / 3, 1 / 3),
    "normal_unbiased": (3 / 8, 3 / 8),
}
_METHODS = ("linear", "lower", "higher", "midpoint", "nearest", "inverted_cdf",
            "averaged_inverted_cdf", "closest_observation", *_CONTINUOUS)


def _lerp(a, b, t):
    # NumPy's form: exact at both ends.
    diff = lax.sub(b, a)
    lo = lax.add(a, lax.mul(diff, t))
    hi = lax.sub(b, lax.mul(diff, lax.sub(_const(t, 1), t)))
    return lax.select(lax.ge(t, _const(t, 0.5)), hi, lo)


def _quantile_indices(method, n, q):
    """(lower index, upper index, weight of the upper) as float arrays for ``method``;
    ``n`` is the number of (valid) sorted values, ``q`` in [0, 1]."""
    one, zero = _const(q, 1), _const(q, 0)
    nm1 = lax.sub(n, one)

    def discrete(idx):
        return idx, idx, None

    def boundaries(index, take_previous):
        prev = lax.floor(index)
        gamma = lax.sub(index, prev)
        out = lax.select(take_previous(gamma, prev), prev, lax.add(prev, one))
        return discrete(lax.max(out, zero))

    if method == "lower":
        return discrete(lax.floor(lax.mul(nm1, q)))
    if method == "higher":
        return discrete(lax.ceil(lax.mul(nm1, q)))
    if method == "nearest":
        return discrete(lax.round(lax.mul(nm1, q), lax.RoundingMethod.TO_NEAREST_EVEN))
    if method == "inverted_cdf":
        return boundaries(lax.sub(lax.mul(n, q), one), lambda g, p: lax.eq(g, zero))
    if method == "closest_observation":
        half = _const(q, 0.5)
        two = _const(q, 2)

        def odd_at_zero(g, p):
            odd = lax.eq(lax.sub(p, lax.mul(two, lax.floor(lax.div(p, two)))), one)
            return lax.bitwise_and(lax.eq(g, zero), odd)

        return boundaries(lax.sub(lax.sub(lax.mul(n, q), one), half), odd_at_zero)
    if method == "linear":
        v = lax.mul(nm1, q)
    elif method in ("midpoint", "median"):
        v = lax.mul(_const(q, 0.5), lax.add(lax.floor(lax.mul(nm1, q)),
                                              lax.ceil(lax.mul(nm1, q))))
    elif method == "averaged_inverted_cdf":
        v = lax.sub(lax.mul(n, q), one)
    else:
        alpha, beta = _CONTINUOUS[method]
        v = lax.sub(lax.add(lax.mul(n, q), lax.add(_const(q, alpha),
                                                   lax.mul(q, _const(q, 1 - alpha - beta)))),
                    one)
    prev = lax.floor(v)
    gamma = lax.sub(v, prev)
    if method == "averaged_inverted_cdf":
        gamma = lax.select(lax.eq(gamma, zero), lax.full_like(gamma, 0.5),
                           lax.full_like(gamma, 1))
    nxt = lax.add(prev, one)
    above = lax.ge(v, nm1)
    below = lax.lt(v, zero)
    prev = lax.select(above, nm1, lax.select(below, zero, prev))
    nxt = lax.select(above, nm1, lax.select(below, zero, nxt))
    return prev, nxt, gamma


def _reduce_to_last(a, axis, name, shape_only=False):
    """``a`` with the reduced axes merged into one last axis, plus the keepdims shape (or,
    with ``shape_only``, just the size of the merged axis)."""
    shape = get_aval(a).shape
    axes = canonical_axes(axis, len(shape), name)
    if shape_only:
        return int(np.prod([shape[i] for i in axes], dtype=np.int64))
    if axis is None:
        return lax.reshape(a, (get_aval(a).size,)), (1,) * len(shape)
    keep = [i for i in range(len(shape)) if i not in axes]
    a = lax.transpose(a, (*keep, *axes))
    size = int(np.prod([shape[i] for i in axes], dtype=np.int64))
    kept_shape = tuple(1 if i in axes else d for i, d in enumerate(shape))
    return lax.reshape(a, tuple(shape[i] for i in keep) + (size,)), kept_shape


def _q_arg(q):
    return np.asarray(q) if isinstance(q, list | tuple) else q


def _quantile(name, a, q, axis, method, keepdims, nan_policy, weights=None):
    q = _q_arg(q)
    check_arraylike(name, a, q)
    if method not in _METHODS and method != "median":
        raise XfrontValueError(f"{name}: method must be one of {_METHODS}, got {method!r}")
    a, q = promote_dtypes_inexact(ensure_traced(a), q)
    a, q = ensure_traced(a), ensure_traced(q)
    if dtypes.is_complex(get_aval(a).dtype):
        raise XfrontTypeError(f"{name} does not support complex input ({get_aval(a).dtype})")
    qshape = get_aval(q).shape
    if len(qshape) > 1:
        raise XfrontValueError(f"{name}: q must be a scalar or 1-D, got shape {qshape}")
    _check_q_range(name, q)
    if weights is not None:
        if method != "inverted_cdf":
            raise XfrontValueError(
                f"{name}: only method='inverted_cdf' supports weights, got {method!r}")
        weights = _broadcast_weights(name, a, weights, axis)
    if axis is not None and not isinstance(axis, int | np.integer):
        axis = tuple(int(i) for i in axis)
    elif axis is not None:
        axis = int(axis)
    canonical_axes(axis, get_aval(a).ndim, name)
    if _reduce_to_last(a, axis, name, shape_only=True) == 0:
        raise XfrontValueError(f"{name}: cannot take a quantile of an empty reduction")
    return _quantile_core(a, q, weights, method=method, axis=axis, keepdims=bool(keepdims),
                          nan_policy=nan_policy)


@jit_static("method", "axis", "keepdims", "nan_policy")
def _quantile_core(a, q, weights, *, method, axis, keepdims, nan_policy):
    name = "quantile"
    qshape = get_aval(q).shape
    a, kept_shape = _reduce_to_last(a, axis, name)
    batch = get_aval(a).shape[:-1]
    n = get_aval(a).shape[-1]
    qv = lax.reshape(q, (int(np.prod(qshape, dtype=np.int64)),))
    k = get_aval(qv).shape[0]
    if weights is not None:
        weights, _ = _reduce_to_last(weights, axis, name)
        srt, w = lax.sort_key_val(a, weights)
        result = _weighted_inverted_cdf(srt, w, qv, nan_policy)
    else:
        srt = lax.sort(a)
        if nan_policy == "omit":
            count = lax.convert_element_type(
                lax.reduce_sum(lax.convert_element_type(lax.bitwise_not(_isnan(srt)),
                                                        dtypes.int32), (len(batch),)),
                get_aval(q).dtype)
            nn = lax.broadcast_in_dim(count, (*batch, k), tuple(range(len(batch))))
        else:
            nn = lax.full((*batch, k), n, get_aval(q).dtype)
        qq = lax.broadcast_in_dim(qv, (*batch, k), (len(batch),))
        lo, hi, gamma = _quantile_indices(method, nn, qq)
        idt = dtypes.int32
        lo_i = lax.convert_element_type(lax.clamp(_const(lo, 0), lo, _const(lo, n - 1)), idt)
        lo_v = take_along_last(srt, lo_i)
        if gamma is None:
            result = lo_v
        elif method == "median":  # NumPy's median: the mean of the two middle values
            hi = lax.select(lax.eq(gamma, _const(gamma, 0)), lo, hi)
            hi_i = lax.convert_element_type(lax.clamp(_const(hi, 0), hi, _const(hi, n - 1)),
                                            idt)
            result = lax.mul(lax.add(lo_v, take_along_last(srt, hi_i)), _const(lo_v, 0.5))
        else:
            hi_i = lax.convert_element_type(lax.clamp(_const(hi, 0), hi, _const(hi, n - 1)),
                                            idt)
            result = _lerp(lo_v, take_along_last(srt, hi_i), gamma)
        if nan_policy == "omit":
            result = lax.select(lax.eq(nn, _const(nn, 0)), lax.full_like(result, np.nan),
                                result)
        else:  # a NaN anywhere in the slice (sorted last) makes the result NaN
            last = lax.slice_in_dim(srt, n - 1, n, axis=len(batch))
            has_nan = lax.broadcast_in_dim(lax.reshape(_isnan(last), batch), (*batch, k),
                                           tuple(range(len(batch))))
            result = lax.select(has_nan, lax.full_like(result, np.nan), result)
    # (*batch, k) -> (*qshape, *batch or kept_shape)
    nb = len(batch)
    result = lax.transpose(result, (nb, *range(nb)))
    out_shape = kept_shape if keepdims else batch
    return lax.reshape(result, (*qshape, *out_shape))


def _check_q_range(name, q):
    if isinstance(q, Tracer):
        return
    qs = np.asarray(q)
    if np.any((qs < 0) | (qs > 1)):
        raise XfrontValueError(f"{name}: quantiles must be in the range [0, 1] (percentiles in "
                               "[0, 100])")


def _broadcast_weights(name, a, weights, axis):
    w = ensure_traced(weights)
    ashape, wshape = get_aval(a).shape, get_aval(w).shape
    if dtypes.is_complex(get_aval(w).dtype):
        raise XfrontTypeError(f"{name}: weights cannot be complex")
    w = lax.convert_element_type(w, get_aval(a).dtype)
    if wshape == ashape:
        return w
    if axis is None:
        raise XfrontValueError(
            f"{name}: weights of shape {wshape} must have the shape of a {ashape} when axis is "
            "None")
    axes = canonical_axes(axis, len(ashape), name)
    if wshape != tuple(ashape[i] for i in axes):
        raise XfrontValueError(f"{name}: weights of shape {wshape} must match a {ashape} or "
                               f"its reduced axes {tuple(ashape[i] for i in axes)}")
    return lax.broadcast_in_dim(w, ashape, axes)


def _weighted_inverted_cdf(srt, w, qv, nan_policy):
    batch = get_aval(srt).shape[:-1]
    n = get_aval(srt).shape[-1]
    k = get_aval(qv).shape[0]
    nan = _isnan(srt)
    if nan_policy == "omit":
        w = lax.select(nan, lax.full_like(w, 0), w)
    cdf = cumsum_last(w)
    total = lax.slice_in_dim(cdf, n - 1, n, axis=len(batch))
    cdf = lax.div(cdf, lax.broadcast_in_dim(lax.reshape(total, batch), get_aval(cdf).shape,
                                            tuple(range(len(batch)))))
    # index = #{i: cdf[i] < q} (leading zero weights never selected), clipped to n - 1
    shape = (*batch, k, n)
    cc = lax.broadcast_in_dim(cdf, shape, (*range(len(batch)), len(batch) + 1))
    qq = lax.broadcast_in_dim(qv, shape, (len(batch),))
    below = lax.bitwise_or(lax.lt(cc, qq), lax.eq(cc, _const(cc, 0)))
    idx = lax.reduce_sum(lax.convert_element_type(below, dtypes.int32), (len(batch) + 1,))
    idx = lax.min(idx, lax.full((), n - 1, dtypes.int32))
    result = take_along_last(srt, idx)
    if nan_policy != "omit":
        last = lax.slice_in_dim(nan, n - 1, n, axis=len(batch))
        has_nan = lax.broadcast_in_dim(lax.reshape(last, batch), (*batch, k),
                                       tuple(range(len(batch))))
        result = lax.select(has_nan, lax.full_like(result, np.nan), result)
    return result


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False, *, weights=None, interpolation=None):
    """The ``q``-th quantiles (q in [0, 1], scalar or 1-D) of ``a`` over ``axis``
    (``numpy.quantile``; every NumPy method; ``weights`` with ``method='inverted_cdf'``).
    A NaN in a slice makes its result NaN. Integer input gives floats."""
    check_no_out("quantile", out)
    del overwrite_input
    method = interpolation if interpolation is not None else method
    return _quantile("quantile", a, q, axis, method, keepdims, "propagate", weights)


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False, *, weights=None, interpolation=None):
    """The ``q``-th percentiles (q in [0, 100]) of ``a`` (``numpy.percentile``)."""
    check_no_out("percentile", out)
    method = interpolation if interpolation is not None else method
    a, q = _percent_args("percentile", a, q)
    return _quantile("percentile", a, q, axis, method, keepdims, "propagate", weights)


def _percent_args(name, a, q):
    q = _q_arg(q)
    check_arraylike(name, a, q)
    a, q = promote_dtypes_inexact(ensure_traced(a), q)
    return a, lax.div(ensure_traced(q), _const(q, 100))


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The median of ``a`` over ``axis`` (``numpy.median``): the mean of the two middle values
    for an even count; NaN if the slice holds a NaN."""
    check_no_out("median", out)
    return _quantile("median", a, 0.5, axis, "median", keepdims, "propagate")


def nanquantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                keepdims=False, *, weights=None, interpolation=None):
    """``quantile`` ignoring NaNs (an all-NaN slice gives NaN) (``numpy.nanquantile``)."""
    check_no_out("nanquantile", out)
    method = interpolation if interpolation is not None else method
    return _quantile("nanquantile", a, q, axis, method, keepdims, "omit", weights)


def nanpercentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
                  keepdims=False, *, weights=None, interpolation=None):
    """``percentile`` ignoring NaNs (``numpy.nanpercentile``)."""
    check_no_out("nanpercentile", out)
    method = interpolation if interpolation is not None else method
    a, q = _percent_args("nanpercentile", a, q)
    return _quantile("nanpercentile", a, q, axis, method, keepdims, "omit", weights)


def nanmedian(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """``median`` ignoring NaNs (``numpy.nanmedian``)."""
    check_no_out("nanmedian", out)
    return _quantile("nanmedian", a, 0.5, axis, "median", keepdims, "omit")


# ----------------------------------------------------------------------------------------------
# NaN-ignoring reductions.


def _nan_to(name, a, value):
    a = _asarray(name, a)
    if not dtypes.is_inexact(get_aval(a).dtype):
        return a, False
    return lax.select(_isnan(a), lax.full_like(a, value), a), True


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``sum`` treating NaNs as zero (``numpy.nansum``)."""
    a, _ = _nan_to("nansum", a, 0)
    return sum(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial,
               where=where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    """``prod`` treating NaNs as one (``numpy.nanprod``)."""
    from xfront.numpy._reductions import prod

    a, _ = _nan_to("nanprod", a, 1)
    return prod(a, axis=axis, dtype=dtype, out=out, keepdims=keepdims, initial=initial,
                where=where)


def _valid_count(a, axis, keepdims, where_, dt):
    ok = lax.bitwise_not(_isnan(a))
    if where_ is not None:
        ok = lax.bitwise_and(ok, broadcast_to(ensure_traced(where_), get_aval(a).shape))
    return sum(ok, axis=axis, keepdims=keepdims, dtype=dt)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    """``mean`` of the non-NaN entries (all-NaN slices give NaN) (``numpy.nanmean``)."""
    check_no_out("nanmean", out)
    a = _asarray("nanmean", a)
    if not dtypes.is_inexact(get_aval(a).dtype):
        return mean(a, axis=axis, dtype=dtype, keepdims=keepdims, where=where)
    dt = get_aval(a).dtype if dtype is None else dtypes.canonicalize_dtype(dtypes.dtype(dtype))
    total = nansum(a, axis=axis, dtype=dt, keepdims=keepdims, where=where)
    count = _valid_count(a, axis, keepdims, where, dtypes.real_dtype(dt))
    return lax.div(total, lax.convert_element_type(count, dt))


def nanvar(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
           correction=None):
    """Variance of the non-NaN entries with ``ddof`` (NaN when fewer than ``ddof + 1``)
    (``numpy.nanvar``); ``mean`` may be given (computed with keepdims=True)."""
    check_no_out("nanvar", out)
    if correction is not None:
        ddof = correction
    a = _asarray("nanvar", a)
    (a,) = promote_dtypes_inexact(a)
    a = ensure_traced(a)
    dt = get_aval(a).dtype if dtype is None else dtypes.canonicalize_dtype(dtypes.dtype(dtype))
    a = lax.convert_element_type(a, dt)
    rdt = dtypes.real_dtype(dt)
    mu = nanmean(a, axis=axis, keepdims=True, where=where) if mean is None else (
        ensure_traced(mean))
    centered = lax.sub(a, broadcast_to(lax.convert_element_type(mu, dt), get_aval(a).shape))
    # Zero at the NaNs before squaring, so no NaN leaks into derivatives.
    centered = lax.select(_isnan(a), lax.full_like(centered, 0), centered)
    if dtypes.is_complex(dt):
        sq = lax.add(lax.square(lax.real(centered)), lax.square(lax.imag(centered)))
    else:
        sq = lax.mul(centered, centered)
    total = nansum(sq, axis=axis, keepdims=keepdims, where=where)
    dof = lax.sub(_valid_count(a, axis, keepdims, where, rdt), lax.full((), ddof, rdt))
    var = lax.div(total, dof)
    return lax.select(lax.le(dof, lax.full_like(dof, 0)), lax.full_like(var, np.nan), var)


def nanstd(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, mean=None,
           correction=None):
    """Standard deviation of the non-NaN entries (``numpy.nanstd``)."""
    return lax.sqrt(nanvar(a, axis, dtype, out, ddof, keepdims, where, mean, correction))


def _nan_extreme(name, reducer, fill, a, axis, out, keepdims, initial, where_):
    check_no_out(name, out)
    a = _asarray(name, a)
    if not dtypes.is_inexact(get_aval(a).dtype):
        return reducer(a, axis=axis, keepdims=keepdims, initial=initial, where=where_)
    nan = _isnan(a)
    res = reducer(lax.select(nan, lax.full_like(a, fill), a), axis=axis, keepdims=keepdims,
                  initial=initial, where=where_)
    from xfront.numpy._reductions import all as all_

    all_nan = all_(nan, axis=axis, keepdims=keepdims, where=where_)
    if initial is not None:
        return res
    return lax.select(all_nan, lax.full_like(res, np.nan), res)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``max`` ignoring NaNs (all-NaN slices give NaN) (``numpy.nanmax``)."""
    return _nan_extreme("nanmax", max, -np.inf, a, axis, out, keepdims, initial, where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    """``min`` ignoring NaNs (all-NaN slices give NaN) (``numpy.nanmin``)."""
    return _nan_extreme("nanmin", min, np.inf, a, axis, out, keepdims, initial, where)


def _nan_arg(name, fn, fill, a, axis, out, keepdims):
    check_no_out(name, out)
    a = _asarray(name, a)
    if not dtypes.is_inexact(get_aval(a).dtype):
        return fn(a, axis=axis, keepdims=bool(keepdims))
    nan = _isnan(a)
    res = fn(lax.select(nan, lax.full_like(a, fill), a), axis=axis, keepdims=bool(keepdims))
    from xfront.numpy._reductions import all as all_

    all_nan = all_(nan, axis=axis, keepdims=bool(keepdims))
    return lax.select(all_nan, lax.full_like(res, -1), res)


def nanargmax(a, axis=None, out=None, keepdims=None):
    """Index of the largest non-NaN entry (-1 for an all-NaN slice, as JAX)
    (``numpy.nanargmax``)."""
    return _nan_arg("nanargmax", argmax, -np.inf, a, axis, out, keepdims)


def nanargmin(a, axis=None, out=None, keepdims=None):
    """Index of the smallest non-NaN entry (-1 for an all-NaN slice, as JAX)
    (``numpy.nanargmin``)."""
    return _nan_arg("nanargmin", argmin, np.inf, a, axis, out, keepdims)


# ----------------------------------------------------------------------------------------------
# average, cov, corrcoef


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    """The (weighted) mean over ``axis`` (``numpy.average``); ``weights`` has ``a``'s shape or
    is 1-D along an int ``axis``; ``returned=True`` also returns the sum of the weights."""
    a = _asarray("average", a)
    shape = get_aval(a).shape
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        count = get_aval(a).size // builtins.max(get_aval(avg).size, 1) if get_aval(
            a).size else 0
        scl = lax.full(get_aval(avg).shape, count, get_aval(avg).dtype)
    else:
        check_arraylike("average", weights)
        a, w = promote_dtypes_inexact(a, weights)
        a, w = ensure_traced(a), ensure_traced(w)
        wshape = get_aval(w).shape
        if wshape != shape:
            if axis is None:
                raise XfrontValueError(
                    f"average: weights of shape {wshape} differ from a's {shape}; give axis")
            axes = canonical_axes(axis, len(shape), "average")
            if wshape != tuple(shape[i] for i in axes):
                raise XfrontValueError(
                    f"average: weights of shape {wshape} must match a's shape {shape} or the "
                    f"length of axis {axis}")
            w = lax.broadcast_in_dim(w, shape, axes)
        scl = sum(w, axis=axis, keepdims=keepdims)
        avg = lax.div(sum(lax.mul(a, w), axis=axis, keepdims=keepdims), scl)
    if returned:
        if get_aval(scl).shape != get_aval(avg).shape:
            scl = broadcast_to(scl, get_aval(avg).shape)
        return avg, scl
    return avg


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None,
        dtype=None):
    """The covariance matrix of the variables (rows, or columns if ``rowvar=False``) of ``m``
    and ``y`` (``numpy.cov``) with frequency and analytic weights."""
    if ddof is not None and ddof != int(ddof):
        raise XfrontValueError("cov: ddof must be an integer")
    x = _asarray("cov", m)
    if get_aval(x).ndim > 2:
        raise XfrontValueError(f"cov: m has more than 2 dimensions ({get_aval(x).shape})")
    args = [x] if y is None else [x, _asarray("cov", y)]
    if dtype is not None:
        args = [lax.convert_element_type(v, dtype) for v in args]
    args = [ensure_traced(v) for v in promote_dtypes_inexact(*args)]
    x = _rows(args[0], rowvar)
    if y is not None:
        yy = _rows(args[1], rowvar)
        x = lax.concatenate([x, yy], 0)
    if ddof is None:
        ddof = 0 if bias else 1
    nobs = get_aval(x).shape[1]
    dt = get_aval(x).dtype
    fw = aw = None
    if fweights is not None:
        fw = _asarray("cov", fweights)
        if not (dtypes.is_int(get_aval(fw).dtype) or dtypes.is_bool(get_aval(fw).dtype)):
            raise XfrontTypeError("cov: fweights must be integers")
        _check_obs_weights("fweights", fw, nobs)
        fw = lax.convert_element_type(fw, dt)
    if aweights is not None:
        aw = lax.convert_element_type(_asarray("cov", aweights), dt)
        _check_obs_weights("aweights", aw, nobs)
    return _cov(x, fw, aw, ddof=int(ddof))


@jit_static("ddof")
def _cov(x, fw, aw, *, ddof):
    from xfront.numpy._products import matmul

    nvars, nobs = get_aval(x).shape
    dt = get_aval(x).dtype
    w = fw if aw is None else (aw if fw is None else lax.mul(fw, aw))
    if w is None:
        avg = mean(x, axis=1)
        fact = lax.full((), nobs - ddof, dtypes.real_dtype(dt))
    else:
        avg, w_sum = average(x, axis=1, weights=w, returned=True)
        w_sum = lax.reshape(lax.slice(w_sum, (0,), (1,)), ())
        if ddof == 0:
            fact = w_sum
        elif aw is None:
            fact = lax.sub(w_sum, _const(w_sum, ddof))
        else:
            fact = lax.sub(w_sum, lax.div(lax.mul(_const(w_sum, ddof),
                                                  sum(lax.mul(w, aw))), w_sum))
        fact = lax.real(fact) if dtypes.is_complex(dt) else fact
    fact = lax.max(fact, lax.full_like(fact, 0))
    xc = lax.sub(x, lax.broadcast_in_dim(avg, (nvars, nobs), (0,)))
    xw = xc if w is None else lax.mul(xc, lax.broadcast_in_dim(w, (nvars, nobs), (1,)))
    rhs = lax.transpose(xc, (1, 0))
    if dtypes.is_complex(dt):
        rhs = lax.conj(rhs)
    c = lax.div(matmul(xw, rhs), lax.convert_element_type(fact, dt))
    if nvars == 1:
        return lax.reshape(c, ())
    return c


def _rows(x, rowvar):
    shape = get_aval(x).shape
    if len(shape) == 0:
        return lax.reshape(x, (1, 1))
    if len(shape) == 1:
        return lax.reshape(x, (1, shape[0]))
    if not rowvar and shape[0] != 1:
        return lax.transpose(x, (1, 0))
    return x


def _check_obs_weights(what, w, nobs):
    if get_aval(w).shape != (nobs,):
        raise XfrontValueError(f"cov: {what} must be 1-D with one entry per observation "
                               f"({nobs}), got shape {get_aval(w).shape}")
    if not isinstance(w, Tracer) and np.any(np.asarray(w) < 0):
        raise XfrontValueError(f"cov: {what} cannot be negative")


def corrcoef(x, y=None, rowvar=True, dtype=None):
    """Pearson correlation coefficients (``numpy.corrcoef``), clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if get_aval(c).ndim == 0:
        return lax.div(c, c)
    return _normalize_cov(c)


@jit_static()
def _normalize_cov(c):
    n = get_aval(c).shape[0]
    eye = lax.eq(lax.broadcasted_iota(dtypes.int32, (n, n), 0),
                 lax.broadcasted_iota(dtypes.int32, (n, n), 1))
    d = lax.reduce_sum(lax.select(eye, c, lax.full_like(c, 0)), (1,))
    std = lax.sqrt(lax.real(d) if dtypes.is_complex(get_aval(d).dtype) else d)
    std = lax.convert_element_type(std, get_aval(c).dtype)
    c = lax.div(c, lax.broadcast_in_dim(std, (n, n), (0,)))
    c = lax.div(c, lax.broadcast_in_dim(std, (n, n), (1,)))
    rdt = dtypes.real_dtype(get_aval(c).dtype)
    lo, hi = lax.full((), -1, rdt), lax.full((), 1, rdt)
    if dtypes.is_complex(get_aval(c).dtype):
        return lax.complex(lax.clamp(lo, lax.real(c), hi), lax.clamp(lo, lax.imag(c), hi))
    return lax.clamp(lo, c, hi)


# ----------------------------------------------------------------------------------------------
# bincount, digitize, histograms


def bincount(x, weights=None, minlength=0, *, length=None):
    """Counts of each non-negative integer in the 1-D ``x`` (``numpy.bincount``), summing
    ``weights`` instead if given. ``length`` (static) fixes the output size (values past it are
    dropped; required under jit, vmap and grad); negative values count as 0 (as JAX)."""
    x = _asarray("bincount", x)
    if not (dtypes.is_int(get_aval(x).dtype) or dtypes.is_bool(get_aval(x).dtype)):
        raise XfrontTypeError(f"bincount: x must be integers, got {get_aval(x).dtype}")
    if get_aval(x).ndim != 1:
        raise XfrontValueError(f"bincount: x must be 1-D, got shape {get_aval(x).shape}")
    minlength = operator.index(minlength)
    if minlength < 0:
        raise XfrontValueError(f"bincount: minlength must be non-negative, got {minlength}")
    n = get_aval(x).shape[0]
    if length is None:
        if isinstance(x, Tracer):
            raise ConcretizationTypeError(
                "bincount: the output length depends on the values of x, which are traced "
                f"here ({x._trace.describe()}); pass a static length=N (values >= N are "
                "dropped) to use it under jit, vmap or grad.")
        top = int(np.max(np.asarray(x))) + 1 if n else 0
        length = builtins.max(minlength, top)
    else:
        if isinstance(length, Tracer):
            raise ConcretizationTypeError("bincount: length must be a static int")
        length = operator.index(length)
        if length < 0:
            raise XfrontValueError(f"bincount: length must be non-negative, got {length}")
    idt = dtypes.int32
    xi = lax.convert_element_type(x, idt)
    if weights is None:
        w = lax.full((n,), 1, dtypes.default_int_dtype())
    else:
        w = _asarray("bincount", weights)
        if get_aval(w).shape != (n,):
            raise XfrontValueError(f"bincount: weights of shape {get_aval(w).shape} must "
                                   f"match x of shape {(n,)}")
    if length == 0 or n == 0:
        return lax.full((length,), 0, get_aval(w).dtype)
    xi = lax.max(xi, lax.full((), 0, idt))
    keep = lax.lt(xi, lax.full((), length, idt))
    w = lax.select(keep, w, lax.full_like(w, 0))
    xi = lax.min(xi, lax.full((), length - 1, idt))
    dnums = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
                                        scatter_dims_to_operand_dims=(0,))
    zeros = lax.full((length,), 0, get_aval(w).dtype)
    return lax.scatter_add(zeros, lax.reshape(xi, (n, 1)), w, dnums)


def digitize(x, bins, right=False, *, method=None):
    """The index of the bin of each entry of ``x`` (``numpy.digitize``) for monotonically
    increasing or decreasing 1-D ``bins``; ``method`` as in ``searchsorted``."""
    check_arraylike("digitize", x, bins)
    b = ensure_traced(bins)
    if get_aval(b).ndim != 1:
        raise XfrontValueError(f"digitize: bins must be 1-D, got shape {get_aval(b).shape}")
    nb = get_aval(b).shape[0]
    x = ensure_traced(x)
    if nb == 0:
        return lax.full(get_aval(x).shape, 0, dtypes.int32)
    kw = {} if method is None else {"method": method}
    side = "left" if right else "right"
    inc = searchsorted(b, x, side=side, **kw)
    dec = lax.sub(lax.full((), nb, dtypes.int32),
                  searchsorted(lax.rev(b, (0,)), x, side=side, **kw))
    first, last = lax.slice(b, (0,), (1,)), lax.slice(b, (nb - 1,), (nb,))
    increasing = lax.reshape(lax.bitwise_not(lax.lt(last, first)), ())
    return lax.select(broadcast_to(increasing, get_aval(inc).shape), inc, dec)


def _static_bins(name, bins):
    if isinstance(bins, str):
        raise XfrontValueError(f"{name}: string bin estimators ({bins!r}) are not supported; "
                               "give a number of bins or the bin edges")
    if isinstance(bins, Tracer) and get_aval(bins).ndim == 0:
        raise ConcretizationTypeError(f"{name}: the number of bins must be a static int")
    if isinstance(bins, int | np.integer) or (np.ndim(bins) == 0 and not isinstance(
            bins, Tracer) and not hasattr(bins, "aval")):
        nb = operator.index(bins)
        if nb < 1:
            raise XfrontValueError(f"{name}: the number of bins must be positive, got {nb}")
        return nb
    if hasattr(bins, "aval") and get_aval(bins).ndim == 0:
        return operator.index(int(bins))
    return None


def _bin_edges(name, a, bins, range_, dt):
    """1-D bin edges for the flattened ``a`` (already of the inexact dtype ``dt``)."""
    nb = _static_bins(name, bins)
    if nb is None:
        edges = _asarray(name, bins)
        if get_aval(edges).ndim != 1 or get_aval(edges).shape[0] < 2:
            raise XfrontValueError(f"{name}: bin edges must be 1-D with at least two entries, "
                                   f"got shape {get_aval(edges).shape}")
        if not isinstance(edges, Tracer) and np.any(np.diff(np.asarray(edges)) < 0):
            raise XfrontValueError(f"{name}: bin edges must increase monotonically")
        return lax.convert_element_type(edges, dt)
    if range_ is None:
        lo = hi = None
    else:
        if len(range_) != 2:
            raise XfrontValueError(f"{name}: range must be a pair (min, max), got {range_!r}")
        lo, hi = (lax.convert_element_type(ensure_traced(r), dt) for r in range_)
        if not isinstance(lo, Tracer) and not isinstance(hi, Tracer) and float(lo) > float(hi):
            raise XfrontValueError(f"{name}: max must be larger than min in range {range_}")
    return _uniform_edges(a, lo, hi, nbins=nb)


@jit_static("nbins")
def _uniform_edges(a, lo, hi, *, nbins):
    """``nbins`` equal bins over [lo, hi] (default: the data's range; widened by 1/2 on each
    side when empty, as NumPy)."""
    dt = get_aval(a).dtype
    if lo is None:
        if get_aval(a).size == 0:
            lo, hi = lax.full((), 0, dt), lax.full((), 1, dt)
        else:
            lo, hi = lax.reduce_min(a, (0,)), lax.reduce_max(a, (0,))
    same = lax.eq(lo, hi)
    half = lax.full((), 0.5, dt)
    lo = lax.select(same, lax.sub(lo, half), lo)
    hi = lax.select(same, lax.add(hi, half), hi)
    from xfront.numpy._creation import linspace

    return linspace(lo, hi, nbins + 1, dtype=dt)


def histogram_bin_edges(a, bins=10, range=None, weights=None):  # noqa: A002
    """The bin edges ``histogram`` uses (``numpy.histogram_bin_edges``): ``bins`` equal bins
    over ``range`` (default: the data's min and max) or the given edges."""
    del weights
    a = _asarray("histogram_bin_edges", a)
    dt = _inexact(get_aval(a).dtype)
    return _bin_edges("histogram_bin_edges", lax.convert_element_type(_flat(a), dt), bins,
                      range, dt)


def _inexact(dt):
    return dt if dtypes.is_inexact(dt) else dtypes.default_float_dtype()


def _bin_index(x, edges):
    """The bin of each entry of ``x`` for sorted ``edges`` (the last bin includes its right
    edge) and whether it falls inside the edges."""
    ne = get_aval(edges).shape[0]
    nbins = ne - 1
    idx = lax.sub(searchsorted(edges, x, side="right"), lax.full((), 1, dtypes.int32))
    last = lax.reshape(lax.slice(edges, (ne - 1,), (ne,)), ())
    on_last = lax.eq(x, lax.broadcast_in_dim(last, get_aval(x).shape, ()))
    idx = lax.select(on_last, lax.full_like(idx, nbins - 1), idx)
    inside = lax.bitwise_and(lax.ge(idx, lax.full_like(idx, 0)),
                             lax.lt(idx, lax.full_like(idx, nbins)))
    return idx, inside


def histogram(a, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """``(counts, bin_edges)`` of the flattened ``a`` (``numpy.histogram``) with ``bins`` (a
    static int, or edges), ``range``, ``weights`` and ``density``. Values outside the edges
    are ignored. Counts are floats, as JAX's."""
    a = _asarray("histogram", a)
    dt = _inexact(get_aval(a).dtype)
    af = lax.convert_element_type(_flat(a), dt)
    edges = _bin_edges("histogram", af, bins, range, dt)
    if weights is None:
        w = lax.full(get_aval(af).shape, 1, dt)
    else:
        check_arraylike("histogram", weights)
        w = ensure_traced(weights)
        if get_aval(w).shape != get_aval(a).shape:
            raise XfrontValueError(f"histogram: weights of shape {get_aval(w).shape} must "
                                   f"match a of shape {get_aval(a).shape}")
        w = _flat(w)
        if not dtypes.is_inexact(get_aval(w).dtype):
            w = lax.convert_element_type(w, dt)
    return _histogram_counts(af, w, edges, density=bool(density)), edges


@jit_static("density")
def _histogram_counts(af, w, edges, *, density):
    nbins = get_aval(edges).shape[0] - 1
    idx, inside = _bin_index(af, edges)
    counts = _scatter_counts(idx, inside, w, nbins)
    if density:
        widths = lax.sub(lax.slice(edges, (1,), (nbins + 1,)), lax.slice(edges, (0,), (nbins,)))
        widths = lax.convert_element_type(widths, get_aval(counts).dtype)
        total = lax.reduce_sum(counts, (0,))
        counts = lax.div(lax.div(counts, widths), lax.broadcast_in_dim(total, (nbins,), ()))
    return counts


def _scatter_counts(idx, inside, w, length):
    n = get_aval(idx).shape[0]
    if n == 0:
        return lax.full((length,), 0, get_aval(w).dtype)
    w = lax.select(inside, w, lax.full_like(w, 0))
    idx = lax.clamp(lax.full((), 0, dtypes.int32), idx, lax.full((), length - 1, dtypes.int32))
    dnums = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
                                        scatter_dims_to_operand_dims=(0,))
    return lax.scatter_add(lax.full((length,), 0, get_aval(w).dtype),
                           lax.reshape(idx, (n, 1)), w, dnums)


def histogramdd(sample, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """``(counts, [edges per dimension])`` of ``N`` points in ``D`` dimensions (an ``(N, D)``
    array or a sequence of ``D`` arrays) (``numpy.histogramdd``)."""
    if isinstance(sample, list | tuple):
        cols = [_flat(_asarray("histogramdd", s)) for s in sample]
        cols = [ensure_traced(c) for c in promote_dtypes_inexact(*cols)]
    else:
        s = _asarray("histogramdd", sample)
        if get_aval(s).ndim == 1:
            s = lax.reshape(s, (get_aval(s).shape[0], 1))
        if get_aval(s).ndim != 2:
            raise XfrontValueError(f"histogramdd: sample must be (N, D), got shape "
                                   f"{get_aval(s).shape}")
        (s,) = promote_dtypes_inexact(s)
        s = ensure_traced(s)
        cols = [lax.reshape(lax.slice_in_dim(s, d, d + 1, axis=1), (get_aval(s).shape[0],))
                for d in builtins.range(get_aval(s).shape[1])]
    ndim = len(cols)
    npts = get_aval(cols[0]).shape[0]
    dt = get_aval(cols[0]).dtype
    if isinstance(bins, int | np.integer) or (isinstance(bins, Tracer) and
                                              get_aval(bins).ndim == 0):
        bins = [bins] * ndim
    if len(bins) != ndim:
        raise XfrontValueError(f"histogramdd: bins must have one entry per dimension ({ndim})")
    ranges = [None] * ndim if range is None else list(range)
    if len(ranges) != ndim:
        raise XfrontValueError(f"histogramdd: range must have one entry per dimension ({ndim})")
    edges = [_bin_edges("histogramdd", c, b, r, dt) for c, b, r in zip(cols, bins, ranges)]
    if weights is None:
        w = lax.full((npts,), 1, dtypes.default_int_dtype())
    else:
        w = _flat(_asarray("histogramdd", weights))
        if get_aval(w).shape != (npts,):
            raise XfrontValueError(f"histogramdd: weights must have one entry per point "
                                   f"({npts}), got shape {get_aval(w).shape}")
    return _histogramdd_counts(cols, w, edges, density=bool(density)), edges


@jit_static("density")
def _histogramdd_counts(cols, w, edges, *, density):
    npts = get_aval(cols[0]).shape[0]
    ndim = len(cols)
    dt = get_aval(cols[0]).dtype
    sizes = [get_aval(e).shape[0] - 1 for e in edges]
    flat = lax.full((npts,), 0, dtypes.int32)
    inside = lax.full((npts,), True, dtypes.bool_)
    for c, e, nb in zip(cols, edges, sizes):
        idx, ok = _bin_index(c, e)
        flat = lax.add(lax.mul(flat, lax.full((), nb, dtypes.int32)), idx)
        inside = lax.bitwise_and(inside, ok)
    total_bins = int(np.prod(sizes, dtype=np.int64))
    counts = lax.reshape(_scatter_counts(flat, inside, w, total_bins), tuple(sizes))
    if density:
        counts = lax.convert_element_type(counts, dt) if not dtypes.is_inexact(
            get_aval(counts).dtype) else counts
        total = lax.reduce_sum(counts, tuple(builtins.range(ndim)))
        counts = lax.div(counts, lax.broadcast_in_dim(total, tuple(sizes), ()))
        for d, e in enumerate(edges):
            nb = sizes[d]
            width = lax.sub(lax.slice(e, (1,), (nb + 1,)), lax.slice(e, (0,), (nb,)))
            width = lax.convert_element_type(width, get_aval(counts).dtype)
            counts = lax.div(counts, lax.broadcast_in_dim(width, tuple(sizes), (d,)))
    return counts


def histogram2d(x, y, bins=10, range=None, weights=None, density=None):  # noqa: A002
    """``(counts, x_edges, y_edges)`` of the points ``(x[i], y[i])`` (``numpy.histogram2d``);
    ``bins`` an int, a pair of ints, edges, or a pair of edges."""
    check_arraylike("histogram2d", x, y)
    if isinstance(bins, list | tuple) and len(bins) == 2:
        b = list(bins)
    elif _is_int_like(bins):
        b = [bins, bins]
    else:  # one array of edges for both dimensions
        b = [bins, bins]
    counts, (ex, ey) = histogramdd([x, y], b, range, weights, density)
    return counts, ex, ey


def _is_int_like(v):
    return isinstance(v, int | np.integer)

