"""Convolutions: ``conv_general_dilated`` (``stablehlo.convolution``) and JAX's helpers around it
(dimension numbers, padding types, shape tuples, transposed convolutions, patches, unshared
convolutions).

Dimension numbers are kept in JAX's canonical form: ``ConvDimensionNumbers(lhs_spec, rhs_spec,
out_spec)``, each a tuple of ints (batch, feature, spatial...) for lhs and out and (out feature,
in feature, spatial...) for rhs; the i-th spatial entries of the three specs correspond.

The derivatives of a convolution are convolutions (``_conv_transpose_lhs`` / ``_rhs`` below
derive their strides, dilations and padding), so any order of differentiation works; the
batching rule folds a vmapped dimension into the batch or feature dimension (with feature or
batch groups when both operands are batched).

StableHLO emission: ``lowering/rules/convolution.py``.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive, get_aval
from xfront.interpreters import ad, batching
from xfront.lax.dot import Precision, canonicalize_precision, dot_general
from xfront.lax.utils import NUM, check_dtype, int_tuple

__all__ = [
    "ConvDimensionNumbers",
    "ConvGeneralDilatedDimensionNumbers",
    "conv",
    "conv_dimension_numbers",
    "conv_general_dilated",
    "conv_general_dilated_local",
    "conv_general_dilated_p",
    "conv_general_dilated_patches",
    "conv_general_permutations",
    "conv_general_shape_tuple",
    "conv_shape_tuple",
    "conv_transpose",
    "conv_transpose_shape_tuple",
    "conv_with_general_padding",
    "padtype_to_pads",
]


class ConvDimensionNumbers(NamedTuple):
    """Where the dimensions of a convolution's operands and result are.

    ``lhs_spec``: (batch dim, feature dim, spatial dims...) of the input; ``rhs_spec``: (output
    feature dim, input feature dim, spatial dims...) of the kernel; ``out_spec``: (batch dim,
    feature dim, spatial dims...) of the result.
    """

    lhs_spec: tuple
    rhs_spec: tuple
    out_spec: tuple


# JAX's name for what ``dimension_numbers`` may be (None, strings or ConvDimensionNumbers).
ConvGeneralDilatedDimensionNumbers = ConvDimensionNumbers | tuple | None


# ----------------------------------------------------------------------------------------------
# Shape helpers.


def _dilate_dim(d: int, r: int) -> int:
    """Size of a dimension of ``d`` elements with ``r - 1`` holes between neighbours."""
    return 0 if d == 0 else 1 + r * (d - 1)


def _stride_dim(d: int, window: int, stride: int) -> int:
    """Number of windows of size ``window`` at ``stride`` in ``d`` elements."""
    return 0 if d < window else (d - window) // stride + 1


def padtype_to_pads(in_shape, window_shape, window_strides, padding) -> list[tuple[int, int]]:
    """Explicit (low, high) padding per dimension for a padding type.

    ``'VALID'`` pads nothing; ``'SAME'`` pads so that the output has ``ceil(in / stride)``
    elements, the odd element going at the end; ``'SAME_LOWER'`` puts it at the start.
    """
    kind = getattr(padding, "name", padding)
    if not isinstance(kind, str) or kind.upper() not in ("VALID", "SAME", "SAME_LOWER"):
        raise XfrontValueError(
            f"unknown padding type {padding!r}: expected 'VALID', 'SAME' or 'SAME_LOWER'")
    kind = kind.upper()
    in_shape, window_shape = tuple(in_shape), tuple(window_shape)
    window_strides = tuple(window_strides)
    if not len(in_shape) == len(window_shape) == len(window_strides):
        raise XfrontValueError(
            f"padtype_to_pads: input shape {in_shape}, window shape {window_shape} and strides "
            f"{window_strides} must have the same length")
    if kind == "VALID":
        return [(0, 0)] * len(in_shape)
    pads = []
    for n, w, s in zip(in_shape, window_shape, window_strides):
        out = -(-int(n) // int(s))
        total = max(0, (out - 1) * int(s) + int(w) - int(n))
        lo, hi = total // 2, total - total // 2
        pads.append((lo, hi) if kind == "SAME" else (hi, lo))
    return pads


def conv_general_permutations(dimension_numbers) -> tuple[tuple, tuple, tuple]:
    """(lhs, rhs, out) permutations to canonical order for string dimension numbers such as
    ``('NHWC', 'HWIO', 'NHWC')``; spatial dimensions follow their order in the rhs string."""
    try:
        lhs, rhs, out = dimension_numbers
    except (TypeError, ValueError):
        raise XfrontTypeError(
            f"convolution dimension_numbers must be three strings (lhs, rhs, out), got "
            f"{dimension_numbers!r}") from None
    specs = (lhs, rhs, out)
    pairs = (("N", "C"), ("O", "I"), ("N", "C"))
    for i, (spec, (a, b)) in enumerate(zip(specs, pairs)):
        if not isinstance(spec, str):
            raise XfrontTypeError(
                f"convolution dimension_numbers[{i}] must be a string, got {spec!r}")
        if spec.count(a) != 1 or spec.count(b) != 1:
            raise XfrontTypeError(
                f"convolution dimension_numbers[{i}] must contain the characters '{a}' and "
                f"'{b}' exactly once, got {spec!r}")
        if len(set(spec)) != len(spec):
            raise XfrontTypeError(
                f"convolution dimension_numbers[{i}] has a repeated character: {spec!r}")
    spatial = [set(s) - set(p) for s, p in zip(specs, pairs)]
    if not spatial[0] == spatial[1] == spatial[2]:
        raise XfrontTypeError(
            f"convolution dimension_numbers {tuple(specs)} must name the same spatial "
            "dimensions in lhs, rhs and out")
    rhs_spatial = [c for c in rhs if c not in "OI"]

    def perm(spec, pair):
        return (spec.index(pair[0]), spec.index(pair[1]), *(spec.index(c) for c in rhs_spatial))

    return perm(lhs, pairs[0]), perm(rhs, pairs[1]), perm(out, pairs[2])


def conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers) -> ConvDimensionNumbers:
    """``dimension_numbers`` (None, a ConvDimensionNumbers, or three strings) in canonical form.

    None means ``('NC...', 'OI...', 'NC...')``: batch and feature first, spatial dims after.
    """
    lhs_shape, rhs_shape = tuple(lhs_shape), tuple(rhs_shape)
    if len(lhs_shape) != len(rhs_shape):
        raise XfrontTypeError(
            f"convolution requires lhs and rhs of the same rank, got shapes {lhs_shape} and "
            f"{rhs_shape}")
    nd = len(lhs_shape)
    if dimension_numbers is None:
        iota = tuple(range(nd))
        return ConvDimensionNumbers(iota, iota, iota)
    if isinstance(dimension_numbers, tuple | list) and len(dimension_numbers) == 3 and all(
            isinstance(s, str) for s in dimension_numbers):
        for i, s in enumerate(dimension_numbers):
            if len(s) != nd:
                raise XfrontTypeError(
                    f"convolution dimension_numbers[{i}] = {s!r} must have one character per "
                    f"dimension of lhs and rhs (shapes {lhs_shape} and {rhs_shape})")
        return ConvDimensionNumbers(*conv_general_permutations(dimension_numbers))
    if isinstance(dimension_numbers, tuple | list) and len(dimension_numbers) == 3:
        specs = tuple(int_tuple(s, "conv_general_dilated", "dimension_numbers")
                      for s in dimension_numbers)
        dn = ConvDimensionNumbers(*specs)
        _check_dnums(dn, nd)
        return dn
    raise XfrontTypeError(
        "convolution dimension_numbers must be None, a ConvDimensionNumbers or three strings "
        f"such as ('NCHW', 'OIHW', 'NCHW'), got {dimension_numbers!r}")


def _check_dnums(dn: ConvDimensionNumbers, nd: int) -> None:
    for name, spec in zip(("lhs_spec", "rhs_spec", "out_spec"), dn):
        if sorted(spec) != list(range(nd)):
            raise XfrontValueError(
                f"conv_general_dilated: dimension_numbers.{name} = {tuple(spec)} must be a "
                f"permutation of the {nd} dimensions of the operands")


def conv_shape_tuple(lhs_shape, rhs_shape, strides, pads, batch_group_count: int = 1):
    """Result shape of a convolution of operands in canonical (NC..., OI...) order."""
    lhs_shape, rhs_shape = tuple(lhs_shape), tuple(rhs_shape)
    if isinstance(pads, str):
        pads = padtype_to_pads(lhs_shape[2:], rhs_shape[2:], strides, pads)
    pads = tuple(tuple(p) for p in pads)
    if len(pads) != len(lhs_shape) - 2:
        raise XfrontTypeError(
            f"convolution: expected {len(lhs_shape) - 2} (low, high) padding pairs, got "
            f"{len(pads)}")
    space = []
    for d, (lo, hi), w, s in zip(lhs_shape[2:], pads, rhs_shape[2:], strides):
        padded = d + lo + hi
        if padded < 0:
            raise XfrontValueError(
                f"convolution: negative padding {pads} is larger than the input spatial "
                f"shape {lhs_shape[2:]}")
        space.append(_stride_dim(padded, w, s))
    return (lhs_shape[0] // batch_group_count, rhs_shape[0], *space)


def conv_general_shape_tuple(lhs_shape, rhs_shape, window_strides, padding, dimension_numbers):
    """Result shape of ``conv_general_dilated`` (no dilation, no groups)."""
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    lhs_t = tuple(np.take(lhs_shape, dn.lhs_spec))
    rhs_t = tuple(np.take(rhs_shape, dn.rhs_spec))
    out_t = conv_shape_tuple(lhs_t, rhs_t, window_strides, padding)
    return tuple(int(out_t[i]) for i in np.argsort(dn.out_spec))


def _conv_transpose_padding(k: int, s: int, padding) -> tuple[int, int]:
    """(before, after) padding of the dilated input of a transposed convolution whose forward
    convolution used ``padding`` with kernel size ``k`` and stride ``s``."""
    if padding == "SAME":
        total = k + s - 2
        before = k - 1 if s > k - 1 else -(-total // 2)
    elif padding == "VALID":
        total = k + s - 2 + max(k - s, 0)
        before = k - 1
    elif isinstance(padding, tuple | list) and len(padding) == 2:
        pads = tuple(k - int(p) - 1 for p in padding)
        before, total = pads[0], sum(pads)
    else:
        raise XfrontValueError(f"conv_transpose: invalid padding {padding!r}")
    return before, total - before


def conv_transpose_shape_tuple(lhs_shape, rhs_shape, window_strides, padding,
                               dimension_numbers):
    """Result shape of ``conv_transpose`` (as ``jax.lax.conv_transpose_shape_tuple``)."""
    dn = conv_dimension_numbers(lhs_shape, rhs_shape, dimension_numbers)
    lhs_t = tuple(np.take(lhs_shape, dn.lhs_spec))
    rhs_t = tuple(np.take(rhs_shape, dn.rhs_spec))
    if isinstance(padding, str):
        padding = [_conv_transpose_padding(int(k), int(s), padding)
                   for k, s in zip(rhs_t[2:], window_strides)]
    totals = [int(np.sum(p)) for p in padding]
    space = [(i - 1) * s - k + 2 + p for i, k, s, p in zip(lhs_t[2:], rhs_t[2:],
                                                             window_strides, totals)]
    out_t = (lhs_t[0], rhs_t[0], *space)
    return tuple(int(out_t[i]) for i in np.argsort(dn.out_spec))


# ----------------------------------------------------------------------------------------------
# conv_general_dilated


def conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=None,
                         rhs_dilation=None, dimension_numbers=None, feature_group_count=1,
                         batch_group_count=1, precision=None, preferred_element_type=None):
    """General n-dimensional convolution with strides, padding, input (lhs) and kernel (rhs)
    dilation and feature/batch groups: ``stablehlo.convolution``.

    Args:
      lhs: the input, of rank n + 2.
      rhs: the kernel, of rank n + 2.
      window_strides: n ints.
      padding: 'SAME', 'SAME_LOWER', 'VALID' or n (low, high) pairs.
      lhs_dilation, rhs_dilation: n ints or None (lhs dilation is a transposed convolution,
        rhs dilation an atrous one).
      dimension_numbers: None (``'NC...', 'OI...', 'NC...'``), a ConvDimensionNumbers or
        three strings such as ``('NHWC', 'HWIO', 'NHWC')``; window strides, dilations and
        padding follow the order of the spatial characters in the rhs string.
      feature_group_count, batch_group_count: grouped convolutions (at most one above 1).
      precision: None, a Precision or a pair of them.
      preferred_element_type: the accumulation and result dtype.
    """
    name = "conv_general_dilated"
    la, ra = get_aval(lhs), get_aval(rhs)
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    if la.ndim < 2:
        raise XfrontTypeError(
            f"{name}: lhs and rhs need rank >= 2 (batch/feature dims), got {la.str_short()} and "
            f"{ra.str_short()}")
    n = la.ndim - 2
    strides = _spatial_tuple(window_strides, n, "window_strides")
    lhs_dil = (1,) * n if lhs_dilation is None else _spatial_tuple(lhs_dilation, n,
                                                                     "lhs_dilation")
    rhs_dil = (1,) * n if rhs_dilation is None else _spatial_tuple(rhs_dilation, n,
                                                                     "rhs_dilation")
    if isinstance(padding, str):
        if any(d != 1 for d in lhs_dil):
            raise XfrontValueError(
                f"{name}: string padding {padding!r} is not supported together with "
                f"lhs_dilation {lhs_dil}; give explicit (low, high) pairs or use "
                "conv_transpose")
        rhs_space = [_dilate_dim(ra.shape[d], r) for d, r in zip(dn.rhs_spec[2:], rhs_dil)]
        pads = tuple(padtype_to_pads([la.shape[d] for d in dn.lhs_spec[2:]], rhs_space,
                                     strides, padding))
    else:
        pads = _explicit_pads(padding, n, name)
    pet = None
    if preferred_element_type is not None:
        pet = dtypes.canonicalize_dtype(dtypes.dtype(preferred_element_type))
    return conv_general_dilated_p.bind(
        lhs, rhs, window_strides=strides, padding=pads, lhs_dilation=lhs_dil,
        rhs_dilation=rhs_dil, dimension_numbers=dn,
        feature_group_count=_positive_int(feature_group_count, "feature_group_count"),
        batch_group_count=_positive_int(batch_group_count, "batch_group_count"),
        precision=canonicalize_precision(precision), preferred_element_type=pet)


def _spatial_tuple(xs, n: int, what: str) -> tuple[int, ...]:
    out = int_tuple(xs, "conv_general_dilated", what)
    if len(out) != n:
        raise XfrontTypeError(
            f"conv_general_dilated: {what} {out} must have one entry per spatial dimension "
            f"({n})")
    return out


def _explicit_pads(padding, n: int, name: str) -> tuple[tuple[int, int], ...]:
    try:
        pads = tuple((int(lo), int(hi)) for lo, hi in padding)
    except (TypeError, ValueError):
        raise XfrontTypeError(
            f"{name}: padding must be 'SAME', 'SAME_LOWER', 'VALID' or a sequence of (low, "
            f"high) int pairs, got {padding!r}") from None
    if len(pads) != n:
        raise XfrontTypeError(
            f"{name}: padding {pads} must have one (low, high) pair per spatial dimension "
            f"({n})")
    return pads


def _positive_int(x, what: str) -> int:
    try:
        v = int(x)
    except (TypeError, ValueError):
        raise XfrontTypeError(f"conv_general_dilated: {what} must be an int, got {x!r}") from None
    if v < 1:
        raise XfrontValueError(f"conv_general_dilated: {what} must be a positive int, got {v}")
    return v


conv_general_dilated_p = Primitive("conv_general_dilated")


@conv_general_dilated_p.def_abstract_eval
def _conv_general_dilated_abstract_eval(lhs: ShapedArray, rhs: ShapedArray, *, window_strides,
                                        padding, lhs_dilation, rhs_dilation, dimension_numbers,
                                        feature_group_count, batch_group_count, precision,
                                        preferred_element_type):
    name = "conv_general_dilated"
    check_dtype(name, lhs.dtype, NUM, "lhs")
    check_dtype(name, rhs.dtype, NUM, "rhs")
    if lhs.dtype != rhs.dtype:
        raise XfrontTypeError(
            f"{name} requires lhs and rhs of one dtype, got {lhs.str_short()} and "
            f"{rhs.str_short()}")
    if lhs.ndim != rhs.ndim or lhs.ndim < 2:
        raise XfrontTypeError(
            f"{name}: lhs and rhs must have the same rank >= 2, got {lhs.str_short()} and "
            f"{rhs.str_short()}")
    dn = dimension_numbers
    _check_dnums(dn, lhs.ndim)
    n = lhs.ndim - 2
    for what, xs in (("window_strides", window_strides), ("padding", padding),
                     ("lhs_dilation", lhs_dilation), ("rhs_dilation", rhs_dilation)):
        if len(xs) != n:
            raise XfrontTypeError(
                f"{name}: {what} {xs} must have one entry per spatial dimension ({n}) of "
                f"{lhs.str_short()}")
    for what, xs in (("window_strides", window_strides), ("lhs_dilation", lhs_dilation),
                     ("rhs_dilation", rhs_dilation)):
        if any(x < 1 for x in xs):
            raise XfrontValueError(f"{name}: {what} must be positive, got {xs}")
    fgc, bgc = feature_group_count, batch_group_count
    if fgc > 1 and bgc > 1:
        raise XfrontValueError(
            f"{name}: at most one of feature_group_count ({fgc}) and batch_group_count ({bgc}) "
            "may be greater than 1")
    batch, feat = lhs.shape[dn.lhs_spec[0]], lhs.shape[dn.lhs_spec[1]]
    out_feat, in_feat = rhs.shape[dn.rhs_spec[0]], rhs.shape[dn.rhs_spec[1]]
    where = f"(lhs {lhs.str_short()}, rhs {rhs.str_short()})"
    if feat % fgc:
        raise XfrontValueError(
            f"{name}: feature_group_count {fgc} must divide the lhs feature dimension size "
            f"{feat} {where}")
    if feat // fgc != in_feat:
        raise XfrontValueError(
            f"{name}: the lhs feature dimension size {feat} divided by feature_group_count "
            f"{fgc} must equal the rhs input feature dimension size {in_feat} {where}")
    if out_feat % fgc:
        raise XfrontValueError(
            f"{name}: the rhs output feature dimension size {out_feat} must be a multiple of "
            f"feature_group_count {fgc} {where}")
    if batch % bgc:
        raise XfrontValueError(
            f"{name}: batch_group_count {bgc} must divide the lhs batch dimension size "
            f"{batch} {where}")
    if out_feat % bgc:
        raise XfrontValueError(
            f"{name}: the rhs output feature dimension size {out_feat} must be a multiple of "
            f"batch_group_count {bgc} {where}")
    space = []
    for i in range(n):
        d = _dilate_dim(lhs.shape[dn.lhs_spec[2 + i]], lhs_dilation[i])
        lo, hi = padding[i]
        padded = d + lo + hi
        if padded < 0:
            raise XfrontValueError(
                f"{name}: negative padding {padding[i]} is larger than spatial dimension {i} "
                f"of the (dilated) lhs {where}")
        w = _dilate_dim(rhs.shape[dn.rhs_spec[2 + i]], rhs_dilation[i])
        space.append(_stride_dim(padded, w, window_strides[i]))
    out = [0] * lhs.ndim
    out[dn.out_spec[0]] = batch // bgc
    out[dn.out_spec[1]] = out_feat
    for i, s in enumerate(space):
        out[dn.out_spec[2 + i]] = s
    dt = preferred_element_type if preferred_element_type is not None else lhs.dtype
    if preferred_element_type is not None:
        _check_preferred(name, lhs.dtype, preferred_element_type)
    weak = lhs.weak_type and rhs.weak_type and preferred_element_type is None
    return ShapedArray(tuple(out), dt, weak)


def _check_preferred(name, dt, pet):
    ok = (dtypes.is_complex(dt) and dtypes.is_complex(pet)) or (
        dtypes.is_float(dt) and dtypes.is_float(pet)) or (
        dtypes.is_int(dt) and (dtypes.is_int(pet) or dtypes.is_float(pet)))
    if not ok or (dtypes.is_int(pet) and dtypes.is_int(dt)
                  and dtypes.is_signed_int(dt) != dtypes.is_signed_int(pet)):
        raise XfrontTypeError(
            f"{name}: preferred_element_type {pet} is not compatible with the operand dtype "
            f"{dt}")


def _conv_general_dilated_jvp(primals, tangents, **params):
    lhs, rhs = primals
    tl, tr = tangents
    out = conv_general_dilated_p.bind(lhs, rhs, **params)
    acc = ad.Zero(ad.tangent_aval(get_aval(out)))
    if type(tl) is not ad.Zero:
        acc = ad.add_tangents(acc, conv_general_dilated_p.bind(tl, rhs, **params))
    if type(tr) is not ad.Zero:
        acc = ad.add_tangents(acc, conv_general_dilated_p.bind(lhs, tr, **params))
    return out, acc


def _reshape_axis_into(src: int, dst: int, x):
    """Merges axis ``src`` of ``x`` into axis ``dst`` (numbered after removing ``src``) as its
    major part."""
    from xfront.lax.structural import reshape

    shape = get_aval(x).shape
    perm = [i for i in range(len(shape)) if i != src]
    perm.insert(dst, src)
    new_shape = [s for i, s in enumerate(shape) if i != src]
    new_shape[dst] *= shape[src]
    return reshape(x, tuple(new_shape), tuple(perm))


def _reshape_axis_out_of(src: int, size1: int, x):
    """Splits axis ``src`` of ``x`` into (``size1``, rest)."""
    from xfront.lax.structural import reshape

    shape = list(get_aval(x).shape)
    shape[src:src + 1] = [size1, shape[src] // size1]
    return reshape(x, tuple(shape))


def _swap01(spec):
    return (spec[1], spec[0], *spec[2:])


def _conv_transpose_lhs(ct, rhs, lhs_aval, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count, precision, preferred_element_type):
    # out[o] = sum_k in_padded[o*stride + k*rhs_dil]: the input position j receives
    # ct[o] * w[k] wherever o*stride + k*rhs_dil - pad_lo = j (in the lhs-dilated input). That
    # is a convolution of the stride-dilated cotangent with the spatially reversed kernel, with
    # rhs_dil between taps, read every lhs_dil-th position (stride = lhs_dilation).
    from xfront.lax.elementwise import convert_element_type
    from xfront.lax.structural import rev

    lhs_spec, rhs_spec, out_spec = dimension_numbers
    rhs_aval = get_aval(rhs)
    ct_aval = get_aval(ct)
    fgc = feature_group_count
    if fgc > 1 or batch_group_count > 1:
        groups = max(fgc, batch_group_count)
        # The groups move from the kernel's output features to its input features.
        rhs = _reshape_axis_out_of(rhs_spec[0], groups, rhs)
        rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[1], rhs)
        fgc = groups
    n = len(lhs_spec) - 2
    pads = []
    for i in range(n):
        ld = _dilate_dim(lhs_aval.shape[lhs_spec[2 + i]], lhs_dilation[i])
        wd = _dilate_dim(rhs_aval.shape[rhs_spec[2 + i]], rhs_dilation[i])
        od = _dilate_dim(ct_aval.shape[out_spec[2 + i]], window_strides[i])
        before = wd - padding[i][0] - 1
        pads.append((before, ld + wd - 1 - od - before))
    rhs = rev(rhs, tuple(rhs_spec[2:]))
    if get_aval(rhs).dtype != ct_aval.dtype:
        rhs = convert_element_type(rhs, ct_aval.dtype)
    out = conv_general_dilated_p.bind(
        ct, rhs, window_strides=tuple(lhs_dilation), padding=tuple(pads),
        lhs_dilation=tuple(window_strides), rhs_dilation=tuple(rhs_dilation),
        dimension_numbers=ConvDimensionNumbers(out_spec, _swap01(rhs_spec), lhs_spec),
        feature_group_count=fgc, batch_group_count=1, precision=precision,
        preferred_element_type=None)
    if batch_group_count > 1:
        # The groups of the result's features are the groups of the input's batch.
        out = _reshape_axis_out_of(lhs_spec[1], batch_group_count, out)
        out = _reshape_axis_into(lhs_spec[1], lhs_spec[0], out)
    if get_aval(out).dtype != lhs_aval.dtype:
        out = convert_element_type(out, lhs_aval.dtype)
    return out


def _conv_transpose_rhs(ct, lhs, rhs_aval, *, window_strides, padding, lhs_dilation,
                        rhs_dilation, dimension_numbers, feature_group_count,
                        batch_group_count, precision, preferred_element_type):
    # w[k] receives sum_o ct[o] * in_padded[o*stride + k*rhs_dil]: a convolution of the input
    # (batch and feature roles swapped) with the cotangent as kernel, its taps stride apart
    # (rhs_dilation = window_strides) and the windows rhs_dil apart (stride = rhs_dilation).
    # Feature groups become batch groups and vice versa.
    from xfront.lax.elementwise import convert_element_type

    lhs_spec, rhs_spec, out_spec = dimension_numbers
    lhs_aval, ct_aval = get_aval(lhs), get_aval(ct)
    if ct_aval.size == 0:
        return ad.zeros_like_aval(rhs_aval)
    n = len(lhs_spec) - 2
    pads = []
    for i in range(n):
        ld = _dilate_dim(lhs_aval.shape[lhs_spec[2 + i]], lhs_dilation[i])
        wd = _dilate_dim(rhs_aval.shape[rhs_spec[2 + i]], rhs_dilation[i])
        od = _dilate_dim(ct_aval.shape[out_spec[2 + i]], window_strides[i])
        lo = padding[i][0]
        pads.append((lo, od - ld + wd - lo - 1))
    if lhs_aval.dtype != ct_aval.dtype:
        lhs = convert_element_type(lhs, ct_aval.dtype)
    out = conv_general_dilated_p.bind(
        lhs, ct, window_strides=tuple(rhs_dilation), padding=tuple(pads),
        lhs_dilation=tuple(lhs_dilation), rhs_dilation=tuple(window_strides),
        dimension_numbers=ConvDimensionNumbers(_swap01(lhs_spec), _swap01(out_spec),
                                               _swap01(rhs_spec)),
        feature_group_count=batch_group_count, batch_group_count=feature_group_count,
        precision=precision, preferred_element_type=None)
    if get_aval(out).dtype != rhs_aval.dtype:
        out = convert_element_type(out, rhs_aval.dtype)
    return out


def _conv_general_dilated_transpose(ct, lhs, rhs, **params):
    lhs_lin, rhs_lin = ad.is_undefined(lhs), ad.is_undefined(rhs)
    if lhs_lin and rhs_lin:
        raise NotImplementedError("conv_general_dilated: transpose with both operands linear")
    if type(ct) is ad.Zero:
        return [ad.Zero(lhs.aval) if lhs_lin else None, ad.Zero(rhs.aval) if rhs_lin else None]
    if lhs_lin:
        return [_conv_transpose_lhs(ct, rhs, lhs.aval, **params), None]
    return [None, _conv_transpose_rhs(ct, lhs, rhs.aval, **params)]


ad.jvp_rules[conv_general_dilated_p] = _conv_general_dilated_jvp
ad.transpose_rules[conv_general_dilated_p] = _conv_general_dilated_transpose


def _conv_general_dilated_batch(args, dims, *, dimension_numbers, feature_group_count,
                                batch_group_count, **params):
    (lhs, rhs), (ld, rd) = args, dims
    lhs_spec, rhs_spec, out_spec = dimension_numbers
    fgc, bgc = feature_group_count, batch_group_count
    size = get_aval(lhs).shape[ld] if ld is not None else get_aval(rhs).shape[rd]

    def bind(lhs, rhs, fgc, bgc):
        return conv_general_dilated_p.bind(lhs, rhs, dimension_numbers=dimension_numbers,
                                           feature_group_count=fgc, batch_group_count=bgc,
                                           **params)

    if size == 0:  # reshapes into the batch/feature dims cannot carry a zero-size batch
        from xfront.lax.convenience import full

        la = batching.unbatched_aval(get_aval(lhs), ld)
        ra = batching.unbatched_aval(get_aval(rhs), rd)
        out = _conv_general_dilated_abstract_eval(
            la, ra, dimension_numbers=dimension_numbers, feature_group_count=fgc,
            batch_group_count=bgc, **params)
        return full((0, *out.shape), 0, out.dtype), 0
    if ld is not None and rd is not None:
        # One convolution with the examples as extra groups: example b's features (or batch,
        # with batch groups) only meet example b's kernel.
        if bgc > 1:
            lhs = _reshape_axis_into(ld, lhs_spec[0], lhs)
            bgc *= size
        else:
            lhs = _reshape_axis_into(ld, lhs_spec[1], lhs)
            fgc *= size
        rhs = _reshape_axis_into(rd, rhs_spec[0], rhs)
        out = bind(lhs, rhs, fgc, bgc)
        return _reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    if ld is not None:
        if bgc == 1:  # the examples are more batch
            out = bind(_reshape_axis_into(ld, lhs_spec[0], lhs), rhs, fgc, bgc)
            return _reshape_axis_out_of(out_spec[0], size, out), out_spec[0]
        # With batch groups the groups must stay outermost in the batch dimension: split them
        # out, put the examples inside each group, merge back.
        b0 = lhs_spec[0] + (1 if ld <= lhs_spec[0] else 0)
        lhs = _reshape_axis_out_of(b0, bgc, lhs)
        ld2 = ld + (1 if lhs_spec[0] < ld else 0)
        lhs = _reshape_axis_into(ld2, lhs_spec[0] + 1, lhs)
        lhs = _reshape_axis_into(lhs_spec[0], lhs_spec[0], lhs)
        out = bind(lhs, rhs, fgc, bgc)
        return _reshape_axis_out_of(out_spec[0], size, out), out_spec[0]
    # Only the kernel is batched: the examples are more output features.
    if fgc == 1 and bgc == 1:
        out = bind(lhs, _reshape_axis_into(rd, rhs_spec[0], rhs), fgc, bgc)
        return _reshape_axis_out_of(out_spec[1], size, out), out_spec[1]
    groups = max(fgc, bgc)
    o0 = rhs_spec[0] + (1 if rd <= rhs_spec[0] else 0)
    rhs = _reshape_axis_out_of(o0, groups, rhs)
    rd2 = rd + (1 if rhs_spec[0] < rd else 0)
    rhs = _reshape_axis_into(rd2, rhs_spec[0] + 1, rhs)
    rhs = _reshape_axis_into(rhs_spec[0], rhs_spec[0], rhs)
    out = bind(lhs, rhs, fgc, bgc)
    # out features are (group, example, feature-in-group): move the examples out front.
    out = _reshape_axis_out_of(out_spec[1], groups, out)
    out = _reshape_axis_out_of(out_spec[1] + 1, size, out)
    out = _reshape_axis_into(out_spec[1], out_spec[1] + 1, out)
    return out, out_spec[1]


batching.batch_rules[conv_general_dilated_p] = _conv_general_dilated_batch


# ----------------------------------------------------------------------------------------------
# Convenience wrappers.


def conv(lhs, rhs, window_strides, padding, precision=None, preferred_element_type=None):
    """``conv_general_dilated`` with NC.../OI... layouts and no dilation."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_with_general_padding(lhs, rhs, window_strides, padding, lhs_dilation, rhs_dilation,
                              precision=None, preferred_element_type=None):
    """``conv_general_dilated`` with NC.../OI... layouts."""
    return conv_general_dilated(lhs, rhs, window_strides, padding, lhs_dilation=lhs_dilation,
                                rhs_dilation=rhs_dilation, precision=precision,
                                preferred_element_type=preferred_element_type)


_TRANSPOSE_DEFAULT_DNUMS = {2: ("NC", "IO", "NC"), 3: ("NHC", "HIO", "NHC"),
                            4: ("NHWC", "HWIO", "NHWC"), 5: ("NHWDC", "HWDIO", "NHWDC")}


def conv_transpose(lhs, rhs, strides, padding, rhs_dilation=None, dimension_numbers=None,
                   transpose_kernel: bool = False, precision=None, preferred_element_type=None,
                   use_consistent_padding: bool = False):
    """Transposed ("fractionally strided") convolution: the input is dilated by ``strides``
    (Keras' Conv2DTranspose conventions; the kernel is not flipped unless
    ``transpose_kernel``).

    'SAME'/'VALID' padding (and, with ``use_consistent_padding``, explicit pairs) describe the
    forward convolution this one transposes; otherwise explicit pairs pad the dilated input.
    Default layouts are TensorFlow's (NHWC, HWIO, NHWC).
    """
    from xfront.lax.structural import rev, transpose

    la, ra = get_aval(lhs), get_aval(rhs)
    if la.ndim != ra.ndim or la.ndim < 2:
        raise XfrontTypeError(
            f"conv_transpose: lhs and rhs must have the same rank >= 2, got {la.str_short()} "
            f"and {ra.str_short()}")
    if dimension_numbers is None:
        if la.ndim not in _TRANSPOSE_DEFAULT_DNUMS:
            raise XfrontValueError(
                f"conv_transpose: no default dimension_numbers for rank {la.ndim}; pass them")
        dimension_numbers = _TRANSPOSE_DEFAULT_DNUMS[la.ndim]
    dn = conv_dimension_numbers(la.shape, ra.shape, dimension_numbers)
    n = la.ndim - 2
    strides = _spatial_tuple(strides, n, "strides")
    rhs_dil = (1,) * n if rhs_dilation is None else _spatial_tuple(rhs_dilation, n,
                                                                     "rhs_dilation")
    k_space = [ra.shape[d] for d in dn.rhs_spec[2:]]
    if use_consistent_padding or (isinstance(padding, str) and padding in ("SAME", "VALID")):
        per_dim = [padding] * n if isinstance(padding, str) else [tuple(p) for p in padding]
        if len(per_dim) != n:
            raise XfrontTypeError(
                f"conv_transpose: padding {padding!r} needs one pair per spatial dimension")
        pads = tuple(_conv_transpose_padding(_dilate_dim(k, r), s, p)
                     for k, r, s, p in zip(k_space, rhs_dil, strides, per_dim))
    else:
        pads = padding
    if transpose_kernel:
        rhs = rev(rhs, tuple(dn.rhs_spec[2:]))
        perm = list(range(ra.ndim))
        perm[dn.rhs_spec[0]], perm[dn.rhs_spec[1]] = perm[dn.rhs_spec[1]], perm[dn.rhs_spec[0]]
        rhs = transpose(rhs, tuple(perm))
    return conv_general_dilated(lhs, rhs, (1,) * n, pads, lhs_dilation=strides,
                                rhs_dilation=rhs_dil, dimension_numbers=dn,
                                precision=precision,
                                preferred_element_type=preferred_element_type)


def conv_general_dilated_patches(lhs, filter_shape, window_strides, padding, lhs_dilation=None,
                                 rhs_dilation=None, dimension_numbers=None, precision=None,
                                 preferred_element_type=None):
    """The patches each output position of ``conv_general_dilated`` sees, flattened into the
    output feature dimension in (input feature, spatial dims in rhs order) order.

    A convolution with a one-hot kernel: ``stablehlo.convolution`` with one feature group per
    input feature.
    """
    la = get_aval(lhs)
    filter_shape = int_tuple(filter_shape, "conv_general_dilated_patches", "filter_shape")
    dn = conv_dimension_numbers(la.shape, (1, 1, *filter_shape), dimension_numbers)
    channels = la.shape[dn.lhs_spec[1]]
    size = math.prod(filter_shape)
    # Canonical (O, I, *spatial) kernel: output feature c*size + s reads spatial position s.
    eye = np.eye(size, dtype=la.dtype).reshape(size, 1, *filter_shape)
    kernel = np.concatenate([eye] * channels, axis=0) if channels else eye[:0]
    # Lay the canonical axes out where rhs_spec puts them.
    kernel = np.transpose(kernel, tuple(int(i) for i in np.argsort(dn.rhs_spec)))
    prec = canonicalize_precision(precision)
    if prec is not None:
        prec = (prec[0], Precision.DEFAULT)
    return conv_general_dilated(lhs, kernel, window_strides, padding, lhs_dilation,
                                rhs_dilation, dn, feature_group_count=max(channels, 1),
                                precision=prec, preferred_element_type=preferred_element_type)


def conv_general_dilated_local(lhs, rhs, window_strides, padding, filter_shape,
                               lhs_dilation=None, rhs_dilation=None, dimension_numbers=None,
                               precision=None):
    """Unshared ("locally connected") convolution: a separate kernel per output position.

    ``rhs`` has the layout of ``dimension_numbers[1]``, its spatial dims indexing output
    positions and its input feature dim holding (input feature, window position in rhs order)
    flattened, as in ``jax.lax.conv_general_dilated_local``.
    """
    from xfront.lax.structural import transpose

    prec = canonicalize_precision(precision)
    patches = conv_general_dilated_patches(
        lhs, filter_shape, window_strides, padding, lhs_dilation, rhs_dilation,
        dimension_numbers, precision=None if prec is None else prec[0])
    la = get_aval(lhs)
    filter_shape = int_tuple(filter_shape, "conv_general_dilated_local", "filter_shape")
    lhs_spec, rhs_spec, out_spec = conv_dimension_numbers(la.shape, (1, 1, *filter_shape),
                                                          dimension_numbers)
    # Contract the patch features with rhs's input features; the spatial dims are batch dims.
    order = sorted(range(len(out_spec) - 2), key=lambda i: out_spec[2 + i])
    p_batch = tuple(out_spec[2 + i] for i in order)
    r_batch = tuple(rhs_spec[2 + i] for i in order)
    out = dot_general(patches, rhs, (((out_spec[1],), (rhs_spec[1],)), (p_batch, r_batch)),
                      precision=prec)
    # out: (spatial dims in out order..., out batch, rhs out feature) -> out_spec layout.
    nd = len(out_spec)
    layout = [*sorted(out_spec[2:]), out_spec[0], out_spec[1]]
    return transpose(out, tuple(layout.index(d) for d in range(nd)))
