"""PRNG keys and the threefry2x32 hash: seeding, ``split``, ``fold_in`` and random bits.

A key is 64 bits of state, held as ``uint32[2]`` (``key data``). Two spellings exist, as in JAX:

* typed keys (``key(seed)``): a ``PRNGKeyArray`` whose shape excludes the trailing ``(2,)``. It is
  a pytree with one leaf (the ``uint32[..., 2]`` key data), so it passes through ``jit``,
  ``vmap`` (batch axes index the key dimensions), ``grad`` and the tree utilities;
* legacy raw keys (``PRNGKey(seed)``): plain ``uint32[2]`` arrays.

Everything below derives new 32-bit words with ``threefry2x32(key, counter)`` (Salmon et al.,
"Parallel random numbers: as easy as 1, 2, 3", SC'11): 20 rounds of add / rotate / xor with a
key injection every 4 rounds, built from ``xfront.lax`` ops so the same bits come out of every
backend, eagerly, under ``jit`` and under ``vmap``. Counters follow JAX's default
(``jax_threefry_partitionable=True``) layout: element ``i`` of an output of some shape hashes the
64-bit counter ``i`` (row-major), split into ``(hi, lo)`` words.
"""

from __future__ import annotations

import contextlib
import contextvars
import math
import operator
from typing import NamedTuple

import numpy as np

from xfront import lax
from xfront import numpy as xnp
from xfront.api import jit
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.config import config
from xfront.core.errors import (
    XfrontIndexError,
    XfrontOverflowError,
    XfrontTypeError,
    XfrontValueError,
)
from xfront.core.trace import Tracer
from xfront.tree_util import register_pytree_node_class

_u32 = np.uint32
UINT_DTYPES = {8: dtypes.uint8, 16: dtypes.uint16, 32: dtypes.uint32, 64: dtypes.uint64}

# ----------------------------------------------------------------------------------------------
# The threefry2x32 hash.

_ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
_KS_PARITY = 0x1BD11BDA  # Threefish's key-schedule constant (C240), truncated to 32 bits


def _rotate_left(x, d: int):
    return lax.bitwise_or(lax.shift_left(x, _u32(d)), lax.shift_right_logical(x, _u32(32 - d)))


def threefry2x32(k1, k2, x1, x2):
    """The threefry2x32 block function over uint32 arrays (broadcast against each other).

    Returns the two output words ``(y1, y2)``. Key ``(k1, k2)``, counter ``(x1, x2)``.
    """
    args = [xnp.asarray(a) for a in (k1, k2, x1, x2)]
    for a in args:
        if a.dtype != dtypes.uint32:
            raise XfrontTypeError(
                "threefry2x32: keys and counters must be uint32, got "
                + ", ".join(str(b.dtype) for b in args))
    shape = xnp.broadcast_shapes(*(a.shape for a in args))
    # the key schedule stays scalar when the key is (lax broadcasts rank-0 operands)
    k1, k2, x1, x2 = (a if a.shape == shape or (i < 2 and not a.shape)
                      else xnp.broadcast_to(a, shape) for i, a in enumerate(args))
    ks = [k1, k2, lax.bitwise_xor(lax.bitwise_xor(k1, k2), _u32(_KS_PARITY))]
    x1 = lax.add(x1, ks[0])
    x2 = lax.add(x2, ks[1])
    if _rolled.get() and hasattr(lax, "fori_loop"):
        return _rounds_rolled(x1, x2, ks)
    for i in range(5):  # 5 groups of 4 rounds; a key injection after each group
        for r in _ROTATIONS[i % 2]:
            x1 = lax.add(x1, x2)
            x2 = lax.bitwise_xor(x1, _rotate_left(x2, r))
        x1 = lax.add(x1, ks[(i + 1) % 3])
        x2 = lax.add(lax.add(x2, ks[(i + 2) % 3]), _u32(i + 1))
    return x1, x2


def _rounds_rolled(x1, x2, ks):
    """The 5 groups of rounds as a fori_loop carrying the rotated key schedule and rotation
    constants: the structure of JAX's CPU lowering, which XLA compiles behind a loop boundary.
    """

    def group(i, state):
        (x1, x2), ks, rots = state
        for j in range(4):
            r = rots[0][j]
            x1 = lax.add(x1, x2)
            x2 = lax.bitwise_xor(x1, lax.bitwise_or(lax.shift_left(x2, r),
                                                    lax.shift_right_logical(x2, _u32(32) - r)))
        x1 = lax.add(x1, ks[0])
        x2 = lax.add(lax.add(x2, ks[1]), lax.convert_element_type(i + 1, dtypes.uint32))
        return (x1, x2), ks[1:] + ks[:1], rots[1:] + rots[:1]

    rots = [xnp.asarray(np.array(r, dtypes.uint32)) for r in _ROTATIONS]
    (x1, x2), _, _ = lax.fori_loop(0, 5, group, ((x1, x2), ks[1:] + ks[:1], rots))
    return x1, x2


_rolled = contextvars.ContextVar("xfront_random_rolled_threefry", default=False)


@contextlib.contextmanager
def rolled_threefry():
    """Within this context (while tracing), threefry2x32 runs its rounds in a ``fori_loop``.

    The bits are the same either way. Straight-line rounds fuse with their consumers and run
    ~2.5x faster on CPU; the rolled loop gives XLA the fusion boundary JAX's CPU lowering has,
    so float code that ends in a reduction (the norm in ``maxwell``) rounds exactly as in JAX.
    """
    token = _rolled.set(True)
    try:
        yield
    finally:
        _rolled.reset(token)


def threefry_2x32(keypair, count):
    """Hashes every element of the uint32 array ``count`` with the key ``keypair``.

    JAX's ``threefry_2x32`` layout: the flattened count (zero-padded to even length) is cut in
    two halves that form the counter pairs; the output has ``count``'s shape.
    """
    k1, k2 = keypair
    count = xnp.asarray(count)
    if count.dtype != dtypes.uint32:
        raise XfrontTypeError(f"threefry_2x32: count must be uint32, got {count.dtype}")
    flat = xnp.ravel(count)
    n = flat.shape[0]
    if n % 2:
        flat = xnp.concatenate([flat, xnp.zeros((1,), dtypes.uint32)])
    half = flat.shape[0] // 2
    y1, y2 = threefry2x32(xnp.asarray(k1), xnp.asarray(k2), flat[:half], flat[half:])
    return xnp.concatenate([y1, y2])[:n].reshape(count.shape)


def _iota_2x32(shape: tuple[int, ...]):
    """The 64-bit row-major flat index of each position of ``shape`` as (hi, lo) uint32 words."""
    size = math.prod(shape)
    if size >= 2**32:
        raise NotImplementedError(
            f"xfront.random: an output of {size} elements (shape {shape}) needs 64-bit counters; "
            "at most 2**32 - 1 elements per call are supported")
    hi = lax.full(shape, 0, dtypes.uint32)
    if not shape:
        return hi, hi
    lo = lax.reshape(lax.iota(dtypes.uint32, size), shape)
    return hi, lo


def _hash_shape(key, shape):
    """threefry2x32 of the counters 0 .. prod(shape)-1 under ``key`` (uint32[2] key data)."""
    hi, lo = _iota_2x32(shape)
    return threefry2x32(key[0], key[1], hi, lo)


def _split(key, shape: tuple[int, ...]):
    """uint32[2] key data -> uint32[*shape, 2]: new key ``i`` is threefry(key, counter i)."""
    y1, y2 = _hash_shape(key, shape)
    return xnp.stack([y1, y2], axis=len(shape))


def _fold_in(key, data):
    """uint32[2] key data, uint32[] data -> uint32[2]: threefry(key, (0, data))."""
    y1, y2 = threefry2x32(key[0], key[1], _u32(0), data)
    return xnp.stack([y1, y2])


def _random_bits(key, bit_width: int, shape: tuple[int, ...]):
    """Uniform bits of ``bit_width`` (8/16/32/64) and ``shape`` from uint32[2] key data."""
    y1, y2 = _hash_shape(key, shape)
    dtype = UINT_DTYPES[bit_width]
    if bit_width == 64:
        hi = lax.convert_element_type(y1, dtype)
        lo = lax.convert_element_type(y2, dtype)
        return lax.bitwise_or(lax.shift_left(hi, np.uint64(32)), lo)
    bits = lax.bitwise_xor(y1, y2)
    if bit_width == 32:
        return bits
    return lax.convert_element_type(bits, dtype)  # keeps the low bits


def _seed_traced(seed):
    """Key data for a traced integer scalar seed: (high word, low word) of its 64-bit value."""
    seed = xnp.asarray(seed)
    lo = lax.convert_element_type(seed, dtypes.uint32)
    if seed.dtype.itemsize == 8:
        hi = lax.convert_element_type(
            lax.shift_right_logical(seed, np.array(32, seed.dtype)), dtypes.uint32)
    else:
        hi = lax.full((), 0, dtypes.uint32)
    return xnp.stack([hi, lo])


_split_jit = jit(_split, static_argnums=1)
_fold_in_jit = jit(_fold_in)
_random_bits_jit = jit(_random_bits, static_argnums=(1, 2))
_seed_jit = jit(_seed_traced)


# ----------------------------------------------------------------------------------------------
# PRNG implementations and typed keys.


class PRNGImpl(NamedTuple):
    """A PRNG implementation: the shape of its key data and its name (only threefry2x32)."""

    key_shape: tuple
    name: str
    tag: str

    def __repr__(self):
        return f"PRNGImpl({self.name!r})"

    def __str__(self):
        return self.name


threefry_prng_impl = PRNGImpl(key_shape=(2,), name="threefry2x32", tag="fry")
_PRNGS = {threefry_prng_impl.name: threefry_prng_impl}


class KeyTy:
    """The element type of typed key arrays (``key<fry>``)."""

    __slots__ = ("_impl",)

    def __init__(self, impl: PRNGImpl):
        self._impl = impl

    name = property(lambda self: f"key<{self._impl.tag}>")
    itemsize = property(lambda self: 4 * math.prod(self._impl.key_shape))

    def __repr__(self):
        return self.name

    __str__ = __repr__

    def __eq__(self, other):
        return isinstance(other, KeyTy) and other._impl == self._impl

    def __hash__(self):
        return hash(("KeyTy", self._impl))


def default_prng_impl() -> PRNGImpl:
    """The default PRNG implementation (threefry2x32, the only one xfront has)."""
    return threefry_prng_impl


def _resolve_impl(spec, where: str) -> PRNGImpl:
    if spec is None:
        return default_prng_impl()
    if isinstance(spec, PRNGImpl):
        return spec
    if isinstance(spec, KeyTy):
        return spec._impl
    if isinstance(spec, str):
        if spec in _PRNGS:
            return _PRNGS[spec]
        raise XfrontValueError(
            f"{where}: unrecognized PRNG implementation {spec!r}; xfront has "
            + ", ".join(repr(k) for k in _PRNGS))
    raise XfrontTypeError(f"{where}: unrecognized type {type(spec).__name__} for specifying a PRNG "
                          "implementation (use a name such as 'threefry2x32' or key_dtype())")


def key_dtype(impl=None) -> KeyTy:
    """The dtype of typed keys of a PRNG implementation (``key<fry>``)."""
    return KeyTy(_resolve_impl(impl, "key_dtype"))


@register_pytree_node_class
class PRNGKeyArray:
    """An array of typed PRNG keys (what ``key(seed)`` returns).

    Its shape is the key data's shape without the trailing ``(2,)``. It is a pytree whose single
    leaf is the key data, so it can be a ``jit``/``vmap``/``grad`` argument or result.
    """

    __slots__ = ("_base_array", "_impl")
    __array_priority__ = 200

    def __init__(self, impl: PRNGImpl, key_data):
        self._impl = impl
        self._base_array = key_data

    # pytree protocol (unflattening must not validate: tree utilities pass arbitrary leaves)
    def tree_flatten(self):
        return (self._base_array,), self._impl

    @classmethod
    def tree_unflatten(cls, impl, leaves):
        obj = object.__new__(cls)
        obj._impl = impl
        (obj._base_array,) = leaves
        return obj

    # metadata
    shape = property(lambda self: tuple(self._base_array.shape[:-1]))
    ndim = property(lambda self: len(self._base_array.shape) - 1)
    size = property(lambda self: math.prod(self.shape))
    dtype = property(lambda self: KeyTy(self._impl))

    def __len__(self):
        if not self.shape:
            raise TypeError("len() of unsized object (a scalar key array)")
        return self.shape[0]

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a scalar key array")
        return (self[i] for i in range(self.shape[0]))

    def __getitem__(self, idx):
        idx = idx if isinstance(idx, tuple) else (idx,)
        if any(i is Ellipsis for i in idx):
            full = idx + (slice(None),)
        else:
            n = sum(1 for i in idx if i is not None)
            if n > self.ndim:
                raise XfrontIndexError(
                    f"too many indices for a key array of shape {self.shape}: {n} were indexed")
            full = idx + (Ellipsis, slice(None))
        return PRNGKeyArray(self._impl, self._base_array[full])

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
            shape = tuple(shape[0])
        shape = tuple(operator.index(d) for d in shape)
        if -1 in shape:
            known = math.prod(d for d in shape if d != -1)
            shape = tuple(self.size // max(known, 1) if d == -1 else d for d in shape)
        return PRNGKeyArray(self._impl,
                            self._base_array.reshape(shape + self._impl.key_shape, order=order))

    def ravel(self):
        return self.reshape((self.size,))

    flatten = ravel

    def squeeze(self, axis=None):
        if axis is None:
            axis = tuple(i for i, d in enumerate(self.shape) if d == 1)
        axes = (axis,) if isinstance(axis, int) else tuple(axis)
        axes = tuple(a % self.ndim if self.ndim else a for a in axes)
        return PRNGKeyArray(self._impl, xnp.squeeze(self._base_array, axes))

    def transpose(self, *axes):
        if not axes or axes == (None,):
            axes = tuple(reversed(range(self.ndim)))
        elif len(axes) == 1 and not isinstance(axes[0], int):
            axes = tuple(axes[0])
        perm = tuple(a % self.ndim for a in axes) + (self.ndim,)
        return PRNGKeyArray(self._impl, xnp.transpose(self._base_array, perm))

    T = property(lambda self: self.transpose())

    def copy(self):
        return PRNGKeyArray(self._impl, xnp.asarray(self._base_array).copy())

    def block_until_ready(self):
        if isinstance(self._base_array, Array):
            self._base_array.block_until_ready()
        return self

    def __eq__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return xnp.all(self._base_array == other._base_array, axis=-1)

    def __ne__(self, other):
        if not isinstance(other, PRNGKeyArray):
            return NotImplemented
        return xnp.any(self._base_array != other._base_array, axis=-1)

    __hash__ = None

    def __repr__(self):
        base = self._base_array
        if isinstance(base, Array):
            return (f"Array({self.shape}, dtype={self.dtype}) overlaying:\n"
                    f"{np.asarray(base)}")
        if hasattr(base, "shape") and hasattr(base, "dtype"):  # e.g. a tracer
            return f"PRNGKeyArray({self.shape}, dtype={self.dtype}, key_data={base!r})"
        return f"PRNGKeyArray(key_data={base!r})"  # tree utilities put arbitrary leaves here


def _is_array_like(x) -> bool:
    return isinstance(x, Array | Tracer | np.ndarray | np.generic)


def _check_key_data(data, where: str):
    shape = tuple(getattr(data, "shape", ()))
    dtype = getattr(data, "dtype", None)
    if len(shape) < 1 or shape[-1:] != threefry_prng_impl.key_shape:
        raise XfrontTypeError(
            f"{where}: invalid PRNG key data: expected a uint32 array of shape (..., 2) "
            f"(threefry2x32), got {dtype}{list(shape)}")
    if dtype != dtypes.uint32:
        raise XfrontTypeError(
            f"{where}: invalid PRNG key data: expected dtype uint32, got {dtype}{list(shape)}")


def _unwrap(key, where: str, allow_batched: bool = False):
    """(key data, was_typed) for a typed key or legacy raw key; checks shape and dtype."""
    if isinstance(key, PRNGKeyArray):
        data, typed = key._base_array, True
    elif _is_array_like(key):
        if isinstance(key, np.ndarray | np.generic):
            key = xnp.asarray(key)
        _check_key_data(key, where)
        data, typed = key, False
    else:
        raise XfrontTypeError(
            f"{where}: expected a PRNG key (from xfront.random.key or PRNGKey), got "
            f"{type(key).__name__}")
    if not allow_batched and tuple(data.shape) != threefry_prng_impl.key_shape:
        raise XfrontValueError(
            f"{where} accepts a single key, but was given a key array of shape "
            f"{tuple(data.shape[:-1])} != (). Use xfront.vmap for batching.")
    return data, typed


def _rewrap(data, typed: bool, impl: PRNGImpl = threefry_prng_impl):
    return PRNGKeyArray(impl, data) if typed else data


# ----------------------------------------------------------------------------------------------
# Public key functions.


def _seed_data(seed, where: str):
    """uint32[2] key data for an integer scalar seed, as JAX derives it.

    A seed is read as a 64-bit integer: the key is (high word, low word). Python ints must fit
    in int64; with x64 off they are first wrapped to int32 (so the high word is 0), as in JAX.
    """
    if isinstance(seed, PRNGKeyArray):
        raise XfrontTypeError(f"{where} accepts a scalar seed, but was given a PRNG key.")
    if isinstance(seed, bool | int):
        value = int(seed)
        if not -(2**63) <= value < 2**63:
            raise XfrontOverflowError(
                f"{where}: seed {value} does not fit in a 64-bit signed integer")
        wide = bool(config.enable_x64)  # with x64 off the seed is first wrapped to int32
    elif _is_array_like(seed):
        shape = tuple(seed.shape)
        if shape:
            raise XfrontTypeError(
                f"{where} accepts a scalar seed, but was given an array of shape {shape} != (). "
                "Use xfront.vmap for batching")
        if not dtypes.issubdtype(seed.dtype, np.integer):
            raise XfrontTypeError(f"{where}: the seed must be an integer, got {seed.dtype}")
        if isinstance(seed, Tracer):
            return _seed_jit(seed)
        canonical = dtypes.canonicalize_dtype(seed.dtype)
        value = int(np.asarray(seed).astype(canonical))
        wide = canonical.itemsize == 8
    else:
        raise XfrontTypeError(
            f"{where}: the seed must be an integer scalar, got {type(seed).__name__}")
    # Python ints are two's complement of unbounded width: masking sign-extends negative seeds
    hi = (value >> 32) & 0xFFFFFFFF if wide else 0
    data = np.array([hi, value & 0xFFFFFFFF], dtypes.uint32)
    return xnp.asarray(data)


def key(seed, *, impl=None, dtype=None) -> PRNGKeyArray:
    """A typed PRNG key (scalar key array) from an integer seed.

    Args:
      seed: a 64- or 32-bit integer (Python int, NumPy/xfront integer scalar, or traced).
      impl, dtype: the PRNG implementation (only ``'threefry2x32'``); give at most one.
    """
    if impl is not None and dtype is not None:
        raise XfrontValueError("key: give at most one of impl and dtype")
    impl_ = _resolve_impl(impl if dtype is None else dtype, "key")
    return PRNGKeyArray(impl_, _seed_data(seed, "key"))


def PRNGKey(seed, *, impl=None):  # noqa: N802 (JAX's name)
    """A legacy raw PRNG key: the ``uint32[2]`` key data for an integer seed."""
    _resolve_impl(impl, "PRNGKey")
    return _seed_data(seed, "PRNGKey")


def key_data(keys):
    """The ``uint32[..., 2]`` key data under a (typed or raw) key array."""
    data, _ = _unwrap(keys, "key_data", allow_batched=True)
    return data


def wrap_key_data(key_bits_array, *, impl=None, dtype=None) -> PRNGKeyArray:
    """Wraps ``uint32[..., 2]`` key data into a typed key array of shape ``[...]``."""
    if impl is not None and dtype is not None:
        raise XfrontValueError("wrap_key_data: give at most one of impl and dtype")
    impl_ = _resolve_impl(impl if dtype is None else dtype, "wrap_key_data")
    if isinstance(key_bits_array, PRNGKeyArray):
        raise XfrontTypeError("wrap_key_data: the argument is already a typed key array")
    if isinstance(key_bits_array, list | tuple):
        key_bits_array = np.asarray(key_bits_array)
    if not _is_array_like(key_bits_array):
        raise XfrontTypeError(
            f"wrap_key_data: expected a uint32 array, got {type(key_bits_array).__name__}")
    data = xnp.asarray(key_bits_array) if not isinstance(key_bits_array, Tracer) else (
        key_bits_array)
    _check_key_data(data, "wrap_key_data")
    return PRNGKeyArray(impl_, data)


def key_impl(keys) -> str:
    """The name of the PRNG implementation of a (typed or raw) key array."""
    if isinstance(keys, PRNGKeyArray):
        return keys._impl.name
    _unwrap(keys, "key_impl", allow_batched=True)
    return default_prng_impl().name


def split(key, num=2):
    """Splits a key into ``num`` new keys (``num`` an int or a shape tuple), a new leading axis.

    New key ``i`` (row-major over the shape) is ``threefry2x32(key, (0, i))``.
    """
    data, typed = _unwrap(key, "split")
    shape = _canonical_shape("split", num if isinstance(num, tuple | list) else (num,))
    return _rewrap(_split_jit(data, shape), typed)


def fold_in(key, data):
    """Folds 32 bits of ``data`` (an integer scalar) into a key: ``threefry2x32(key, (0, data))``.
    """
    kdata, typed = _unwrap(key, "fold_in")
    if np.ndim(data) if not isinstance(data, Array | Tracer) else data.ndim:
        raise XfrontTypeError(
            f"fold_in accepts a scalar, but was given an array of shape {np.shape(data)} != (). "
            "Use xfront.vmap for batching.")
    if isinstance(data, bool | int):
        if not 0 <= data < 2**32:
            raise XfrontOverflowError(f"fold_in: data {data} is out of bounds for uint32")
        msg = xnp.asarray(np.uint32(data))
    else:
        msg = lax.convert_element_type(xnp.asarray(data), dtypes.uint32)
    return _rewrap(_fold_in_jit(kdata, msg), typed)


def clone(key):
    """Returns the key (xfront does not track key reuse, so cloning is the identity)."""
    return key


def bits(key, shape=(), dtype=None):
    """Uniform random bits as unsigned integers of ``shape`` and ``dtype`` (default uint32, or
    uint64 with x64)."""
    data, _ = _unwrap(key, "bits")
    dtype = dtypes.default_uint_dtype() if dtype is None else _user_dtype(dtype)
    if not dtypes.issubdtype(dtype, np.unsignedinteger):
        raise XfrontValueError(
            f"dtype argument to `bits` must be an unsigned int dtype, got {dtype}")
    shape = _canonical_shape("bits", shape)
    return _random_bits_jit(data, dtype.itemsize * 8, shape)


# ----------------------------------------------------------------------------------------------
# Argument helpers shared with the samplers.


def _user_dtype(dtype) -> np.dtype:
    return dtypes.canonicalize_dtype(dtypes.dtype(dtype))


def _canonical_shape(where: str, shape) -> tuple[int, ...]:
    if isinstance(shape, int | np.integer) or not hasattr(shape, "__iter__"):
        raise XfrontTypeError(
            f"{where}: shape must be a sequence of non-negative integers, got {shape!r}")
    try:
        out = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise XfrontTypeError(
            f"{where}: shape must be a sequence of non-negative integers, got {shape!r}"
        ) from None
    if any(d < 0 for d in out):
        raise XfrontValueError(f"{where}: shape must be non-negative, got {out}")
    return out
