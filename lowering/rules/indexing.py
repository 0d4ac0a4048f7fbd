"""StableHLO emission of gather and the scatter family (mirrors ``xfront/lax/indexing.py``).

XLA's gather clamps out-of-bounds starts and its scatter drops windows that do not fit. CLIP
clamps scatter starts first; FILL_OR_DROP masks gathered windows whose start is out of bounds.
"""

from __future__ import annotations

import numpy as np

from lowering import mlir
from lowering.builder import register_lowering
from lowering.mlir import hlo, ir
from lowering.rules.elementwise import compare, complex_max_min
from xfront.core import dtypes

_i64 = np.dtype(np.int64)
_bool = np.dtype(np.bool_)


def _default_fill(dt: np.dtype):
    if dtypes.is_inexact(dt):
        return np.nan
    if dtypes.is_bool(dt):
        return True
    info = np.iinfo(dt)
    return info.min if dtypes.is_signed_int(dt) else info.max


def _in_bounds(indices, idx_shape, idx_dtype, bounds):
    """Per index vector: every component in [0, bound] (rank ``len(idx_shape) - 1``, i1)."""
    idx = indices
    if idx_dtype != _i64:
        idx = hlo.convert(mlir.tensor_type(idx_shape, _i64), indices)
    hi = hlo.broadcast_in_dim(mlir.tensor_type(idx_shape, _i64),
                              mlir.dense_constant(np.asarray(bounds, _i64)),
                              [len(idx_shape) - 1])
    lo = mlir.scalar_constant(0, _i64, idx_shape)
    ok = hlo.and_(compare(idx, lo, "GE", _i64), compare(idx, hi, "LE", _i64))
    batch = idx_shape[:-1]
    op = hlo.ReduceOp([mlir.tensor_type(batch, _bool)], [ok],
                      [mlir.scalar_constant(True, _bool)],
                      ir.DenseI64ArrayAttr.get([len(idx_shape) - 1]))
    scalar = mlir.tensor_type((), _bool)
    block = op.regions[0].blocks.append(scalar, scalar)
    with ir.InsertionPoint(block):
        hlo.return_([hlo.and_(*block.arguments)])
    return op.result


def _gather_lowering(ctx, operand, indices, *, dimension_numbers, slice_sizes,
                     indices_are_sorted, unique_indices, mode, fill_value=None):
    d = dimension_numbers
    op_aval, idx_aval = ctx.avals_in
    out_aval = ctx.aval_out
    dn = hlo.GatherDimensionNumbers.get(
        offset_dims=list(d.offset_dims), collapsed_slice_dims=list(d.collapsed_slice_dims),
        operand_batching_dims=list(d.operand_batching_dims),
        start_indices_batching_dims=list(d.start_indices_batching_dims),
        start_index_map=list(d.start_index_map),
        index_vector_dim=idx_aval.ndim - 1)
    out = hlo.gather(operand, indices, dn, list(slice_sizes),
                     indices_are_sorted=indices_are_sorted)
    if mode.name != "FILL_OR_DROP" or not d.start_index_map or out_aval.size == 0:
        return out
    bounds = [op_aval.shape[k] - slice_sizes[k] for k in d.start_index_map]
    mask = _in_bounds(indices, idx_aval.shape, idx_aval.dtype, bounds)
    batch_dims_out = [i for i in range(out_aval.ndim) if i not in d.offset_dims]
    mask = hlo.broadcast_in_dim(mlir.tensor_type(out_aval.shape, _bool), mask, batch_dims_out)
    fill = _default_fill(out_aval.dtype) if fill_value is None else fill_value
    return hlo.select(mask, out, mlir.scalar_constant(fill, out_aval.dtype, out_aval.shape))


register_lowering("gather", _gather_lowering)


def _clamp_scatter_indices(ctx, indices, d):
    """CLIP mode: clamp each start so its window fits (XLA's scatter would drop it)."""
    op_aval, idx_aval, up_aval = ctx.avals_in
    window = iter(up_aval.shape[w] for w in d.update_window_dims)
    sizes = [1 if (k in d.inserted_window_dims or k in d.operand_batching_dims)
             else next(window) for k in range(op_aval.ndim)]
    info = np.iinfo(idx_aval.dtype)
    bound = np.array([min(op_aval.shape[k] - sizes[k], info.max)
                      for k in d.scatter_dims_to_operand_dims], idx_aval.dtype)
    shape = idx_aval.shape
    hi = hlo.broadcast_in_dim(mlir.tensor_type(shape, idx_aval.dtype),
                              mlir.dense_constant(bound), [len(shape) - 1])
    lo = mlir.scalar_constant(0, idx_aval.dtype, shape)
    return hlo.clamp(lo, indices, hi)


def _scatter(combine):
    def rule(ctx, operand, indices, updates, *, dimension_numbers, indices_are_sorted,
             unique_indices, mode):
        d = dimension_numbers
        if mode.name == "CLIP" and d.scatter_dims_to_operand_dims:
            indices = _clamp_scatter_indices(ctx, indices, d)
        dn = hlo.ScatterDimensionNumbers.get(
            update_window_dims=list(d.update_window_dims),
            inserted_window_dims=list(d.inserted_window_dims),
            input_batching_dims=list(d.operand_batching_dims),
            scatter_indices_batching_dims=list(d.scatter_indices_batching_dims),
            scattered_dims_to_operand_dims=list(d.scatter_dims_to_operand_dims),
            index_vector_dim=ctx.avals_in[1].ndim - 1)
        op = hlo.ScatterOp([ctx.out_type], [operand], indices, [updates], dn,
                           indices_are_sorted=indices_are_sorted, unique_indices=unique_indices)
        dt = ctx.avals_in[0].dtype
        scalar = mlir.tensor_type((), dt)
        block = op.regions[0].blocks.append(scalar, scalar)
        with ir.InsertionPoint(block):
            hlo.return_([combine(*block.arguments, dt)])
        return op.result

    return rule


def _extremum(op, direction):
    def combine(old, new, dt):
        if dtypes.is_complex(dt):
            return complex_max_min(old, new, direction, dt)
        if dtypes.is_bool(dt):
            return (hlo.and_ if direction == "LT" else hlo.or_)(old, new)
        return op(old, new)

    return combine


register_lowering("scatter_add", _scatter(lambda old, new, dt: (
    hlo.or_(old, new) if dtypes.is_bool(dt) else hlo.add(old, new))))
register_lowering("scatter_sub", _scatter(lambda old, new, dt: hlo.subtract(old, new)))
register_lowering("scatter_mul", _scatter(lambda old, new, dt: (
    hlo.and_(old, new) if dtypes.is_bool(dt) else hlo.multiply(old, new))))
register_lowering("scatter_min", _scatter(_extremum(hlo.minimum, "LT")))
register_lowering("scatter_max", _scatter(_extremum(hlo.maximum, "GT")))
register_lowering("scatter", _scatter(lambda old, new, dt: new))
