"""``xfront.scipy.stats.expon``: the exponential distribution (``jax.scipy.stats.expon``)."""

from __future__ import annotations

import numpy as np

from xfront import numpy as xnp
from xfront.scipy.stats._common import nan_unless_positive, nan_where, promote, standardize

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def logpdf(x, loc=0, scale=1):
    """log density exp(-(x - loc) / scale) / scale for x >= loc."""
    z, scale = standardize("expon.logpdf", x, loc, scale)
    return nan_unless_positive(xnp.where(z < 0, -np.inf, -z - xnp.log(scale)), scale)


def pdf(x, loc=0, scale=1):
    return xnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """1 - exp(-(x - loc) / scale) for x >= loc."""
    z, scale = standardize("expon.cdf", x, loc, scale)
    return nan_unless_positive(xnp.where(z < 0, 0.0, -xnp.expm1(-z)), scale)


def logcdf(x, loc=0, scale=1):
    z, scale = standardize("expon.logcdf", x, loc, scale)
    safe = xnp.where(z > 0, z, 1.0)
    out = xnp.where(z <= 0, -np.inf, xnp.log(-xnp.expm1(-safe)))
    return nan_unless_positive(nan_where(xnp.isnan(z), out), scale)


def sf(x, loc=0, scale=1):
    z, scale = standardize("expon.sf", x, loc, scale)
    return nan_unless_positive(xnp.where(z < 0, 1.0, xnp.exp(-z)), scale)


def logsf(x, loc=0, scale=1):
    z, scale = standardize("expon.logsf", x, loc, scale)
    return nan_unless_positive(xnp.where(z < 0, 0.0, -z), scale)


def ppf(q, loc=0, scale=1):
    """-log(1 - q) * scale + loc; NaN outside [0, 1]."""
    q, loc, scale = promote("expon.ppf", q, loc, scale)
    return nan_unless_positive(nan_where((q < 0) | (q > 1), -xnp.log1p(-q) * scale + loc),
                               scale)


def isf(q, loc=0, scale=1):
    """-log(q) * scale + loc; NaN outside [0, 1]."""
    q, loc, scale = promote("expon.isf", q, loc, scale)
    return nan_unless_positive(nan_where((q < 0) | (q > 1), -xnp.log(q) * scale + loc), scale)
