"""Host callbacks: Python functions that compiled programs call (``pure_callback``,
``io_callback``, ``debug.callback`` and ``debug.print``; the public functions are in
``xfront/callbacks.py`` and ``xfront/debug.py``).

Three primitives share one mechanism. Their ``callback`` param is a ``HostCallback``: a flat
function of host (NumPy) arrays plus, for error messages, the name of the user's function and the
user's line that created it; params are hashed by identity. Evaluated eagerly, a primitive calls
it directly on host copies of its operands. Compiled, the lowering (lowering/rules/callback.py)
emits a custom call to it (shared/docs/jaxlib-runtime.md, section 6).

- ``pure_callback``: results, no side effects (dropped when unused; vmap may call it per element
  or once on a batch, as ``vmap_method`` says). No JVP: use custom_jvp/custom_vjp.
- ``io_callback``: results and side effects (never dropped, run in program order).
- ``debug_callback``: side effects, no results. Its JVP calls it on the primals, so under grad
  it sees primal values once; vmap calls it once per batch element.

An exception raised inside a callback run by a compiled program is recorded here before XLA
aborts the program; ``xfront.dispatch`` re-raises *that* exception (same type, the callback's
own traceback, and a note naming the callback and the line that created it) where XLA reports
the failure, instead of XLA's INTERNAL error.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence

import numpy as np

from xfront.core.errors import XfrontValueError
from xfront.core.ir import ShapedArray
from xfront.core.trace import EvalTrace, Primitive, get_aval
from xfront.interpreters import ad, batching

__all__: list[str] = []  # not re-exported by xfront.lax (as in JAX): see xfront/callbacks.py

VMAP_METHODS = ("sequential", "sequential_unrolled", "expand_dims", "broadcast_all")

# ----------------------------------------------------------------------------------------------
# The callable held in the equations.


class HostCallback:
    """A flat Python function ``fn(*host arrays) -> list of results`` called by a program.

    ``result_avals`` is what the results must be (checked: XLA would not, and would read
    garbage); ``effectful`` callbacks are passed and return a token first when compiled.
    """

    __slots__ = ("fn", "name", "api", "where", "result_avals", "effectful", "__weakref__")

    def __init__(self, fn: Callable, *, name: str, api: str, where: str,
                 result_avals: Sequence[ShapedArray] = (), effectful: bool = False):
        self.fn = fn
        self.name = name
        self.api = api
        self.where = where
        self.result_avals = tuple(result_avals)
        self.effectful = effectful

    def describe(self) -> str:
        return f"the host callback {self.name} passed to {self.api} at {self.where}"

    def call(self, args: Sequence[np.ndarray]) -> list[np.ndarray]:
        """Runs the function on host arrays; returns its checked results."""
        try:
            outs = self.fn(*args)
        except BaseException as e:
            _annotate(e, self)
            raise
        return self._check(outs)

    def _check(self, outs) -> list[np.ndarray]:
        avals = self.result_avals
        if not avals:
            return []
        outs = list(outs)
        if len(outs) != len(avals):
            raise _annotate(TypeError(
                f"{self.api}: {self.name} returned {len(outs)} arrays but result_shape_dtypes "
                f"describes {len(avals)}"), self)
        checked = []
        for i, (o, a) in enumerate(zip(outs, avals)):
            arr = np.asarray(o)
            if arr.shape != a.shape or arr.dtype != a.dtype:
                raise _annotate(TypeError(
                    f"{self.api}: {self.name} returned result {i} of shape {arr.shape} and dtype "
                    f"{arr.dtype}, but result_shape_dtypes says shape {a.shape} and dtype "
                    f"{a.dtype} (convert it, e.g. np.asarray(r, np.{a.dtype.name}))"), self)
            checked.append(np.asarray(arr, order="C"))  # (ascontiguousarray makes 0-d 1-d)
        return checked

    def __call__(self, *args):
        """XLA's entry point: read-only views of the operands in (copied: they die with the
        call), a tuple of results out; a token leads both for an effectful callback."""
        try:
            if self.effectful:
                token, *rest = args
                return (token, *self.call([np.array(a) for a in rest]))
            return tuple(self.call([np.array(a) for a in args]))
        except BaseException as e:
            _record(e)
            raise

    def with_results(self, result_avals) -> HostCallback:
        """The same function, expected to return ``result_avals`` (a batch of results)."""
        return HostCallback(self.fn, name=self.name, api=self.api, where=self.where,
                            result_avals=result_avals, effectful=self.effectful)

    def sequential(self, dims: Sequence[int | None], size: int) -> HostCallback:
        """The callback of a batch: calls this one per element along ``dims`` (None: the
        operand is not batched) and stacks the results along a new leading axis."""
        inner = self

        def loop(*args):
            per_elt = []
            for i in range(size):
                per_elt.append(inner.call([a if d is None else np.take(a, i, axis=d)
                                           for a, d in zip(args, dims)]))
            return [np.stack([r[k] for r in per_elt]) if per_elt
                    else np.zeros((0, *a.shape), a.dtype)
                    for k, a in enumerate(inner.result_avals)]

        return HostCallback(loop, name=self.name, api=self.api, where=self.where,
                            result_avals=_batched(self.result_avals, size),
                            effectful=self.effectful)

    def __repr__(self):  # (short: printed in IR params)
        return f"{self.name}@{os.path.basename(self.where.split(' (in ')[0])}"


def _batched(avals, size: int) -> tuple[ShapedArray, ...]:
    return tuple(ShapedArray((size, *a.shape), a.dtype) for a in avals)


def _annotate(e: BaseException, cb: HostCallback) -> BaseException:
    if not getattr(e, "_xf_callback_noted", False):
        try:
            e.add_note(f"(raised in {cb.describe()})")
            e._xf_callback_noted = True
        except (AttributeError, TypeError):  # exceptions that refuse new attributes
            pass
    return e


# Exceptions raised by callbacks that compiled programs ran (XLA's thread), newest last.
_pending: list[BaseException] = []
_pending_lock = threading.Lock()


def _record(e: BaseException) -> None:
    with _pending_lock:
        _pending.append(e)
        del _pending[:-4]


def take_callback_error(runtime_error: BaseException, doing: str) -> BaseException | None:
    """The exception a host callback raised, if ``runtime_error`` (from XLA) reports one;
    ``doing`` (what xfront was doing: "running f") is added to its notes."""
    if "allback" not in str(runtime_error):
        return None
    with _pending_lock:
        if not _pending:
            return None
        e = _pending.pop()
        _pending.clear()
    try:
        e.add_note(f"(reported by XLA while {doing})")
    except (AttributeError, TypeError):
        pass
    return e


# ----------------------------------------------------------------------------------------------
# Shared rules.


def _host_value(x) -> np.ndarray:
    return np.array(EvalTrace.to_array(x))


def _callback_impl(prim, args, params):
    """Eager evaluation: call the function right here on host copies of the operands."""
    cb: HostCallback = params["callback"]
    outs = cb.call([_host_value(x) for x in args])
    return [EvalTrace.to_array(o) for o in outs]


def _batch_size(args, dims) -> int:
    return next(get_aval(x).shape[d] for x, d in zip(args, dims) if d is not None)


def _no_jvp(what: str, custom: str):
    def rule(primals, tangents, *, callback, **params):
        raise XfrontValueError(
            f"{what} cannot be differentiated: {callback.describe()} is opaque to xfront "
            f"(Python runs it on the host). Give the function that calls {what} a derivative "
            f"with xfront.{custom} (its rule may use another {what}), or apply "
            "xfront.lax.stop_gradient to its inputs if no gradient should flow through it.")

    return rule


# ----------------------------------------------------------------------------------------------
# pure_callback


pure_callback_p = Primitive("pure_callback", multiple_results=True)


@pure_callback_p.def_abstract_eval
def _pure_callback_abstract_eval(*avals, callback, result_avals, vmap_method):
    return list(result_avals)


pure_callback_p.def_impl(_callback_impl)
ad.jvp_rules[pure_callback_p] = _no_jvp("pure_callback", "custom_jvp")


def _result_batch(prim, args, dims, *, callback, result_avals, vmap_method):
    """vmap of a callback with results, per JAX's ``vmap_method``."""
    size = _batch_size(args, dims)
    batched = _batched(result_avals, size)
    if vmap_method in ("expand_dims", "broadcast_all"):
        n = size if vmap_method == "broadcast_all" else 1
        new = [batching.moveaxis(x, d, 0) if d is not None
               else batching.broadcast_batch(x, n, 0) for x, d in zip(args, dims)]
        outs = prim.bind(*new, callback=callback.with_results(batched), result_avals=batched,
                         vmap_method=vmap_method)
        return outs, [0] * len(outs)
    if vmap_method in ("sequential", "sequential_unrolled") or prim is io_callback_p:
        outs = prim.bind(*args, callback=callback.sequential(dims, size), result_avals=batched,
                         vmap_method=vmap_method)
        return outs, [0] * len(outs)
    raise NotImplementedError(
        f"vmap of {callback.describe()}: say how it batches with vmap_method= 'sequential' "
        "(one call per element), 'expand_dims' (one call; unbatched operands get a leading "
        "axis of size 1) or 'broadcast_all' (one call; every operand broadcast to the batch)")


batching.batch_rules[pure_callback_p] = (
    lambda args, dims, **params: _result_batch(pure_callback_p, args, dims, **params))


# ----------------------------------------------------------------------------------------------
# io_callback


io_callback_p = Primitive("io_callback", multiple_results=True, has_side_effects=True)


@io_callback_p.def_abstract_eval
def _io_callback_abstract_eval(*avals, callback, result_avals, vmap_method):
    return list(result_avals)


io_callback_p.def_impl(_callback_impl)
ad.jvp_rules[io_callback_p] = _no_jvp("io_callback", "custom_jvp")
batching.batch_rules[io_callback_p] = (
    lambda args, dims, **params: _result_batch(io_callback_p, args, dims, **params))


# ----------------------------------------------------------------------------------------------
# debug_callback


debug_callback_p = Primitive("debug_callback", multiple_results=True, has_side_effects=True)


@debug_callback_p.def_abstract_eval
def _debug_callback_abstract_eval(*avals, callback, ordered):
    return []


debug_callback_p.def_impl(_callback_impl)


def _debug_callback_jvp(primals, tangents, *, callback, ordered):
    return debug_callback_p.bind(*primals, callback=callback, ordered=ordered), []


def _debug_callback_transpose(cts, *args, callback, ordered):
    return [None] * len(args)


def _debug_callback_batch(args, dims, *, callback, ordered):
    seq = callback.sequential(dims, _batch_size(args, dims))
    return debug_callback_p.bind(*args, callback=seq, ordered=ordered), []


ad.jvp_rules[debug_callback_p] = _debug_callback_jvp
ad.transpose_rules[debug_callback_p] = _debug_callback_transpose
batching.batch_rules[debug_callback_p] = _debug_callback_batch
