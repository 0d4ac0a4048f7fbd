"""NumPy indexing of xfront arrays: ``x[idx]`` and ``x.at[idx].set/add/.../get``.

Basic indices (static ints, slices, None, Ellipsis, integer scalars known at run time only)
become one ``slice`` / ``rev``, a ``dynamic_slice`` and a ``reshape``. Anything else (integer
arrays and lists, boolean scalars, boolean masks with a concrete value) becomes one ``gather``;
indexed updates become one scatter. NumPy's rules apply: negative indices count from the end,
advanced indices broadcast together, and their dimensions replace the indexed ones where the
advanced indices sit if they are adjacent, or go first if a slice or None separates them (integer
scalars count as advanced indices when arrays are present). A boolean mask is converted to the
integer indices of its True entries, which needs its value: a traced mask is an error that points
to ``where`` and ``nonzero(..., size=)``.

Out of bounds: static indices (Python ints, lists, NumPy arrays) raise ``IndexError`` as in NumPy
unless a ``mode`` is given; indices known only at run time follow JAX: reads clamp (``mode=None``,
"clip", "promise_in_bounds") or read ``fill_value`` ("fill"), updates are dropped (``mode=None``,
"drop") or clamped ("clip").
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from xfront import lax
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.errors import XfrontIndexError, XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, concretization_error, get_aval
from xfront.lax.elementwise import _const, _convert_element_type
from xfront.lax.indexing import GatherDimensionNumbers, GatherScatterMode, ScatterDimensionNumbers


def _is_dynamic_int(i) -> bool:
    if isinstance(i, Tracer | Array):
        aval = get_aval(i)
        return aval.shape == () and dtypes.is_int(aval.dtype)
    return False


def _is_static_int(i) -> bool:
    return isinstance(i, int | np.integer) and not isinstance(i, bool | np.bool_)


def _host_int(i):
    """A 0-d NumPy integer array is an integer index (as in NumPy and JAX)."""
    if isinstance(i, np.ndarray) and i.shape == () and i.dtype.kind in "iu":
        return i[()]
    return i


# ----------------------------------------------------------------------------------------------
# Classifying the index items.

_NEW, _SLICE, _INT, _ARRAY, _MASK, _SCALAR_BOOL = range(6)


def _classify(item, what: str):
    """(kind, value) for one item of an index tuple."""
    item = _host_int(item)
    if item is None:
        return _NEW, None
    if item is Ellipsis:
        return Ellipsis, None
    if isinstance(item, slice):
        return _SLICE, item
    if isinstance(item, bool | np.bool_):
        return _SCALAR_BOOL, bool(item)
    if _is_static_int(item):
        return _INT, int(item)
    if isinstance(item, list | tuple):
        item = _sequence_index(item)
    if isinstance(item, np.ndarray):
        if item.dtype == np.bool_:
            return (_SCALAR_BOOL, bool(item)) if item.ndim == 0 else (_MASK, item)
        if item.dtype.kind in "iu":
            return _ARRAY, item
        raise _bad_array_index(item.dtype)
    if isinstance(item, Tracer | Array):
        aval = get_aval(item)
        if dtypes.is_bool(aval.dtype):
            if isinstance(item, Tracer):
                raise _traced_mask_error(item, what)
            value = np.asarray(item)
            return (_SCALAR_BOOL, bool(value)) if value.ndim == 0 else (_MASK, value)
        if dtypes.is_int(aval.dtype):
            return _ARRAY, item
        raise _bad_array_index(aval.dtype)
    raise XfrontIndexError(
        f"{what}: only integers, slices (':'), ellipsis ('...'), None, booleans and integer or "
        f"boolean arrays are valid indices, got {item!r} of type {type(item).__name__}")


def _sequence_index(seq):
    """A list (or a tuple inside the index tuple) used as an index: an array, as in NumPy."""
    from xfront.numpy._creation import _contains_traced, asarray

    if _contains_traced(seq):
        return asarray(seq)
    arr = np.asarray(seq)
    if arr.size == 0 and arr.dtype.kind == "f":  # [] indexes nothing (NumPy: intp)
        arr = arr.astype(np.int64)
    return arr


def _bad_array_index(dt) -> Exception:
    return XfrontIndexError(
        f"arrays used as indices must be of integer or boolean type, got dtype {dt}")


def _traced_mask_error(mask, what: str) -> Exception:
    aval = get_aval(mask)
    base = concretization_error(mask, f"{what}: a boolean index of type {aval.str_short()}")
    return XfrontIndexError(
        f"{what}: boolean (mask) indexing with a traced mask of type {aval.str_short()} is not "
        "possible: the result's shape would depend on how many entries are True, which is only "
        "known when the program runs. Instead:\n"
        "  - to keep the shape, select with xfront.numpy.where(mask, x, other) (or "
        "x.at[...] with where);\n"
        "  - for a static number of results, pass size=: "
        "x[xfront.numpy.nonzero(mask, size=N, fill_value=...)];\n"
        "  - for reductions, use the where= argument (x.sum(where=mask)).\n"
        f"(detail: {base})")


class _Entry(NamedTuple):
    kind: int
    dim: int  # the operand dimension it indexes (-1 for None)
    value: object  # slice: (start, step, length); int/array: the index values


def _expand(x_shape, idx, what: str, check_bounds: bool):
    """The index as a list of entries on an operand of shape ``x_shape`` with the scalar
    booleans' new axes inserted (also returned: where to insert them)."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    items = [_classify(i, what) for i in idx]
    if sum(1 for k, _ in items if k is Ellipsis) > 1:
        raise XfrontIndexError(f"{what}: an index can only have a single ellipsis ('...')")
    consumed = sum(v.ndim if k == _MASK else 1 for k, v in items
                   if k in (_SLICE, _INT, _ARRAY, _MASK))
    ndim = len(x_shape)
    if consumed > ndim:
        raise XfrontIndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {consumed} were "
            "indexed")
    full = []
    for k, v in items:
        if k is Ellipsis:
            full.extend([(_SLICE, slice(None))] * (ndim - consumed))
        else:
            full.append((k, v))
    if not any(k is Ellipsis for k, _ in items):
        full.extend([(_SLICE, slice(None))] * (ndim - consumed))
    entries, bool_axes = [], []
    shape = []  # the operand's shape with the scalar booleans' axes
    src = 0
    for k, v in full:
        if k == _NEW:
            entries.append(_Entry(_NEW, -1, None))
        elif k == _SCALAR_BOOL:
            bool_axes.append(len(shape))
            entries.append(_Entry(_ARRAY, len(shape), np.zeros((1 if v else 0,), np.int64)))
            shape.append(1)
        elif k == _MASK:
            dims = x_shape[src:src + v.ndim]
            if tuple(dims) != v.shape:
                for j, (a, b) in enumerate(zip(dims, v.shape)):
                    if a != b:
                        raise XfrontIndexError(
                            f"boolean index did not match indexed array along axis {src + j}; "
                            f"size of axis is {a} but size of corresponding boolean axis is "
                            f"{b}")
            for j, nz in enumerate(np.nonzero(v)):
                entries.append(_Entry(_ARRAY, len(shape), nz))
                shape.append(x_shape[src + j])
            src += v.ndim
        else:
            size = x_shape[src]
            if k == _SLICE:
                entries.append(_Entry(_SLICE, len(shape), _slice_args(v, size, src)))
            elif k == _INT:
                entries.append(_Entry(_INT, len(shape), _static_ints(v, size, src,
                                                                    check_bounds)))
            elif isinstance(v, np.ndarray):
                entries.append(_Entry(_ARRAY, len(shape), _static_ints(v, size, src,
                                                                      check_bounds)))
            else:
                entries.append(_Entry(_ARRAY, len(shape), v))
            shape.append(size)
            src += 1
    return entries, tuple(shape), bool_axes


def _static_ints(v, size: int, dim: int, check_bounds: bool):
    a = np.asarray(v)
    if check_bounds and a.size:
        bad = (a < -size) | (a >= size)
        if bad.any():
            i = int(a[bad].flat[0])
            raise XfrontIndexError(f"index {i} is out of bounds for axis {dim} with size {size}")
    a = a.astype(np.int64)
    a = np.where(a < 0, a + size, a)
    return int(a) if isinstance(v, int) else a


def _slice_args(s: slice, size: int, dim: int):
    """(start, step, length) of a slice on an axis of ``size``."""
    s = slice(*(_slice_bound(v, dim) for v in (s.start, s.stop, s.step)))
    if s.step == 0:
        raise XfrontValueError("slice step cannot be zero")
    lo, hi, st = s.indices(size)
    return lo, st, len(range(lo, hi, st))


def _slice_bound(v, dim: int):
    v = _host_int(v)
    if v is None or _is_static_int(v):
        return v
    if isinstance(v, Array) and _is_dynamic_int(v):  # a concrete integer scalar (as NumPy)
        return int(v)
    if isinstance(v, Tracer | Array):
        raise XfrontIndexError(
            f"slice bounds must be static Python ints, got a traced or array value "
            f"on axis {dim}; use lax.dynamic_slice for runtime start indices")
    raise XfrontTypeError(f"slice indices must be integers or None, got {v!r}")


# ----------------------------------------------------------------------------------------------
# Basic indexing (no arrays): slices, reversals, a dynamic_slice and a reshape.


def _basic_getitem(x, entries):
    aval = get_aval(x)
    sliced, dyn, out_shape = [], {}, []
    for e in entries:
        if e.kind == _NEW:
            out_shape.append(1)
        elif e.kind == _SLICE:
            sliced.append(e)
            out_shape.append(e.value[2])
        elif e.kind == _INT:  # in bounds, or clamped as XLA's gather would (explicit mode)
            size = aval.shape[e.dim]
            if size == 0:
                raise XfrontIndexError(f"index {e.value} is out of bounds for axis {e.dim} "
                                       "with size 0")
            sliced.append(e._replace(value=(min(max(e.value, 0), size - 1), 1, 1)))
        else:  # a 0-d integer known at run time
            dyn[e.dim] = e.value
    x = _apply_slices(x, sliced, aval.shape)
    if dyn:
        x = _dynamic_index(x, dyn)
    return lax.reshape(x, tuple(out_shape)) if get_aval(x).shape != tuple(out_shape) else x


def _normalize_dynamic(i, size: int, dt=None):
    """A runtime index with negative values counted from the end."""
    dt = dt or (get_aval(i).dtype if get_aval(i).dtype.itemsize >= 4 else dtypes.int32)
    if get_aval(i).dtype != dt:
        i = lax.convert_element_type(i, dt)
    if dtypes.is_signed_int(dt):
        i = lax.select(lax.lt(i, _const(i, 0)), lax.add(i, _const(i, size)), i)
    return i


def _dynamic_index(x, dyn: dict):
    aval = get_aval(x)
    starts, sizes = [], []
    for d, size in enumerate(aval.shape):
        if d in dyn:
            # Negative indices count from the end; out-of-range ones clamp (XLA semantics).
            starts.append(_normalize_dynamic(dyn[d], size))
            sizes.append(1)
        else:
            starts.append(0)
            sizes.append(size)
    return lax.dynamic_slice(x, starts, sizes)


# ----------------------------------------------------------------------------------------------
# Advanced indexing: one gather (or scatter).


class _Plan(NamedTuple):
    indices: object  # (*index_batch, k) int array: NumPy when every index is static
    dnums: GatherDimensionNumbers
    slice_sizes: tuple
    gather_shape: tuple  # the gather's result shape
    result_shape: tuple  # x[idx].shape (with the None axes)
    unique: bool  # no two index vectors address the same element


def _index_shape(v) -> tuple:
    return np.shape(v) if isinstance(v, np.ndarray | int) else get_aval(v).shape


def _plan(shape, entries, *, strided_as_batch: bool) -> _Plan:
    """The gather computing ``x[idx]`` on an operand of ``shape`` (after the scalar booleans'
    axes are inserted). Slices of step 1 are windows; other slices are index batch dimensions
    when ``strided_as_batch`` (for scatters) and must otherwise already be applied."""
    adv = [i for i, e in enumerate(entries) if e.kind in (_INT, _ARRAY)]
    adv_shapes = [_index_shape(entries[i].value) for i in adv]
    try:
        bshape = tuple(np.broadcast_shapes(*adv_shapes)) if adv else ()
    except ValueError:
        raise XfrontIndexError(
            "shape mismatch: indexing arrays could not be broadcast together with shapes "
            + " ".join(str(s) for s in adv_shapes)) from None
    adjacent = not adv or adv == list(range(adv[0], adv[-1] + 1))
    # The result's dimensions in order: ("b", k) for the broadcast advanced dims, ("s", entry)
    # for slices, ("n",) for None.
    layout = []
    if adv and not adjacent:
        layout += [("b", k) for k in range(len(bshape))]
    for i, e in enumerate(entries):
        if e.kind == _NEW:
            layout.append(("n",))
        elif e.kind == _SLICE:
            layout.append(("s", i))
        elif adjacent and i == adv[0]:
            layout += [("b", k) for k in range(len(bshape))]
    result_shape = tuple(1 if t[0] == "n" else bshape[t[1]] if t[0] == "b"
                         else entries[t[1]].value[2] for t in layout)
    layout = [t for t in layout if t[0] != "n"]

    def is_window(e):
        return e.value[1] == 1 or not strided_as_batch

    batch_pos = [p for p, t in enumerate(layout)
                 if t[0] == "b" or not is_window(entries[t[1]])]
    ib_shape = tuple(bshape[t[1]] if t[0] == "b" else entries[t[1]].value[2]
                     for t in (layout[p] for p in batch_pos))
    b0 = next((j for j, p in enumerate(batch_pos) if layout[p][0] == "b"), 0)
    comps, start_map, collapsed, slice_sizes = [], [], [], list(shape)
    for i in adv:
        e = entries[i]
        v = e.value
        nd = len(_index_shape(v))
        dims = tuple(b0 + len(bshape) - nd + j for j in range(nd))
        comps.append((v, dims, shape[e.dim]))
        start_map.append(e.dim)
        collapsed.append(e.dim)
        slice_sizes[e.dim] = 1
    offset_dims = []
    for p, t in enumerate(layout):
        if t[0] != "s":
            continue
        e = entries[t[1]]
        start, step, n = e.value
        if is_window(e):
            offset_dims.append(p)
            slice_sizes[e.dim] = n
            if n != shape[e.dim]:
                comps.append((np.asarray(start, np.int64), (), None))
                start_map.append(e.dim)
        else:
            j = batch_pos.index(p)
            comps.append((start + step * np.arange(n, dtype=np.int64), (j,), None))
            start_map.append(e.dim)
            collapsed.append(e.dim)
            slice_sizes[e.dim] = 1
    indices = _stack_components(comps, ib_shape, shape)
    gather_shape = tuple(ib_shape[batch_pos.index(p)] if p in batch_pos
                         else slice_sizes[entries[t[1]].dim] for p, t in enumerate(layout))
    # One index vector, or static ones, tell whether two windows overlap.
    unique = (not adv or math.prod(ib_shape) <= 1
              or _static_unique(indices, start_map, slice_sizes, shape))
    dnums = GatherDimensionNumbers(tuple(offset_dims), tuple(sorted(collapsed)),
                                   tuple(start_map))
    return _Plan(indices, dnums, tuple(slice_sizes), gather_shape, result_shape, unique)


def _static_unique(indices, start_map, slice_sizes, shape) -> bool:
    """Static index vectors, all in bounds and distinct (so their windows are disjoint)."""
    if not isinstance(indices, np.ndarray):
        return False
    rows = indices.reshape(-1, len(start_map))
    hi = np.asarray([shape[d] - slice_sizes[d] for d in start_map])
    if rows.size and ((rows < 0) | (rows > hi)).any():
        return False
    return rows.shape[0] <= 1 or len(np.unique(rows, axis=0)) == rows.shape[0]


def _index_dtype(comps, shape):
    wide = any(s > np.iinfo(np.int32).max for s in shape) or any(
        not isinstance(v, np.ndarray | int) and get_aval(v).dtype.itemsize == 8
        for v, _, _ in comps)
    return dtypes.canonicalize_dtype(np.dtype(np.int64)) if wide else np.dtype(np.int32)


def _stack_components(comps, ib_shape, shape):
    dt = _index_dtype(comps, shape)
    if all(isinstance(v, np.ndarray | int) for v, _, _ in comps):
        cols = []
        for v, dims, _ in comps:
            v = np.asarray(v)
            full = [1] * len(ib_shape)
            for j, d in enumerate(dims):
                full[d] = v.shape[j]
            cols.append(np.broadcast_to(v.reshape(full), ib_shape))
        if not cols:
            return np.zeros((*ib_shape, 0), dt)
        return np.stack(cols, -1).astype(dt)
    cols = []
    for v, dims, size in comps:
        if isinstance(v, np.ndarray | int):
            v = np.asarray(v).astype(dt)
        else:
            v = _normalize_dynamic(v, size, dt)
        v = lax.broadcast_in_dim(v, (*ib_shape, 1), dims)
        cols.append(v)
    return lax.concatenate(cols, len(ib_shape)) if len(cols) > 1 else cols[0]


# ----------------------------------------------------------------------------------------------
# x[idx] and x.at[idx].get()


def _mode_arg(mode, what: str):
    if mode is None:
        return None
    try:
        return GatherScatterMode.from_any(mode)
    except XfrontValueError:
        raise XfrontValueError(f"{what}: unknown mode {mode!r}; expected one of "
                               "'promise_in_bounds', 'clip', 'drop', 'fill'") from None


def getitem(x, idx, *, mode=None, fill_value=None, indices_are_sorted: bool = False,
            unique_indices: bool = False, what: str = "indexing"):
    """``x[idx]`` with NumPy's semantics (see the module docstring)."""
    m = _mode_arg(mode, what)
    if m is GatherScatterMode.ONE_HOT:
        raise XfrontValueError(f"{what}: mode 'one_hot' is only supported by take_along_axis")
    aval = get_aval(x)
    entries, shape, bool_axes = _expand(aval.shape, idx, what, check_bounds=m is None)
    simple = all(e.kind in (_NEW, _SLICE, _INT) or (
        e.kind == _ARRAY and not isinstance(e.value, np.ndarray) and get_aval(e.value).ndim == 0)
        for e in entries) and not bool_axes
    if simple and m is not GatherScatterMode.FILL_OR_DROP:
        return _basic_getitem(x, entries)
    if bool_axes:
        x = lax.expand_dims(x, bool_axes)
    # Apply the slices first: the gather then reads whole windows along the sliced dims.
    sliced = []
    x_entries = []
    for e in entries:
        if e.kind == _SLICE:
            sliced.append(e)
            x_entries.append(e._replace(value=(0, 1, e.value[2])))
        else:
            x_entries.append(e)
    x = _apply_slices(x, sliced, shape)
    shape = get_aval(x).shape
    plan = _plan(shape, x_entries, strided_as_batch=False)
    if math.prod(plan.result_shape) == 0:
        return lax.full(plan.result_shape, 0, aval.dtype)
    y = lax.gather(x, plan.indices, plan.dnums, plan.slice_sizes,
                   indices_are_sorted=indices_are_sorted,
                   unique_indices=unique_indices or plan.unique,
                   mode=GatherScatterMode.CLIP if m is None else m, fill_value=fill_value)
    return lax.reshape(y, plan.result_shape) if plan.result_shape != plan.gather_shape else y


def _apply_slices(x, sliced, shape):
    if not sliced:
        return x
    starts, limits, strides = [0] * len(shape), list(shape), [1] * len(shape)
    reverse = []
    for e in sliced:
        lo, st, n = e.value
        size = shape[e.dim]
        if st < 0:
            reverse.append(e.dim)
            lo, st = size - 1 - lo, -st
        if n == 0:
            lo = 0
        starts[e.dim] = lo
        limits[e.dim] = lo + (n - 1) * st + 1 if n else lo
        strides[e.dim] = st
    if reverse:
        x = lax.rev(x, reverse)
    if (starts, limits, strides) != ([0] * len(shape), list(shape), [1] * len(shape)):
        x = lax.slice(x, starts, limits, strides)
    return x


# ----------------------------------------------------------------------------------------------
# x.at[idx].set/add/... : one scatter


_SCATTERS = {
    "set": lax.scatter,
    "add": lax.scatter_add,
    "subtract": lax.scatter_sub,
    "multiply": lax.scatter_mul,
    "min": lax.scatter_min,
    "max": lax.scatter_max,
}


def scatter_update(x, idx, values, op: str, *, mode=None, indices_are_sorted: bool = False,
                   unique_indices: bool = False, what: str | None = None):
    """``x`` with ``x[idx]`` combined with ``values`` by ``op`` (a key of ``_SCATTERS``)."""
    from xfront.numpy._util import broadcast_to, check_arraylike, ensure_traced, promote_dtypes

    what = what or f"at[...].{op}"
    m = _mode_arg(mode, what)
    if m is GatherScatterMode.ONE_HOT:
        raise XfrontValueError(f"{what}: mode 'one_hot' is not supported for updates")
    check_arraylike(what, values)
    x = ensure_traced(x)
    aval = get_aval(x)
    dtype, weak = aval.dtype, aval.weak_type
    entries, shape, bool_axes = _expand(aval.shape, idx, what, check_bounds=m is None)
    plan = _plan(shape, entries, strided_as_batch=True)
    if math.prod(plan.result_shape) == 0:
        return x
    x2, values = promote_dtypes(x, values)
    values = ensure_traced(values)
    try:
        values = broadcast_to(values, plan.result_shape)
    except (ValueError, TypeError):
        raise XfrontValueError(
            f"{what}: values of shape {get_aval(values).shape} cannot be broadcast to the "
            f"indexed shape {plan.result_shape}") from None
    if plan.result_shape != plan.gather_shape:
        values = lax.reshape(values, plan.gather_shape)
    if bool_axes:
        x2 = lax.expand_dims(x2, bool_axes)
    d = plan.dnums
    sdn = ScatterDimensionNumbers(d.offset_dims, d.collapsed_slice_dims, d.start_index_map)
    out = _SCATTERS[op](x2, plan.indices, values, sdn, indices_are_sorted=indices_are_sorted,
                        unique_indices=unique_indices or plan.unique,
                        mode=GatherScatterMode.FILL_OR_DROP if m is None else m)
    if bool_axes:
        out = lax.squeeze(out, bool_axes)
    if get_aval(out).dtype != dtype or get_aval(out).weak_type != weak:
        out = _convert_element_type(out, dtype, weak)
    return out


def scatter_apply(x, idx, func, *, mode=None, indices_are_sorted: bool = False,
                  unique_indices: bool = False):
    """``x`` with ``func`` applied at ``x[idx]`` (k times where an element is named k
    times)."""
    what = "at[...].apply"
    m = _mode_arg(mode, what)
    aval = get_aval(x)
    entries, shape, bool_axes = _expand(aval.shape, idx, what, check_bounds=m is None)
    plan = _plan(shape, entries, strided_as_batch=True)
    if math.prod(plan.result_shape) == 0:
        return x
    if bool_axes:
        x = lax.expand_dims(x, bool_axes)
    d = plan.dnums
    sdn = ScatterDimensionNumbers(d.offset_dims, d.collapsed_slice_dims, d.start_index_map)
    out = lax.scatter_apply(x, plan.indices, func, sdn, update_shape=plan.gather_shape,
                            indices_are_sorted=indices_are_sorted,
                            unique_indices=unique_indices or plan.unique,
                            mode=GatherScatterMode.FILL_OR_DROP if m is None else m)
    return lax.squeeze(out, bool_axes) if bool_axes else out


class _IndexUpdateRef:
    """``x.at[idx]``: methods return updated copies of ``x`` (JAX's API)."""

    __slots__ = ("array", "index")

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return f"_IndexUpdateRef({self.array!r}, {self.index!r})"

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None,
            out_sharding=None, wrap_negative_indices=True):
        """``x[idx]``, with an out-of-bounds ``mode`` and ``fill_value`` ('fill')."""
        _check_wrap(wrap_negative_indices, "get")
        return getitem(self.array, self.index, mode=mode, fill_value=fill_value,
                       indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                       what="at[...].get")

    def _update(self, op, values, indices_are_sorted, unique_indices, mode,
                wrap_negative_indices):
        _check_wrap(wrap_negative_indices, op)
        return scatter_update(self.array, self.index, values, op, mode=mode,
                              indices_are_sorted=indices_are_sorted,
                              unique_indices=unique_indices)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] = values``."""
        return self._update("set", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] += values`` (repeated indices accumulate)."""
        return self._update("add", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
                 out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] -= values``."""
        return self._update("subtract", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
                 out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] *= values``."""
        return self._update("multiply", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    mul = multiply

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
               out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] /= values`` (true division: integer arrays give floats, as JAX)."""
        from xfront.numpy._ufuncs import divide

        _check_wrap(wrap_negative_indices, "divide")
        ones = lax.full_like(self.array, 1)
        return divide(self.array, scatter_update(
            ones, self.index, values, "multiply", mode=mode,
            indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
            what="at[...].divide"))

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
              out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] **= values``."""
        from xfront.numpy._ufuncs import power

        _check_wrap(wrap_negative_indices, "power")
        ones = lax.full_like(self.array, 1)
        return power(self.array, scatter_update(
            ones, self.index, values, "multiply", mode=mode,
            indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
            what="at[...].power"))

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] = minimum(x[idx], values)``."""
        return self._update("min", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None,
            out_sharding=None, wrap_negative_indices=True):
        """Pure ``x[idx] = maximum(x[idx], values)``."""
        return self._update("max", values, indices_are_sorted, unique_indices, mode,
                            wrap_negative_indices)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None,
              wrap_negative_indices=True):
        """Pure ``func.at(x, idx)`` for an elementwise ``func`` (applied k times where an
        element is named k times)."""
        _check_wrap(wrap_negative_indices, "apply")
        return scatter_apply(self.array, self.index, func, mode=mode,
                             indices_are_sorted=indices_are_sorted,
                             unique_indices=unique_indices)


def _check_wrap(wrap, op):
    if not wrap:
        raise XfrontValueError(
            f"at[...].{op}: wrap_negative_indices=False is not supported (negative indices "
            "always count from the end)")


class _IndexUpdateHelper:
    """``x.at``: ``x.at[idx]`` names the elements an update or ``get`` applies to."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return f"_IndexUpdateHelper({self.array!r})"
