"""The one module that touches jaxlib's private runtime API (``jaxlib._jax``, ``xla_client``).

It owns the PJRT clients (CPU always; GPU/TPU through PJRT plugins found at run time without
importing jax or the plugins' Python code), devices, host<->device transfers, compilation,
execution and the C++ pytree registry. jaxlib is pinned exactly (pyproject.toml): the names used
here are not a stable API. Nothing above this module branches on the platform.

PJRT plugins (GPU/TPU). Importing xfront searches nothing. At the first backend use the plugin
libraries are *found* from paths and package metadata only (a plugin package's Python code
imports jax: it is never imported), and a plugin is *loaded* only when its platform is needed
(the default backend, ``devices("tpu")``, or listed in XFRONT_PLATFORMS). Where a platform's
library comes from, first match wins:

1. ``XFRONT_PJRT_PLUGIN_PATH=platform:/path/lib.so[,platform2:/path2.so]`` (a ``.json`` path is
   a jax plugin config ``{"library_path": ..., "create_options": {...}}``);
2. ``PJRT_NAMES_AND_LIBRARY_PATHS`` (jax's variable, same form);
3. for TPU, ``TPU_LIBRARY_PATH`` if it is a file (as jax);
4. installed packages: ``jax_plugins/<module>/`` directories on ``sys.path`` and entry points of
   group ``jax_plugins`` (wheels jax-cuda13-pjrt / jax-cuda12-pjrt: ``jax_plugins/xla_cuda13/
   xla_cuda_plugin.so``; jax-rocm7-pjrt: ``xla_rocm_plugin.so``), jaxlib's version and the
   newest CUDA first; for TPU the ``libtpu`` package's ``libtpu.so``. (``jax_cuda13_plugin`` is
   jax's GPU *kernel* package, not a PJRT plugin; it is reported, not loaded.)

A library named by a variable is the only one tried for its platform; a malformed variable is a
ValueError naming it. ``XFRONT_PLATFORMS`` (else ``JAX_PLATFORMS``) is an ordered list
(``tpu,cpu``; ``gpu`` means CUDA or ROCm): its first entry is the default backend, every entry is
set up at the first backend use and an unavailable one raises PluginUnavailableError, platforms
it does not list are never loaded (the CPU is always available). Without it the default is the
first usable of TPU, CUDA, ROCm, other plugins found, CPU; a plugin found but unusable is skipped
with one warning (``backend_errors()`` keeps why). Any unavailable platform, asked for or not
(``devices("gpu")``), raises one PluginUnavailableError: why, what was searched, what to install.

Tested on this GPU-less machine (tests/test_plugins.py): discovery over fake package layouts,
entry points and variables; selection, ordering and fallback with a fake loader; the real loader
on empty, garbage and non-PJRT shared libraries, in subprocesses. Loading the real CUDA plugin
with the same jaxlib calls was checked by hand (shared/docs/jaxlib-runtime.md, section 7: it
stops at "No visible GPU devices"); the wheel is not installed, so that is not re-run here. NOT
tested anywhere yet: a working GPU or TPU client and everything on it (compile, transfers,
execution, SPMD), the NVIDIA pip-library preloading, ROCm, libtpu, GPU client options, plugin
clients in multi-process jobs. Not done: jax's GPU custom-call kernels are not registered (linear
algebra beyond Cholesky/triangular solve is CPU-only, see lowering/rules/linalg.py) and jax's
Cloud TPU environment setup (``cloud_tpu_init``) is not replicated.

Facts this relies on (see shared/docs/jaxlib-runtime.md): host data is *copied* on transfer
(``IMMUTABLE_ONLY_DURING_CALL``) so later NumPy mutation never leaks into a device array; host reads
go through the buffer protocol (never the ArrayImpl methods that import jax); the runtime checks
only byte sizes, so callers check avals; ``clone()``/``is_ready()`` on a deleted buffer crash, so
they are never called on one.
"""

from __future__ import annotations

import ctypes
import dataclasses
import gc
import importlib.metadata
import itertools
import json
import logging
import os
import re
import sys
import threading
import weakref
from collections.abc import Sequence

import numpy as np
from jaxlib import _jax
from jaxlib import xla_client as xc

logger = logging.getLogger("xfront.runtime")

JaxlibError = _jax.JaxRuntimeError


def _jaxlib_release() -> str | None:
    """jaxlib's package (release) version, e.g. '0.10.2': what pyproject.toml pins and what
    jax's PJRT plugins must match."""
    try:
        from jaxlib import version
    except ImportError:
        version = None
    release = getattr(version, "__version__", None)
    if release is None:
        try:
            release = importlib.metadata.version("jaxlib")
        except importlib.metadata.PackageNotFoundError:
            return None
    return release


# jaxlib's release version ('0.10.2'). ``xla_client._version`` is something else: the number of
# xla_client's Python API revision (e.g. 467), kept as ``xla_client_api_version``.
jaxlib_version = _jaxlib_release()
xla_client_api_version = getattr(xc, "_version", None)

# jax flushes deferred Python decrefs queued by C++ on every GC; do the same.
gc.callbacks.append(lambda *_: _jax.collect_garbage())

# ----------------------------------------------------------------------------------------------
# Pytrees: jaxlib's C++ registry, a private instance (the default one is shared with jax).

pytree = _jax.pytree
pytree_registry = pytree.PyTreeRegistry(
    enable_none=True, enable_tuple=True, enable_namedtuple=True, enable_list=True,
    enable_dict=True)
PyTreeDef = pytree.PyTreeDef
DictKey = pytree.DictKey
SequenceKey = pytree.SequenceKey
GetAttrKey = pytree.GetAttrKey
FlattenedIndexKey = pytree.FlattenedIndexKey


def treedef_tuple(treedefs) -> PyTreeDef:
    return pytree.treedef_tuple(pytree_registry, list(treedefs))


# ----------------------------------------------------------------------------------------------
# Shardings the C++ accepts (subclasses of its classes, with the members it calls back into).

_REPLICATED = xc.HloSharding.replicate()


class SingleDeviceSharding(_jax.SingleDeviceSharding):
    """Placement on one device. One instance per device (equality of these is identity)."""

    def _to_xla_hlo_sharding(self, ndim):
        return _REPLICATED

    _device_assignment = property(lambda s: (s._device,))
    is_fully_replicated = property(lambda s: True)
    is_fully_addressable = property(lambda s: True)
    device_set = property(lambda s: {s._device})
    memory_kind = property(lambda s: None)
    num_devices = property(lambda s: 1)

    def devices_indices_map(self, shape):
        return {self._device: (slice(None),) * len(shape)}


_single_shardings: dict = {}


def single_device_sharding(device) -> SingleDeviceSharding:
    s = _single_shardings.get(device)
    if s is None:
        s = _single_shardings[device] = SingleDeviceSharding(device)
    return s


# ----------------------------------------------------------------------------------------------
# Backends: clients per platform.

_backend_lock = threading.RLock()
_clients: dict[str, object] = {}  # created on first use of each platform
_errors: dict[str, PluginUnavailableError] = {}  # plugins found but unusable
_found: PluginSearch | None = None  # the plugin search, once per process
_requested: list[str] | None = None  # XFRONT_PLATFORMS resolved ('gpu' -> 'cuda'/'rocm')
_default: str | None = None
_initialized = False
_PLATFORM_PRIORITY = ("tpu", "cuda", "rocm", "cpu")


def _cpu_device_count() -> int:
    raw = os.environ.get("XFRONT_NUM_CPU_DEVICES", "1")
    try:
        n = int(raw)
    except ValueError:
        raise ValueError(f"XFRONT_NUM_CPU_DEVICES={raw!r} is not an integer") from None
    if n < 1:
        raise ValueError(f"XFRONT_NUM_CPU_DEVICES={raw!r} must be >= 1")
    return n


# ----------------------------------------------------------------------------------------------
# Multi-process: XLA's distributed runtime (a coordination service in process 0, a client in
# each process) and gloo TCP collectives between the processes' CPU devices.


class _Distributed:
    __slots__ = ("service", "client", "process_id", "num_processes", "address", "stop",
                 "watchdog", "shutdown_timeout")

    def __init__(self, service, client, process_id, num_processes, address, shutdown_timeout):
        self.service = service
        self.client = client
        self.process_id = process_id
        self.num_processes = num_processes
        self.address = address
        self.shutdown_timeout = shutdown_timeout
        self.stop = threading.Event()
        self.watchdog = None


def _watch_peers(d: _Distributed, timeout: float) -> None:
    """Liveness of the other processes, through counters in the coordination service's
    key-value store. XLA's own detection would either terminate the process (abort) or, in
    recoverable mode, leave a collective waiting forever for a dead peer; this ends the process
    with a clear message within about ``timeout`` seconds instead."""
    import sys
    import time

    me = d.process_id
    others = [p for p in range(d.num_processes) if p != me]
    seen = {p: (None, time.monotonic()) for p in others}
    interval = max(min(timeout / 5, 1.0), 0.05)
    beats = 0
    while not d.stop.wait(interval):
        now = time.monotonic()
        try:
            beats += 1
            d.client.key_value_set(f"xfront/alive/{me}", str(beats), allow_overwrite=True)
            for p in others:
                try:
                    if d.client.key_value_try_get(f"xfront/done/{p}"):
                        seen[p] = (None, now)
                        continue
                except JaxlibError:
                    pass
                try:
                    value = d.client.key_value_try_get(f"xfront/alive/{p}")
                except JaxlibError:
                    value = None
                last, at = seen[p]
                if value != last:
                    seen[p] = (value, now)
                elif now - at > timeout:
                    why = f"process {p} of {d.num_processes} stopped (no heartbeat for " \
                          f"{timeout:g} s)"
                    break
            else:
                continue
        except JaxlibError as e:
            if d.stop.is_set():
                return
            why = f"the job's coordination service ({d.address}) is unreachable: {e}"
        if d.stop.is_set():
            return
        sys.stderr.write(
            f"xfront.distributed: {why}. Collectives that need it can never finish, so process "
            f"{me} exits now (status 70) instead of waiting forever.\n")
        sys.stderr.flush()
        os._exit(70)


_distributed: _Distributed | None = None


class DistributedError(RuntimeError):
    """Connecting to or running with the other processes failed."""


def distributed_initialize(address: str, num_processes: int, process_id: int, *,
                           init_timeout: int = 300, heartbeat_timeout: int = 100,
                           shutdown_timeout: int = 60) -> None:
    """Joins the job: process 0 also runs the coordination service. Must precede any device
    use (the CPU client is created with the distributed client and gloo collectives)."""
    global _distributed
    with _backend_lock:
        if _initialized:
            raise DistributedError(
                "xfront.distributed.initialize must be called before any computation or device "
                "query (devices were already set up for a single process)")
        if _distributed is not None:
            raise DistributedError("xfront.distributed.initialize was already called")
        service = None
        if process_id != 0:
            _wait_for_coordinator(address, init_timeout, process_id, num_processes)
        if process_id == 0:
            # recoverable: a task that dies is reported to the others' operations (a Python
            # error from the collective that needed it) instead of the coordination service
            # terminating every process.
            service = _jax.get_distributed_runtime_service(
                address, num_processes, heartbeat_timeout=heartbeat_timeout,
                shutdown_timeout=shutdown_timeout, recoverable=True)
        client = _jax.get_distributed_runtime_client(
            address, process_id, init_timeout=init_timeout, heartbeat_timeout=heartbeat_timeout,
            shutdown_timeout=shutdown_timeout, rpc_timeout=max(init_timeout, 10))
        try:
            client.connect()
        except JaxlibError as e:
            if service is not None:
                service.shutdown()
            raise DistributedError(
                f"process {process_id} of {num_processes} could not join the job at {address} "
                f"within {init_timeout} s: {e}. Check that every process started and uses the "
                "same coordinator address and process count") from None
        d = _Distributed(service, client, process_id, num_processes, address, shutdown_timeout)
        if num_processes > 1:
            d.watchdog = threading.Thread(target=_watch_peers, args=(d, heartbeat_timeout),
                                          name="xfront-peer-watchdog", daemon=True)
            d.watchdog.start()
        _distributed = d


def _wait_for_coordinator(address: str, timeout: float, process_id: int, n: int) -> None:
    """Raises DistributedError unless the coordinator's port accepts connections within
    ``timeout`` seconds (XLA's own connect would terminate the process instead)."""
    import socket
    import time

    host, port = address.rsplit(":", 1)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=1.0):
                return
        except OSError as e:
            if time.monotonic() > deadline:
                raise DistributedError(
                    f"process {process_id} of {n}: no coordinator at {address} after "
                    f"{timeout:g} s ({e}). Start process 0 (it runs the coordination service) "
                    "with the same address") from None
            time.sleep(0.2)


def distributed_shutdown() -> None:
    global _distributed
    d = _distributed
    if d is None:
        return
    _distributed = None
    try:  # peers leaving normally are not reported as lost; wait for all before the service
        d.client.key_value_set(f"xfront/done/{d.process_id}", "1", allow_overwrite=True)
        d.client.wait_at_barrier("xfront/shutdown", d.shutdown_timeout * 1000)
    except JaxlibError as e:
        logger.warning("xfront.distributed: shutdown barrier failed: %s", e)
    d.stop.set()
    if d.watchdog is not None:
        d.watchdog.join()
    if d.service is not None:
        # The others disconnect right after the barrier; the service must outlive their
        # ShutdownTask calls (a client whose service vanished mid-call terminates its process).
        import time

        time.sleep(3.0)
    d.client.shutdown()
    if d.service is not None:
        d.service.shutdown()


def distributed_state():
    return _distributed


def _make_cpu_client():
    n = _cpu_device_count()
    # XLA's CPU client sizes its worker pool from PJRT_NPROC (else the core count). With
    # several devices on a small host, two executions in flight can fill every worker while
    # waiting at a collective rendezvous, and XLA aborts the process after 40 s. Twice as many
    # workers as devices avoids it (shared/docs/jaxlib-runtime.md, section 5).
    if n > 1 and "PJRT_NPROC" not in os.environ and "NPROC" not in os.environ:
        os.environ["PJRT_NPROC"] = str(max(2 * n, os.cpu_count() or 1))
    d = _distributed
    if d is None:
        return xc.make_cpu_client(num_devices=n)
    host = d.address.rsplit(":", 1)[0]
    collectives = _jax.make_gloo_tcp_collectives(
        distributed_client=d.client, hostname="127.0.0.1" if host in ("127.0.0.1", "localhost")
        else None)
    return xc.make_cpu_client(distributed_client=d.client, node_id=d.process_id,
                              num_nodes=d.num_processes, collectives=collectives,
                              num_devices=n, get_local_topology_timeout_minutes=2,
                              get_global_topology_timeout_minutes=2)


def collectives_may_deadlock() -> bool:
    """True if the CPU worker pool is too small for free-running collective executables."""
    n = _cpu_device_count()
    raw = os.environ.get("PJRT_NPROC") or os.environ.get("NPROC")
    nproc = int(raw) if raw and raw.isdigit() else (os.cpu_count() or 1)
    return n > 1 and max(nproc, n) < 2 * n


def _platforms_variable() -> tuple[str, str] | None:
    """``(name, value)`` of the variable that selects platforms: XFRONT_PLATFORMS, else
    JAX_PLATFORMS; None when neither is set (or both are empty)."""
    for var in ("XFRONT_PLATFORMS", "JAX_PLATFORMS"):
        raw = os.environ.get(var, "").strip()
        if raw:
            return var, raw
    return None


def _requested_platforms() -> list[str] | None:
    """The platforms asked for, in order (the first is the default backend), or None."""
    setting = _platforms_variable()
    if setting is None:
        return None
    names = [p.strip().lower() for p in setting[1].split(",") if p.strip()]
    return list(dict.fromkeys(names)) or None


# -- plugin discovery: imports nothing (a plugin's __init__ imports jax) and loads nothing ------

PLUGIN_PATH_VARIABLE = "XFRONT_PJRT_PLUGIN_PATH"
_JAX_PLUGIN_PATH_VARIABLE = "PJRT_NAMES_AND_LIBRARY_PATHS"
_GPU_PLATFORMS = ("cuda", "rocm")
_PLUGIN_LIBRARY_NAMES = {"cuda": "xla_cuda_plugin.so", "rocm": "xla_rocm_plugin.so"}
_LIBRARY_SUFFIXES = (".so", ".dylib", ".dll")
_PLATFORM_NAME = re.compile(r"[a-z][a-z0-9_]*\Z")
_VERSION_PY = re.compile(r"""^_version\s*=\s*["']([^"']+)["']""", re.M)


_JAXLIB_RELEASE = jaxlib_version  # (jax's plugins are released with jaxlib's version)


class PluginUnavailableError(RuntimeError):
    """A platform has no usable PJRT plugin. The message says what was searched and how to
    install one; ``platform`` and ``reason`` carry the short story."""

    def __init__(self, platform: str, reason: str, message: str):
        super().__init__(message)
        self.platform = platform
        self.reason = reason


@dataclasses.dataclass
class PluginLibrary:
    """A PJRT plugin's shared library found on this machine (not loaded)."""

    platform: str
    path: str
    source: str  # where it was found, for messages
    version: str | None = None  # of the package that ships it, when known
    options: dict = dataclasses.field(default_factory=dict)  # a .json config's create_options
    explicit: bool = False  # named by a variable: then the only library tried for the platform


@dataclasses.dataclass
class PluginSearch:
    """The result of :func:`search_plugins`."""

    plugins: dict[str, list[PluginLibrary]]  # per platform, in the order they are tried
    searched: list[str]  # what was looked at, for messages


def discover_plugins() -> dict[str, str]:
    """{platform: path of the PJRT plugin library that would be loaded first} (nothing is
    imported or loaded; see :func:`search_plugins`)."""
    return {p: libs[0].path for p, libs in search_plugins().plugins.items()}


def search_plugins() -> PluginSearch:
    """Finds PJRT plugin libraries without importing or loading anything.

    Sources, first one naming a platform wins (a library named by a variable is the only one
    tried for its platform): ``XFRONT_PJRT_PLUGIN_PATH``, ``PJRT_NAMES_AND_LIBRARY_PATHS``,
    ``TPU_LIBRARY_PATH`` (if it is a file, as jax), then installed packages: the ``jax_plugins``
    namespace on ``sys.path`` and entry points of group ``jax_plugins`` (wheels
    ``jax-cuda13-pjrt``, ``jax-cuda12-pjrt``, ``jax-rocm7-pjrt``, ...), and ``libtpu``.

    Raises:
        ValueError: a malformed ``XFRONT_PJRT_PLUGIN_PATH`` or ``PJRT_NAMES_AND_LIBRARY_PATHS``.
    """
    plugins: dict[str, list[PluginLibrary]] = {}
    searched: list[str] = []
    for var in (PLUGIN_PATH_VARIABLE, _JAX_PLUGIN_PATH_VARIABLE):
        raw = os.environ.get(var, "")
        searched.append(f"{var}={raw!r}" if raw.strip() else f"{var} (unset)")
        for lib in _parse_plugin_variable(var, raw):
            plugins.setdefault(lib.platform, [lib])
    tpu = os.environ.get("TPU_LIBRARY_PATH", "")
    if not tpu:
        searched.append("TPU_LIBRARY_PATH (unset)")
    elif os.path.isfile(tpu):
        searched.append(f"TPU_LIBRARY_PATH={tpu!r}")
        plugins.setdefault("tpu", [PluginLibrary("tpu", tpu, "TPU_LIBRARY_PATH", explicit=True)])
    else:
        searched.append(f"TPU_LIBRARY_PATH={tpu!r} (not a file: ignored)")
    for lib in _installed_plugin_libraries(searched):
        libs = plugins.setdefault(lib.platform, [])
        if not (libs and libs[0].explicit):
            libs.append(lib)
    return PluginSearch(plugins, searched)


def _parse_plugin_variable(var: str, raw: str) -> list[PluginLibrary]:
    """``platform:/path/lib.so[,platform2:/path2.so]``; a path ending in ``.json`` is a jax
    plugin config (``{"library_path": ..., "create_options": {...}}``)."""
    libs: list[PluginLibrary] = []
    form = (f"expected {var}=platform:/path/to/plugin.so[,platform2:/path2.so], e.g. "
            f"{var}=cuda:/opt/xla_cuda_plugin.so,tpu:/opt/libtpu.so")
    for item in (s.strip() for s in raw.split(",")):
        if not item:
            continue
        platform, sep, path = item.partition(":")
        platform, path = platform.strip().lower(), path.strip()
        if not sep or not path or not _PLATFORM_NAME.match(platform):
            raise ValueError(f"{var}={raw!r}: entry {item!r} is not platform:path ({form})")
        if platform == "gpu":
            raise ValueError(f"{var}={raw!r}: entry {item!r} names 'gpu'; name the platform "
                             "the library implements, 'cuda' or 'rocm'")
        if any(lib.platform == platform for lib in libs):
            raise ValueError(f"{var}={raw!r}: platform {platform!r} is given twice")
        path = os.path.abspath(os.path.expanduser(path))
        options: dict = {}
        if path.endswith(".json"):
            path, options = _read_plugin_config(var, path)
        libs.append(PluginLibrary(platform, path, var, options=options, explicit=True))
    return libs


def _read_plugin_config(var: str, path: str) -> tuple[str, dict]:
    try:
        with open(path) as f:
            config = json.load(f)
        library, options = config["library_path"], config.get("create_options") or {}
        if not isinstance(library, str) or not isinstance(options, dict):
            raise TypeError("'library_path' must be a string and 'create_options' an object")
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise ValueError(
            f"{var}: the plugin config {path} must be a JSON object with a 'library_path' and "
            f"optional 'create_options': {type(e).__name__}: {e}") from None
    return os.path.abspath(os.path.expanduser(library)), options


def _installed_plugin_libraries(searched: list[str]) -> list[PluginLibrary]:
    """The libraries of installed plugin packages, per platform in preference order: version
    equal to jaxlib's first, then the newest CUDA/ROCm major (xla_cuda13 before xla_cuda12)."""
    ranked: list[tuple[tuple, PluginLibrary]] = []
    notes: list[str] = []
    for module, (directory, dist) in _plugin_modules().items():
        platform = _platform_of_plugin(module)
        library = _plugin_library(directory, platform) if directory else None
        if library is None:
            where = f"at {directory}" if directory else "(package directory not found)"
            notes.append(f"{module} {where} has no shared library")
            continue
        version = dist.version if dist is not None else _read_version(directory)
        source = f"package {dist.name} ({module})" if dist is not None else module
        major = re.search(r"(\d+)$", module)
        rank = (version is not None and version != _JAXLIB_RELEASE,
                -int(major.group(1)) if major else 0, module)
        ranked.append((rank, PluginLibrary(platform, library, source, version)))
        notes.append(f"{module} -> {library}" + (f" (version {version})" if version else ""))
    found = [lib for _, lib in sorted(ranked, key=lambda r: r[0])]
    searched.append(f"the 'jax_plugins' namespace packages and 'jax_plugins' entry points on "
                    f"sys.path ({len(sys.path)} entries): {'; '.join(notes) or 'none'}")
    libtpu_dir = _package_dir("libtpu")
    libtpu = os.path.join(libtpu_dir, "libtpu.so") if libtpu_dir else None
    if libtpu and os.path.isfile(libtpu):
        found.append(PluginLibrary("tpu", libtpu, "package libtpu"))
        searched.append(f"the 'libtpu' package on sys.path: {libtpu}")
    else:
        where = f"{libtpu_dir} has no libtpu.so" if libtpu_dir else "not installed"
        searched.append(f"the 'libtpu' package on sys.path (libtpu/libtpu.so): {where}")
    kernels = _gpu_kernel_packages()
    if kernels:
        searched.append("GPU kernel packages (they hold no PJRT plugin; the *-pjrt wheel of the "
                        f"same version does): {', '.join(kernels)}")
    return found


def _path_entries() -> list[str]:
    """The directories of ``sys.path``, in order ('' is the working directory)."""
    entries = (os.path.abspath(p or os.curdir) for p in sys.path if isinstance(p, str))
    return [p for p in dict.fromkeys(entries) if os.path.isdir(p)]


def _plugin_modules() -> dict[str, tuple[str | None, object | None]]:
    """{module: (its directory, its distribution)} of the plugin packages jax would import:
    packages under the ``jax_plugins`` namespace on ``sys.path`` (first one wins, as import) and
    entry points of group ``jax_plugins``. Located from paths and metadata, never imported."""
    mods: dict[str, tuple[str | None, object | None]] = {}
    for entry in _path_entries():
        base = os.path.join(entry, "jax_plugins")
        try:
            names = sorted(os.listdir(base))
        except OSError:
            continue
        for name in names:
            if (name.isidentifier() and not name.startswith("_")
                    and os.path.isdir(os.path.join(base, name))):
                mods.setdefault(f"jax_plugins.{name}", (os.path.join(base, name), None))
    try:
        eps = importlib.metadata.entry_points(group="jax_plugins")
    except Exception as e:  # broken metadata must not stop the CPU backend
        logger.warning("xfront: reading the 'jax_plugins' entry points failed: %s", e)
        eps = ()
    for ep in eps:
        module = ep.value.partition(":")[0].strip()
        dist = getattr(ep, "dist", None)
        directory = mods.get(module, (None, None))[0] or _package_dir(module, dist)
        mods[module] = (directory, dist)
    return mods


def _package_dir(module: str, dist=None) -> str | None:
    """The directory of package ``module``, from its distribution's files or ``sys.path``
    (``importlib.util.find_spec`` would run the parent packages' ``__init__``)."""
    parts = module.split(".")
    if dist is not None:
        try:
            directory = str(dist.locate_file(os.path.join(*parts)))
        except Exception:  # odd distribution types
            directory = ""
        if os.path.isdir(directory):
            return directory
    for entry in _path_entries():
        directory = os.path.join(entry, *parts)
        if os.path.isdir(directory):
            return directory
    return None


def _plugin_library(directory: str, platform: str) -> str | None:
    """The PJRT library in a plugin package: its known name, else the one shared library (or
    the first whose name says plugin/pjrt)."""
    known = _PLUGIN_LIBRARY_NAMES.get(platform)
    if known and os.path.isfile(os.path.join(directory, known)):
        return os.path.join(directory, known)
    try:
        libs = sorted(f for f in os.listdir(directory) if f.endswith(_LIBRARY_SUFFIXES))
    except OSError:
        return None
    pjrt = [f for f in libs if "plugin" in f or "pjrt" in f]
    return os.path.join(directory, (pjrt or libs)[0]) if libs else None


def _read_version(directory: str) -> str | None:
    """``_version`` from the package's ``version.py``, read as text (the jax plugin layout)."""
    try:
        with open(os.path.join(directory, "version.py")) as f:
            match = _VERSION_PY.search(f.read())
    except OSError:
        return None
    return match.group(1) if match else None


def _gpu_kernel_packages() -> list[str]:
    """Installed jax GPU kernel packages (jax_cuda13_plugin, ...): custom calls, not PJRT."""
    found = []
    for entry in _path_entries():
        try:
            names = os.listdir(entry)
        except OSError:
            continue
        found += [n for n in names if re.fullmatch(r"jax_(cuda|rocm)\d+_plugin", n)]
    return sorted(set(found))


def _platform_of_plugin(module: str) -> str:
    leaf = module.rsplit(".", 1)[-1]
    for platform in ("cuda", "rocm", "tpu"):
        if platform in leaf:
            return platform
    leaf = leaf.removeprefix("xla_").removesuffix("_plugin")
    return leaf if _PLATFORM_NAME.match(leaf) else "plugin"


def _install_hint(platform: str) -> str:
    version = _JAXLIB_RELEASE or "<jaxlib version>"
    explicit = f"or point {PLUGIN_PATH_VARIABLE}={platform}:/path/to/library.so at the library"
    if platform == "cuda":
        return (f'pip install "jax-cuda13-plugin[with-cuda]=={version}" (CUDA 13; '
                f"jax-cuda12-plugin for CUDA 12): it brings the PJRT plugin wheel "
                f"jax-cuda13-pjrt=={version} (module jax_plugins.xla_cuda13, "
                "xla_cuda_plugin.so) and NVIDIA's CUDA libraries; jax-cuda13-pjrt alone "
                f"suffices with a system-wide CUDA; {explicit}")
    if platform == "rocm":
        return (f"pip install jax-rocm7-pjrt=={version} (ROCm 7, module jax_plugins.xla_rocm7, "
                f"xla_rocm_plugin.so; needs a system-wide ROCm); {explicit}")
    if platform == "tpu":
        return ("pip install -U libtpu (on a Cloud TPU VM), or set TPU_LIBRARY_PATH="
                f"/path/to/libtpu.so, {explicit}")
    if platform == "gpu":
        return f"for NVIDIA: {_install_hint('cuda')}. For AMD: {_install_hint('rocm')}"
    return f"set {PLUGIN_PATH_VARIABLE}={platform}:/path/to/its/pjrt_plugin.so"


def _unavailable(platform: str, reason: str, searched: list[str] | None = None,
                 ) -> PluginUnavailableError:
    """The one error for an unavailable platform: why, what was searched, how to install."""
    if searched is None:
        searched = _search().searched
    lines = [f"xfront: platform {platform!r} is unavailable: {reason}.",
             "Searched: " + "; ".join(searched) + ".",
             f"To install: {_install_hint(platform)}."]
    setting = _platforms_variable()
    requested = _requested_platforms() or []
    if setting and (platform in requested or platform in _GPU_PLATFORMS and "gpu" in requested):
        lines.append(f"{setting[0]}={setting[1]!r} asks for it, so this is an error; a "
                     "platform it does not list would fall back to the CPU.")
    return PluginUnavailableError(platform, reason, "\n".join(lines))


# -- loading (only when a platform's backend is first needed) ------------------------------------

# NVIDIA libraries from pip wheels (nvidia/<package>/lib/<library>), loaded before the CUDA
# plugin in this order as the plugin's own initialize() does (jax_plugins/cuda/__init__.py).
_NVIDIA_LIBRARIES = (
    ("cuda_runtime", "libcudart.so.12"), ("cu13", "libcudart.so.13"),
    ("cuda_nvrtc", "libnvrtc.so.12"), ("cu13", "libnvrtc.so.13"),
    ("cublas", "libcublas.so.12"), ("cublas", "libcublasLt.so.12"),
    ("cu13", "libcublas.so.13"), ("cu13", "libcublasLt.so.13"),
    ("nccl", "libnccl.so.2"),
    ("cuda_cupti", "libcupti.so.12"), ("cu13", "libcupti.so.13"),
    ("cusparse", "libcusparse.so.12"), ("cu13", "libcusparse.so.12"),
    ("cusolver", "libcusolver.so.11"), ("cu13", "libcusolver.so.12"),
    ("cufft", "libcufft.so.11"), ("cu13", "libcufft.so.12"),
    ("nvshmem", "libnvshmem_host.so.3"),
    ("cudnn", "libcudnn.so.9"),
)


def _nvidia_library_paths() -> list[str]:
    """The NVIDIA pip-wheel libraries present, in loading order (first on sys.path wins)."""
    paths = []
    entries = _path_entries()
    for package, library in _NVIDIA_LIBRARIES:
        for entry in entries:
            path = os.path.join(entry, "nvidia", package, "lib", library)
            if os.path.isfile(path):
                paths.append(path)
                break
    return paths


def _preload_nvidia_libraries() -> None:
    for path in _nvidia_library_paths():
        try:
            ctypes.CDLL(path)
        except OSError as e:  # the plugin then looks on the system library path
            logger.info("xfront: could not preload %s: %s", path, e)


def _make_plugin_client(platform: str, libs: list[PluginLibrary]):
    """Loads the first loadable library of ``libs`` as ``platform`` and creates its client.

    Every failure (missing file, not a shared library, not a PJRT plugin, no device) raises
    PluginUnavailableError; nothing here imports the plugin's Python code.
    """
    failures = []
    loaded = libs[0] if xc.pjrt_plugin_loaded(platform) else None  # e.g. by jax, earlier
    if loaded is None and platform == "cuda":
        _preload_nvidia_libraries()
    for lib in libs:
        if loaded is not None:
            break
        if not os.path.isfile(lib.path):
            failures.append(f"{lib.path} (from {lib.source}) does not exist")
            continue
        try:
            xc.load_pjrt_plugin_dynamically(platform, lib.path)
            loaded = lib
        except Exception as e:
            failures.append(f"{lib.path} (from {lib.source}) is not a loadable PJRT plugin "
                            f"({type(e).__name__}: {e})")
    if loaded is None:
        raise _unavailable(platform, "; ".join(failures))
    if loaded.version and _JAXLIB_RELEASE and loaded.version != _JAXLIB_RELEASE:
        logger.warning("xfront: %s is version %s but jaxlib is %s; install the plugin of "
                       "jaxlib's version", loaded.source, loaded.version, _JAXLIB_RELEASE)
    try:
        if not xc.pjrt_plugin_initialized(platform):
            xc.initialize_pjrt_plugin(platform)
        return _plugin_client(platform, loaded.options)
    except Exception as e:
        raise _unavailable(platform, f"{loaded.path} (from {loaded.source}) loaded, but "
                           f"creating its client failed ({type(e).__name__}: {e})") from None


def _plugin_client(platform: str, config_options: dict):
    options: dict = {}
    if platform in _GPU_PLATFORMS:
        options = dict(xc.generate_pjrt_gpu_plugin_options())
        options["platform_name"] = platform.upper() if platform == "rocm" else platform
    options.update(config_options)
    d = _distributed
    if d is None:
        return xc.make_c_api_client(platform, options)
    if platform != "tpu":  # as jax: the TPU client takes the process layout from the service
        options.update(node_id=d.process_id, num_nodes=d.num_processes)
    return xc.make_c_api_client(platform, options, d.client)


# -- clients per platform ------------------------------------------------------------------------


def _search() -> PluginSearch:
    """The plugin search, done once per process (lock held)."""
    global _found
    if _found is None:
        _found = search_plugins()
    return _found


def _initialize():
    """Runs once, at the first backend use: the plugin search (cheap, nothing is loaded) and,
    when XFRONT_PLATFORMS names platforms, their clients: one that is unavailable is an error."""
    global _initialized, _requested
    with _backend_lock:
        if _initialized:
            return
        requested = _requested_platforms()
        _search()
        if requested is not None:
            resolved = []
            for platform in requested:
                resolved.append(_gpu_platform() if platform == "gpu" else platform)
                _client(resolved[-1])
            _requested = list(dict.fromkeys(resolved))
        _initialized = True


def _allowed(platform: str) -> bool:
    """False if XFRONT_PLATFORMS is set and names neither ``platform`` nor (GPUs) 'gpu'. CPU
    is always allowed."""
    requested = _requested_platforms()
    return (requested is None or platform == "cpu" or platform in requested
            or (platform in _GPU_PLATFORMS and "gpu" in requested))


def _client(platform: str):
    """The client of ``platform``, created on first use (lock held); raises
    PluginUnavailableError."""
    client = _clients.get(platform)
    if client is not None:
        return client
    failed = _errors.get(platform)
    if failed is not None:  # a new instance: re-raising one would grow its traceback
        raise PluginUnavailableError(failed.platform, failed.reason, str(failed))
    if platform == "cpu":
        client = _clients["cpu"] = _make_cpu_client()
        return client
    if not _allowed(platform):
        setting = _platforms_variable()
        raise _unavailable(platform, f"{setting[0]}={setting[1]!r} does not list it (add it "
                           "there to use it)")
    libs = _search().plugins.get(platform)
    if not libs:
        raise _unavailable(platform, "no PJRT plugin library was found")
    try:
        client = _make_plugin_client(platform, libs)
    except PluginUnavailableError as e:
        _errors[platform] = e
        raise
    _clients[platform] = client
    return client


def _gpu_platform() -> str:
    """'cuda' or 'rocm', whichever has a client (CUDA first), for the alias 'gpu'."""
    for platform in _GPU_PLATFORMS:
        if platform in _clients:
            return platform
    found = _search().plugins
    errors = []
    for platform in _GPU_PLATFORMS:
        if platform in found:
            try:
                _client(platform)
                return platform
            except PluginUnavailableError as e:
                errors.append(e)
    if len(errors) == 1:
        raise errors[0]
    reason = "; ".join(e.reason for e in errors) or "no CUDA or ROCm PJRT plugin was found"
    raise _unavailable("gpu", reason)


def _canonical(platform: str) -> str:
    platform = platform.strip().lower()
    return _gpu_platform() if platform == "gpu" else platform


def backends() -> dict[str, object]:
    """Clients of every available platform (loads every plugin found, unlike the others)."""
    with _backend_lock:
        _initialize()
        platforms = _requested or [*_search().plugins, "cpu"]
        for platform in platforms:
            if _allowed(platform):
                try:
                    _client(platform)
                except PluginUnavailableError as e:
                    logger.info("%s", e)
        return dict(_clients)


def backend_errors() -> dict[str, str]:
    """{platform: message} for the plugins that were found but could not be used."""
    backends()
    return {p: str(e) for p, e in _errors.items()}


def default_platform() -> str:
    """The first platform of XFRONT_PLATFORMS; else the first available of TPU, CUDA, ROCm,
    other plugins found, CPU (a plugin found but unusable is skipped with a warning)."""
    global _default
    if _default is not None:
        return _default
    with _backend_lock:
        _initialize()
        if _default is None:
            if _requested:
                _default = _requested[0]
            else:
                found = _search().plugins
                order = [p for p in _PLATFORM_PRIORITY if p != "cpu"]
                order += sorted(p for p in found if p not in order and p != "cpu")
                for platform in [p for p in order if p in found] + ["cpu"]:
                    try:
                        _client(platform)
                    except PluginUnavailableError as e:
                        logger.warning("xfront: %s plugin unavailable (%s); trying the next "
                                       "platform (details: lowering.runtime.backend_errors())",
                                       platform, e.reason)
                        continue
                    _default = platform
                    break
        return _default


def get_client(platform: str | None = None):
    """The client of ``platform`` (default: the default platform; 'gpu' is CUDA or ROCm).

    Raises:
        PluginUnavailableError: the platform has no usable plugin (says what was searched and
            how to install it).
    """
    if platform is None:
        platform = default_platform()
    client = _clients.get(platform)
    if client is not None:
        return client
    with _backend_lock:
        _initialize()
        return _client(_canonical(platform))


def devices(platform: str | None = None) -> list:
    return list(get_client(platform).devices())


def local_devices(platform: str | None = None) -> list:
    return list(get_client(platform).local_devices())


# ----------------------------------------------------------------------------------------------
# Transfers.

_IMMUTABLE = xc.HostBufferSemantics.IMMUTABLE_ONLY_DURING_CALL
_batched_device_put = _jax.batched_device_put


def device_put(value: np.ndarray, aval, device):
    """Copies host data to ``device``. ``value`` must already have ``aval``'s dtype and shape."""
    return _batched_device_put(aval, single_device_sharding(device), [value], [device],
                               enable_x64=True, host_buffer_semantics=_IMMUTABLE)


def to_host(buf) -> np.ndarray:
    """A read-only NumPy view of a single-device buffer (dtypes the buffer protocol supports)."""
    return np.asarray(memoryview(buf))


BUFFER_PROTOCOL_UNSUPPORTED = ("bfloat16", "float8_e4m3fn", "float8_e5m2")


def block_until_ready(bufs: Sequence) -> None:
    _jax.batched_block_until_ready(list(bufs))


_ALWAYS_COPY = _jax.ArrayCopySemantics.ALWAYS_COPY
_copy_to_devices = _jax.batched_copy_array_to_devices_with_sharding
_device_lists: dict = {}


def copy_to_device(buf, aval, device):
    """A copy of a single-device buffer on another device, device to device (any dtype: no
    host view, so bfloat16 / float8 buffers move like the others)."""
    devs = _device_lists.get(device)
    if devs is None:
        devs = _device_lists[device] = xc.DeviceList((device,))
    (out,) = _copy_to_devices([buf], [devs], [single_device_sharding(device)], [_ALWAYS_COPY])
    return out


# ----------------------------------------------------------------------------------------------
# Compilation and execution.


class Executable:
    """A loaded executable for one device plus the handlers that wrap its outputs."""

    __slots__ = ("xla", "device", "out_avals", "handlers", "execute_raw")

    def __init__(self, xla_exe, device, out_avals):
        self.xla = xla_exe
        self.device = device
        self.out_avals = list(out_avals)
        sharding = single_device_sharding(device)
        self.handlers = [_jax.array_result_handler(a, sharding, True, _skip_checks=True)
                         for a in self.out_avals]
        # execute_raw(bufs).consume_with_handlers(handlers) -> output buffers (the hot path).
        self.execute_raw = xla_exe.execute_sharded

    def __call__(self, bufs: list) -> list:
        return self.execute_raw(bufs).consume_with_handlers(self.handlers)

    def hlo_text(self) -> str:
        return self.xla.hlo_modules()[0].to_string()

    def cost_analysis(self) -> dict:
        return dict(self.xla.cost_analysis())

    def memory_stats(self):
        return self.xla.get_compiled_memory_stats()


def compile_module(module, device, out_avals) -> Executable:
    """Compiles an ``ir.Module`` (or MLIR text) for one device."""
    client = device.client
    options = xc.CompileOptions()
    options.device_assignment = xc.DeviceAssignment.create(np.array([[device.id]]))
    exe = client.compile_and_load(module, xc.DeviceList((device,)), options,
                                  **host_callback_args(module))
    return Executable(exe, device, out_avals)


# ----------------------------------------------------------------------------------------------
# Several devices: tiled shardings, sharded transfers, SPMD executables.
#
# A tiling is ``(tile dims, positions, copies)``: dimension d is cut into tile[d] blocks and
# block b (row-major) lives on the devices at ``positions[b * copies:(b + 1) * copies]`` of the
# device assignment (xfront.sharding builds it from a mesh and a PartitionSpec).


class TiledSharding(_jax.GSPMDSharding):
    """A tiled layout over a device list, as the C++ array and executable code wants it."""

    _device_assignment = property(lambda s: tuple(s._devices))
    is_fully_replicated = property(lambda s: s._hlo_sharding.is_replicated())
    is_fully_addressable = property(
        lambda s: all(d.process_index == s._devices[0].client.process_index()
                      for d in s._devices))
    device_set = property(lambda s: set(s._devices))
    memory_kind = property(lambda s: None)
    num_devices = property(lambda s: len(s._devices))

    def _to_xla_hlo_sharding(self, ndim):
        return self._hlo_sharding


_tiled_cache: dict = {}


def op_sharding(tiling) -> xc.OpSharding:
    tile, positions, copies = tiling
    op = xc.OpSharding()
    if all(t == 1 for t in tile):
        op.type = xc.OpSharding.Type.REPLICATED
        return op
    op.type = xc.OpSharding.Type.OTHER
    dims = list(tile) + ([copies] if copies > 1 else [])
    op.tile_assignment_dimensions = dims
    op.tile_assignment_devices = list(positions)
    op.replicate_on_last_tile_dim = copies > 1
    return op


def tiled_sharding(devices: tuple, tiling) -> TiledSharding:
    key = (devices, tiling)
    s = _tiled_cache.get(key)
    if s is None:
        s = _tiled_cache[key] = TiledSharding(xc.DeviceList(devices), op_sharding(tiling))
    return s


def tiling_of(op, ndim: int):
    """The tiling of an ``OpSharding`` / ``HloSharding`` over an array of rank ``ndim``."""
    h = op if isinstance(op, xc.HloSharding) else xc.HloSharding.from_proto(op)
    if h.is_replicated():
        return (1,) * ndim, (0,), 1
    dims = list(h.tile_assignment_dimensions())
    positions = tuple(int(p) for p in h.tile_assignment_devices())
    copies = 1
    if h.replicate_on_last_tile_dim():
        copies = dims.pop()
    if len(dims) != ndim:
        raise ValueError(f"unsupported output sharding {h} for rank {ndim}")
    if all(t == 1 for t in dims) and copies == len(positions):
        return (1,) * ndim, (0,), 1
    return tuple(dims), positions, copies


def put_shards(shards: Sequence[np.ndarray], aval, devices: Sequence, sharding):
    """One global array from host blocks, one per device (in ``devices`` order). (Each block
    goes to its device on its own and the global array is assembled from them:
    ``batched_device_put`` with a partly replicated layout fails in jaxlib 0.10.2 with
    ``bad_function_call``.)"""
    bufs = []
    for x, d in zip(shards, devices):
        a = _ShardAval(x.shape, aval.dtype, aval.weak_type)
        bufs.append(device_put(x, a, d))
    return assemble(aval, sharding, bufs)


class _ShardAval:
    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type):
        self.shape, self.dtype, self.weak_type = tuple(shape), dtype, weak_type

    ndim = property(lambda self: len(self.shape))


def assemble(aval, sharding, single_bufs: Sequence):
    """One global array from single-device arrays (one per device of ``sharding``)."""
    return _jax.ArrayImpl(aval, sharding, list(single_bufs), True, True)


def shard_buffers(buf) -> list:
    """The single-device arrays of a global array, in its sharding's device order. (jaxlib
    builds them through ``jax`` when it is installed: a one-time import, functionally harmless;
    shared/docs/jaxlib-runtime.md, section 1.1. Only host reads of sharded arrays use this.)"""
    return list(buf._arrays)


class SpmdExecutable:
    """A loaded executable over several devices (one SPMD program partitioned by XLA)."""

    __slots__ = ("xla", "devices", "out_tilings", "execute_raw", "has_collectives")

    def __init__(self, xla_exe, devices, out_avals):
        self.xla = xla_exe
        self.devices = tuple(devices)
        shardings = xla_exe.get_output_shardings()
        if shardings is None:  # one partition: XLA reports no shardings; all on that device
            self.out_tilings = [((1,) * a.ndim, (0,), 1) for a in out_avals]
        else:
            self.out_tilings = [tiling_of(s, a.ndim) for s, a in zip(shardings, out_avals)]
        self.execute_raw = xla_exe.execute_sharded
        text = self.hlo_text()
        self.has_collectives = any(k in text for k in (
            "all-reduce", "all-gather", "collective-permute", "all-to-all", "reduce-scatter"))

    def handlers(self, out_avals, shardings) -> list:
        return [_jax.array_result_handler(a, s, True, _skip_checks=True)
                for a, s in zip(out_avals, shardings)]

    def hlo_text(self) -> str:
        return self.xla.hlo_modules()[0].to_string()

    def cost_analysis(self) -> dict:
        return dict(self.xla.cost_analysis())

    def memory_stats(self):
        return self.xla.get_compiled_memory_stats()


def compile_spmd(module, devices: Sequence, out_avals) -> SpmdExecutable:
    """Compiles a module annotated with Shardy shardings for ``devices`` (its logical ids are
    positions in that list), partitioned by XLA's SPMD partitioner."""
    devices = tuple(devices)
    client = devices[0].client
    n = len(devices)
    options = xc.CompileOptions()
    options.num_replicas = 1
    options.num_partitions = n
    build = options.executable_build_options
    build.use_spmd_partitioning = True
    build.use_shardy_partitioner = True
    options.device_assignment = xc.DeviceAssignment.create(
        np.array([[d.id for d in devices]]))
    exe = client.compile_and_load(module, xc.DeviceList(devices), options,
                                  **host_callback_args(module))
    return SpmdExecutable(exe, devices, out_avals)


# ----------------------------------------------------------------------------------------------
# Host callbacks (Python called from compiled code; shared/docs/jaxlib-runtime.md, section 6).
#
# A lowering rule registers the callable (``register_host_callback``: a process-wide id, held
# weakly: the IR equation holding it keeps it alive until compilation, then the executable does)
# and lists the ids it used in the module attribute ``xfront.host_callbacks``; the custom call's
# ``index`` is the position in that list, which is the list ``compile_and_load`` gets.

HOST_CALLBACKS_ATTR = "xfront.host_callbacks"
_host_callbacks: weakref.WeakValueDictionary = weakref.WeakValueDictionary()
_host_callback_ids = itertools.count()


def host_callback_target(platform: str) -> str:
    """The custom-call target that calls Python on ``platform`` (CPU and CUDA/ROCm)."""
    if platform == "cpu":
        return "xla_ffi_python_cpu_callback"
    if platform in ("cuda", "rocm", "gpu"):
        return "xla_ffi_python_gpu_callback"
    raise NotImplementedError(
        f"host callbacks (pure_callback, debug.print, io_callback) are not supported on "
        f"{platform!r} by xfront yet (CPU and GPU only)")


def register_host_callback(fn) -> int:
    """A process-wide id for ``fn`` (a weak-referenceable callable)."""
    i = next(_host_callback_ids)
    _host_callbacks[i] = fn
    return i


def host_callback_args(module) -> dict:
    """``compile_and_load`` keyword arguments for the host callbacks a module calls."""
    attrs = getattr(getattr(module, "operation", None), "attributes", None)
    if attrs is None or HOST_CALLBACKS_ATTR not in attrs:
        return {}
    fns = []
    for a in attrs[HOST_CALLBACKS_ATTR]:
        fn = _host_callbacks.get(int(a.value))
        if fn is None:
            raise RuntimeError(f"host callback {int(a.value)} of this module no longer exists "
                               "(its program was lowered, then its callbacks were freed)")
        fns.append(fn)
    return {"host_callbacks": fns}


def execute_and_wait(execute, bufs, handlers) -> list:
    """Runs an executable (its ``execute_sharded``) and waits until it has finished, side
    effects included (with zero outputs there is no result to block on: a runtime token)."""
    results = execute(bufs, with_tokens=True)
    token = results.consume_token()
    outs = results.consume_with_handlers(handlers)
    token.block_until_ready()
    return outs


Device = _jax.Device


def live_single_device_buffers(platform: str | None = None) -> list:
    """The live single-device arrays of a backend's client (jaxlib's own list), not deleted."""
    return [b for b in get_client(platform).live_arrays()
            if isinstance(b._sharding, SingleDeviceSharding) and not b.is_deleted()]


def buffer_device(buf):
    """The device of a single-device buffer."""
    return buf._sharding._device


def copy_to_host_async(buf) -> None:
    """Starts copying a buffer to the host (nothing to do on CPU: it is host memory)."""
    if buf.platform() != "cpu":
        buf._copy_single_device_array_to_host_async()


# ----------------------------------------------------------------------------------------------
# LAPACK custom calls (CPU linear algebra).

_lapack_lock = threading.Lock()
_lapack_ready = False


class LapackUnavailableError(RuntimeError):
    """jaxlib's CPU LAPACK kernels could not be registered (linear algebra on CPU needs them)."""


def ensure_lapack() -> None:
    """Registers jaxlib's CPU LAPACK custom-call targets (``lapack_<s|d|c|z><op>_ffi``, typed FFI)
    with XLA once per process and fills their LAPACK function pointers (from SciPy).

    Called by the linear-algebra lowering rules before a module that uses them is compiled.
    Without ``initialize()`` the first LAPACK call would crash the process, so any failure here
    raises ``LapackUnavailableError`` instead.
    """
    global _lapack_ready
    if _lapack_ready:
        return
    with _lapack_lock:
        if _lapack_ready:
            return
        try:
            from jaxlib.cpu import _lapack
        except ImportError as e:
            raise LapackUnavailableError(
                f"xfront linear algebra on CPU needs jaxlib's LAPACK kernels "
                f"(jaxlib.cpu._lapack), which could not be imported: {e}") from e
        try:
            # Fills the kernels' LAPACK function pointers from scipy.linalg.cython_lapack.
            _lapack.initialize()
        except ImportError as e:
            raise LapackUnavailableError(
                "xfront linear algebra on CPU uses the LAPACK routines shipped with SciPy; "
                f"install scipy (pip install scipy). Import failed: {e}") from e
        except Exception as e:
            raise LapackUnavailableError(
                f"initializing jaxlib's LAPACK kernels failed: {type(e).__name__}: {e}") from e
        try:
            for name, capsule in _lapack.registrations().items():
                xc.register_custom_call_target(name, capsule, platform="cpu", api_version=1)
        except Exception as e:
            raise LapackUnavailableError(
                f"registering jaxlib's LAPACK custom-call targets failed: "
                f"{type(e).__name__}: {e}") from e
        _lapack_ready = True
