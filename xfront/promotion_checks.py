"""The ``numpy_rank_promotion`` and ``numpy_dtype_promotion`` options, checked where
``xfront.numpy`` broadcasts and promotes operands (``xfront/numpy/_util.py``).

- ``numpy_rank_promotion``: ``"allow"`` (NumPy's rule), ``"warn"`` or ``"raise"`` when operands
  of different ranks are broadcast together (rank-0 operands never count), as in JAX.
- ``numpy_dtype_promotion``: ``"standard"`` or ``"strict"``: strongly typed operands must have
  one dtype; weakly typed values (Python scalars) may join them when their kind (bool < int <
  float < complex) is not above the strong dtype's (``f32 + 1`` is fine, ``i32 + 1.5`` is not).
"""

from __future__ import annotations

import warnings

import numpy as np

from xfront.core.config import config
from xfront.core.errors import XfrontTypeError, XfrontValueError


class TypePromotionError(XfrontTypeError):
    """An implicit dtype promotion refused by ``numpy_dtype_promotion="strict"``."""


def check_rank_promotion(name: str, shapes) -> None:
    mode = config.numpy_rank_promotion
    if mode == "allow":
        return
    ranks = {len(s) for s in shapes if len(s)}
    if len(ranks) < 2:
        return
    msg = (f"{name}: operands of shapes {' '.join(str(tuple(s)) for s in shapes)} are broadcast "
           f"to a common rank (implicit rank promotion) while numpy_rank_promotion={mode!r}; "
           "add the leading axes explicitly (x[None], xnp.expand_dims, reshape) or set "
           "xfront.config.update('jax_numpy_rank_promotion', 'allow')")
    if mode == "raise":
        raise XfrontValueError(msg)
    warnings.warn(msg, stacklevel=4)


_KIND_ORDER = {"b": 0, "i": 1, "u": 1, "f": 2, "V": 2, "c": 3}


def check_dtype_promotion(pairs) -> None:
    """``pairs``: (dtype, weak_type) per operand."""
    if config.numpy_dtype_promotion == "standard":
        return
    strong = {dt for dt, weak in pairs if not weak}
    weak = {dt for dt, w in pairs if w}
    bad = len(strong) > 1
    if not bad and strong:
        (target,) = strong
        top = _KIND_ORDER.get(np.dtype(target).kind, 2)
        bad = any(_KIND_ORDER.get(np.dtype(d).kind, 2) > top for d in weak)
    if bad:
        names = ", ".join(f"{np.dtype(d).name}{' (weak: a Python scalar)' if w else ''}"
                          for d, w in pairs)
        raise TypePromotionError(
            f"implicit dtype promotion of {names} is disallowed with "
            "numpy_dtype_promotion='strict': convert the operands explicitly (x.astype(...)) or "
            "set xfront.config.update('jax_numpy_dtype_promotion', 'standard')")
