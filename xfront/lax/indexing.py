"""Gather and scatter: slices at runtime indices (StableHLO's general forms).

``gather`` reads a window of ``slice_sizes`` at each start index; the scatter family writes
windows of ``updates`` into a copy of the operand, combining with the old values by replacing
(``scatter``), adding (``scatter_add``), subtracting, multiplying, or taking the min/max. Index
vectors are the last dimension of the indices (JAX's convention). Batching dimensions
(``operand_batching_dims``) let one gather serve a whole batch of per-example slices: that is how
vmap batches dynamic_slice and indexing with batched indices.

Out-of-bounds start indices (``GatherScatterMode``):

- ``CLIP`` (xfront's default for the lax functions): each start is clamped so its window fits,
  for gather and scatter alike, which keeps each one the exact transpose of the other.
- ``FILL_OR_DROP``: a gather window that does not fit reads ``fill_value`` (NaN for inexact
  dtypes, the minimum of signed and the maximum of unsigned integers, True for bool: JAX's
  defaults); a scatter window that does not fit is dropped. Gather's transpose is a dropping
  scatter-add, so the pair stays consistent.
- ``PROMISE_IN_BOUNDS``: the caller promises starts are in bounds; XLA clamps gathers and drops
  scatters (derivatives of out-of-bounds accesses are then not meaningful).

JAX's ``lax.gather`` defaults to ``PROMISE_IN_BOUNDS`` (the same values as ``CLIP``) and its
scatters to ``FILL_OR_DROP``; ``xfront.numpy`` indexing and ``x.at[...]`` pass JAX's modes.

Derivatives: gather, scatter_add and scatter_sub are linear. ``scatter`` with possibly repeated
indices differentiates by scattering ids to find which update wins at each position (then
everything is a masked scatter-add, as JAX does); ``scatter_mul`` by the product of the other
factors (zeros handled without division by zero); ``scatter_min``/``scatter_max`` share the
tangent evenly among the values that tie for the result.

StableHLO emission: ``lowering/rules/indexing.py``.
"""

from __future__ import annotations

import enum
import math
from typing import NamedTuple

import numpy as np

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive, Tracer, get_aval
from xfront.interpreters import ad, batching
from xfront.lax.utils import int_tuple

__all__ = [
    "GatherDimensionNumbers",
    "GatherScatterMode",
    "ScatterDimensionNumbers",
    "batched_dynamic_slice",
    "batched_dynamic_update_slice",
    "gather",
    "gather_p",
    "index_take",
    "scatter",
    "scatter_add",
    "scatter_add_p",
    "scatter_apply",
    "scatter_max",
    "scatter_max_p",
    "scatter_min",
    "scatter_min_p",
    "scatter_mul",
    "scatter_mul_p",
    "scatter_p",
    "scatter_sub",
    "scatter_sub_p",
]


class GatherScatterMode(enum.Enum):
    """How out-of-bounds start indices behave (see the module docstring).

    ``from_any`` accepts a member or the strings ``"clip"``, ``"fill"``/``"drop"``
    (FILL_OR_DROP) and ``"promise_in_bounds"``; None means CLIP.
    """

    CLIP = 0
    FILL_OR_DROP = 1
    PROMISE_IN_BOUNDS = 2
    ONE_HOT = 3

    @classmethod
    def from_any(cls, mode):
        if mode is None:
            return cls.CLIP
        if isinstance(mode, cls):
            return mode
        if isinstance(mode, str):
            key = {"fill": "FILL_OR_DROP", "drop": "FILL_OR_DROP"}.get(mode.lower(), mode.upper())
            if key in cls.__members__:
                return cls[key]
        raise XfrontValueError(
            f"unknown gather/scatter mode {mode!r}: expected 'clip', 'fill', 'drop', "
            "'promise_in_bounds' or a GatherScatterMode")


def _mode(mode, name: str) -> GatherScatterMode:
    m = GatherScatterMode.from_any(mode)
    if m is GatherScatterMode.ONE_HOT:
        raise XfrontValueError(
            f"{name}: mode ONE_HOT is only supported by xfront.numpy.take_along_axis")
    return m


class GatherDimensionNumbers(NamedTuple):
    """Which output dims are window (offset) dims, which operand dims are collapsed, which
    operand dims the index vector addresses, and the batching dims pairing operand and
    indices."""

    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    """Which update dims are window dims, which operand dims the windows skip (size 1), which
    operand dims the index vector addresses, and the batching dims pairing operand and
    indices."""

    update_window_dims: tuple
    inserted_window_dims: tuple
    scatter_dims_to_operand_dims: tuple
    operand_batching_dims: tuple = ()
    scatter_indices_batching_dims: tuple = ()


def _canon_gather_dnums(d) -> GatherDimensionNumbers:
    f = lambda xs, what: int_tuple(xs, "gather", what)  # noqa: E731
    return GatherDimensionNumbers(f(d.offset_dims, "offset_dims"),
                                  f(d.collapsed_slice_dims, "collapsed_slice_dims"),
                                  f(d.start_index_map, "start_index_map"),
                                  f(d.operand_batching_dims, "operand_batching_dims"),
                                  f(d.start_indices_batching_dims, "start_indices_batching_dims"))


def _canon_scatter_dnums(d, name: str = "scatter") -> ScatterDimensionNumbers:
    f = lambda xs, what: int_tuple(xs, name, what)  # noqa: E731
    return ScatterDimensionNumbers(f(d.update_window_dims, "update_window_dims"),
                                   f(d.inserted_window_dims, "inserted_window_dims"),
                                   f(d.scatter_dims_to_operand_dims,
                                     "scatter_dims_to_operand_dims"),
                                   f(d.operand_batching_dims, "operand_batching_dims"),
                                   f(d.scatter_indices_batching_dims,
                                     "scatter_indices_batching_dims"))


def _check_dims(name: str, dims, rank: int, what: str, *, sorted_: bool = False):
    for d in dims:
        if not 0 <= d < rank:
            raise XfrontTypeError(f"{name}: {what} {dims} has dimension {d} out of range "
                                  f"[0, {rank})")
    if len(set(dims)) != len(dims):
        raise XfrontTypeError(f"{name}: {what} {dims} repeats a dimension")
    if sorted_ and list(dims) != sorted(dims):
        raise XfrontTypeError(f"{name}: {what} {dims} must be sorted")


def _check_index_dtype(name: str, indices: ShapedArray):
    if not dtypes.is_int(indices.dtype):
        raise XfrontTypeError(f"{name}: indices must be integers, got {indices.str_short()}")
    if indices.ndim < 1:
        raise XfrontTypeError(
            f"{name}: indices {indices.str_short()} need a trailing index-vector dimension "
            "(add one of size 1 for scalar indices)")


def _canon_fill_value(fill_value, dtype: np.dtype, name: str):
    """A hashable Python scalar of ``dtype``'s kind (None: the dtype's default fill)."""
    if fill_value is None:
        return None
    if isinstance(fill_value, Tracer):
        raise XfrontTypeError(f"{name}: fill_value must be a static scalar, got a traced value")
    v = np.asarray(fill_value)
    if v.ndim:
        raise XfrontValueError(f"{name}: fill_value must be a scalar, got shape {v.shape}")
    v = v.astype(dtype)[()]
    if dtypes.is_bool(dtype):
        return bool(v)
    if dtypes.is_int(dtype):
        return int(v)
    if dtypes.is_complex(dtype):
        c = complex(v)
        return None if np.isnan(c.real) and c.imag == 0 else c
    f = float(v)
    return None if np.isnan(f) else f


def default_fill_value(dtype: np.dtype):
    """Out-of-bounds gathers with FILL_OR_DROP read this (JAX's defaults)."""
    if dtypes.is_inexact(dtype):
        return np.nan
    if dtypes.is_bool(dtype):
        return True
    info = np.iinfo(dtype)
    return info.min if dtypes.is_signed_int(dtype) else info.max


# ----------------------------------------------------------------------------------------------
# gather


def gather(operand, start_indices, dimension_numbers, slice_sizes, *,
           indices_are_sorted: bool = False, unique_indices: bool = False, mode=None,
           fill_value=None):
    """Windows of ``slice_sizes`` read at ``start_indices``: ``stablehlo.gather`` (with a
    bounds mask and ``stablehlo.select`` for ``FILL_OR_DROP``)."""
    m = _mode(mode, "gather")
    dt = get_aval(operand).dtype
    fill = _canon_fill_value(fill_value, dt, "gather") if m is (
        GatherScatterMode.FILL_OR_DROP) else None
    return gather_p.bind(operand, start_indices,
                         dimension_numbers=_canon_gather_dnums(dimension_numbers),
                         slice_sizes=int_tuple(slice_sizes, "gather", "slice_sizes"),
                         indices_are_sorted=bool(indices_are_sorted),
                         unique_indices=bool(unique_indices), mode=m, fill_value=fill)


gather_p = Primitive("gather")


def _gather_shape(operand: ShapedArray, indices: ShapedArray, dnums, slice_sizes):
    name = "gather"
    _check_index_dtype(name, indices)
    if len(slice_sizes) != operand.ndim:
        raise XfrontTypeError(
            f"{name}: slice_sizes {slice_sizes} must have one entry per dimension of "
            f"{operand.str_short()}")
    if len(dnums.start_index_map) != indices.shape[-1]:
        raise XfrontTypeError(
            f"{name}: start_index_map {dnums.start_index_map} must have as many entries as "
            f"the index vector ({indices.shape[-1]}, indices {indices.str_short()})")
    _check_dims(name, dnums.start_index_map, operand.ndim, "start_index_map")
    _check_dims(name, dnums.collapsed_slice_dims, operand.ndim, "collapsed_slice_dims",
                sorted_=True)
    _check_dims(name, dnums.operand_batching_dims, operand.ndim, "operand_batching_dims",
                sorted_=True)
    _check_dims(name, dnums.start_indices_batching_dims, indices.ndim - 1,
                "start_indices_batching_dims")
    if set(dnums.collapsed_slice_dims) & set(dnums.operand_batching_dims):
        raise XfrontTypeError(f"{name}: collapsed_slice_dims {dnums.collapsed_slice_dims} and "
                              f"operand_batching_dims {dnums.operand_batching_dims} overlap")
    if set(dnums.start_index_map) & set(dnums.operand_batching_dims):
        raise XfrontTypeError(f"{name}: start_index_map {dnums.start_index_map} and "
                              f"operand_batching_dims {dnums.operand_batching_dims} overlap")
    for d, s in enumerate(slice_sizes):
        if not 0 <= s <= operand.shape[d]:
            raise XfrontTypeError(
                f"{name}: slice size {s} does not fit dimension {d} of {operand.str_short()} "
                f"(slice_sizes {slice_sizes})")
    for d in dnums.collapsed_slice_dims + dnums.operand_batching_dims:
        if slice_sizes[d] != 1:
            raise XfrontTypeError(
                f"{name}: collapsed and batching dimensions need slice size 1, dimension {d} "
                f"has {slice_sizes[d]}")
    if len(dnums.operand_batching_dims) != len(dnums.start_indices_batching_dims):
        raise XfrontTypeError(f"{name}: operand and indices batching dims differ in number")
    for od, idd in zip(dnums.operand_batching_dims, dnums.start_indices_batching_dims):
        if operand.shape[od] != indices.shape[idd]:
            raise XfrontTypeError(
                f"{name}: batching dimension {od} of the operand ({operand.shape[od]}) and "
                f"{idd} of the indices ({indices.shape[idd]}) differ")
    batch = list(indices.shape[:-1])
    window = [s for d, s in enumerate(slice_sizes)
              if d not in dnums.collapsed_slice_dims and d not in dnums.operand_batching_dims]
    if len(window) != len(dnums.offset_dims):
        raise XfrontTypeError(
            f"{name}: offset_dims {dnums.offset_dims} must name one output dimension per "
            f"window dimension ({len(window)})")
    rank = len(batch) + len(window)
    _check_dims(name, dnums.offset_dims, rank, "offset_dims", sorted_=True)
    shape, wi, bi = [], iter(window), iter(batch)
    for i in range(rank):
        shape.append(next(wi) if i in dnums.offset_dims else next(bi))
    return tuple(shape)


@gather_p.def_abstract_eval
def _gather_abstract_eval(operand, indices, *, dimension_numbers, slice_sizes,
                          indices_are_sorted, unique_indices, mode, fill_value=None):
    shape = _gather_shape(operand, indices, dimension_numbers, slice_sizes)
    return ShapedArray(shape, operand.dtype, operand.weak_type)


def _gather_jvp(primals, tangents, *, fill_value=None, **params):
    operand, indices = primals
    out = gather_p.bind(operand, indices, fill_value=fill_value, **params)
    t = tangents[0]
    if type(t) is ad.Zero:
        return out, ad.Zero(ad.tangent_aval(get_aval(out)))
    fill = 0 if params["mode"] is GatherScatterMode.FILL_OR_DROP else None
    return out, gather_p.bind(t, indices, fill_value=fill, **params)


def _gather_transpose(ct, operand, indices, *, dimension_numbers, slice_sizes,
                      indices_are_sorted, unique_indices, mode, fill_value=None):
    if type(ct) is ad.Zero:
        return [ad.Zero(operand.aval), None]
    zeros = ad.zeros_like_aval(operand.aval)
    return [scatter_add_p.bind(zeros, indices, ct,
                               dimension_numbers=_gather_to_scatter_dnums(dimension_numbers),
                               indices_are_sorted=indices_are_sorted,
                               unique_indices=unique_indices, mode=mode), None]


def _gather_batch(args, dims, *, dimension_numbers, slice_sizes, indices_are_sorted,
                  unique_indices, mode, fill_value=None):
    (operand, indices), (od, idd) = args, dims
    d = dimension_numbers
    shift = lambda ds: tuple(x + 1 for x in ds)  # noqa: E731
    params = dict(indices_are_sorted=indices_are_sorted, unique_indices=unique_indices,
                  mode=mode, fill_value=fill_value)
    if od is not None and idd is None:
        operand = batching.moveaxis(operand, od, 0)
        dn = GatherDimensionNumbers((0, *shift(d.offset_dims)), shift(d.collapsed_slice_dims),
                                    shift(d.start_index_map), shift(d.operand_batching_dims),
                                    d.start_indices_batching_dims)
        sizes = (get_aval(operand).shape[0], *slice_sizes)
        return gather_p.bind(operand, indices, dimension_numbers=dn, slice_sizes=sizes,
                             **params), 0
    if od is None:
        indices = batching.moveaxis(indices, idd, 0)
        dn = GatherDimensionNumbers(shift(d.offset_dims), d.collapsed_slice_dims,
                                    d.start_index_map, d.operand_batching_dims,
                                    shift(d.start_indices_batching_dims))
        return gather_p.bind(operand, indices, dimension_numbers=dn, slice_sizes=slice_sizes,
                             **params), 0
    operand = batching.moveaxis(operand, od, 0)
    indices = batching.moveaxis(indices, idd, 0)
    dn = GatherDimensionNumbers(shift(d.offset_dims), shift(d.collapsed_slice_dims),
                                shift(d.start_index_map), (0, *shift(d.operand_batching_dims)),
                                (0, *shift(d.start_indices_batching_dims)))
    return gather_p.bind(operand, indices, dimension_numbers=dn, slice_sizes=(1, *slice_sizes),
                         **params), 0


ad.jvp_rules[gather_p] = _gather_jvp
ad.transpose_rules[gather_p] = _gather_transpose
batching.batch_rules[gather_p] = _gather_batch


def index_take(src, idxs, axes):
    """``src`` at the index arrays ``idxs`` (one 1-D array per axis in ``axes``, all of one
    length N, negative values wrapping as Python's %): shape ``(N, *other dims of src)``. One
    ``gather``."""
    from xfront.lax.elementwise import _const, add, convert_element_type, lt, rem, select
    from xfront.lax.structural import concatenate, reshape

    aval = get_aval(src)
    axes = int_tuple(axes, "index_take", "axes")
    if len(idxs) != len(axes):
        raise XfrontValueError(f"index_take: got {len(idxs)} index arrays for axes {axes}")
    for ax in axes:
        if not 0 <= ax < aval.ndim:
            raise XfrontValueError(f"index_take: axis {ax} is out of range for "
                                   f"{aval.str_short()}")
    if not idxs:
        raise XfrontValueError("index_take: needs at least one index array")
    cols = []
    for i, ax in zip(idxs, axes):
        i_aval = get_aval(i)
        if i_aval.ndim != 1 or not dtypes.is_int(i_aval.dtype):
            raise XfrontTypeError(f"index_take: index arrays must be 1-D integers, got "
                                  f"{i_aval.str_short()}")
        i = convert_element_type(i, dtypes.int32) if i_aval.dtype.itemsize < 4 else i
        m = rem(i, _const(i, aval.shape[ax]))
        if dtypes.is_signed_int(get_aval(m).dtype):
            m = select(lt(m, _const(m, 0)), add(m, _const(m, aval.shape[ax])), m)
        cols.append(reshape(m, (i_aval.shape[0], 1)))
    dt = max((get_aval(c).dtype for c in cols), key=lambda d: d.itemsize)
    cols = [convert_element_type(c, dt) for c in cols]
    indices = concatenate(cols, 1) if len(cols) > 1 else cols[0]
    sizes = tuple(1 if d in axes else s for d, s in enumerate(aval.shape))
    dnums = GatherDimensionNumbers(tuple(range(1, aval.ndim - len(axes) + 1)),
                                   tuple(sorted(axes)), axes)
    return gather(src, indices, dnums, sizes, mode=GatherScatterMode.PROMISE_IN_BOUNDS)


# ----------------------------------------------------------------------------------------------
# The scatter family: shared checks, dimension-number conversions and batching.


def _scatter_shape_check(name, operand, indices, updates, dnums):
    _check_index_dtype(name, indices)
    if updates.dtype != operand.dtype:
        raise XfrontTypeError(f"{name}: updates dtype {updates.dtype} differs from operand "
                              f"dtype {operand.dtype}")
    if len(dnums.scatter_dims_to_operand_dims) != indices.shape[-1]:
        raise XfrontTypeError(
            f"{name}: scatter_dims_to_operand_dims {dnums.scatter_dims_to_operand_dims} must "
            f"have as many entries as the index vector ({indices.shape[-1]}, indices "
            f"{indices.str_short()})")
    _check_dims(name, dnums.scatter_dims_to_operand_dims, operand.ndim,
                "scatter_dims_to_operand_dims")
    _check_dims(name, dnums.inserted_window_dims, operand.ndim, "inserted_window_dims",
                sorted_=True)
    _check_dims(name, dnums.operand_batching_dims, operand.ndim, "operand_batching_dims",
                sorted_=True)
    _check_dims(name, dnums.scatter_indices_batching_dims, indices.ndim - 1,
                "scatter_indices_batching_dims")
    _check_dims(name, dnums.update_window_dims, updates.ndim, "update_window_dims",
                sorted_=True)
    if set(dnums.inserted_window_dims) & set(dnums.operand_batching_dims):
        raise XfrontTypeError(f"{name}: inserted_window_dims {dnums.inserted_window_dims} and "
                              f"operand_batching_dims {dnums.operand_batching_dims} overlap")
    if len(dnums.operand_batching_dims) != len(dnums.scatter_indices_batching_dims):
        raise XfrontTypeError(f"{name}: operand and indices batching dims differ in number")
    for od, idd in zip(dnums.operand_batching_dims, dnums.scatter_indices_batching_dims):
        if operand.shape[od] != indices.shape[idd]:
            raise XfrontTypeError(
                f"{name}: batching dimension {od} of the operand ({operand.shape[od]}) and "
                f"{idd} of the indices ({indices.shape[idd]}) differ")
    n_scatter = indices.ndim - 1
    if updates.ndim != n_scatter + len(dnums.update_window_dims):
        raise XfrontTypeError(
            f"{name}: updates {updates.str_short()} must have rank {n_scatter} (the index batch "
            f"of {indices.str_short()}) + {len(dnums.update_window_dims)} (window dims)")
    window_operand = [d for d in range(operand.ndim) if d not in dnums.inserted_window_dims
                      and d not in dnums.operand_batching_dims]
    if len(window_operand) != len(dnums.update_window_dims):
        raise XfrontTypeError(
            f"{name}: update_window_dims {dnums.update_window_dims} must name one updates "
            f"dimension per operand window dimension ({len(window_operand)})")
    for wd, od in zip(dnums.update_window_dims, window_operand):
        if updates.shape[wd] > operand.shape[od]:
            raise XfrontTypeError(
                f"{name}: update window dimension {wd} ({updates.shape[wd]}) exceeds operand "
                f"dimension {od} ({operand.shape[od]})")
    scatter_dims = [s for d, s in enumerate(updates.shape) if d not in dnums.update_window_dims]
    if tuple(scatter_dims) != indices.shape[:-1]:
        raise XfrontTypeError(
            f"{name}: the non-window dimensions of updates {updates.str_short()} "
            f"({tuple(scatter_dims)}) must match the index batch of {indices.str_short()} "
            f"({indices.shape[:-1]})")


def _scatter_abstract_eval(name):
    def rule(operand, indices, updates, *, dimension_numbers, indices_are_sorted,
             unique_indices, mode):
        _scatter_shape_check(name, operand, indices, updates, dimension_numbers)
        return ShapedArray(operand.shape, operand.dtype, operand.weak_type)

    return rule


def _scatter_update_window_sizes(operand_aval, updates_aval, dnums):
    """Gather slice sizes that read back the windows a scatter wrote."""
    window = iter(updates_aval.shape[d] for d in dnums.update_window_dims)
    return tuple(1 if (d in dnums.inserted_window_dims or d in dnums.operand_batching_dims)
                 else next(window) for d in range(operand_aval.ndim))


def _scatter_to_gather_dnums(d: ScatterDimensionNumbers) -> GatherDimensionNumbers:
    return GatherDimensionNumbers(d.update_window_dims, d.inserted_window_dims,
                                  d.scatter_dims_to_operand_dims, d.operand_batching_dims,
                                  d.scatter_indices_batching_dims)


def _gather_to_scatter_dnums(d: GatherDimensionNumbers) -> ScatterDimensionNumbers:
    return ScatterDimensionNumbers(d.offset_dims, d.collapsed_slice_dims, d.start_index_map,
                                   d.operand_batching_dims, d.start_indices_batching_dims)


def _read_back(x, indices, updates_aval, *, dimension_numbers, indices_are_sorted,
               unique_indices, mode):
    """The windows of ``x`` that a scatter with these parameters writes, shaped like the
    updates (0 for dropped windows)."""
    sizes = _scatter_update_window_sizes(get_aval(x), updates_aval, dimension_numbers)
    fill = 0 if mode is GatherScatterMode.FILL_OR_DROP else None
    return gather_p.bind(x, indices,
                         dimension_numbers=_scatter_to_gather_dnums(dimension_numbers),
                         slice_sizes=sizes, indices_are_sorted=indices_are_sorted,
                         unique_indices=unique_indices, mode=mode, fill_value=fill)


def _scatter_batch(prim):
    def rule(args, dims, *, dimension_numbers, **params):
        (operand, indices, updates), (od, idd, ud) = args, dims
        size = next(get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
        d = dimension_numbers
        shift = lambda ds: tuple(x + 1 for x in ds)  # noqa: E731
        operand = batching.bdim_at_front(operand, od, size)
        updates = batching.bdim_at_front(updates, ud, size)
        if idd is None:  # the same windows in every example: the batch is one more window dim
            # (updates' batch dim 0 is its first window dim, matching operand dim 0)
            dn = ScatterDimensionNumbers((0, *shift(d.update_window_dims)),
                                         shift(d.inserted_window_dims),
                                         shift(d.scatter_dims_to_operand_dims),
                                         shift(d.operand_batching_dims),
                                         d.scatter_indices_batching_dims)
            return prim.bind(operand, indices, updates, dimension_numbers=dn, **params), 0
        indices = batching.moveaxis(indices, idd, 0)
        dn = ScatterDimensionNumbers(shift(d.update_window_dims), shift(d.inserted_window_dims),
                                     shift(d.scatter_dims_to_operand_dims),
                                     (0, *shift(d.operand_batching_dims)),
                                     (0, *shift(d.scatter_indices_batching_dims)))
        return prim.bind(operand, indices, updates, dimension_numbers=dn, **params), 0

    return rule


def _bind_scatter(prim, name, operand, scatter_indices, updates, dimension_numbers,
                  indices_are_sorted, unique_indices, mode):
    return prim.bind(operand, scatter_indices, updates,
                     dimension_numbers=_canon_scatter_dnums(dimension_numbers, name),
                     indices_are_sorted=bool(indices_are_sorted),
                     unique_indices=bool(unique_indices), mode=_mode(mode, name))


def _zero_tangent_out(out):
    return ad.Zero(ad.tangent_aval(get_aval(out)))


def _no_tangents(out, t_op, t_up) -> bool:
    return (type(t_op) is ad.Zero and type(t_up) is ad.Zero) or not ad.is_differentiable(
        get_aval(out))


def _zero_cts(operand, updates):
    return [ad.Zero(operand.aval) if ad.is_undefined(operand) else None, None,
            ad.Zero(updates.aval) if ad.is_undefined(updates) else None]


def _aval_of(x):
    return x.aval if ad.is_undefined(x) else get_aval(x)


# ----------------------------------------------------------------------------------------------
# scatter_add


def scatter_add(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted: bool = False, unique_indices: bool = False, mode=None):
    """``operand`` with ``updates`` added into windows at ``scatter_indices`` (repeated
    indices accumulate): ``stablehlo.scatter`` with an add body."""
    return _bind_scatter(scatter_add_p, "scatter_add", operand, scatter_indices, updates,
                         dimension_numbers, indices_are_sorted, unique_indices, mode)


scatter_add_p = Primitive("scatter_add")
scatter_add_p.def_abstract_eval(_scatter_abstract_eval("scatter_add"))


def _scatter_addsub_jvp(prim):
    def rule(primals, tangents, **params):
        operand, indices, updates = primals
        t_op, _, t_up = tangents
        out = prim.bind(operand, indices, updates, **params)
        if _no_tangents(out, t_op, t_up):
            return out, _zero_tangent_out(out)
        return out, prim.bind(ad.instantiate(t_op), indices, ad.instantiate(t_up), **params)

    return rule


def _scatter_addsub_transpose(negate: bool):
    def rule(ct, operand, indices, updates, **params):
        if type(ct) is ad.Zero:
            return _zero_cts(operand, updates)
        ct_up = None
        if ad.is_undefined(updates):
            ct_up = _read_back(ct, indices, updates.aval, **params)
            if negate:
                from xfront.lax.elementwise import neg

                ct_up = neg(ct_up)
        return [ct if ad.is_undefined(operand) else None, None, ct_up]

    return rule


ad.jvp_rules[scatter_add_p] = _scatter_addsub_jvp(scatter_add_p)
ad.transpose_rules[scatter_add_p] = _scatter_addsub_transpose(negate=False)
batching.batch_rules[scatter_add_p] = _scatter_batch(scatter_add_p)


# ----------------------------------------------------------------------------------------------
# scatter_sub


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted: bool = False, unique_indices: bool = False, mode=None):
    """``operand`` with ``updates`` subtracted in windows at ``scatter_indices``:
    ``stablehlo.scatter`` with a subtract body."""
    return _bind_scatter(scatter_sub_p, "scatter_sub", operand, scatter_indices, updates,
                         dimension_numbers, indices_are_sorted, unique_indices, mode)


scatter_sub_p = Primitive("scatter_sub")
scatter_sub_p.def_abstract_eval(_scatter_abstract_eval("scatter_sub"))
ad.jvp_rules[scatter_sub_p] = _scatter_addsub_jvp(scatter_sub_p)
ad.transpose_rules[scatter_sub_p] = _scatter_addsub_transpose(negate=True)
batching.batch_rules[scatter_sub_p] = _scatter_batch(scatter_sub_p)


# ----------------------------------------------------------------------------------------------
# scatter_mul


def scatter_mul(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted: bool = False, unique_indices: bool = False, mode=None):
    """``operand`` with windows at ``scatter_indices`` multiplied by ``updates`` (repeated
    indices multiply): ``stablehlo.scatter`` with a multiply body."""
    return _bind_scatter(scatter_mul_p, "scatter_mul", operand, scatter_indices, updates,
                         dimension_numbers, indices_are_sorted, unique_indices, mode)


scatter_mul_p = Primitive("scatter_mul")
scatter_mul_p.def_abstract_eval(_scatter_abstract_eval("scatter_mul"))


def _scatter_mul_jvp(primals, tangents, **params):
    # out[j] = x[j] * prod_{k -> j} y[k]: linear in x; in y, the tangent of factor k is
    # multiplied by x[j] and the product of the *other* factors reaching j (computed from the
    # product of the nonzero factors and the number of zero ones, never dividing by zero).
    from xfront.lax.convenience import full
    from xfront.lax.elementwise import _const, bitwise_and, div, eq, mul, select, sub

    operand, indices, updates = primals
    t_op, _, t_up = tangents
    out = scatter_mul_p.bind(operand, indices, updates, **params)
    if _no_tangents(out, t_op, t_up):
        return out, _zero_tangent_out(out)
    tan = None
    if type(t_op) is not ad.Zero:
        tan = scatter_mul_p.bind(t_op, indices, updates, **params)
    if type(t_up) is not ad.Zero:
        up_aval, op_aval = get_aval(updates), get_aval(operand)
        if params["unique_indices"]:
            others = full(up_aval.shape, 1, up_aval.dtype)
        else:
            one, zero = _const(updates, 1), _const(updates, 0)
            is_zero = eq(updates, zero)
            nonzero = select(is_zero, one, updates)
            prod_nz = scatter_mul_p.bind(full(op_aval.shape, 1, op_aval.dtype), indices,
                                         nonzero, **params)
            op_zeros = full(op_aval.shape, 0, op_aval.dtype)
            n_zero = scatter_add_p.bind(op_zeros, indices, select(is_zero, one, zero), **params)
            # The zero factors themselves (value 0), so that `others` is right to first order
            # and the JVP differentiates again (second order exact where <= 2 factors are 0).
            zero_sum = scatter_add_p.bind(op_zeros, indices, select(is_zero, updates, zero),
                                          **params)
            prod_k = _read_back(prod_nz, indices, up_aval, **params)
            n_zero_k = _read_back(n_zero, indices, up_aval, **params)
            zero_sum_k = _read_back(zero_sum, indices, up_aval, **params)
            two = _const(updates, 2)
            others = select(
                eq(n_zero_k, zero), div(prod_k, nonzero),
                select(eq(n_zero_k, one),
                       select(is_zero, prod_k, mul(div(prod_k, nonzero), zero_sum_k)),
                       select(bitwise_and(eq(n_zero_k, two), is_zero),
                              mul(prod_k, sub(zero_sum_k, updates)), zero)))
        zeros = ad.zeros_like_aval(get_aval(operand))
        t_y = mul(operand, scatter_add_p.bind(zeros, indices, mul(t_up, others), **params))
        tan = t_y if tan is None else ad.add_tangents(tan, t_y)
    return out, tan


def _scatter_mul_transpose(ct, operand, indices, updates, **params):
    if ad.is_undefined(updates):
        raise NotImplementedError(
            "scatter_mul is linear only in its operand; its transpose with respect to the "
            "updates is not defined (differentiate through its JVP instead)")
    if type(ct) is ad.Zero:
        return _zero_cts(operand, updates)
    return [scatter_mul_p.bind(ct, indices, updates, **params), None, None]


ad.jvp_rules[scatter_mul_p] = _scatter_mul_jvp
ad.transpose_rules[scatter_mul_p] = _scatter_mul_transpose
batching.batch_rules[scatter_mul_p] = _scatter_batch(scatter_mul_p)


# ----------------------------------------------------------------------------------------------
# scatter_min and scatter_max


def scatter_min(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted: bool = False, unique_indices: bool = False, mode=None):
    """``operand`` with windows at ``scatter_indices`` replaced by their minimum with
    ``updates``: ``stablehlo.scatter`` with a minimum body."""
    return _bind_scatter(scatter_min_p, "scatter_min", operand, scatter_indices, updates,
                         dimension_numbers, indices_are_sorted, unique_indices, mode)


scatter_min_p = Primitive("scatter_min")
scatter_min_p.def_abstract_eval(_scatter_abstract_eval("scatter_min"))


def _scatter_extremal_jvp(prim):
    # Each output position takes the tangent of the value that won; ties (among the updates
    # and the old value) share it evenly, like the derivative of max/min.
    def rule(primals, tangents, **params):
        from xfront.lax.convenience import full
        from xfront.lax.elementwise import _const, add, div, eq, select
        from xfront.lax.elementwise import max as max_

        operand, indices, updates = primals
        t_op, _, t_up = tangents
        out = prim.bind(operand, indices, updates, **params)
        if _no_tangents(out, t_op, t_up):
            return out, _zero_tangent_out(out)
        t_op, t_up = ad.instantiate(t_op), ad.instantiate(t_up)
        up_aval, op_aval, t_aval = get_aval(updates), get_aval(operand), get_aval(t_op)
        won = eq(updates, _read_back(out, indices, up_aval, **params))
        kept = eq(operand, out)
        count = add(select(kept, full(op_aval.shape, 1, t_aval.dtype),
                           full(op_aval.shape, 0, t_aval.dtype)),
                    scatter_add_p.bind(full(op_aval.shape, 0, t_aval.dtype), indices,
                                       select(won, full(up_aval.shape, 1, t_aval.dtype),
                                              full(up_aval.shape, 0, t_aval.dtype)), **params))
        count = max_(count, _const(count, 1))
        tan = add(select(kept, t_op, full(t_aval.shape, 0, t_aval.dtype)),
                  scatter_add_p.bind(full(t_aval.shape, 0, t_aval.dtype), indices,
                                     select(won, t_up, full(up_aval.shape, 0, t_aval.dtype)),
                                     **params))
        return out, div(tan, count)

    return rule


ad.jvp_rules[scatter_min_p] = _scatter_extremal_jvp(scatter_min_p)
batching.batch_rules[scatter_min_p] = _scatter_batch(scatter_min_p)


def scatter_max(operand, scatter_indices, updates, dimension_numbers, *,
                indices_are_sorted: bool = False, unique_indices: bool = False, mode=None):
    """``operand`` with windows at ``scatter_indices`` replaced by their maximum with
    ``updates``: ``stablehlo.scatter`` with a maximum body."""
    return _bind_scatter(scatter_max_p, "scatter_max", operand, scatter_indices, updates,
                         dimension_numbers, indices_are_sorted, unique_indices, mode)


scatter_max_p = Primitive("scatter_max")
scatter_max_p.def_abstract_eval(_scatter_abstract_eval("scatter_max"))
ad.jvp_rules[scatter_max_p] = _scatter_extremal_jvp(scatter_max_p)
batching.batch_rules[scatter_max_p] = _scatter_batch(scatter_max_p)


# ----------------------------------------------------------------------------------------------
# scatter (replace)


def scatter(operand, scatter_indices, updates, dimension_numbers, *,
            indices_are_sorted: bool = False, unique_indices: bool = False, mode=None):
    """``operand`` with windows at ``scatter_indices`` replaced by ``updates``:
    ``stablehlo.scatter`` with a body returning the update. Which of several updates to one
    position wins is unspecified (as in XLA)."""
    return _bind_scatter(scatter_p, "scatter", operand, scatter_indices, updates,
                         dimension_numbers, indices_are_sorted, unique_indices, mode)


scatter_p = Primitive("scatter")
scatter_p.def_abstract_eval(_scatter_abstract_eval("scatter"))


def _scatter_jvp(primals, tangents, **params):
    from xfront.lax.convenience import full
    from xfront.lax.elementwise import _const, add, eq, select
    from xfront.lax.structural import broadcast_in_dim, iota, reshape

    operand, indices, updates = primals
    t_op, _, t_up = tangents
    if _no_tangents(operand, t_op, t_up):
        out = scatter_p.bind(operand, indices, updates, **params)
        return out, _zero_tangent_out(out)
    t_op, t_up = ad.instantiate(t_op), ad.instantiate(t_up)
    if params["unique_indices"]:
        out = scatter_p.bind(operand, indices, updates, **params)
        return out, scatter_p.bind(t_op, indices, t_up, **params)
    # Repeated indices: scatter a distinct id (1, 2, ...) per update window, read the ids back
    # to learn which update won each position (0: the operand kept it), then both the value
    # and its tangent are masked scatter-adds (XLA picks one winner; the ids make it explicit).
    d = params["dimension_numbers"]
    up_aval, op_aval = get_aval(updates), get_aval(operand)
    ids_shape = tuple(1 if i in d.update_window_dims else s for i, s in enumerate(up_aval.shape))
    n = math.prod(ids_shape)
    ids = reshape(add(iota(dtypes.int32, n), full((n,), 1, dtypes.int32)), ids_shape)
    ids = broadcast_in_dim(ids, up_aval.shape, tuple(range(up_aval.ndim)))
    scattered = scatter_p.bind(full(op_aval.shape, 0, dtypes.int32), indices, ids, **params)
    winner = eq(_read_back(scattered, indices, up_aval, **params), ids)
    untouched = eq(scattered, full(op_aval.shape, 0, dtypes.int32))

    def masked(a, b):
        za, zb = _const(a, 0), _const(b, 0)
        return scatter_add_p.bind(select(untouched, a, za), indices, select(winner, b, zb),
                                  **params)

    return masked(operand, updates), masked(t_op, t_up)


def _scatter_transpose(ct, operand, indices, updates, *, dimension_numbers,
                       indices_are_sorted, unique_indices, mode):
    if not unique_indices:
        raise NotImplementedError(
            "the transpose of scatter needs unique_indices=True (its JVP with repeated indices "
            "is written with scatter_add, which transposes)")
    if type(ct) is ad.Zero:
        return _zero_cts(operand, updates)
    params = dict(dimension_numbers=dimension_numbers, indices_are_sorted=indices_are_sorted,
                  unique_indices=True, mode=mode)
    up_aval = _aval_of(updates)
    ct_op = ct_up = None
    if ad.is_undefined(operand):  # the replaced windows receive nothing
        ct_op = scatter_p.bind(ct, indices, ad.zeros_like_aval(up_aval), **params)
    if ad.is_undefined(updates):
        ct_up = _read_back(ct, indices, up_aval, **params)
    return [ct_op, None, ct_up]


ad.jvp_rules[scatter_p] = _scatter_jvp
ad.transpose_rules[scatter_p] = _scatter_transpose
batching.batch_rules[scatter_p] = _scatter_batch(scatter_p)


# ----------------------------------------------------------------------------------------------
# scatter_apply (composite)


def scatter_apply(operand, scatter_indices, func, dimension_numbers, *, update_shape=(),
                  indices_are_sorted: bool = False, unique_indices: bool = False, mode=None):
    """``func`` applied to the windows of ``operand`` at ``scatter_indices``; a position named
    k times gets ``func`` applied k times (as ``numpy.ufunc.at``). ``func`` must be
    elementwise.

    Written as ``select(count > k, func(x), x)`` rounds, so it differentiates and batches; the
    number of rounds is 1 with ``unique_indices=True``, the largest repeat count for concrete
    indices, and otherwise the number of index vectors.
    """
    from xfront.lax.convenience import full
    from xfront.lax.elementwise import _const, gt, select

    name = "scatter_apply"
    dnums = _canon_scatter_dnums(dimension_numbers, name)
    m = _mode(mode, name)
    op_aval = get_aval(operand)
    update_shape = int_tuple(update_shape, name, "update_shape")
    counts = scatter_add_p.bind(full(op_aval.shape, 0, dtypes.int32), scatter_indices,
                                full(update_shape, 1, dtypes.int32), dimension_numbers=dnums,
                                indices_are_sorted=bool(indices_are_sorted),
                                unique_indices=bool(unique_indices), mode=m)
    idx_shape = get_aval(scatter_indices).shape
    if unique_indices:
        rounds = 1
    elif not isinstance(counts, Tracer):
        rounds = int(np.asarray(counts).max()) if op_aval.size else 0
    else:
        rounds = math.prod(idx_shape[:-1])
    out = operand
    for k in range(rounds):
        new = func(out)
        if get_aval(new).shape != op_aval.shape or get_aval(new).dtype != op_aval.dtype:
            raise XfrontTypeError(
                f"{name}: func must be elementwise and keep the dtype: it mapped "
                f"{op_aval.str_short()} to {get_aval(new).str_short()}")
        out = select(gt(counts, _const(counts, k)), new, out)
    return out


# ----------------------------------------------------------------------------------------------
# Batched dynamic slicing (the batching rules of dynamic_slice / dynamic_update_slice when
# the start indices differ per example).


def _stacked_starts(idx, idx_dims, size):
    """Per-example start vectors as one (size, n) int array."""
    from xfront.lax.elementwise import convert_element_type
    from xfront.lax.structural import broadcast_in_dim, concatenate, reshape

    dt = max((get_aval(i).dtype for i in idx), key=lambda d: d.itemsize)
    cols = []
    for i, d in zip(idx, idx_dims):
        i = convert_element_type(i, dt)
        i = broadcast_in_dim(i, (size,), ()) if d is None else i  # a batched scalar is (size,)
        cols.append(reshape(i, (size, 1)))
    return concatenate(cols, 1) if len(cols) > 1 else cols[0]


def batched_dynamic_slice(x, xd, idx, idx_dims, slice_sizes):
    size = next(get_aval(i).shape[d] for i, d in zip(idx, idx_dims) if d is not None)
    x = batching.bdim_at_front(x, xd, size)
    n = len(idx)
    starts = _stacked_starts(idx, idx_dims, size)
    dn = GatherDimensionNumbers(tuple(range(1, n + 1)), (), tuple(range(1, n + 1)), (0,), (0,))
    return gather_p.bind(x, starts, dimension_numbers=dn, slice_sizes=(1, *slice_sizes),
                         indices_are_sorted=False, unique_indices=False,
                         mode=GatherScatterMode.CLIP, fill_value=None)


def batched_dynamic_update_slice(x, xd, upd, ud, idx, idx_dims, size):
    from xfront.lax.elementwise import _const, clamp

    x = batching.bdim_at_front(x, xd, size)
    upd = batching.bdim_at_front(upd, ud, size)
    x_shape, u_shape = get_aval(x).shape[1:], get_aval(upd).shape[1:]
    # dynamic_update_slice clamps the start so the update fits; scatter would drop it instead.
    clamped = []
    for i, xs, us in zip(idx, x_shape, u_shape):
        clamped.append(clamp(_const(i, 0), i, _const(i, xs - us)))
    starts = _stacked_starts(clamped, idx_dims, size)
    n = len(idx)
    dn = ScatterDimensionNumbers(tuple(range(1, n + 1)), (), tuple(range(1, n + 1)), (0,), (0,))
    return scatter_p.bind(x, starts, upd, dimension_numbers=dn, indices_are_sorted=True,
                          unique_indices=True, mode=GatherScatterMode.CLIP)
