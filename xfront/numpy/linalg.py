"""``xfront.numpy.linalg``: NumPy's linear algebra on xfront arrays (``jax.numpy.linalg``).

Written over the primitives of ``xfront.lax.linalg`` (LAPACK on the CPU) and ``xfront.numpy``;
every function runs eagerly and under jit, grad and vmap, and batches over leading dimensions
like NumPy. Singular or indefinite inputs give NaN/inf values as in JAX (no exception: the
values are only known on the device); shape errors raise ``LinAlgError`` (a ``ValueError``,
and ``numpy.linalg.LinAlgError``) naming the function and the shapes.

``solve``, ``det``, ``slogdet`` and ``pinv`` carry their own derivative rules (``custom_jvp``):
the derivative of a solve is one more solve with the same factorization, that of det is
``trace(adj(a) da)`` with the adjugate ``adj(a) = det(a) a^{-1}`` formed from the LU factors
without dividing by a zero pivot, so it is exact at singular matrices too (the cofactor matrix
as gradient; zero for rank <= n - 2). slogdet's derivative is ``trace(solve(a, da))``: inf/NaN
at singular matrices, as in JAX.
"""

from __future__ import annotations

import functools
import operator
from typing import NamedTuple

import numpy as np

import xfront.numpy as xnp
from xfront import lax
from xfront.api import jit
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, concretization_error, get_aval
from xfront.custom_derivatives import custom_jvp
from xfront.lax import linalg as lax_linalg
from xfront.numpy._util import check_arraylike, promote_dtypes_inexact
from xfront.numpy._util import static_int as _static_int

__all__ = [
    "EigResult",
    "EighResult",
    "LinAlgError",
    "QRResult",
    "SVDResult",
    "SlogdetResult",
    "cholesky",
    "cond",
    "cross",
    "det",
    "diagonal",
    "eig",
    "eigh",
    "eigvals",
    "eigvalsh",
    "inv",
    "lstsq",
    "matmul",
    "matrix_norm",
    "matrix_power",
    "matrix_rank",
    "matrix_transpose",
    "multi_dot",
    "norm",
    "outer",
    "pinv",
    "qr",
    "slogdet",
    "solve",
    "svd",
    "svdvals",
    "tensordot",
    "tensorinv",
    "tensorsolve",
    "trace",
    "vecdot",
    "vector_norm",
]


class LinAlgError(XfrontValueError, np.linalg.LinAlgError):
    """Invalid input to a linear algebra function (NumPy's ``LinAlgError``)."""


class EighResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class EigResult(NamedTuple):
    eigenvalues: object
    eigenvectors: object


class QRResult(NamedTuple):
    Q: object
    R: object


class SlogdetResult(NamedTuple):
    sign: object
    logabsdet: object


class SVDResult(NamedTuple):
    U: object
    S: object
    Vh: object


# ----------------------------------------------------------------------------------------------
# Argument handling.


def _inexact(name: str, *args):
    check_arraylike(name, *args)
    out = promote_dtypes_inexact(*(xnp.asarray(a) for a in args))
    return out if len(out) > 1 else out[0]


def _shape(x):
    return get_aval(x).shape


def _check_ndim(name: str, x, ndim: int = 2, what: str = "the input"):
    shape = _shape(x)
    if len(shape) < ndim:
        raise LinAlgError(
            f"{name}: {what} must have at least {ndim} dimensions, got shape {shape}")


def _check_square(name: str, x, what: str = "the input"):
    _check_ndim(name, x, 2, what)
    shape = _shape(x)
    if shape[-1] != shape[-2]:
        raise LinAlgError(
            f"{name}: the last 2 dimensions of {what} must be square, got shape {shape}")


def _H(x):
    return xnp.conj(xnp.swapaxes(x, -1, -2)) if dtypes.is_complex(_shape_dtype(x)) else \
        xnp.swapaxes(x, -1, -2)


def _shape_dtype(x):
    return get_aval(x).dtype


def _eye_like(a):
    """Identity matrices with ``a``'s shape and dtype."""
    n = _shape(a)[-1]
    return xnp.broadcast_to(xnp.eye(n, dtype=_shape_dtype(a)), _shape(a))


def _batch_broadcast(name, a, b, b_core: int):
    """Broadcasts the batch dimensions of ``a`` (..., n, n) and ``b`` (b_core trailing dims)."""
    try:
        batch = np.broadcast_shapes(_shape(a)[:-2], _shape(b)[:len(_shape(b)) - b_core])
    except ValueError:
        raise LinAlgError(f"{name}: batch dimensions of {_shape(a)} and {_shape(b)} do not "
                          "broadcast") from None
    return (xnp.broadcast_to(a, (*batch, *_shape(a)[-2:])),
            xnp.broadcast_to(b, (*batch, *_shape(b)[len(_shape(b)) - b_core:])))


# ----------------------------------------------------------------------------------------------
# Factorizations.


def cholesky(a, *, upper: bool = False, symmetrize_input: bool = True):
    """Cholesky factor of Hermitian positive definite matrices: lower L with a = L L^H (or
    upper U = L^H with a = U^H U when ``upper``); NaN where ``a`` is not positive definite."""
    a = _inexact("cholesky", a)
    _check_square("cholesky", a)
    L = lax_linalg.cholesky(a, symmetrize_input=symmetrize_input)
    return _H(L) if upper else L


def _uplo(name: str, UPLO) -> bool:
    if UPLO is None or UPLO == "L":
        return True
    if UPLO == "U":
        return False
    raise XfrontValueError(f"{name}: UPLO must be 'L' or 'U', got {UPLO!r}")


def eigh(a, UPLO=None, symmetrize_input: bool = True) -> EighResult:
    """Eigenvalues (ascending) and eigenvectors (columns) of Hermitian matrices."""
    a = _inexact("eigh", a)
    _check_square("eigh", a)
    v, w = lax_linalg.eigh(a, lower=_uplo("eigh", UPLO), symmetrize_input=symmetrize_input)
    return EighResult(w, v)


def eigvalsh(a, UPLO="L", *, symmetrize_input: bool = True):
    """Eigenvalues (ascending) of Hermitian matrices."""
    return eigh(a, UPLO, symmetrize_input).eigenvalues


def eig(a) -> EigResult:
    """Eigenvalues and right eigenvectors (unit length columns) of general square matrices,
    complex (CPU only)."""
    a = _inexact("eig", a)
    _check_square("eig", a)
    w, v = lax_linalg.eig(a, compute_left_eigenvectors=False)
    return EigResult(w, v)


def eigvals(a):
    """Eigenvalues of general square matrices, complex (CPU only)."""
    a = _inexact("eigvals", a)
    _check_square("eigvals", a)
    return lax_linalg.eig(a, compute_left_eigenvectors=False,
                          compute_right_eigenvectors=False)[0]


def svd(a, full_matrices: bool = True, compute_uv: bool = True, hermitian: bool = False,
        subset_by_index=None):
    """Singular value decomposition a = U diag(S) Vh (S descending): ``SVDResult(U, S, Vh)``,
    or S when not ``compute_uv``. ``hermitian`` is accepted for NumPy compatibility (the
    general algorithm gives the same result)."""
    del hermitian
    a = _inexact("svd", a)
    _check_ndim("svd", a)
    if not compute_uv:
        return lax_linalg.svd(a, compute_uv=False, subset_by_index=subset_by_index)
    u, s, vh = lax_linalg.svd(a, full_matrices=full_matrices, subset_by_index=subset_by_index)
    return SVDResult(u, s, vh)


def svdvals(x, /):
    """Singular values, descending."""
    return svd(x, compute_uv=False)


def qr(a, mode: str = "reduced"):
    """QR decomposition: ``QRResult(Q, R)`` for ``mode`` 'reduced' (Q (..., m, k)) or
    'complete' (Q (..., m, m)); R alone for 'r'."""
    a = _inexact("qr", a)
    _check_ndim("qr", a)
    if mode in ("reduced", "r", "economic"):
        full = False
    elif mode in ("complete", "full"):
        full = True
    elif mode == "raw":
        raise NotImplementedError("qr: mode='raw' is not supported; use 'reduced', "
                                  "'complete' or 'r'")
    else:
        raise XfrontValueError(f"qr: unsupported mode {mode!r}; expected 'reduced', "
                               "'complete' or 'r'")
    q, r = lax_linalg.qr(a, full_matrices=full)
    return r if mode == "r" else QRResult(q, r)


# ----------------------------------------------------------------------------------------------
# Solving.


def _lu_solve(a, b):
    lu, _, perm = lax_linalg.lu(a)
    return lax_linalg._lu_solve(lu, perm, b)


@custom_jvp
def _solve(a, b):
    """a x = b for matrices b (..., n, k), batch dims equal."""
    return _lu_solve(a, b)


@_solve.defjvp
def _solve_jvp(primals, tangents):
    a, b = primals
    ta, tb = tangents
    lu, _, perm = lax_linalg.lu(a)
    x = lax_linalg._lu_solve(lu, perm, b)
    # a x = b: a dx = db - da x, solved with the same factorization. (Written without the
    # custom rule so reverse mode can transpose it: it is linear in the tangents.)
    return x, lax_linalg._lu_solve(lu, perm, tb - xnp.matmul(ta, x))


# Each runs as one compiled program per signature (eagerly too), not one executable per
# primitive.
_solve_jit = jit(_solve)


def solve(a, b):
    """Solves a x = b for x: ``a`` (..., n, n), ``b`` (n,) (one right-hand side) or
    (..., n, k); batch dimensions broadcast. NaN/inf where ``a`` is singular."""
    a, b = _inexact("solve", a, b)
    _check_square("solve", a, "a")
    n = _shape(a)[-1]
    sb = _shape(b)
    if len(sb) == 0:
        raise LinAlgError(f"solve: b must have at least one dimension, got shape {sb}")
    if len(sb) == 1:
        if sb[0] != n:
            raise LinAlgError(f"solve: a {_shape(a)} and b {sb} are incompatible (b needs "
                              f"{n} rows)")
        a2, b2 = _batch_broadcast("solve", a, b[:, None], 2)
        return _solve_jit(a2, b2)[..., 0]
    if len(sb) == len(_shape(a)) - 1 and sb[-1] == n and sb[-2] != n:
        raise LinAlgError(
            f"solve: a {_shape(a)} and b {sb} are ambiguous: b is treated as a stack of "
            f"matrices (NumPy 2); for a stack of vectors use solve(a, b[..., None])[..., 0]")
    if sb[-2] != n:
        raise LinAlgError(f"solve: a {_shape(a)} and b {sb} are incompatible: b needs {n} "
                          "rows")
    a2, b2 = _batch_broadcast("solve", a, b, 2)
    return _solve_jit(a2, b2)


def inv(a):
    """The inverse of square matrices (NaN/inf where singular)."""
    a = _inexact("inv", a)
    _check_square("inv", a)
    return _solve_jit(a, _eye_like(a))


def tensorsolve(a, b, axes=None):
    """Solves tensordot(a, x, x.ndim) = b for x."""
    a, b = _inexact("tensorsolve", a, b)
    a_ndim = len(_shape(a))
    if axes is not None:
        axes = [operator.index(ax) % a_ndim for ax in axes]
        rest = [i for i in range(a_ndim) if i not in axes]
        a = xnp.transpose(a, rest + axes)
    sb = _shape(b)
    out_shape = _shape(a)[len(sb):]
    rows = int(np.prod(sb, dtype=np.int64))
    cols = int(np.prod(out_shape, dtype=np.int64))
    if rows != cols or int(np.prod(_shape(a), dtype=np.int64)) != rows * cols:
        raise LinAlgError(f"tensorsolve: a {_shape(a)} and b {sb} do not form a square "
                          f"system (prod of b's shape {rows}, prod of the rest {cols})")
    x = solve(xnp.reshape(a, (rows, cols)), xnp.reshape(b, (rows,)))
    return xnp.reshape(x, out_shape)


def tensorinv(a, ind: int = 2):
    """The inverse of ``a`` seen as a square matrix of its first ``ind`` and remaining axes."""
    a = _inexact("tensorinv", a)
    ind = _static_int(ind, "tensorinv", "ind")
    shape = _shape(a)
    if ind <= 0:
        raise XfrontValueError(f"tensorinv: ind must be a positive integer, got {ind}")
    rows = int(np.prod(shape[:ind], dtype=np.int64))
    cols = int(np.prod(shape[ind:], dtype=np.int64))
    if rows != cols:
        raise LinAlgError(f"tensorinv: a of shape {shape} with ind={ind} is not square "
                          f"({rows} x {cols})")
    return xnp.reshape(inv(xnp.reshape(a, (rows, cols))), shape[ind:] + shape[:ind])


def lstsq(a, b, rcond=None, *, numpy_resid: bool = False):
    """Least-squares solution of a x = b through the SVD: returns (x, residuals, rank, s).

    Singular values below ``rcond * s.max()`` (default rcond: eps * max(m, n)) count as zero.
    Residuals are the squared 2-norms of the columns of b - a x; with ``numpy_resid`` they are
    empty unless a has full column rank and m > n, as in NumPy (which needs concrete values).
    """
    a, b = _inexact("lstsq", a, b)
    sa, sb = _shape(a), _shape(b)
    if len(sa) != 2:
        raise LinAlgError(f"lstsq: a must be a 2-D matrix, got shape {sa}")
    if len(sb) not in (1, 2):
        raise LinAlgError(f"lstsq: b must be 1-D or 2-D, got shape {sb}")
    m, n = sa
    if sb[0] != m:
        raise LinAlgError(f"lstsq: a {sa} and b {sb} are incompatible (b needs {m} rows)")
    vector = len(sb) == 1
    if vector:
        b = b[:, None]
    dt = _shape_dtype(a)
    rdt = dtypes.real_dtype(dt)
    if a.size == 0:
        s = xnp.zeros((0,), rdt)
        rank = xnp.asarray(0, np.int32)
        x = xnp.zeros((n, _shape(b)[1]), dt)
    else:
        if rcond is None:
            rcond = float(dtypes.finfo(rdt).eps) * max(m, n)
        u, s, vh = lax_linalg.svd(a, full_matrices=False)
        mask = (s > 0) & (s >= xnp.asarray(rcond, rdt) * s[0])
        rank = xnp.sum(mask, dtype=np.int32)
        s_inv = xnp.where(mask, 1 / xnp.where(mask, s, 1), 0).astype(dt)
        x = xnp.matmul(_H(vh), s_inv[:, None] * xnp.matmul(_H(u), b))
    if numpy_resid:
        if isinstance(rank, Tracer):
            raise concretization_error(rank, "lstsq(numpy_resid=True): the rank decides the "
                                       "residuals' shape")
        full_rank = int(rank) == n and m > n
    else:
        full_rank = True
    if full_rank:
        r = b - xnp.matmul(a, x)
        resid = xnp.sum(xnp.real(r * xnp.conj(r)), axis=0)
    else:
        resid = xnp.zeros((0,), rdt)
    if vector:
        x = x[:, 0]
    return x, resid, rank, s


def _pinv_rtol(rtol, m, n, dt):
    if rtol is None:
        return 10.0 * max(m, n) * float(dtypes.finfo(dt).eps)
    return rtol


@functools.partial(custom_jvp, nondiff_argnums=(1,))
def _pinv(a, rtol):
    u, s, vh = lax_linalg.svd(a, full_matrices=False)
    cutoff = xnp.asarray(rtol, s.dtype)[..., None] * xnp.max(s, axis=-1, keepdims=True,
                                                              initial=0)
    s_inv = xnp.where(s > cutoff, 1 / xnp.where(s > cutoff, s, 1), 0).astype(a.dtype)
    return xnp.matmul(_H(vh) * s_inv[..., None, :], _H(u))


@_pinv.defjvp
def _pinv_jvp(rtol, primals, tangents):
    # For constant rank (Golub & Pereyra): dP = -P dA P + P P^H dA^H (I - A P)
    # + (I - P A) dA^H P^H P.
    (a,), (t,) = primals, tangents
    p = _pinv(a, rtol)
    mm = xnp.matmul
    tH, pH = _H(t), _H(p)
    i_ap = _eye_like(mm(a, p)) - mm(a, p)
    i_pa = _eye_like(mm(p, a)) - mm(p, a)
    dp = -mm(mm(p, t), p) + mm(mm(mm(p, pH), tH), i_ap) + mm(mm(i_pa, tH), mm(pH, p))
    return p, dp


_pinv_jit = jit(_pinv, static_argnums=(1,))


def pinv(a, rtol=None, hermitian: bool = False, *, rcond=None):
    """Moore-Penrose pseudo-inverse through the SVD; singular values below
    ``rtol * s.max()`` (default 10 * max(m, n) * eps) are dropped."""
    del hermitian
    a = _inexact("pinv", a)
    _check_ndim("pinv", a)
    if rcond is not None:
        if rtol is not None:
            raise XfrontValueError("pinv: pass rtol or rcond, not both")
        rtol = rcond
    m, n = _shape(a)[-2:]
    rtol = _pinv_rtol(rtol, m, n, dtypes.real_dtype(_shape_dtype(a)))
    if isinstance(rtol, Tracer) or not np.isscalar(rtol):
        raise XfrontTypeError("pinv: rtol must be a Python scalar (it fixes the rank)")
    return _pinv_jit(a, float(rtol))


# ----------------------------------------------------------------------------------------------
# Determinants.


def _lu_det_parts(a):
    """LU factors, permutation, U's diagonal and the permutation's parity (True: odd)."""
    lu, pivots, perm = lax_linalg.lu(a)
    diag = diagonal(lu)
    k = _shape(pivots)[-1]
    swaps = xnp.sum(pivots != xnp.arange(k, dtype=np.int32), axis=-1)
    return lu, perm, diag, (swaps % 2) == 1


def _parity_sign(odd, dt):
    return xnp.where(odd, -1, 1).astype(dt)


def _triangular_adjugate(lu, u):
    """adj(U) = det(U) U^{-1} for the upper factor U packed in ``lu`` (diagonal ``u``), exact
    for any rank: no division by a zero pivot.

    Let Z be the indices of the zero pivots (m of them), W the inverse of U with those pivots
    replaced by 1, and p the product of the nonzero pivots. Then
      m = 0:  adj(U) = p W;
      m >= 1: adj(U) = p kappa W e_f e_l^T W, with f, l the first and last index in Z and
              kappa the product of W[z_i, z_{i+1}] over consecutive zero pivots (1 if m = 1).
    (U(t) = U + t E_Z has det(U(t)) = p t^m; adj(U) is the coefficient of t^m in
    det(U(t)) U(t)^{-1}, which Woodbury's identity with the nilpotent I - E_Z^T W E_Z gives.)
    kappa vanishes when rank(U) <= n - 2, as adj(U) does.
    """
    n = _shape(lu)[-1]
    dt = _shape_dtype(lu)
    zero = u == 0
    eye = xnp.eye(n, dtype=bool)
    u_safe = xnp.where(zero, xnp.ones_like(u), u)
    w = lax_linalg.triangular_solve(xnp.where(eye, u_safe[..., None, :], lu),
                                    xnp.broadcast_to(xnp.eye(n, dtype=dt), _shape(lu)),
                                    left_side=True, lower=False)
    p = xnp.prod(u_safe, axis=-1)
    count = xnp.cumsum(zero.astype(np.int32), axis=-1)
    m = count[..., -1:]
    first = zero & (count == 1)
    last = zero & (count == m)
    consecutive = zero[..., :, None] & zero[..., None, :] & (
        count[..., None, :] - count[..., :, None] == 1)
    kappa = xnp.prod(xnp.where(consecutive, w, xnp.ones_like(w)), axis=(-2, -1))
    col_f = xnp.sum(xnp.where(first[..., None, :], w, xnp.zeros_like(w)), axis=-1)
    row_l = xnp.sum(xnp.where(last[..., :, None], w, xnp.zeros_like(w)), axis=-2)
    nonsingular = xnp.where((m == 0)[..., None], w, xnp.zeros_like(w))
    rank_one = kappa[..., None, None] * col_f[..., :, None] * row_l[..., None, :]
    return p[..., None, None] * (nonsingular + rank_one)


def _adjugate(lu, perm, u, odd):
    """adj(a) = det(a) a^{-1} from a = P^T L U: sign(P) adj(U) L^{-1} P."""
    n = _shape(lu)[-1]
    dt = _shape_dtype(lu)
    adj_u = _triangular_adjugate(lu, u)
    x = lax_linalg.triangular_solve(lu, adj_u, left_side=False, lower=True,
                                    unit_diagonal=True)
    p = (perm[..., :, None] == xnp.arange(n, dtype=np.int32)).astype(dt)
    return _parity_sign(odd, dt)[..., None, None] * xnp.matmul(x, p)


@custom_jvp
def _det(a):
    _, _, diag, odd = _lu_det_parts(a)
    return _parity_sign(odd, a.dtype) * xnp.prod(diag, axis=-1)


@_det.defjvp
def _det_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    lu, perm, diag, odd = _lu_det_parts(a)
    d = _parity_sign(odd, a.dtype) * xnp.prod(diag, axis=-1)
    # d det(a) = tr(adj(a) da), with the adjugate adj(a) = det(a) a^{-1} formed without
    # dividing by a zero pivot: exact at singular matrices too.
    adj = _adjugate(lu, perm, diag, odd)
    return d, xnp.sum(xnp.swapaxes(adj, -1, -2) * t, axis=(-2, -1))


def _trace(x):
    return xnp.sum(diagonal(x), axis=-1)


_det_jit = jit(_det)


def det(a):
    """Determinant of square matrices (via LU). Its derivative is tr(adj(a) da), exact at
    singular matrices too: the gradient is the cofactor matrix adj(a)^T."""
    a = _inexact("det", a)
    _check_square("det", a)
    if _shape(a)[-1] == 0:
        return xnp.ones(_shape(a)[:-2], _shape_dtype(a))
    return _det_jit(a)


@custom_jvp
def _slogdet(a):
    _, _, diag, odd = _lu_det_parts(a)
    dt = a.dtype
    absd = xnp.abs(diag)
    logdet = xnp.sum(xnp.log(absd), axis=-1)
    parity = xnp.where(odd, -1, 1).astype(dt)
    if dtypes.is_complex(dt):
        phase = diag / xnp.where(absd == 0, 1, absd).astype(dt)
        sign = parity * xnp.prod(phase, axis=-1)
    else:
        sign = parity * xnp.prod(xnp.sign(diag), axis=-1)
    singular = xnp.any(absd == 0, axis=-1)
    sign = xnp.where(singular, xnp.zeros_like(sign), sign)
    logdet = xnp.where(singular, -xnp.inf, logdet)
    return sign, logdet


@_slogdet.defjvp
def _slogdet_jvp(primals, tangents):
    (a,), (t,) = primals, tangents
    sign, logdet = _slogdet(a)
    tr = _trace(_lu_solve(a, t))
    if dtypes.is_complex(_shape_dtype(a)):
        # d log det = tr(a^{-1} da): its real part moves log|det|, its imaginary part the sign.
        dsign = sign * (tr - xnp.real(tr).astype(tr.dtype))
        return (sign, logdet), (dsign, xnp.real(tr))
    return (sign, logdet), (xnp.zeros_like(sign), tr)


_slogdet_jit = jit(_slogdet)


def slogdet(a, *, method=None) -> SlogdetResult:
    """Sign (a unit complex number for complex input) and natural log of |det|, via LU:
    ``SlogdetResult(sign, logabsdet)``; (0, -inf) for singular matrices."""
    if method not in (None, "lu"):
        raise XfrontValueError(f"slogdet: unsupported method {method!r} (supported: 'lu')")
    a = _inexact("slogdet", a)
    _check_square("slogdet", a)
    if _shape(a)[-1] == 0:
        batch = _shape(a)[:-2]
        return SlogdetResult(xnp.ones(batch, _shape_dtype(a)),
                             xnp.zeros(batch, dtypes.real_dtype(_shape_dtype(a))))
    return SlogdetResult(*_slogdet_jit(a))


# ----------------------------------------------------------------------------------------------
# Norms, rank, condition number.


def vector_norm(x, /, *, axis=None, keepdims: bool = False, ord=2):
    """The ``ord``-norm of vectors along ``axis`` (all axes, flattened, when None): 2
    (default), 1, inf, -inf, 0 (number of nonzeros) or any other p: sum(|x|^p)^(1/p)."""
    x = _inexact("vector_norm", x)
    ndim = len(_shape(x))
    if axis is None:
        axes = tuple(range(ndim))
    elif isinstance(axis, tuple | list):
        axes = tuple(operator.index(a) % max(ndim, 1) for a in axis)
    else:
        axes = (operator.index(axis) % max(ndim, 1),)
    if ndim == 0:
        axes = None
    if ord is None or ord == 2:
        return xnp.sqrt(xnp.sum(xnp.real(x * xnp.conj(x)), axis=axes, keepdims=keepdims))
    if isinstance(ord, str):
        raise XfrontValueError(f"vector_norm: invalid ord {ord!r} for a vector norm")
    ax = xnp.abs(x)
    if ord == np.inf:
        return xnp.max(ax, axis=axes, keepdims=keepdims, initial=0)
    if ord == -np.inf:
        return xnp.min(ax, axis=axes, keepdims=keepdims)
    if ord == 0:
        return xnp.sum(x != 0, axis=axes, keepdims=keepdims, dtype=ax.dtype)
    if ord == 1:
        return xnp.sum(ax, axis=axes, keepdims=keepdims)
    p = float(ord)
    return xnp.sum(ax ** p, axis=axes, keepdims=keepdims) ** (1.0 / p)


def _matrix_norm(x, ord, row, col, keepdims):
    if ord is None or ord in ("fro", "f"):
        return xnp.sqrt(xnp.sum(xnp.real(x * xnp.conj(x)), axis=(row, col), keepdims=keepdims))
    if ord in (1, -1, np.inf, -np.inf):
        summed, other = (row, col) if ord in (1, -1) else (col, row)
        s = xnp.sum(xnp.abs(x), axis=summed, keepdims=True)
        red = xnp.max if ord > 0 else xnp.min
        out = red(s, axis=other, keepdims=True, **({"initial": 0} if ord > 0 else {}))
        return out if keepdims else xnp.squeeze(out, axis=(row, col))
    if ord in ("nuc", 2, -2):
        y = xnp.moveaxis(x, (row, col), (-2, -1))
        s = lax_linalg.svd(y, compute_uv=False)
        if ord == 2:
            out = xnp.max(s, axis=-1, initial=0)
        elif ord == -2:
            out = xnp.min(s, axis=-1)
        else:
            out = xnp.sum(s, axis=-1)
        if keepdims:
            out = xnp.expand_dims(out, tuple(sorted((row, col))))
        return out
    raise XfrontValueError(f"norm: invalid ord {ord!r} for a matrix norm (supported: None, "
                           "'fro', 'nuc', 1, -1, 2, -2, inf, -inf)")


def norm(x, ord=None, axis=None, keepdims: bool = False):
    """Vector norm (one axis) or matrix norm (two axes) with NumPy's ``ord`` conventions;
    ``axis=None`` means the whole array: the 2-norm of the flattened array when ``ord`` is None,
    else a vector or matrix norm by rank."""
    x = _inexact("norm", x)
    ndim = len(_shape(x))
    if axis is None:
        if ord is None:
            return vector_norm(x, axis=None, keepdims=keepdims)
        axes = tuple(range(ndim))
    elif isinstance(axis, tuple | list):
        axes = tuple(_canon_axis("norm", a, ndim) for a in axis)
    else:
        axes = (_canon_axis("norm", axis, ndim),)
    if len(axes) == 1:
        return vector_norm(x, axis=axes, keepdims=keepdims, ord=2 if ord is None else ord)
    if len(axes) == 2:
        if axes[0] == axes[1]:
            raise XfrontValueError(f"norm: duplicate axes {axis}")
        return _matrix_norm(x, ord, axes[0], axes[1], keepdims)
    raise XfrontValueError(
        f"norm: improper number of axes {axis} for an array of shape {_shape(x)}: pass one "
        "axis for a vector norm or two for a matrix norm")


def _canon_axis(name, axis, ndim):
    a = operator.index(axis)
    if not -ndim <= a < ndim:
        raise XfrontValueError(f"{name}: axis {a} is out of bounds for an array of rank {ndim}")
    return a % ndim


def matrix_norm(x, /, *, keepdims: bool = False, ord="fro"):
    """Matrix norm over the last two axes."""
    x = _inexact("matrix_norm", x)
    _check_ndim("matrix_norm", x)
    nd = len(_shape(x))
    return _matrix_norm(x, ord, nd - 2, nd - 1, keepdims)


def matrix_rank(M, rtol=None, *, tol=None):
    """Number of singular values above ``tol`` (default: ``rtol * s.max()``, rtol =
    max(m, n) * eps): an int32 per matrix."""
    M = _inexact("matrix_rank", M)
    shape = _shape(M)
    if len(shape) < 2:
        return xnp.any(M != 0).astype(np.int32)
    s = lax_linalg.svd(M, compute_uv=False)
    if tol is None:
        if rtol is None:
            rtol = max(shape[-2:]) * float(dtypes.finfo(s.dtype).eps)
        rtol = xnp.asarray(rtol, s.dtype)
        tol = xnp.max(s, axis=-1, keepdims=True, initial=0) * rtol[..., None]
    else:
        tol = xnp.asarray(tol, s.dtype)[..., None]
    return xnp.sum(s > tol, axis=-1, dtype=np.int32)


def cond(x, p=None):
    """Condition number in the ``p`` norm (default 2: ratio of extreme singular values);
    inf for singular matrices."""
    x = _inexact("cond", x)
    _check_ndim("cond", x)
    if p is None or p == 2 or p == -2:
        s = lax_linalg.svd(x, compute_uv=False)
        r = s[..., 0] / s[..., -1] if p != -2 else s[..., -1] / s[..., 0]
    else:
        _check_square("cond", x)
        r = norm(x, ord=p, axis=(-2, -1)) * norm(inv(x), ord=p, axis=(-2, -1))
    # Singular matrices: inf rather than NaN (NumPy's convention).
    finite_input = xnp.all(xnp.isfinite(x), axis=(-2, -1))
    return xnp.where(xnp.isnan(r) & finite_input, xnp.inf, r)


# ----------------------------------------------------------------------------------------------
# Products and other array API functions.


def matrix_power(a, n):
    """``a`` multiplied by itself ``n`` times (n a Python int; negative powers invert first;
    n = 0 gives identities)."""
    a = xnp.asarray(a)
    _check_square("matrix_power", a)
    n = _static_int(n, "matrix_power", "n")
    if n == 0:
        return _eye_like(a)
    if n < 0:
        a = inv(a)
        n = -n
    result = None
    z = a
    while True:  # binary powering: log2(n) squarings
        if n & 1:
            result = z if result is None else xnp.matmul(result, z)
        n >>= 1
        if not n:
            return result
        z = xnp.matmul(z, z)


def multi_dot(arrays, *, precision=None):
    """The product of a chain of matrices in the cheapest order (dynamic programming over the
    static shapes). The first and last arrays may be 1-D (row / column vectors)."""
    arrays = [xnp.asarray(x) for x in arrays]
    k = len(arrays)
    if k < 2:
        raise XfrontValueError(f"multi_dot: expected at least two arrays, got {k}")
    if k == 2:
        return xnp.matmul(arrays[0], arrays[1], precision=precision)
    first_vec, last_vec = arrays[0].ndim == 1, arrays[-1].ndim == 1
    if first_vec:
        arrays[0] = arrays[0][None, :]
    if last_vec:
        arrays[-1] = arrays[-1][:, None]
    for i, x in enumerate(arrays):
        if x.ndim != 2:
            raise LinAlgError(f"multi_dot: array {i} must be 2-D (only the first and last "
                              f"may be 1-D), got shape {_shape(x)}")
    for i in range(k - 1):
        if _shape(arrays[i])[1] != _shape(arrays[i + 1])[0]:
            raise LinAlgError(f"multi_dot: shapes {_shape(arrays[i])} and "
                              f"{_shape(arrays[i + 1])} of arrays {i} and {i + 1} do not align")
    dims = [_shape(x)[0] for x in arrays] + [_shape(arrays[-1])[1]]
    order = _chain_order(dims)

    def build(i, j):
        if i == j:
            return arrays[i]
        s = order[i][j]
        return xnp.matmul(build(i, s), build(s + 1, j), precision=precision)

    out = build(0, k - 1)
    if first_vec:
        out = out[0]
    if last_vec:
        out = out[..., 0]
    return out


def _chain_order(dims):
    """Split points of the cheapest parenthesization (matrix-chain dynamic programming)."""
    k = len(dims) - 1
    cost = [[0] * k for _ in range(k)]
    split = [[0] * k for _ in range(k)]
    for length in range(1, k):
        for i in range(k - length):
            j = i + length
            best = None
            for s in range(i, j):
                c = cost[i][s] + cost[s + 1][j] + dims[i] * dims[s + 1] * dims[j + 1]
                if best is None or c < best:
                    best, split[i][j] = c, s
            cost[i][j] = best
    return split


def matmul(x1, x2, /, *, precision=None, preferred_element_type=None):
    """Matrix product with broadcasting (``xfront.numpy.matmul``)."""
    return xnp.matmul(x1, x2, precision=precision,
                      preferred_element_type=preferred_element_type)


def vecdot(x1, x2, /, *, axis: int = -1, precision=None, preferred_element_type=None):
    """Dot products of vectors along ``axis``, conjugating ``x1``."""
    return xnp.vecdot(x1, x2, axis=axis, precision=precision,
                      preferred_element_type=preferred_element_type)


def tensordot(x1, x2, /, *, axes=2, precision=None, preferred_element_type=None):
    """Sums products over ``axes`` (``xfront.numpy.tensordot``)."""
    return xnp.tensordot(x1, x2, axes, precision=precision,
                         preferred_element_type=preferred_element_type)


def outer(x1, x2, /):
    """Outer product of two 1-D arrays."""
    check_arraylike("outer", x1, x2)
    x1, x2 = xnp.asarray(x1), xnp.asarray(x2)
    if x1.ndim != 1 or x2.ndim != 1:
        raise XfrontValueError(f"outer: both inputs must be 1-D, got shapes {_shape(x1)} and "
                               f"{_shape(x2)}")
    return xnp.outer(x1, x2)


def cross(x1, x2, /, *, axis: int = -1):
    """Cross product of 3-element vectors along ``axis`` (other axes broadcast)."""
    check_arraylike("cross", x1, x2)
    x1, x2 = xnp.asarray(x1), xnp.asarray(x2)
    if x1.ndim == 0 or x2.ndim == 0:
        raise XfrontValueError("cross: inputs must have at least one dimension")
    try:
        n1 = _shape(x1)[axis]
        n2 = _shape(x2)[axis]
    except IndexError:
        raise XfrontValueError(f"cross: axis {axis} is out of bounds for shapes "
                               f"{_shape(x1)} and {_shape(x2)}") from None
    if n1 != 3 or n2 != 3:
        raise XfrontValueError(f"cross: both inputs must have size 3 along axis {axis}, got "
                               f"shapes {_shape(x1)} and {_shape(x2)}")
    a = xnp.moveaxis(x1, axis, -1)
    b = xnp.moveaxis(x2, axis, -1)
    c0 = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    c1 = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    c2 = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    return xnp.moveaxis(xnp.stack([c0, c1, c2], axis=-1), -1, axis)


def matrix_transpose(x, /):
    """Swaps the last two axes."""
    x = xnp.asarray(x)
    if x.ndim < 2:
        raise XfrontValueError(f"matrix_transpose: input must have at least 2 dimensions, got "
                               f"shape {_shape(x)}")
    return xnp.swapaxes(x, -1, -2)


def diagonal(x, /, *, offset: int = 0):
    """The ``offset`` diagonals of the matrices in the last two axes: (..., k)."""
    x = xnp.asarray(x)
    if x.ndim < 2:
        raise XfrontValueError(f"diagonal: input must have at least 2 dimensions, got shape "
                               f"{_shape(x)}")
    offset = _static_int(offset, "diagonal", "offset")
    *batch, m, n = _shape(x)
    if offset >= 0:
        length = max(0, min(m, n - offset))
        start = offset
    else:
        length = max(0, min(m + offset, n))
        start = -offset * n
    flat = lax.reshape(x, (*batch, m * n))
    if length == 0:
        return xnp.zeros((*batch, 0), x.dtype)
    nb = len(batch)
    end = start + (length - 1) * (n + 1) + 1
    return lax.slice(flat, (0,) * nb + (start,), (*batch, end), (1,) * nb + (n + 1,))


def trace(x, /, *, offset: int = 0, dtype=None):
    """Sum of the ``offset`` diagonal of the matrices in the last two axes."""
    return xnp.sum(diagonal(x, offset=offset), axis=-1, dtype=dtype)

