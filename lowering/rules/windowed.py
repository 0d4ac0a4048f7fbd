"""StableHLO emission of windowed and cumulative reductions (mirrors ``xfront/lax/windowed.py``)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from lowering import mlir
from lowering.builder import lower_graph_body, register_lowering
from lowering.mlir import hlo, ir
from lowering.rules.elementwise import compare
from xfront.core import dtypes


def _padding_attr(padding) -> ir.DenseIntElementsAttr:
    return ir.DenseIntElementsAttr.get(np.asarray(padding, np.int64).reshape(len(padding), 2))


def reduce_window(ctx, operands: Sequence, inits: Sequence, body: Callable, *,
                  window_dimensions, window_strides, padding, base_dilation, window_dilation,
                  out_types=None) -> list:
    """``stablehlo.reduce_window``; ``body(accs, values) -> results`` works on rank-0 values."""
    n = len(operands)
    scalar_types = [ir.RankedTensorType.get([], ir.RankedTensorType(v.type).element_type)
                    for v in inits]
    op = hlo.ReduceWindowOp(out_types or ctx.out_types(), list(operands), list(inits),
                            list(window_dimensions), window_strides=list(window_strides),
                            base_dilations=list(base_dilation),
                            window_dilations=list(window_dilation),
                            padding=_padding_attr(padding))
    block = op.body.blocks.append(*scalar_types, *scalar_types)
    with ir.InsertionPoint(block):
        args = list(block.arguments)
        hlo.return_(list(body(args[:n], args[n:])))
    return list(op.results)


def _reduce_window_lowering(ctx, *args, computation, **window):
    n = len(args) // 2

    def body(accs, values):
        return lower_graph_body(ctx.module_ctx, computation, [*accs, *values])

    return reduce_window(ctx, args[:n], args[n:], body, **window)


register_lowering("reduce_window", _reduce_window_lowering)


def _max_identity(dt):
    if dtypes.is_bool(dt):
        return False
    return np.iinfo(dt).min if dtypes.is_int(dt) else -np.inf


def _min_identity(dt):
    if dtypes.is_bool(dt):
        return True
    return np.iinfo(dt).max if dtypes.is_int(dt) else np.inf


def _monoid_window(op, identity):
    def rule(ctx, x, **window):
        dt = ctx.avals_in[0].dtype
        init = mlir.scalar_constant(identity(dt), dt)
        return reduce_window(ctx, [x], [init], lambda a, b: [op(a[0], b[0])], **window)[0]

    return rule


register_lowering("reduce_window_sum", _monoid_window(hlo.add, lambda dt: 0))
register_lowering("reduce_window_max", _monoid_window(hlo.maximum, _max_identity))
register_lowering("reduce_window_min", _monoid_window(hlo.minimum, _min_identity))


def _direction(select_prim) -> str:
    return "GE" if select_prim.name == "ge" else "LE"


def _select_and_gather_add_lowering(ctx, t, x, *, select_prim, **window):
    # A two-operand reduce_window over (operand, tangent) pairs keeping the selected pair.
    dt = ctx.avals_in[1].dtype
    direction = _direction(select_prim)
    inits = [mlir.scalar_constant(-np.inf if direction == "GE" else np.inf, dt),
             mlir.scalar_constant(0, dt)]

    def body(acc, new):
        (ax, at), (bx, bt) = acc, new
        keep = compare(ax, bx, direction, dt)
        return [hlo.select(keep, ax, bx), hlo.select(keep, at, bt)]

    out = ctx.aval_out
    out_types = [mlir.tensor_type(out.shape, dt), mlir.tensor_type(out.shape, out.dtype)]
    return reduce_window(ctx, [x, t], inits, body, out_types=out_types, **window)[1]


register_lowering("select_and_gather_add", _select_and_gather_add_lowering)


def _select_and_scatter_add_lowering(ctx, source, x, *, select_prim, window_dimensions,
                                     window_strides, padding):
    # The padding is applied explicitly (with the identity, never selected) and removed from
    # the result: XLA's CPU select_and_scatter mishandles padded windows.
    x_aval = ctx.avals_in[1]
    dt = x_aval.dtype
    direction = _direction(select_prim)
    lo = [p[0] for p in padding]
    hi = [p[1] for p in padding]
    n = x_aval.ndim
    ident = mlir.scalar_constant(-np.inf if direction == "GE" else np.inf, dt)
    padded_shape = tuple(d + a + b for d, a, b in zip(x_aval.shape, lo, hi))
    if any(lo) or any(hi):
        x = hlo.pad(x, ident, lo, hi, [0] * n)
    zero = mlir.scalar_constant(0, dt)
    op = hlo.SelectAndScatterOp(mlir.tensor_type(padded_shape, dt), x, source, zero,
                                window_dimensions=list(window_dimensions),
                                window_strides=list(window_strides),
                                padding=_padding_attr([(0, 0)] * n))
    scalar = mlir.tensor_type((), dt)
    select = op.select.blocks.append(scalar, scalar)
    with ir.InsertionPoint(select):
        a, b = select.arguments
        hlo.return_([compare(a, b, direction, dt)])
    scatter = op.scatter.blocks.append(scalar, scalar)
    with ir.InsertionPoint(scatter):
        a, b = scatter.arguments
        hlo.return_([hlo.add(a, b)])
    out = op.result
    if any(lo) or any(hi):  # negated edges undo the padding (and restore cropped elements)
        out = hlo.pad(out, zero, [-v for v in lo], [-v for v in hi], [0] * n)
    return out


register_lowering("select_and_scatter_add", _select_and_scatter_add_lowering)


def _logaddexp(a, b, dt):
    delta = hlo.subtract(a, b)
    out = hlo.add(hlo.maximum(a, b),
                  hlo.log_plus_one(hlo.exponential(hlo.negate(hlo.abs(delta)))))
    return hlo.select(compare(delta, delta, "NE", dt), hlo.add(a, b), out)


def _cumulative(combine, identity):
    # A window spanning the whole axis, padded so that window i ends (starts, if reverse) at
    # element i; XLA rewrites this reduce_window into a scan.
    def rule(ctx, x, *, axis, reverse):
        aval = ctx.avals_in[0]
        n = aval.shape[axis]
        if n == 0:
            return x
        nd = aval.ndim
        dims = [1] * nd
        dims[axis] = n
        padding = [(0, 0)] * nd
        padding[axis] = (0, n - 1) if reverse else (n - 1, 0)
        dt = aval.dtype
        init = mlir.scalar_constant(identity(dt), dt)
        return reduce_window(ctx, [x], [init], lambda a, b: [combine(a[0], b[0], dt)],
                             window_dimensions=dims, window_strides=[1] * nd,
                             padding=padding, base_dilation=[1] * nd,
                             window_dilation=[1] * nd)[0]

    return rule


register_lowering("cumsum", _cumulative(lambda a, b, dt: hlo.add(a, b), lambda dt: 0))
register_lowering("cumprod", _cumulative(lambda a, b, dt: hlo.multiply(a, b), lambda dt: 1))
register_lowering("cummax", _cumulative(lambda a, b, dt: hlo.maximum(a, b), _max_identity))
register_lowering("cummin", _cumulative(lambda a, b, dt: hlo.minimum(a, b), _min_identity))
register_lowering("cumlogsumexp", _cumulative(_logaddexp, lambda dt: -np.inf))
