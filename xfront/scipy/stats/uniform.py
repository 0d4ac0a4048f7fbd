"""``xfront.scipy.stats.uniform``: the uniform distribution on [loc, loc + scale]
(``jax.scipy.stats.uniform``)."""

from __future__ import annotations

import numpy as np

from xfront import numpy as xnp
from xfront.scipy.stats._common import nan_unless_positive, nan_where, promote

__all__ = ["cdf", "logpdf", "pdf", "ppf"]


def logpdf(x, loc=0, scale=1):
    """-log(scale) on [loc, loc + scale], -inf elsewhere."""
    x, loc, scale = promote("uniform.logpdf", x, loc, scale)
    outside = (x < loc) | (x > loc + scale)
    out = xnp.where(outside, -np.inf, -xnp.log(scale))
    return nan_unless_positive(nan_where(xnp.isnan(x), out), scale)


def pdf(x, loc=0, scale=1):
    return xnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    """(x - loc) / scale clipped to [0, 1]."""
    x, loc, scale = promote("uniform.cdf", x, loc, scale)
    return nan_unless_positive(xnp.clip((x - loc) / scale, 0.0, 1.0), scale)


def ppf(q, loc=0, scale=1):
    """loc + q * scale; NaN outside [0, 1]."""
    q, loc, scale = promote("uniform.ppf", q, loc, scale)
    return nan_unless_positive(nan_where((q < 0) | (q > 1), loc + q * scale), scale)
