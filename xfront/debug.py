"""``xfront.debug``: looking at values and placements, eagerly and inside compiled code.

- ``print(fmt, *args, **kwargs)`` formats with ``str.format`` when the values are known: at once
  eagerly, when the compiled program runs under jit, once per element under vmap, primal values
  under grad. ``callback(fn, *args)`` is the general form (``fn`` gets NumPy arrays).
- Prints from one compiled program appear in program order, and have all been written (and
  ``sys.stdout`` flushed) when the jitted call returns: xfront waits for programs with debug
  callbacks, so their output never interleaves with the host code that follows.
- ``visualize_array_sharding(x)`` prints a text map of an array's blocks and the devices that
  hold each (rows x columns for 1-d and 2-d arrays).
"""

from __future__ import annotations

import builtins
import string
import sys
from collections.abc import Callable

import numpy as np

from xfront.array import Array
from xfront.core.errors import XfrontTypeError, XfrontValueError, user_location
from xfront.core.trace import Tracer
from xfront.lax.callback import HostCallback, debug_callback_p

__all__ = ["callback", "print", "visualize_array_sharding", "visualize_sharding"]


def _is_dynamic(x) -> bool:
    return isinstance(x, Array | Tracer | np.ndarray | np.generic)


def _debug_callback(fn: Callable, args, kwargs, ordered: bool, name: str, api: str) -> None:
    from xfront.tree_util import tree_flatten, tree_unflatten

    leaves, in_tree = tree_flatten((args, kwargs))
    dynamic = [_is_dynamic(x) for x in leaves]
    static = [None if d else x for x, d in zip(leaves, dynamic)]

    def flat(*arrays):
        it = iter(arrays)
        full = [next(it) if d else s for d, s in zip(dynamic, static)]
        a, kw = tree_unflatten(in_tree, full)
        fn(*a, **kw)
        return []

    cb = HostCallback(flat, name=name, api=api, where=user_location(), effectful=True)
    debug_callback_p.bind(*[x for x, d in zip(leaves, dynamic) if d], callback=cb,
                          ordered=bool(ordered))


def callback(fn: Callable, *args, ordered: bool = False, partitioned: bool = False,
             **kwargs) -> None:
    """Calls ``fn(*args, **kwargs)`` with the values of ``args`` (arrays as NumPy arrays) when
    they are known: now if eager, when the program runs under jit, per element under vmap, on
    primal values under grad. Its return value is ignored. ``ordered`` is accepted; calls from
    one program always run in program order."""
    if not callable(fn):
        raise XfrontTypeError(f"debug.callback: expected a callable, got {type(fn).__name__}")
    del partitioned
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", type(fn).__name__)
    _debug_callback(fn, args, kwargs, ordered, name, "debug.callback")


class _AnyFormat:
    def __format__(self, spec):
        return ""


def _scalar(a):
    return a[()] if isinstance(a, np.ndarray) and a.ndim == 0 else a  # format specs work


def _format_print(fmt: str, has_fields: bool, *args, **kwargs) -> None:
    args = [_scalar(a) for a in args]
    kwargs = {k: _scalar(v) for k, v in kwargs.items()}
    if has_fields:
        msg = fmt.format(*args, **kwargs)
    else:
        msg = " ".join((fmt, *(str(a) for a in args)))
    sys.stdout.write(msg + "\n")
    sys.stdout.flush()


def print(fmt: str | None = None, *args, ordered: bool = False, partitioned: bool = False,
          **kwargs):  # noqa: A001
    """Prints ``fmt.format(*args, **kwargs)`` with the values of the arrays (not tracers).

    Works like ``jax.debug.print``: eagerly, under jit (at run time), vmap (one line per
    element) and grad (primal values). Use placeholders, not f-strings:
    ``xfront.debug.print("x={x}", x=x)``. ``debug.print(ordered=True)("...", ...)`` (the
    two-call form) is accepted too. A format string with no placeholders prints the values after
    it, separated by spaces.
    """
    if fmt is None:
        if args or kwargs:
            raise XfrontTypeError("debug.print(ordered=...) takes only options; pass the format "
                                  "and values to the function it returns")
        return lambda f, *a, **kw: print(f, *a, ordered=ordered, **kw)
    if not isinstance(fmt, str):
        raise XfrontTypeError(f"debug.print: the format must be a str, got {type(fmt).__name__}")
    fields = [f for _, f, _, _ in string.Formatter().parse(fmt) if f is not None]
    has_fields = bool(fields)
    if not has_fields and kwargs:
        raise XfrontValueError(f"debug.print: keyword arguments {sorted(kwargs)} but the format "
                               f"{fmt!r} has no placeholders")
    if has_fields:
        try:  # a missing argument is an error here, not later in the compiled program
            fmt.format(*[_AnyFormat()] * len(args), **{k: _AnyFormat() for k in kwargs})
        except (IndexError, KeyError) as e:
            raise XfrontValueError(f"debug.print: the format {fmt!r} names {e} but it is not "
                                   "among the arguments") from None
    del partitioned

    def emit(*a, **kw):
        _format_print(fmt, has_fields, *a, **kw)

    _debug_callback(emit, args, kwargs, ordered, f"print({fmt!r})", "debug.print")


def _device_label(devs) -> str:
    kinds = {d.platform.upper() for d in devs}
    kind = kinds.pop() if len(kinds) == 1 else "DEV"
    return f"{kind} {','.join(str(d.id) for d in sorted(devs, key=lambda d: d.id))}"


def visualize_sharding(shape, sharding, *, width: int = 0) -> None:
    """Prints the text map of ``sharding`` over an array of ``shape`` (1-d or 2-d)."""
    shape = tuple(shape)
    if len(shape) not in (1, 2):
        raise ValueError(f"visualize_array_sharding: only 1-d and 2-d arrays can be shown, got "
                         f"shape {shape}")
    index = sharding.devices_indices_map(shape)
    full = shape if len(shape) == 2 else (1, shape[0])

    def bounds(s, n):
        start, stop, _ = s.indices(n)
        return start, stop

    cells: dict = {}
    for dev, idx in index.items():
        if len(shape) == 1:
            key = ((0, 1), bounds(idx[0], shape[0]))
        else:
            key = (bounds(idx[0], shape[0]), bounds(idx[1], shape[1]))
        cells.setdefault(key, []).append(dev)
    rows = sorted({k[0] for k in cells})
    cols = sorted({k[1] for k in cells})
    labels = {k: _device_label(v) for k, v in cells.items()}
    cw = max(width, max(len(v) for v in labels.values()) + 2)
    line = "+" + "+".join("-" * cw for _ in cols) + "+"
    out = [line]
    for r in rows:
        out.append("|" + "|".join(labels.get((r, c), "").center(cw) for c in cols) + "|")
        out.append(line)
    del full
    builtins.print("\n".join(out))


def visualize_array_sharding(x, **kwargs) -> None:
    """Prints which device holds which block of ``x`` (1-d or 2-d)."""
    visualize_sharding(x.shape, x.sharding, **kwargs)
