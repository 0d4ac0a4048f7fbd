"""``xfront.scipy.stats.laplace``: the Laplace distribution (``jax.scipy.stats.laplace``)."""

from __future__ import annotations

import math

from xfront import numpy as xnp
from xfront.scipy.stats._common import nan_unless_positive, standardize

__all__ = ["cdf", "logpdf", "pdf"]


def logpdf(x, loc=0, scale=1):
    """-|x - loc| / scale - log(2 scale)."""
    z, scale = standardize("laplace.logpdf", x, loc, scale)
    return nan_unless_positive(-xnp.abs(z) - xnp.log(scale) - math.log(2.0), scale)


def pdf(x, loc=0, scale=1):
    return xnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """e^z / 2 below loc, 1 - e^-z / 2 above."""
    z, scale = standardize("laplace.cdf", x, loc, scale)
    return nan_unless_positive(0.5 - 0.5 * xnp.sign(z) * xnp.expm1(-xnp.abs(z)), scale)
