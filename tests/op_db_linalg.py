"""Op-table rows of the linalg family (see tests/op_db.py for the fields).

Decompositions are unique only up to the signs/phases of their vectors, so rows whose outputs
include vectors return gauge-invariant functions of them (|v|^2, V diag(w) V^H, sign-fixed
QR factors), which is also what makes their derivatives checkable by finite differences.
Inputs are well conditioned (positive definite, separated eigenvalues, dominant diagonals).
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla

import xfront as xf
import xfront.numpy as xnp
from tests.op_db import OpInfo, c64, f32, i32
from xfront import lax
from xfront.lax import linalg as L

_TOL = {f32: (2e-4, 2e-5), c64: (2e-4, 2e-5)}
_INEXACT = (f32, c64)


# -- argument generators ------------------------------------------------------------------------


def _randn(rng, shape, dt):
    x = rng.standard_normal(shape)
    if np.dtype(dt).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x


def _H(x):
    return np.conj(np.swapaxes(x, -1, -2))


def _hpd(rng, shape, dt):
    """Hermitian positive definite with eigenvalues >= 1."""
    a = _randn(rng, shape, dt)
    n = shape[-1]
    return (a @ _H(a) / max(n, 1) + np.eye(n)).astype(dt)


def _hermitian_spread(rng, shape, dt):
    """Hermitian with eigenvalues near 1, 2, ..., n (well separated)."""
    n = shape[-1]
    q, _ = np.linalg.qr(_randn(rng, shape, dt))
    w = np.arange(1, n + 1) + 0.2 * rng.random(shape[:-1])
    return ((q * w[..., None, :]) @ _H(q)).astype(dt)


def _well_conditioned(rng, shape, dt):
    """A general matrix with condition number < 30 (redrawn until it is)."""
    while True:
        a = _randn(rng, shape, dt)
        if a.size == 0 or np.all(np.linalg.cond(a) < 30):
            return a.astype(dt)


def _triangular_ok(rng, shape, dt):
    """Random entries with diagonal magnitudes in [1.5, 2.5]: well-conditioned triangles."""
    a = _randn(rng, shape, dt)
    n = shape[-1]
    diag = (1.5 + rng.random(shape[:-1])) * rng.choice([-1, 1], size=shape[:-1])
    idx = np.arange(n)
    a[..., idx, idx] = diag
    return a.astype(dt)


def _separated_eigenvalues(rng, shape, dt):
    """A general matrix whose eigenvalues are >= 0.5 apart with well-conditioned eigenvectors."""
    while True:
        a = _randn(rng, shape, dt)
        w, v = np.linalg.eig(a)
        gaps = np.abs(w[..., :, None] - w[..., None, :]) + np.eye(shape[-1]) * 9
        if gaps.min() > 0.5 and np.all(np.linalg.cond(v) < 20):
            return a.astype(dt)


def _pivots(n):
    def gen(rng, shape, dt):
        k = shape[-1]
        cols = [rng.integers(i, n, size=shape[:-1]) for i in range(k)]
        return np.stack(cols, axis=-1).astype(dt) if k else np.zeros(shape, dt)

    return gen


# -- references -----------------------------------------------------------------------------------


def _per_matrix(f, x, *rest):
    """Applies ``f`` to each trailing matrix of ``x`` (and of ``rest``)."""
    batch = x.shape[:-2]
    if not batch:
        return f(x, *rest)
    outs = [f(x[i], *(r[i] for r in rest)) for i in np.ndindex(*batch)]
    return np.stack(outs).reshape(*batch, *outs[0].shape)


def _getrf(a):
    if a.size == 0:
        return a.copy(), np.zeros(min(a.shape), np.int32)
    lu, piv, _ = sla.lapack.get_lapack_funcs("getrf", (a,))(a)
    return lu, piv


def _perm_from_pivots(piv, m):
    perm = np.arange(m)
    for i, p in enumerate(piv):
        perm[i], perm[p] = perm[p], perm[i]
    return perm


def _lu_perm_ref(a):
    return _per_matrix(lambda x: _perm_from_pivots(_getrf(x)[1], x.shape[0]).astype(np.int32),
                       a)


def _pivots_ref(size):
    def ref(p):
        if p.size == 0:
            return np.broadcast_to(np.arange(size, dtype=np.int32), (*p.shape[:-1], size))
        flat = p.reshape(-1, p.shape[-1])
        out = np.stack([_perm_from_pivots(r, size) for r in flat]) if flat.shape[0] else \
            np.zeros((0, size), np.int64)
        return out.reshape(*p.shape[:-1], size).astype(np.int32)

    return ref


def _abs2_np(x):
    return (x * np.conj(x)).real


def _abs2(x):
    return lax.real(x * lax.conj(x)) if np.dtype(x.dtype).kind == "c" else x * x


def _sign_fix_qr(q, r, sign, xp):
    """Q and R with R's diagonal made positive (LAPACK's is real, of either sign)."""
    d = xp.real(xp.diagonal(r, axis1=-2, axis2=-1)) if xp is np else _real_diag(r)
    s = sign(d).astype(q.dtype)

    def padded(n):  # complete mode: the extra rows/columns keep their sign
        k = s.shape[-1]
        if n == k:
            return s
        return xp.concatenate([s, xp.ones((*s.shape[:-1], n - k), q.dtype)], axis=-1)

    q = q * padded(q.shape[-1])[..., None, :]
    r = r * padded(r.shape[-2])[..., :, None]
    axis = -2 if q.shape[-1] == r.shape[-1] else -1
    return xp.concatenate([q, r], axis=axis)


def _real_diag(r):
    n = min(r.shape[-2:])
    eye = np.eye(r.shape[-2], r.shape[-1], dtype=bool)
    d = xnp.sum(xnp.where(eye, r, xnp.zeros_like(r)), axis=-1)[..., :n]
    return xnp.real(d) if np.dtype(r.dtype).kind == "c" else d


def _qr_fn(full):
    def fn(a):
        q, r = L.qr(a, full_matrices=full)
        return _sign_fix_qr(q, r, xnp.sign, xnp)

    return xf.jit(fn)


def _qr_ref(full):
    def ref(a):
        q, r = np.linalg.qr(a, mode="complete" if full else "reduced")
        return _sign_fix_qr(q, r, np.sign, np)

    return ref


@xf.jit
def _svd_vectors_fn(a):
    u, s, vh = L.svd(a, full_matrices=False)
    return xnp.concatenate([_abs2(u), xnp.swapaxes(_abs2(vh), -1, -2), s[..., None, :]],
                           axis=-2)


def _svd_vectors_ref(a):
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    return np.concatenate([_abs2_np(u), np.swapaxes(_abs2_np(vh), -1, -2), s[..., None, :]],
                          axis=-2)


@xf.jit
def _eigh_vectors_fn(a):
    v, _ = L.eigh(a)
    return _abs2(v)


def _op(a, transpose_a, conjugate_a):
    if transpose_a:
        a = np.swapaxes(a, -1, -2)
    return np.conj(a) if conjugate_a else a


def _trsm_ref(left_side, lower, transpose_a=False, conjugate_a=False, unit_diagonal=False):
    def ref(a, b):
        t = np.tril(a) if lower else np.triu(a)
        if unit_diagonal:
            n = a.shape[-1]
            t = t.copy()
            t[..., np.arange(n), np.arange(n)] = 1
        t = _op(t, transpose_a, conjugate_a)
        if left_side:
            return np.linalg.solve(t, b)
        return np.swapaxes(np.linalg.solve(np.swapaxes(t, -1, -2), np.swapaxes(b, -1, -2)),
                           -1, -2)

    return ref


def _trsm_row(name, dtypes, shapes, **params):
    return OpInfo(name, "triangular_solve",
                  lambda a, b: L.triangular_solve(a, b, **params), _trsm_ref(**params), dtypes,
                  shapes, nargs=2, arg_domains=(_triangular_ok, _randn), tol=_TOL)


@xf.jit
def _power_sums_fn(a):
    (w,) = L.eig(a, compute_left_eigenvectors=False, compute_right_eigenvectors=False)
    n = a.shape[-1]
    return xnp.stack([xnp.sum(w ** k, axis=-1) for k in range(1, n + 1)], axis=-1)


def _power_sums_ref(a):
    w = np.linalg.eigvals(a)
    n = a.shape[-1]
    return np.stack([np.sum(w ** k, axis=-1) for k in range(1, n + 1)], axis=-1)


@xf.jit
def _eig_vectors_fn(a):
    w, v = L.eig(a, compute_left_eigenvectors=False)
    return (v * w[..., None, :]) @ xnp.conj(xnp.swapaxes(v, -1, -2))


def _eig_vectors_ref(a):
    w, v = np.linalg.eig(a)
    return (v * w[..., None, :]) @ _H(v)


def _complex_of(dt):
    return np.dtype(np.complex64) if np.dtype(dt) == f32 else np.dtype(dt)


def _tridiagonal_ref(dl, d, du, b):
    n = d.shape[-1]
    a = np.zeros((*d.shape, n), d.dtype)
    idx = np.arange(n)
    a[..., idx, idx] = d
    a[..., idx[1:], idx[:-1]] = dl[..., 1:]
    a[..., idx[:-1], idx[1:]] = du[..., :-1]
    return np.linalg.solve(a, b)


_SQUARE = ((3, 3), (0, 0), (2, 4, 4))

OPS = [
    OpInfo("cholesky", "cholesky", L.cholesky,
           lambda a: np.linalg.cholesky((a + _H(a)) / 2), _INEXACT, _SQUARE, _hpd, tol=_TOL),
    OpInfo("eigh_values", "eigh", lambda a: L.eigh(a)[1], np.linalg.eigvalsh, _INEXACT,
           _SQUARE, _hermitian_spread, tol=_TOL, ref_dtype=lambda dt: f32),
    OpInfo("eigh_vectors", "eigh", _eigh_vectors_fn,
           lambda a: _abs2_np(np.linalg.eigh(a)[1]), _INEXACT, ((3, 3), (2, 4, 4)),
           _hermitian_spread, tol=_TOL, ref_dtype=lambda dt: f32),
    OpInfo("eigh_upper", "eigh", lambda a: L.eigh(a, lower=False, symmetrize_input=False)[1],
           lambda a: np.linalg.eigvalsh(a, UPLO="U"), (f32,), ((3, 3),), _hermitian_spread,
           tol=_TOL),
    OpInfo("lu", "lu", lambda a: L.lu(a)[0], lambda a: _per_matrix(lambda x: _getrf(x)[0], a),
           _INEXACT, ((4, 3), (3, 5), (2, 0, 3), (2, 4, 4)), _well_conditioned, tol=_TOL),
    OpInfo("lu_permutation", "lu", lambda a: L.lu(a)[2], _lu_perm_ref, (f32,),
           ((4, 3), (3, 5), (2, 4, 4)), _well_conditioned, exact=True,
           ref_dtype=lambda dt: i32),
    OpInfo("lu_pivots_to_permutation", "lu_pivots_to_permutation",
           lambda p: L.lu_pivots_to_permutation(p, 5), _pivots_ref(5), (i32,),
           ((3,), (5,), (2, 4), (0,)), _pivots(5), exact=True),
    OpInfo("qr_reduced", "qr", _qr_fn(False), _qr_ref(False), _INEXACT,
           ((4, 3), (2, 3, 5), (0, 2), (3, 3)), _well_conditioned, tol=_TOL),
    OpInfo("qr_complete", "qr", _qr_fn(True), _qr_ref(True), _INEXACT, ((4, 3), (3, 5)),
           _well_conditioned, tol=_TOL),
    OpInfo("svd_values", "svd", lambda a: L.svd(a, compute_uv=False),
           lambda a: np.linalg.svd(a, compute_uv=False), _INEXACT,
           ((4, 3), (0, 3), (2, 3, 5), (3, 3)), _well_conditioned, tol=_TOL,
           ref_dtype=lambda dt: f32),
    OpInfo("svd_vectors", "svd", _svd_vectors_fn, _svd_vectors_ref, _INEXACT,
           ((4, 3), (2, 2, 3), (3, 3)), _well_conditioned, tol=_TOL,
           ref_dtype=lambda dt: f32),
    _trsm_row("triangular_solve_left_lower", _INEXACT, (((3, 3), (3, 2)), ((2, 4, 4), (2, 4, 1))),
              left_side=True, lower=True),
    _trsm_row("triangular_solve_right_upper_t", _INEXACT, (((3, 3), (2, 3)),),
              left_side=False, lower=False, transpose_a=True),
    _trsm_row("triangular_solve_conj_unit", (c64,), (((3, 3), (3, 2)),), left_side=True,
              lower=False, transpose_a=True, conjugate_a=True, unit_diagonal=True),
    _trsm_row("triangular_solve_conj_only", (c64,), (((3, 3), (2, 3)),), left_side=False,
              lower=True, conjugate_a=True),
    OpInfo("eig_values", "eig", _power_sums_fn, _power_sums_ref, _INEXACT,
           ((3, 3), (2, 3, 3)), _separated_eigenvalues, tol={f32: (1e-3, 1e-4),
                                                              c64: (1e-3, 1e-4)},
           ref_dtype=_complex_of),
    OpInfo("eig_vectors", "eig", _eig_vectors_fn, _eig_vectors_ref, _INEXACT,
           ((3, 3), (2, 3, 3)), _separated_eigenvalues, tol={f32: (1e-3, 1e-4),
                                                              c64: (1e-3, 1e-4)},
           ref_dtype=_complex_of),
    OpInfo("tridiagonal_solve", "tridiagonal_solve", L.tridiagonal_solve, _tridiagonal_ref,
           _INEXACT, (((4,), (4,), (4,), (4, 2)), ((2, 3), (2, 3), (2, 3), (2, 3, 1))),
           nargs=4, arg_domains=((-1.0, 1.0), (3.0, 5.0), (-1.0, 1.0), None), tol=_TOL),
]
