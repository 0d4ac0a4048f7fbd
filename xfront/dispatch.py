"""Where xfront reaches ``lowering``: eager execution of primitives, compilation of graphs, and
host<->device transfers. No other xfront module imports ``lowering``.

Eager: a primitive applied to concrete Arrays runs as a one-equation program, compiled once per
(primitive, params, argument avals and placement) and cached. jit: a traced graph is lowered,
compiled and wrapped in a ``CompiledCall`` that ``xfront.api`` caches per signature.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Sequence

import numpy as np

import lowering.rules  # noqa: F401  (registers every lowering rule)
from lowering import builder, runtime
from lowering.rules import callback as _callback_rules
from xfront import array as _array
from xfront.core import dtypes
from xfront.core.config import config
from xfront.core.errors import (
    DeletedArrayError,
    XfrontTypeError,
    XfrontValueError,
    XlaRuntimeError,
)
from xfront.core.ir import ClosedGraph, Eqn, Graph, Literal, ShapedArray, Var
from xfront.core.trace import (
    EvalTrace,
    Tracer,
    escaped_tracer_error,
    infer_avals,
    invalid_input_error,
)
from xfront.lax.call import jit_p
from xfront.lax.callback import take_callback_error
from xfront.transfer_guard import check_host_to_device

Array = _array.Array
JaxlibError = runtime.JaxlibError
pytree_registry = runtime.pytree_registry

# ----------------------------------------------------------------------------------------------
# Devices.


def devices(backend: str | None = None) -> list:
    return runtime.devices(backend)


def local_devices(backend: str | None = None) -> list:
    return runtime.local_devices(backend)


def default_backend() -> str:
    return runtime.default_platform()


_default_device = None


_default_device_changed = False  # once set, uncommitted arguments may be on any device


def default_device():
    global _default_device
    chosen = config.default_device  # (xfront.default_device)
    if chosen is not None:
        global _default_device_changed
        _default_device_changed = True
        return chosen if not isinstance(chosen, str) else runtime.local_devices(chosen)[0]
    if _default_device is None:
        _default_device = runtime.local_devices()[0]
    return _default_device


def backends() -> dict:
    return runtime.backends()


# ----------------------------------------------------------------------------------------------
# Host -> device.


def _host_array(x, aval: ShapedArray) -> np.ndarray:
    """``x`` as a NumPy array of ``aval``'s dtype (xfront converts; the runtime would not)."""
    arr = np.asarray(x)
    if arr.dtype != aval.dtype:
        arr = arr.astype(aval.dtype)
    return arr


def put(x, aval: ShapedArray, device=None, committed: bool = False) -> Array:
    """Copies host data ``x`` (already valid for ``aval``) to ``device``."""
    dev = device if device is not None else default_device()
    buf = runtime.device_put(_host_array(x, aval), aval, dev)
    return Array._new(buf, aval, dev if committed else None)


_scalar_cache: dict = {}


def _scalar_key(x):
    t = type(x)
    if t is float:
        return (t, x, math.copysign(1.0, x))  # keeps 0.0 and -0.0 apart
    if t is complex:
        return (t, x, math.copysign(1.0, x.real), math.copysign(1.0, x.imag))
    return (t, x)


def to_array(x) -> Array:
    """Any concrete array-like (Array, Literal, NumPy value, Python scalar) as an Array."""
    t = type(x)
    if t is Array:
        return x
    if t is Literal:
        return put(np.asarray(x.val), x.aval)
    if t in (float, int, bool, complex):
        key = _scalar_key(x)
        hit = _scalar_cache.get(key)
        if hit is not None:
            return hit
        from xfront.core.trace import literal_of

        lit = literal_of(x)
        arr = put(np.asarray(lit.val), lit.aval)
        if len(_scalar_cache) > 512:
            _scalar_cache.clear()
        _scalar_cache[key] = arr
        return arr
    if isinstance(x, np.ndarray | np.generic):
        from xfront.core.trace import get_aval

        check_host_to_device(x, explicit=False)  # (xfront.transfer_guard)
        return put(x, get_aval(x))
    if isinstance(x, Tracer):
        raise escaped_tracer_error(x, "eager evaluation")
    if isinstance(x, list | tuple):
        raise XfrontTypeError(
            f"a {t.__name__} was passed where an array is expected; convert it with "
            "xfront.numpy.asarray(...) first")
    raise invalid_input_error(x)


EvalTrace.to_array = staticmethod(to_array)


def device_put(x, device=None) -> Array:
    """Places an array-like on ``device`` (committing it there), or the default device."""
    if isinstance(x, Array):
        if _array_sharding(x) is not None:
            if device is None:
                return x
            x._check_alive("device_put")
            return put(to_numpy(x), x.aval, device, committed=True)
        if device is None or x.device == device:
            return x if device is None else x._with_device(device, committed=True)
        x._check_alive("device_put")
        buf = runtime.copy_to_device(x._buf, x.aval, device)
        return Array._new(buf, x.aval, device)
    if isinstance(x, np.ndarray | np.generic):
        from xfront.core.trace import get_aval

        check_host_to_device(x, explicit=True)
        # straight to its device
        return put(x, get_aval(x), device, committed=device is not None)
    arr = to_array(x)
    if device is None:
        return arr  # (scalar cache entries are uncommitted)
    return device_put(arr, device)


# ----------------------------------------------------------------------------------------------
# Device -> host.

# Dtypes the buffer protocol refuses (ml_dtypes' bfloat16, float8 ...) are read as unsigned
# integers of their width (bitcast on the device) and viewed back on the host.
_bitcast_for_host = {dt: np.dtype(f"uint{8 * dt.itemsize}")
                     for dt in (dtypes.bfloat16, dtypes.float8_e4m3fn, dtypes.float8_e5m2)}


def to_numpy(arr: Array) -> np.ndarray:
    """A read-only NumPy view of an Array (copies nothing on CPU)."""
    arr._check_alive("converting to a NumPy array")
    sharding = _array_sharding(arr)
    if sharding is not None and sharding.num_devices > 1:
        return _sharded_to_numpy(arr, sharding)
    dt = arr.aval.dtype
    via = _bitcast_for_host.get(dt)
    try:
        if via is None:
            return runtime.to_host(arr._buf)
        from xfront.lax.elementwise import bitcast_convert_type_p

        bits = apply_primitive(bitcast_convert_type_p, (arr,), {"new_dtype": via})
        return runtime.to_host(bits._buf).view(dt)
    except JaxlibError as e:
        raise _runtime_error(e, "reading an array back to the host") from None


# ----------------------------------------------------------------------------------------------
# Compilation.


class CompiledCall:
    """A compiled graph ready to run: its executable, device, and output avals."""

    __slots__ = ("exe", "device", "committed", "out_avals", "const_bufs", "in_avals", "name",
                 "donated", "module", "_move_uncommitted", "_execute", "_handlers", "_out_dev",
                 "_out_pairs", "_effects", "_nan_graph")

    def __init__(self, exe, device, committed, out_avals, const_bufs, in_avals, name,
                 donated, module):
        self.exe = exe
        self.device = device
        self.committed = committed
        self.out_avals = out_avals
        self.const_bufs = const_bufs
        self.in_avals = in_avals
        self.name = name
        self.donated = donated
        self.module = module
        # Uncommitted arrays live on the default device; a computation committed elsewhere
        # (because another argument is) moves them first.
        # (Under xfront.default_device, uncommitted arrays may live on the previous default.)
        self._move_uncommitted = (committed and device != default_device()) or (
            _default_device_changed)
        self._execute = exe.execute_raw
        self._handlers = exe.handlers
        self._out_dev = device if committed else None
        self._out_pairs = [(a, a if not committed else (a, device)) for a in out_avals]
        # Debugging hooks (both disable the inlined fast path): programs with effectful host
        # callbacks are waited for (prints done when the call returns); with debug_nans the
        # results are checked (xfront/nan_check.py; compile_closed sets the graph to re-run).
        self._effects = _callback_rules.module_has_effects(module)
        self._nan_graph = None

    def run(self, args: Sequence[Array]) -> list[Array]:
        """Runs on Arrays already checked against ``in_avals``; returns output Arrays."""
        if self._move_uncommitted:
            args = [a if a._committed_device is not None else device_put(a, self.device)
                    for a in args]
        bufs = [a._buf for a in args]
        if self.const_bufs:
            bufs = self.const_bufs + bufs
        try:
            if self._effects:
                outs = runtime.execute_and_wait(self._execute, bufs, self._handlers)
            else:
                outs = self._execute(bufs).consume_with_handlers(self._handlers)
        except JaxlibError as e:
            raise call_error(e, self.name, args) from None
        dev = self._out_dev
        new = Array._new_with_sig
        res = [new(b, aval, dev, sig) for b, (aval, sig) in zip(outs, self._out_pairs)]
        if self._nan_graph is not None:
            from xfront import nan_check

            nan_check.check_call(self._nan_graph, self.name, args, res)
        return res

    def arg_shardings(self) -> list:
        from xfront.sharding import SingleDeviceSharding

        return [SingleDeviceSharding(self.device)] * len(self.in_avals)

    def result_shardings(self) -> list:
        from xfront.sharding import SingleDeviceSharding

        return [SingleDeviceSharding(self.device)] * len(self.out_avals)

    def inline_spec(self, out_tree):
        """``(execute, handlers, out_aval, name)`` when the call may be inlined by the caller
        (one output, no consts, nothing committed), else None. ``caller`` and the jit fast path
        in ``xfront.api`` inline it: a Python call frame is a measurable part of a 4 us call."""
        if (self.const_bufs or self._move_uncommitted or self.committed
                or len(self.out_avals) != 1 or out_tree.num_nodes != 1 or self._effects
                or self._nan_graph is not None):
            return None
        return (self._execute, self._handlers, self.out_avals[0], self.name)

    def caller(self, out_tree):
        """A closure ``leaves -> outputs rebuilt as out_tree`` (the eager and jit hot path)."""
        spec = self.inline_spec(out_tree)
        if spec is None:
            run = self.run
            if out_tree.num_leaves == 1 and out_tree.num_nodes == 1:
                return lambda leaves: run(leaves)[0]
            return lambda leaves: out_tree.unflatten(run(leaves))
        execute, handlers, aval, name = spec
        new = _new_array

        def call_one(leaves):
            n = len(leaves)
            if n == 2:  # (a comprehension costs a frame on Python 3.11)
                bufs = [leaves[0]._buf, leaves[1]._buf]
            elif n == 1:
                bufs = [leaves[0]._buf]
            else:
                bufs = [a._buf for a in leaves]
            try:
                (b,) = execute(bufs).consume_with_handlers(handlers)
            except JaxlibError as e:
                raise call_error(e, name, leaves) from None
            a = new(Array)
            a._buf = b
            a.aval = aval
            a._committed_device = None
            a._sig = aval
            return a

        return call_one


_new_array = object.__new__


def lower(closed: ClosedGraph, name: str, donated: Sequence[bool] = (), platform=None):
    """Lowers a const-free closed graph to a verified StableHLO module."""
    plat = platform or default_device().platform
    return builder.lower_graph(closed, name=name, platform=plat, donated=tuple(donated))


def module_text(module, debug_info: bool = False) -> str:
    return builder.module_text(module, debug_info)


def compile_closed(closed: ClosedGraph, name: str, device=None, committed: bool = False,
                   donated: Sequence[bool] = (), module=None) -> CompiledCall:
    """Compiles a closed graph. Its consts become leading executable arguments (device arrays
    made once here), so large constants are never baked into the program text."""
    dev = device if device is not None else default_device()
    graph = closed.graph
    const_bufs = []
    if graph.constvars:
        hoisted = Graph([], graph.constvars + graph.invars, graph.eqns, graph.outvars,
                        graph.debug_name)
        for c, v in zip(closed.consts, graph.constvars):
            const_bufs.append(_const_buffer(c, v.aval, dev))
        to_lower = ClosedGraph(hoisted, [])
        donated = (False,) * len(graph.constvars) + tuple(donated)
    else:
        to_lower = closed
    if module is None:
        module = lower(to_lower, name, donated, dev.platform)
    exe = _compile_cached(module, dev, to_lower.out_avals, name)
    call = CompiledCall(exe, dev, committed, to_lower.out_avals, const_bufs, graph.in_avals,
                        name, tuple(donated), module)
    if config.debug_nans or config.debug_infs:
        call._nan_graph = closed
    return call


_compile_cache: dict = {}
_COMPILE_CACHE_SIZE = 4096


def _compile_cached(module, device, out_avals, name):
    """Compiles ``module`` for ``device``, reusing an executable compiled from the same text
    (e.g. two jit objects wrapping one function, or the same program lowered twice)."""
    text = builder.module_text(module)
    key = (text, device, tuple(out_avals))
    exe = _compile_cache.get(key)
    if exe is None:
        start = time.perf_counter()
        try:
            exe = runtime.compile_module(module, device, out_avals)
        except JaxlibError as e:
            raise _runtime_error(e, f"compiling {name}") from None
        if config.log_compiles:  # (xfront.log_compiles)
            logging.getLogger("xfront").warning(
                "Compiled %s on %s in %.1f ms (results: %s)", name, device,
                1e3 * (time.perf_counter() - start),
                ", ".join(a.str_short() for a in out_avals) or "none")
        if len(_compile_cache) >= _COMPILE_CACHE_SIZE:
            _compile_cache.pop(next(iter(_compile_cache)))
        _compile_cache[key] = exe
    return exe


def _const_buffer(c, aval: ShapedArray, device):
    if isinstance(c, Array):
        c._check_alive("a constant captured by a jitted function")
        if _array_sharding(c) is not None:
            return runtime.device_put(np.asarray(to_numpy(c)), aval, device)
        if c.device != device:
            return runtime.copy_to_device(c._buf, c.aval, device)
        return c._buf
    return runtime.device_put(_host_array(c, aval), aval, device)


# ----------------------------------------------------------------------------------------------
# Eager primitives.

_eager_cache: dict = {}


def apply_primitive(prim, args, params):
    """Runs one primitive on concrete values (EvalTrace's default implementation)."""
    try:
        n = len(args)  # (comprehensions cost a frame on Python 3.11: unroll the common arities)
        if n == 2:
            key = (prim, tuple(params.items()), args[0]._sig, args[1]._sig)
        elif n == 1:
            key = (prim, tuple(params.items()), args[0]._sig)
        else:
            key = (prim, tuple(params.items()), *[x._sig for x in args])
    except AttributeError:  # some argument is not an Array yet
        args = [x if type(x) is Array else to_array(x) for x in args]
        key = (prim, tuple(params.items()), *[x._sig for x in args])
    fast = _eager_cache.get(key)
    if fast is None:
        call = _compile_primitive(prim, args, params)
        n = len(call.out_avals)
        out_tree = _flatten([0] * n)[1] if prim.multiple_results else _LEAF
        fast = _eager_cache[key] = call.caller(out_tree)
    return fast(args)


_flatten = pytree_registry.flatten
_LEAF = _flatten(0)[1]


def _eval_process_primitive(self, prim, args, params):
    impl = prim.impl
    if impl is None:
        return apply_primitive(prim, args, params)
    return impl(prim, args, params)


def _compile_primitive(prim, arrs, params) -> CompiledCall:
    in_avals = [a.aval for a in arrs]
    out = infer_avals(prim, in_avals, params)
    out_avals = list(out) if prim.multiple_results else [out]
    invars = [Var(a) for a in in_avals]
    outvars = [Var(a) for a in out_avals]
    graph = Graph([], invars, [Eqn(prim, invars, params, outvars)], outvars, prim.name)
    return compile_call(ClosedGraph(graph, []), prim.name, arrs)


EvalTrace.default_impl = staticmethod(apply_primitive)
EvalTrace.process_primitive = _eval_process_primitive


def placement(arrs: Sequence[Array], what: str):
    """The device a computation on ``arrs`` runs on, and whether its results are committed."""
    device = None
    for a in arrs:
        d = a._committed_device
        if d is not None:
            if device is not None and d != device:
                raise XfrontTypeError(
                    f"{what}: arguments are committed to different devices ({device} and {d}); "
                    "move them with xfront.device_put first")
            device = d
    if device is None:
        return default_device(), False
    return device, True


def _jit_impl(prim, args, params):
    """Eager evaluation of a ``jit`` equation (a jitted function called under no trace is
    handled by ``xfront.api`` directly; this runs e.g. a graph built by make_ir)."""
    arrs = [a if type(a) is Array else to_array(a) for a in args]
    graph = params["graph"]
    key = (id(graph), *[a._sig for a in arrs])
    entry = _jit_graph_cache.get(key)
    if entry is None or entry[0] is not graph:
        call = compile_call(graph, params["name"], arrs, params["donated"])
        entry = _jit_graph_cache[key] = (graph, call)
    return entry[1].run(arrs)


_jit_graph_cache: dict = {}
jit_p.def_impl(_jit_impl)


def clear_caches(*_):
    _eager_cache.clear()
    _compile_cache.clear()
    _jit_graph_cache.clear()
    _scalar_cache.clear()


config.add_listener(clear_caches)


# ----------------------------------------------------------------------------------------------
# Runtime errors, translated.


def _runtime_error(e: Exception, doing: str) -> Exception:
    raised = take_callback_error(e, doing)  # a host callback's own exception, re-raised as itself
    if raised is not None:
        return raised
    return XlaRuntimeError(f"XLA runtime error while {doing}: {e}")


def call_error(e: Exception, name: str, args: Sequence[Array]) -> Exception:
    deleted = [i for i, a in enumerate(args) if a._buf.is_deleted()]
    if deleted:
        i = deleted[0]
        return DeletedArrayError(
            f"{name}: argument {i} ({args[i].aval.str_short()}) is an Array that was deleted "
            "or donated to an earlier jitted call; its buffer is gone. Keep a copy (x.copy()) "
            "if you need the value after donating it.")
    msg = str(e)
    if "donated in the same call" in msg or "previously donated" in msg:
        return DeletedArrayError(
            f"{name}: the same Array was passed both as a donated argument and as another "
            f"argument ({msg})")
    return _runtime_error(e, f"running {name}")


def block_until_ready(bufs) -> None:
    try:
        runtime.block_until_ready(bufs)
    except JaxlibError as e:
        raise _runtime_error(e, "waiting for a result") from None


# ----------------------------------------------------------------------------------------------
# Several devices: sharded transfers, reads and SPMD computations.


def process_index() -> int:
    return default_device().client.process_index()


def _rt_sharding(sharding, ndim: int):
    """The runtime's layout object for an xfront Sharding over an array of rank ``ndim``."""
    return runtime.tiled_sharding(tuple(sharding._device_assignment), sharding._tile(ndim))


def _array_sharding(a: Array):
    """An Array's xfront sharding if it spans several devices (or is a NamedSharding)."""
    try:
        return a._sharding
    except AttributeError:
        return None


def device_put_sharded(x, sharding) -> Array:
    """Lays ``x`` (an Array or array-like) out as ``sharding``."""
    from xfront import sharding as sh

    if isinstance(x, Tracer):
        from xfront.lax.sharding import sharding_constraint_p

        return sharding_constraint_p.bind(x, sharding=sharding)
    if isinstance(sharding, sh.SingleDeviceSharding):
        return device_put(x, sharding.device)
    if isinstance(x, np.ndarray | np.generic):  # host data goes straight to the blocks
        from xfront.core.trace import get_aval

        aval = get_aval(x)
        host = _host_array(x, aval)
    else:
        arr = x if type(x) is Array else to_array(x)
        if _array_sharding(arr) == sharding:
            return arr
        arr._check_alive("device_put")
        aval = arr.aval
        host = None
    if hasattr(sharding, "check_shape"):
        sharding.check_shape(aval.shape, "device_put: ")
    if host is None:
        host = np.asarray(to_numpy(arr))
    devs, shards = [], []
    local = sharding.addressable_devices
    for d, idx in sharding.devices_indices_map(aval.shape).items():
        if d in local:
            devs.append(d)
            # (np.ascontiguousarray would make a 0-d block 1-d)
            shards.append(np.asarray(host[idx], order="C"))
    order = {d: i for i, d in enumerate(sharding._device_assignment)}
    pairs = sorted(zip(devs, shards), key=lambda p: order[p[0]])
    buf = runtime.put_shards([s for _, s in pairs], aval, [d for d, _ in pairs],
                             _rt_sharding(sharding, aval.ndim))
    return Array._new_sharded(buf, aval, sharding)


def _sharded_to_numpy(arr: Array, sharding) -> np.ndarray:
    shards = addressable_shards(arr)
    if sharding.is_fully_replicated:
        return np.asarray(to_numpy(shards[0].data))
    if not sharding.is_fully_addressable:
        raise XfrontTypeError(
            f"reading an array ({arr.aval.str_short()}) sharded over devices of other processes: "
            "only this process's blocks are here (use x.addressable_shards, or "
            "multihost_utils-style gathering with a jitted all_gather first)")
    if len(shards) == 1:
        return np.asarray(to_numpy(shards[0].data))
    out = np.empty(arr.aval.shape, arr.aval.dtype)
    done = set()
    for s in shards:
        key = _index_key(s.index)
        if key not in done:
            done.add(key)
            out[s.index] = np.asarray(to_numpy(s.data))
    out.flags.writeable = False
    return out


def _index_key(index) -> tuple:
    return tuple((s.start, s.stop) for s in index)


def replica_ids(sharding, shape) -> dict:
    """{device: replica id} over *all* the sharding's devices (as JAX): the devices holding the
    same block are numbered 0, 1, ... in the sharding's device order, across processes."""
    index_map = sharding.devices_indices_map(tuple(shape))
    count: dict = {}
    out = {}
    for d in sharding._device_assignment:
        key = _index_key(index_map[d])
        out[d] = count.get(key, 0)
        count[key] = out[d] + 1
    return out


def addressable_shards(arr: Array) -> list:
    from xfront.array import Shard

    arr._check_alive("addressable_shards")
    sharding = _array_sharding(arr)
    if sharding is None:
        return [Shard(arr.device, (slice(None),) * arr.ndim, arr, 0)]
    shape = arr.aval.shape
    index_map = sharding.devices_indices_map(shape)
    rids = replica_ids(sharding, shape)
    local = [d for d in sharding._device_assignment if d in sharding.addressable_devices]
    bufs = runtime.shard_buffers(arr._buf) if len(local) > 1 or sharding.num_devices > 1 \
        else [arr._buf]
    out = []
    for d, b in zip(local, bufs):
        idx = index_map[d]
        block = tuple(len(range(*s.indices(n))) for s, n in zip(idx, shape))
        aval = ShapedArray(block, arr.aval.dtype, arr.aval.weak_type)
        out.append(Shard(d, idx, Array._new(b, aval, d), rids[d]))
    return out


def _graph_meshes(closed: ClosedGraph, found: list) -> None:
    """Collects the meshes named by shard_map / sharding_constraint equations (recursively)."""
    for eqn in closed.graph.eqns:
        for k, v in eqn.params.items():
            if k == "mesh" and v not in found:
                found.append(v)
            elif k == "sharding" and hasattr(v, "mesh") and v.mesh not in found:
                found.append(v.mesh)
            elif isinstance(v, ClosedGraph):
                _graph_meshes(v, found)
            elif isinstance(v, tuple) and v and isinstance(v[0], ClosedGraph):
                for g in v:
                    _graph_meshes(g, found)


def spmd_assignment(arrs, in_shardings, out_shardings, closed: ClosedGraph, what: str):
    """The device assignment and mesh of a computation over several devices, or (None, None)
    when it runs on one device."""
    from xfront import sharding as sh

    candidates = []
    for s in list(in_shardings or ()) + list(out_shardings or ()):
        if s is not None and not isinstance(s, sh.SingleDeviceSharding):
            candidates.append(s)
    for a in arrs:
        s = _array_sharding(a)
        if s is not None:
            candidates.append(s)
    meshes: list = []
    _graph_meshes(closed, meshes)
    if not candidates and not meshes:
        return None, None
    mesh = meshes[0] if meshes else next(
        (s.mesh for s in candidates if isinstance(s, sh.NamedSharding)), None)
    devices = mesh.flat_devices if mesh is not None else tuple(candidates[0]._device_assignment)
    want = set(devices)
    for s in candidates:
        if set(s._device_assignment) != want:
            raise XfrontValueError(
                f"{what}: arguments and shardings span different device sets: "
                f"{sorted(d.id for d in want)} and {sorted(d.id for d in s.device_set)}; move "
                "the arrays with xfront.device_put first")
    for m in meshes:
        if set(m.flat_devices) != want:
            raise XfrontValueError(f"{what}: meshes {mesh} and {m} use different devices")
    if mesh is None:
        mesh = sh.Mesh(np.array(devices, dtype=object), ("_devices",))
    return devices, mesh


def compile_call(closed: ClosedGraph, name: str, arrs, donated=(), in_shardings=None,
                 out_shardings=None, module=None):
    """Compiles ``closed`` for arguments ``arrs``: on one device, or as an SPMD program when
    shardings (explicit, carried by the arguments, or named in the graph) span several.
    ``module``: the module ``lower_call`` made for the same arguments (``Lowered.compile``)."""
    devices, mesh = spmd_assignment(arrs, in_shardings, out_shardings, closed, name)
    if devices is None:
        device, committed = placement(arrs, name)
        return compile_closed(closed, name, device, committed, donated, module)
    return compile_spmd(closed, name, devices, mesh, arrs, in_shardings, out_shardings, donated,
                        module)


class AbstractArg:
    """An argument known only by its aval and requested placement (a ShapeDtypeStruct, a NumPy
    value) when lowering or compiling ahead of time; it answers the placement questions
    ``compile_call`` asks an Array."""

    __slots__ = ("aval", "_sharding", "_committed_device")

    def __init__(self, aval: ShapedArray, sharding=None):
        from xfront import sharding as sh

        self.aval = aval
        self._sharding = None
        self._committed_device = None
        if isinstance(sharding, sh.SingleDeviceSharding):
            self._committed_device = sharding.device
        elif sharding is not None:
            if hasattr(sharding, "check_shape"):
                sharding.check_shape(aval.shape, f"argument {aval.str_short()}: ")
            self._sharding = sharding


def aot_args(leaves, avals, shardings) -> list:
    """Arrays as they are; every other argument leaf as an AbstractArg of its aval and the
    sharding its ShapeDtypeStruct asked for (None: placed like a NumPy value)."""
    return [x if type(x) is Array else AbstractArg(a, s)
            for x, a, s in zip(leaves, avals, shardings)]


def _spmd_layouts(closed, name, mesh, arrs, in_shardings, out_shardings):
    """Per const, argument and result of ``closed``: the sharding it gets (None for a result
    left to the partitioner)."""
    from xfront import sharding as sh

    replicated = sh.NamedSharding(mesh, sh.PartitionSpec())
    graph = closed.graph
    in_sh = []
    for i, a in enumerate(arrs):
        s = in_shardings[i] if in_shardings is not None else None
        if s is None:
            s = _array_sharding(a)
        in_sh.append(s if isinstance(s, sh.NamedSharding) else replicated)
    const_sh = [_array_sharding(c) if isinstance(c, Array) else None for c in closed.consts]
    const_sh = [s if isinstance(s, sh.NamedSharding) else replicated for s in const_sh]
    out_sh = list(out_shardings) if out_shardings is not None else [None] * len(
        graph.outvars)
    out_sh = [s if s is None or isinstance(s, sh.NamedSharding) else replicated for s in out_sh]
    for i, (s, a) in enumerate(zip(in_sh, graph.in_avals)):
        s.check_shape(a.shape, f"{name}: argument {i} ({a.str_short()}): ")
    for i, (s, a) in enumerate(zip(out_sh, graph.out_avals)):
        if s is not None:
            s.check_shape(a.shape, f"{name}: output {i} ({a.str_short()}): ")
    return const_sh, in_sh, out_sh


def lower_spmd(closed, name, devices, const_sh, in_sh, out_sh, donated=()):
    """The StableHLO module (Shardy-annotated) of an SPMD computation."""
    graph = closed.graph
    hoisted = Graph([], graph.constvars + graph.invars, graph.eqns, graph.outvars,
                    graph.debug_name)

    def pair(s):
        return None if s is None else (s.mesh, s.spec)

    return builder.lower_graph(
        ClosedGraph(hoisted, []), name=name, platform=devices[0].platform,
        donated=(False,) * len(graph.constvars) + tuple(donated), devices=devices,
        in_shardings=[pair(s) for s in const_sh + in_sh],
        out_shardings=[pair(s) for s in out_sh])


def lower_call(closed: ClosedGraph, name: str, args, donated=(), in_shardings=None,
               out_shardings=None):
    """The module ``compile_call`` would compile (for ``Lowered.as_text``)."""
    devices, mesh = spmd_assignment(args, in_shardings, out_shardings, closed, name)
    if devices is None:
        graph = closed.graph
        hoisted = ClosedGraph(graph.replace(constvars=[], invars=graph.constvars + graph.invars))
        return lower(hoisted, name, (False,) * len(graph.constvars) + tuple(donated))
    layouts = _spmd_layouts(closed, name, mesh, args, in_shardings, out_shardings)
    return lower_spmd(closed, name, devices, *layouts, donated)


def compile_spmd(closed, name, devices, mesh, arrs, in_shardings, out_shardings, donated=(),
                 module=None):
    from xfront import sharding as sh

    graph = closed.graph
    const_sh, in_sh, out_sh = _spmd_layouts(closed, name, mesh, arrs, in_shardings,
                                            out_shardings)
    if module is None:
        module = lower_spmd(closed, name, devices, const_sh, in_sh, out_sh, donated)
    text = builder.module_text(module)
    key = ("spmd", text, devices, tuple(graph.out_avals))
    exe = _compile_cache.get(key)
    if exe is None:
        try:
            exe = runtime.compile_spmd(module, devices, graph.out_avals)
        except JaxlibError as e:
            raise _runtime_error(e, f"compiling {name} for {len(devices)} devices") from None
        _compile_cache[key] = exe
    final_out = []
    for s, t, a in zip(out_sh, exe.out_tilings, graph.out_avals):
        if s is None or _tiling_key(s._tile(a.ndim)) != _tiling_key(t):
            s = sh.named_from_tiling(mesh, a.ndim, t)
        # A result laid out like an argument gets the argument's very Sharding object, so a
        # result fed back in (a training loop) passes SpmdCall.run's check by identity.
        s = next((i for i in in_sh if i is s or i == s), s)
        final_out.append(s)
    const_bufs = [device_put_sharded(c, s)._buf for c, s in zip(closed.consts, const_sh)]
    return SpmdCall(exe, name, in_sh, final_out, graph.in_avals, graph.out_avals, const_bufs,
                    module, tuple(donated))


def _tiling_key(tiling):
    """A tiling with every fully replicated form (any positions, any copy count) made one."""
    tile = tiling[0]
    if all(t == 1 for t in tile):
        return tuple(tile), (0,), 1
    return tiling


class SpmdCall:
    """A compiled SPMD program: arguments are laid out as ``in_shardings`` (moved if needed);
    results are Arrays over the devices with the layout XLA produced."""

    __slots__ = ("exe", "name", "in_shardings", "out_shardings", "in_avals", "out_avals",
                 "const_bufs", "module", "donated", "_handlers", "_block", "device",
                 "committed", "_in_pairs", "_out_triples")

    def __init__(self, exe, name, in_shardings, out_shardings, in_avals, out_avals, const_bufs,
                 module, donated):
        self.exe = exe
        self.name = name
        self.in_shardings = in_shardings
        self.out_shardings = out_shardings
        self.in_avals = in_avals
        self.out_avals = out_avals
        self.const_bufs = const_bufs
        self.module = module
        self.donated = donated
        self.device = None
        self.committed = True
        self._handlers = exe.handlers(out_avals, [_rt_sharding(s, a.ndim) for s, a in
                                                  zip(out_shardings, out_avals)])
        # On a small host, free-running executables with collectives can deadlock XLA's CPU
        # worker pool; then each call waits for its results (see runtime.collectives_may_deadlock).
        self._block = exe.has_collectives and runtime.collectives_may_deadlock()
        # Per call, only what varies is computed: the expected signature of each argument
        # (an Array laid out as expected has exactly this ``_sig``, usually the same object,
        # so the check is an identity test) and each result's (aval, sharding, signature).
        self._in_pairs = list(zip(in_shardings, [(a, s) for a, s in zip(in_avals,
                                                                       in_shardings)]))
        self._out_triples = [(a, s, (a, s)) for a, s in zip(out_avals, out_shardings)]

    def run(self, args: Sequence[Array]) -> list[Array]:
        bufs = self.const_bufs.copy()
        for a, (s, sig) in zip(args, self._in_pairs):
            got = a._sig
            if got is not sig and got != sig:
                if _array_sharding(a) != s:
                    a = device_put_sharded(a, s)
            bufs.append(a._buf)
        try:
            outs = self.exe.execute_raw(bufs).consume_with_handlers(self._handlers)
        except JaxlibError as e:
            raise call_error(e, self.name, args) from None
        if self._block:
            runtime.block_until_ready(outs)
        new = _new_array
        res = []
        for b, (aval, s, sig) in zip(outs, self._out_triples):
            r = new(Array)
            r._buf = b
            r.aval = aval
            r._committed_device = None
            r._sharding = s
            r._sig = sig
            res.append(r)
        return res

    def arg_shardings(self) -> list:
        return list(self.in_shardings)

    def result_shardings(self) -> list:
        return list(self.out_shardings)

    def inline_spec(self, out_tree):
        return None

    def caller(self, out_tree):
        run = self.run
        if out_tree.num_leaves == 1 and out_tree.num_nodes == 1:
            return lambda leaves: run(leaves)[0]
        return lambda leaves: out_tree.unflatten(run(leaves))


# ----------------------------------------------------------------------------------------------
# Multi-process jobs and global arrays from per-process data.

DistributedError = runtime.DistributedError
distributed_initialize = runtime.distributed_initialize
distributed_shutdown = runtime.distributed_shutdown
distributed_state = runtime.distributed_state


def make_array_from_single_device_arrays(shape, sharding, arrays) -> Array:
    """A global Array of ``shape`` laid out as ``sharding`` from this process's blocks (one
    single-device Array per addressable device of the sharding)."""
    shape = tuple(shape)
    arrays = list(arrays)
    if not arrays:
        raise XfrontValueError("make_array_from_single_device_arrays: no arrays given")
    index = sharding.devices_indices_map(shape)
    local = [d for d in sharding._device_assignment if d in sharding.addressable_devices]
    by_dev = {}
    for a in arrays:
        if not isinstance(a, Array) or _array_sharding(a) is not None:
            raise XfrontTypeError("make_array_from_single_device_arrays: every block must be "
                                  "a single-device xfront Array")
        by_dev[a.device] = a
    missing = [d for d in local if d not in by_dev]
    if missing:
        raise XfrontValueError(f"make_array_from_single_device_arrays: no block for devices "
                               f"{missing} of the sharding")
    dtype = arrays[0].dtype
    for d in local:
        a = by_dev[d]
        want = tuple(len(range(*s.indices(n))) for s, n in zip(index[d], shape))
        if a.shape != want or a.dtype != dtype:
            raise XfrontValueError(
                f"make_array_from_single_device_arrays: the block on {d} has "
                f"{a.aval.str_short()} but the sharding gives that device a block of shape "
                f"{want} (dtype {dtype})")
    aval = ShapedArray(shape, dtype, False)
    buf = runtime.assemble(aval, _rt_sharding(sharding, len(shape)),
                           [by_dev[d]._buf for d in local])
    return Array._new_sharded(buf, aval, sharding)


def make_array_from_callback(shape, sharding, data_callback) -> Array:
    """A global Array whose block on each local device is ``data_callback(index)``."""
    shape = tuple(int(n) for n in shape)
    if hasattr(sharding, "check_shape"):
        sharding.check_shape(shape, "make_array_from_callback: ")
    index = sharding.devices_indices_map(shape)
    local = sharding.addressable_devices
    blocks = []
    dtype = None
    for d in sharding._device_assignment:
        if d not in local:
            continue
        idx = index[d]
        want = tuple(len(range(*s.indices(n))) for s, n in zip(idx, shape))
        data = data_callback(idx)
        if isinstance(data, Array):
            got_shape, got_dtype = data.aval.shape, data.aval.dtype
        else:
            data = np.asarray(data)
            got_shape, got_dtype = data.shape, data.dtype
        if tuple(got_shape) != want:
            raise XfrontValueError(
                f"make_array_from_callback: data_callback(index={_index_str(idx)}) for device "
                f"{d} returned an array of shape {tuple(got_shape)} but the sharding gives that "
                f"device a block of shape {want} (global shape {shape}, {sharding})")
        if dtype is None:
            dtype = got_dtype
        elif got_dtype != dtype:
            raise XfrontValueError(
                f"make_array_from_callback: data_callback(index={_index_str(idx)}) for device "
                f"{d} returned dtype {got_dtype} but earlier blocks had dtype {dtype}; every "
                "block must have the same dtype")
        blocks.append(device_put(data, d))
    return make_array_from_single_device_arrays(shape, sharding, blocks)


def _index_str(index) -> str:
    """A block index as NumPy slice syntax: ``[0:2, :]``."""
    parts = []
    for s in index:
        a = "" if s.start is None else str(s.start)
        b = "" if s.stop is None else str(s.stop)
        parts.append(f"{a}:{b}")
    return "[" + ", ".join(parts) + "]"


def make_array_from_process_local_data(sharding, local_data, global_shape=None) -> Array:
    """A global Array from this process's part of it: ``local_data`` covers the blocks of this
    process's devices (e.g. its slice of the global batch). ``global_shape`` defaults to the
    local shape scaled by how many processes' parts each dimension spans."""
    local_data = np.asarray(local_data)
    lshape = local_data.shape
    full_rank = len(lshape)
    probe = global_shape or lshape
    index = sharding.devices_indices_map(tuple(probe))
    mine = [d for d in sharding._device_assignment if d in sharding.addressable_devices]
    if global_shape is None:  # blocks per dimension: all / this process's
        gshape = []
        for dim in range(full_rank):
            all_blocks = {(s[dim].indices(probe[dim])[:2]) for s in index.values()}
            my_blocks = {(index[d][dim].indices(probe[dim])[:2]) for d in mine}
            gshape.append(lshape[dim] * len(all_blocks) // max(len(my_blocks), 1))
        global_shape = tuple(gshape)
    global_shape = tuple(global_shape)
    index = sharding.devices_indices_map(global_shape)
    starts = [min(index[d][dim].indices(global_shape[dim])[0] for d in mine)
              for dim in range(full_rank)]
    blocks = []
    for d in mine:
        sl = []
        for dim, s in enumerate(index[d]):
            a, b, _ = s.indices(global_shape[dim])
            sl.append(slice(a - starts[dim], b - starts[dim]))
        block = local_data[tuple(sl)]
        blocks.append(device_put(np.asarray(block, order="C"), d))
    return make_array_from_single_device_arrays(global_shape, sharding, blocks)
