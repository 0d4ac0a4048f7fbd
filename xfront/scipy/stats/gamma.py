"""``xfront.scipy.stats.gamma``: the gamma distribution with shape ``a``
(``jax.scipy.stats.gamma``)."""

from __future__ import annotations

import numpy as np

from xfront import lax
from xfront import numpy as xnp
from xfront.scipy import special
from xfront.scipy.stats._common import nan_unless_positive, promote

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def _standard(name, x, a, loc, scale):
    x, a, loc, scale = promote(name, x, a, loc, scale)
    return (x - loc) / scale, a, scale


def logpdf(x, a, loc=0, scale=1):
    """(a - 1) log y - y - gammaln(a) - log(scale), y = (x - loc) / scale >= 0."""
    y, a, scale = _standard("gamma.logpdf", x, a, loc, scale)
    val = special.xlogy(a - 1.0, y) - y - lax.lgamma(a) - xnp.log(scale)
    return nan_unless_positive(xnp.where(y < 0, -np.inf, val), a, scale)


def pdf(x, a, loc=0, scale=1):
    return xnp.exp(logpdf(x, a, loc, scale))


def cdf(x, a, loc=0, scale=1):
    """The regularized lower incomplete gamma function P(a, y)."""
    y, a, scale = _standard("gamma.cdf", x, a, loc, scale)
    return nan_unless_positive(special.gammainc(a, xnp.maximum(y, 0.0)), a, scale)


def logcdf(x, a, loc=0, scale=1):
    """log cdf, from log1p(-sf) where the cdf is close to 1."""
    return _log_of(cdf(x, a, loc, scale), sf(x, a, loc, scale))


def sf(x, a, loc=0, scale=1):
    """The regularized upper incomplete gamma function Q(a, y)."""
    y, a, scale = _standard("gamma.sf", x, a, loc, scale)
    return nan_unless_positive(special.gammaincc(a, xnp.maximum(y, 0.0)), a, scale)


def logsf(x, a, loc=0, scale=1):
    """log sf, from log1p(-cdf) where the sf is close to 1."""
    return _log_of(sf(x, a, loc, scale), cdf(x, a, loc, scale))


def _log_of(p, complement):
    return xnp.where(p > 0.5, xnp.log1p(-complement), xnp.log(p))
