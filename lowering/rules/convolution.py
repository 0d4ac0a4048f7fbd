"""StableHLO emission of convolutions (mirrors ``xfront/lax/convolution.py``)."""

from __future__ import annotations

import numpy as np

from lowering import mlir
from lowering.builder import register_lowering
from lowering.mlir import hlo, ir
from xfront.core import dtypes


def _convolution(out_type, lhs, rhs, *, window_strides, padding, lhs_dilation, rhs_dilation,
                 dimension_numbers, feature_group_count, batch_group_count, precision):
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    dn = hlo.ConvDimensionNumbers.get(
        input_batch_dimension=lhs_spec[0], input_feature_dimension=lhs_spec[1],
        input_spatial_dimensions=list(lhs_spec[2:]),
        kernel_output_feature_dimension=rhs_spec[0],
        kernel_input_feature_dimension=rhs_spec[1],
        kernel_spatial_dimensions=list(rhs_spec[2:]),
        output_batch_dimension=out_spec[0], output_feature_dimension=out_spec[1],
        output_spatial_dimensions=list(out_spec[2:]))
    n = len(window_strides)
    pads = ir.DenseIntElementsAttr.get(np.asarray(padding, np.int64).reshape(n, 2))
    config = None
    if precision is not None:
        config = ir.ArrayAttr.get([hlo.PrecisionAttr.get(p.name) for p in precision])
    i64 = ir.IntegerType.get_signless(64)
    return hlo.convolution(
        out_type, lhs, rhs, dn, ir.IntegerAttr.get(i64, feature_group_count),
        ir.IntegerAttr.get(i64, batch_group_count), window_strides=list(window_strides),
        padding=pads, lhs_dilation=list(lhs_dilation), rhs_dilation=list(rhs_dilation),
        window_reversal=[False] * n, precision_config=config)


def _conv_general_dilated_lowering(ctx, lhs, rhs, *, preferred_element_type, **params):
    la, ra = ctx.avals_in
    out = ctx.aval_out
    if dtypes.is_complex(la.dtype):
        # XLA's CPU and GPU convolutions are real: four real convolutions (re/im parts).
        rdt = dtypes.real_dtype(out.dtype)
        rl, il = _parts(lhs, la, rdt)
        rr, ir_ = _parts(rhs, ra, rdt)
        rtype = mlir.tensor_type(out.shape, rdt)
        conv = lambda x, y: _convolution(rtype, x, y, **params)  # noqa: E731
        real = hlo.subtract(conv(rl, rr), conv(il, ir_))
        imag = hlo.add(conv(rl, ir_), conv(il, rr))
        return hlo.complex(real, imag)
    if out.dtype != la.dtype:
        # Accumulate in the preferred type: operands of the result's type.
        lhs = hlo.convert(mlir.tensor_type(la.shape, out.dtype), lhs)
        rhs = hlo.convert(mlir.tensor_type(ra.shape, out.dtype), rhs)
    return _convolution(ctx.out_type, lhs, rhs, **params)


def _parts(x, aval, rdt):
    t = mlir.tensor_type(aval.shape, rdt)
    re, im = hlo.real(x), hlo.imag(x)
    if dtypes.real_dtype(aval.dtype) != rdt:
        re, im = hlo.convert(t, re), hlo.convert(t, im)
    return re, im


register_lowering("conv_general_dilated", _conv_general_dilated_lowering)
