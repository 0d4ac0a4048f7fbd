"""Linear algebra primitives (``jax.lax.linalg``'s counterpart).

Every primitive takes a matrix or a stack of matrices (leading dimensions are batch dimensions)
of float32/float64/complex64/complex128 and becomes one of the LAPACK kernels jaxlib ships for
the CPU (``lapack_<s|d|c|z><op>_ffi`` custom calls; ``lowering/rules/linalg.py``). A failed
factorization (LAPACK ``info != 0``) gives NaNs, as in JAX, instead of raising.

Derivatives are written analytically (forward mode; reverse mode transposes the linear maps
they build from matmuls and triangular solves): cholesky, eigh, lu, qr, svd, eig,
triangular_solve (linear in ``b``, with a transpose rule) and tridiagonal_solve. Decompositions
are unique only up to signs/phases of the vectors: their derivatives hold for the gauge LAPACK
picks locally, so gauge-invariant functions of them have exact derivatives. The extra columns
of complete-mode ``q`` and full-matrices ``u``/``vh`` (a basis of a complement, not unique at
all) move as little as possible: gauge-invariant uses (projectors, singular values) are exact.
Symmetric inputs read one triangle: cholesky and eigh differentiate the Hermitian matrix that
triangle defines. Degenerate eigenvalues or singular values give non-finite eigenvector
derivatives, as in JAX.

The user functions live in this module, as in JAX (``xfront.lax.linalg.svd``); the package
``xfront.lax`` re-exports only the primitives. ``xfront.numpy.linalg`` and
``xfront.scipy.linalg`` are written over these functions.
"""

from __future__ import annotations

import numpy as np

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive, get_aval
from xfront.interpreters import ad, batching
from xfront.lax.convenience import full, full_like
from xfront.lax.dot import dot_general
from xfront.lax.elementwise import (
    _const,
    add,
    conj,
    convert_element_type,
    div,
    eq,
    ge,
    le,
    mul,
    neg,
    real,
    select,
    sub,
)
from xfront.lax.reduction import reduce_sum
from xfront.lax.structural import (
    broadcast_in_dim,
    broadcasted_iota,
    concatenate,
    pad,
    transpose,
)
from xfront.lax.structural import slice as slice_

__all__ = [
    "cholesky_p",
    "eig_p",
    "eigh_p",
    "lu_p",
    "lu_pivots_to_permutation_p",
    "qr_p",
    "svd_p",
    "triangular_solve_p",
    "tridiagonal_solve_p",
]

_LAPACK_DTYPES = tuple(np.dtype(t) for t in (np.float32, np.float64, np.complex64,
                                              np.complex128))


# ----------------------------------------------------------------------------------------------
# Checks shared by the abstract evaluation rules.


def _check_dtype(name: str, aval: ShapedArray, what: str = "the operand") -> None:
    dt = aval.dtype
    if dt in _LAPACK_DTYPES:
        return
    if dtypes.is_inexact(dt):
        hint = f"convert it to float32 first (LAPACK has no {dt} routines)"
    else:
        hint = "convert it to a floating or complex dtype first"
    raise XfrontTypeError(
        f"{name}: {what} has dtype {dt} ({aval.str_short()}), but linear algebra supports "
        f"float32, float64, complex64 and complex128; {hint}")


def _check_matrix(name: str, aval: ShapedArray, *, square: bool = False,
                  what: str = "the operand") -> None:
    if aval.ndim < 2:
        raise XfrontValueError(
            f"{name}: {what} must be a matrix or a stack of matrices (shape (..., m, n)), "
            f"got {aval.str_short()} of rank {aval.ndim}")
    if square and aval.shape[-1] != aval.shape[-2]:
        raise XfrontValueError(
            f"{name}: {what} must be a square matrix or a stack of square matrices (shape "
            f"(..., n, n)), got {aval.str_short()}")
    _check_dtype(name, aval, what)


# ----------------------------------------------------------------------------------------------
# Matrix helpers for the rules (over primitives; every one batches and differentiates).


def _ndim(x) -> int:
    return get_aval(x).ndim


def _swap(x):
    """``x`` with its last two dimensions swapped."""
    nd = _ndim(x)
    return transpose(x, (*range(nd - 2), nd - 1, nd - 2))


def _conj(x):
    return conj(x) if dtypes.is_complex(get_aval(x).dtype) else x


def _H(x):
    """The conjugate transpose of the trailing matrices."""
    return _conj(_swap(x))


def _real(x):
    return real(x) if dtypes.is_complex(get_aval(x).dtype) else x


def _astype(x, dt):
    return convert_element_type(x, dt) if get_aval(x).dtype != dt else x


def _mm(a, b):
    """Batched matrix product of (..., m, k) and (..., k, n) with the same batch dims."""
    da, db = get_aval(a).dtype, get_aval(b).dtype
    if da != db:
        dt = dtypes.promote_types(da, db)
        a, b = _astype(a, dt), _astype(b, dt)
    nb = _ndim(a) - 2
    batch = tuple(range(nb))
    return dot_general(a, b, (((nb + 1,), (nb,)), (batch, batch)))


def _diff_iota(shape):
    """col - row, as int32, for matrices of ``shape`` (..., m, n)."""
    nd = len(shape)
    rows = broadcasted_iota(np.int32, shape, nd - 2)
    cols = broadcasted_iota(np.int32, shape, nd - 1)
    return sub(cols, rows)


def _tri_mask(shape, lower: bool, k: int = 0):
    """True in the lower (col - row <= k) or upper (col - row >= k) triangle."""
    d = _diff_iota(shape)
    kk = _const(d, k)
    return le(d, kk) if lower else ge(d, kk)


def _tril(x, k: int = 0):
    return select(_tri_mask(get_aval(x).shape, True, k), x, full_like(x, 0))


def _triu(x, k: int = 0):
    return select(_tri_mask(get_aval(x).shape, False, k), x, full_like(x, 0))


def _eye_mask(shape):
    d = _diff_iota(shape)
    return eq(d, _const(d, 0))


def _identity(batch, n: int, dt, first: int = 0):
    """(*batch, n, n) with ones on the diagonal from row ``first`` on, zeros elsewhere."""
    shape = (*batch, n, n)
    on = _eye_mask(shape)
    if first:
        rows = broadcasted_iota(np.int32, shape, len(shape) - 2)
        on = select(ge(rows, _const(rows, first)), on, full(shape, False))
    return select(on, full(shape, 1, dt), full(shape, 0, dt))


def _diag(x):
    """The diagonal of square trailing matrices: (..., n, n) -> (..., n)."""
    nd = _ndim(x)
    return reduce_sum(select(_eye_mask(get_aval(x).shape), x, full_like(x, 0)), (nd - 1,))


def _rows_of(v, n: int):
    """(..., k) -> (..., n, k): ``v`` repeated as every row."""
    aval = get_aval(v)
    nb = aval.ndim - 1
    return broadcast_in_dim(v, (*aval.shape[:-1], n, aval.shape[-1]), (*range(nb), nb + 1))


def _cols_of(v, n: int):
    """(..., k) -> (..., k, n): ``v`` repeated as every column."""
    aval = get_aval(v)
    nb = aval.ndim - 1
    return broadcast_in_dim(v, (*aval.shape[:-1], aval.shape[-1], n), tuple(range(nb + 1)))


def _diag_embed(v):
    """(..., n) -> (..., n, n) with ``v`` on the diagonal."""
    n = get_aval(v).shape[-1]
    m = _rows_of(v, n)
    return select(_eye_mask(get_aval(m).shape), m, full_like(m, 0))


def _hermitian_from_triangle(x, lower: bool):
    """The Hermitian matrix LAPACK sees when it reads only one triangle of ``x`` (and the real
    part of its diagonal): a tangent of the input becomes the tangent of that matrix."""
    tri = _tril(x, -1) if lower else _triu(x, 1)
    return add(add(tri, _H(tri)), _diag_embed(_astype(_real(_diag(x)), get_aval(x).dtype)))


def _inv_offdiag_differences(w):
    """F[i, j] = 1 / (w[j] - w[i]) off the diagonal, 0 on it (the eigenvector coupling)."""
    n = get_aval(w).shape[-1]
    diff = sub(_rows_of(w, n), _cols_of(w, n))
    eye = _eye_mask(get_aval(diff).shape)
    safe = select(eye, full_like(diff, 1), diff)
    return select(eye, full_like(diff, 0), div(full_like(diff, 1), safe))


def _permutation_matrix(perm, dtype):
    """P with P[i, j] = (perm[i] == j), so (P @ b)[i] = b[perm[i]]."""
    n = get_aval(perm).shape[-1]
    m = _cols_of(perm, n)
    cols = broadcasted_iota(np.int32, get_aval(m).shape, _ndim(m) - 1)
    hit = eq(m, cols)
    return select(hit, full_like(m, 1, dtype), full_like(m, 0, dtype))


def _lu_solve(lu_, perm, b):
    """Solves A x = b for square A = P^T L U given by ``lu`` (matrices b, same batch dims)."""
    pb = _mm(_permutation_matrix(perm, get_aval(b).dtype), b)
    y = triangular_solve(lu_, pb, left_side=True, lower=True, unit_diagonal=True)
    return triangular_solve(lu_, y, left_side=True, lower=False)


def _solve(a, b):
    lu_, _, perm = lu(a)
    return _lu_solve(lu_, perm, b)


def _batch_leading(prim: Primitive):
    """Batching rule for primitives that batch over leading dimensions: every operand gets the
    batch dimension first (unbatched operands are broadcast)."""

    def rule(args, dims, **params):
        size = next(get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)
        args = [batching.bdim_at_front(x, d, size) for x, d in zip(args, dims)]
        out = prim.bind(*args, **params)
        if prim.multiple_results:
            return out, [0] * len(out)
        return out, 0

    batching.batch_rules[prim] = rule


def _zero_tangents(outs):
    return [ad.Zero(ad.tangent_aval(get_aval(o))) for o in outs]


# ----------------------------------------------------------------------------------------------
# cholesky


def cholesky(x, *, symmetrize_input: bool = True):
    """The lower Cholesky factor L of a Hermitian positive definite ``x`` (x = L L^H), NaN where
    ``x`` is not positive definite: LAPACK ``potrf`` (``lapack_?potrf_ffi``).

    With ``symmetrize_input`` (the default) ``(x + x^H) / 2`` is factored, which also makes the
    derivative symmetric; otherwise only the lower triangle of ``x`` is read.
    """
    if symmetrize_input:
        _check_matrix("cholesky", get_aval(x), square=True)
        x = symmetrize(x)
    return cholesky_p.bind(x)


def symmetrize(x):
    """``(x + x^H) / 2``: the Hermitian part of square matrices."""
    return mul(add(x, _H(x)), _const(x, 0.5))


cholesky_p = Primitive("cholesky")


@cholesky_p.def_abstract_eval
def _cholesky_abstract_eval(x):
    _check_matrix("cholesky", x, square=True)
    return ShapedArray(x.shape, x.dtype)


def _cholesky_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    L = cholesky_p.bind(x)
    t = _hermitian_from_triangle(t, lower=True)
    # With A = L L^H: L^{-1} dA L^{-H} = L^{-1} dL + (L^{-1} dL)^H, and L^{-1} dL is lower
    # triangular with a real diagonal, so it is the lower triangle with the diagonal halved.
    tmp = triangular_solve(L, t, left_side=False, lower=True, transpose_a=True,
                           conjugate_a=True)
    X = triangular_solve(L, tmp, left_side=True, lower=True)
    phi = sub(_tril(X), mul(_diag_embed(_diag(X)), _const(X, 0.5)))
    return L, _mm(L, phi)


ad.jvp_rules[cholesky_p] = _cholesky_jvp
_batch_leading(cholesky_p)


# ----------------------------------------------------------------------------------------------
# eigh


def eigh(x, *, lower: bool = True, symmetrize_input: bool = True,
         sort_eigenvalues: bool = True, subset_by_index=None):
    """Eigendecomposition of Hermitian matrices: returns ``(v, w)``, eigenvectors as columns of
    ``v`` and real eigenvalues ``w`` in ascending order, so x = v diag(w) v^H: LAPACK
    ``syevd``/``heevd`` (``lapack_?syevd_ffi``, ``lapack_?heevd_ffi``).

    ``lower`` picks the triangle LAPACK reads when ``symmetrize_input`` is False.
    """
    del sort_eigenvalues  # LAPACK returns them in ascending order
    if subset_by_index is not None:
        n = get_aval(x).shape[-1]
        if tuple(subset_by_index) != (0, n):
            raise NotImplementedError("eigh: subset_by_index is not supported on CPU")
    if symmetrize_input:
        _check_matrix("eigh", get_aval(x), square=True)
        x = symmetrize(x)
    v, w = eigh_p.bind(x, lower=bool(lower))
    return v, w


eigh_p = Primitive("eigh", multiple_results=True)


@eigh_p.def_abstract_eval
def _eigh_abstract_eval(x, *, lower):
    _check_matrix("eigh", x, square=True)
    return [ShapedArray(x.shape, x.dtype), ShapedArray(x.shape[:-1], dtypes.real_dtype(x.dtype))]


def _eigh_jvp(primals, tangents, *, lower):
    (x,), (t,) = primals, tangents
    v, w = eigh_p.bind(x, lower=lower)
    t = _hermitian_from_triangle(t, lower)
    # dw = diag(V^H dA V); dV = V (F o V^H dA V), F[i, j] = 1 / (w[j] - w[i]).
    m = _mm(_H(v), _mm(t, v))
    dw = _real(_diag(m))
    f = _astype(_inv_offdiag_differences(w), get_aval(m).dtype)
    dv = _mm(v, mul(f, m))
    return [v, w], [dv, dw]


ad.jvp_rules[eigh_p] = _eigh_jvp
_batch_leading(eigh_p)


# ----------------------------------------------------------------------------------------------
# lu


def lu(x):
    """LU decomposition with partial pivoting: returns ``(lu, pivots, permutation)`` where ``lu``
    packs the unit lower factor L (below the diagonal) and the upper factor U, ``pivots[i]`` is
    the row swapped with row i (0-based), and ``x[permutation] = L @ U``: LAPACK ``getrf``
    (``lapack_?getrf_ffi``). Exactly singular matrices still factor (U has a zero pivot)."""
    lu_, pivots, perm = lu_p.bind(x)
    return lu_, pivots, perm


lu_p = Primitive("lu", multiple_results=True)


@lu_p.def_abstract_eval
def _lu_abstract_eval(x):
    _check_matrix("lu", x)
    m, n = x.shape[-2:]
    batch = x.shape[:-2]
    i32 = np.dtype(np.int32)
    return [ShapedArray(x.shape, x.dtype), ShapedArray((*batch, min(m, n)), i32),
            ShapedArray((*batch, m), i32)]


def _lu_jvp(primals, tangents):
    (x,), (t,) = primals, tangents
    outs = lu_p.bind(x)
    lu_, _, perm = outs
    aval = get_aval(x)
    m, n = aval.shape[-2:]
    batch = aval.shape[:-2]
    nb = len(batch)
    dt = aval.dtype
    # P A = L U with L (m, k) unit lower and U (k, n) upper. Pad L to (m, m) and U to (n, n)
    # with identity blocks; then X = L^{-1} P dA U^{-1} has L^{-1} dL below the diagonal and
    # dU U^{-1} on and above it.
    zero = _const(lu_, 0)
    lo = (0,) * (nb + 2)
    l_part = _tril(lu_, -1)
    if m > n:
        l_part = pad(l_part, zero, [(0, 0, 0)] * nb + [(0, 0, 0), (0, m - n, 0)])
    l_full = add(slice_(l_part, lo, (*batch, m, m)), _identity(batch, m, dt))
    u_part = _triu(lu_)
    if n > m:
        u_part = pad(u_part, zero, [(0, 0, 0)] * nb + [(0, n - m, 0), (0, 0, 0)])
        u_full = add(u_part, _identity(batch, n, dt, first=m))
    else:
        u_full = slice_(u_part, lo, (*batch, n, n))
    pa = _mm(_permutation_matrix(perm, dt), t)
    y = triangular_solve(l_full, pa, left_side=True, lower=True, unit_diagonal=True)
    X = triangular_solve(u_full, y, left_side=False, lower=False)
    dl = _mm(l_full, _tril(X, -1))  # (m, n); zero beyond column k
    du = _mm(_triu(X), u_full)  # (m, n); zero below row k
    return outs, [add(dl, du), *_zero_tangents(outs[1:])]


ad.jvp_rules[lu_p] = _lu_jvp
_batch_leading(lu_p)


# ----------------------------------------------------------------------------------------------
# lu_pivots_to_permutation


def lu_pivots_to_permutation(pivots, permutation_size: int):
    """The permutation that applying the row swaps ``pivots`` (0-based, LAPACK order) to
    ``range(permutation_size)`` produces; batched over leading dimensions. Emitted as a
    ``stablehlo.while`` over the pivots."""
    return lu_pivots_to_permutation_p.bind(pivots, permutation_size=int(permutation_size))


lu_pivots_to_permutation_p = Primitive("lu_pivots_to_permutation")


@lu_pivots_to_permutation_p.def_abstract_eval
def _lu_pivots_to_permutation_abstract_eval(pivots, *, permutation_size):
    name = "lu_pivots_to_permutation"
    if pivots.dtype != np.dtype(np.int32):
        raise XfrontTypeError(f"{name}: pivots must be int32, got {pivots.str_short()}")
    if pivots.ndim < 1:
        raise XfrontValueError(f"{name}: pivots must have rank >= 1, got {pivots.str_short()}")
    if permutation_size < pivots.shape[-1]:
        raise XfrontValueError(
            f"{name}: permutation_size {permutation_size} is smaller than the number of "
            f"pivots ({pivots.str_short()})")
    return ShapedArray((*pivots.shape[:-1], permutation_size), pivots.dtype)


ad.defjvp_zero(lu_pivots_to_permutation_p)
_batch_leading(lu_pivots_to_permutation_p)


# ----------------------------------------------------------------------------------------------
# qr


def qr(x, *, pivoting: bool = False, full_matrices: bool = True, use_magma=None):
    """QR decomposition x = q r with q unitary (orthonormal columns) and r upper triangular:
    returns ``(q, r)``, q (..., m, m) and r (..., m, n) with ``full_matrices``, else q
    (..., m, k) and r (..., k, n), k = min(m, n). Householder reflections: LAPACK ``geqrf`` then
    ``orgqr``/``ungqr`` (``lapack_?geqrf_ffi``, ``lapack_?orgqr_ffi``)."""
    del use_magma
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    q, r = qr_p.bind(x, full_matrices=bool(full_matrices))
    return q, r


qr_p = Primitive("qr", multiple_results=True)


@qr_p.def_abstract_eval
def _qr_abstract_eval(x, *, full_matrices):
    _check_matrix("qr", x)
    m, n = x.shape[-2:]
    k = m if full_matrices else min(m, n)
    batch = x.shape[:-2]
    return [ShapedArray((*batch, m, k), x.dtype), ShapedArray((*batch, k, n), x.dtype)]


def _qr_square_or_tall_jvp(q, r, t):
    # A = Q R: C = Q^H dA R^{-1} = Q^H dQ + dR R^{-1}. Q^H dQ = W is skew-Hermitian and
    # dR R^{-1} is upper triangular with a real diagonal, so W is read off C's strict lower
    # triangle and the imaginary part of its diagonal.
    dA_rinv = triangular_solve(r, t, left_side=False, lower=False)
    c = _mm(_H(q), dA_rinv)
    low = _tril(c, -1)
    w = sub(low, _H(low))
    if dtypes.is_complex(get_aval(c).dtype):
        w = add(w, sub(_diag_embed(_diag(c)), _astype(_diag_embed(_real(_diag(c))),
                                                       get_aval(c).dtype)))
    c_minus_w = sub(c, w)
    dq = sub(dA_rinv, _mm(q, c_minus_w))
    dr = _mm(c_minus_w, r)
    return dq, dr


def _qr_jvp(primals, tangents, *, full_matrices):
    (x,), (t,) = primals, tangents
    q, r = qr_p.bind(x, full_matrices=full_matrices)
    aval = get_aval(x)
    m, n = aval.shape[-2:]
    batch = aval.shape[:-2]
    nb = len(batch)
    lo = (0,) * (nb + 2)
    if m >= n:
        if not full_matrices or m == n:
            dq, dr = _qr_square_or_tall_jvp(q, r, t)
            return [q, r], [dq, dr]
        # Complete mode, m > n: Q = [Q1 Q2], R = [R1; 0]. Q2 is any orthonormal basis of the
        # complement of range(Q1); move it as little as possible (Q2^H dQ2 = 0), which leaves
        # dQ2 = -Q1 dQ1^H Q2.
        q1 = slice_(q, lo, (*batch, m, n))
        q2 = slice_(q, (0,) * nb + (0, n), (*batch, m, m))
        r1 = slice_(r, lo, (*batch, n, n))
        dq1, dr1 = _qr_square_or_tall_jvp(q1, r1, t)
        dq2 = neg(_mm(q1, _mm(_H(dq1), q2)))
        zero = _const(dr1, 0)
        dr = pad(dr1, zero, [(0, 0, 0)] * nb + [(0, m - n, 0), (0, 0, 0)])
        return [q, r], [concatenate([dq1, dq2], nb + 1), dr]
    # Wide: A = [X | Y] with X square: X = Q R1 and R2 = Q^H Y.
    dX = slice_(t, lo, (*batch, m, m))
    Y = slice_(x, (0,) * nb + (0, m), (*batch, m, n))
    dY = slice_(t, (0,) * nb + (0, m), (*batch, m, n))
    r1 = slice_(r, lo, (*batch, m, m))
    dq, dr1 = _qr_square_or_tall_jvp(q, r1, dX)
    dr2 = add(_mm(_H(dq), Y), _mm(_H(q), dY))
    return [q, r], [dq, concatenate([dr1, dr2], nb + 1)]


ad.jvp_rules[qr_p] = _qr_jvp
_batch_leading(qr_p)


# ----------------------------------------------------------------------------------------------
# svd


def svd(x, *, full_matrices: bool = True, compute_uv: bool = True, subset_by_index=None,
        algorithm=None):
    """Singular value decomposition x = u diag(s) vh, singular values descending: returns
    ``(u, s, vh)``, or ``s`` when not ``compute_uv``. With ``full_matrices`` u is (..., m, m) and
    vh (..., n, n), else (..., m, k) and (..., k, n), k = min(m, n). LAPACK ``gesdd``
    (``lapack_?gesdd_ffi``)."""
    del algorithm
    if subset_by_index is not None:
        m, n = get_aval(x).shape[-2:]
        if tuple(subset_by_index) != (0, min(m, n)):
            raise NotImplementedError("svd: subset_by_index is not supported on CPU")
    outs = svd_p.bind(x, full_matrices=bool(full_matrices), compute_uv=bool(compute_uv))
    if compute_uv:
        s, u, vh = outs
        return u, s, vh
    return outs[0]


svd_p = Primitive("svd", multiple_results=True)


@svd_p.def_abstract_eval
def _svd_abstract_eval(x, *, full_matrices, compute_uv):
    _check_matrix("svd", x)
    m, n = x.shape[-2:]
    k = min(m, n)
    batch = x.shape[:-2]
    s = ShapedArray((*batch, k), dtypes.real_dtype(x.dtype))
    if not compute_uv:
        return [s]
    ku, kv = (m, n) if full_matrices else (k, k)
    return [s, ShapedArray((*batch, m, ku), x.dtype), ShapedArray((*batch, kv, n), x.dtype)]


def _svd_jvp(primals, tangents, *, full_matrices, compute_uv):
    (x,), (t,) = primals, tangents
    aval = get_aval(x)
    m, n = aval.shape[-2:]
    k = min(m, n)
    dt = aval.dtype
    batch = aval.shape[:-2]
    nb = len(batch)
    lo = (0,) * (nb + 2)
    extra = compute_uv and full_matrices and m != n
    if extra:
        s, u_full, vh_full = svd_p.bind(x, full_matrices=True, compute_uv=True)
        u = slice_(u_full, lo, (*batch, m, k))
        vh = slice_(vh_full, lo, (*batch, k, n))
    else:
        s, u, vh = svd_p.bind(x, full_matrices=False, compute_uv=True)
    v = _H(vh)
    p = _mm(_H(u), _mm(t, v))  # U^H dA V
    ds = _real(_diag(p))
    if not compute_uv:
        return [s], [ds]
    s_c = _astype(s, dt)
    s_rows = _rows_of(s_c, k)  # [i, j] = s[j]
    s_cols = _cols_of(s_c, k)  # [i, j] = s[i]
    # F[i, j] = 1 / (s[j]^2 - s[i]^2) off the diagonal.
    f = _astype(_inv_offdiag_differences(mul(s, s)), dt)
    ps = mul(p, s_rows)  # P S
    sp = mul(s_cols, p)  # S P
    du = _mm(u, mul(f, add(ps, _H(ps))))
    dv = _mm(v, mul(f, add(sp, _H(sp))))
    if dtypes.is_complex(dt):
        # The phase of each pair (u_i, v_i) is free: put Im(P_ii) / s_i into u.
        s_safe = select(eq(s, _const(s, 0)), full_like(s, 1), s)
        im = sub(_diag(p), _astype(_real(_diag(p)), dt))
        du = add(du, _mm(u, _diag_embed(div(im, _astype(s_safe, dt)))))
    if m > n:
        dav = _mm(t, v)
        du = add(du, div(sub(dav, _mm(u, _mm(_H(u), dav))), _rows_of(s_c, m)))
    if n > m:
        dahu = _mm(_H(t), u)
        dv = add(dv, div(sub(dahu, _mm(v, _mm(vh, dahu))), _rows_of(s_c, n)))
    if not extra:
        return [s, u, vh], [ds, du, _H(dv)]
    # full_matrices, m != n: the extra singular vectors W span a complement and are not
    # unique; move them as little as possible (W^H dW = 0): dW = -X dX^H W for the k vectors X.
    if m > n:
        u2 = slice_(u_full, (0,) * nb + (0, k), (*batch, m, m))
        du = concatenate([du, neg(_mm(u, _mm(_H(du), u2)))], nb + 1)
        return [s, u_full, vh_full], [ds, du, _H(dv)]
    v2 = _H(slice_(vh_full, (0,) * nb + (k, 0), (*batch, n, n)))
    dv = concatenate([dv, neg(_mm(v, _mm(_H(dv), v2)))], nb + 1)
    return [s, u_full, vh_full], [ds, du, _H(dv)]


ad.jvp_rules[svd_p] = _svd_jvp
_batch_leading(svd_p)


# ----------------------------------------------------------------------------------------------
# triangular_solve


def triangular_solve(a, b, *, left_side: bool = False, lower: bool = False,
                     transpose_a: bool = False, conjugate_a: bool = False,
                     unit_diagonal: bool = False):
    """Solves op(a) x = b (``left_side``) or x op(a) = b for x, with ``a`` triangular (only its
    ``lower`` or upper triangle is read; with ``unit_diagonal`` its diagonal is taken as ones)
    and op(a) = a, a^T, conj(a) or a^H per ``transpose_a``/``conjugate_a``: LAPACK ``trsm``
    (``lapack_?trsm_ffi``). Batched over leading dimensions of both operands."""
    return triangular_solve_p.bind(a, b, left_side=bool(left_side), lower=bool(lower),
                                   transpose_a=bool(transpose_a),
                                   conjugate_a=bool(conjugate_a),
                                   unit_diagonal=bool(unit_diagonal))


triangular_solve_p = Primitive("triangular_solve")


@triangular_solve_p.def_abstract_eval
def _triangular_solve_abstract_eval(a, b, *, left_side, lower, transpose_a, conjugate_a,
                                    unit_diagonal):
    name = "triangular_solve"
    _check_matrix(name, a, square=True, what="a")
    _check_matrix(name, b, what="b")
    if a.dtype != b.dtype:
        raise XfrontTypeError(
            f"{name}: a and b must have the same dtype, got {a.str_short()} and {b.str_short()}")
    if a.shape[:-2] != b.shape[:-2]:
        raise XfrontValueError(
            f"{name}: a and b must have the same batch dimensions, got {a.str_short()} and "
            f"{b.str_short()}")
    side = b.shape[-2] if left_side else b.shape[-1]
    if side != a.shape[-1]:
        which = "rows" if left_side else "columns"
        raise XfrontValueError(
            f"{name}: with left_side={left_side}, b's {which} must match a's size: a "
            f"{a.str_short()}, b {b.str_short()}")
    return ShapedArray(b.shape, b.dtype)


def _op_a(x, transpose_a, conjugate_a):
    if transpose_a:
        x = _swap(x)
    if conjugate_a:
        x = _conj(x)
    return x


def _triangular_solve_jvp(primals, tangents, **params):
    a, b = primals
    ta, tb = tangents
    x = triangular_solve_p.bind(a, b, **params)
    out = ad.Zero(ad.tangent_aval(get_aval(x)))
    if type(tb) is not ad.Zero:
        out = triangular_solve_p.bind(a, tb, **params)
    if type(ta) is not ad.Zero:
        # op(a) x = b gives op(a) dx = -op(da) x (left), dx op(a) = -x op(da) (right); only the
        # triangle the solve reads varies.
        unit = params["unit_diagonal"]
        if params["lower"]:
            da = _tril(ta, -1 if unit else 0)
        else:
            da = _triu(ta, 1 if unit else 0)
        da = _op_a(da, params["transpose_a"], params["conjugate_a"])
        rhs = _mm(da, x) if params["left_side"] else _mm(x, da)
        out = ad.add_tangents(out, neg(triangular_solve_p.bind(a, rhs, **params)))
    return x, out


def _triangular_solve_transpose(ct, a, b, *, left_side, lower, transpose_a, conjugate_a,
                                unit_diagonal):
    if ad.is_undefined(a):
        raise NotImplementedError("triangular_solve is linear in b only; its transpose with "
                                  "respect to a is undefined")
    if type(ct) is ad.Zero:
        return [None, ad.Zero(b.aval)]
    # x = op(a)^{-1} b (or b op(a)^{-1}) is linear in b; its transpose applies op(a)^{-T}.
    ct_b = triangular_solve_p.bind(a, ct, left_side=left_side, lower=lower,
                                   transpose_a=not transpose_a, conjugate_a=conjugate_a,
                                   unit_diagonal=unit_diagonal)
    return [None, ct_b]


ad.jvp_rules[triangular_solve_p] = _triangular_solve_jvp
ad.transpose_rules[triangular_solve_p] = _triangular_solve_transpose
_batch_leading(triangular_solve_p)


# ----------------------------------------------------------------------------------------------
# eig


def eig(x, *, compute_left_eigenvectors: bool = True, compute_right_eigenvectors: bool = True,
        use_magma=None):
    """Eigendecomposition of general square matrices (CPU only): returns ``[w]`` followed by the
    left eigenvectors ``vl`` (u^H x = w u^H) and right eigenvectors ``vr`` (x v = w v) as
    requested, all complex, vectors normalized to unit length: LAPACK ``geev``
    (``lapack_?geev_ffi``). Derivatives cover w and vr."""
    del use_magma
    return eig_p.bind(x, compute_left_eigenvectors=bool(compute_left_eigenvectors),
                      compute_right_eigenvectors=bool(compute_right_eigenvectors))


eig_p = Primitive("eig", multiple_results=True)


@eig_p.def_abstract_eval
def _eig_abstract_eval(x, *, compute_left_eigenvectors, compute_right_eigenvectors):
    _check_matrix("eig", x, square=True)
    ct = dtypes.complex_dtype(x.dtype)
    outs = [ShapedArray(x.shape[:-1], ct)]
    if compute_left_eigenvectors:
        outs.append(ShapedArray(x.shape, ct))
    if compute_right_eigenvectors:
        outs.append(ShapedArray(x.shape, ct))
    return outs


def _eig_jvp(primals, tangents, *, compute_left_eigenvectors, compute_right_eigenvectors):
    (x,), (t,) = primals, tangents
    outs = eig_p.bind(x, compute_left_eigenvectors=compute_left_eigenvectors,
                      compute_right_eigenvectors=compute_right_eigenvectors)
    if compute_left_eigenvectors:
        raise NotImplementedError(
            "eig: derivatives of the left eigenvectors are not implemented; compute them with "
            "compute_left_eigenvectors=False (eigenvalues and right eigenvectors are "
            "differentiable)")
    if compute_right_eigenvectors:
        w, v = outs
    else:
        w, v = eig_p.bind(x, compute_left_eigenvectors=False, compute_right_eigenvectors=True)
    # With A V = V diag(w): M = V^{-1} dA V, dw = diag(M), dV = V (F o M) with
    # F[i, j] = 1 / (w[j] - w[i]), then each column kept at unit length.
    m = _solve(v, _mm(t, v))
    dw = _diag(m)
    if not compute_right_eigenvectors:
        return outs, [dw]
    dv = _mm(v, mul(_inv_offdiag_differences(w), m))
    n = get_aval(x).shape[-1]
    along = reduce_sum(mul(_conj(v), dv), (_ndim(v) - 2,))
    dv = sub(dv, mul(v, _rows_of(_astype(_real(along), get_aval(v).dtype), n)))
    return outs, [dw, dv]


ad.jvp_rules[eig_p] = _eig_jvp
_batch_leading(eig_p)


# ----------------------------------------------------------------------------------------------
# tridiagonal_solve


def tridiagonal_solve(dl, d, du, b):
    """Solves the tridiagonal system A x = b, A given by its sub-diagonal ``dl`` (``dl[0]``
    unused), diagonal ``d`` and super-diagonal ``du`` (``du[-1]`` unused), all (..., n); b is
    (..., n, k). NaN where A is singular: LAPACK ``gtsv`` (``lapack_?gtsv_ffi``)."""
    return tridiagonal_solve_p.bind(dl, d, du, b)


tridiagonal_solve_p = Primitive("tridiagonal_solve")


@tridiagonal_solve_p.def_abstract_eval
def _tridiagonal_solve_abstract_eval(dl, d, du, b):
    name = "tridiagonal_solve"
    _check_matrix(name, b, what="b")
    for what, v in (("dl", dl), ("d", d), ("du", du)):
        if v.dtype != b.dtype:
            raise XfrontTypeError(
                f"{name}: {what} and b must have the same dtype, got {v.str_short()} and "
                f"{b.str_short()}")
        if v.shape != b.shape[:-1]:
            raise XfrontValueError(
                f"{name}: {what} must have shape {b.shape[:-1]} (b's shape without its last "
                f"dimension), got {v.str_short()} with b {b.str_short()}")
    return ShapedArray(b.shape, b.dtype)


def _tridiagonal_matmul(dl, d, du, x):
    """A @ x for the tridiagonal A: (A x)[i] = dl[i] x[i-1] + d[i] x[i] + du[i] x[i+1]."""
    aval = get_aval(x)
    nb = aval.ndim - 2
    n, k = aval.shape[-2:]
    batch = aval.shape[:-2]
    zero = _const(x, 0)
    y = mul(_cols_of(d, k), x)
    if n > 1:
        lo = (0,) * (nb + 2)
        x_prev = pad(slice_(x, lo, (*batch, n - 1, k)), zero,
                     [(0, 0, 0)] * nb + [(1, 0, 0), (0, 0, 0)])
        x_next = pad(slice_(x, (0,) * nb + (1, 0), (*batch, n, k)), zero,
                     [(0, 0, 0)] * nb + [(0, 1, 0), (0, 0, 0)])
        y = add(y, add(mul(_cols_of(dl, k), x_prev), mul(_cols_of(du, k), x_next)))
    return y


def _tridiagonal_solve_jvp(primals, tangents):
    dl, d, du, b = primals
    tdl, td, tdu, tb = tangents
    x = tridiagonal_solve_p.bind(dl, d, du, b)
    rhs = tb
    if not all(type(t) is ad.Zero for t in (tdl, td, tdu)):
        # A x = b: A dx = db - dA x.
        dax = _tridiagonal_matmul(*(ad.instantiate(t) for t in (tdl, td, tdu)), x)
        rhs = neg(dax) if type(tb) is ad.Zero else sub(tb, dax)
    return x, tridiagonal_solve_p.bind(dl, d, du, rhs)


def _tridiagonal_solve_transpose(ct, dl, d, du, b):
    if any(ad.is_undefined(v) for v in (dl, d, du)):
        raise NotImplementedError("tridiagonal_solve is linear in b only")
    if type(ct) is ad.Zero:
        return [None, None, None, ad.Zero(b.aval)]
    # A^T has sub-diagonal du shifted down one and super-diagonal dl shifted up one.
    nb = _ndim(d) - 1
    n = get_aval(d).shape[-1]
    batch = get_aval(d).shape[:-1]
    zero = _const(d, 0)
    dl_t = pad(slice_(du, (0,) * (nb + 1), (*batch, n - 1)), zero,
               [(0, 0, 0)] * nb + [(1, 0, 0)])
    du_t = pad(slice_(dl, (0,) * nb + (1,), (*batch, n)), zero, [(0, 0, 0)] * nb + [(0, 1, 0)])
    return [None, None, None, tridiagonal_solve_p.bind(dl_t, d, du_t, ct)]


ad.jvp_rules[tridiagonal_solve_p] = _tridiagonal_solve_jvp
ad.transpose_rules[tridiagonal_solve_p] = _tridiagonal_solve_transpose
_batch_leading(tridiagonal_solve_p)
