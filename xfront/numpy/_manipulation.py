"""Array manipulation in ``xfront.numpy``: tiling and repeating (tile, repeat, resize, kron),
rolling and rotating (roll, rot90), padding (pad, all of NumPy's modes), triangles and diagonals
(tri, tril, triu, diag, diagflat, diagonal, trace, fill_diagonal, vander), grids (meshgrid,
mgrid, ogrid, r_, c_), editing (append, insert, delete, block, trim_zeros), differences (diff,
ediff1d). Function application (apply_along_axis, apply_over_axes, piecewise, vectorize) is in
``_functional``.

Everything is composed from ``xfront.lax`` (slices, pads, concatenations, broadcasts, selects;
``gather`` only for data-dependent index maps), so jit, grad and vmap apply unchanged.
Static index maps (repeat with a concrete array, insert, delete, the wrap/reflect pads) are
decomposed into runs of consecutive indices and emitted as slices, which XLA fuses well and
which transpose to pads under reverse mode.
"""

from __future__ import annotations

import builtins
import re

import numpy as np

from xfront import lax
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.errors import XfrontIndexError, XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, concretization_error, get_aval
from xfront.lax.elementwise import _convert_element_type
from xfront.numpy._util import as_traced as _traced
from xfront.numpy._util import (
    broadcast_shapes,
    broadcast_to,
    canonical_axes,
    canonical_axis,
    check_arraylike,
    is_arraylike,
    promote_dtypes,
)
from xfront.numpy._util import static_int as _static_int

__all__ = [
    "append",
    "astype",
    "block",
    "c_",
    "delete",
    "diag",
    "diagflat",
    "diagonal",
    "diff",
    "ediff1d",
    "fill_diagonal",
    "insert",
    "kron",
    "meshgrid",
    "mgrid",
    "ogrid",
    "pad",
    "r_",
    "repeat",
    "resize",
    "roll",
    "rot90",
    "tile",
    "trace",
    "tri",
    "tril",
    "triu",
    "trim_zeros",
    "vander",
]


# ----------------------------------------------------------------------------------------------
# Helpers.


def _arr(name: str, x):
    """``x`` as a value of the current trace, after checking it is array-like."""
    check_arraylike(name, x)
    return _traced(x)


def _arr_or_list(name: str, x):
    """Like ``_arr`` but also converts (nested) lists and tuples, as NumPy's optional array
    arguments do."""
    if isinstance(x, list | tuple):
        from xfront.numpy._creation import asarray

        return asarray(x)
    return _arr(name, x)


def _concrete(x, name: str, what: str) -> np.ndarray:
    """The host value of ``x`` (which must not be traced)."""
    if isinstance(x, Tracer):
        raise concretization_error(x, f"{name}: {what}")
    if isinstance(x, list | tuple):
        for e in x:
            if isinstance(e, Tracer):
                raise concretization_error(e, f"{name}: {what}")
    return np.asarray(x)


def _is_traced(x) -> bool:
    return isinstance(x, Tracer)


def _zeros(shape, dtype, weak=False):
    return lax.full(tuple(shape), _convert_element_type(0, dtype, weak))


def _moveaxis(x, src: int, dst: int):
    n = get_aval(x).ndim
    if src == dst:
        return x
    order = [i for i in range(n) if i != src]
    order.insert(dst, src)
    return lax.transpose(x, tuple(order))


def _concat(parts, axis: int):
    parts = [p for p in parts if get_aval(p).shape[axis] > 0] or parts[:1]
    return parts[0] if len(parts) == 1 else lax.concatenate(parts, axis)


def _runs(idx: np.ndarray):
    """Splits a static index vector into runs ``(start, length, step)`` with step in
    {1, -1, 0} (single elements have step 1)."""
    runs, i, n = [], 0, len(idx)
    while i < n:
        j = i + 1
        step = int(idx[j] - idx[i]) if j < n else 1
        if step in (1, -1, 0):
            while j < n and idx[j] - idx[j - 1] == step:
                j += 1
        else:
            step = 1
        runs.append((int(idx[i]), j - i, step))
        i = j
    return runs


def _take_static(x, idx, axis: int):
    """``x`` indexed along ``axis`` by the static integer vector ``idx`` (all in range):
    slices, reversed slices and broadcasts of consecutive runs, or one gather when the
    indices are scattered."""
    idx = np.asarray(idx, dtype=np.int64).reshape(-1)
    aval = get_aval(x)
    n = aval.shape[axis]
    if len(idx) == n and np.array_equal(idx, np.arange(n)):
        return x
    runs = _runs(idx)
    if len(runs) > 16 and len(runs) > len(idx) // 4:
        return _take_dynamic(x, np.asarray(idx, np.int32), axis)
    parts = []
    for start, length, step in runs:
        if step == 1:
            parts.append(lax.slice_in_dim(x, start, start + length, 1, axis))
        elif step == -1:
            parts.append(lax.rev(lax.slice_in_dim(x, start - length + 1, start + 1, 1, axis),
                                 (axis,)))
        else:
            one = lax.slice_in_dim(x, start, start + 1, 1, axis)
            shape = list(aval.shape)
            shape[axis] = length
            parts.append(lax.broadcast_in_dim(one, tuple(shape), tuple(range(aval.ndim))))
    if not parts:
        return lax.slice_in_dim(x, 0, 0, 1, axis)
    return _concat(parts, axis)


def _take_dynamic(x, idx, axis: int):
    """``x`` indexed along ``axis`` by the 1-D integer array ``idx`` (clamped into range)."""
    aval = get_aval(x)
    idx = _traced(idx)
    if not dtypes.is_int(get_aval(idx).dtype):
        idx = lax.convert_element_type(idx, dtypes.int32)
    k = get_aval(idx).shape[0]
    idx = lax.reshape(idx, (k, 1))
    offset_dims = tuple(d for d in range(aval.ndim) if d != axis)
    dnums = lax.GatherDimensionNumbers(offset_dims=offset_dims, collapsed_slice_dims=(axis,),
                                       start_index_map=(axis,))
    sizes = tuple(1 if d == axis else s for d, s in enumerate(aval.shape))
    return lax.gather(x, idx, dnums, sizes)


def _iota(shape, dim):
    return lax.broadcasted_iota(dtypes.int32, tuple(shape), dim)


# ----------------------------------------------------------------------------------------------
# astype.


def astype(x, dtype, /, *, copy: bool = False, device=None):
    """``x`` converted to ``dtype`` (the function form of ``Array.astype``)."""
    x = _arr("astype", x)
    if dtype is None:
        dtype = dtypes.default_float_dtype()
    dt = dtypes.check_supported(dtypes.canonicalize_dtype(dtypes.dtype(dtype)), "astype")
    out = lax.convert_element_type(x, dt)
    if copy and out is x:
        out = lax.copy(out)
    if device is not None:
        from xfront import dispatch

        out = dispatch.device_put(out, device)
    return out


# ----------------------------------------------------------------------------------------------
# Tiling and repeating.


def tile(A, reps):
    """``A`` repeated ``reps`` times along each axis (``numpy.tile``)."""
    A = _arr("tile", A)
    if isinstance(reps, Tracer):
        raise concretization_error(reps, "tile: reps")
    reps = (reps,) if np.ndim(reps) == 0 else tuple(np.asarray(reps).reshape(-1).tolist())
    reps = tuple(_static_int(r, "tile", "reps") for r in reps)
    if builtins.any(r < 0 for r in reps):
        raise XfrontValueError(f"tile: negative repetitions are not allowed, got {reps}")
    shape = get_aval(A).shape
    nd = builtins.max(len(reps), len(shape))
    reps = (1,) * (nd - len(reps)) + reps
    shape = (1,) * (nd - len(shape)) + shape
    A = lax.reshape(A, shape)
    # Broadcast to (r0, s0, r1, s1, ...) and merge each pair.
    big = tuple(x for pair in zip(reps, shape) for x in pair)
    out = lax.broadcast_in_dim(A, big, tuple(range(1, 2 * nd, 2)))
    return lax.reshape(out, tuple(r * s for r, s in zip(reps, shape)))


def repeat(a, repeats, axis: int | None = None, *, total_repeat_length: int | None = None):
    """Repeats each element of ``a`` along ``axis`` (``numpy.repeat``).

    ``repeats`` is a scalar or one count per element. Under ``jit`` (traced ``repeats``) the
    output size must be given statically as ``total_repeat_length``: outputs past the repeated
    elements take the last element, and repeats past it are dropped (as JAX).
    """
    a = _arr("repeat", a)
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    aval = get_aval(a)
    axis = canonical_axis(axis, aval.ndim, "repeat")
    n = aval.shape[axis]
    if total_repeat_length is not None:
        total_repeat_length = _static_int(total_repeat_length, "repeat", "total_repeat_length")
        if total_repeat_length < 0:
            raise XfrontValueError(
                f"repeat: total_repeat_length must be >= 0, got {total_repeat_length}")
    if isinstance(repeats, list | tuple):
        repeats = np.asarray(repeats)
    check_arraylike("repeat", repeats)
    rep_aval = get_aval(repeats)
    if not (dtypes.is_int(rep_aval.dtype) or dtypes.is_bool(rep_aval.dtype)):
        raise XfrontTypeError(f"repeat: repeats must be integers, got dtype {rep_aval.dtype}")
    if rep_aval.ndim > 1 or (rep_aval.ndim == 1 and rep_aval.shape[0] not in (1, n)):
        raise XfrontValueError(
            f"repeat: repeats of shape {rep_aval.shape} cannot be broadcast to the {n} "
            f"elements of axis {axis} of an array of shape {aval.shape}")
    traced = _is_traced(repeats)
    if not traced and (total_repeat_length is None or rep_aval.size == 1):
        counts = np.asarray(repeats).astype(np.int64).reshape(-1)
        if (counts < 0).any():
            raise XfrontValueError(f"repeat: repeats may not be negative, got {counts}")
        if counts.size == 1:
            r = int(counts[0])
            total = n * r
            if total_repeat_length is None or total_repeat_length == total:
                # Broadcast along a new axis after ``axis`` and merge the two.
                shape = aval.shape[:axis + 1] + (r,) + aval.shape[axis + 1:]
                dims = tuple(d if d <= axis else d + 1 for d in range(aval.ndim))
                out = lax.broadcast_in_dim(a, shape, dims)
                return lax.reshape(out, aval.shape[:axis] + (total,) + aval.shape[axis + 1:])
            counts = np.full(n, r)
        idx = np.repeat(np.arange(n), counts)
        if total_repeat_length is not None:
            idx = np.concatenate([idx, np.full(builtins.max(total_repeat_length - len(idx), 0),
                                               builtins.max(n - 1, 0))])[:total_repeat_length]
        if n == 0:
            return a
        return _take_static(a, idx, axis)
    if total_repeat_length is None:
        raise concretization_error(
            repeats, "repeat: repeats (pass total_repeat_length= to repeat by traced counts)")
    counts = lax.convert_element_type(broadcast_to(_traced(repeats), (n,)),
                                      dtypes.int32)
    # Output j reads element idx[j]: mark where each element's run begins (element i >= 1
    # begins at the running count of elements before it) and take a running sum of marks.
    starts = lax.slice_in_dim(lax.cumsum(counts, 0), 0, builtins.max(n - 1, 0), 1, 0)
    total = total_repeat_length
    starts = lax.min(starts, lax.full((), total, dtypes.int32))
    marks = _scatter_add_1d(_zeros((total + 1,), dtypes.int32), starts,
                            lax.full(get_aval(starts).shape, 1, dtypes.int32))
    idx = lax.cumsum(lax.slice_in_dim(marks, 0, total, 1, 0), 0)
    return _take_dynamic(a, idx, axis)


def _scatter_add_1d(operand, idx, updates):
    """``operand.at[idx].add(updates)`` for a 1-D operand and 1-D indices."""
    k = get_aval(idx).shape[0]
    dnums = lax.ScatterDimensionNumbers(update_window_dims=(), inserted_window_dims=(0,),
                                        scatter_dims_to_operand_dims=(0,))
    return lax.scatter_add(operand, lax.reshape(idx, (k, 1)), updates, dnums)


def resize(a, new_shape):
    """An array of ``new_shape`` filled with the elements of ``a`` repeated in order
    (``numpy.resize``)."""
    a = _arr("resize", a)
    if isinstance(new_shape, int | np.integer):
        new_shape = (new_shape,)
    new_shape = tuple(_static_int(d, "resize", "new_shape") for d in new_shape)
    if builtins.any(d < 0 for d in new_shape):
        raise XfrontValueError(f"resize: all elements of new_shape must be >= 0, got {new_shape}")
    size = int(np.prod(new_shape, dtype=np.int64))
    flat = lax.reshape(a, (get_aval(a).size,))
    n = get_aval(flat).size
    if n == 0 or size == 0:
        aval = get_aval(a)
        return _zeros(new_shape, aval.dtype, aval.weak_type)
    reps = -(-size // n)
    flat = tile(flat, reps) if reps > 1 else flat
    return lax.reshape(lax.slice_in_dim(flat, 0, size, 1, 0), new_shape)


def kron(a, b):
    """The Kronecker product of ``a`` and ``b`` (``numpy.kron``)."""
    check_arraylike("kron", a, b)
    a, b = promote_dtypes(a, b)
    a, b = _traced(a), _traced(b)
    sa, sb = get_aval(a).shape, get_aval(b).shape
    nd = builtins.max(len(sa), len(sb))
    sa, sb = (1,) * (nd - len(sa)) + sa, (1,) * (nd - len(sb)) + sb
    a, b = lax.reshape(a, sa), lax.reshape(b, sb)
    big = tuple(x for pair in zip(sa, sb) for x in pair)
    from xfront.numpy._ufuncs import multiply

    prod = multiply(lax.broadcast_in_dim(a, big, tuple(range(0, 2 * nd, 2))),
                    lax.broadcast_in_dim(b, big, tuple(range(1, 2 * nd, 2))))
    return lax.reshape(prod, tuple(x * y for x, y in zip(sa, sb)))


# ----------------------------------------------------------------------------------------------
# roll, rot90.


def roll(a, shift, axis=None):
    """Rolls elements along ``axis`` (the flattened array when None) by ``shift``; both may
    be tuples. A traced shift becomes a dynamic slice of the doubled array."""
    a = _arr("roll", a)
    aval = get_aval(a)
    if axis is None:
        flat = lax.reshape(a, (aval.size,))
        return lax.reshape(roll(flat, shift, 0), aval.shape)
    axes = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    axes = tuple(canonical_axis(ax, aval.ndim, "roll") for ax in axes)
    if _is_traced(shift) or isinstance(shift, Array):
        shift = _traced(shift)
        sh_aval = get_aval(shift)
        if not dtypes.is_int(sh_aval.dtype):
            raise XfrontTypeError(f"roll: shift must be integers, got dtype {sh_aval.dtype}")
        shifts = [lax.reshape(lax.slice_in_dim(lax.reshape(shift, (sh_aval.size,)), i, i + 1),
                              ()) for i in range(sh_aval.size)]
    elif isinstance(shift, int | np.integer):
        shifts = [int(shift)]
    else:
        shifts = [_static_int(s, "roll", "shift") for s in np.asarray(shift).reshape(-1)]
    if len(shifts) == 1:
        shifts = shifts * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise XfrontValueError(
            f"roll: shift and axis must have the same length, got {len(shifts)} shifts for "
            f"axes {axes}")
    for s, ax in zip(shifts, axes):
        a = _roll_axis(a, s, ax)
    return a


def _roll_axis(a, s, axis):
    n = get_aval(a).shape[axis]
    if n == 0:
        return a
    if isinstance(s, int):
        s %= n
        if s == 0:
            return a
        return lax.concatenate([lax.slice_in_dim(a, n - s, n, 1, axis),
                                lax.slice_in_dim(a, 0, n - s, 1, axis)], axis)
    from xfront.numpy._ufuncs import remainder

    s = remainder(s, n)
    start = lax.sub(lax.full((), n, get_aval(s).dtype), s)
    doubled = lax.concatenate([a, a], axis)
    starts = [lax.full((), 0, get_aval(s).dtype)] * get_aval(a).ndim
    starts[axis] = start
    return lax.dynamic_slice(doubled, starts, get_aval(a).shape)


def rot90(m, k: int = 1, axes: tuple[int, int] = (0, 1)):
    """Rotates ``m`` by 90 degrees ``k`` times in the plane of ``axes`` (first towards
    second)."""
    m = _arr("rot90", m)
    n = get_aval(m).ndim
    k = _static_int(k, "rot90", "k")
    axes = tuple(axes)
    if len(axes) != 2:
        raise XfrontValueError(f"rot90: axes must have length 2, got {axes}")
    if n < 2:
        raise XfrontValueError(f"rot90: the array must have at least 2 dimensions, got {n}")
    a0, a1 = (canonical_axis(x, n, "rot90") for x in axes)
    if a0 == a1:
        raise XfrontValueError(f"rot90: axes must be different, got {axes}")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return lax.rev(m, (a0, a1))
    perm = list(range(n))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return lax.transpose(lax.rev(m, (a1,)), tuple(perm))
    return lax.rev(lax.transpose(m, tuple(perm)), (a1,))


# ----------------------------------------------------------------------------------------------
# pad.

_pad_modes = ("constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum",
              "reflect", "symmetric", "wrap", "empty")
_pad_kwargs = {
    "constant": {"constant_values"},
    "linear_ramp": {"end_values"},
    "maximum": {"stat_length"},
    "mean": {"stat_length"},
    "median": {"stat_length"},
    "minimum": {"stat_length"},
    "reflect": {"reflect_type"},
    "symmetric": {"reflect_type"},
}


def _as_pairs(x, ndim: int, name: str, what: str, *, as_index: bool):
    """NumPy's pad-argument forms (scalar, (v,), (before, after), one pair per axis) as
    ``ndim`` (before, after) pairs; static ints when ``as_index``."""
    if x is None:
        return [(None, None)] * ndim
    if as_index:
        if isinstance(x, Tracer):
            raise concretization_error(x, f"{name}: {what}")
        arr = _concrete(x, name, what)
        if arr.dtype.kind not in "iub" and not (arr.dtype.kind == "f"
                                               and np.all(arr == np.round(arr))):
            raise XfrontTypeError(f"{name}: {what} must be integers, got {x!r}")
        arr = np.round(arr).astype(np.int64)
        if (arr < 0).any():
            raise XfrontValueError(f"{name}: index can't contain negative values ({what}={x!r})")
        try:
            arr = np.broadcast_to(arr, (ndim, 2))
        except ValueError:
            raise XfrontValueError(
                f"{name}: {what} of shape {np.shape(x)} cannot be broadcast to ({ndim}, 2) for "
                f"an array of {ndim} dimensions") from None
        return [(int(lo), int(hi)) for lo, hi in arr.tolist()]
    # Values (possibly traced scalars): keep them as they are.
    if is_arraylike(x) and get_aval(x).ndim == 0:
        return [(x, x)] * ndim
    if is_arraylike(x):
        shape = get_aval(x).shape
        try:
            np.broadcast_shapes(shape, (ndim, 2))
        except ValueError:
            raise XfrontValueError(
                f"{name}: {what} of shape {shape} cannot be broadcast to ({ndim}, 2)") from None
        x = broadcast_to(_traced(x), (ndim, 2))
        return [(x[i, 0], x[i, 1]) for i in range(ndim)]
    seq = list(x)
    if len(seq) == 1 and not isinstance(seq[0], list | tuple):
        return [(seq[0], seq[0])] * ndim
    if len(seq) == 2 and not builtins.any(isinstance(e, list | tuple) for e in seq):
        return [(seq[0], seq[1])] * ndim
    if len(seq) == 1:
        seq = seq * ndim
    if len(seq) != ndim:
        raise XfrontValueError(
            f"{name}: {what}={x!r} needs one (before, after) pair per dimension ({ndim})")
    out = []
    for e in seq:
        e = list(e) if isinstance(e, list | tuple) else [e]
        if len(e) == 1:
            e = e * 2
        if len(e) != 2:
            raise XfrontValueError(f"{name}: {what}={x!r}: each entry must be a pair")
        out.append((e[0], e[1]))
    return out


def _scalar_of(v, dt, weak):
    v = _traced(v) if not isinstance(v, list | tuple) else v
    if get_aval(v).ndim != 0:
        raise XfrontValueError(f"pad: pad values must be scalars, got shape {get_aval(v).shape}")
    return _traced(_convert_element_type(v, dt, weak))


def pad(array, pad_width, mode="constant", **kwargs):
    """Pads ``array`` (``numpy.pad``).

    ``pad_width``: an int, (n,), (before, after), or one pair per axis (static). ``mode``:
    'constant' (``constant_values``), 'edge', 'linear_ramp' (``end_values``), 'maximum',
    'minimum', 'mean', 'median' (``stat_length``), 'reflect', 'symmetric' (``reflect_type``
    'even' or 'odd'), 'wrap', 'empty' (zeros), or a function
    ``f(vector, iaxis_pad_width, iaxis, kwargs) -> vector`` applied to each 1-D line
    (functional: it returns the padded vector instead of editing it in place).
    """
    array = _arr("pad", array)
    aval = get_aval(array)
    nd = aval.ndim
    widths = _as_pairs(pad_width, nd, "pad", "pad_width", as_index=True)
    if callable(mode):
        return _pad_func(array, widths, mode, kwargs)
    if mode not in _pad_modes:
        raise XfrontValueError(f"pad: mode {mode!r} is not supported; use one of {_pad_modes} "
                               "or a function")
    unsupported = set(kwargs) - _pad_kwargs.get(mode, set())
    if unsupported:
        raise XfrontValueError(
            f"pad: unsupported keyword arguments for mode {mode!r}: {sorted(unsupported)}")
    if aval.size == 0 and mode not in ("constant", "empty"):
        for ax, (lo, hi) in enumerate(widths):
            if aval.shape[ax] == 0 and (lo or hi):
                raise XfrontValueError(
                    f"pad: can't extend empty axis {ax} of shape {aval.shape} using mode "
                    f"{mode!r} (only 'constant' and 'empty' can)")
    if mode in ("constant", "empty"):
        values = kwargs.get("constant_values", 0) if mode == "constant" else 0
        return _pad_constant(array, widths, values)
    if mode == "edge":
        for ax, (lo, hi) in enumerate(widths):
            array = _pad_edge(array, ax, lo, hi)
        return array
    if mode == "wrap":
        for ax, (lo, hi) in enumerate(widths):
            array = _pad_wrap(array, ax, lo, hi)
        return array
    if mode in ("reflect", "symmetric"):
        rtype = kwargs.get("reflect_type", "even")
        if rtype not in ("even", "odd"):
            raise XfrontValueError(f"pad: reflect_type must be 'even' or 'odd', got {rtype!r}")
        for ax, (lo, hi) in enumerate(widths):
            array = _pad_reflect(array, ax, lo, hi, rtype, mode == "symmetric")
        return array
    if mode == "linear_ramp":
        ends = _as_pairs(kwargs.get("end_values", 0), nd, "pad", "end_values", as_index=False)
        for ax, (lo, hi) in enumerate(widths):
            array = _pad_linear_ramp(array, ax, lo, hi, ends[ax])
        return array
    lengths = _as_pairs(kwargs.get("stat_length"), nd, "pad", "stat_length",
                        as_index=kwargs.get("stat_length") is not None)
    for ax, (lo, hi) in enumerate(widths):
        array = _pad_stat(array, ax, lo, hi, lengths[ax], mode)
    return array


def _pad_constant(array, widths, values):
    aval = get_aval(array)
    nd = aval.ndim
    if isinstance(values, list | tuple) or (is_arraylike(values) and get_aval(values).ndim):
        vals = _as_pairs(values, nd, "pad", "constant_values", as_index=False)
    else:
        check_arraylike("pad", values)
        vals = None
    if vals is None:
        v = _scalar_of(values, aval.dtype, aval.weak_type)
        return lax.pad(array, v, [(lo, hi, 0) for lo, hi in widths])
    for ax, ((lo, hi), (vlo, vhi)) in enumerate(zip(widths, vals)):
        cfg = [(0, 0, 0)] * nd
        if lo:
            cfg[ax] = (lo, 0, 0)
            array = lax.pad(array, _scalar_of(vlo, aval.dtype, aval.weak_type), cfg)
        if hi:
            cfg[ax] = (0, hi, 0)
            array = lax.pad(array, _scalar_of(vhi, aval.dtype, aval.weak_type), cfg)
    return array


def _bcast_along(x, axis, length):
    """``x`` (size 1 along ``axis``) broadcast to ``length`` along ``axis``."""
    shape = list(get_aval(x).shape)
    shape[axis] = length
    return lax.broadcast_in_dim(x, tuple(shape), tuple(range(len(shape))))


def _pad_edge(array, axis, lo, hi):
    if not (lo or hi):
        return array
    n = get_aval(array).shape[axis]
    parts = []
    if lo:
        parts.append(_bcast_along(lax.slice_in_dim(array, 0, 1, 1, axis), axis, lo))
    parts.append(array)
    if hi:
        parts.append(_bcast_along(lax.slice_in_dim(array, n - 1, n, 1, axis), axis, hi))
    return lax.concatenate(parts, axis)


def _pad_wrap(array, axis, lo, hi):
    """NumPy's wrap: chunks of at most one period (a multiple of the original length) are
    copied from the far side of the valid area until both pads are filled."""
    period0 = get_aval(array).shape[axis]
    while lo or hi:
        cur = get_aval(array).shape[axis]
        period = cur // period0 * period0
        parts = []
        if lo:
            c = builtins.min(period, lo)
            parts.append(lax.slice_in_dim(array, period - c, period, 1, axis))
            lo -= c
        parts.append(array)
        if hi:
            c = builtins.min(period, hi)
            parts.append(lax.slice_in_dim(array, cur - period, cur - period + c, 1, axis))
            hi -= c
        array = lax.concatenate(parts, axis)
    return array


def _pad_reflect(array, axis, lo, hi, rtype, include_edge):
    """NumPy's reflect (edge excluded) / symmetric (edge included): reflected chunks of at
    most one period, repeated until both pads are filled; 'odd' reflects through the edge
    value (2 * edge - chunk)."""
    from xfront.numpy._ufuncs import multiply, subtract

    n0 = get_aval(array).shape[axis]
    if not (lo or hi):
        return array
    if n0 == 1:
        return _pad_edge(array, axis, lo, hi)
    off = 0 if include_edge else 1
    while lo or hi:
        cur = get_aval(array).shape[axis]
        if include_edge:
            avail = cur // n0 * n0
        else:
            avail = (cur - 1) // (n0 - 1) * (n0 - 1)
        parts = []
        if lo:
            c = builtins.min(avail, lo)
            chunk = lax.rev(lax.slice_in_dim(array, off, off + c, 1, axis), (axis,))
            if rtype == "odd":
                edge = lax.slice_in_dim(array, 0, 1, 1, axis)
                chunk = subtract(multiply(2, edge), chunk)
            parts.append(chunk)
            lo -= c
        parts.append(array)
        if hi:
            c = builtins.min(avail, hi)
            chunk = lax.rev(lax.slice_in_dim(array, cur - off - c, cur - off, 1, axis),
                            (axis,))
            if rtype == "odd":
                edge = lax.slice_in_dim(array, cur - 1, cur, 1, axis)
                chunk = subtract(multiply(2, edge), chunk)
            parts.append(chunk)
            hi -= c
        array = lax.concatenate(parts, axis)
    return array


def _cast_like(x, dt, weak):
    """Casts float results back to ``dt`` (NumPy's pad truncates ramps towards -inf and
    rounds statistics to even for integer arrays)."""
    if dtypes.is_int(dt) or dtypes.is_bool(dt):
        x = lax.floor(x) if get_aval(x).dtype != dt else x
    return _convert_element_type(x, dt, weak)


def _pad_linear_ramp(array, axis, lo, hi, ends):
    if not (lo or hi):
        return array
    aval = get_aval(array)
    n = aval.shape[axis]
    comp = aval.dtype if dtypes.is_inexact(aval.dtype) else dtypes.default_float_dtype()
    x = lax.convert_element_type(array, comp)
    parts = []
    for side, width, end in (("lo", lo, ends[0]), ("hi", hi, ends[1])):
        if not width:
            continue
        edge = lax.slice_in_dim(x, 0, 1, 1, axis) if side == "lo" else lax.slice_in_dim(
            x, n - 1, n, 1, axis)
        end_v = _traced(_convert_element_type(_scalar_of(end, comp, False), comp))
        shape = list(aval.shape)
        shape[axis] = width
        t = lax.div(lax.convert_element_type(_iota(shape, axis), comp),
                    lax.full((), width, comp))
        edge_b = _bcast_along(edge, axis, width)
        end_b = lax.broadcast_in_dim(end_v, tuple(shape), ())
        ramp = lax.add(end_b, lax.mul(t, lax.sub(edge_b, end_b)))
        if side == "hi":
            ramp = lax.rev(ramp, (axis,))
        parts.append((side, _cast_like(ramp, aval.dtype, aval.weak_type)))
    lo_part = [p for s, p in parts if s == "lo"]
    hi_part = [p for s, p in parts if s == "hi"]
    return lax.concatenate(lo_part + [array] + hi_part, axis)


def _pad_stat(array, axis, lo, hi, length, mode):
    if not (lo or hi):
        return array
    from xfront.numpy import _reductions

    aval = get_aval(array)
    n = aval.shape[axis]
    l_lo = n if length[0] is None or length[0] > n else length[0]
    l_hi = n if length[1] is None or length[1] > n else length[1]
    if (l_lo == 0 or l_hi == 0) and mode in ("maximum", "minimum"):
        raise XfrontValueError("pad: stat_length of 0 yields no value for padding")

    def stat(chunk):
        if mode == "maximum":
            return _reductions.max(chunk, axis=axis, keepdims=True)
        if mode == "minimum":
            return _reductions.min(chunk, axis=axis, keepdims=True)
        if mode == "mean":
            v = _reductions.mean(chunk, axis=axis, keepdims=True)
        else:
            import xfront.numpy as xnp

            if not hasattr(xnp, "median"):
                raise XfrontValueError("pad: mode 'median' needs xfront.numpy.median")
            v = xnp.median(chunk, axis=axis, keepdims=True)
        if dtypes.is_int(aval.dtype):
            v = lax.round(v, lax.RoundingMethod.TO_NEAREST_EVEN)
        return _convert_element_type(v, aval.dtype, aval.weak_type)

    s_lo = stat(lax.slice_in_dim(array, 0, l_lo, 1, axis))
    s_hi = s_lo if l_lo == l_hi == n else stat(lax.slice_in_dim(array, n - l_hi, n, 1, axis))
    parts = ([_bcast_along(s_lo, axis, lo)] if lo else []) + [array] + (
        [_bcast_along(s_hi, axis, hi)] if hi else [])
    return lax.concatenate(parts, axis)


def _pad_func(array, widths, func, kwargs):
    """NumPy's callable mode: per axis, zero-pad and hand each 1-D line to ``func``."""
    nd = get_aval(array).ndim
    for ax, (lo, hi) in enumerate(widths):
        cfg = [(0, 0, 0)] * nd
        cfg[ax] = (lo, hi, 0)
        aval = get_aval(array)
        array = lax.pad(array, _zeros((), aval.dtype, aval.weak_type), cfg)
        from xfront.numpy._functional import apply_along_axis

        out = apply_along_axis(lambda v, w=(lo, hi), a=ax: func(v, w, a, kwargs), ax, array)
        if get_aval(out).shape != get_aval(array).shape:
            raise XfrontValueError(
                f"pad: the padding function must return a vector of the same length "
                f"({get_aval(array).shape[ax]}) it was given, got result shape "
                f"{get_aval(out).shape}")
        array = lax.convert_element_type(out, get_aval(array).dtype)
    return array


# ----------------------------------------------------------------------------------------------
# Triangles and diagonals.


def tri(N: int, M: int | None = None, k: int = 0, dtype=None):
    """An N x M array with ones at and below the ``k``-th diagonal (``numpy.tri``)."""
    n = _static_int(N, "tri", "N")
    m = n if M is None else _static_int(M, "tri", "M")
    k = _static_int(k, "tri", "k")
    if n < 0 or m < 0:
        raise XfrontValueError(f"tri: negative dimensions are not allowed ({n}, {m})")
    dt = dtypes.default_float_dtype() if dtype is None else dtypes.canonicalize_dtype(
        dtypes.dtype(dtype))
    mask = lax.ge(lax.add(_iota((n, m), 0), lax.full((), k, dtypes.int32)), _iota((n, m), 1))
    return lax.convert_element_type(mask, dt)


def _tri_mask(name, m, k, lower):
    m = _arr(name, m)
    aval = get_aval(m)
    if aval.ndim < 1:
        raise XfrontValueError(f"{name}: input array must be at least 1-d, got a scalar")
    k = _static_int(k, name, "k")
    if aval.ndim == 1:
        m = lax.broadcast_in_dim(m, (aval.shape[0], aval.shape[0]), (1,))
        aval = get_aval(m)
    r, c = aval.shape[-2:]
    rows = lax.add(_iota((r, c), 0), lax.full((), k, dtypes.int32))
    cols = _iota((r, c), 1)
    mask = lax.ge(rows, cols) if lower else lax.le(rows, cols)
    mask = lax.broadcast_in_dim(mask, aval.shape, (aval.ndim - 2, aval.ndim - 1))
    return lax.select(mask, m, _zeros(aval.shape, aval.dtype, aval.weak_type))


def tril(m, k: int = 0):
    """``m`` with the elements above the ``k``-th diagonal zeroed (last two axes)."""
    return _tri_mask("tril", m, k, True)


def triu(m, k: int = 0):
    """``m`` with the elements below the ``k``-th diagonal zeroed (last two axes)."""
    return _tri_mask("triu", m, k, False)


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The ``offset`` diagonal of the ``axis1`` x ``axis2`` planes, as the last axis
    (``numpy.diagonal``)."""
    a = _arr("diagonal", a)
    aval = get_aval(a)
    if aval.ndim < 2:
        raise XfrontValueError(
            f"diagonal requires an array of at least two dimensions, got shape {aval.shape}")
    offset = _static_int(offset, "diagonal", "offset")
    i = canonical_axis(axis1, aval.ndim, "diagonal")
    j = canonical_axis(axis2, aval.ndim, "diagonal")
    if i == j:
        raise XfrontValueError(f"diagonal: axis1 and axis2 cannot be the same ({axis1})")
    rest = [d for d in range(aval.ndim) if d not in (i, j)]
    a = lax.transpose(a, (*rest, i, j))
    return _last_two_diagonal(a, offset)


def _last_two_diagonal(a, offset):
    """The ``offset`` diagonal of the last two axes: a square block, flattened, read with
    stride n + 1 (one slice, no gather)."""
    aval = get_aval(a)
    *lead, n, m = aval.shape
    lead = tuple(lead)
    if offset >= 0:
        size = builtins.max(0, builtins.min(n, m - offset))
        r0, c0 = 0, offset
    else:
        size = builtins.max(0, builtins.min(n + offset, m))
        r0, c0 = -offset, 0
    nl = len(lead)
    if size == 0:
        return lax.reshape(lax.slice(a, (0,) * (nl + 2), lead + (0, 0)), lead + (0,))
    block = lax.slice(a, (0,) * nl + (r0, c0), lead + (r0 + size, c0 + size))
    flat = lax.reshape(block, lead + (size * size,))
    return lax.slice(flat, (0,) * (nl + 1), lead + (size * size,), (1,) * nl + (size + 1,))


def trace(a, offset: int = 0, axis1: int = 0, axis2: int = 1, dtype=None, out=None):
    """Sum along the ``offset`` diagonal (``numpy.trace``)."""
    from xfront.numpy._reductions import sum as _sum
    from xfront.numpy._util import check_no_out

    check_no_out("trace", out)
    d = diagonal(a, offset, axis1, axis2)
    return _sum(d, axis=-1, dtype=dtype)


def diag(v, k: int = 0):
    """The ``k``-th diagonal of a 2-D ``v``, or a 2-D array with the 1-D ``v`` on its
    ``k``-th diagonal (``numpy.diag``)."""
    v = _arr("diag", v)
    aval = get_aval(v)
    k = _static_int(k, "diag", "k")
    if aval.ndim == 2:
        return diagonal(v, k)
    if aval.ndim != 1:
        raise XfrontValueError(f"diag: input must be 1-d or 2-d, got shape {aval.shape}")
    n = aval.shape[0] + builtins.abs(k)
    # Row i of the result holds v[i] on the diagonal (k >= 0); column j holds v[j] (k < 0).
    vv = lax.pad(v, _zeros((), aval.dtype, aval.weak_type), [(0, builtins.abs(k), 0)])
    b = lax.broadcast_in_dim(vv, (n, n), (0,) if k >= 0 else (1,))
    mask = lax.eq(lax.add(_iota((n, n), 0), lax.full((), k, dtypes.int32)), _iota((n, n), 1))
    return lax.select(mask, b, _zeros((n, n), aval.dtype, aval.weak_type))


def diagflat(v, k: int = 0):
    """A 2-D array with the flattened ``v`` on its ``k``-th diagonal."""
    v = _arr("diagflat", v)
    return diag(lax.reshape(v, (get_aval(v).size,)), k)


def fill_diagonal(a, val, wrap: bool = False, *, inplace: bool = True):
    """A copy of ``a`` with its main diagonal set to ``val`` (``numpy.fill_diagonal``; xfront
    arrays are immutable, so ``inplace=False`` is required, as in JAX). ``val`` is repeated
    cyclically; tall matrices wrap past N columns when ``wrap``."""
    if inplace:
        raise NotImplementedError(
            "fill_diagonal: xfront arrays are immutable; pass inplace=False and use the "
            "returned array")
    check_arraylike("fill_diagonal", a, val)
    a = _traced(a)
    aval = get_aval(a)
    if aval.ndim < 2:
        raise XfrontValueError(f"fill_diagonal: array must be at least 2-d, got {aval.shape}")
    if aval.ndim == 2:
        step = aval.shape[1] + 1
        end = aval.size if wrap else builtins.min(aval.size, aval.shape[1] * aval.shape[1])
    else:
        if len(set(aval.shape)) != 1:
            raise XfrontValueError(
                f"fill_diagonal: all dimensions of input must be of equal length, got "
                f"{aval.shape}")
        step = 1 + int(np.cumprod(aval.shape[:-1]).sum())
        end = aval.size
    count = len(range(0, end, step))
    flat = lax.reshape(a, (aval.size,))
    if count == 0:
        return a
    val = _traced(_convert_element_type(val, aval.dtype, aval.weak_type))
    vflat = lax.reshape(val, (get_aval(val).size,))
    if get_aval(vflat).size == 0:
        return a
    vals = resize(vflat, (count,))
    # Spread the values over the flat positions 0, step, 2*step, ... with interior padding.
    tail = aval.size - ((count - 1) * step + 1)
    zero = _zeros((), aval.dtype, aval.weak_type)
    spread = lax.pad(vals, zero, [(0, tail, step - 1)])
    mask = lax.pad(lax.full((count,), True), lax.full((), False), [(0, tail, step - 1)])
    return lax.reshape(lax.select(mask, spread, flat), aval.shape)


def vander(x, N: int | None = None, increasing: bool = False):
    """The Vandermonde matrix of the 1-D ``x``: columns are powers of ``x``, decreasing
    unless ``increasing``."""
    x = _arr("vander", x)
    aval = get_aval(x)
    if aval.ndim != 1:
        raise XfrontValueError(f"vander: x must be a one-dimensional array, got {aval.shape}")
    n = aval.shape[0] if N is None else _static_int(N, "vander", "N")
    if n < 0:
        raise XfrontValueError(f"vander: N must be nonnegative, got {n}")
    if dtypes.is_bool(aval.dtype):
        x = lax.convert_element_type(x, dtypes.default_int_dtype())
        aval = get_aval(x)
    cols, p = [], lax.full_like(x, 1)
    for i in range(n):
        cols.append(p)
        if i + 1 < n:
            p = lax.mul(p, x)
    if not cols:
        return _zeros((aval.shape[0], 0), aval.dtype, aval.weak_type)
    if not increasing:
        cols = cols[::-1]
    return lax.concatenate([lax.reshape(c, (aval.shape[0], 1)) for c in cols], 1)


# ----------------------------------------------------------------------------------------------
# Grids.


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    """Coordinate matrices from 1-D coordinate vectors (``numpy.meshgrid``); 'xy' indexing
    swaps the first two output axes."""
    if indexing not in ("xy", "ij"):
        raise XfrontValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    check_arraylike("meshgrid", *xi)
    xs = [_traced(x) for x in xi]
    for i, x in enumerate(xs):
        if get_aval(x).ndim != 1:
            raise XfrontValueError(
                f"meshgrid: arguments must be 1-D, argument {i} has shape {get_aval(x).shape}")
    n = len(xs)
    sizes = [get_aval(x).shape[0] for x in xs]
    if indexing == "xy" and n >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    out = []
    for i, x in enumerate(xs):
        dim = i
        if indexing == "xy" and n >= 2 and i < 2:
            dim = 1 - i
        if sparse:
            shape = [1] * n
            shape[dim] = get_aval(x).shape[0]
            out.append(lax.reshape(x, tuple(shape)))
        else:
            out.append(lax.broadcast_in_dim(x, tuple(sizes), (dim,)))
    return out


def _slice_grid(s: slice):
    """The 1-D values NumPy's index tricks make from a slice (a complex step is a count)."""
    start = 0 if s.start is None else s.start
    step = 1 if s.step is None else s.step
    stop = s.stop
    for v in (start, stop, step):
        if isinstance(v, Tracer):
            raise concretization_error(v, "mgrid/ogrid/r_: slice bounds")
    if stop is None:
        raise XfrontValueError("mgrid/ogrid/r_: slices need a stop value")
    if isinstance(step, complex | np.complexfloating):
        from xfront.numpy._creation import linspace

        return linspace(start, stop, int(builtins.abs(step)), endpoint=True)
    from xfront.numpy._creation import arange

    return arange(start, stop, step)


class _Grid:
    """``mgrid`` (dense) and ``ogrid`` (sparse): ``xnp.mgrid[0:3, 0:1:5j]``."""

    def __init__(self, sparse: bool, name: str):
        self.sparse = sparse
        self.name = name

    def __getitem__(self, key):
        if isinstance(key, slice):
            return _slice_grid(key)
        if not isinstance(key, tuple):
            raise XfrontTypeError(f"{self.name}: index with slices, got {key!r}")
        vals = [_slice_grid(k) if isinstance(k, slice) else None for k in key]
        if builtins.any(v is None for v in vals):
            raise XfrontTypeError(f"{self.name}: every index must be a slice, got {key!r}")
        vals = list(promote_dtypes(*vals))
        out = meshgrid(*vals, indexing="ij", sparse=self.sparse)
        if self.sparse:
            return out
        from xfront.numpy._shape import stack

        return stack(out, 0)

    def __repr__(self):
        return f"xfront.numpy.{self.name}"


mgrid = _Grid(False, "mgrid")
ogrid = _Grid(True, "ogrid")


_directive = re.compile(r"^\s*(-?\d+)\s*(?:,\s*(-?\d+)\s*)?(?:,\s*(-?\d+)\s*)?$")


class _Concatenator:
    """``r_`` and ``c_``: slices become ranges (``a:b:nj`` is linspace), scalars and lists
    become arrays, then all are concatenated; a leading string 'axis[,ndmin[,trans1d]]'
    sets where 1-D items go (as NumPy's ``AxisConcatenator``)."""

    def __init__(self, axis: int, ndmin: int, trans1d: int, name: str):
        self.axis, self.ndmin, self.trans1d, self.name = axis, ndmin, trans1d, name

    def __getitem__(self, key):
        from xfront.numpy._creation import array
        from xfront.numpy._shape import concatenate

        if not isinstance(key, tuple):
            key = (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        items = list(key)
        if items and isinstance(items[0], str):
            spec = items.pop(0)
            if spec in ("r", "c"):
                # NumPy returns a matrix; xfront (as JAX) returns a 2-D array.
                ndmin = 2
                trans1d = -1 if spec == "r" else 0
            else:
                m = _directive.match(spec)
                if not m:
                    raise XfrontValueError(f"{self.name}: unknown directive {spec!r}")
                axis = int(m.group(1))
                if m.group(2) is not None:
                    ndmin = int(m.group(2))
                if m.group(3) is not None:
                    trans1d = int(m.group(3))
        arrays = []
        for item in items:
            if isinstance(item, str):
                raise XfrontValueError(
                    f"{self.name}: a string directive must be the first item, got {item!r}")
            if isinstance(item, slice):
                a = _slice_grid(item)
            elif is_arraylike(item) or isinstance(item, list | tuple):
                a = array(item, copy=False)
            else:
                raise XfrontTypeError(f"{self.name}: cannot concatenate {item!r}")
            a = _traced(a)
            nd = get_aval(a).ndim
            if nd < ndmin:
                shape = get_aval(a).shape
                # trans1d says where the original dims go in the ndmin-dim result (counted
                # from the end when negative: -1 puts them last).
                room = ndmin - nd
                pos = trans1d if trans1d >= 0 else trans1d + room + 1
                pos = builtins.max(0, builtins.min(pos, room))
                new = [1] * ndmin
                new[pos:pos + nd] = shape
                a = lax.reshape(a, tuple(new))
            arrays.append(a)
        if not arrays:
            from xfront.numpy._creation import zeros

            return zeros((0,))
        return concatenate(arrays, axis)

    def __repr__(self):
        return f"xfront.numpy.{self.name}"


r_ = _Concatenator(0, 1, -1, "r_")
c_ = _Concatenator(-1, 2, 0, "c_")


# ----------------------------------------------------------------------------------------------
# append, insert, delete, block, trim_zeros.


def append(arr, values, axis: int | None = None):
    """``values`` appended to ``arr`` (both flattened when ``axis`` is None)."""
    from xfront.numpy._shape import concatenate

    check_arraylike("append", arr, values)
    arr, values = promote_dtypes(arr, values)
    arr, values = _traced(arr), _traced(values)
    if axis is None:
        return concatenate([lax.reshape(arr, (get_aval(arr).size,)),
                            lax.reshape(values, (get_aval(values).size,))], 0)
    return concatenate([arr, values], axis)


def _axis_indices(obj, n: int, name: str) -> np.ndarray:
    """Static indices from a slice, int or sequence (negative ones wrapped)."""
    if isinstance(obj, slice):
        return np.arange(n)[obj]
    idx = _concrete(obj, name, "indices (obj)")
    if idx.dtype == np.bool_:
        if idx.shape != (n,):
            raise XfrontValueError(
                f"{name}: boolean obj must have shape ({n},), got {idx.shape}")
        return np.nonzero(idx)[0]
    if idx.size and idx.dtype.kind not in "iu":
        raise XfrontIndexError(f"{name}: indices must be integers, got dtype {idx.dtype}")
    return idx.astype(np.int64)


def delete(arr, obj, axis: int | None = None, *, assume_unique_indices: bool = False):
    """``arr`` without the entries ``obj`` (an int, slice, sequence or boolean mask) along
    ``axis`` (the flattened array when None). Traced indices need
    ``assume_unique_indices=True`` (the output size is then ``n - len(obj)``)."""
    a = _arr("delete", arr)
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    aval = get_aval(a)
    axis = canonical_axis(axis, aval.ndim, "delete")
    n = aval.shape[axis]
    if _is_traced(obj):
        if not assume_unique_indices:
            raise concretization_error(
                obj, "delete: indices (obj) (pass assume_unique_indices=True to delete "
                "traced unique indices)")
        return _delete_traced(a, _traced(obj), axis, n)
    idx = _axis_indices(obj, n, "delete")
    if idx.size and ((idx < -n).any() or (idx >= n).any()):
        raise XfrontIndexError(
            f"delete: index {idx[(idx < -n) | (idx >= n)][0]} is out of bounds for axis "
            f"{axis} with size {n}")
    keep = np.ones(n, bool)
    keep[idx % n if n else idx] = False
    return _take_static(a, np.nonzero(keep)[0], axis)


def _delete_traced(a, obj, axis, n):
    """Deletes the ``k`` unique traced indices: kept element i goes to output position
    (number of kept elements before it); deleted ones go to a discarded extra slot."""
    from xfront.numpy._ufuncs import remainder

    obj = lax.reshape(obj, (get_aval(obj).size,))
    k = get_aval(obj).shape[0]
    m = n - k
    obj = remainder(lax.convert_element_type(obj, dtypes.int32), n)
    removed = _scatter_add_1d(_zeros((n,), dtypes.int32), obj,
                              lax.full((k,), 1, dtypes.int32))
    kept = lax.eq(removed, lax.full((), 0, dtypes.int32))
    dest = lax.sub(lax.cumsum(lax.convert_element_type(kept, dtypes.int32), 0),
                   lax.full((), 1, dtypes.int32))
    dest = lax.select(kept, dest, lax.full((n,), m, dtypes.int32))
    src = _scatter_add_1d(_zeros((m + 1,), dtypes.int32), dest, lax.iota(dtypes.int32, n))
    return _take_dynamic(a, lax.slice_in_dim(src, 0, m, 1, 0), axis)


def insert(arr, obj, values, axis: int | None = None):
    """``values`` inserted before the indices ``obj`` along ``axis`` (``numpy.insert``). A
    traced scalar ``obj`` is supported (static sequences and slices otherwise)."""
    a = _arr("insert", arr)
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    aval = get_aval(a)
    axis = canonical_axis(axis, aval.ndim, "insert")
    n = aval.shape[axis]
    if isinstance(values, list | tuple):
        values = np.asarray(values)
    check_arraylike("insert", values)
    values = _traced(_convert_element_type(values, aval.dtype, aval.weak_type))
    vnd = get_aval(values).ndim
    if _is_traced(obj):
        if get_aval(obj).ndim != 0:
            raise concretization_error(obj, "insert: indices (obj) (only a traced scalar is "
                                       "supported)")
        return _insert_traced(a, _traced(obj), values, axis, n)
    scalar = not isinstance(obj, slice) and np.ndim(_concrete(obj, "insert", "obj")) == 0
    idx = _axis_indices(obj, n, "insert").reshape(-1)
    if idx.size and ((idx < -n).any() or (idx > n).any()):
        raise XfrontIndexError(
            f"insert: index {idx[(idx < -n) | (idx > n)][0]} is out of bounds for axis {axis} "
            f"with size {n}")
    idx = np.where(idx < 0, idx + n, idx)
    if idx.size == 1:
        # One insertion point: values keep their own length along the axis.
        shape = (1,) * (aval.ndim - vnd) + get_aval(values).shape if vnd < aval.ndim else \
            get_aval(values).shape
        values = lax.reshape(values, shape)
        if scalar:
            values = _moveaxis(values, 0, axis)
        vshape = get_aval(values).shape
        numnew = vshape[axis]
        target = list(aval.shape)
        target[axis] = numnew
        values = _broadcast_checked(values, target, "insert", aval.shape)
        pos = int(idx[0])
        return lax.concatenate([lax.slice_in_dim(a, 0, pos, 1, axis), values,
                                lax.slice_in_dim(a, pos, n, 1, axis)], axis)
    numnew = idx.size
    target = list(aval.shape)
    target[axis] = numnew
    values = _broadcast_checked(values, target, "insert", aval.shape)
    # Positions of the new entries in the result (stable for equal indices), as NumPy.
    order = np.argsort(idx, kind="stable")
    new_pos = np.empty(numnew, np.int64)
    new_pos[order] = idx[order] + np.arange(numnew)
    src = np.empty(n + numnew, np.int64)
    is_new = np.zeros(n + numnew, bool)
    is_new[new_pos] = True
    src[new_pos] = n + np.arange(numnew)
    src[~is_new] = np.arange(n)
    return _take_static(lax.concatenate([a, values], axis), src, axis)


def _broadcast_checked(values, target, name, arr_shape):
    try:
        shape = broadcast_shapes(get_aval(values).shape, tuple(target))
        if shape != tuple(target):
            raise XfrontValueError("")
    except XfrontValueError:
        raise XfrontValueError(
            f"{name}: values of shape {get_aval(values).shape} cannot be broadcast to "
            f"{tuple(target)} (array of shape {arr_shape})") from None
    return broadcast_to(values, tuple(target))


def _insert_traced(a, pos, values, axis, n):
    from xfront.numpy._ufuncs import where

    aval = get_aval(a)
    vnd = get_aval(values).ndim
    if vnd < aval.ndim:
        values = lax.reshape(values, (1,) * (aval.ndim - vnd) + get_aval(values).shape)
    values = _moveaxis(values, 0, axis) if vnd else values
    numnew = get_aval(values).shape[axis]
    target = list(aval.shape)
    target[axis] = numnew
    values = _broadcast_checked(values, target, "insert", aval.shape)
    pos = lax.convert_element_type(pos, dtypes.int32)
    pos = where(lax.lt(pos, lax.full((), 0, dtypes.int32)), lax.add(pos, n), pos)
    pos = lax.clamp(lax.full((), 0, dtypes.int32), pos, lax.full((), n, dtypes.int32))
    out_shape = list(aval.shape)
    out_shape[axis] = n + numnew
    zero = _zeros((), aval.dtype, aval.weak_type)
    cfg = [(0, 0, 0)] * aval.ndim
    cfg[axis] = (0, numnew, 0)
    head = lax.pad(a, zero, cfg)
    cfg[axis] = (numnew, 0, 0)
    tail = lax.pad(a, zero, cfg)
    starts = [lax.full((), 0, dtypes.int32)] * aval.ndim
    starts[axis] = pos
    middle = lax.dynamic_update_slice(_zeros(out_shape, aval.dtype, aval.weak_type), values,
                                      starts)
    j = _iota(out_shape, axis)
    posb = lax.broadcast_in_dim(pos, tuple(out_shape), ())
    end = lax.add(posb, lax.full((), numnew, dtypes.int32))
    return lax.select(lax.lt(j, posb), head, lax.select(lax.lt(j, end), middle, tail))


def block(arrays):
    """Assembles an array from nested lists of blocks (``numpy.block``): the innermost lists
    are joined along the last axis, the next ones along the second-to-last, and so on."""
    from xfront.numpy._shape import concatenate

    def depth(x, path):
        if isinstance(x, tuple):
            raise XfrontTypeError(
                f"block: arrays is a tuple at {path}; only lists can be used to arrange "
                "blocks")
        if isinstance(x, list):
            if not x:
                raise XfrontValueError(f"block: list at {path} cannot be empty")
            ds = [depth(e, f"{path}[{i}]") for i, e in enumerate(x)]
            if len(set(d for d, _ in ds)) != 1:
                raise XfrontValueError(
                    f"block: list depths are mismatched at {path}: got depths "
                    f"{[d for d, _ in ds]}")
            return ds[0][0] + 1, builtins.max(n for _, n in ds)
        check_arraylike("block", x)
        return 0, get_aval(x).ndim

    d, max_nd = depth(arrays, "arrays")
    nd = builtins.max(d, max_nd)
    leaves = []

    def collect(x):
        if isinstance(x, list):
            for e in x:
                collect(e)
        else:
            leaves.append(x)

    collect(arrays)
    promoted = iter(promote_dtypes(*leaves))

    def build(x, level):
        if isinstance(x, list):
            parts = [build(e, level + 1) for e in x]
            return concatenate(parts, axis=-(d - level))
        a = _traced(next(promoted))
        s = get_aval(a).shape
        return lax.reshape(a, (1,) * (nd - len(s)) + s)

    return build(arrays, 0)


def trim_zeros(filt, trim: str = "fb", axis=None):
    """``filt`` without its leading ('f') and/or trailing ('b') zeros (needs a concrete
    array: the result's size depends on the values)."""
    a = _arr("trim_zeros", filt)
    trim = trim.lower()
    if not set(trim) <= {"f", "b"}:
        raise XfrontValueError(f"trim_zeros: trim must contain only 'f' and 'b', got {trim!r}")
    v = _concrete(a, "trim_zeros", "filt")
    if v.ndim == 0:
        raise XfrontValueError("trim_zeros: filt must be at least 1-d")
    axes = canonical_axes(axis, v.ndim, "trim_zeros")
    starts, stops = [0] * v.ndim, list(v.shape)
    nz = np.nonzero(v)
    for ax in axes:
        if nz[ax].size == 0:  # all zeros: nothing is left along the trimmed axes
            starts[ax] = stops[ax] = 0
            continue
        if "f" in trim:
            starts[ax] = int(nz[ax].min())
        if "b" in trim:
            stops[ax] = int(nz[ax].max()) + 1
    return lax.slice(a, tuple(starts), tuple(stops))


# ----------------------------------------------------------------------------------------------
# Differences.


def diff(a, n: int = 1, axis: int = -1, prepend=None, append=None):
    """The ``n``-th discrete difference along ``axis``, after optionally joining
    ``prepend``/``append`` (scalars broadcast to one slice); booleans use ``!=``."""
    a = _arr("diff", a)
    aval = get_aval(a)
    if aval.ndim == 0:
        raise XfrontValueError("diff requires input that is at least one dimensional")
    n = _static_int(n, "diff", "n")
    if n < 0:
        raise XfrontValueError(f"diff: order must be non-negative but got {n}")
    if n == 0:
        return a
    axis = canonical_axis(axis, aval.ndim, "diff")
    parts = []
    for extra in (prepend, append):
        if extra is None:
            parts.append(None)
            continue
        e = _arr_or_list("diff", extra)
        if get_aval(e).ndim == 0:
            shape = list(aval.shape)
            shape[axis] = 1
            e = broadcast_to(e, tuple(shape))
        parts.append(e)
    if parts[0] is not None or parts[1] is not None:
        arrs = [p for p in (parts[0], a, parts[1]) if p is not None]
        arrs = [_traced(x) for x in promote_dtypes(*arrs)]
        for x in arrs:
            if get_aval(x).ndim != aval.ndim:
                raise XfrontValueError(
                    f"diff: prepend/append must have the same number of dimensions as a "
                    f"({aval.shape}), got {get_aval(x).shape}")
        a = lax.concatenate(arrs, axis)
    from xfront.numpy._ufuncs import not_equal, subtract

    op = not_equal if get_aval(a).dtype == dtypes.bool_ else subtract
    for _ in range(n):
        m = get_aval(a).shape[axis]
        if m == 0:
            break
        a = op(lax.slice_in_dim(a, 1, m, 1, axis), lax.slice_in_dim(a, 0, m - 1, 1, axis))
    return a


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences between consecutive elements of the flattened ``ary``, with
    ``to_begin``/``to_end`` joined."""
    a = _arr("ediff1d", ary)
    a = lax.reshape(a, (get_aval(a).size,))
    d = diff(a) if get_aval(a).size else a
    parts = [d]
    aval = get_aval(d)
    if to_begin is not None:
        b = _arr_or_list("ediff1d", to_begin)
        parts.insert(0, lax.reshape(b, (get_aval(b).size,)))
    if to_end is not None:
        e = _arr_or_list("ediff1d", to_end)
        parts.append(lax.reshape(e, (get_aval(e).size,)))
    parts = [_traced(_convert_element_type(p, aval.dtype, aval.weak_type))
             for p in parts]
    return parts[0] if len(parts) == 1 else lax.concatenate(parts, 0)
