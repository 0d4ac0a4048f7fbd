"""``xfront.scipy.stats.logistic``: the logistic distribution (``jax.scipy.stats.logistic``)."""

from __future__ import annotations

from xfront import numpy as xnp
from xfront.scipy import special
from xfront.scipy.stats._common import nan_unless_positive, promote, standardize

__all__ = ["cdf", "isf", "logpdf", "pdf", "ppf", "sf"]


def logpdf(x, loc=0, scale=1):
    """log density e^-z / (scale (1 + e^-z)^2), z = (x - loc) / scale, in a form that does not
    overflow for large |z|."""
    z, scale = standardize("logistic.logpdf", x, loc, scale)
    az = xnp.abs(z)
    return nan_unless_positive(-az - 2.0 * xnp.log1p(xnp.exp(-az)) - xnp.log(scale), scale)


def pdf(x, loc=0, scale=1):
    return xnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    z, scale = standardize("logistic.cdf", x, loc, scale)
    return nan_unless_positive(special.expit(z), scale)


def sf(x, loc=0, scale=1):
    z, scale = standardize("logistic.sf", x, loc, scale)
    return nan_unless_positive(special.expit(-z), scale)


def ppf(q, loc=0, scale=1):
    """loc + scale * logit(q)."""
    q, loc, scale = promote("logistic.ppf", q, loc, scale)
    return nan_unless_positive(loc + scale * special.logit(q), scale)


def isf(q, loc=0, scale=1):
    """loc - scale * logit(q)."""
    q, loc, scale = promote("logistic.isf", q, loc, scale)
    return nan_unless_positive(loc - scale * special.logit(q), scale)
