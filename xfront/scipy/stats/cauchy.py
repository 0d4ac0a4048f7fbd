"""``xfront.scipy.stats.cauchy``: the Cauchy distribution (``jax.scipy.stats.cauchy``)."""

from __future__ import annotations

import math

import numpy as np

from xfront import numpy as xnp
from xfront.scipy.stats._common import nan_unless_positive, nan_where, promote, standardize

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]


def logpdf(x, loc=0, scale=1):
    """-log(pi scale (1 + z^2)), z = (x - loc) / scale."""
    z, scale = standardize("cauchy.logpdf", x, loc, scale)
    return nan_unless_positive(-math.log(math.pi) - xnp.log(scale) - xnp.log1p(z * z), scale)


def pdf(x, loc=0, scale=1):
    return xnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """1/2 + atan(z) / pi."""
    z, scale = standardize("cauchy.cdf", x, loc, scale)
    return nan_unless_positive(0.5 + xnp.arctan(z) / math.pi, scale)


def logcdf(x, loc=0, scale=1):
    return xnp.log(cdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    """1/2 - atan(z) / pi."""
    z, scale = standardize("cauchy.sf", x, loc, scale)
    return nan_unless_positive(0.5 - xnp.arctan(z) / math.pi, scale)


def logsf(x, loc=0, scale=1):
    return xnp.log(sf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    """loc + scale tan(pi (q - 1/2)); -inf at 0, inf at 1, NaN outside [0, 1]."""
    q, loc, scale = promote("cauchy.ppf", q, loc, scale)
    return _quantile(q, loc + scale * xnp.tan(math.pi * (q - 0.5)), scale, -np.inf)


def isf(q, loc=0, scale=1):
    """loc + scale tan(pi (1/2 - q)); inf at 0, -inf at 1, NaN outside [0, 1]."""
    q, loc, scale = promote("cauchy.isf", q, loc, scale)
    return _quantile(q, loc + scale * xnp.tan(math.pi * (0.5 - q)), scale, np.inf)


def _quantile(q, val, scale, at_zero):
    # tan(+-pi/2) is finite in floating point: the end points exactly.
    val = xnp.where(q == 0, at_zero, xnp.where(q == 1, -at_zero, val))
    return nan_unless_positive(nan_where((q < 0) | (q > 1), val), scale)
