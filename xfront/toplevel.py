"""JAX's top-level helpers that ported programs use: configuration context managers, tracing
helpers (``ensure_compile_time_eval``, ``named_scope``, ``make_jaxpr``, ``closure_convert``),
introspection (``typeof``, ``live_arrays``, ``print_environment_info``) and host/process names.

Differences from JAX, on purpose:
- The configuration context managers (``enable_x64()``, ``debug_nans()``, ``default_device(d)``,
  ...) set the process-wide option and restore it on exit; they are not thread-local. Options
  that change traced programs drop the compiled caches on entry and exit.
- ``make_jaxpr`` returns xfront's IR (a ``ClosedGraph``, printed like a jaxpr): its program is
  ``.graph`` (not ``.jaxpr``), with ``.consts``, ``.in_avals``, ``.out_avals`` and ``.eqns``.
- ``live_arrays()`` lists single-device arrays only, as new Array objects over the same buffers
  (``x is y`` does not hold; the data is the same).
"""

from __future__ import annotations

import contextlib
import functools
import platform
import sys
from collections.abc import Callable

import numpy as np

from xfront import dispatch
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.config import config
from xfront.core.errors import XfrontTypeError
from xfront.core.ir import ClosedGraph
from xfront.core.trace import (
    EvalTrace,
    Trace,
    Tracer,
    _state,
    eval_graph,
    eval_trace,
    get_aval,
    set_current_trace,
)

__all__ = [
    "Device", "check_tracer_leaks", "checking_leaks", "closure_convert", "copy_to_host_async",
    "debug_infs", "debug_nans", "default_device", "default_matmul_precision", "disable_jit",
    "effects_barrier", "enable_x64", "ensure_compile_time_eval", "host_count", "host_id",
    "host_ids", "live_arrays", "log_compiles", "make_jaxpr", "named_call", "named_scope",
    "numpy_dtype_promotion", "numpy_rank_promotion", "print_environment_info",
    "process_indices", "transfer_guard", "transfer_guard_device_to_device",
    "transfer_guard_device_to_host", "transfer_guard_host_to_device", "typeof",
]

Device = dispatch.runtime.Device

# ----------------------------------------------------------------------------------------------
# Configuration context managers.

_REQUIRED = object()


class _OptionContext:
    """``option(value)`` is a context manager setting the option (``value`` defaults to True for
    boolean options); ``option.value`` reads it."""

    def __init__(self, option: str, default=_REQUIRED, doc: str = ""):
        self.option = option
        self.default = default
        self.__doc__ = doc or f"Context manager setting xfront.config's {option!r}."
        self.__name__ = option

    @property
    def value(self):
        return config.read(self.option)

    def __call__(self, value=_REQUIRED):
        if value is _REQUIRED:
            if self.default is _REQUIRED:
                raise XfrontTypeError(f"{self.option}(...) needs a value")
            value = self.default
        return config.override(self.option, value)

    def __repr__(self):
        return f"<xfront option context {self.option}={self.value!r}>"


enable_x64 = _OptionContext("enable_x64", True, "``with enable_x64():`` 64-bit types inside.")
debug_nans = _OptionContext("debug_nans", True, "``with debug_nans():`` find the primitive "
                            "that produced a NaN (xfront/nan_check.py).")
debug_infs = _OptionContext("debug_infs", True, "Like debug_nans, for infinities.")
log_compiles = _OptionContext("log_compiles", True, "Log each XLA compilation (logger "
                              "'xfront').")
check_tracer_leaks = _OptionContext("check_tracer_leaks", True, "Raise when a jit trace leaks "
                                    "a tracer.")
numpy_rank_promotion = _OptionContext("numpy_rank_promotion", doc="'allow', 'warn' or 'raise' "
                                      "when xfront.numpy broadcasts operands of different ranks.")
numpy_dtype_promotion = _OptionContext("numpy_dtype_promotion", doc="'standard' or 'strict' "
                                       "implicit dtype promotion in xfront.numpy.")
default_matmul_precision = _OptionContext(
    "default_matmul_precision", doc="The precision of dot_general when none is given "
    "('default', 'high', 'highest', 'bfloat16', 'tensorfloat32', 'float32').")
default_device = _OptionContext("default_device", doc="``with default_device(d):`` new arrays "
                                "and uncommitted computations go to device d (or a platform "
                                "name such as 'cpu').")
transfer_guard = _OptionContext("transfer_guard", doc="'allow', 'log', 'disallow' (implicit "
                                "transfers), 'log_explicit', 'disallow_explicit' in every "
                                "direction (xfront/transfer_guard.py).")
transfer_guard_host_to_device = _OptionContext("transfer_guard_host_to_device")
transfer_guard_device_to_host = _OptionContext("transfer_guard_device_to_host")
transfer_guard_device_to_device = _OptionContext("transfer_guard_device_to_device")


def disable_jit(disable: bool = True):
    """``with disable_jit():`` jitted functions run op by op (so ``print`` and pdb see values).
    Same as the XFRONT_DISABLE_JIT / JAX_DISABLE_JIT environment variables."""
    return config.override("disable_jit", bool(disable))


@contextlib.contextmanager
def checking_leaks():
    """``with checking_leaks():`` raise when a jit trace leaks a tracer."""
    with config.override("check_tracer_leaks", True):
        yield


# ----------------------------------------------------------------------------------------------
# Tracing helpers.


class _CompileTimeEvalTrace(Trace):
    """Evaluates primitives whose operands are all concrete right away; the others go to the
    trace below (``ensure_compile_time_eval``)."""

    __slots__ = ()

    def process_primitive(self, prim, args, params):
        if any(isinstance(a, Tracer) for a in args):
            with set_current_trace(self.parent):
                return prim.bind(*args, **params)
        with set_current_trace(eval_trace):
            return prim.bind(*args, **params)

    def lift(self, x):
        return EvalTrace.to_array(x)

    def describe(self) -> str:
        return "inside ensure_compile_time_eval"


@contextlib.contextmanager
def ensure_compile_time_eval():
    """Inside, operations on concrete values (not tracers) run at once even while tracing (e.g.
    under jit), so their results are concrete: ``int(x.sum())`` works on them. Operations that
    involve tracers are traced as usual."""
    if _state.trace is eval_trace:
        yield
        return
    with set_current_trace(_CompileTimeEvalTrace(_state.trace)):
        yield


@contextlib.contextmanager
def named_scope(name: str):
    """Prefixes the name of every primitive traced inside with ``name`` (nested scopes join with
    '/'). Names show in the StableHLO locations (``lower(...).as_text(debug_info=True)``) and
    hence in XLA's profiles."""
    if not isinstance(name, str):
        raise XfrontTypeError(f"named_scope: the name must be a str, got {type(name).__name__}")
    changed = []
    t = _state.trace
    while t is not None:
        stack = getattr(t, "name_stack", None)
        if stack is not None:
            changed.append((t, stack))
            t.name_stack = f"{stack}/{name}" if stack else name
        t = t.parent
    try:
        yield
    finally:
        for t, stack in changed:
            t.name_stack = stack


def named_call(fun: Callable, *, name: str | None = None) -> Callable:
    """``fun`` whose traced primitives carry ``name`` (default: its ``__name__``) in their
    names, as under ``named_scope``."""
    scope = name or getattr(fun, "__name__", None) or type(fun).__name__

    @functools.wraps(fun)
    def named(*args, **kwargs):
        with named_scope(scope):
            return fun(*args, **kwargs)

    return named


def make_jaxpr(fun: Callable, static_argnums=(), axis_env=None, return_shape: bool = False,
               abstracted_axes=None):
    """``make_jaxpr(f)(*args)`` returns xfront's IR of ``f`` (a ClosedGraph that prints like a
    jaxpr); same as ``xfront.make_ir``. ``axis_env`` and ``abstracted_axes`` are not
    supported."""
    if axis_env is not None or abstracted_axes is not None:
        raise NotImplementedError("make_jaxpr: axis_env and abstracted_axes are not supported "
                                  "(trace a vmap/shard_map of the function instead)")
    from xfront.api import make_ir

    return make_ir(fun, static_argnums, return_shape=return_shape)


def closure_convert(fun: Callable, *example_args):
    """Returns ``(converted, consts)``: ``converted(*args, *consts)`` computes ``fun(*args)``
    with the floating-point arrays ``fun`` closes over (arrays, tracers of outer
    transformations) passed explicitly as ``consts`` (for custom_vjp/custom_jvp rules, whose
    functions must not close over values being differentiated)."""
    from xfront.interpreters.staging import DebugInfo, trace_to_graph

    flatten = dispatch.pytree_registry.flatten
    leaves, in_tree = flatten(example_args)
    avals = [get_aval(x) for x in leaves]
    box = []

    def flat(*xs):
        out_leaves, out_tree = flatten(fun(*in_tree.unflatten(xs)))
        box.append(out_tree)
        return out_leaves

    closed = trace_to_graph(flat, avals, DebugInfo.of("closure_convert", fun))
    out_tree = box[0]
    hoisted = [dtypes.is_inexact(get_aval(c).dtype) for c in closed.consts]
    consts = [c for c, h in zip(closed.consts, hoisted) if h]
    kept = [c for c, h in zip(closed.consts, hoisted) if not h]
    n = len(leaves)

    def converted(*args):
        if len(args) < len(consts):
            raise XfrontTypeError(f"closure_convert: expected the arguments then {len(consts)} "
                                  f"consts, got {len(args)} values")
        given = list(args[len(args) - len(consts):])
        args_leaves, tree = flatten(args[:len(args) - len(consts)])
        if len(args_leaves) != n:
            raise XfrontTypeError(f"closure_convert: {fun} was converted for {n} array "
                                  f"arguments, called with {len(args_leaves)}")
        hi, ki = iter(given), iter(kept)
        full = [next(hi) if h else next(ki) for h in hoisted]
        return out_tree.unflatten(eval_graph(ClosedGraph(closed.graph, full), *args_leaves))

    functools.update_wrapper(converted, fun, updated=())
    return converted, consts


# ----------------------------------------------------------------------------------------------
# Introspection, hosts and processes.


def typeof(x):
    """The abstract value (shape, dtype, weak type) of an array, tracer or scalar; prints as
    ``f32[3]``."""
    return get_aval(x)


def live_arrays(platform: str | None = None) -> list:
    """The single-device arrays alive on a backend (new Array objects over their buffers)."""
    return [Array._new(b, b.aval, None)
            for b in dispatch.runtime.live_single_device_buffers(platform)]


def host_count(backend: str | None = None) -> int:
    """The number of processes (JAX's older name for process_count)."""
    from xfront.api import process_count

    return process_count(backend)


def host_id(backend: str | None = None) -> int:
    """This process's index (JAX's older name for process_index)."""
    return dispatch.process_index()


def process_indices(backend: str | None = None) -> list[int]:
    """The indices of all processes: ``[0, ..., process_count() - 1]``."""
    return sorted({d.process_index for d in dispatch.devices(backend)})


host_ids = process_indices


def effects_barrier() -> None:
    """Waits until every computation dispatched so far has finished (callbacks included), then
    flushes stdout and stderr. (Programs with debug callbacks are already waited for by the
    call that runs them.)"""
    bufs = dispatch.runtime.live_single_device_buffers()
    try:
        dispatch.runtime.block_until_ready(bufs)
    except dispatch.JaxlibError:
        pass  # failed computations raise where their results are used
    sys.stdout.flush()
    sys.stderr.flush()


def copy_to_host_async(x):
    """Starts copying every Array of a pytree to the host (a later ``np.asarray`` picks the
    copy up; on CPU the data is host memory already). Returns ``x``."""
    for leaf in dispatch.pytree_registry.flatten(x)[0]:
        if isinstance(leaf, Array):
            leaf.copy_to_host_async()
    return x


def print_environment_info(return_string: bool = False):
    """Prints (or returns) versions, platform, devices and the options that differ from their
    defaults, for bug reports."""
    import xfront
    from xfront.api import default_backend, process_count

    rt = dispatch.runtime
    devs = dispatch.devices()
    changed = {k: v for k, v in config.values().items() if v not in (False, None, "allow",
                                                                     "standard")}
    lines = [
        f"xfront:    {xfront.__version__}",
        f"jaxlib:    {rt.jaxlib_version}",
        f"numpy:     {np.__version__}",
        f"python:    {sys.version.splitlines()[0]}",
        f"platform:  {platform.platform()}",
        f"backend:   {default_backend()} ({len(devs)} devices: "
        f"{', '.join(str(d) for d in devs[:8])}{', ...' if len(devs) > 8 else ''})",
        f"processes: {process_count()} (this is {dispatch.process_index()})",
        f"options:   {changed or 'defaults'}",
    ]
    text = "\n".join(lines)
    if return_string:
        return text
    print(text)
    return None

