"""xfront.numpy functions built on linear algebra: ``polyfit`` (least squares through the SVD)
and ``roots`` (eigenvalues of the companion matrix)."""

from __future__ import annotations

import operator

import numpy as np

import xfront.numpy as xnp
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, concretization_error
from xfront.numpy._util import check_arraylike, promote_dtypes_inexact

__all__ = ["polyfit", "roots"]


def _vander(x, n: int):
    """Columns x**(n-1), ..., x, 1."""
    return xnp.stack([x ** k if k else xnp.ones_like(x) for k in range(n - 1, -1, -1)], axis=-1)


def polyfit(x, y, deg, rcond=None, full: bool = False, w=None, cov=False):
    """Least-squares fit of a polynomial of degree ``deg`` to the points (x, y); coefficients
    highest power first (one column per column of a 2-D ``y``).

    Args:
        x: 1-D sample positions (M,).
        y: samples, (M,) or (M, K) for K data sets.
        deg: the degree (a Python int).
        rcond: relative cutoff of small singular values (default len(x) * eps).
        full: also return (residuals, rank, singular_values, rcond) of the scaled problem.
        w: weights applied to the residuals (1/sigma for Gaussian errors).
        cov: also return the covariance of the coefficients, scaled by residuals / (M - deg - 1)
            unless ``cov='unscaled'``.
    """
    check_arraylike("polyfit", x, y)
    if isinstance(deg, Tracer):
        raise concretization_error(deg, "polyfit: deg")
    try:
        deg = operator.index(deg)
    except TypeError:
        raise XfrontTypeError(f"polyfit: deg must be an integer, got {deg!r}") from None
    if deg < 0:
        raise XfrontValueError(f"polyfit: deg must be non-negative, got {deg}")
    x, y = promote_dtypes_inexact(xnp.asarray(x), xnp.asarray(y))
    if x.ndim != 1:
        raise XfrontTypeError(f"polyfit: x must be 1-D, got shape {x.shape}")
    if x.shape[0] == 0:
        raise XfrontTypeError("polyfit: x must not be empty")
    if y.ndim not in (1, 2):
        raise XfrontTypeError(f"polyfit: y must be 1-D or 2-D, got shape {y.shape}")
    if y.shape[0] != x.shape[0]:
        raise XfrontTypeError(f"polyfit: x {x.shape} and y {y.shape} must have the same "
                              "length")
    order = deg + 1
    m = x.shape[0]
    if rcond is None:
        rcond = m * float(dtypes.finfo(dtypes.real_dtype(x.dtype)).eps)
    lhs = _vander(x, order)
    rhs = y
    if w is not None:
        check_arraylike("polyfit", w)
        w = xnp.asarray(w).astype(x.dtype)
        if w.ndim != 1 or w.shape[0] != m:
            raise XfrontTypeError(f"polyfit: w must be 1-D of length {m}, got shape {w.shape}")
        lhs = lhs * w[:, None]
        rhs = rhs * (w if rhs.ndim == 1 else w[:, None])
    # Scale the columns to unit norm: better conditioned.
    scale = xnp.sqrt(xnp.sum(xnp.real(lhs * xnp.conj(lhs)), axis=0)).astype(lhs.dtype)
    scale = xnp.where(scale == 0, xnp.ones_like(scale), scale)
    lhs = lhs / scale
    c, resids, rank, s = xnp.linalg.lstsq(lhs, rhs, rcond)
    c = (c.T / scale).T
    if full:
        return c, resids, rank, s, xnp.asarray(rcond, dtypes.real_dtype(x.dtype))
    if cov:
        vbase = xnp.linalg.inv(xnp.matmul(xnp.conj(lhs.T), lhs))
        vbase = vbase / xnp.outer(scale, xnp.conj(scale))
        if cov == "unscaled":
            fac = xnp.asarray(1, vbase.dtype)
        else:
            if m <= order:
                raise XfrontValueError(
                    f"polyfit: the data must have more points ({m}) than the order of the fit "
                    f"({order}) to scale the covariance; pass cov='unscaled'")
            fac = resids / (m - order)
        if y.ndim == 1:
            return c, vbase * fac
        return c, vbase[:, :, None] * fac
    return c


def roots(p, *, strip_zeros: bool = True):
    """The roots of the polynomial with coefficients ``p`` (highest power first), complex: the
    eigenvalues of its companion matrix.

    With ``strip_zeros`` (the default, as NumPy) leading zeros are dropped and trailing zeros
    become zero roots, which needs concrete coefficients; under jit pass
    ``strip_zeros=False`` (a leading zero then gives non-finite roots).
    """
    check_arraylike("roots", p)
    p = xnp.atleast_1d(xnp.asarray(p))
    if p.ndim != 1:
        raise XfrontValueError(f"roots: input must be a rank-1 array, got shape {p.shape}")
    (p,) = promote_dtypes_inexact(p)
    n_zero_roots = 0
    if strip_zeros:
        if isinstance(p, Tracer):
            raise concretization_error(
                p, "roots(strip_zeros=True): stripping zero coefficients (pass "
                "strip_zeros=False under jit)")
        host = np.asarray(p)
        nz = np.flatnonzero(host)
        if nz.size == 0:
            return xnp.zeros((0,), dtypes.complex_dtype(p.dtype))
        n_zero_roots = host.shape[0] - nz[-1] - 1
        p = p[nz[0]:nz[-1] + 1]
    n = p.shape[0] - 1
    ct = dtypes.complex_dtype(p.dtype)
    if n < 1:
        found = xnp.zeros((0,), ct)
    else:
        # Companion matrix: first row -p[1:]/p[0], ones on the sub-diagonal.
        first = (-p[1:] / p[0])[None, :]
        below = xnp.eye(n - 1, n, dtype=p.dtype)
        found = xnp.linalg.eigvals(xnp.concatenate([first, below], axis=0))
    if n_zero_roots:
        found = xnp.concatenate([found, xnp.zeros((n_zero_roots,), ct)])
    return found
