"""``xfront.sharding``: device meshes and how arrays are laid out over them.

``Mesh`` names the axes of an n-d grid of devices; ``PartitionSpec`` (``P``) says, per array
dimension, which mesh axes split it; ``NamedSharding(mesh, spec)`` is the pair, and
``SingleDeviceSharding`` puts a whole array on one device. Arrays carry their sharding
(``x.sharding``); ``xfront.jit(..., in_shardings=, out_shardings=)``,
``lax.with_sharding_constraint`` and ``shard_map`` hand them to XLA's SPMD partitioner as Shardy
annotations in the emitted StableHLO.

Meshes made here are what JAX calls ``AxisType.Auto`` meshes: shardings are placement requests that
the partitioner propagates, not part of the array types.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
from collections.abc import Sequence

import numpy as np

from xfront.core.errors import XfrontTypeError, XfrontValueError

__all__ = [
    "Mesh", "PartitionSpec", "P", "NamedSharding", "SingleDeviceSharding", "Sharding",
    "GSPMDSharding", "AxisType", "make_mesh", "set_mesh", "use_mesh", "get_mesh",
]


class AxisType:
    """Kinds of mesh axes. Only ``Auto`` (the partitioner decides where not annotated) exists."""

    Auto = "Auto"


# ----------------------------------------------------------------------------------------------
# Mesh


class Mesh:
    """An n-d array of devices with a name per axis (``Mesh(devices, ("data", "model"))``).

    Usable as a context manager: inside ``with mesh:``, a bare ``PartitionSpec`` given to jit or
    ``with_sharding_constraint`` means ``NamedSharding(mesh, spec)``."""

    __slots__ = ("devices", "axis_names", "_ids", "_hash", "__weakref__")

    def __init__(self, devices, axis_names, *, axis_types=None):
        devs = np.asarray(devices, dtype=object)
        if isinstance(axis_names, str):
            axis_names = (axis_names,)
        axis_names = tuple(axis_names)
        if devs.ndim != len(axis_names):
            raise XfrontValueError(
                f"Mesh: devices has {devs.ndim} dimension(s) {devs.shape} but "
                f"{len(axis_names)} axis name(s) {axis_names} were given")
        if len(set(axis_names)) != len(axis_names):
            raise XfrontValueError(f"Mesh: axis names must be unique, got {axis_names}")
        for n in axis_names:
            if not isinstance(n, str):
                raise XfrontTypeError(f"Mesh: axis names must be strings, got {n!r}")
        flat = list(devs.flat)
        if len({id(d) for d in flat}) != len(flat):
            raise XfrontValueError("Mesh: a device appears more than once")
        self.devices = devs
        self.axis_names = axis_names
        self._ids = tuple(d.id for d in flat)
        self._hash = hash((self._ids, axis_names, devs.shape))
        del axis_types

    @property
    def shape(self) -> dict:
        return dict(zip(self.axis_names, self.devices.shape))

    @property
    def axis_sizes(self) -> tuple:
        return tuple(self.devices.shape)

    @property
    def size(self) -> int:
        return int(self.devices.size)

    @property
    def device_ids(self) -> np.ndarray:
        return np.asarray(self._ids).reshape(self.devices.shape)

    @property
    def flat_devices(self) -> tuple:
        return tuple(self.devices.flat)

    @property
    def local_devices(self) -> list:
        from xfront import dispatch

        pid = dispatch.process_index()
        return [d for d in self.devices.flat if d.process_index == pid]

    @property
    def is_multi_process(self) -> bool:
        return len({d.process_index for d in self.devices.flat}) > 1

    @property
    def empty(self) -> bool:
        return self.size == 0

    def axis_size(self, name: str) -> int:
        try:
            return self.shape[name]
        except KeyError:
            raise XfrontValueError(
                f"axis {name!r} is not in the mesh {self._short()}") from None

    def _short(self) -> str:
        return "Mesh(" + ", ".join(f"{n!r}: {s}" for n, s in self.shape.items()) + ")"

    def __eq__(self, other):
        if other is self:
            return True
        return (type(other) is Mesh and self._ids == other._ids
                and self.axis_names == other.axis_names
                and self.devices.shape == other.devices.shape)

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return self._short()

    def __enter__(self):
        _mesh_stack.stack.append(self)
        return self

    def __exit__(self, *exc):
        _mesh_stack.stack.pop()
        return False


class _MeshStack(threading.local):
    def __init__(self):
        self.stack: list[Mesh] = []


_mesh_stack = _MeshStack()


def get_mesh() -> Mesh | None:
    """The mesh of the innermost ``with mesh:`` / ``use_mesh`` / ``set_mesh``, or None."""
    return _mesh_stack.stack[-1] if _mesh_stack.stack else None


@contextlib.contextmanager
def use_mesh(mesh: Mesh):
    with mesh:
        yield mesh


def set_mesh(mesh: Mesh):
    """Makes ``mesh`` the current mesh (also usable as a context manager)."""
    _mesh_stack.stack.append(mesh)

    class _Reset:
        def __enter__(self):
            return mesh

        def __exit__(self, *exc):
            if _mesh_stack.stack and _mesh_stack.stack[-1] is mesh:
                _mesh_stack.stack.pop()
            return False

    return _Reset()


def make_mesh(axis_shapes: Sequence[int], axis_names: Sequence[str], *, devices=None,
              axis_types=None) -> Mesh:
    """A mesh of ``axis_shapes`` over ``devices`` (default: all devices, in id order)."""
    from xfront import dispatch

    axis_shapes = tuple(int(s) for s in axis_shapes)
    devs = list(devices) if devices is not None else dispatch.devices()
    need = math.prod(axis_shapes)
    if need != len(devs):
        raise XfrontValueError(
            f"make_mesh: the mesh shape {axis_shapes} needs {need} devices but "
            f"{len(devs)} are available ({_describe_devices(devs)}); set "
            f"XFRONT_NUM_CPU_DEVICES={need} for a CPU mesh of that size")
    devs = sorted(devs, key=lambda d: (d.process_index, d.id))
    return Mesh(np.array(devs, dtype=object).reshape(axis_shapes), tuple(axis_names),
                axis_types=axis_types)


def _describe_devices(devs) -> str:
    kinds = sorted({d.platform for d in devs})
    return f"{len(devs)} {'/'.join(kinds)} device(s)"


# ----------------------------------------------------------------------------------------------
# PartitionSpec


class PartitionSpec(tuple):
    """Per array dimension: None (not split), a mesh axis name, or a tuple of names (split over
    their product, major to minor). Dimensions past the end are not split."""

    __slots__ = ()

    def __new__(cls, *partitions):
        for p in partitions:
            if p is None or isinstance(p, str):
                continue
            if isinstance(p, tuple | list) and all(isinstance(q, str) for q in p):
                continue
            raise XfrontTypeError(
                f"PartitionSpec entries must be None, a mesh axis name or a tuple of names, "
                f"got {p!r}")
        return super().__new__(cls, tuple(tuple(p) if isinstance(p, list) else p
                                          for p in partitions))

    def __repr__(self):
        return "P(" + ", ".join(repr(p) for p in self) + ")"

    def axes_of(self, dim: int) -> tuple:
        """The mesh axes splitting dimension ``dim`` (``()`` if none)."""
        if dim >= len(self):
            return ()
        p = self[dim]
        if p is None:
            return ()
        return (p,) if isinstance(p, str) else tuple(p)

    def used_axes(self) -> list:
        return [a for d in range(len(self)) for a in self.axes_of(d)]

    def __reduce__(self):
        return (PartitionSpec, tuple(self))


P = PartitionSpec


# ----------------------------------------------------------------------------------------------
# Shardings


class Sharding:
    """How an array's elements are placed on devices (base class)."""

    __slots__ = ()
    memory_kind = None

    @property
    def device_set(self) -> set:
        return set(self._device_assignment)

    @property
    def num_devices(self) -> int:
        return len(self._device_assignment)

    @property
    def addressable_devices(self) -> set:
        from xfront import dispatch

        pid = dispatch.process_index()
        return {d for d in self._device_assignment if d.process_index == pid}

    @property
    def is_fully_addressable(self) -> bool:
        return len(self.addressable_devices) == self.num_devices

    def shard_shape(self, global_shape) -> tuple:
        """The shape of each device's block of an array of ``global_shape``."""
        idx = next(iter(self.devices_indices_map(tuple(global_shape)).values()))
        return tuple(len(range(*s.indices(n))) for s, n in zip(idx, global_shape))

    def addressable_devices_indices_map(self, shape) -> dict:
        local = self.addressable_devices
        return {d: i for d, i in self.devices_indices_map(tuple(shape)).items() if d in local}

    def is_equivalent_to(self, other: Sharding, ndim: int) -> bool:
        return (self._device_assignment == other._device_assignment
                and self._op_sharding_key(ndim) == other._op_sharding_key(ndim))

    def with_memory_kind(self, kind):
        return self

    # Subclasses provide: _device_assignment (a tuple of devices, the logical device order),
    # _tile(ndim) -> (tile dims, tile-major device positions, replicated copies),
    # devices_indices_map(shape).

    def _op_sharding_key(self, ndim: int):
        return self._tile(ndim)


class SingleDeviceSharding(Sharding):
    """The whole array on one device."""

    __slots__ = ("_device",)

    def __init__(self, device):
        self._device = device

    @property
    def device(self):
        return self._device

    @property
    def _device_assignment(self) -> tuple:
        return (self._device,)

    is_fully_replicated = property(lambda self: True)

    def devices_indices_map(self, shape) -> dict:
        return {self._device: (slice(None),) * len(shape)}

    def _tile(self, ndim: int):
        return (1,) * ndim, (0,), 1

    def __eq__(self, other):
        return type(other) is SingleDeviceSharding and other._device == self._device

    def __hash__(self):
        return hash(("single", self._device))

    def __repr__(self):
        return f"SingleDeviceSharding(device={self._device})"


class NamedSharding(Sharding):
    """An array split over a ``Mesh`` according to a ``PartitionSpec``."""

    __slots__ = ("mesh", "spec", "_hash", "_cache", "_key")

    def __init__(self, mesh: Mesh, spec: PartitionSpec = PartitionSpec(), *,
                 memory_kind=None):
        if not isinstance(mesh, Mesh):
            raise XfrontTypeError(f"NamedSharding: expected a Mesh, got {type(mesh).__name__}")
        if spec is None:
            spec = PartitionSpec()
        if not isinstance(spec, PartitionSpec):
            if isinstance(spec, tuple | list):
                spec = PartitionSpec(*spec)
            else:
                raise XfrontTypeError(
                    f"NamedSharding: expected a PartitionSpec, got {type(spec).__name__}")
        used = spec.used_axes()
        for a in used:
            if a not in mesh.axis_names:
                raise XfrontValueError(
                    f"NamedSharding: the PartitionSpec {spec!r} names axis {a!r}, which is not "
                    f"in the mesh {mesh._short()}")
        dup = sorted({a for a in used if used.count(a) > 1})
        if dup:
            raise XfrontValueError(
                f"NamedSharding: the PartitionSpec {spec!r} uses mesh axis {dup[0]!r} more "
                "than once")
        self.mesh = mesh
        self.spec = spec
        # What equality compares: the mesh and the spec with equivalent spellings made one
        # (P("x") == P("x", None) == P(("x",)); P(()) == P(None)).
        norm = [None if p in ((), None) else p[0] if isinstance(p, tuple) and len(p) == 1
                else p for p in spec]
        while norm and norm[-1] is None:
            norm.pop()
        self._key = (mesh, tuple(norm))
        self._hash = hash(self._key)
        self._cache: dict = {}
        del memory_kind

    @property
    def _device_assignment(self) -> tuple:
        return self.mesh.flat_devices

    @property
    def is_fully_replicated(self) -> bool:
        return all(self.mesh.shape[a] == 1 for a in self.spec.used_axes())

    def check_shape(self, shape, what: str = "") -> None:
        """Raises unless every dimension of ``shape`` divides evenly over its mesh axes."""
        if len(self.spec) > len(shape):
            raise XfrontValueError(
                f"{what}the PartitionSpec {self.spec!r} has {len(self.spec)} entries but the "
                f"array has rank {len(shape)} (shape {tuple(shape)})")
        for d, n in enumerate(shape):
            axes = self.spec.axes_of(d)
            k = math.prod(self.mesh.shape[a] for a in axes)
            if n % k:
                raise XfrontValueError(
                    f"{what}dimension {d} of shape {tuple(shape)} has size {n}, which is not "
                    f"divisible by {k} (mesh axes {axes} of {self.mesh._short()}, "
                    f"PartitionSpec {self.spec!r})")

    def _tile(self, ndim: int):
        """``(tile dims, device positions in tile-major order, copies)``: dimension ``d`` is cut
        into ``tile[d]`` blocks; the devices holding block (i0, .., i{n-1}) are the next
        ``copies`` entries of the position list (mesh positions = logical device ids)."""
        hit = self._cache.get(ndim)
        if hit is not None:
            return hit
        mesh = self.mesh
        names = mesh.axis_names
        order, tile = [], []
        for d in range(ndim):
            axes = self.spec.axes_of(d)
            order.extend(names.index(a) for a in axes)
            tile.append(math.prod(mesh.shape[a] for a in axes))
        rest = [i for i in range(len(names)) if i not in order]
        copies = math.prod(mesh.devices.shape[i] for i in rest)
        positions = np.arange(mesh.size).reshape(mesh.devices.shape)
        positions = positions.transpose(order + rest).reshape(-1)
        out = (tuple(tile), tuple(int(p) for p in positions), copies)
        self._cache[ndim] = out
        return out

    def devices_indices_map(self, shape) -> dict:
        shape = tuple(shape)
        tile, positions, copies = self._tile(len(shape))
        flat = self.mesh.flat_devices
        out = {}
        blocks = itertools.product(*[range(t) for t in tile])
        for b, block in enumerate(blocks):
            index = tuple(slice(i * (n // t), (i + 1) * (n // t)) if t > 1 else slice(None)
                          for i, t, n in zip(block, tile, shape))
            for c in range(copies):
                out[flat[positions[b * copies + c]]] = index
        return out

    def __eq__(self, other):
        if other is self:
            return True
        return type(other) is NamedSharding and self._key == other._key

    def __hash__(self):
        return self._hash

    def __repr__(self):
        return f"NamedSharding(mesh={self.mesh!r}, spec={self.spec!r})"


class GSPMDSharding(Sharding):
    """A layout XLA chose that no PartitionSpec over the computation's mesh describes: tile
    dimensions over a device list (what ``out_shardings`` left to the partitioner can give)."""

    __slots__ = ("_devices", "_tiling")

    def __init__(self, devices: Sequence, tiling):
        self._devices = tuple(devices)
        self._tiling = tiling  # (tile dims, positions, copies) as in NamedSharding._tile

    @property
    def _device_assignment(self) -> tuple:
        return self._devices

    @property
    def is_fully_replicated(self) -> bool:
        return all(t == 1 for t in self._tiling[0])

    def _tile(self, ndim: int):
        return self._tiling

    def devices_indices_map(self, shape) -> dict:
        tile, positions, copies = self._tiling
        out = {}
        for b, block in enumerate(itertools.product(*[range(t) for t in tile])):
            index = tuple(slice(i * (n // t), (i + 1) * (n // t)) if t > 1 else slice(None)
                          for i, t, n in zip(block, tile, shape))
            for c in range(copies):
                out[self._devices[positions[b * copies + c]]] = index
        return out

    def __eq__(self, other):
        return (type(other) is GSPMDSharding and other._devices == self._devices
                and other._tiling == self._tiling)

    def __hash__(self):
        return hash(self._devices)

    def __repr__(self):
        return f"GSPMDSharding(tile={self._tiling[0]}, devices={len(self._devices)})"


def named_from_tiling(mesh: Mesh, ndim: int, tiling) -> Sharding:
    """The NamedSharding over ``mesh`` with this tiling if one exists, else a GSPMDSharding.
    (Searches the specs that use each mesh axis at most once; meshes are small.)"""
    tile = tuple(tiling[0])
    names = mesh.axis_names
    if all(t == 1 for t in tile):
        return NamedSharding(mesh, PartitionSpec())
    choices = []
    for d in range(ndim):
        if tile[d] == 1:
            choices.append([()])
            continue
        opts = []
        for r in range(1, len(names) + 1):
            for axes in itertools.permutations(names, r):
                if math.prod(mesh.shape[a] for a in axes) == tile[d]:
                    opts.append(axes)
        choices.append(opts)
    for combo in itertools.product(*choices):
        used = [a for axes in combo for a in axes]
        if len(used) != len(set(used)):
            continue
        entries = [None if not axes else axes[0] if len(axes) == 1 else axes for axes in combo]
        while entries and entries[-1] is None:
            entries.pop()
        spec = PartitionSpec(*entries)
        cand = NamedSharding(mesh, spec)
        if cand._tile(ndim) == tuple(tiling):
            return cand
    return GSPMDSharding(mesh.flat_devices, tuple(tiling))
