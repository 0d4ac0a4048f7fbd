"""Staging: trace a Python function into a ``ClosedGraph`` (what jit, make_ir and eval_shape use).

The ``StagingTrace`` records one equation per primitive application. Values it does not own are
constants: Python and NumPy scalars become inline ``Literal``s; arrays and tracers of enclosing
transformations become constvars, whose values are returned as the closed graph's consts (jit
passes them to the executable as leading arguments).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence

import numpy as np

from xfront.core import errors
from xfront.core.config import config
from xfront.core.ir import ClosedGraph, Eqn, Graph, ShapedArray, Var, dce_closed
from xfront.core.trace import (
    Trace,
    Tracer,
    _state,
    escaped_tracer_error,
    get_aval,
    infer_avals,
    invalid_input_error,
    is_concrete_scalar,
    literal_of,
)


class DebugInfo:
    """What is being traced, for error messages: ``jit(f)`` of ``f`` defined at file:line."""

    __slots__ = ("traced_for", "func_name", "func_src", "arg_names")

    def __init__(self, traced_for: str, func_name: str, func_src: str | None,
                 arg_names: Sequence[str] | None = None):
        self.traced_for = traced_for
        self.func_name = func_name
        self.func_src = func_src
        self.arg_names = arg_names

    @classmethod
    def of(cls, traced_for: str, fun: Callable, arg_names=None) -> DebugInfo:
        name = getattr(fun, "__name__", None) or type(fun).__name__
        code = getattr(getattr(fun, "__wrapped__", fun), "__code__", None)
        src = f"{code.co_filename}:{code.co_firstlineno}" if code is not None else None
        return cls(traced_for, name, src, arg_names)

    def describe(self) -> str:
        where = f" defined at {self.func_src}" if self.func_src else ""
        return f"while tracing the function {self.func_name}{where} for {self.traced_for}"


class StagingTracer(Tracer):
    """A value of a staged program: ``atom`` is a Var, or a Literal for a lifted constant.
    (Tracer attribute names must not collide with array methods such as ``var``.)"""

    __slots__ = ("atom",)

    def __init__(self, trace: StagingTrace, atom):
        self._trace = trace
        self.atom = atom

    @property
    def aval(self) -> ShapedArray:
        return self.atom.aval


class StagingTrace(Trace):
    __slots__ = ("eqns", "invars", "constvars", "consts", "_const_ids", "debug_info",
                 "name_stack")

    def __init__(self, parent: Trace | None, debug_info: DebugInfo | None = None,
                 name_stack: str = ""):
        super().__init__(parent)
        self.eqns: list[Eqn] = []
        self.invars: list[Var] = []
        self.constvars: list[Var] = []
        self.consts: list = []
        self._const_ids: dict[int, Var] = {}
        self.debug_info = debug_info
        self.name_stack = name_stack

    def describe(self) -> str:
        if self.debug_info is None:
            return "while staging a program"
        return self.debug_info.describe()

    def lift(self, x):
        return StagingTracer(self, self.to_atom(x))

    def new_arg(self, aval: ShapedArray) -> StagingTracer:
        v = Var(aval)
        self.invars.append(v)
        return StagingTracer(self, v)

    def to_atom(self, x):
        if type(x) is StagingTracer and x._trace is self:
            return x.atom
        if is_concrete_scalar(x):
            return literal_of(x)
        if isinstance(x, np.ndarray) and x.ndim == 0:
            return literal_of(x[()])
        return self._const_var(x)

    def _const_var(self, x) -> Var:
        v = self._const_ids.get(id(x))
        if v is not None:
            return v
        if isinstance(x, Tracer):
            if not x._trace.alive:
                raise escaped_tracer_error(x, self.describe())
        elif not hasattr(x, "aval") and not isinstance(x, np.ndarray):
            raise invalid_input_error(x)
        v = Var(get_aval(x))
        self._const_ids[id(x)] = v
        self.constvars.append(v)
        self.consts.append(x)
        return v

    def process_primitive(self, prim, args, params):
        atoms = [self.to_atom(x) for x in args]
        out = infer_avals(prim, [a.aval for a in atoms], params)
        src = _state.source_info or errors.user_source_info(self.name_stack)
        if prim.multiple_results:
            outvars = [Var(a) for a in out]
            self.eqns.append(Eqn(prim, atoms, params, outvars, src))
            return [StagingTracer(self, v) for v in outvars]
        v = Var(out)
        self.eqns.append(Eqn(prim, atoms, params, [v], src))
        return StagingTracer(self, v)

    def add_eqn(self, eqn: Eqn) -> None:
        self.eqns.append(eqn)

    def to_graph(self, outs: Sequence, debug_name: str = "") -> ClosedGraph:
        outvars = [self.to_atom(x) for x in outs]
        graph = Graph(self.constvars, self.invars, self.eqns, outvars, debug_name)
        return ClosedGraph(graph, self.consts)


def trace_to_graph(fun: Callable[..., Sequence], in_avals: Sequence[ShapedArray],
                   debug_info: DebugInfo | None = None, *, name_stack: str = "",
                   dce: bool = True) -> ClosedGraph:
    """Traces ``fun(*tracers) -> list of outputs`` into a closed graph.

    ``fun`` takes and returns flat lists; pytree handling is the caller's. Consts of the result are
    the arrays and outer tracers ``fun`` closed over, in first-use order.
    """
    parent = _state.trace
    trace = StagingTrace(parent, debug_info, name_stack)
    args = [trace.new_arg(a) for a in in_avals]
    _state.trace = trace
    try:
        outs = fun(*args)
        outs = list(outs)
        closed = trace.to_graph(outs, debug_info.func_name if debug_info else "")
    finally:
        _state.trace = parent
        trace.invalidate()
    if config.check_tracer_leaks:  # (xfront.check_tracer_leaks: a debugging mode)
        del args, outs
        _check_leaks(trace, debug_info.traced_for if debug_info else "a traced function")
    if dce:
        closed = dce_closed(closed)
    return closed


def _check_leaks(trace: Trace, what: str) -> None:
    """Raises UnexpectedTracerError if a tracer of the finished ``trace`` is still referenced."""
    gc.collect()
    leaked = [r for r in gc.get_referrers(trace) if isinstance(r, Tracer) and r._trace is trace]
    if not leaked:
        return
    holders = []
    for t in leaked[:3]:
        for r in gc.get_referrers(t):
            if r is leaked:
                continue
            kind = type(r).__name__
            if isinstance(r, dict) and "__name__" in r:
                kind = f"the globals of module {r['__name__']}"
            holders.append(kind)
    raise errors.UnexpectedTracerError(
        f"check_tracer_leaks: {len(leaked)} tracer(s) of {what} ({leaked[0].aval.str_short()}, "
        f"...) outlived the trace; still referenced by: {', '.join(holders) or 'unknown'}. A "
        "traced value was stored outside the function (a global, a closure, an object "
        "attribute); return it instead.")
