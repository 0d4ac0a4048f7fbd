"""Sorting, searching and set operations of ``xfront.numpy``: sort, argsort, lexsort, partition,
argpartition, sort_complex, searchsorted, unique (and unique_values/counts/inverse/all), isin,
intersect1d, union1d, setdiff1d, setxor1d.

Everything is written over ``lax.sort`` (JAX's total order: NaNs last, -0.0 equal to 0.0,
complex numbers by real then imaginary part), gathers and elementwise ops, so it runs eagerly
and under jit, vmap and grad. Functions whose result size depends on the data (``unique`` and
the set operations) need a concrete input, or a static ``size=`` (padded with ``fill_value``)
under transformations, as in JAX.
"""

from __future__ import annotations

import builtins
from typing import NamedTuple

import numpy as np

from xfront import lax
from xfront.core import dtypes
from xfront.core.errors import ConcretizationTypeError, XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, get_aval
from xfront.numpy._util import (
    canonical_axis,
    check_arraylike,
    ensure_traced,
    promote_dtypes,
)

__all__ = [
    "argpartition",
    "argsort",
    "intersect1d",
    "isin",
    "lexsort",
    "partition",
    "searchsorted",
    "setdiff1d",
    "setxor1d",
    "sort",
    "sort_complex",
    "union1d",
    "unique",
    "unique_all",
    "unique_counts",
    "unique_inverse",
    "unique_values",
]


# ----------------------------------------------------------------------------------------------
# Helpers (shared with _statistics.py).


def jit_static(*static_argnames):
    """``xfront.jit`` with static keyword arguments: the composites below run as one compiled
    program per signature (eagerly too), instead of one small executable per primitive."""
    from xfront.api import jit

    return lambda fun: jit(fun, static_argnames=static_argnames)


def _asarray(name, a):
    check_arraylike(name, a)
    return ensure_traced(a)


def _index_dtype():
    return dtypes.default_int_dtype()


def _full(shape, value, dt):
    return lax.full(tuple(shape), value, dt)


def _flat(a):
    return lax.reshape(a, (get_aval(a).size,))


def take0(arr, idx):
    """``arr[idx]`` along axis 0 for an integer array ``idx`` of any shape (indices are
    clamped into range): one gather."""
    aval = get_aval(arr)
    idx = ensure_traced(idx)
    ishape = get_aval(idx).shape
    rest = aval.shape[1:]
    dnums = lax.GatherDimensionNumbers(
        offset_dims=tuple(range(len(ishape), len(ishape) + len(rest))),
        collapsed_slice_dims=(0,), start_index_map=(0,))
    return lax.gather(arr, lax.reshape(idx, (*ishape, 1)), dnums, (1, *rest), mode="clip")


def take_along_last(arr, idx):
    """``take_along_axis(arr, idx, -1)`` where ``idx`` has ``arr``'s leading dimensions."""
    ishape = get_aval(idx).shape
    nd = len(ishape)
    batch = tuple(range(nd - 1))
    dnums = lax.GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(nd - 1,),
                                       start_index_map=(nd - 1,), operand_batching_dims=batch,
                                       start_indices_batching_dims=batch)
    return lax.gather(arr, lax.reshape(idx, (*ishape, 1)), dnums, (1,) * nd, mode="clip")


def cumsum_last(x):
    """Inclusive prefix sum along the last axis (a log-depth scan of pads and adds: exact for
    integers; floats round like a pairwise sum)."""
    n = get_aval(x).shape[-1]
    nd = get_aval(x).ndim
    shift = 1
    while shift < n:
        cfg = [(0, 0, 0)] * (nd - 1) + [(shift, -shift, 0)]
        x = lax.add(x, lax.pad(x, lax.full((), 0, get_aval(x).dtype), cfg))
        shift *= 2
    return x


def _isnan(x):
    return lax.ne(x, x)


def _float_lt(x, y):
    """``x < y`` in the total order of floats (NaN last, -0.0 == 0.0)."""
    return lax.bitwise_or(lax.lt(x, y), lax.bitwise_and(lax.eq(x, x), _isnan(y)))


def _float_eq(x, y):
    return lax.bitwise_or(lax.eq(x, y), lax.bitwise_and(_isnan(x), _isnan(y)))


def total_lt(x, y):
    """Elementwise ``x < y`` in ``lax.sort``'s order (same shapes or scalars)."""
    dt = get_aval(x).dtype
    if dtypes.is_complex(dt):
        rx, ry, ix, iy = lax.real(x), lax.real(y), lax.imag(x), lax.imag(y)
        return lax.bitwise_or(_float_lt(rx, ry),
                              lax.bitwise_and(_float_eq(rx, ry), _float_lt(ix, iy)))
    if dtypes.is_float(dt):
        return _float_lt(x, y)
    return lax.lt(x, y)


def _static_size(size, name):
    if size is None:
        return None
    if isinstance(size, Tracer):
        raise ConcretizationTypeError(
            f"{name}: size must be a static Python int, got a traced value; mark it static "
            "(jit(..., static_argnames=...))")
    size = int(size)
    if size < 0:
        raise XfrontValueError(f"{name}: size must be non-negative, got {size}")
    return size


def _concrete_count(count, name):
    """The number of results when no ``size`` was given: needs concrete data."""
    if isinstance(count, Tracer):
        raise ConcretizationTypeError(
            f"{name}: the size of the result depends on the values of the input, which are "
            f"traced here ({count._trace.describe()}). Pass a static size=N (the result is "
            "padded with fill_value, or truncated, to N entries) to use it under jit, vmap or "
            "grad.")
    return int(count)


def compact_positions(mask, size: int, fill: int):
    """The positions of the True entries of a 1-D ``mask`` in order, as a ``(size,)`` array
    padded with ``fill``, and their number (a stable sort moves them to the front)."""
    n = get_aval(mask).shape[0]
    idt = _index_dtype()
    count = lax.reduce_sum(lax.convert_element_type(mask, idt), (0,))
    if n == 0:
        return _full((size,), fill, idt), count
    iota = lax.iota(idt, n)
    _, pos = lax.sort((lax.bitwise_not(mask), iota), num_keys=1)
    if size > n:
        pos = lax.concatenate([pos, _full((size - n,), fill, idt)], 0)
    elif size < n:
        pos = lax.slice(pos, (0,), (size,))
    valid = lax.lt(lax.iota(idt, size), count)
    return lax.select(valid, pos, _full((size,), fill, idt)), count


# ----------------------------------------------------------------------------------------------
# sort, argsort, lexsort, partition


def _check_sort_args(name, kind, order):
    if order is not None:
        raise XfrontTypeError(f"{name}: the 'order' argument (structured arrays) is not "
                              "supported")
    del kind  # every sort is a stable sort


def _sort_axis(name, a, axis):
    a = _asarray(name, a)
    if axis is None:
        return _flat(a), 0
    aval = get_aval(a)
    if aval.ndim == 0:
        raise XfrontValueError(f"{name}: axis {axis} is out of bounds for a 0-d array")
    return a, canonical_axis(axis, aval.ndim, name)


def sort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False):
    """A sorted copy of ``a`` along ``axis`` (None: flattened) (``numpy.sort``). NaNs sort
    last; ``descending=True`` reverses the order, keeping equal elements in their original
    order."""
    _check_sort_args("sort", kind, order)
    a, axis = _sort_axis("sort", a, axis)
    if descending:
        return lax.rev(lax.sort(lax.rev(a, (axis,)), dimension=axis, is_stable=stable),
                       (axis,))
    return lax.sort(a, dimension=axis, is_stable=stable)


def argsort(a, axis=-1, *, kind=None, order=None, stable=True, descending=False, dtype=None):
    """The indices that sort ``a`` along ``axis`` (``numpy.argsort``); ties keep their
    original order."""
    _check_sort_args("argsort", kind, order)
    a, axis = _sort_axis("argsort", a, axis)
    aval = get_aval(a)
    idt = _index_dtype() if dtype is None else dtypes.canonicalize_dtype(dtypes.dtype(dtype))
    if not dtypes.is_int(idt):
        raise XfrontTypeError(f"argsort: dtype must be an integer type, got {idt}")
    iota = lax.broadcasted_iota(idt, aval.shape, axis)
    if descending:
        _, idx = lax.sort((lax.rev(a, (axis,)), iota), dimension=axis, is_stable=stable,
                          num_keys=1)
        last = lax.full((), aval.shape[axis] - 1, idt)
        return lax.rev(lax.sub(last, idx), (axis,))
    _, idx = lax.sort((a, iota), dimension=axis, is_stable=stable, num_keys=1)
    return idx


def lexsort(keys, axis=-1):
    """Indices sorting by several keys, the last key primary (``numpy.lexsort``)."""
    if isinstance(keys, list | tuple):
        keys = [_asarray("lexsort", k) for k in keys]
    else:
        arr = _asarray("lexsort", keys)
        keys = [lax.index_in_dim(arr, i, 0, keepdims=False)
                for i in range(get_aval(arr).shape[0])]
    if not keys:
        raise XfrontTypeError("lexsort: need at least one key")
    shapes = {get_aval(k).shape for k in keys}
    if len(shapes) != 1:
        raise XfrontValueError(f"lexsort: all keys need the same shape, got {sorted(shapes)}")
    shape = shapes.pop()
    if not shape:
        raise XfrontValueError("lexsort: keys must have at least one dimension")
    axis = canonical_axis(axis, len(shape), "lexsort")
    iota = lax.broadcasted_iota(_index_dtype(), shape, axis)
    out = lax.sort((*keys[::-1], iota), dimension=axis, num_keys=len(keys))
    return out[-1]


def _kth(kth, n, name):
    if isinstance(kth, Tracer):
        raise ConcretizationTypeError(f"{name}: kth must be a static int")
    kth = int(kth)
    if not -n <= kth < n:
        raise XfrontValueError(f"{name}: kth={kth} is out of bounds for an axis of size {n}")
    return kth % n


def partition(a, kth, axis=-1):
    """``a`` rearranged along ``axis`` so that entry ``kth`` is where sorting would put it,
    smaller entries before it (ascending) and the rest after it (``numpy.partition``; the
    order within each part is JAX's: ascending, then descending)."""
    a, axis = _sort_axis("partition", a, axis)
    n = get_aval(a).shape[axis]
    kth = _kth(kth, n, "partition")
    s = lax.sort(a, dimension=axis)
    low = lax.slice_in_dim(s, 0, kth + 1, axis=axis)
    high = lax.rev(lax.slice_in_dim(s, kth + 1, n, axis=axis), (axis,))
    return lax.concatenate([low, high], axis)


def argpartition(a, kth, axis=-1):
    """The indices that ``partition`` would arrange (``numpy.argpartition``)."""
    a, axis = _sort_axis("argpartition", a, axis)
    n = get_aval(a).shape[axis]
    kth = _kth(kth, n, "argpartition")
    idx = argsort(a, axis, dtype=dtypes.int32)  # int32, as JAX's (top_k indices)
    low = lax.slice_in_dim(idx, 0, kth + 1, axis=axis)
    high = lax.rev(lax.slice_in_dim(idx, kth + 1, n, axis=axis), (axis,))
    return lax.concatenate([low, high], axis)


def sort_complex(a):
    """``a`` sorted along its last axis by real, then imaginary part, as complex
    (``numpy.sort_complex``)."""
    a = sort(a, axis=-1)
    dt = get_aval(a).dtype
    cdt = dtypes.complex_dtype(dt if dtypes.is_inexact(dt) else dtypes.default_float_dtype())
    return lax.convert_element_type(a, cdt)


# ----------------------------------------------------------------------------------------------
# searchsorted


def searchsorted(a, v, side="left", sorter=None, *, method="scan"):
    """Indices where the entries of ``v`` would be inserted into the sorted 1-D ``a`` to keep
    it sorted (``numpy.searchsorted``), in ``lax.sort``'s order (NaNs last).

    ``method``: ``'scan'`` (a binary search: log2(len(a)) gathers, the default),
    ``'scan_unrolled'`` (the same), ``'compare_all'`` (compares every pair: fast for small
    ``a``) or ``'sort'`` (sorts ``a`` and ``v`` together). All are exact and work under jit
    and vmap.
    """
    check_arraylike("searchsorted", a, v)
    if side not in ("left", "right"):
        raise XfrontValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    methods = ("scan", "scan_unrolled", "compare_all", "sort")
    if method not in methods:
        raise XfrontValueError(f"searchsorted: method must be one of {methods}, got {method!r}")
    a, v = promote_dtypes(a, v)
    a, v = ensure_traced(a), ensure_traced(v)
    if get_aval(a).ndim != 1:
        raise XfrontValueError(f"searchsorted: a must be 1-D, got shape {get_aval(a).shape}")
    if sorter is not None:
        sorter = _asarray("searchsorted", sorter)
        if get_aval(sorter).shape != get_aval(a).shape or not dtypes.is_int(
                get_aval(sorter).dtype):
            raise XfrontValueError(
                f"searchsorted: sorter must be integers of a's shape {get_aval(a).shape}, got "
                f"{get_aval(sorter).str_short()}")
    if get_aval(a).shape[0] == 0:
        return _full(get_aval(v).shape, 0, dtypes.int32)
    return _searchsorted(a, v, sorter, side=side, method=method)


@jit_static("side", "method")
def _searchsorted(a, v, sorter, *, side, method):
    if sorter is not None:
        a = take0(a, sorter)
    n = get_aval(a).shape[0]
    odt = dtypes.int32 if n <= np.iinfo(np.int32).max else dtypes.int64
    if method == "compare_all":
        return _searchsorted_compare_all(a, v, side, odt)
    if method == "sort":
        return _searchsorted_sort(a, v, side, odt)
    return _searchsorted_scan(a, v, side, odt)


def _searchsorted_compare_all(a, v, side, odt):
    vshape = get_aval(v).shape
    n = get_aval(a).shape[0]
    shape = (*vshape, n)
    aa = lax.broadcast_in_dim(a, shape, (len(vshape),))
    vv = lax.broadcast_in_dim(v, shape, tuple(range(len(vshape))))
    # left: how many entries of a are < v; right: how many are <= v (not v < a).
    hits = total_lt(aa, vv) if side == "left" else lax.bitwise_not(total_lt(vv, aa))
    return lax.reduce_sum(lax.convert_element_type(hits, odt), (len(vshape),))


def _searchsorted_scan(a, v, side, odt):
    vshape = get_aval(v).shape
    n = get_aval(a).shape[0]
    lo = _full(vshape, 0, odt)
    hi = _full(vshape, n, odt)
    one = lax.full((), 1, odt)
    for _ in range(n.bit_length()):
        active = lax.lt(lo, hi)
        mid = lax.shift_right_logical(lax.add(lo, hi), one)
        am = take0(a, mid)
        go_left = (lax.bitwise_not(total_lt(am, v)) if side == "left" else total_lt(v, am))
        hi = lax.select(lax.bitwise_and(active, go_left), mid, hi)
        lo = lax.select(lax.bitwise_and(active, lax.bitwise_not(go_left)),
                        lax.add(mid, one), lo)
    return lo


def _searchsorted_sort(a, v, side, odt):
    vshape = get_aval(v).shape
    n = get_aval(a).shape[0]
    vf = _flat(v)
    m = get_aval(vf).shape[0]
    if m == 0:
        return _full(vshape, 0, odt)
    keys = lax.concatenate([a, vf], 0)
    # Among equal keys, v's entries go before a's (left) or after them (right).
    a_tie, v_tie = (1, 0) if side == "left" else (0, 1)
    tie = lax.concatenate([_full((n,), a_tie, dtypes.int8), _full((m,), v_tie, dtypes.int8)], 0)
    iota = lax.iota(odt, n + m)
    _, _, order = lax.sort((keys, tie, iota), num_keys=2)
    is_a = lax.convert_element_type(lax.lt(order, lax.full((), n, odt)), odt)
    before = lax.sub(cumsum_last(is_a), is_a)  # entries of a strictly before each position
    _, by_input = lax.sort((order, before), num_keys=1)
    return lax.reshape(lax.slice(by_input, (n,), (n + m,)), vshape)


# ----------------------------------------------------------------------------------------------
# unique


class _UniqueAllResult(NamedTuple):
    values: object
    indices: object
    inverse_indices: object
    counts: object


class _UniqueCountsResult(NamedTuple):
    values: object
    counts: object


class _UniqueInverseResult(NamedTuple):
    values: object
    inverse_indices: object


def _unique_sorted_mask(ar, equal_nan: bool):
    """``ar`` (n, ...) sorted by rows, the mask of first occurrences and the permutation."""
    aval = get_aval(ar)
    n = aval.shape[0]
    m = int(np.prod(aval.shape[1:], dtype=np.int64))
    idt = _index_dtype()
    iota = lax.iota(idt, n)
    if dtypes.is_complex(aval.dtype):  # every complex NaN as one value (NumPy groups them)
        nan = lax.full(aval.shape, complex(np.nan, 0), aval.dtype)
        ar = lax.select(lax.bitwise_or(_isnan(lax.real(ar)), _isnan(lax.imag(ar))), nan, ar)
    if m == 0:
        mask = lax.concatenate([_full((1,), True, dtypes.bool_),
                                _full((n - 1,), False, dtypes.bool_)], 0)
        return ar, mask, iota
    rows = lax.reshape(ar, (n, m))
    cols = [lax.reshape(lax.slice_in_dim(rows, j, j + 1, axis=1), (n,)) for j in range(m)]
    *cols, perm = lax.sort((*cols, iota), num_keys=m)
    differs = None
    for c in cols:
        cur, prev = lax.slice(c, (1,), (n,)), lax.slice(c, (0,), (n - 1,))
        ne = lax.ne(cur, prev)
        if dtypes.is_inexact(aval.dtype) and equal_nan:
            ne = lax.bitwise_and(ne, lax.bitwise_not(lax.bitwise_and(_isnan(cur),
                                                                     _isnan(prev))))
        differs = ne if differs is None else lax.bitwise_or(differs, ne)
    mask = lax.concatenate([_full((1,), True, dtypes.bool_), differs], 0)
    sorted_rows = lax.reshape(lax.concatenate(
        [lax.reshape(c, (n, 1)) for c in cols], 1), aval.shape) if m > 1 else (
        lax.reshape(cols[0], aval.shape))
    return sorted_rows, mask, perm


def _unique(ar, fill_value, *, flags, equal_nan, size):
    """Unique rows of ``ar`` (n >= 1 rows) along axis 0, as ``size`` entries: (values, index,
    inverse, counts, number of unique rows); None for the outputs not asked for by ``flags``
    (return_index, return_inverse, return_counts)."""
    return_index, return_inverse, return_counts = flags
    aval = get_aval(ar)
    n = aval.shape[0]
    idt = _index_dtype()
    srt, mask, perm = _unique_sorted_mask(ar, equal_nan)
    count = lax.reduce_sum(lax.convert_element_type(mask, idt), (0,))
    pos, _ = compact_positions(mask, builtins.max(size, n) + 1, n)
    idx = lax.slice(pos, (0,), (size,))
    valid = lax.lt(lax.iota(idt, size), count)
    clipped = lax.select(valid, idx, _full((size,), 0, idt))
    vals = take0(srt, clipped)  # padding: the smallest value (JAX's default fill)
    if fill_value is not None:
        fill = lax.convert_element_type(fill_value, aval.dtype)
        shape = get_aval(vals).shape
        vals = lax.select(lax.broadcast_in_dim(valid, shape, (0,)), vals,
                          lax.broadcast_in_dim(fill, shape, ()))
    index = take0(perm, clipped) if return_index else None
    inverse = None
    if return_inverse:
        group = lax.sub(cumsum_last(lax.convert_element_type(mask, idt)), lax.full((), 1, idt))
        _, inverse = lax.sort((perm, group), num_keys=1)
    counts = None
    if return_counts:
        nxt = lax.slice(pos, (1,), (size + 1,))
        counts = lax.sub(nxt, lax.select(valid, idx, _full((size,), n, idt)))
    return vals, index, inverse, counts, count


_unique_jit = jit_static("flags", "equal_nan", "size")(_unique)


def _unique_any(ar, fill_value, flags, equal_nan, size, name):
    """``_unique`` for any ``ar`` (empty too) and ``size`` (None: as many as there are, which
    needs concrete data)."""
    aval = get_aval(ar)
    n = aval.shape[0]
    idt = _index_dtype()
    if n == 0:
        if size and fill_value is None:
            raise XfrontValueError(
                f"{name}: for an empty input with size={size}, fill_value must be given")
        k = size or 0
        fill = 0 if fill_value is None else fill_value
        vals = lax.broadcast_in_dim(lax.convert_element_type(ensure_traced(fill), aval.dtype),
                                    (k, *aval.shape[1:]), ()) if k else ar
        zeros = _full((k,), 0, idt)
        return vals, zeros, _full((0,), 0, idt), zeros, lax.full((), 0, idt)
    out = _unique_jit(ar, fill_value, flags=flags, equal_nan=equal_nan,
                      size=n if size is None else size)
    if size is not None:
        return out
    vals, index, inverse, counts, count = out
    k = _concrete_count(count, name)
    cut = lambda x: None if x is None else lax.slice_in_dim(x, 0, k, axis=0)  # noqa: E731
    return cut(vals), cut(index), inverse, cut(counts), count


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, size=None, fill_value=None, sorted=True):  # noqa: A002
    """The sorted unique values of ``ar`` (``numpy.unique``), flattened or as unique slices
    along ``axis``; optionally the index of each first occurrence, the inverse indices
    (shaped like ``ar`` when ``axis`` is None) and the counts.

    ``size`` (static) makes the result shape static, as JAX's: the first ``size`` unique
    values, padded with ``fill_value`` (default: the smallest value); required under jit,
    vmap and grad. Padded indices point at the smallest value, padded counts are 0.
    """
    del sorted  # the values are always sorted
    arr = _asarray("unique", ar)
    size = _static_size(size, "unique")
    shape = get_aval(arr).shape
    if axis is None:
        arr, ax = _flat(arr), 0
    else:
        if not shape:
            raise XfrontValueError("unique: axis given for a 0-d array")
        ax = canonical_axis(axis, len(shape), "unique")
        arr = lax.transpose(arr, (ax, *[i for i in range(len(shape)) if i != ax]))
    flags = (bool(return_index), bool(return_inverse), bool(return_counts))
    vals, index, inverse, counts, _ = _unique_any(arr, fill_value, flags, bool(equal_nan),
                                                  size, "unique")
    if axis is not None:
        nd = len(shape)
        vals = lax.transpose(vals, tuple(list(range(1, ax + 1)) + [0] + list(range(ax + 1, nd))))
    elif return_inverse and get_aval(inverse).size == int(np.prod(shape, dtype=np.int64)):
        inverse = lax.reshape(inverse, shape)
    out = [vals]
    for flag, val in ((return_index, index), (return_inverse, inverse),
                      (return_counts, counts)):
        if flag:
            out.append(val)
    return out[0] if len(out) == 1 else tuple(out)


def unique_values(x, /, *, size=None, fill_value=None):
    """The sorted unique values of ``x`` (``numpy.unique_values``; ``size``/``fill_value`` as
    in ``unique``)."""
    return unique(x, size=size, fill_value=fill_value)


def unique_counts(x, /, *, size=None, fill_value=None):
    """``(values, counts)`` of the unique values of ``x`` (``numpy.unique_counts``)."""
    return _UniqueCountsResult(*unique(x, return_counts=True, size=size,
                                       fill_value=fill_value))


def unique_inverse(x, /, *, size=None, fill_value=None):
    """``(values, inverse_indices)``, the inverse shaped like ``x``
    (``numpy.unique_inverse``)."""
    return _UniqueInverseResult(*unique(x, return_inverse=True, size=size,
                                        fill_value=fill_value))


def unique_all(x, /, *, size=None, fill_value=None):
    """``(values, indices, inverse_indices, counts)`` (``numpy.unique_all``)."""
    return _UniqueAllResult(*unique(x, return_index=True, return_inverse=True,
                                    return_counts=True, size=size, fill_value=fill_value))


# ----------------------------------------------------------------------------------------------
# Set operations. Each computes a padded result of a static length and the number of valid
# entries in one compiled program; without ``size`` the result is cut to that number (which
# needs concrete data).


def _set_args(name, ar1, ar2):
    check_arraylike(name, ar1, ar2)
    a, b = promote_dtypes(ar1, ar2)
    return _flat(ensure_traced(a)), _flat(ensure_traced(b))


def _cut(name, outs, count, size):
    if size is not None:
        return outs
    k = _concrete_count(count, name)
    return [lax.slice_in_dim(x, 0, k, axis=0) for x in outs]


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """Whether each entry of ``element`` occurs in ``test_elements`` (``numpy.isin``; NaN is
    in nothing). ``method``: ``'compare_all'`` (``'auto'``), ``'binary_search'`` or
    ``'sort'``."""
    del assume_unique
    methods = ("auto", "compare_all", "binary_search", "sort")
    if method not in methods:
        raise XfrontValueError(f"isin: method must be one of {methods}, got {method!r}")
    check_arraylike("isin", element, test_elements)
    shape = get_aval(element).shape
    e, t = _set_args("isin", element, test_elements)
    if get_aval(e).shape[0] == 0 or get_aval(t).shape[0] == 0:
        return _full(shape, bool(invert), dtypes.bool_)
    return lax.reshape(_isin(e, t, method=method, invert=bool(invert)), tuple(shape))


@jit_static("method", "invert")
def _isin(e, t, *, method, invert):
    n, m = get_aval(e).shape[0], get_aval(t).shape[0]
    if method in ("auto", "compare_all"):
        hits = lax.eq(lax.broadcast_in_dim(e, (n, m), (0,)),
                      lax.broadcast_in_dim(t, (n, m), (1,)))
        found = lax.reduce_or(hits, (1,))
    else:
        ts = lax.sort(t)
        pos = _searchsorted_scan(ts, e, "left", dtypes.int32)
        found = lax.eq(take0(ts, pos), e)
    return lax.bitwise_not(found) if invert else found


def _select_compact(values, mask, size, fill_value, default_fill=None):
    """``values[mask]`` in order as ``size`` entries padded with ``fill_value`` (default
    ``default_fill``, or the smallest selected value, or 0), and the number selected."""
    idt = _index_dtype()
    count = lax.reduce_sum(lax.convert_element_type(mask, idt), (0,))
    dt = get_aval(values).dtype
    pos, _ = compact_positions(mask, size, 0)
    vals = take0(values, pos)
    if fill_value is not None:
        fill = lax.convert_element_type(fill_value, dt)
    elif default_fill is not None:
        fill = lax.full((), default_fill, dt)
    else:
        first = lax.reshape(lax.slice(vals, (0,), (1,)), ()) if size else lax.full((), 0, dt)
        fill = lax.select(lax.gt(count, lax.full((), 0, idt)), first, lax.full((), 0, dt))
    valid = lax.lt(lax.iota(idt, size), count)
    return lax.select(valid, vals, lax.broadcast_in_dim(fill, (size,), ())), count


def _unique_padded(a):
    """Sorted unique values of 1-D ``a`` padded to len(a), their first indices, and the
    number of unique values (static shapes; ``a`` not empty)."""
    vals, index, _, _, count = _unique(a, None, flags=(True, False, False), equal_nan=True,
                                       size=get_aval(a).shape[0])
    return vals, index, count


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """The sorted unique values in either array (``numpy.union1d``; ``size``/``fill_value``
    as in ``unique``)."""
    a, b = _set_args("union1d", ar1, ar2)
    size = _static_size(size, "union1d")
    return _unique_any(lax.concatenate([a, b], 0), fill_value, (False, False, False), True,
                       size, "union1d")[0]


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values of ``ar1`` not in ``ar2`` (``numpy.setdiff1d``; with
    ``size``, padded with ``fill_value``, default 0, as JAX)."""
    a, b = _set_args("setdiff1d", ar1, ar2)
    size = _static_size(size, "setdiff1d")
    n = get_aval(a).shape[0]
    if n == 0:
        return lax.full((size or 0,), 0 if fill_value is None else fill_value,
                        get_aval(a).dtype)
    vals, count = _setdiff1d(a, b, fill_value, assume_unique=bool(assume_unique),
                             size=n if size is None else size)
    return _cut("setdiff1d", [vals], count, size)[0]


@jit_static("assume_unique", "size")
def _setdiff1d(a, b, fill_value, *, assume_unique, size):
    n = get_aval(a).shape[0]
    if assume_unique:
        cand, valid = a, _full((n,), True, dtypes.bool_)
    else:
        cand, _, count = _unique_padded(a)
        valid = lax.lt(lax.iota(_index_dtype(), n), count)
    if get_aval(b).shape[0]:
        valid = lax.bitwise_and(valid, _isin(cand, b, method="compare_all", invert=True))
    return _select_compact(cand, valid, size, fill_value, default_fill=0)


def _sorted_union(a, b, assume_unique):
    """Both arrays' unique values sorted together (padding last), their validity, their
    positions in concat(unique(a), unique(b)) and each array's first-occurrence indices."""
    idt = _index_dtype()
    n1, n2 = get_aval(a).shape[0], get_aval(b).shape[0]
    if assume_unique:
        u1, i1, c1 = a, lax.iota(idt, n1), lax.full((), n1, idt)
        u2, i2, c2 = b, lax.iota(idt, n2), lax.full((), n2, idt)
    else:
        u1, i1, c1 = _unique_padded(a) if n1 else (a, a, lax.full((), 0, idt))
        u2, i2, c2 = _unique_padded(b) if n2 else (b, b, lax.full((), 0, idt))
    valid = lax.concatenate([lax.lt(lax.iota(idt, n1), c1), lax.lt(lax.iota(idt, n2), c2)], 0)
    src = lax.iota(idt, n1 + n2)
    invalid, aux, src = lax.sort((lax.bitwise_not(valid), lax.concatenate([u1, u2], 0), src),
                                 num_keys=2)
    return aux, lax.bitwise_not(invalid), src, i1, i2


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted values in exactly one of the arrays (``numpy.setxor1d``; with ``size``,
    padded with ``fill_value``, default the smallest result)."""
    a, b = _set_args("setxor1d", ar1, ar2)
    size = _static_size(size, "setxor1d")
    n = get_aval(a).shape[0] + get_aval(b).shape[0]
    if n == 0:
        return lax.full((size or 0,), 0 if fill_value is None else fill_value,
                        get_aval(a).dtype)
    vals, count = _setxor1d(a, b, fill_value, assume_unique=bool(assume_unique),
                            size=n if size is None else size)
    return _cut("setxor1d", [vals], count, size)[0]


@jit_static("assume_unique", "size")
def _setxor1d(a, b, fill_value, *, assume_unique, size):
    aux, valid, _, _, _ = _sorted_union(a, b, assume_unique)
    n = get_aval(aux).shape[0]
    t, f = _full((1,), True, dtypes.bool_), _full((1,), False, dtypes.bool_)
    head, tail = lax.slice(aux, (0,), (n - 1,)), lax.slice(aux, (1,), (n,))
    next_valid = lax.concatenate([lax.slice(valid, (1,), (n,)), f], 0)
    ne_next = lax.bitwise_or(lax.concatenate([lax.ne(head, tail), t], 0),
                             lax.bitwise_not(next_valid))
    ne_prev = lax.concatenate([t, lax.ne(tail, head)], 0)
    mask = lax.bitwise_and(valid, lax.bitwise_and(ne_next, ne_prev))
    return _select_compact(aux, mask, size, fill_value)


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):
    """The sorted values in both arrays (``numpy.intersect1d``), optionally with the indices
    of their first occurrences in each. With ``size``, padded with ``fill_value`` (default:
    the smallest result); padded indices are ``len(ar1)`` and ``len(ar2)``."""
    a, b = _set_args("intersect1d", ar1, ar2)
    size = _static_size(size, "intersect1d")
    n1, n2 = get_aval(a).shape[0], get_aval(b).shape[0]
    idt = _index_dtype()
    if n1 == 0 or n2 == 0:
        k = size or 0
        vals = lax.full((k,), 0 if fill_value is None else fill_value, get_aval(a).dtype)
        if return_indices:
            return vals, _full((k,), n1, idt), _full((k,), n2, idt)
        return vals
    outs = _intersect1d(a, b, fill_value, assume_unique=bool(assume_unique),
                        return_indices=bool(return_indices),
                        size=builtins.min(n1, n2) if size is None else size)
    outs = _cut("intersect1d", outs[:-1], outs[-1], size)
    return tuple(outs) if return_indices else outs[0]


@jit_static("assume_unique", "return_indices", "size")
def _intersect1d(a, b, fill_value, *, assume_unique, return_indices, size):
    idt = _index_dtype()
    n1, n2 = get_aval(a).shape[0], get_aval(b).shape[0]
    aux, valid, src, i1, i2 = _sorted_union(a, b, assume_unique)
    n = n1 + n2
    # Each array's values are unique, so equal neighbours come one from each (ar1's first).
    head = lax.slice(aux, (0,), (n - 1,))
    pair = lax.bitwise_and(lax.eq(head, lax.slice(aux, (1,), (n,))),
                           lax.slice(valid, (1,), (n,)))
    vals, count = _select_compact(head, pair, size, fill_value)
    if not return_indices:
        return [vals, count]
    pos, _ = compact_positions(pair, size, 0)
    ok = lax.lt(lax.iota(idt, size), count)
    s1 = take0(src, pos)
    s2 = lax.sub(take0(src, lax.add(pos, lax.full((), 1, idt))), lax.full((), n1, idt))
    idx1 = lax.select(ok, take0(i1, s1), _full((size,), n1, idt))
    idx2 = lax.select(ok, take0(i2, s2), _full((size,), n2, idt))
    return [vals, idx1, idx2, count]
