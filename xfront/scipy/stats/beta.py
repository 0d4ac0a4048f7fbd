"""``xfront.scipy.stats.beta``: the beta distribution (``jax.scipy.stats.beta``)."""

from __future__ import annotations

import numpy as np

from xfront import numpy as xnp
from xfront.scipy import special
from xfront.scipy.stats._common import nan_unless_positive, promote

__all__ = ["cdf", "logcdf", "logpdf", "logsf", "pdf", "sf"]


def _standard(name, x, a, b, loc, scale):
    x, a, b, loc, scale = promote(name, x, a, b, loc, scale)
    return (x - loc) / scale, a, b, scale


def logpdf(x, a, b, loc=0, scale=1):
    """(a - 1) log y + (b - 1) log(1 - y) - betaln(a, b) - log(scale) on [0, 1]."""
    y, a, b, scale = _standard("beta.logpdf", x, a, b, loc, scale)
    val = (special.xlogy(a - 1.0, y) + special.xlog1py(b - 1.0, -y) - special.betaln(a, b)
           - xnp.log(scale))
    return nan_unless_positive(xnp.where((y < 0) | (y > 1), -np.inf, val), a, b, scale)


def pdf(x, a, b, loc=0, scale=1):
    return xnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x, a, b, loc=0, scale=1):
    """The regularized incomplete beta function I_y(a, b)."""
    y, a, b, scale = _standard("beta.cdf", x, a, b, loc, scale)
    return nan_unless_positive(special.betainc(a, b, xnp.clip(y, 0.0, 1.0)), a, b, scale)


def logcdf(x, a, b, loc=0, scale=1):
    """log cdf, from log1p(-sf) where the cdf is close to 1."""
    return _log_of(cdf(x, a, b, loc, scale), sf(x, a, b, loc, scale))


def sf(x, a, b, loc=0, scale=1):
    """I_{1-y}(b, a), accurate near y = 1."""
    y, a, b, scale = _standard("beta.sf", x, a, b, loc, scale)
    return nan_unless_positive(special.betainc(b, a, 1.0 - xnp.clip(y, 0.0, 1.0)), a, b,
                               scale)


def logsf(x, a, b, loc=0, scale=1):
    """log sf, from log1p(-cdf) where the sf is close to 1."""
    return _log_of(sf(x, a, b, loc, scale), cdf(x, a, b, loc, scale))


def _log_of(p, complement):
    return xnp.where(p > 0.5, xnp.log1p(-complement), xnp.log(p))
