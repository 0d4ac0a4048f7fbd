"""Argument handling shared by the distributions of ``xfront.scipy.stats``."""

from __future__ import annotations

import numpy as np

from xfront import numpy as xnp
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError
from xfront.core.trace import get_aval
from xfront.numpy._util import ensure_traced, promote_args_inexact


def promote(name: str, *args):
    """Float-promoted arrays broadcast together (real dtypes only)."""
    out = tuple(ensure_traced(a) for a in promote_args_inexact(name, *args))
    for a in out:
        if dtypes.is_complex(get_aval(a).dtype):
            raise XfrontTypeError(f"{name} does not support complex inputs, got "
                                  f"{get_aval(a).dtype}")
    return out


def nan_where(cond, x):
    """``x`` with NaN where ``cond``."""
    return xnp.where(cond, np.nan, x).astype(x.dtype)


def standardize(name: str, x, loc, scale, *more):
    """((x - loc) / scale, scale, *more) after promotion."""
    x, loc, scale, *more = promote(name, x, loc, scale, *more)
    return ((x - loc) / scale, scale, *more)


def nan_unless_positive(x, *params):
    """``x`` with NaN where any of ``params`` (scales, shapes) is not positive: SciPy's value
    for invalid distribution parameters."""
    bad = params[0] <= 0
    for p in params[1:]:
        bad = bad | (p <= 0)
    return nan_where(bad, x)
