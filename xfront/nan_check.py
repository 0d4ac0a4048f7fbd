"""``debug_nans`` / ``debug_infs``: find the primitive that first produced a NaN (or an inf).

With ``xfront.config.update("jax_debug_nans", True)`` (or inside ``with xfront.debug_nans():``)
every compiled call's floating-point results are checked when it returns (the option drops the
compiled caches, so every executable is made again with the check; nothing is checked when the
option is off):

- an eager primitive that produces a NaN raises ``FloatingPointError`` naming the primitive and
  the user's file:line;
- a jitted function whose result has a NaN is run again op by op on the same arguments (its
  traced graph, one eager primitive at a time, nested jits recursively), so the error names the
  first primitive that made a NaN and the line of the user's code that applied it. If the op-by-op
  run produces no NaN (XLA's fusions can differ), the error says so.

The checks read results back to the host: a debugging mode, slower than normal runs.
"""

from __future__ import annotations

import numpy as np

from xfront.core import errors
from xfront.core.config import config
from xfront.core.trace import _state, eval_graph


class _Found(FloatingPointError):
    """The error raised for the primitive that produced the value (carries the details)."""


def enabled() -> bool:
    return bool(config.debug_nans or config.debug_infs)


def _bad_kind(values) -> str | None:
    """'nan' or 'inf' if one of ``values`` (Arrays) has one that is being checked."""
    from xfront.dispatch import to_numpy

    for v in values:
        dt = v.aval.dtype
        if dt.kind not in "fc" or v.aval.size == 0:
            continue
        host = np.asarray(to_numpy(v))
        if config.debug_nans and np.isnan(host).any():
            return "nan"
        if config.debug_infs and np.isinf(host).any():
            return "inf"
    return None


def _where() -> str:
    si = _state.source_info  # set while a graph is re-run equation by equation
    if si is not None:
        return f"{si.file}:{si.line} (in {si.function})"
    return errors.user_location()


def check_call(closed, name: str, args, outs) -> None:
    """Called by ``xfront.dispatch`` after a compiled call when the option is on."""
    kind = _bad_kind(outs)
    if kind is None:
        return
    eqns = closed.graph.eqns
    if len(eqns) == 1 and eqns[0].prim.name == name:  # one eager primitive
        raise _Found(f"invalid value ({kind}) encountered in {name}, at {_where()}")
    where = _where()
    try:
        eval_graph(closed, *args)
    except _Found as e:
        raise _Found(f"{e.args[0]}\n  (found by running {name} op by op after its compiled "
                     f"program produced a {kind}; {name} was called at {where})") from None
    raise _Found(
        f"invalid value ({kind}) encountered in {name}, called at {where}. Its compiled program "
        f"produced a {kind}, but running it op by op (without XLA's optimizations) did not, so "
        "no single primitive can be blamed: XLA's fusions may compute differently (e.g. "
        "overflow in an intermediate).")
