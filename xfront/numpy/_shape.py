"""Shape manipulation and joining in ``xfront.numpy``: reshape, ravel, transpose, swapaxes,
moveaxis, squeeze, expand_dims, broadcast_to/arrays, concatenate, stack, hstack, vstack, split,
clip, flip and friends."""

from __future__ import annotations

import builtins

import numpy as np

from xfront import lax
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, get_aval
from xfront.numpy._util import (
    broadcast_shapes as _broadcast_shapes,
)
from xfront.numpy._util import (
    broadcast_to as _broadcast_to,
)
from xfront.numpy._util import (
    canonical_axes,
    canonical_axis,
    check_arraylike,
    ensure_traced,
    promote_dtypes,
)
from xfront.numpy._util import static_int as _static_int

__all__ = [
    "array_split",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "broadcast_arrays",
    "broadcast_shapes",
    "broadcast_to",
    "clip",
    "column_stack",
    "concat",
    "concatenate",
    "dsplit",
    "dstack",
    "expand_dims",
    "flip",
    "fliplr",
    "flipud",
    "hsplit",
    "hstack",
    "matrix_transpose",
    "moveaxis",
    "ndim",
    "permute_dims",
    "ravel",
    "reshape",
    "rollaxis",
    "row_stack",
    "shape",
    "size",
    "split",
    "squeeze",
    "stack",
    "swapaxes",
    "transpose",
    "unstack",
    "vsplit",
    "vstack",
]



def _as_array(name, a):
    check_arraylike(name, a)
    return ensure_traced(a)


def shape(a) -> tuple[int, ...]:
    return get_aval(a).shape if not isinstance(a, list | tuple) else np.shape(a)


def ndim(a) -> int:
    return len(shape(a))


def size(a, axis=None) -> int:
    s = shape(a)
    if axis is None:
        return int(np.prod(s, dtype=np.int64))
    return s[axis]


def reshape(a, shape=None, order: str = "C", *, newshape=None, copy=None):
    """Gives ``a`` a new shape (one dimension may be -1) (``numpy.reshape``)."""
    if shape is None:
        shape = newshape
    if order != "C":
        raise XfrontValueError(f"reshape: only order='C' is supported, got {order!r}")
    a = _as_array("reshape", a)
    aval = get_aval(a)
    if isinstance(shape, int | np.integer) or isinstance(shape, Tracer):
        shape = (shape,)
    dims = [_static_int(d, "reshape", "new shape") for d in shape]
    if dims.count(-1) > 1:
        raise XfrontValueError(f"reshape: can only specify one unknown dimension, got {shape}")
    if -1 in dims:
        known = int(np.prod([d for d in dims if d != -1], dtype=np.int64))
        if known == 0 or aval.size % known:
            raise XfrontTypeError(
                f"cannot reshape array of shape {aval.shape} (size {aval.size}) into shape "
                f"{tuple(shape)}")
        dims[dims.index(-1)] = aval.size // known
    if int(np.prod(dims, dtype=np.int64)) != aval.size:
        raise XfrontTypeError(
            f"cannot reshape array of shape {aval.shape} (size {aval.size}) into shape "
            f"{tuple(dims)} (size {int(np.prod(dims, dtype=np.int64))})")
    return lax.reshape(a, tuple(dims))


def ravel(a, order: str = "C"):
    """A flattened (1-D) view of ``a``."""
    a = _as_array("ravel", a)
    return reshape(a, (get_aval(a).size,), order)


def transpose(a, axes=None):
    """Permutes the axes (reverses them by default)."""
    a = _as_array("transpose", a)
    n = get_aval(a).ndim
    if axes is None:
        perm = tuple(range(n - 1, -1, -1))
    else:
        perm = tuple(canonical_axis(x, n, "transpose") for x in axes)
        if sorted(perm) != list(range(n)):
            raise XfrontValueError(f"transpose: axes {tuple(axes)} don't match array of rank {n}")
    return lax.transpose(a, perm)


permute_dims = transpose


def matrix_transpose(x, /):
    x = _as_array("matrix_transpose", x)
    n = get_aval(x).ndim
    if n < 2:
        raise XfrontValueError(f"matrix_transpose needs at least 2 dimensions, got {n}")
    return lax.transpose(x, (*range(n - 2), n - 1, n - 2))


def swapaxes(a, axis1, axis2):
    a = _as_array("swapaxes", a)
    n = get_aval(a).ndim
    i, j = canonical_axis(axis1, n, "swapaxes"), canonical_axis(axis2, n, "swapaxes")
    perm = list(range(n))
    perm[i], perm[j] = perm[j], perm[i]
    return lax.transpose(a, tuple(perm))


def moveaxis(a, source, destination):
    a = _as_array("moveaxis", a)
    n = get_aval(a).ndim
    src = [source] if isinstance(source, int | np.integer) else list(source)
    dst = [destination] if isinstance(destination, int | np.integer) else list(destination)
    if len(src) != len(dst):
        raise XfrontValueError("moveaxis: source and destination must have the same length")
    src = [canonical_axis(s, n, "moveaxis") for s in src]
    dst = [canonical_axis(d, n, "moveaxis") for d in dst]
    order = [i for i in range(n) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return lax.transpose(a, tuple(order))


def rollaxis(a, axis, start=0):
    a = _as_array("rollaxis", a)
    n = get_aval(a).ndim
    axis = canonical_axis(axis, n, "rollaxis")
    start = start + n if start < 0 else start
    if start > axis:
        start -= 1
    return moveaxis(a, axis, start)


def squeeze(a, axis=None):
    """Removes size-1 axes (all of them, or those in ``axis``)."""
    a = _as_array("squeeze", a)
    aval = get_aval(a)
    if axis is None:
        dims = tuple(i for i, d in enumerate(aval.shape) if d == 1)
    else:
        dims = canonical_axes(axis, aval.ndim, "squeeze")
        for d in dims:
            if aval.shape[d] != 1:
                raise XfrontValueError(
                    f"squeeze: cannot select an axis to squeeze out which has size not equal "
                    f"to one (axis {d} of shape {aval.shape})")
    return lax.squeeze(a, dims)


def expand_dims(a, axis):
    a = _as_array("expand_dims", a)
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    return lax.expand_dims(a, axes)


def broadcast_to(array, shape):
    """Broadcasts ``array`` to ``shape`` (NumPy rules)."""
    array = _as_array("broadcast_to", array)
    if isinstance(shape, int | np.integer):
        shape = (shape,)
    return _broadcast_to(array, tuple(_static_int(d, "broadcast_to", "shape") for d in shape))


def broadcast_shapes(*shapes) -> tuple[int, ...]:
    return _broadcast_shapes(*[(s,) if isinstance(s, int) else tuple(s) for s in shapes])


def broadcast_arrays(*args) -> list:
    """The arrays broadcast against each other."""
    arrays = [_as_array("broadcast_arrays", a) for a in args]
    result = _broadcast_shapes(*[get_aval(a).shape for a in arrays])
    return [_broadcast_to(a, result) for a in arrays]


def atleast_1d(*arys):
    out = [a if get_aval(a).ndim >= 1 else lax.reshape(a, (1,))
           for a in (_as_array("atleast_1d", x) for x in arys)]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in (_as_array("atleast_2d", x) for x in arys):
        n = get_aval(a).ndim
        out.append(a if n >= 2 else lax.reshape(a, (1,) * (2 - n) + get_aval(a).shape))
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in (_as_array("atleast_3d", x) for x in arys):
        s = get_aval(a).shape
        if len(s) == 0:
            a = lax.reshape(a, (1, 1, 1))
        elif len(s) == 1:
            a = lax.reshape(a, (1, s[0], 1))
        elif len(s) == 2:
            a = lax.reshape(a, (*s, 1))
        out.append(a)
    return out[0] if len(out) == 1 else out


def _sequence(name, arrays):
    if isinstance(arrays, Tracer) or hasattr(arrays, "aval") or isinstance(arrays, np.ndarray):
        a = ensure_traced(arrays)
        n = get_aval(a).shape[0] if get_aval(a).ndim else 0
        return [lax.index_in_dim(a, i, 0, keepdims=False) for i in range(n)]
    try:
        arrays = list(arrays)
    except TypeError:
        raise XfrontTypeError(f"{name} expects a sequence of arrays, got {arrays!r}") from None
    if not arrays:
        raise XfrontValueError(f"{name} needs at least one array")
    check_arraylike(name, *arrays)
    return list(promote_dtypes(*arrays))


def concatenate(arrays, axis=0, dtype=None):
    """Joins arrays along an existing axis (``axis=None`` flattens them first)."""
    arrays = _sequence("concatenate", arrays)
    arrays = [ensure_traced(a) for a in arrays]
    if dtype is not None:
        arrays = [lax.convert_element_type(a, dtype) for a in arrays]
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    n = get_aval(arrays[0]).ndim
    if n == 0:
        raise XfrontValueError("zero-dimensional arrays cannot be concatenated")
    for a in arrays:
        if get_aval(a).ndim != n:
            raise XfrontValueError(
                "concatenate: all arrays must have the same number of dimensions, got "
                f"{', '.join(str(get_aval(x).shape) for x in arrays)}")
    return lax.concatenate(arrays, canonical_axis(axis, n, "concatenate"))


concat = concatenate


def stack(arrays, axis=0, out=None, dtype=None):
    """Joins arrays along a new axis."""
    arrays = [ensure_traced(a) for a in _sequence("stack", arrays)]
    shapes = {get_aval(a).shape for a in arrays}
    if len(shapes) > 1:
        raise XfrontValueError(
            f"stack: all input arrays must have the same shape, got {sorted(shapes)}")
    n = get_aval(arrays[0]).ndim + 1
    ax = canonical_axis(axis, n, "stack")
    return concatenate([lax.expand_dims(a, (ax,)) for a in arrays], ax, dtype)


def hstack(tup, dtype=None):
    arrs = atleast_1d(*_sequence("hstack", tup))
    arrs = arrs if isinstance(arrs, list) else [arrs]
    axis = 0 if get_aval(arrs[0]).ndim == 1 else 1
    return concatenate(arrs, axis, dtype)


def vstack(tup, dtype=None):
    arrs = atleast_2d(*_sequence("vstack", tup))
    arrs = arrs if isinstance(arrs, list) else [arrs]
    return concatenate(arrs, 0, dtype)


row_stack = vstack


def dstack(tup, dtype=None):
    arrs = atleast_3d(*_sequence("dstack", tup))
    arrs = arrs if isinstance(arrs, list) else [arrs]
    return concatenate(arrs, 2, dtype)


def column_stack(tup):
    """Stacks 1-D arrays as columns (0-D ones as 1x1) and 2-D arrays as they are."""
    arrs = []
    for a in _sequence("column_stack", tup):
        a = ensure_traced(a)
        arrs.append(lax.reshape(a, (get_aval(a).size, 1)) if get_aval(a).ndim < 2 else a)
    return concatenate(arrs, 1)


def _split(name, ary, indices_or_sections, axis, strict):
    ary = _as_array(name, ary)
    aval = get_aval(ary)
    axis = canonical_axis(axis, aval.ndim, name)
    size_ = aval.shape[axis]
    if isinstance(indices_or_sections, int | np.integer):
        n = int(indices_or_sections)
        if n <= 0:
            raise XfrontValueError(f"{name}: number of sections must be larger than 0")
        if strict and size_ % n:
            raise XfrontValueError(
                f"array split does not result in an equal division: axis {axis} of size "
                f"{size_} into {n} sections")
        base, extra = divmod(size_, n)
        bounds = [0]
        for i in range(n):
            bounds.append(bounds[-1] + base + (1 if i < extra else 0))
    else:
        idx = [_static_int(i, name, "indices") for i in indices_or_sections]
        bounds = [0] + [builtins.min(builtins.max(i + size_ if i < 0 else i, 0), size_)
                        for i in idx] + [size_]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        out.append(lax.slice_in_dim(ary, lo, builtins.max(lo, hi), 1, axis))
    return out


def split(ary, indices_or_sections, axis=0):
    """Splits into equal sections, or at the given indices."""
    return _split("split", ary, indices_or_sections, axis, strict=True)


def array_split(ary, indices_or_sections, axis=0):
    return _split("array_split", ary, indices_or_sections, axis, strict=False)


def hsplit(ary, indices_or_sections):
    a = _as_array("hsplit", ary)
    return split(a, indices_or_sections, 0 if get_aval(a).ndim == 1 else 1)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, 2)


def unstack(x, /, *, axis=0):
    x = _as_array("unstack", x)
    aval = get_aval(x)
    ax = canonical_axis(axis, aval.ndim, "unstack")
    return tuple(lax.index_in_dim(x, i, ax, keepdims=False) for i in range(aval.shape[ax]))


def clip(arr=None, /, min=None, max=None, *, a=None, a_min=None, a_max=None):  # noqa: A002
    """Limits values to [min, max] (either bound may be None)."""
    from xfront.numpy._ufuncs import maximum, minimum

    x = arr if arr is not None else a
    if x is None:
        raise XfrontTypeError("clip: no array given")
    lo = min if min is not None else a_min
    hi = max if max is not None else a_max
    x = _as_array("clip", x)
    if lo is not None:
        x = maximum(x, lo)
    if hi is not None:
        x = minimum(x, hi)
    return x


def flip(m, axis=None):
    m = _as_array("flip", m)
    axes = canonical_axes(axis, get_aval(m).ndim, "flip")
    return lax.rev(m, axes)


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)
