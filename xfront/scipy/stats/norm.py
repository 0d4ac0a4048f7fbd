"""``xfront.scipy.stats.norm``: the normal distribution (``jax.scipy.stats.norm``)."""

from __future__ import annotations

import math

from xfront import numpy as xnp
from xfront.scipy import special
from xfront.scipy.stats._common import nan_unless_positive, promote, standardize

__all__ = ["cdf", "isf", "logcdf", "logpdf", "logsf", "pdf", "ppf", "sf"]

_HALF_LOG_2PI = 0.5 * math.log(2 * math.pi)


def logpdf(x, loc=0, scale=1):
    """log of the normal density with mean ``loc`` and standard deviation ``scale``."""
    z, scale = standardize("norm.logpdf", x, loc, scale)
    return nan_unless_positive(-0.5 * z * z - xnp.log(scale) - _HALF_LOG_2PI, scale)


def pdf(x, loc=0, scale=1):
    """The normal density."""
    return xnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """The normal CDF (``special.ndtr`` of the standardized value)."""
    z, scale = standardize("norm.cdf", x, loc, scale)
    return nan_unless_positive(special.ndtr(z), scale)


def logcdf(x, loc=0, scale=1):
    """log of the normal CDF, accurate in the lower tail (``special.log_ndtr``)."""
    z, scale = standardize("norm.logcdf", x, loc, scale)
    return nan_unless_positive(special.log_ndtr(z), scale)


def sf(x, loc=0, scale=1):
    """The survival function 1 - cdf, accurate in the upper tail."""
    z, scale = standardize("norm.sf", x, loc, scale)
    return nan_unless_positive(special.ndtr(-z), scale)


def logsf(x, loc=0, scale=1):
    """log of the survival function."""
    z, scale = standardize("norm.logsf", x, loc, scale)
    return nan_unless_positive(special.log_ndtr(-z), scale)


def ppf(q, loc=0, scale=1):
    """The quantile function (inverse CDF)."""
    q, loc, scale = promote("norm.ppf", q, loc, scale)
    return nan_unless_positive(special.ndtri(q) * scale + loc, scale)


def isf(q, loc=0, scale=1):
    """The inverse survival function: ppf(1 - q), computed as -ndtri(q) for accuracy."""
    q, loc, scale = promote("norm.isf", q, loc, scale)
    return nan_unless_positive(loc - special.ndtri(q) * scale, scale)
