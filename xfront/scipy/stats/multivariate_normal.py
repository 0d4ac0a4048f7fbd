"""``xfront.scipy.stats.multivariate_normal``: the multivariate normal distribution
(``jax.scipy.stats.multivariate_normal``), through a Cholesky factorization of ``cov``."""

from __future__ import annotations

import math

from xfront import numpy as xnp
from xfront.core.errors import XfrontValueError

__all__ = ["logpdf", "pdf"]


def logpdf(x, mean, cov, allow_singular=None):
    """log density at ``x`` (..., n) of N(mean, cov); ``cov`` is (..., n, n), or a scalar
    (isotropic), and with a scalar ``mean`` everything is univariate. ``allow_singular`` is
    not supported."""
    if allow_singular is not None:
        raise NotImplementedError("multivariate_normal.logpdf: allow_singular is not "
                                  "supported")
    x, mean, cov = (xnp.asarray(a) for a in (x, mean, cov))
    x, mean, cov = _promote_dtypes(x, mean, cov)
    log2pi = math.log(2 * math.pi)
    if not mean.shape:
        return -0.5 * (x - mean) ** 2 / cov - 0.5 * (log2pi + xnp.log(cov))
    n = mean.shape[-1]
    if not cov.shape:
        y = x - mean
        return -0.5 * xnp.sum(y * y, axis=-1) / cov - n / 2 * (log2pi + xnp.log(cov))
    if cov.ndim < 2 or cov.shape[-2:] != (n, n):
        raise XfrontValueError(
            f"multivariate_normal.logpdf: cov of shape {cov.shape} does not match mean of "
            f"shape {mean.shape} (expected (..., {n}, {n}))")
    if x.ndim < 1 or x.shape[-1] != n:
        raise XfrontValueError(
            f"multivariate_normal.logpdf: x of shape {x.shape} does not match mean of shape "
            f"{mean.shape} (expected (..., {n}))")
    from xfront.lax.linalg import cholesky, triangular_solve

    chol = cholesky(cov)
    y = x - mean
    batch = xnp.broadcast_shapes(y.shape[:-1], chol.shape[:-2])
    chol = xnp.broadcast_to(chol, (*batch, n, n))
    y = xnp.broadcast_to(y, (*batch, n))
    z = triangular_solve(chol, y[..., None], left_side=True, lower=True)[..., 0]
    log_det = xnp.sum(xnp.log(xnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return -0.5 * xnp.sum(z * z, axis=-1) - log_det - n / 2 * log2pi


def _promote_dtypes(*args):
    from xfront.numpy._util import promote_dtypes_inexact

    return promote_dtypes_inexact(*args)


def pdf(x, mean, cov):
    return xnp.exp(logpdf(x, mean, cov))
