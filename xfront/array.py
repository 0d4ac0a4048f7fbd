"""``xfront.Array``: an immutable array in device memory.

It wraps one jaxlib buffer (``_buf``) with its abstract value. Arithmetic operators, indexing and
the NumPy-style methods are installed by ``xfront.numpy`` (shared with tracers, so the same code
runs eagerly and under jit). Host conversion goes through ``xfront.dispatch``.
"""

from __future__ import annotations

import numpy as np

from xfront.core.errors import DeletedArrayError, XfrontTypeError
from xfront.core.ir import ShapedArray


class Array:
    """A device-backed, immutable array (``jax.Array``'s counterpart)."""

    # _committed_device: the device the array is committed to, or None (uncommitted: it lives on
    # the default device and may move). _sharding: for an array over several devices, its
    # xfront.sharding.Sharding (then _buf is one global jaxlib array and _committed_device is
    # None); None otherwise. _sig: the key dispatch caches use (aval, plus the device when
    # committed, or the sharding). _npy: the cached host copy, unset until first read.
    __slots__ = ("_buf", "aval", "_committed_device", "_sig", "_npy", "_sharding",
                 "__weakref__")
    __array_priority__ = 100

    @staticmethod
    def _new(buf, aval: ShapedArray, committed_device=None) -> Array:
        sig = aval if committed_device is None else (aval, committed_device)
        return Array._new_with_sig(buf, aval, committed_device, sig)

    @staticmethod
    def _new_with_sig(buf, aval: ShapedArray, committed_device, sig) -> Array:
        self = _new_array(Array)
        self._buf = buf
        self.aval = aval
        self._committed_device = committed_device
        self._sig = sig
        return self

    @staticmethod
    def _new_sharded(buf, aval: ShapedArray, sharding) -> Array:
        """An array over several devices (``sharding`` names more than one)."""
        self = _new_array(Array)
        self._buf = buf
        self.aval = aval
        self._committed_device = None
        self._sharding = sharding
        self._sig = (aval, sharding)
        return self

    def __init__(self, *args, **kwargs):
        raise TypeError("xfront.Array cannot be constructed directly; use "
                        "xfront.numpy.asarray(...) or xfront.device_put(...)")

    # -- metadata ------------------------------------------------------------------------------
    shape = property(lambda self: self.aval.shape)
    dtype = property(lambda self: self.aval.dtype)
    ndim = property(lambda self: self.aval.ndim)
    size = property(lambda self: self.aval.size)
    weak_type = property(lambda self: self.aval.weak_type)

    @property
    def itemsize(self) -> int:
        return self.aval.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.aval.size * self.aval.dtype.itemsize

    @property
    def device(self):
        """The device holding the array; for an array over several devices, its sharding."""
        s = self._multi()
        if s is not None:
            return s
        d = self._committed_device
        if d is None:  # (where it was made: xfront.default_device may have changed since)
            from xfront import dispatch

            return dispatch.runtime.buffer_device(self._buf)
        return d

    def _multi(self):
        try:
            return self._sharding
        except AttributeError:
            return None

    def devices(self) -> set:
        s = self._multi()
        return s.device_set if s is not None else {self.device}

    @property
    def sharding(self):
        """How the array is laid out: a NamedSharding (or GSPMDSharding) over several devices,
        else a SingleDeviceSharding."""
        s = self._multi()
        if s is not None:
            return s
        from xfront.sharding import SingleDeviceSharding

        return SingleDeviceSharding(self.device)

    @property
    def is_fully_replicated(self) -> bool:
        return self.sharding.is_fully_replicated

    @property
    def is_fully_addressable(self) -> bool:
        return self.sharding.is_fully_addressable

    @property
    def addressable_shards(self) -> list:
        """One ``Shard`` per local device: its device, its index into the array, its data."""
        from xfront import dispatch

        return dispatch.addressable_shards(self)

    @property
    def global_shards(self) -> list:
        return self.addressable_shards

    @property
    def committed(self) -> bool:
        return self._committed_device is not None or self._multi() is not None

    def _with_device(self, device, committed: bool) -> Array:
        if self._multi() is None and device == self.device and committed == self.committed:
            return self
        return Array._new(self._buf, self.aval, device if committed else None)

    # -- lifetime and readiness ----------------------------------------------------------------
    def _check_alive(self, doing: str) -> None:
        if self._buf.is_deleted():
            raise DeletedArrayError(
                f"{doing}: the Array ({self.aval.str_short()}) has been deleted or donated to a "
                "jitted call; its buffer is gone. Keep a copy (x.copy()) if you need the value "
                "after donating it.")

    def block_until_ready(self) -> Array:
        """Waits until the value is computed (execution is asynchronous); returns self."""
        self._check_alive("block_until_ready")
        from xfront import dispatch

        dispatch.block_until_ready([self._buf])
        return self

    def copy_to_host_async(self) -> None:
        """Starts copying the value to the host, so a later read does not wait for the copy
        (nothing to do on CPU, whose buffers are host memory)."""
        self._check_alive("copy_to_host_async")
        from xfront import dispatch

        for shard in (dispatch.addressable_shards(self) if self._multi() else (self,)):
            dispatch.runtime.copy_to_host_async(shard._buf if shard is self else shard.data._buf)

    def is_ready(self) -> bool:
        self._check_alive("is_ready")
        return self._buf.is_ready()

    def delete(self) -> None:
        """Frees the device buffer now; later use raises an error."""
        self._npy = None
        self._buf.delete()

    def is_deleted(self) -> bool:
        return self._buf.is_deleted()

    def on_device_size_in_bytes(self) -> int:
        self._check_alive("on_device_size_in_bytes")
        return self._buf.on_device_size_in_bytes()

    def unsafe_buffer_pointer(self) -> int:
        self._check_alive("unsafe_buffer_pointer")
        return self._buf.unsafe_buffer_pointer()

    # -- host conversion -----------------------------------------------------------------------
    @property
    def _value(self) -> np.ndarray:
        try:
            v = self._npy
        except AttributeError:
            v = None
        if v is None:
            from xfront import dispatch

            v = self._npy = dispatch.to_numpy(self)
        return v

    def __array__(self, dtype=None, copy=None):
        v = self._value
        if dtype is not None and np.dtype(dtype) != v.dtype:
            if copy is False:
                raise ValueError("converting to another dtype needs a copy")
            return v.astype(dtype)
        if copy:
            return v.copy()
        return v

    def tolist(self):
        return self._value.tolist()

    def item(self, *args):
        return self._value.item(*args)

    def __bool__(self):
        return bool(self._value)

    def __float__(self):
        return float(self._value)

    def __int__(self):
        return int(self._value)

    def __complex__(self):
        return complex(self._value)

    def __index__(self):
        if self.aval.shape or self.aval.dtype.kind not in "iub":
            raise XfrontTypeError(
                f"only integer scalar arrays can be converted to a Python index, got "
                f"{self.aval.str_short()}")
        return int(self._value)

    def __len__(self):
        if not self.aval.shape:
            raise TypeError("len() of unsized object (a 0-d array)")
        return self.aval.shape[0]

    def __iter__(self):
        if not self.aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self.aval.shape[0]))

    __hash__ = None  # arrays are unhashable, as in NumPy and JAX

    def __repr__(self):
        if self._buf.is_deleted():
            return f"Array(<deleted>, shape={self.shape}, dtype={self.dtype})"
        v = self._value
        extra = f", dtype={self.dtype.name}"
        if self.weak_type:
            extra += ", weak_type=True"
        if v.size == 0:
            return f"Array([], shape={self.shape}{extra})"
        body = np.array2string(v, separator=", ", prefix="Array(",
                               suffix=extra + ")", threshold=1000)
        return f"Array({body}{extra})"

    def __str__(self):
        if self._buf.is_deleted():
            return "<deleted Array>"
        return str(self._value)

    def __format__(self, spec):
        if self.aval.shape:
            return format(str(self), spec)
        return format(self._value[()], spec)

    def __reduce__(self):
        return (_rebuild, (np.array(self._value), self.weak_type))

    def __copy__(self):
        return self.copy()

    def __deepcopy__(self, memo):
        return self.copy()


class Shard:
    """One device's block of an Array: ``device``, ``index`` (a tuple of slices into the global
    array), ``data`` (a single-device Array), ``replica_id``."""

    __slots__ = ("device", "index", "data", "replica_id")

    def __init__(self, device, index, data, replica_id: int = 0):
        self.device = device
        self.index = index
        self.data = data
        self.replica_id = replica_id

    def __repr__(self):
        return (f"Shard(device={self.device}, index={self.index}, replica_id={self.replica_id}, "
                f"data={self.data.aval.str_short()})")


_new_array = object.__new__


def _rebuild(value: np.ndarray, weak_type: bool) -> Array:
    from xfront import dispatch

    aval = ShapedArray(value.shape, value.dtype, weak_type)
    return dispatch.put(value, aval)
