"""Calling Python from xfront programs: ``pure_callback`` and ``io_callback``.

Both work eagerly and under jit, vmap and (for arguments that are not differentiated) grad. The
callback receives NumPy arrays (copies it may keep) where JAX passes jax Arrays; it must return a
pytree of arrays matching ``result_shape_dtypes`` exactly (shape and dtype are checked, with an
error naming the callback).

Better than JAX: an exception raised by the callback under jit is re-raised as itself (same type
and message, the callback's own traceback, and a note naming the callback and the line of the
``pure_callback`` call), not as an opaque XLA INTERNAL error; effectful callbacks run in program
order and have finished when the jitted call returns.
"""

from __future__ import annotations

from collections.abc import Callable

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError, user_location
from xfront.core.ir import ShapedArray
from xfront.lax.callback import (
    VMAP_METHODS,
    HostCallback,
    io_callback_p,
    pure_callback_p,
)
from xfront.tree_util import tree_flatten, tree_unflatten

__all__ = ["io_callback", "pure_callback"]


def _callback_name(fn) -> str:
    name = getattr(fn, "__qualname__", None) or getattr(fn, "__name__", None)
    if name is None:
        inner = getattr(fn, "func", None)  # functools.partial
        name = _callback_name(inner) if inner is not None else type(fn).__name__
    return name


def _result_avals(api: str, result_shape_dtypes):
    leaves, tree = tree_flatten(result_shape_dtypes)
    avals = []
    for leaf in leaves:
        if not (hasattr(leaf, "shape") and hasattr(leaf, "dtype")):
            raise XfrontTypeError(
                f"{api}: result_shape_dtypes must be a pytree of objects with .shape and .dtype "
                f"(e.g. xfront.ShapeDtypeStruct), got {type(leaf).__name__}")
        dt = dtypes.canonicalize_dtype(dtypes.dtype(leaf.dtype))
        avals.append(ShapedArray(tuple(leaf.shape), dt))
    return avals, tree


def _flat_function(api: str, callback: Callable, in_tree, out_tree) -> Callable:
    def flat(*arrays):
        args, kwargs = tree_unflatten(in_tree, arrays)
        out = callback(*args, **kwargs)
        leaves, tree = tree_flatten(out)
        if out_tree is not None and tree != out_tree:
            raise TypeError(f"{api}: {_callback_name(callback)} returned a value of structure "
                            f"{tree}, but result_shape_dtypes has structure {out_tree}")
        return leaves

    return flat


def _bind(api, prim, callback, result_shape_dtypes, args, kwargs, vmap_method, effectful):
    if not callable(callback):
        raise XfrontTypeError(f"{api}: the callback must be callable, got "
                              f"{type(callback).__name__}")
    if vmap_method is not None and vmap_method not in VMAP_METHODS:
        raise XfrontValueError(f"{api}: vmap_method must be one of {list(VMAP_METHODS)} or "
                               f"None, got {vmap_method!r}")
    flat_args, in_tree = tree_flatten((args, kwargs))
    avals, out_tree = _result_avals(api, result_shape_dtypes)
    cb = HostCallback(_flat_function(api, callback, in_tree, out_tree),
                      name=_callback_name(callback), api=api, where=user_location(),
                      result_avals=avals, effectful=effectful)
    outs = prim.bind(*flat_args, callback=cb, result_avals=tuple(avals),
                     vmap_method=vmap_method)
    return tree_unflatten(out_tree, outs)


def _check_sharding(api: str, sharding) -> None:
    from xfront.sharding import SingleDeviceSharding

    if sharding is not None and not isinstance(sharding, SingleDeviceSharding):
        raise NotImplementedError(
            f"{api}: sharding={sharding!r} is not supported; xfront runs the callback once per "
            "program on the host (sharding=None or a SingleDeviceSharding)")


def pure_callback(callback: Callable, result_shape_dtypes, *args, sharding=None,
                  vmap_method: str | None = None, **kwargs):
    """Calls a pure Python function from (possibly compiled) xfront code.

    Args:
      callback: ``callback(*args, **kwargs)`` gets NumPy arrays and returns a pytree of arrays
        matching ``result_shape_dtypes``. It is treated as pure: a compiled program may drop the
        call when its results are unused.
      result_shape_dtypes: a pytree of objects with ``shape`` and ``dtype``
        (``xfront.ShapeDtypeStruct``).
      vmap_method: how vmap batches the call: ``"sequential"`` (one call per element;
        ``"sequential_unrolled"`` is the same here), ``"expand_dims"`` (one call, unbatched
        operands get a leading axis of size 1) or ``"broadcast_all"`` (one call, every operand
        broadcast to the batch). None: vmap raises.
      sharding: None or a SingleDeviceSharding.

    Returns:
      The results as xfront Arrays (tracers under a transformation), structured like
      ``result_shape_dtypes``.

    Not differentiable: wrap the function calling it in ``xfront.custom_jvp``/``custom_vjp``.
    """
    _check_sharding("pure_callback", sharding)
    return _bind("pure_callback", pure_callback_p, callback, result_shape_dtypes, args, kwargs,
                 vmap_method, effectful=False)


def io_callback(callback: Callable, result_shape_dtypes, *args, sharding=None,
                ordered: bool = False, **kwargs):
    """Calls an impure Python function (I/O, state) from xfront code: never dropped, run in
    program order (``ordered`` is accepted; xfront always keeps the order within a program).
    Under vmap it is called once per element. Not differentiable."""
    _check_sharding("io_callback", sharding)
    del ordered
    return _bind("io_callback", io_callback_p, callback, result_shape_dtypes, args, kwargs,
                 None, effectful=True)
