"""Index functions of ``xfront.numpy``: take/put, nonzero and friends, index generators.

Functions whose result shape depends on values (``nonzero``, ``argwhere``, ``flatnonzero``,
``compress``, ``extract``, ``mask_indices``) take JAX's static ``size=`` (and ``fill_value=``
for the padding); without ``size`` they need a concrete argument, and a traced one raises an error
that says to pass ``size``. Functions that modify arrays in place in NumPy (``put``,
``put_along_axis``, ``place``) return an updated copy and, as in JAX, require
``inplace=False``. Out-of-bounds handling follows JAX (``take`` and ``take_along_axis`` fill by
default, ``put`` drops).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from xfront import lax
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.errors import (
    ConcretizationTypeError,
    XfrontIndexError,
    XfrontTypeError,
    XfrontValueError,
)
from xfront.core.trace import Tracer, get_aval
from xfront.lax.elementwise import _const
from xfront.lax.indexing import GatherDimensionNumbers, GatherScatterMode
from xfront.numpy import _indexing
from xfront.numpy._util import check_arraylike, ensure_traced

__all__ = [
    "argwhere",
    "choose",
    "compress",
    "diag_indices",
    "diag_indices_from",
    "extract",
    "flatnonzero",
    "index_exp",
    "indices",
    "ix_",
    "mask_indices",
    "nonzero",
    "place",
    "put",
    "put_along_axis",
    "ravel_multi_index",
    "s_",
    "select",
    "take",
    "take_along_axis",
    "tril_indices",
    "tril_indices_from",
    "triu_indices",
    "triu_indices_from",
    "unravel_index",
]

# NumPy's index-expression builders: s_[1:3, ::2] == (slice(1, 3), slice(None, None, 2)).
s_ = np.s_
index_exp = np.index_exp


def _asarray(x):
    from xfront.numpy._creation import asarray

    return asarray(x)


def _int_dtype():
    return dtypes.default_int_dtype()


def _static_int(x, name: str, what: str) -> int:
    if isinstance(x, Tracer):
        raise ConcretizationTypeError(
            f"{name}: {what} must be a static integer, got a traced value "
            f"{x.aval.str_short()}; pass a Python int (mark it static under jit)")
    try:
        return operator.index(x)
    except TypeError:
        raise XfrontTypeError(f"{name}: {what} must be an integer, got {x!r}") from None


def _canonical_axis(axis, ndim: int, name: str) -> int:
    axis = _static_int(axis, name, "axis")
    if not -ndim <= axis < ndim:
        raise XfrontValueError(f"{name}: axis {axis} is out of bounds for an array of rank {ndim}")
    return axis % ndim


def _check_inplace(inplace, name: str):
    if inplace:
        raise XfrontValueError(
            f"{name}: xfront arrays are immutable, so {name} cannot modify its input in place; "
            "pass inplace=False to get an updated copy")


def _needs_size(x, name: str):
    aval = get_aval(x)
    return ConcretizationTypeError(
        f"{name}: the size of the result depends on the values of a traced array of type "
        f"{aval.str_short()}, so it is unknown while tracing ({x._trace.describe()}). Pass a "
        f"static size=N (and fill_value= for the padding), e.g. {name}(x, size=N); or call it "
        "outside jit/vmap")


def _normalize_negative(i, size):
    """Negative runtime indices counted from the end (unsigned ones are left alone)."""
    if not dtypes.is_signed_int(get_aval(i).dtype):
        return i
    return lax.select(lax.lt(i, _const(i, 0)), lax.add(i, _const(i, size)), i)


def _index_array(indices, name: str):
    indices = ensure_traced(_asarray(indices))
    dt = get_aval(indices).dtype
    if not dtypes.is_int(dt):
        raise XfrontTypeError(f"{name}: indices must be integers, got dtype {dt}")
    if dt.itemsize < 4:
        indices = lax.convert_element_type(indices, np.int32)
    return indices


# ----------------------------------------------------------------------------------------------
# take, take_along_axis


def _take_mode(mode, name: str):
    if mode is None or mode == "fill":
        return GatherScatterMode.FILL_OR_DROP
    if mode == "clip":
        return GatherScatterMode.CLIP
    if mode == "wrap":
        return "wrap"
    if mode == "raise":
        raise XfrontValueError(
            f"{name}: mode='raise' cannot report out-of-bounds indices from compiled code; use "
            "mode='fill' (the default), 'clip' or 'wrap'")
    try:
        return GatherScatterMode.from_any(mode)
    except XfrontValueError:
        raise XfrontValueError(f"{name}: invalid mode {mode!r}; expected 'fill', 'clip' or "
                               "'wrap'") from None


def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    """Elements of ``a`` at ``indices`` along ``axis`` (the flattened array if None).

    ``mode``: "fill" (default: out-of-bounds indices read ``fill_value``, NaN for inexact
    dtypes), "clip" (clamped; negative indices clamp to 0 as in NumPy) or "wrap" (modulo)."""
    if out is not None:
        raise XfrontValueError("take: the out argument is not supported (arrays are immutable)")
    check_arraylike("take", a)
    a = ensure_traced(_asarray(a))
    indices = _index_array(indices, "take")
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    shape = get_aval(a).shape
    axis = _canonical_axis(axis, len(shape), "take")
    m = _take_mode(mode, "take")
    n = shape[axis]
    idx_shape = get_aval(indices).shape
    if m == "wrap":
        if n == 0 and math.prod(idx_shape):
            raise XfrontIndexError("take: cannot take from an empty axis")
        indices = lax.rem(indices, lax.full(idx_shape, max(n, 1), get_aval(indices).dtype))
        indices = _normalize_negative(indices, n)
        m = GatherScatterMode.PROMISE_IN_BOUNDS
    elif m is GatherScatterMode.FILL_OR_DROP:
        indices = _normalize_negative(indices, n)
    out_shape = shape[:axis] + idx_shape + shape[axis + 1:]
    if n == 0 and math.prod(idx_shape):
        raise XfrontIndexError(f"take: cannot take {idx_shape} indices from an empty axis "
                               f"{axis} of an array of shape {shape}")
    if math.prod(out_shape) == 0:
        return lax.full(out_shape, 0, get_aval(a).dtype)
    k = len(idx_shape)
    dnums = GatherDimensionNumbers(
        offset_dims=tuple(range(axis)) + tuple(range(axis + k, len(shape) + k - 1)),
        collapsed_slice_dims=(axis,), start_index_map=(axis,))
    sizes = shape[:axis] + (1,) + shape[axis + 1:]
    return lax.gather(a, lax.reshape(indices, (*idx_shape, 1)), dnums, sizes, mode=m,
                      fill_value=fill_value, unique_indices=unique_indices,
                      indices_are_sorted=indices_are_sorted)


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None, *,
                    wrap_negative_indices=None):
    """``arr`` indexed along ``axis`` by ``indices`` of the same rank (the other dimensions
    broadcast): ``out[..., i, ...] = arr[..., indices[..., i, ...], ...]``.

    ``mode``: "fill" (default), "clip", "promise_in_bounds" or "one_hot" (a one-hot
    contraction instead of a gather)."""
    check_arraylike("take_along_axis", arr)
    a = ensure_traced(_asarray(arr))
    indices = _index_array(indices, "take_along_axis")
    if axis is None:
        if get_aval(indices).ndim != 1:
            raise XfrontValueError(f"take_along_axis: indices must be 1-D when axis is None, "
                                   f"got shape {get_aval(indices).shape}")
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    shape, idx_shape = get_aval(a).shape, get_aval(indices).shape
    if len(shape) != len(idx_shape):
        raise XfrontValueError(
            f"take_along_axis: indices and arr must have the same number of dimensions; got "
            f"{len(idx_shape)} (indices {idx_shape}) and {len(shape)} (arr {shape})")
    axis = _canonical_axis(axis, len(shape), "take_along_axis")
    n = shape[axis]
    try:
        out_shape = tuple(np.broadcast_shapes(
            idx_shape, shape[:axis] + (1,) + shape[axis + 1:]))
    except ValueError:
        raise XfrontValueError(f"take_along_axis: indices of shape {idx_shape} do not "
                               f"broadcast with arr of shape {shape} (outside axis {axis})"
                               ) from None
    if n == 0 or math.prod(out_shape) == 0:
        return lax.full(out_shape, 0, get_aval(a).dtype)
    if wrap_negative_indices is None:
        wrap_negative_indices = mode != "promise_in_bounds"
    if wrap_negative_indices:
        indices = _normalize_negative(indices, n)
    from xfront.numpy._util import broadcast_to

    indices = broadcast_to(indices, out_shape)
    if mode == "one_hot":
        return _take_along_axis_one_hot(a, indices, axis, out_shape)
    m = GatherScatterMode.FILL_OR_DROP if mode is None else _take_mode(mode, "take_along_axis")
    if m == "wrap":
        raise XfrontValueError("take_along_axis: invalid mode 'wrap'")
    a = broadcast_to(a, out_shape[:axis] + (n,) + out_shape[axis + 1:])
    others = tuple(d for d in range(len(shape)) if d != axis)
    dnums = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(axis,),
                                   start_index_map=(axis,), operand_batching_dims=others,
                                   start_indices_batching_dims=others)
    return lax.gather(a, lax.reshape(indices, (*out_shape, 1)), dnums, (1,) * len(shape),
                      mode=m, fill_value=fill_value)


def _take_along_axis_one_hot(a, indices, axis, out_shape):
    from xfront.numpy._util import broadcast_to

    n = get_aval(a).shape[axis]
    dt = get_aval(indices).dtype
    hot = lax.eq(lax.broadcast_in_dim(indices, (*out_shape, n), tuple(range(len(out_shape)))),
                 lax.broadcasted_iota(dt, (*out_shape, n), len(out_shape)))
    a = broadcast_to(a, out_shape[:axis] + (n,) + out_shape[axis + 1:])
    # a with its axis moved last and a size-1 placeholder at `axis`, against hot's last dim.
    perm = tuple(d for d in range(len(out_shape)) if d != axis) + (axis,)
    moved = lax.transpose(a, perm)
    moved = lax.broadcast_in_dim(moved, (*out_shape, n),
                                 tuple(d for d in range(len(out_shape)) if d != axis)
                                 + (len(out_shape),))
    zero = lax.full((*out_shape, n), 0, get_aval(a).dtype)
    return lax.reduce_sum(lax.select(hot, moved, zero), (len(out_shape),))


# ----------------------------------------------------------------------------------------------
# nonzero and friends (JAX's size= / fill_value=)


def _inclusive_cumsum(x):
    """Prefix sums of a 1-D integer array in log2(n) shifted additions."""
    n = get_aval(x).shape[0]
    shift = 1
    while shift < n:
        moved = lax.pad(lax.slice(x, (0,), (n - shift,)), lax.full((), 0, get_aval(x).dtype),
                        ((shift, 0, 0),))
        x = lax.add(x, moved)
        shift *= 2
    return x


def _slots(mask, size: int):
    """For a 1-D bool mask: the output slot of each True entry (its rank among the Trues)
    and ``size`` (out of bounds: dropped) for the others; and the number of Trues."""
    counts = _inclusive_cumsum(lax.convert_element_type(mask, np.int32))
    n = get_aval(mask).shape[0]
    slot = lax.select(mask, lax.sub(counts, lax.full((n,), 1, np.int32)),
                      lax.full((n,), size, np.int32))
    total = lax.reshape(lax.slice(counts, (n - 1,), (n,)), ())
    return slot, total


def _as_bool(x):
    x = ensure_traced(x)
    aval = get_aval(x)
    if dtypes.is_bool(aval.dtype):
        return x
    return lax.ne(x, lax.full(aval.shape, 0, aval.dtype))


def nonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements of ``a``, one array per dimension.

    Under jit/vmap pass a static ``size``: the first ``size`` indices, padded with
    ``fill_value`` (default 0; a scalar or one per dimension)."""
    check_arraylike("nonzero", a)
    a = ensure_traced(_asarray(a))
    aval = get_aval(a)
    if aval.ndim == 0:
        raise XfrontValueError("nonzero: 0-d arrays are not allowed; use "
                               "xfront.numpy.atleast_1d(x).nonzero()")
    if size is None:
        if isinstance(a, Tracer):
            raise _needs_size(a, "nonzero")
        return tuple(_asarray(i.astype(_int_dtype())) for i in np.nonzero(np.asarray(a)))
    size = _static_int(size, "nonzero", "size")
    if size < 0:
        raise XfrontValueError(f"nonzero: size must be non-negative, got {size}")
    fills = fill_value if isinstance(fill_value, tuple) else (fill_value,) * aval.ndim
    if len(fills) != aval.ndim or any(np.ndim(f) != 0 for f in fills if f is not None):
        raise XfrontValueError(f"nonzero: fill_value must be a scalar or a tuple of "
                               f"{aval.ndim} scalars, got {fill_value!r}")
    dt = _int_dtype()
    n = aval.size
    if n == 0 or size == 0:
        return tuple(lax.full((size,), 0 if f is None else f, dt) for f in fills)
    mask = lax.reshape(_as_bool(a), (n,))
    slot, total = _slots(mask, size)
    flat = _indexing.scatter_update(lax.full((size,), 0, dt), slot,
                                    lax.iota(dt, n), "set", mode="drop", unique_indices=True)
    padding = lax.ge(lax.iota(dt, size), lax.broadcast_in_dim(
        lax.convert_element_type(total, dt), (size,), ()))
    out = []
    stride = n
    for d, f in zip(aval.shape, fills):
        stride //= d
        i = lax.div(flat, lax.full((size,), stride, dt)) if stride != 1 else flat
        i = lax.rem(i, lax.full((size,), d, dt))
        fill = lax.full((size,), 0 if f is None else f, dt)
        out.append(lax.select(padding, fill, i))
    return tuple(out)


def flatnonzero(a, *, size=None, fill_value=None):
    """Indices of the nonzero elements of the flattened ``a`` (``size=`` as ``nonzero``)."""
    check_arraylike("flatnonzero", a)
    a = ensure_traced(_asarray(a))
    return nonzero(lax.reshape(a, (get_aval(a).size,)), size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    """The indices of the nonzero elements as rows of a (count, ndim) array (``size=`` as
    ``nonzero``)."""
    check_arraylike("argwhere", a)
    a = ensure_traced(_asarray(a))
    aval = get_aval(a)
    if aval.ndim == 0:  # one row of no coordinates if a is nonzero
        (rows,) = nonzero(lax.reshape(a, (1,)), size=size, fill_value=fill_value)
        return lax.full((get_aval(rows).shape[0], 0), 0, _int_dtype())
    cols = nonzero(a, size=size, fill_value=fill_value)
    k = get_aval(cols[0]).shape[0]
    return lax.concatenate([lax.reshape(c, (k, 1)) for c in cols], 1)


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """The slices of ``a`` along ``axis`` (flattened if None) where ``condition`` is true.

    ``condition`` and the axis are truncated to the shorter of the two (JAX). Under jit/vmap
    pass a static ``size`` (padding with ``fill_value``)."""
    if out is not None:
        raise XfrontValueError("compress: the out argument is not supported")
    check_arraylike("compress", a)
    cond = _as_bool(_asarray(condition))
    if get_aval(cond).ndim != 1:
        raise XfrontValueError(f"compress: condition must be 1-D, got shape "
                               f"{get_aval(cond).shape}")
    arr = ensure_traced(_asarray(a))
    if axis is None:
        arr = lax.reshape(arr, (get_aval(arr).size,))
        axis = 0
    else:
        axis = _canonical_axis(axis, get_aval(arr).ndim, "compress")
        arr = _moveaxis(arr, axis, 0)
    n, m = get_aval(arr).shape[0], get_aval(cond).shape[0]
    extra = None
    if m > n:
        extra = lax.slice(cond, (n,), (m,))
        cond = lax.slice(cond, (0,), (n,))
    elif n > m:
        arr = lax.slice(arr, (0,) * get_aval(arr).ndim, (m, *get_aval(arr).shape[1:]))
    rest = get_aval(arr).shape[1:]
    if size is None:
        if isinstance(cond, Tracer):
            raise _needs_size(cond, "compress")
        if extra is not None and np.asarray(extra).any():
            raise XfrontValueError("compress: condition has True entries beyond the length of "
                                   f"axis {axis} ({n})")
        result = _indexing.getitem(arr, np.asarray(cond), what="compress")
    else:
        size = _static_int(size, "compress", "size")
        if not 0 <= size <= get_aval(arr).shape[0]:
            raise XfrontValueError(
                f"compress: size must be in [0, {get_aval(arr).shape[0]}] (the length of the "
                f"compressed axis), got {size}")
        dt = get_aval(arr).dtype
        base = lax.full((size, *rest), fill_value, dt) if size else lax.full((0, *rest), 0, dt)
        if size and get_aval(arr).shape[0]:
            slot, _ = _slots(cond, size)
            result = _indexing.scatter_update(base, slot, arr, "set", mode="drop",
                                              unique_indices=True)
        else:
            result = base
    return _moveaxis(result, 0, axis) if axis else result


def _moveaxis(x, src, dst):
    nd = get_aval(x).ndim
    perm = [d for d in range(nd) if d != src]
    perm.insert(dst, src)
    return lax.transpose(x, tuple(perm)) if perm != list(range(nd)) else x


def extract(condition, arr, *, size=None, fill_value=0):
    """The elements of the flattened ``arr`` where the flattened ``condition`` is true
    (``size=`` as ``compress``)."""
    check_arraylike("extract", arr)
    c = ensure_traced(_asarray(condition))
    a = ensure_traced(_asarray(arr))
    return compress(lax.reshape(c, (get_aval(c).size,)), lax.reshape(a, (get_aval(a).size,)),
                    size=size, fill_value=fill_value)


def mask_indices(n, mask_func, k=0, *, size=None):
    """The indices (rows, cols) where ``mask_func(ones((n, n)), k)`` is nonzero (e.g.
    ``mask_func=xfront.numpy.triu``)."""
    n = _static_int(n, "mask_indices", "n")
    ones = lax.full((n, n), 1, _int_dtype())
    i, j = nonzero(mask_func(ones, k), size=size)
    return i, j


# ----------------------------------------------------------------------------------------------
# Updates returning a copy: put, put_along_axis, place


def _tile_to(v, n: int):
    size = get_aval(v).size
    v = lax.reshape(v, (size,))
    if size == n:
        return v
    return take(v, np.arange(n) % size, mode="clip")


def put(a, ind, v, mode=None, *, inplace=True):
    """A copy of ``a`` with its flattened elements at ``ind`` set to ``v`` (repeated to the
    length of ``ind``). ``mode``: None (JAX: indices clamp into range), "clip", "wrap" or
    "raise" (concrete indices only). Requires ``inplace=False``."""
    _check_inplace(inplace, "put")
    check_arraylike("put", a)
    arr = ensure_traced(_asarray(a))
    ind_arr = _index_array(ind, "put")
    v_arr = ensure_traced(_asarray(v))
    size = get_aval(arr).size
    n = get_aval(ind_arr).size
    ind_arr = lax.reshape(ind_arr, (n,))
    if not size or not n or not get_aval(v_arr).size:
        return arr
    v_arr = _tile_to(v_arr, n)
    dt = get_aval(ind_arr).dtype
    if mode == "raise":
        if isinstance(ind_arr, Tracer):
            raise ConcretizationTypeError(
                "put: mode='raise' needs concrete indices to check them; under jit use "
                "mode='clip' or 'wrap'")
        host = np.asarray(ind_arr)
        bad = (host < -size) | (host >= size)
        if bad.any():
            raise XfrontIndexError(f"put: index {int(host[bad][0])} is out of bounds for "
                                   f"size {size}")
        mode = None
    if mode == "clip":
        ind_arr = lax.clamp(lax.full((), 0, dt), ind_arr, lax.full((), size - 1, dt))
    elif mode == "wrap":
        ind_arr = _normalize_negative(lax.rem(ind_arr, lax.full((n,), size, dt)), size)
    elif mode is not None:
        raise XfrontValueError(f"put: mode must be None, 'clip', 'wrap' or 'raise', got "
                               f"{mode!r}")
    idx = unravel_index(ind_arr, get_aval(arr).shape)
    return _indexing.scatter_update(arr, idx, v_arr, "set", mode="promise_in_bounds",
                                    what="put")


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """A copy of ``arr`` with ``values`` written where ``take_along_axis(arr, indices, axis)``
    reads. Requires ``inplace=False``."""
    _check_inplace(inplace, "put_along_axis")
    check_arraylike("put_along_axis", arr)
    a = ensure_traced(_asarray(arr))
    idx = _index_array(indices, "put_along_axis")
    shape = get_aval(a).shape
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    nd = get_aval(a).ndim
    if get_aval(idx).ndim != nd:
        raise XfrontValueError(
            f"put_along_axis: arr and indices must have the same number of dimensions, got "
            f"{nd} and {get_aval(idx).ndim}")
    axis = _canonical_axis(axis, nd, "put_along_axis")
    from xfront.numpy._util import broadcast_to

    vals = ensure_traced(_asarray(values))
    try:
        vals = broadcast_to(vals, get_aval(idx).shape)
    except (ValueError, TypeError):
        raise XfrontValueError(
            f"put_along_axis: values of shape {get_aval(vals).shape} must broadcast to the "
            f"indices' shape {get_aval(idx).shape}") from None
    full_idx = []
    for d in range(nd):
        if d == axis:
            full_idx.append(idx)
        else:
            s = [1] * nd
            s[d] = get_aval(a).shape[d]
            full_idx.append(np.arange(get_aval(a).shape[d]).reshape(s))
    out = _indexing.scatter_update(a, tuple(full_idx), vals, "set", mode=mode,
                                   what="put_along_axis")
    return lax.reshape(out, shape) if get_aval(out).shape != shape else out


def place(arr, mask, vals, *, inplace=True):
    """A copy of ``arr`` with the elements where ``mask`` is true set to ``vals`` in order
    (repeated as needed). Requires ``inplace=False``; works under jit."""
    _check_inplace(inplace, "place")
    check_arraylike("place", arr)
    data = ensure_traced(_asarray(arr))
    m = ensure_traced(_asarray(mask))
    v = ensure_traced(_asarray(vals))
    size = get_aval(data).size
    if get_aval(m).size != size:
        raise XfrontValueError(f"place: arr ({get_aval(data).shape}) and mask "
                               f"({get_aval(m).shape}) must have the same size")
    if not get_aval(v).size:
        raise XfrontValueError("place: cannot place values from an empty array")
    if not size:
        return data
    (idx,) = nonzero(lax.reshape(m, (size,)), size=size, fill_value=size)
    flat = _indexing.scatter_update(lax.reshape(data, (size,)), idx, _tile_to(v, size), "set",
                                    mode="drop", what="place")
    return lax.reshape(flat, get_aval(data).shape)


# ----------------------------------------------------------------------------------------------
# select, choose


def select(condlist, choicelist, default=0):
    """``choicelist[i]`` where ``condlist[i]`` is the first true condition, else ``default``
    (all broadcast together)."""
    from xfront.numpy._ufuncs import where

    if len(condlist) != len(choicelist):
        raise XfrontValueError(f"select: condlist and choicelist must have the same length "
                               f"({len(condlist)} vs {len(choicelist)})")
    if not condlist:
        raise XfrontValueError("select: condlist must be non-empty")
    check_arraylike("select", *condlist, *choicelist, default)
    out = default
    for cond, choice in zip(reversed(condlist), reversed(choicelist)):
        out = where(_as_bool(_asarray(cond)), choice, out)
    return ensure_traced(_asarray(out))


def choose(a, choices, out=None, mode="raise"):
    """``choices[a[i]][i]`` elementwise (``a`` and the choices broadcast together).

    ``mode``: "raise" (concrete ``a`` only), "wrap" or "clip"."""
    from xfront.numpy._shape import broadcast_arrays, stack

    if out is not None:
        raise XfrontValueError("choose: the out argument is not supported")
    check_arraylike("choose", a)
    a = ensure_traced(_asarray(a))
    if not dtypes.is_int(get_aval(a).dtype):
        raise XfrontTypeError(f"choose: a must be an integer array, got {get_aval(a).dtype}")
    if isinstance(choices, Array | Tracer | np.ndarray):
        choices = [choices[i] for i in range(len(choices))]
    choices = list(choices)
    n = len(choices)
    if n == 0:
        raise XfrontValueError("choose: choices must be non-empty")
    dt = get_aval(a).dtype
    if mode == "raise":
        if isinstance(a, Tracer):
            raise ConcretizationTypeError(
                "choose: mode='raise' needs a concrete index array to check it; under "
                "jit/vmap use mode='wrap' or mode='clip'")
        host = np.asarray(a)
        if ((host < 0) | (host >= n)).any():
            raise XfrontValueError(f"choose: invalid entry in the index array (expected values "
                                   f"in [0, {n}))")
    elif mode == "wrap":
        a = lax.rem(a, lax.full(get_aval(a).shape, n, dt))
        a = lax.select(lax.lt(a, lax.full(get_aval(a).shape, 0, dt)),
                       lax.add(a, lax.full(get_aval(a).shape, n, dt)), a)
    elif mode == "clip":
        a = lax.clamp(lax.full((), 0, dt), a, lax.full((), n - 1, dt))
    else:
        raise XfrontValueError(f"choose: mode must be 'raise', 'wrap' or 'clip', got {mode!r}")
    a, *choices = broadcast_arrays(a, *choices)
    stacked = stack(choices)
    idx = lax.reshape(a, (1, *get_aval(a).shape))
    res = take_along_axis(stacked, idx, axis=0, mode="promise_in_bounds")
    return lax.reshape(res, get_aval(a).shape)


# ----------------------------------------------------------------------------------------------
# Index generators and conversions


def _host_indices(arrays):
    return tuple(_asarray(np.asarray(x, _int_dtype())) for x in arrays)


def indices(dimensions, dtype=None, sparse=False):
    """The index grid of an array of shape ``dimensions``: an array of shape
    ``(len(dimensions), *dimensions)`` whose i-th slice counts along axis i (with ``sparse``, a
    tuple of arrays that broadcast to that grid)."""
    dims = tuple(_static_int(d, "indices", "dimensions") for d in dimensions)
    dt = _int_dtype() if dtype is None else dtypes.canonicalize_dtype(np.dtype(dtype))
    n = len(dims)
    out = []
    for i, d in enumerate(dims):
        if sparse:
            shape = tuple(d if j == i else 1 for j in range(n))
            out.append(lax.broadcasted_iota(dt, shape, i))
        else:
            out.append(lax.broadcasted_iota(dt, (1, *dims), i + 1))
    if sparse:
        return tuple(out)
    return lax.concatenate(out, 0) if out else lax.full((0,), 0, dt)


def diag_indices(n, ndim=2):
    """Indices ``(arange(n),) * ndim`` of the main diagonal of an (n,) * ndim array."""
    n = _static_int(n, "diag_indices", "n")
    ndim = _static_int(ndim, "diag_indices", "ndim")
    if n < 0 or ndim < 0:
        raise XfrontValueError(f"diag_indices: n and ndim must be non-negative, got n={n}, "
                               f"ndim={ndim}")
    return _host_indices(np.diag_indices(n, ndim))


def diag_indices_from(arr):
    """``diag_indices`` for a square array ``arr`` (all dimensions equal, ndim >= 2)."""
    shape = np.shape(arr) if not hasattr(arr, "shape") else tuple(arr.shape)
    if len(shape) < 2:
        raise XfrontValueError(f"diag_indices_from: input must be at least 2-d, got shape "
                               f"{shape}")
    if len(set(shape)) != 1:
        raise XfrontValueError(f"diag_indices_from: all dimensions of the input must be "
                               f"equal, got shape {shape}")
    return diag_indices(shape[0], len(shape))


def tril_indices(n, k=0, m=None):
    """Row and column indices of the lower triangle (on and below diagonal ``k``) of an
    (n, m) array."""
    n = _static_int(n, "tril_indices", "n")
    k = _static_int(k, "tril_indices", "k")
    m = n if m is None else _static_int(m, "tril_indices", "m")
    return _host_indices(np.tril_indices(n, k, m))


def triu_indices(n, k=0, m=None):
    """Row and column indices of the upper triangle (on and above diagonal ``k``) of an
    (n, m) array."""
    n = _static_int(n, "triu_indices", "n")
    k = _static_int(k, "triu_indices", "k")
    m = n if m is None else _static_int(m, "triu_indices", "m")
    return _host_indices(np.triu_indices(n, k, m))


def _shape_2d(arr, name):
    shape = tuple(arr.shape) if hasattr(arr, "shape") else np.shape(arr)
    if len(shape) != 2:
        raise XfrontValueError(f"{name}: input must be 2-d, got shape {shape}")
    return shape


def tril_indices_from(arr, k=0):
    """``tril_indices`` for the shape of the 2-d ``arr``."""
    n, m = _shape_2d(arr, "tril_indices_from")
    return tril_indices(n, k, m)


def triu_indices_from(arr, k=0):
    """``triu_indices`` for the shape of the 2-d ``arr``."""
    n, m = _shape_2d(arr, "triu_indices_from")
    return triu_indices(n, k, m)


def unravel_index(indices, shape):
    """Flat ``indices`` into a tuple of coordinate arrays for an array of ``shape``.

    As in JAX, negative indices count from the end and out-of-range ones are clamped."""
    idx = _index_array(indices, "unravel_index")
    try:
        shape = tuple(_static_int(s, "unravel_index", "shape") for s in shape)
    except TypeError:
        shape = (_static_int(shape, "unravel_index", "shape"),)
    total = math.prod(shape)
    aval = get_aval(idx)
    dt = aval.dtype if aval.dtype.itemsize >= 4 else np.dtype(np.int32)
    if not dtypes.is_signed_int(dt):
        dt = dtypes.canonicalize_dtype(np.dtype(np.int64))
    idx = lax.convert_element_type(idx, dt)
    if total == 0:
        return tuple(lax.full(aval.shape, 0, dt) for _ in shape)
    lo, hi = lax.full((), -total, dt), lax.full((), total - 1, dt)
    idx = _normalize_negative(lax.clamp(lo, idx, hi), total)
    out = []
    stride = total
    for d in shape:
        stride //= d
        i = lax.div(idx, lax.full(aval.shape, stride, dt)) if stride != 1 else idx
        out.append(lax.rem(i, lax.full(aval.shape, d, dt)))
    return tuple(out)


def ravel_multi_index(multi_index, dims, mode="raise", order="C", *, dtype=None):
    """Coordinate arrays ``multi_index`` into flat indices for an array of shape ``dims``.

    ``mode``: "raise" (concrete indices only), "clip", "wrap" or "ignore"."""
    dims = tuple(_static_int(d, "ravel_multi_index", "dims") for d in dims)
    if len(multi_index) != len(dims):
        raise XfrontValueError(f"ravel_multi_index: got {len(multi_index)} index arrays for "
                               f"{len(dims)} dimensions")
    idx = [ensure_traced(_asarray(i)) for i in multi_index]
    for i in idx:
        if not dtypes.is_int(get_aval(i).dtype):
            raise XfrontTypeError(f"ravel_multi_index: only integer indices are allowed, got "
                                  f"{get_aval(i).dtype}")
    out_dt = dtypes.canonicalize_dtype(np.dtype(dtype)) if dtype is not None else (
        dtypes.promote_dtype_pairs([(_int_dtype(), True)] + [
            dtypes.dtype_and_weak_type(i) for i in idx])[0])
    if not dtypes.is_int(out_dt):
        raise XfrontValueError(f"ravel_multi_index: dtype {out_dt} is not an integer type")
    if math.prod(dims) - 1 > np.iinfo(out_dt).max:
        raise XfrontValueError(f"ravel_multi_index: dtype {out_dt} cannot hold flat indices "
                               f"for dims {dims}; pass a larger dtype=")
    if mode == "raise":
        for i, d in zip(idx, dims):
            if isinstance(i, Tracer):
                raise ConcretizationTypeError(
                    "ravel_multi_index: mode='raise' needs concrete indices to check them; "
                    "under jit use mode='clip', 'wrap' or 'ignore'")
            h = np.asarray(i)
            if ((h < 0) | (h >= d)).any():
                raise XfrontValueError("ravel_multi_index: invalid entry in coordinates array")
    from xfront.numpy._shape import broadcast_arrays

    idx = list(broadcast_arrays(*[lax.convert_element_type(i, out_dt) for i in idx]))
    shape = get_aval(idx[0]).shape
    if mode == "clip":
        idx = [lax.clamp(lax.full((), 0, out_dt), i, lax.full((), d - 1, out_dt))
               for i, d in zip(idx, dims)]
    elif mode == "wrap":
        wrapped = []
        for i, d in zip(idx, dims):
            r = lax.rem(i, lax.full(shape, d, out_dt))
            if dtypes.is_signed_int(out_dt):
                r = lax.select(lax.lt(r, lax.full(shape, 0, out_dt)),
                               lax.add(r, lax.full(shape, d, out_dt)), r)
            wrapped.append(r)
        idx = wrapped
    elif mode not in ("raise", "ignore"):
        raise XfrontValueError(f"ravel_multi_index: invalid mode {mode!r}; expected 'raise', "
                               "'wrap', 'clip' or 'ignore'")
    if order == "C":
        strides = np.cumprod((1,) + dims[1:][::-1])[::-1]
    elif order == "F":
        strides = np.cumprod((1,) + dims[:-1])
    else:
        raise XfrontValueError(f"ravel_multi_index: order must be 'C' or 'F', got {order!r}")
    out = lax.full(shape, 0, out_dt)
    for i, s in zip(idx, strides):
        out = lax.add(out, lax.mul(i, lax.full(shape, int(s), out_dt)))
    return out


def ix_(*args):
    """Open-mesh index arrays: the i-th of n 1-d sequences reshaped to broadcast along axis i
    (boolean ones are converted with ``nonzero``, concrete values only)."""
    n = len(args)
    out = []
    for i, a in enumerate(args):
        check_arraylike("ix_", a) if not isinstance(a, list | tuple) else None
        a = ensure_traced(_asarray(a) if not isinstance(a, list | tuple) or a else
                          _asarray(np.zeros((0,), _int_dtype())))
        aval = get_aval(a)
        if aval.ndim != 1:
            raise XfrontValueError(f"ix_: arguments must be 1-d, got shape {aval.shape} at "
                                   f"position {i}")
        if dtypes.is_bool(aval.dtype):
            (a,) = nonzero(a)
            aval = get_aval(a)
        shape = [1] * n
        shape[i] = aval.shape[0]
        out.append(lax.reshape(a, tuple(shape)))
    return tuple(out)
