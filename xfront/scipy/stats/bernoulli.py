"""``xfront.scipy.stats.bernoulli``: the Bernoulli distribution
(``jax.scipy.stats.bernoulli``)."""

from __future__ import annotations

import numpy as np

from xfront import numpy as xnp
from xfront.scipy import special
from xfront.scipy.stats._common import nan_where, promote

__all__ = ["cdf", "logpmf", "pmf", "ppf"]


def logpmf(k, p, loc=0):
    """k log p + (1 - k) log(1 - p) for k - loc in {0, 1}; -inf otherwise; NaN for p
    outside [0, 1]."""
    k, p, loc = promote("bernoulli.logpmf", k, p, loc)
    x = k - loc
    val = special.xlogy(x, p) + special.xlog1py(1.0 - x, -p)
    out = xnp.where((x != 0) & (x != 1), -np.inf, val)
    return nan_where((p < 0) | (p > 1) | xnp.isnan(x), out)


def pmf(k, p, loc=0):
    return xnp.exp(logpmf(k, p, loc))


def cdf(k, p):
    """0 below 0, 1 - p on [0, 1), 1 from 1 on; NaN for p outside [0, 1]."""
    k, p = promote("bernoulli.cdf", k, p)
    val = xnp.where(k < 0, 0.0, xnp.where(k < 1, 1.0 - p, 1.0)).astype(k.dtype)
    return nan_where((p < 0) | (p > 1) | xnp.isnan(k), val)


def ppf(q, p):
    """0 where q <= 1 - p (q < 1), else 1; -1 at q == 0 (SciPy's convention: one below the
    support); NaN for q or p outside [0, 1]."""
    q, p = promote("bernoulli.ppf", q, p)
    val = xnp.where(q == 0, -1.0, xnp.where((q <= 1.0 - p) & (q < 1), 0.0, 1.0))
    return nan_where((q < 0) | (q > 1) | (p < 0) | (p > 1) | xnp.isnan(q), val)
