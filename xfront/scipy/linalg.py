"""``xfront.scipy.linalg``: SciPy's linear algebra on xfront arrays (``jax.scipy.linalg``).

Written over ``xfront.lax.linalg`` and ``xfront.numpy.linalg``. SciPy's in-place and checking
options (``overwrite_*``, ``check_finite``, ``lwork``, ``debug``) are accepted and ignored:
xfront arrays are immutable and values are only known on the device. Functions batch over
leading dimensions unless noted, and run under jit, grad and vmap.
"""

from __future__ import annotations

import operator

import numpy as np

import xfront.numpy as xnp
from xfront import lax
from xfront.api import jit
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, concretization_error
from xfront.lax import linalg as lax_linalg
from xfront.numpy import linalg as np_linalg
from xfront.numpy._util import check_arraylike, promote_dtypes_inexact

__all__ = [
    "block_diag",
    "cho_factor",
    "cho_solve",
    "cholesky",
    "det",
    "eigh",
    "eigh_tridiagonal",
    "expm",
    "expm_frechet",
    "hilbert",
    "inv",
    "lu",
    "lu_factor",
    "lu_solve",
    "pinv",
    "polar",
    "qr",
    "solve",
    "solve_triangular",
    "svd",
    "toeplitz",
]

LinAlgError = np_linalg.LinAlgError


def _inexact(name, *args):
    check_arraylike(name, *args)
    out = promote_dtypes_inexact(*(xnp.asarray(a) for a in args))
    return out if len(out) > 1 else out[0]


def _square(name, a, what="a"):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise LinAlgError(f"{name}: {what} must be a square matrix or a stack of them (shape "
                          f"(..., n, n)), got shape {a.shape}")


def _H(x):
    x = xnp.swapaxes(x, -1, -2)
    return xnp.conj(x) if dtypes.is_complex(x.dtype) else x


def _rhs(name, a, b):
    """``b`` as matrices (..., n, k) with batch dims broadcast against a's; and whether b was
    a vector."""
    n = a.shape[-1]
    if b.ndim == 0:
        raise LinAlgError(f"{name}: b must have at least one dimension, got a scalar")
    vector = b.ndim == 1 or (b.ndim == a.ndim - 1 and b.shape[-1] == n and b.ndim < 2)
    if vector:
        b = b[..., None]
    if b.shape[-2] != n:
        raise LinAlgError(f"{name}: a {a.shape} and b {b.shape[:-1] if vector else b.shape} "
                          f"are incompatible: b needs {n} rows")
    batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = xnp.broadcast_to(a, (*batch, *a.shape[-2:]))
    b = xnp.broadcast_to(b, (*batch, *b.shape[-2:]))
    return a, b, vector


def _trans_code(name, trans) -> int:
    codes = {0: 0, 1: 1, 2: 2, "N": 0, "T": 1, "C": 2}
    try:
        return codes[trans]
    except (KeyError, TypeError):
        raise XfrontValueError(f"{name}: trans must be 0/'N', 1/'T' or 2/'C', got "
                               f"{trans!r}") from None


# ----------------------------------------------------------------------------------------------
# Triangular and LU solves.


def solve_triangular(a, b, trans=0, lower: bool = False, unit_diagonal: bool = False,
                     overwrite_b: bool = False, debug=None, check_finite: bool = True):
    """Solves op(a) x = b with a triangular (only its ``lower`` or upper triangle is read),
    op = identity, transpose or conjugate transpose per ``trans`` (0/'N', 1/'T', 2/'C');
    ``b`` is (n,) or (..., n, k)."""
    del overwrite_b, debug, check_finite
    a, b = _inexact("solve_triangular", a, b)
    _square("solve_triangular", a)
    t = _trans_code("solve_triangular", trans)
    a, b, vector = _rhs("solve_triangular", a, b)
    x = lax_linalg.triangular_solve(a, b, left_side=True, lower=lower, transpose_a=t > 0,
                                    conjugate_a=t == 2, unit_diagonal=unit_diagonal)
    return x[..., 0] if vector else x


def lu_factor(a, overwrite_a: bool = False, check_finite: bool = True):
    """Packed LU factorization with partial pivoting: ``(lu, piv)``, piv the 0-based row swaps
    (int32), for ``lu_solve``."""
    del overwrite_a, check_finite
    a = _inexact("lu_factor", a)
    if a.ndim < 2:
        raise LinAlgError(f"lu_factor: a must be a matrix, got shape {a.shape}")
    lu_, piv, _ = lax_linalg.lu(a)
    return lu_, piv


def lu(a, permute_l: bool = False, overwrite_a: bool = False, check_finite: bool = True,
       p_indices: bool = False):
    """LU decomposition with partial pivoting a = p @ l @ u: returns (p, l, u), l (..., m, k)
    unit lower and u (..., k, n) upper, k = min(m, n); (p @ l, u) with ``permute_l``; with
    ``p_indices`` p is the row-index vector with a = l[p] @ u."""
    del overwrite_a, check_finite
    a = _inexact("lu", a)
    if a.ndim < 2:
        raise LinAlgError(f"lu: a must be a matrix, got shape {a.shape}")
    m, n = a.shape[-2:]
    k = min(m, n)
    lu_, _, perm = lax_linalg.lu(a)
    eye_l = xnp.eye(m, k, dtype=a.dtype)
    l_ = xnp.where(_strict_lower_mask(m, k), lu_[..., :, :k], xnp.zeros((), a.dtype)) + eye_l
    u_ = xnp.where(_upper_mask(k, n), lu_[..., :k, :], xnp.zeros((), a.dtype))
    # a[perm] = l @ u, so a = P @ l @ u with P[perm[i], i] = 1.
    onehot = (perm[..., :, None] == xnp.arange(m, dtype=perm.dtype)).astype(a.dtype)
    p = xnp.swapaxes(onehot, -1, -2)
    if permute_l:
        return xnp.matmul(p, l_), u_
    if p_indices:
        return _inverse_permutation(perm), l_, u_
    return p, l_, u_


def _strict_lower_mask(m, k):
    return np.tril(np.ones((m, k), bool), -1)


def _upper_mask(k, n):
    return np.triu(np.ones((k, n), bool))


def _inverse_permutation(perm):
    m = perm.shape[-1]
    onehot = (perm[..., :, None] == xnp.arange(m, dtype=perm.dtype))
    # inv[perm[i]] = i: inv[j] = sum_i i * onehot[i, j]
    return xnp.sum(onehot * xnp.arange(m, dtype=perm.dtype)[:, None], axis=-2,
                   dtype=perm.dtype)


def lu_solve(lu_and_piv, b, trans=0, overwrite_b: bool = False, check_finite: bool = True):
    """Solves a x = b (``trans`` 0), a^T x = b (1) or a^H x = b (2) from ``lu_factor``'s
    ``(lu, piv)``; ``b`` is (n,) or (..., n, k)."""
    del overwrite_b, check_finite
    lu_, piv = lu_and_piv
    check_arraylike("lu_solve", lu_, piv, b)
    lu_, b = promote_dtypes_inexact(xnp.asarray(lu_), xnp.asarray(b))
    piv = xnp.asarray(piv)
    _square("lu_solve", lu_, "lu")
    t = _trans_code("lu_solve", trans)
    n = lu_.shape[-1]
    if piv.shape[-1] != n:
        raise LinAlgError(f"lu_solve: piv {piv.shape} does not match lu {lu_.shape}")
    perm = lax_linalg.lu_pivots_to_permutation(piv.astype(np.int32), n)
    lu_, b, vector = _rhs("lu_solve", lu_, b)
    perm = xnp.broadcast_to(perm, (*lu_.shape[:-2], n))
    onehot = (perm[..., :, None] == xnp.arange(n, dtype=perm.dtype)).astype(b.dtype)
    if t == 0:  # A = P^T L U: x = U^{-1} L^{-1} P b
        y = lax_linalg.triangular_solve(lu_, xnp.matmul(onehot, b), left_side=True,
                                        lower=True, unit_diagonal=True)
        x = lax_linalg.triangular_solve(lu_, y, left_side=True, lower=False)
    else:  # A^T = U^T L^T P: x = P^T L^{-T} U^{-T} b (conjugated for 'C')
        conj = t == 2
        y = lax_linalg.triangular_solve(lu_, b, left_side=True, lower=False, transpose_a=True,
                                        conjugate_a=conj)
        z = lax_linalg.triangular_solve(lu_, y, left_side=True, lower=True, transpose_a=True,
                                        conjugate_a=conj, unit_diagonal=True)
        x = xnp.matmul(xnp.swapaxes(onehot, -1, -2), z)
    return x[..., 0] if vector else x


# ----------------------------------------------------------------------------------------------
# Cholesky.


def cholesky(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """Cholesky factor of Hermitian positive definite matrices: upper U with a = U^H U (SciPy's
    default), or lower L with a = L L^H."""
    del overwrite_a, check_finite
    a = _inexact("cholesky", a)
    _square("cholesky", a)
    L = lax_linalg.cholesky(a)
    return L if lower else _H(L)


def cho_factor(a, lower: bool = False, overwrite_a: bool = False, check_finite: bool = True):
    """``(c, lower)`` for ``cho_solve``: the Cholesky factor (triangle given by ``lower``)."""
    return cholesky(a, lower=lower, overwrite_a=overwrite_a, check_finite=check_finite), lower


def cho_solve(c_and_lower, b, overwrite_b: bool = False, check_finite: bool = True):
    """Solves a x = b from ``cho_factor``'s ``(c, lower)``; ``b`` is (n,) or (..., n, k)."""
    del overwrite_b, check_finite
    c, lower = c_and_lower
    c, b = _inexact("cho_solve", c, b)
    _square("cho_solve", c, "c")
    c, b, vector = _rhs("cho_solve", c, b)
    lower = bool(lower)
    # lower: a = L L^H; upper: a = U^H U.
    y = lax_linalg.triangular_solve(c, b, left_side=True, lower=lower, transpose_a=not lower,
                                    conjugate_a=not lower)
    x = lax_linalg.triangular_solve(c, y, left_side=True, lower=lower, transpose_a=lower,
                                    conjugate_a=lower)
    return x[..., 0] if vector else x


# ----------------------------------------------------------------------------------------------
# Decompositions.


def qr(a, overwrite_a: bool = False, lwork=None, mode: str = "full", pivoting: bool = False,
       check_finite: bool = True):
    """QR decomposition: (q, r) for ``mode`` 'full' (q (..., m, m), r (..., m, n)) or
    'economic' (q (..., m, k), r (..., k, n)); ``(r,)`` for 'r' (a 1-tuple with the full r, as
    SciPy)."""
    del overwrite_a, lwork, check_finite
    if pivoting:
        raise NotImplementedError("qr: pivoting=True is not supported")
    a = _inexact("qr", a)
    if a.ndim < 2:
        raise LinAlgError(f"qr: a must be a matrix, got shape {a.shape}")
    if mode not in ("full", "r", "economic"):
        if mode == "raw":
            raise NotImplementedError("qr: mode='raw' is not supported")
        raise XfrontValueError(f"qr: unsupported mode {mode!r}; expected 'full', 'economic' "
                               "or 'r'")
    q, r = lax_linalg.qr(a, full_matrices=mode != "economic")
    return (r,) if mode == "r" else (q, r)


def svd(a, full_matrices: bool = True, compute_uv: bool = True, overwrite_a: bool = False,
        check_finite: bool = True, lapack_driver: str = "gesdd"):
    """Singular value decomposition: (u, s, vh), or s without ``compute_uv``."""
    del overwrite_a, check_finite
    if lapack_driver not in ("gesdd", "gesvd"):
        raise XfrontValueError(f"svd: unknown lapack_driver {lapack_driver!r}")
    a = _inexact("svd", a)
    if a.ndim < 2:
        raise LinAlgError(f"svd: a must be a matrix, got shape {a.shape}")
    if not compute_uv:
        return lax_linalg.svd(a, compute_uv=False)
    return lax_linalg.svd(a, full_matrices=full_matrices)


def eigh(a, b=None, lower: bool = True, eigvals_only: bool = False, overwrite_a: bool = False,
         overwrite_b: bool = False, turbo: bool = True, eigvals=None, type: int = 1,  # noqa: A002
         check_finite: bool = True, subset_by_index=None, subset_by_value=None, driver=None):
    """Eigenvalues (ascending) and eigenvectors of a Hermitian ``a``, or of the generalized
    problem a v = w b v with ``b`` Hermitian positive definite (``type`` 1): ``(w, v)``, or w
    with ``eigvals_only``."""
    del overwrite_a, overwrite_b, turbo, check_finite, driver
    if eigvals is not None or subset_by_index is not None or subset_by_value is not None:
        raise NotImplementedError("eigh: eigenvalue subsets are not supported")
    a = _inexact("eigh", a)
    _square("eigh", a)
    if b is None:
        v, w = lax_linalg.eigh(a, lower=lower)
    else:
        if type != 1:
            raise NotImplementedError(f"eigh: generalized problem type {type} is not "
                                      "supported (only type=1: a v = w b v)")
        a, b = _inexact("eigh", a, b)
        _square("eigh", b, "b")
        if b.shape[-1] != a.shape[-1]:
            raise LinAlgError(f"eigh: a {a.shape} and b {b.shape} differ in size")
        # b = L L^H: a v = w b v  <=>  (L^{-1} a L^{-H}) y = w y with v = L^{-H} y.
        L = lax_linalg.cholesky(b)
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xnp.broadcast_to(a, (*batch, *a.shape[-2:]))
        L = xnp.broadcast_to(L, (*batch, *L.shape[-2:]))
        t = lax_linalg.triangular_solve(L, a, left_side=True, lower=True)
        c = lax_linalg.triangular_solve(L, t, left_side=False, lower=True, transpose_a=True,
                                        conjugate_a=True)
        y, w = lax_linalg.eigh(c)
        v = lax_linalg.triangular_solve(L, y, left_side=True, lower=True, transpose_a=True,
                                        conjugate_a=True)
    return w if eigvals_only else (w, v)


def eigh_tridiagonal(d, e, *, eigvals_only: bool = False, select: str = "a",
                     select_range=None, max_iter: int = 5, tol=None):
    """Eigenvalues (ascending) and eigenvectors of the real symmetric tridiagonal matrix with
    diagonal ``d`` (n,) and off-diagonal ``e`` (n-1,): ``w`` or ``(w, v)``."""
    del max_iter, tol
    if select != "a" or select_range is not None:
        raise NotImplementedError("eigh_tridiagonal: only select='a' is supported")
    d, e = _inexact("eigh_tridiagonal", d, e)
    if d.ndim != 1 or e.ndim != 1 or e.shape[0] != max(d.shape[0] - 1, 0):
        raise XfrontValueError(f"eigh_tridiagonal: d must be (n,) and e (n-1,), got shapes "
                               f"{d.shape} and {e.shape}")
    n = d.shape[0]
    # The dense matrix, read from [0, d..., e...]: (i, i) -> d[i], (i, i±1) -> e[min(i, j)].
    i, j = np.indices((n, n))
    idx = np.where(i == j, 1 + i, np.where(np.abs(i - j) == 1, 1 + n + np.minimum(i, j), 0))
    a = _take_flat(xnp.concatenate([xnp.zeros((1,), d.dtype), d, e]), idx)
    v, w = lax_linalg.eigh(a, symmetrize_input=False)
    return w if eigvals_only else (w, v)


def polar(a, side: str = "right", *, method: str = "svd", eps=None, max_iterations=None):
    """Polar decomposition a = u p (``side`` 'right') or a = p u ('left') with u having
    orthonormal columns (or rows) and p Hermitian positive semi-definite, through the SVD."""
    del eps, max_iterations
    if method != "svd":
        raise NotImplementedError(f"polar: method {method!r} is not supported (use 'svd')")
    if side not in ("right", "left"):
        raise XfrontValueError(f"polar: side must be 'right' or 'left', got {side!r}")
    a = _inexact("polar", a)
    if a.ndim != 2:
        raise LinAlgError(f"polar: a must be a 2-D matrix, got shape {a.shape}")
    w, s, vh = lax_linalg.svd(a, full_matrices=False)
    u = xnp.matmul(w, vh)
    s = s.astype(a.dtype)
    if side == "right":
        p = xnp.matmul(_H(vh) * s[None, :], vh)
    else:
        p = xnp.matmul(w * s[None, :], _H(w))
    return u, p


# ----------------------------------------------------------------------------------------------
# Inverses, determinants, solves.


def inv(a, overwrite_a: bool = False, check_finite: bool = True):
    """Inverse of square matrices."""
    del overwrite_a, check_finite
    return np_linalg.inv(a)


def pinv(a, *, atol=None, rtol=None, return_rank: bool = False, check_finite: bool = True):
    """Moore-Penrose pseudo-inverse (``atol`` is not supported; ``rtol`` as NumPy's)."""
    del check_finite
    if atol is not None:
        raise NotImplementedError("pinv: atol is not supported; use rtol")
    if return_rank:
        raise NotImplementedError("pinv: return_rank is not supported; use "
                                  "xfront.numpy.linalg.matrix_rank")
    return np_linalg.pinv(a, rtol=rtol)


def det(a, overwrite_a: bool = False, check_finite: bool = True):
    """Determinant of square matrices."""
    del overwrite_a, check_finite
    return np_linalg.det(a)


def solve(a, b, lower: bool = False, overwrite_a: bool = False, overwrite_b: bool = False,
          debug: bool = False, check_finite: bool = True, assume_a: str | None = "gen",
          transposed: bool = False):
    """Solves a x = b (a^T x = b with ``transposed``): ``assume_a`` 'gen' (LU), 'sym'/'her'
    (LU as well) or 'pos' (Cholesky, reading the ``lower`` or upper triangle); ``b`` is (n,)
    or (..., n, k)."""
    del overwrite_a, overwrite_b, debug, check_finite
    if assume_a is None:
        assume_a = "gen"
    if assume_a not in ("gen", "sym", "her", "pos", "general", "symmetric", "hermitian",
                        "positive definite"):
        raise XfrontValueError(f"solve: unknown assume_a {assume_a!r}")
    a, b = _inexact("solve", a, b)
    _square("solve", a)
    if transposed:
        a = xnp.swapaxes(a, -1, -2)
    if assume_a in ("pos", "positive definite"):
        src = a if lower else _H(a)
        L = lax_linalg.cholesky(src, symmetrize_input=False)
        return cho_solve((L, True), b)
    a, b, vector = _rhs("solve", a, b)
    x = np_linalg.solve(a, b)
    return x[..., 0] if vector else x


# ----------------------------------------------------------------------------------------------
# Matrix functions.

# Padé coefficients b_0..b_m of exp (Higham 2005, "The scaling and squaring method for the
# matrix exponential revisited") and theta_m: for ||A||_1 <= theta_m the degree-m approximant
# is accurate to unit roundoff (degree 7 for float32, 13 for float64).
_PADE = {
    7: (17297280.0, 8648640.0, 1995840.0, 277200.0, 25200.0, 1512.0, 56.0, 1.0),
    13: (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
         129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
         40840800.0, 960960.0, 16380.0, 182.0, 1.0),
}
_DEGREE = {np.dtype(np.float32): (7, 3.925724783138660),
           np.dtype(np.float64): (13, 5.371920351148152)}


def _pade(a, m: int, ident):
    """(U, V) with exp(a) ~ (V - U)^{-1} (V + U) for the degree-m Padé approximant."""
    b = _PADE[m]
    mm = xnp.matmul
    a2 = mm(a, a)
    a4 = mm(a2, a2)
    a6 = mm(a4, a2)
    if m == 13:
        u = mm(a, mm(a6, b[13] * a6 + b[11] * a4 + b[9] * a2)
               + b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
        v = mm(a6, b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 \
            + b[0] * ident
        return u, v
    u = mm(a, b[7] * a6 + b[5] * a4 + b[3] * a2 + b[1] * ident)
    v = b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * ident
    return u, v


def expm(A, *, upper_triangular: bool = False, max_squarings: int = 16):
    """Matrix exponential by Padé approximation with scaling and squaring (Higham 2005).

    ``A`` is scaled by 2^-s so that its 1-norm is below the bound where the degree-13
    (float64) or degree-7 (float32) approximant is exact to rounding, then the result is
    squared s times; matrices that need more than ``max_squarings`` squarings give NaN.
    Differentiable (the derivative is the Fréchet derivative, see ``expm_frechet``) and
    batched over leading dimensions.
    """
    del upper_triangular
    A = _inexact("expm", A)
    _square("expm", A, "A")
    max_squarings = operator.index(max_squarings)
    if A.shape[-1] == 0:
        return A
    dt = dtypes.real_dtype(A.dtype)
    if dt not in _DEGREE:
        raise XfrontTypeError(f"expm: unsupported dtype {A.dtype}")
    return _expm_jit(A, max_squarings=max_squarings)


def _expm(A, *, max_squarings: int):
    m, theta = _DEGREE[dtypes.real_dtype(A.dtype)]
    norm1 = xnp.max(xnp.sum(xnp.abs(A), axis=-2), axis=-1)  # per matrix
    s = xnp.maximum(0, xnp.ceil(xnp.log2(xnp.where(norm1 > 0, norm1, 1) / theta)))
    s = lax.stop_gradient(s)  # piecewise constant
    scale = (2.0 ** -s).astype(A.dtype)[..., None, None]
    u, v = _pade(A * scale, m, _eye_like(A))
    result = np_linalg.solve(v - u, v + u)
    # Undo the scaling: a static loop of squarings, each applied where s asks for it.
    for k in range(max_squarings):
        result = xnp.where((s > k)[..., None, None], xnp.matmul(result, result), result)
    return xnp.where((s > max_squarings)[..., None, None], xnp.nan, result).astype(A.dtype)


_expm_jit = jit(_expm, static_argnames=("max_squarings",))


def expm_frechet(A, E, *, method=None, compute_expm: bool = True):
    """The Fréchet derivative of ``expm`` at ``A`` in direction ``E`` (by forward-mode
    differentiation): ``(expm(A), L)``, or L alone without ``compute_expm``."""
    from xfront import jvp

    if method not in (None, "SPS", "blockEnlarge"):
        raise XfrontValueError(f"expm_frechet: unknown method {method!r}")
    A, E = _inexact("expm_frechet", A, E)
    if A.shape != E.shape:
        raise XfrontValueError(f"expm_frechet: A {A.shape} and E {E.shape} must have the same "
                               "shape")
    value, deriv = jvp(expm, (A,), (E,))
    return (value, deriv) if compute_expm else deriv


def _eye_like(a):
    n = a.shape[-1]
    return xnp.broadcast_to(xnp.eye(n, dtype=a.dtype), a.shape)


# ----------------------------------------------------------------------------------------------
# Special matrices.


def block_diag(*arrs):
    """A block-diagonal matrix from 0-, 1- or 2-D blocks (1-D blocks are rows)."""
    if not arrs:
        return xnp.zeros((1, 0))
    check_arraylike("block_diag", *arrs)
    blocks = [xnp.atleast_2d(xnp.asarray(a)) for a in arrs]
    for i, b in enumerate(blocks):
        if b.ndim != 2:
            raise XfrontValueError(f"block_diag: argument {i} has shape {b.shape}; blocks must "
                                   "have at most 2 dimensions")
    dt = xnp.result_type(*blocks)
    cols = sum(b.shape[1] for b in blocks)
    rows = []
    offset = 0
    for b in blocks:
        r, c = b.shape
        rows.append(lax.pad(b.astype(dt), np.zeros((), dt)[()],
                            [(0, 0, 0), (offset, cols - offset - c, 0)]))
        offset += c
    return xnp.concatenate(rows, axis=0)


def toeplitz(c, r=None):
    """The Toeplitz matrix with first column ``c`` and first row ``r`` (default conj(c));
    r[0] is ignored. Inputs are flattened (batching over leading dims as JAX: both 1-D here)."""
    check_arraylike("toeplitz", c)
    c = xnp.ravel(xnp.asarray(c))
    if r is None:
        r = xnp.conj(c) if dtypes.is_complex(c.dtype) else c
    else:
        check_arraylike("toeplitz", r)
        r = xnp.ravel(xnp.asarray(r))
    c, r = xnp.asarray(c), xnp.asarray(r)
    dt = xnp.result_type(c, r)
    c, r = c.astype(dt), r.astype(dt)
    m, n = c.shape[0], r.shape[0]
    # vals = [c[m-1], ..., c[1], c[0], r[1], ..., r[n-1]]; entry (i, j) = vals[m-1-i+j].
    vals = xnp.concatenate([c[::-1], r[1:]])
    idx = (m - 1) - np.arange(m)[:, None] + np.arange(n)[None, :]
    return _take_flat(vals, idx)


def _take_flat(vals, idx):
    """vals[idx] for a static integer array idx (a one-hot contraction: exact, differentiable
    and gather-free)."""
    onehot = (idx[..., None] == np.arange(vals.shape[0])).astype(vals.dtype)
    return xnp.tensordot(xnp.asarray(onehot), vals, axes=1)


def hilbert(n):
    """The n x n Hilbert matrix 1 / (i + j + 1)."""
    if isinstance(n, Tracer):
        raise concretization_error(n, "hilbert: n")
    n = operator.index(n)
    i = np.arange(n)
    return xnp.asarray(1.0 / (i[:, None] + i[None, :] + 1), dtypes.default_float_dtype())
