"""Products in ``xfront.numpy``: matmul, dot, vdot, tensordot, outer, inner (over dot_general)."""

from __future__ import annotations

import operator

import numpy as np

from xfront import lax
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import get_aval
from xfront.numpy._util import (
    broadcast_shapes,
    canonical_axis,
    check_arraylike,
    ensure_traced,
    promote_dtypes,
)

__all__ = [
    "dot",
    "inner",
    "matmul",
    "outer",
    "tensordot",
    "vdot",
    "vecdot",
]



def _prepare(name, a, b, preferred_element_type):
    check_arraylike(name, a, b)
    a, b = promote_dtypes(a, b)
    a, b = ensure_traced(a), ensure_traced(b)
    dt = get_aval(a).dtype
    if dt == dtypes.bool_:  # XLA has no boolean dot: count in ints, then test for nonzero
        a = lax.convert_element_type(a, dtypes.int32)
        b = lax.convert_element_type(b, dtypes.int32)
    return a, b, dt, preferred_element_type  # None keeps the operands' weak type


def _finish(out, dt, preferred_element_type):
    if dt == dtypes.bool_:
        if preferred_element_type is None:
            return lax.ne(out, lax.full((), 0, get_aval(out).dtype))
        return lax.convert_element_type(out, preferred_element_type)
    return out


def matmul(a, b, *, precision=None, preferred_element_type=None):
    """Matrix product with NumPy's rules: 1-D operands are promoted to matrices and the
    leading (batch) dimensions broadcast."""
    a, b, dt, pet = _prepare("matmul", a, b, preferred_element_type)
    pet = None if dt == dtypes.bool_ else pet
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if not sa or not sb:
        raise XfrontValueError(
            f"matmul: input operands must have at least one dimension, got shapes {sa} and {sb}")
    a_vec, b_vec = len(sa) == 1, len(sb) == 1
    if a_vec:
        a = lax.reshape(a, (1, sa[0]))
    if b_vec:
        b = lax.reshape(b, (sb[0], 1))
    sa, sb = get_aval(a).shape, get_aval(b).shape
    if sa[-1] != sb[-2]:
        raise XfrontValueError(
            f"matmul: contraction dimension mismatch: a has shape {sa}, b has shape {sb} "
            f"({sa[-1]} != {sb[-2]})")
    out = _batched_matmul(a, b, sa, sb, precision, pet)
    shape = get_aval(out).shape
    if a_vec and b_vec:
        out = lax.reshape(out, shape[:-2])
    elif a_vec:
        out = lax.reshape(out, shape[:-2] + shape[-1:])
    elif b_vec:
        out = lax.reshape(out, shape[:-1])
    return _finish(out, dt, preferred_element_type)


def _batched_matmul(a, b, sa, sb, precision, pet):
    """``a @ b`` for operands of rank >= 2 whose leading dimensions broadcast. A leading
    dimension that only one operand has (or that is 1 in the other) is not broadcast: it stays a
    free dimension of that operand in one dot_general, as in JAX, so ``(B, T, d) @ (d, f)`` is a
    single ``(B*T, d) x (d, f)`` product and its weight gradient needs no batch reduction."""
    batch = broadcast_shapes(sa[:-2], sb[:-2])
    nb = len(batch)
    pa = (1,) * (nb - len(sa) + 2) + sa[:-2]
    pb = (1,) * (nb - len(sb) + 2) + sb[:-2]
    shared = [i for i in range(nb) if pa[i] == pb[i]]
    keep_a = [i for i in range(nb) if pa[i] == pb[i] or pb[i] == 1]
    keep_b = [i for i in range(nb) if pa[i] == pb[i] or pa[i] == 1]
    # Drop the size-1 (or missing) dimensions the other operand broadcasts over.
    new_a = tuple(pa[i] for i in keep_a) + sa[-2:]
    new_b = tuple(pb[i] for i in keep_b) + sb[-2:]
    if new_a != sa:
        a = lax.reshape(a, new_a)
    if new_b != sb:
        b = lax.reshape(b, new_b)
    ka, kb = len(keep_a), len(keep_b)
    dims = (((ka + 1,), (kb,)),
            (tuple(keep_a.index(i) for i in shared), tuple(keep_b.index(i) for i in shared)))
    out = lax.dot_general(a, b, dims, precision, pet)
    # dot_general's order: shared batch, a's free (its own batch dims, then rows), b's free.
    labels = (shared + [i for i in keep_a if i not in shared] + ["m"]
              + [i for i in keep_b if i not in shared] + ["n"])
    perm = tuple(labels.index(i) for i in [*range(nb), "m", "n"])
    return out if perm == tuple(range(len(perm))) else lax.transpose(out, perm)


def dot(a, b, *, precision=None, preferred_element_type=None):
    """``numpy.dot``: scalars multiply; otherwise contracts a's last axis with b's
    second-to-last (or only) axis."""
    a, b, dt, pet = _prepare("dot", a, b, preferred_element_type)
    pet = None if dt == dtypes.bool_ else pet
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return lax.mul(a, b)
    contract_b = 0 if nb == 1 else nb - 2
    out = lax.dot_general(a, b, (((na - 1,), (contract_b,)), ((), ())), precision, pet)
    return _finish(out, dt, preferred_element_type)


def vdot(a, b, *, precision=None, preferred_element_type=None):
    """Dot product of the flattened arrays, conjugating the first."""
    from xfront.numpy._shape import ravel
    from xfront.numpy._ufuncs import conjugate

    check_arraylike("vdot", a, b)
    a, b = promote_dtypes(a, b)
    return dot(conjugate(ravel(a)), ravel(b), precision=precision,
               preferred_element_type=preferred_element_type)


def vecdot(x1, x2, /, *, axis: int = -1, precision=None, preferred_element_type=None):
    from xfront.numpy._ufuncs import conjugate

    check_arraylike("vecdot", x1, x2)
    x1, x2 = promote_dtypes(x1, x2)
    x1, x2 = ensure_traced(x1), ensure_traced(x2)
    from xfront.numpy._shape import moveaxis

    a = moveaxis(x1, axis, -1)
    b = moveaxis(x2, axis, -1)
    out = matmul(lax.expand_dims(conjugate(a), (-2,)), lax.expand_dims(b, (-1,)),
                 precision=precision, preferred_element_type=preferred_element_type)
    return lax.reshape(out, get_aval(out).shape[:-2])


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    """Sums products over ``axes`` (an int: a's last n with b's first n; or two sequences)."""
    a, b, dt, pet = _prepare("tensordot", a, b, preferred_element_type)
    pet = None if dt == dtypes.bool_ else pet
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if isinstance(axes, int | np.integer):
        n = operator.index(axes)
        if n < 0 or n > min(na, nb):
            raise XfrontValueError(f"tensordot: axes={n} out of range for ranks {na}, {nb}")
        ca, cb = tuple(range(na - n, na)), tuple(range(n))
    else:
        try:
            ax_a, ax_b = axes
        except (TypeError, ValueError):
            raise XfrontTypeError(
                f"tensordot: axes must be an int or a pair of sequences, got {axes!r}") from None
        ax_a = [ax_a] if isinstance(ax_a, int | np.integer) else list(ax_a)
        ax_b = [ax_b] if isinstance(ax_b, int | np.integer) else list(ax_b)
        if len(ax_a) != len(ax_b):
            raise XfrontValueError("tensordot: both axes sequences must have the same length")
        ca = tuple(canonical_axis(x, na, "tensordot") for x in ax_a)
        cb = tuple(canonical_axis(x, nb, "tensordot") for x in ax_b)
    out = lax.dot_general(a, b, ((ca, cb), ((), ())), precision, pet)
    return _finish(out, dt, preferred_element_type)


def outer(a, b, out=None):
    from xfront.numpy._shape import ravel

    check_arraylike("outer", a, b)
    a, b = promote_dtypes(a, b)
    a, b = ravel(a), ravel(b)
    n, m = get_aval(a).shape[0], get_aval(b).shape[0]
    from xfront.numpy._ufuncs import multiply

    return multiply(lax.reshape(a, (n, 1)), lax.reshape(b, (1, m)))


def inner(a, b, *, precision=None, preferred_element_type=None):
    """Sums products over the last axes of ``a`` and ``b``."""
    a, b, dt, pet = _prepare("inner", a, b, preferred_element_type)
    pet = None if dt == dtypes.bool_ else pet
    na, nb = get_aval(a).ndim, get_aval(b).ndim
    if na == 0 or nb == 0:
        return lax.mul(a, b)
    out = lax.dot_general(a, b, (((na - 1,), (nb - 1,)), ((), ())), precision, pet)
    return _finish(out, dt, preferred_element_type)
