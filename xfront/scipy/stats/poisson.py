"""``xfront.scipy.stats.poisson``: the Poisson distribution (``jax.scipy.stats.poisson``)."""

from __future__ import annotations

import math

import numpy as np

from xfront import lax
from xfront import numpy as xnp
from xfront.scipy import special
from xfront.scipy.stats._common import nan_where, promote

__all__ = ["cdf", "entropy", "logpmf", "pmf"]


def logpmf(k, mu, loc=0):
    """k log mu - mu - gammaln(k + 1) for non-negative integers k - loc; -inf otherwise."""
    k, mu, loc = promote("poisson.logpmf", k, mu, loc)
    x = k - loc
    val = special.xlogy(x, mu) - lax.lgamma(x + 1.0) - mu
    out = xnp.where((x < 0) | (x != xnp.round(x)), -np.inf, val)
    return nan_where((mu < 0) | xnp.isnan(x), out)


def pmf(k, mu, loc=0):
    return xnp.exp(logpmf(k, mu, loc))


def cdf(k, mu, loc=0):
    """Q(floor(k - loc) + 1, mu): the regularized upper incomplete gamma function."""
    k, mu, loc = promote("poisson.cdf", k, mu, loc)
    x = xnp.floor(k - loc)
    safe = xnp.maximum(x, 0.0)
    out = xnp.where(x < 0, 0.0, special.gammaincc(safe + 1.0, mu))
    return nan_where(mu < 0, out)


_ENTROPY_TERMS = 256  # direct summation covers mu < 100 to float64 precision


def entropy(mu, loc=0):
    """The Shannon entropy -sum_k p(k) log p(k): a direct sum over k < 256 for mu < 100, and
    the asymptotic expansion 1/2 log(2 pi e mu) - 1/(12 mu) - 1/(24 mu^2) - 19/(360 mu^3)
    beyond."""
    mu, loc = promote("poisson.entropy", mu, loc)
    k = xnp.arange(_ENTROPY_TERMS, dtype=mu.dtype)
    m = xnp.where(mu < 100, mu, 1.0)[..., None]
    logp = special.xlogy(k, m) - lax.lgamma(k + 1.0) - m
    direct = -xnp.sum(xnp.exp(logp) * logp, axis=-1)
    big = xnp.where(mu < 100, 100.0, mu)
    asym = (0.5 * xnp.log(2 * math.pi * math.e * big) - 1 / (12 * big) - 1 / (24 * big ** 2)
            - 19 / (360 * big ** 3))
    out = xnp.where(mu < 100, direct, asym)
    out = xnp.where(mu == 0, 0.0, out)
    return xnp.where(mu < 0, np.nan, out).astype(mu.dtype)
