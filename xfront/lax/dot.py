"""Contractions: dot_general (and the ``dot`` convenience over it).

StableHLO emission: ``lowering/rules/dot.py`` (``stablehlo.dot_general``).
"""

from __future__ import annotations

import enum

import numpy as np

from xfront.core import dtypes
from xfront.core.config import config
from xfront.core.errors import XfrontTypeError
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive, get_aval
from xfront.interpreters import ad, batching
from xfront.lax.utils import NUM, check_dtype, int_tuple

__all__ = [
    "Precision",
    "dot",
    "dot_general",
    "dot_general_p",
]



class Precision(enum.Enum):
    """Matmul precision on accelerators (CPU always computes in full precision)."""

    DEFAULT = 0
    HIGH = 1
    HIGHEST = 2

    @classmethod
    def _missing_(cls, value):
        if isinstance(value, str):
            key = {"bfloat16": "DEFAULT", "tensorfloat32": "HIGH", "float32": "HIGHEST",
                   "fastest": "DEFAULT"}.get(value.lower(), value.upper())
            return cls.__members__.get(key)
        return None


def canonicalize_precision(precision):
    """None, one Precision (or string) for both operands, or a pair -> None or a pair.
    None takes ``xfront.default_matmul_precision`` (None there too: XLA's default)."""
    if precision is None:
        precision = config.default_matmul_precision
        if precision is None:
            return None
    if isinstance(precision, tuple | list):
        if len(precision) != 2:
            raise XfrontTypeError(f"precision must be None, a Precision or a pair, got "
                                  f"{precision!r}")
        return tuple(Precision(p) if p is not None else Precision.DEFAULT for p in precision)
    p = Precision(precision)
    return (p, p)


def _canonical_dimension_numbers(dimension_numbers):
    try:
        (lc, rc), (lb, rb) = dimension_numbers
    except (TypeError, ValueError):
        raise XfrontTypeError(
            "dot_general: dimension_numbers must be ((lhs_contracting, rhs_contracting), "
            f"(lhs_batch, rhs_batch)), got {dimension_numbers!r}") from None
    f = lambda xs, what: int_tuple(xs, "dot_general", what)  # noqa: E731
    return ((f(lc, "lhs_contracting"), f(rc, "rhs_contracting")),
            (f(lb, "lhs_batch"), f(rb, "rhs_batch")))


def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """General contraction: batch dims first, then lhs free dims, then rhs free dims:
    ``stablehlo.dot_general``."""
    dn = _canonical_dimension_numbers(dimension_numbers)
    pet = None
    if preferred_element_type is not None:
        pet = dtypes.canonicalize_dtype(dtypes.dtype(preferred_element_type))
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn,
                              precision=canonicalize_precision(precision),
                              preferred_element_type=pet)


dot_general_p = Primitive("dot_general")


@dot_general_p.def_abstract_eval
def _dot_general_abstract_eval(lhs: ShapedArray, rhs: ShapedArray, *, dimension_numbers,
                               precision, preferred_element_type):
    (lc, rc), (lb, rb) = dimension_numbers
    name = "dot_general"
    check_dtype(name, lhs.dtype, NUM, "lhs")
    check_dtype(name, rhs.dtype, NUM, "rhs")
    if lhs.dtype != rhs.dtype:
        raise XfrontTypeError(
            f"dot_general requires lhs and rhs of one dtype, got {lhs.str_short()} and "
            f"{rhs.str_short()} (xfront.numpy.matmul promotes dtypes automatically)")
    for dims, aval, what in ((lc, lhs, "lhs contracting"), (rc, rhs, "rhs contracting"),
                             (lb, lhs, "lhs batch"), (rb, rhs, "rhs batch")):
        if any(not 0 <= d < aval.ndim for d in dims):
            raise XfrontTypeError(
                f"dot_general: {what} dimensions {dims} out of range for {aval.str_short()}")
    if len(set(lc + lb)) != len(lc) + len(lb) or len(set(rc + rb)) != len(rc) + len(rb):
        raise XfrontTypeError(
            f"dot_general: dimension_numbers {dimension_numbers} repeat a dimension")
    if len(lc) != len(rc) or len(lb) != len(rb):
        raise XfrontTypeError(
            f"dot_general: lhs and rhs need as many contracting and batch dimensions, got "
            f"{dimension_numbers}")
    for kind, ld, rd in (("contracting", lc, rc), ("batch", lb, rb)):
        for a, b in zip(ld, rd):
            if lhs.shape[a] != rhs.shape[b]:
                raise XfrontTypeError(
                    f"dot_general: {kind} dimension {a} of lhs {lhs.str_short()} (size "
                    f"{lhs.shape[a]}) does not match dimension {b} of rhs {rhs.str_short()} "
                    f"(size {rhs.shape[b]})")
    batch = tuple(lhs.shape[d] for d in lb)
    lfree = tuple(s for i, s in enumerate(lhs.shape) if i not in lc and i not in lb)
    rfree = tuple(s for i, s in enumerate(rhs.shape) if i not in rc and i not in rb)
    dt = preferred_element_type if preferred_element_type is not None else lhs.dtype
    weak = lhs.weak_type and rhs.weak_type and preferred_element_type is None
    return ShapedArray(batch + lfree + rfree, dt, weak)


def _dot_general_jvp(primals, tangents, *, dimension_numbers, precision,
                     preferred_element_type):
    lhs, rhs = primals
    tl, tr = tangents
    params = dict(dimension_numbers=dimension_numbers, precision=precision,
                  preferred_element_type=preferred_element_type)
    out = dot_general_p.bind(lhs, rhs, **params)
    acc = ad.Zero(ad.tangent_aval(get_aval(out)))
    if type(tl) is not ad.Zero:
        acc = ad.add_tangents(acc, dot_general_p.bind(tl, rhs, **params))
    if type(tr) is not ad.Zero:
        acc = ad.add_tangents(acc, dot_general_p.bind(lhs, tr, **params))
    return out, acc


def _dot_transpose_operand(ct, other, operand_aval, other_aval, dn, precision, ours_first):
    """Cotangent of one operand of dot_general(x, y): contract the cotangent with the other
    operand over the other's free (and batch) dimensions, then put the dims in x's order."""
    (xc, yc), (xb, yb) = dn if ours_first else ((dn[0][1], dn[0][0]), (dn[1][1], dn[1][0]))
    x_nd, y_nd = operand_aval.ndim, other_aval.ndim
    x_free = [i for i in range(x_nd) if i not in xc and i not in xb]
    y_free = [i for i in range(y_nd) if i not in yc and i not in yb]
    nb = len(xb)
    if ours_first:
        ct_free_other = tuple(range(nb + len(x_free), nb + len(x_free) + len(y_free)))
    else:  # the cotangent is laid out (batch, lhs free = other's free, rhs free = ours)
        ct_free_other = tuple(range(nb, nb + len(y_free)))
    ct_batch = tuple(range(nb))
    from xfront.lax.elementwise import convert_element_type

    ct_dt = get_aval(ct).dtype
    if other_aval.dtype != ct_dt:  # mixed precision: contract in the cotangent's type
        other = convert_element_type(other, ct_dt)
    res = dot_general(ct, other, ((ct_free_other, tuple(y_free)), (ct_batch, tuple(yb))),
                      precision)
    if get_aval(res).dtype != operand_aval.dtype:
        res = convert_element_type(res, operand_aval.dtype)
    # res dims: batch, then the cotangent's remaining dims (our free dims), then other's
    # remaining dims (its contracting dims, in increasing order) which pair with ours.
    contracting = [xc[list(yc).index(d)] for d in sorted(yc)]
    layout = list(xb) + x_free + contracting
    perm = tuple(int(i) for i in np.argsort(layout))
    from xfront.lax.structural import transpose

    return transpose(res, perm)


def _dot_general_transpose(ct, lhs, rhs, *, dimension_numbers, precision,
                           preferred_element_type):
    if type(ct) is ad.Zero:
        return [ad.Zero(lhs.aval) if ad.is_undefined(lhs) else None,
                ad.Zero(rhs.aval) if ad.is_undefined(rhs) else None]
    if ad.is_undefined(lhs) and ad.is_undefined(rhs):
        raise NotImplementedError("dot_general: transpose with both operands linear")
    if ad.is_undefined(lhs):
        return [_dot_transpose_operand(ct, rhs, lhs.aval, get_aval(rhs), dimension_numbers,
                                       precision, True), None]
    return [None, _dot_transpose_operand(ct, lhs, rhs.aval, get_aval(lhs), dimension_numbers,
                                         precision, False)]


ad.jvp_rules[dot_general_p] = _dot_general_jvp
ad.transpose_rules[dot_general_p] = _dot_general_transpose


def _dot_general_batch(args, dims, *, dimension_numbers, precision, preferred_element_type):
    (lhs, rhs), (ld, rd) = args, dims
    (lc, rc), (lb, rb) = dimension_numbers
    params = dict(precision=precision, preferred_element_type=preferred_element_type)
    shift = lambda ds: tuple(d + 1 for d in ds)  # noqa: E731
    if ld is not None and rd is not None:  # both batched: one more batch dimension, first
        lhs, rhs = batching.moveaxis(lhs, ld, 0), batching.moveaxis(rhs, rd, 0)
        dn = ((shift(lc), shift(rc)), ((0, *shift(lb)), (0, *shift(rb))))
        return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params), 0
    # One side batched: its batch dimension is one more free dimension of that side.
    bump = lambda ds, b: tuple(d if d < b else d + 1 for d in ds)  # noqa: E731
    if ld is not None:
        nlc, nlb = bump(lc, ld), bump(lb, ld)
        free = [i for i in range(get_aval(lhs).ndim) if i not in nlc and i not in nlb]
        out_dim = len(lb) + free.index(ld)
        dn = ((nlc, rc), (nlb, rb))
    else:
        nrc, nrb = bump(rc, rd), bump(rb, rd)
        lhs_free = get_aval(lhs).ndim - len(lc) - len(lb)
        free = [i for i in range(get_aval(rhs).ndim) if i not in nrc and i not in nrb]
        out_dim = len(lb) + lhs_free + free.index(rd)
        dn = ((lc, nrc), (lb, nrb))
    return dot_general_p.bind(lhs, rhs, dimension_numbers=dn, **params), out_dim


batching.batch_rules[dot_general_p] = _dot_general_batch


def dot(lhs, rhs, precision=None, preferred_element_type=None):
    """Vector/matrix products of rank-1 and rank-2 arrays (contracts lhs's last dim with rhs's
    first)."""
    la, ra = get_aval(lhs), get_aval(rhs)
    if not 1 <= la.ndim <= 2 or not 1 <= ra.ndim <= 2:
        raise XfrontTypeError(
            f"lax.dot takes rank-1 or rank-2 arrays, got {la.str_short()} and "
            f"{ra.str_short()}; use dot_general")
    return dot_general(lhs, rhs, (((la.ndim - 1,), (0,)), ((), ())), precision,
                       preferred_element_type)
