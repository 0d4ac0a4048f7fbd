"""``xfront.scipy.stats.t``: Student's t distribution (``jax.scipy.stats.t``)."""

from __future__ import annotations

import math

from xfront import lax
from xfront import numpy as xnp
from xfront.scipy.stats._common import nan_unless_positive, promote

__all__ = ["logpdf", "pdf"]


def logpdf(x, df, loc=0, scale=1):
    """log density of Student's t with ``df`` degrees of freedom."""
    x, df, loc, scale = promote("t.logpdf", x, df, loc, scale)
    z = (x - loc) / scale
    half = 0.5 * (df + 1.0)
    out = (lax.lgamma(half) - lax.lgamma(0.5 * df) - 0.5 * xnp.log(df * math.pi)
           - xnp.log(scale) - half * xnp.log1p(z * z / df))
    return nan_unless_positive(out, df, scale)


def pdf(x, df, loc=0, scale=1):
    return xnp.exp(logpdf(x, df, loc, scale))
