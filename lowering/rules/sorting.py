"""StableHLO emission of sorting, selection and bit-level primitives (mirrors
``xfront/lax/sorting.py``)."""

from __future__ import annotations

import numpy as np

from lowering import mlir
from lowering.builder import register_lowering
from lowering.mlir import chlo, hlo, ir
from lowering.rules.elementwise import compare
from xfront.core import dtypes


def _scalar(dt):
    return mlir.tensor_type((), dt)


def _total_compare(x, y, direction: str, dt):
    """``x <direction> y`` on canonical floats (see ``_sort_keys``) in IEEE total order."""
    return hlo.compare(x, y, hlo.ComparisonDirectionAttr.get(direction),
                       compare_type=hlo.ComparisonTypeAttr.get("TOTALORDER"))


def _canonical_float(x, dt):
    """-0.0 as 0.0 and every NaN as the one positive quiet NaN, so that the total order puts
    all NaNs last and treats signed zeros (and NaN payloads) as equivalent."""
    zero = mlir.scalar_constant(0, dt)
    nan = mlir.scalar_constant(np.nan, dt)
    x = hlo.select(compare(x, zero, "EQ", dt), zero, x)
    return hlo.select(compare(x, x, "NE", dt), nan, x)


def _sort_keys(x, dt):
    """The rank-0 key(s) of one comparator argument, with their dtypes."""
    if dtypes.is_complex(dt):
        rdt = dtypes.real_dtype(dt)
        return [(_canonical_float(hlo.real(x), rdt), rdt),
                (_canonical_float(hlo.imag(x), rdt), rdt)]
    if dtypes.is_float(dt):
        return [(_canonical_float(x, dt), dt)]
    return [(x, dt)]


def _key_compare(x, y, direction: str, dt):
    if dtypes.is_float(dt):
        return _total_compare(x, y, direction, dt)
    return compare(x, y, direction, dt)


def _lexicographic_less(xs, ys, dts, greater: bool = False):
    """Comparator body: ``xs < ys`` (or ``>``) lexicographically over the key operands."""
    direction = "GT" if greater else "LT"
    x_keys, y_keys = [], []
    for x, y, dt in zip(xs, ys, dts):
        x_keys += _sort_keys(x, dt)
        y_keys += _sort_keys(y, dt)
    pred = None
    for (xk, kdt), (yk, _) in reversed(list(zip(x_keys, y_keys))):
        less = _key_compare(xk, yk, direction, kdt)
        if pred is None:
            pred = less
        else:
            pred = hlo.or_(less, hlo.and_(_key_compare(xk, yk, "EQ", kdt), pred))
    return pred


def emit_sort(operands, avals, dimension: int, is_stable: bool, num_keys: int,
              greater: bool = False):
    """A ``stablehlo.sort`` of ``operands`` (with abstract values ``avals``) by the first
    ``num_keys`` of them in total order (descending when ``greater``)."""
    types = [mlir.tensor_type(a.shape, a.dtype) for a in avals]
    op = hlo.SortOp(types, list(operands), dimension=dimension, is_stable=is_stable)
    scalars = []
    for a in avals:
        scalars += [_scalar(a.dtype), _scalar(a.dtype)]
    block = op.comparator.blocks.append(*scalars)
    with ir.InsertionPoint(block):
        args = list(block.arguments)
        xs, ys = args[0:2 * num_keys:2], args[1:2 * num_keys:2]
        dts = [a.dtype for a in avals[:num_keys]]
        hlo.return_([_lexicographic_less(xs, ys, dts, greater)])
    return list(op.results)


def _sort_lowering(ctx, *operands, dimension, is_stable, num_keys):
    return emit_sort(operands, ctx.avals_in, dimension, is_stable, num_keys)


register_lowering("sort", _sort_lowering)


def _move_last(x, aval, axis):
    """``x`` with ``axis`` swapped with the last dimension (and the permutation, or None)."""
    nd = aval.ndim
    if axis == nd - 1:
        return x, None
    perm = list(range(nd))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    return hlo.transpose(x, perm), perm


def _top_k_lowering(ctx, x, *, k, axis):
    aval = ctx.avals_in[0]
    x, perm = _move_last(x, aval, axis)
    if dtypes.is_bool(aval.dtype):  # chlo.top_k needs numbers: order bools as uint8
        x = hlo.convert(mlir.tensor_type(ir.RankedTensorType(x.type).shape, np.dtype(np.uint8)),
                        x)
    vals, idx = chlo.top_k(x, k)
    if dtypes.is_bool(aval.dtype):
        vals = hlo.convert(mlir.tensor_type(ir.RankedTensorType(vals.type).shape, aval.dtype),
                           vals)
    if perm is not None:
        vals, idx = hlo.transpose(vals, perm), hlo.transpose(idx, perm)
    return [vals, idx]


register_lowering("top_k", _top_k_lowering)


def _approx_top_k_lowering(ctx, x, *, k, reduction_dimension, recall_target, is_max_k,
                           reduction_input_size_override, aggregate_to_topk):
    # XLA's CPU fallback: sort (values, indices) and keep the leading entries.
    aval = ctx.avals_in[0]
    idx_aval = aval.update(dtype=dtypes.int32)
    iota = hlo.iota(mlir.tensor_type(aval.shape, dtypes.int32), reduction_dimension)
    vals, idx = emit_sort([x, iota], [aval, idx_aval], reduction_dimension, True, 1,
                          greater=is_max_k)
    size = ctx.aval_out.shape[reduction_dimension]
    limits = list(aval.shape)
    limits[reduction_dimension] = size
    start, strides = [0] * aval.ndim, [1] * aval.ndim
    return [hlo.slice(vals, start, limits, strides), hlo.slice(idx, start, limits, strides)]


register_lowering("approx_top_k", _approx_top_k_lowering)


def _reduce_precision_lowering(ctx, x, *, exponent_bits, mantissa_bits):
    return hlo.reduce_precision(x, exponent_bits, mantissa_bits)


register_lowering("reduce_precision", _reduce_precision_lowering)


_RNG_ALGORITHMS = {0: "DEFAULT", 1: "THREE_FRY", 2: "PHILOX"}


def _rng_bit_generator_lowering(ctx, key, *, shape, dtype, algorithm):
    key_aval, bits_aval = ctx.avals_out
    u64 = np.dtype(np.uint64)
    # XLA's state is u64[2]; a u32[4] key is its bit pattern.
    if key_aval.dtype == dtypes.uint32:
        pairs = hlo.reshape(mlir.tensor_type((2, 2), key_aval.dtype), key)
        state = hlo.bitcast_convert(mlir.tensor_type((2,), u64), pairs)
    else:
        state = key
    algo = hlo.RngAlgorithmAttr.get(_RNG_ALGORITHMS[int(algorithm)])
    op = hlo.RngBitGeneratorOp(mlir.tensor_type((2,), u64),
                               mlir.tensor_type(bits_aval.shape, bits_aval.dtype), algo, state)
    new_state, bits = op.results
    if key_aval.dtype == dtypes.uint32:
        pairs = hlo.bitcast_convert(mlir.tensor_type((2, 2), key_aval.dtype), new_state)
        new_state = hlo.reshape(mlir.tensor_type((4,), key_aval.dtype), pairs)
    return [new_state, bits]


register_lowering("rng_bit_generator", _rng_bit_generator_lowering)
