"""The top-level transformations and runtime helpers: jit, make_ir, eval_shape, device_put, ...

``jit(f)`` traces ``f`` once per (argument structure, abstract values, static arguments) into a
graph, compiles it and caches the result; later calls go straight to the executable. Under another
transformation (or inside another jit) it binds the ``jit`` call primitive instead, so
transformations see one equation holding the sub-graph.
"""

from __future__ import annotations

import functools
import inspect
import weakref
from collections.abc import Callable

import numpy as np

from xfront import dispatch
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.config import config
from xfront.core.errors import (
    XfrontTypeError,
    XfrontValueError,
    api_boundary,
    drop_internal_frames,
)
from xfront.core.ir import ClosedGraph, ShapedArray
from xfront.core.trace import Tracer, _state, eval_trace, get_aval
from xfront.interpreters.staging import DebugInfo, trace_to_graph
from xfront.lax.call import jit_p

_registry = dispatch.pytree_registry
_flatten = _registry.flatten


class ShapeDtypeStruct:
    """An abstract array (shape, dtype): stands in for an argument in ``lower``, ``eval_shape``
    and ``make_ir``, and is what ``eval_shape`` returns. ``sharding`` (a Sharding, or a
    PartitionSpec under ``with mesh:``) is where ``jit(f).lower(...)`` places that argument when
    jit's ``in_shardings`` does not say."""

    __slots__ = ("shape", "dtype", "weak_type", "sharding")

    def __init__(self, shape, dtype, *, weak_type: bool = False, sharding=None):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = dtypes.dtype(dtype)
        self.weak_type = weak_type
        self.sharding = sharding

    ndim = property(lambda self: len(self.shape))
    size = property(lambda self: int(np.prod(self.shape, dtype=np.int64)))

    @property
    def aval(self) -> ShapedArray:
        return ShapedArray(self.shape, dtypes.canonicalize_dtype(self.dtype), self.weak_type)

    def __eq__(self, other):
        return (isinstance(other, ShapeDtypeStruct) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type
                and self.sharding == other.sharding)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type, self.sharding))

    def __repr__(self):
        weak = ", weak_type=True" if self.weak_type else ""
        sharding = f", sharding={self.sharding!r}" if self.sharding is not None else ""
        return f"ShapeDtypeStruct(shape={self.shape}, dtype={self.dtype.name}{weak}{sharding})"


# ----------------------------------------------------------------------------------------------
# Argument handling shared by jit, make_ir, eval_shape.


def _normalize_argnums(argnums, nargs: int | None, what: str) -> tuple[int, ...]:
    if argnums is None:
        return ()
    if isinstance(argnums, int):
        argnums = (argnums,)
    out = []
    for a in argnums:
        if not isinstance(a, int | np.integer):
            raise XfrontTypeError(f"{what} must be ints, got {argnums!r}")
        out.append(int(a))
    return tuple(out)


def _normalize_argnames(argnames) -> tuple[str, ...]:
    if argnames is None:
        return ()
    if isinstance(argnames, str):
        return (argnames,)
    return tuple(argnames)


def _signature(fun):
    try:
        return inspect.signature(fun)
    except (TypeError, ValueError):
        return None


def _resolve_static(fun, static_argnums, static_argnames):
    """Infers argnames <-> argnums pairs from the signature, as jax.jit does."""
    sig = _signature(fun)
    nums = set(static_argnums)
    names = set(static_argnames)
    if sig is not None:
        params = list(sig.parameters.values())
        positional = [p for p in params
                      if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        for i, p in enumerate(positional):
            if p.name in names:
                nums.add(i)
            if i in nums and p.kind is p.POSITIONAL_OR_KEYWORD:
                names.add(p.name)
    return tuple(sorted(nums)), tuple(sorted(names))


def _arg_names(fun, nargs: int) -> list[str]:
    sig = _signature(fun)
    names = []
    if sig is not None:
        for p in sig.parameters.values():
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
                names.append(p.name)
            elif p.kind is p.VAR_POSITIONAL:
                names.extend(f"{p.name}[{i}]" for i in range(nargs - len(names)))
    return names + [f"args[{i}]" for i in range(len(names), nargs)]


def _check_hashable(value, where: str):
    try:
        hash(value)
    except TypeError:
        raise XfrontValueError(
            f"{where} is a static argument, so it must be hashable; got an unhashable "
            f"{type(value).__name__} ({value!r:.60}). Pass arrays as regular (non-static) "
            "arguments, or convert lists to tuples.") from None


class _Static:
    """A static argument value, compared by equality (and hash) in cache keys."""

    __slots__ = ("value",)

    def __init__(self, value):
        self.value = value

    def __hash__(self):
        return hash(self.value)

    def __eq__(self, other):
        return type(other) is _Static and type(self.value) is type(other.value) and (
            self.value is other.value or self.value == other.value)


def _leaf_aval(x, path: str, fname: str) -> ShapedArray:
    """The abstract value a jitted function sees for argument leaf ``x``."""
    if isinstance(x, ShapeDtypeStruct):
        return x.aval
    try:
        return get_aval(x)
    except TypeError:
        raise XfrontTypeError(
            f"{fname}: argument {path} has type {type(x).__name__} ({x!r:.60}), which is not a "
            "valid array; pass arrays, NumPy arrays or Python scalars, or mark the argument "
            "static with static_argnums/static_argnames") from None


def _leaf_sharding(x, path: str, fname: str):
    """The sharding a ShapeDtypeStruct argument asks for (None for anything else)."""
    if not isinstance(x, ShapeDtypeStruct) or x.sharding is None:
        return None
    from xfront.lax.sharding import resolve_sharding

    return resolve_sharding(x.sharding, f"{fname}: argument {path}")


def _leaf_paths(args, kwargs) -> list[str]:
    from xfront.tree_util import keystr

    pairs, _ = _registry.flatten_with_path((args, kwargs))
    out = []
    for path, _ in pairs:
        head, *rest = path
        if head.idx == 0:
            out.append(f"args[{rest[0].idx}]{keystr(tuple(rest[1:]))}")
        else:
            out.append(f"{rest[0].key}{keystr(tuple(rest[1:]))}")
    return out


# ----------------------------------------------------------------------------------------------
# jit


class _CacheEntry:
    """A compiled signature: the call, and ``fast(leaves) -> outputs`` (the hot path)."""

    __slots__ = ("call", "out_tree", "fast")

    def __init__(self, call, out_tree):
        self.call = call
        self.out_tree = out_tree
        self.fast = call.caller(out_tree)


_all_jit_functions: weakref.WeakSet = weakref.WeakSet()
# The closures jit returned -> their JitFunction (an attribute alone would be copied onto any
# functools.wraps wrapper of a jitted function).
_jitted_functions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def jit_function_of(fun) -> JitFunction | None:
    try:
        return _jitted_functions.get(fun)
    except TypeError:
        return None
_shared_caches: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _clear_jit_caches(*_):
    for f in list(_all_jit_functions):
        f.clear_cache()
    _shared_caches.clear()


config.add_listener(_clear_jit_caches)


class Traced:
    """The result of tracing a jitted function for some arguments (before lowering)."""

    def __init__(self, jitted: JitFunction, closed: ClosedGraph, in_tree, out_tree, donated,
                 leaves, shardings=(None, None)):
        self.jitted = jitted
        self.closed = closed
        self.in_tree = in_tree
        self.out_tree = out_tree
        self.donated = donated
        self._leaves = leaves  # Arrays, and AbstractArgs for everything else
        self._shardings = shardings  # per argument leaf / output leaf, or None

    @property
    def graph(self) -> ClosedGraph:
        return self.closed

    def lower(self) -> Lowered:
        in_sh, out_sh = self._shardings
        module = dispatch.lower_call(self.closed, self.jitted.name, self._leaves, self.donated,
                                     in_sh, out_sh)
        return Lowered(self, module)


class Lowered:
    """A lowered jitted function: StableHLO text via ``as_text()``, then ``compile()``."""

    def __init__(self, traced: Traced, module):
        self._traced = traced
        self._module = module

    @property
    def in_tree(self):
        return self._traced.in_tree

    @property
    def out_tree(self):
        return self._traced.out_tree

    def as_text(self, dialect: str = "stablehlo", *, debug_info: bool = False) -> str:
        """The StableHLO module as MLIR text (with source locations if ``debug_info``)."""
        if dialect not in ("stablehlo", "mlir"):
            raise ValueError(f"as_text: unknown dialect {dialect!r} (xfront emits stablehlo)")
        return dispatch.module_text(self._module, debug_info)

    def compiler_ir(self, dialect: str = "stablehlo"):
        return self._module

    def compile(self) -> Compiled:
        """Compiles the lowered module as a call would: for one device, or (shardings over
        several devices) as the SPMD program whose results carry their shardings."""
        t = self._traced
        in_sh, out_sh = t._shardings
        call = dispatch.compile_call(t.closed, t.jitted.name, t._leaves, t.donated, in_sh,
                                     out_sh, module=self._module)
        return Compiled(call, t.in_tree, t.out_tree, t.jitted.name,
                        [v.aval for v in t.closed.graph.invars])


class Compiled:
    """A compiled executable for one signature. Calling it checks the arguments' avals (and
    lays arguments out as the executable expects)."""

    def __init__(self, call, in_tree, out_tree, name, in_avals):
        self._call = call
        self.in_tree = in_tree
        self.out_tree = out_tree
        self._name = name
        self._in_avals = in_avals

    def as_text(self) -> str:
        """XLA's optimized HLO for this executable."""
        return self._call.exe.hlo_text()

    def cost_analysis(self) -> dict:
        return self._call.exe.cost_analysis()

    def memory_analysis(self):
        return self._call.exe.memory_stats()

    @property
    def input_shardings(self):
        """The sharding of each argument, as ``(args, kwargs)`` pytrees."""
        return self.in_tree.unflatten(self._call.arg_shardings())

    @property
    def output_shardings(self):
        """The sharding of each result, as the output pytree."""
        return self.out_tree.unflatten(self._call.result_shardings())

    def __call__(self, *args, **kwargs):
        leaves, tree = _flatten((args, kwargs))
        if tree != self.in_tree:
            raise XfrontTypeError(
                f"{self._name}: compiled for argument structure {self.in_tree}, called with "
                f"{tree}")
        arrs = []
        for i, (x, want) in enumerate(zip(leaves, self._in_avals)):
            a = dispatch.to_array(x) if not isinstance(x, Array) else x
            if a.aval.shape != want.shape or a.aval.dtype != want.dtype:
                raise XfrontTypeError(
                    f"{self._name}: argument {i} has type {a.aval.str_short()} but the "
                    f"executable was compiled for {want.str_short()}; call the jitted function "
                    "(it recompiles per signature) or lower it again")
            a._check_alive(self._name)
            arrs.append(a)
        outs = self._call.run(arrs)
        return self.out_tree.unflatten(outs)


class JitFunction:
    """A function compiled with XLA on first call per signature (``xfront.jit``)."""

    def __init__(self, fun: Callable, static_argnums=(), static_argnames=(), donate_argnums=(),
                 donate_argnames=(), keep_unused: bool = False, name: str | None = None,
                 in_shardings=None, out_shardings=None):
        if not callable(fun):
            raise XfrontTypeError(f"jit expects a callable, got {type(fun).__name__}")
        self.fun = fun
        self.name = name or getattr(fun, "__name__", None) or type(fun).__name__
        nums = _normalize_argnums(static_argnums, None, "static_argnums")
        names = _normalize_argnames(static_argnames)
        self.static_argnums, self.static_argnames = _resolve_static(fun, nums, names)
        dnums = _normalize_argnums(donate_argnums, None, "donate_argnums")
        dnames = _normalize_argnames(donate_argnames)
        self.donate_argnums, self.donate_argnames = _resolve_static(fun, dnums, dnames)
        overlap = set(self.donate_argnums) & set(self.static_argnums)
        if overlap:
            raise XfrontValueError(
                f"jit({self.name}): arguments {sorted(overlap)} are both static and donated")
        self._plain = not (self.static_argnums or self.static_argnames or self.donate_argnums
                           or self.donate_argnames)
        # jit(f) objects made from one function with one configuration share their caches, so
        # writing jit(f)(x) in a loop does not retrace or recompile.
        config_key = (self.static_argnums, self.static_argnames, self.donate_argnums,
                      self.donate_argnames)
        self.in_shardings = in_shardings
        self.out_shardings = out_shardings
        self._has_shardings = in_shardings is not None or out_shardings is not None
        try:
            # (jit objects with shardings keep their own caches: the shardings are part of
            # what was compiled)
            per_fun = _shared_caches.setdefault(fun, {}) if not self._has_shardings else {}
        except TypeError:  # not weak-referenceable
            per_fun = {}
        caches = per_fun.get(config_key)
        if caches is None:
            caches = per_fun[config_key] = ({}, {}, {})
        self._cache: dict = caches[0]
        self._flat_cache: dict = caches[1]  # signature -> entry, when all arguments are Arrays
        self._trace_cache: dict = caches[2]
        functools.update_wrapper(self, fun, updated=())
        _all_jit_functions.add(self)

    # -- calling -------------------------------------------------------------------------------
    def __call__(self, *args, **kwargs):
        try:
            return self._call_slow(args, kwargs)
        except Exception as e:
            drop_internal_frames(e)
            raise

    def make_callable(self):
        """The function ``jit`` returns: a plain closure (cheaper to call than an object with
        ``__call__``) whose fast path, when every argument is an Array seen before, is one
        signature lookup and one executable call. Everything else goes to ``_call_slow``."""
        flat_cache, cache, slow = self._flat_cache, self._cache, self._call_slow
        state, eval_ = _state, eval_trace
        fast_ok = self._plain
        new_array = object.__new__

        def jitted(*args, **kwargs):
            try:
                if fast_ok and not kwargs and state.trace is eval_:
                    try:
                        n = len(args)
                        if n == 2:
                            key = (args[0]._sig, args[1]._sig)
                        elif n == 1:
                            key = (args[0]._sig,)
                        else:
                            key = tuple([x._sig for x in args])
                    except AttributeError:  # a pytree or a non-Array leaf
                        leaves, treedef = _flatten(args)
                        try:
                            entry = cache.get((treedef, tuple([x._sig for x in leaves])))
                        except AttributeError:
                            entry = None
                        if entry is not None:
                            return entry.fast(leaves)
                    else:
                        fast = flat_cache.get(key)
                        if fast is not None:
                            if fast.__class__ is not tuple:
                                return fast(args)
                            # The commonest case, inlined (as dispatch's call_one; see inline_spec).
                            execute, handlers, aval, name = fast
                            if n == 2:  # (a comprehension costs a frame on Python 3.11)
                                bufs = [args[0]._buf, args[1]._buf]
                            elif n == 1:
                                bufs = [args[0]._buf]
                            else:
                                bufs = [x._buf for x in args]
                            try:
                                (b,) = execute(bufs).consume_with_handlers(handlers)
                            except dispatch.JaxlibError as e:
                                raise dispatch.call_error(e, name, args) from None
                            out = new_array(Array)
                            out._buf = b
                            out.aval = aval
                            out._committed_device = None
                            out._sig = aval
                            return out
                return slow(args, kwargs)
            except Exception as e:  # free until raised: only the except path works
                drop_internal_frames(e)
                raise

        functools.update_wrapper(jitted, self.fun, updated=())
        _jitted_functions[jitted] = self
        for name in ("lower", "trace", "eval_shape"):
            setattr(jitted, name, api_boundary(getattr(self, name)))
        for name in ("clear_cache", "_cache_size"):
            setattr(jitted, name, getattr(self, name))
        return jitted

    def _split(self, args, kwargs):
        """Separates static arguments: returns (dynamic args, dynamic kwargs, static key)."""
        if self._plain:
            return args, kwargs, ()
        nargs = len(args)
        statics = []
        dyn_args = []
        for i, a in enumerate(args):
            if i in self.static_argnums or (i - nargs) in self.static_argnums:
                _check_hashable(a, f"jit({self.name}) argument {i}")
                statics.append((i, _Static(a)))
            else:
                dyn_args.append(a)
        dyn_kwargs = {}
        for k, v in kwargs.items():
            if k in self.static_argnames:
                _check_hashable(v, f"jit({self.name}) argument {k!r}")
                statics.append((k, _Static(v)))
            else:
                dyn_kwargs[k] = v
        for i in self.static_argnums:
            if i >= nargs or i < -nargs:
                sig_names = [n for n in self.static_argnames]
                if not any(n in kwargs for n in sig_names):
                    raise XfrontValueError(
                        f"jit({self.name}): static_argnums contains {i}, but the function was "
                        f"called with {nargs} positional arguments")
        return tuple(dyn_args), dyn_kwargs, tuple(statics)

    def _donation_mask(self, args, kwargs, statics) -> tuple[bool, ...]:
        if not (self.donate_argnums or self.donate_argnames):
            return ()
        static_pos = {i for i, _ in statics if isinstance(i, int)}
        mask = []
        dyn_index = 0
        for i in range(len(args) + len(static_pos)):
            if i in static_pos:
                continue
            n = len(_flatten(args[dyn_index])[0])
            mask.extend([i in self.donate_argnums] * n)
            dyn_index += 1
        for k in sorted(kwargs):
            n = len(_flatten(kwargs[k])[0])
            mask.extend([k in self.donate_argnames] * n)
        return tuple(mask)

    def _call_slow(self, args, kwargs):
        if config.disable_jit and _state.trace is eval_trace:
            return self.fun(*args, **kwargs)
        dyn_args, dyn_kwargs, statics = self._split(args, kwargs)
        if _state.trace is not eval_trace:
            return self._bind(args, kwargs, dyn_args, dyn_kwargs, statics)
        leaves, in_tree = _flatten((dyn_args, dyn_kwargs))
        arrs = []
        for x in leaves:
            if type(x) is Array:
                arrs.append(x)
            elif isinstance(x, Tracer):  # a tracer under eval: it escaped its trace
                return self._bind(args, kwargs, dyn_args, dyn_kwargs, statics)
            else:
                try:
                    arrs.append(dispatch.to_array(x))
                except TypeError:
                    paths = _leaf_paths(dyn_args, dyn_kwargs)
                    _leaf_aval(x, paths[len(arrs)], f"jit({self.name})")
                    raise
        for a in arrs:
            a._check_alive(f"jit({self.name})")
        sig = tuple([a._sig for a in arrs])
        key = (in_tree, sig, statics)
        entry = self._cache.get(key)
        if entry is None:
            entry = self._compile(args, kwargs, dyn_args, dyn_kwargs, statics, arrs, in_tree)
            self._cache[key] = entry
            if self._plain and not dyn_kwargs:
                _, args_tree = _flatten(dyn_args)
                self._cache[(args_tree, sig)] = entry
                if all(type(a) is Array for a in dyn_args):
                    self._flat_cache[sig] = entry.call.inline_spec(entry.out_tree) or entry.fast
        return entry.fast(arrs)

    def _compile(self, args, kwargs, dyn_args, dyn_kwargs, statics, arrs, in_tree):
        avals = [a.aval for a in arrs]
        closed, out_tree, _ = self._trace(args, kwargs, dyn_args, dyn_kwargs, statics, avals,
                                          in_tree)
        donated = self._donation_mask(dyn_args, dyn_kwargs, statics)
        in_sh, out_sh = self._flat_shardings(dyn_args, dyn_kwargs, out_tree)
        call = dispatch.compile_call(closed, self.name, arrs, donated, in_sh, out_sh)
        return _CacheEntry(call, out_tree)

    def _flat_shardings(self, dyn_args, dyn_kwargs, out_tree):
        """Per argument leaf and per output leaf: the requested Sharding or None (no request:
        None for the whole list)."""
        if not self._has_shardings:
            return None, None
        from xfront.lax.sharding import broadcast_prefix, resolve_sharding

        what = f"jit({self.name})"
        in_sh = out_sh = None
        if self.in_shardings is not None:
            pos = broadcast_prefix(_as_tuple_prefix(self.in_shardings, len(dyn_args)),
                                   tuple(dyn_args), what, "in_shardings")
            n_kw = len(_flatten(dyn_kwargs)[0])
            in_sh = [resolve_sharding(x, what) for x in pos] + [None] * n_kw
        if self.out_shardings is not None:
            dummy = out_tree.unflatten([0] * out_tree.num_leaves)
            out_sh = [resolve_sharding(x, what) for x in broadcast_prefix(
                self.out_shardings, dummy, what, "out_shardings")]
        return in_sh, out_sh

    def _trace(self, args, kwargs, dyn_args, dyn_kwargs, statics, avals, in_tree):
        """Traces ``fun`` for these avals: returns (closed graph, out tree, the graph with its
        consts hoisted to leading inputs). Cached unless the graph closes over tracers."""
        key = (in_tree, tuple(avals), statics)
        hit = self._trace_cache.get(key)
        if hit is not None:
            return hit
        static_pos = {i: s.value for i, s in statics if isinstance(i, int)}
        static_kw = {k: s.value for k, s in statics if isinstance(k, str)}
        nargs = len(args)
        box: list = []

        def flat_fun(*tracers):
            a, kw = in_tree.unflatten(tracers)
            it = iter(a)
            full = [static_pos[i] if (i in static_pos or (i - nargs) in static_pos)
                    else next(it) for i in range(nargs)]
            for i, v in static_pos.items():
                if i < 0:
                    full[i] = v
            leaves, out_tree = _flatten(self.fun(*full, **kw, **static_kw))
            box.append(out_tree)
            return leaves

        debug = DebugInfo.of(f"jit({self.name})", self.fun)
        closed = trace_to_graph(flat_fun, avals, debug, name_stack=f"jit({self.name})")
        g = closed.graph
        hoisted = ClosedGraph(g.replace(constvars=[], invars=g.constvars + g.invars))
        result = (closed, box[0], hoisted)
        if not any(isinstance(c, Tracer) for c in closed.consts):
            self._trace_cache[key] = result
        return result

    def _bind(self, args, kwargs, dyn_args, dyn_kwargs, statics):
        leaves, in_tree = _flatten((dyn_args, dyn_kwargs))
        paths = None
        avals = []
        for i, x in enumerate(leaves):
            try:
                avals.append(get_aval(x))
            except TypeError:
                paths = paths or _leaf_paths(dyn_args, dyn_kwargs)
                _leaf_aval(x, paths[i], f"jit({self.name})")
                raise
        closed, out_tree, hoisted = self._trace(args, kwargs, dyn_args, dyn_kwargs, statics,
                                                avals, in_tree)
        donated = self._donation_mask(dyn_args, dyn_kwargs, statics)
        ndonate = (False,) * len(closed.consts) + (donated or (False,) * len(leaves))
        in_sh, out_sh = self._flat_shardings(dyn_args, dyn_kwargs, out_tree)
        if in_sh is not None:  # nested in a trace: shardings become constraints
            from xfront.lax.sharding import sharding_constraint_p

            leaves = [x if s is None else sharding_constraint_p.bind(x, sharding=s)
                      for x, s in zip(leaves, in_sh)]
        outs = jit_p.bind(*closed.consts, *leaves, graph=hoisted, name=self.name,
                          donated=ndonate)
        if out_sh is not None:
            from xfront.lax.sharding import sharding_constraint_p

            outs = [x if s is None else sharding_constraint_p.bind(x, sharding=s)
                    for x, s in zip(outs, out_sh)]
        return out_tree.unflatten(outs)

    # -- AOT -----------------------------------------------------------------------------------
    def trace(self, *args, **kwargs) -> Traced:
        dyn_args, dyn_kwargs, statics = self._split(args, kwargs)
        leaves, in_tree = _flatten((dyn_args, dyn_kwargs))
        paths = _leaf_paths(dyn_args, dyn_kwargs)
        what = f"jit({self.name})"
        avals = [_leaf_aval(x, p, what) for x, p in zip(leaves, paths)]
        closed, out_tree, _ = self._trace(args, kwargs, dyn_args, dyn_kwargs, statics, avals,
                                          in_tree)
        donated = self._donation_mask(dyn_args, dyn_kwargs, statics) or (False,) * len(leaves)
        shardings = self._flat_shardings(dyn_args, dyn_kwargs, out_tree)
        leaves = dispatch.aot_args(leaves, avals, [_leaf_sharding(x, p, what)
                                                   for x, p in zip(leaves, paths)])
        return Traced(self, closed, in_tree, out_tree, donated, leaves, shardings)

    def lower(self, *args, **kwargs) -> Lowered:
        """Traces and lowers for these arguments (Arrays, NumPy values or ShapeDtypeStructs)."""
        return self.trace(*args, **kwargs).lower()

    def eval_shape(self, *args, **kwargs):
        t = self.trace(*args, **kwargs)
        return t.out_tree.unflatten(
            [ShapeDtypeStruct(a.shape, a.dtype, weak_type=a.weak_type)
             for a in t.closed.out_avals])

    def clear_cache(self) -> None:
        self._cache.clear()
        self._flat_cache.clear()
        self._trace_cache.clear()

    def _cache_size(self) -> int:
        return len({id(e) for e in self._cache.values()})

    def __repr__(self):
        return f"<jitted function {self.name}>"


def _as_tuple_prefix(in_shardings, nargs: int):
    """jit's in_shardings: one entry for all arguments, or a tuple/list with one per argument."""
    if isinstance(in_shardings, list):
        in_shardings = tuple(in_shardings)
    if isinstance(in_shardings, tuple) and not _is_sharding_leaf(in_shardings):
        if len(in_shardings) != nargs:
            raise XfrontValueError(
                f"jit: in_shardings has {len(in_shardings)} entries but the function was called "
                f"with {nargs} positional arguments")
        return in_shardings
    return in_shardings


def _is_sharding_leaf(x) -> bool:
    from xfront.sharding import PartitionSpec, Sharding

    return x is None or isinstance(x, Sharding | PartitionSpec)


@api_boundary
def jit(fun: Callable | None = None, *, static_argnums=None, static_argnames=None,
        donate_argnums=None, donate_argnames=None, keep_unused: bool = False,
        inline: bool = False, in_shardings=None, out_shardings=None, **unsupported):
    """Compiles ``fun`` with XLA. Use as ``jit(f)``, ``@jit`` or ``@jit(static_argnums=...)``.

    Args:
      static_argnums / static_argnames: arguments that are Python values (not arrays): the
        function is traced again for every new (hashable) value.
      donate_argnums / donate_argnames: arguments whose buffers XLA may reuse for outputs; the
        donated Arrays are deleted by the call.
    """
    if unsupported:
        raise XfrontTypeError(f"jit: unsupported arguments {sorted(unsupported)}")
    if fun is None:
        return lambda f: jit(f, static_argnums=static_argnums, static_argnames=static_argnames,
                             donate_argnums=donate_argnums, donate_argnames=donate_argnames,
                             keep_unused=keep_unused, inline=inline, in_shardings=in_shardings,
                             out_shardings=out_shardings)
    none_to_empty = lambda x: () if x is None else x  # noqa: E731  (0 is a valid argnum)
    return JitFunction(fun, none_to_empty(static_argnums), none_to_empty(static_argnames),
                       none_to_empty(donate_argnums), none_to_empty(donate_argnames),
                       keep_unused, in_shardings=in_shardings,
                       out_shardings=out_shardings).make_callable()


# ----------------------------------------------------------------------------------------------
# make_ir, eval_shape


def make_ir(fun: Callable, static_argnums=(), static_argnames=(), *, return_shape=False,
            with_source: bool = False):
    """Returns a function that traces ``fun`` and returns its IR (a printable ``ClosedGraph``).

    ``xfront.make_ir(f)(x)`` is the counterpart of ``jax.make_jaxpr``.
    """
    jitted = jit_function_of(fun)

    @functools.wraps(fun, updated=())
    def make(*args, **kwargs):
        target = jitted or JitFunction(fun, static_argnums, static_argnames)
        try:
            t = target.trace(*args, **kwargs)
        except Exception as e:
            drop_internal_frames(e)
            raise
        closed = t.closed
        if return_shape:
            shapes = t.out_tree.unflatten([ShapeDtypeStruct(a.shape, a.dtype)
                                           for a in closed.out_avals])
            return closed, shapes
        return closed

    return make


@api_boundary
def eval_shape(fun: Callable, *args, **kwargs):
    """The output shapes/dtypes of ``fun(*args)`` as ShapeDtypeStructs, without running it."""
    target = jit_function_of(fun) or JitFunction(fun)
    return target.eval_shape(*args, **kwargs)


# ----------------------------------------------------------------------------------------------
# Devices and transfers.


def devices(backend: str | None = None) -> list:
    """All devices of ``backend`` (default: the default backend)."""
    return dispatch.devices(backend)


def local_devices(process_index: int | None = None, backend: str | None = None) -> list:
    """This process's devices (or those of ``process_index``)."""
    if process_index is None:
        return dispatch.local_devices(backend)
    return [d for d in dispatch.devices(backend) if d.process_index == process_index]


def device_count(backend: str | None = None) -> int:
    return len(dispatch.devices(backend))


def local_device_count(backend: str | None = None) -> int:
    return len(dispatch.local_devices(backend))


def default_backend() -> str:
    """The platform name of the default backend: 'cpu', 'cuda', 'rocm' or 'tpu'."""
    return dispatch.default_backend()


def process_index(backend: str | None = None) -> int:
    return dispatch.process_index()


def process_count(backend: str | None = None) -> int:
    return len({d.process_index for d in dispatch.devices(backend)})


def make_array_from_single_device_arrays(shape, sharding, arrays):
    """A global Array from this process's per-device blocks (see ``xfront.dispatch``)."""
    return dispatch.make_array_from_single_device_arrays(shape, sharding, arrays)


def make_array_from_callback(shape, sharding, data_callback):
    """A global Array whose block on each local device is ``data_callback(index)``."""
    return dispatch.make_array_from_callback(shape, sharding, data_callback)


def make_array_from_process_local_data(sharding, local_data, global_shape=None):
    """A global Array from this process's part of it (e.g. its slice of the batch)."""
    return dispatch.make_array_from_process_local_data(sharding, local_data, global_shape)


def device_put(x, device=None):
    """Moves a pytree of arrays (or array-likes) to ``device``: a Device, a Sharding (e.g.
    ``NamedSharding(mesh, P("data"))``: each device gets its block), or a pytree prefix of
    them."""
    from xfront import sharding as sh

    leaves, tree = _flatten(x)
    if device is None or hasattr(device, "platform") or isinstance(device, sh.Sharding):
        targets = [device] * len(leaves)
    elif isinstance(device, tuple | list | dict):
        from xfront.lax.sharding import broadcast_prefix

        targets = broadcast_prefix(device, x, "device_put", "device")
    else:
        raise XfrontTypeError(f"device_put: expected a Device or a Sharding, got {device!r}")
    out = []
    for leaf, t in zip(leaves, targets):
        if isinstance(t, sh.PartitionSpec):
            from xfront.lax.sharding import resolve_sharding

            t = resolve_sharding(t, "device_put")
        if t is None or hasattr(t, "platform"):
            out.append(dispatch.device_put(leaf, t))
        elif isinstance(t, sh.Sharding):
            out.append(dispatch.device_put_sharded(leaf, t))
        else:
            raise XfrontTypeError(f"device_put: expected a Device or a Sharding, got {t!r}")
    return tree.unflatten(out)


def device_get(x):
    """Copies a pytree of Arrays to the host as NumPy arrays (other leaves pass through)."""
    leaves, tree = _flatten(x)
    for leaf in leaves:
        if isinstance(leaf, Array):
            leaf.block_until_ready()
    return tree.unflatten([np.asarray(leaf) if isinstance(leaf, Array) else leaf
                           for leaf in leaves])


def block_until_ready(x):
    """Waits for every Array in a pytree; returns it."""
    leaves = [leaf for leaf in _flatten(x)[0] if isinstance(leaf, Array)]
    for leaf in leaves:
        leaf._check_alive("block_until_ready")
    dispatch.block_until_ready([leaf._buf for leaf in leaves])
    return x


def clear_caches() -> None:
    """Drops every compiled executable and traced graph."""
    dispatch.clear_caches()
    _clear_jit_caches()
