"""Sorting, selection and bit-level primitives: sort, top_k, approx_top_k, reduce_precision,
rng_bit_generator.

``sort`` sorts any number of same-shaped operands together along one dimension, ordered
lexicographically by the first ``num_keys`` of them with JAX's total order: for floats
``-inf < ... < -0.0 == 0.0 < ... < inf < NaN`` (every NaN, whatever its sign or payload, sorts
last and all NaNs are equivalent; -0.0 and 0.0 are equivalent, so a stable sort keeps their
order), complex numbers by (real, imaginary) with the float order on each part, integers and
bools as usual. Derivatives follow the permutation: the JVP sorts an iota along with the keys
and gathers the tangents with it.

``top_k`` / ``approx_top_k`` (``approx_max_k``, ``approx_min_k``) select along one dimension
(NaN counts as the largest value); on CPU the approximate form is exact, as in XLA.
``rng_bit_generator`` is XLA's stateless bit generator (not differentiable; under vmap it
draws every example's bits from the first key, as JAX does).

StableHLO emission: ``lowering/rules/sorting.py``.
"""

from __future__ import annotations

import enum
import math
import operator

import numpy as np

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive, get_aval, lift
from xfront.interpreters import ad, batching
from xfront.lax.indexing import GatherDimensionNumbers, GatherScatterMode, gather
from xfront.lax.structural import (
    broadcast_in_dim,
    broadcasted_iota,
    concatenate,
    reshape,
    slice_in_dim,
)
from xfront.lax.utils import (
    FLOAT,
    ORDERED,
    canonical_axis,
    canonical_shape,
    check_dtype,
    shapes_str,
)

__all__ = [
    "RandomAlgorithm",
    "approx_max_k",
    "approx_min_k",
    "approx_top_k_p",
    "reduce_precision",
    "reduce_precision_p",
    "rng_bit_generator",
    "rng_bit_generator_p",
    "sort",
    "sort_key_val",
    "sort_p",
    "top_k",
    "top_k_p",
]


def _index_dtype(size: int) -> np.dtype:
    return dtypes.int32 if size <= np.iinfo(np.int32).max else dtypes.int64


def _as_operand(x):
    """Python scalars as values of the current trace (arrays pass through)."""
    if isinstance(x, int | float | complex | bool):
        return lift(x)
    return x


def _take_along(tangent, idx, axis: int):
    """``tangent`` gathered along ``axis`` at ``idx`` (same rank; one index per output
    element): the gather that carries tangents through a permutation or a selection."""
    shape = get_aval(idx).shape
    rank = len(shape)
    others = tuple(d for d in range(rank) if d != axis)
    dnums = GatherDimensionNumbers(offset_dims=(), collapsed_slice_dims=(axis,),
                                   start_index_map=(axis,), operand_batching_dims=others,
                                   start_indices_batching_dims=others)
    return gather(tangent, reshape(idx, (*shape, 1)), dnums, (1,) * rank,
                  mode=GatherScatterMode.PROMISE_IN_BOUNDS)


def _gathered_tangent(t, idx, axis, out):
    if type(t) is ad.Zero or get_aval(t).dtype == dtypes.float0:
        return ad.Zero(ad.tangent_aval(get_aval(out)))
    return _take_along(t, idx, axis)


# ----------------------------------------------------------------------------------------------
# sort


def sort(operand, dimension: int = -1, is_stable: bool = True, num_keys: int = 1):
    """Sorts ``operand`` (an array, or a sequence of same-shaped arrays sorted together) along
    ``dimension``, ordered lexicographically by the first ``num_keys`` operands (floats: NaNs
    last, -0.0 equivalent to 0.0; complex: by real then imaginary part): ``stablehlo.sort``.

    Returns an array for an array operand, a tuple for a sequence.
    """
    single = not isinstance(operand, list | tuple)
    operands = [_as_operand(operand)] if single else [_as_operand(x) for x in operand]
    if not operands:
        raise XfrontTypeError("sort: needs at least one operand")
    aval = get_aval(operands[0])
    if aval.ndim == 0:
        raise XfrontTypeError(f"sort: operands must have rank >= 1, got {aval.str_short()}")
    dim = canonical_axis(dimension, aval.ndim, "sort")
    num_keys = int(num_keys)
    out = sort_p.bind(*operands, dimension=dim, is_stable=bool(is_stable), num_keys=num_keys)
    return out[0] if single else tuple(out)


sort_p = Primitive("sort", multiple_results=True)


@sort_p.def_abstract_eval
def _sort_abstract_eval(*avals, dimension, is_stable, num_keys):
    if not avals:
        raise XfrontTypeError("sort: needs at least one operand")
    shape = avals[0].shape
    if any(a.shape != shape for a in avals[1:]):
        raise XfrontTypeError(f"sort: operands must have equal shapes, got {shapes_str(avals)}")
    if not 0 <= dimension < len(shape):
        raise XfrontValueError(
            f"sort: dimension {dimension} is out of range for operands of shape {shape}")
    if not 1 <= num_keys <= len(avals):
        raise XfrontValueError(
            f"sort: num_keys={num_keys} must be between 1 and the number of operands "
            f"({len(avals)})")
    for i, a in enumerate(avals[:num_keys]):
        if dtypes.is_bool(a.dtype) or dtypes.is_int(a.dtype) or dtypes.is_inexact(a.dtype):
            continue
        raise XfrontTypeError(f"sort: key operand {i} has unsortable dtype {a.dtype}")
    return list(avals)


def _sort_jvp(primals, tangents, *, dimension, is_stable, num_keys):
    shape = get_aval(primals[0]).shape
    iota = broadcasted_iota(_index_dtype(shape[dimension]), shape, dimension)
    *outs, perm = sort_p.bind(*primals, iota, dimension=dimension, is_stable=is_stable,
                              num_keys=num_keys)
    return outs, [_gathered_tangent(t, perm, dimension, o) for t, o in zip(tangents, outs)]


def _sort_batch(args, dims, *, dimension, is_stable, num_keys):
    proto, bdim = next((a, d) for a, d in zip(args, dims) if d is not None)
    shape = get_aval(proto).shape
    new_args = []
    for a, d in zip(args, dims):
        if d is None:
            keep = tuple(i for i in range(len(shape)) if i != bdim)
            new_args.append(broadcast_in_dim(a, shape, keep))
        else:
            new_args.append(batching.moveaxis(a, d, bdim))
    new_dim = dimension + (1 if bdim <= dimension else 0)
    out = sort_p.bind(*new_args, dimension=new_dim, is_stable=is_stable, num_keys=num_keys)
    return out, [bdim] * len(out)


ad.jvp_rules[sort_p] = _sort_jvp
batching.batch_rules[sort_p] = _sort_batch


def sort_key_val(keys, values, dimension: int = -1, is_stable: bool = True):
    """Sorts ``keys`` along ``dimension`` and permutes ``values`` the same way:
    ``stablehlo.sort`` with one key. Returns ``(sorted_keys, permuted_values)``."""
    return sort((keys, values), dimension=dimension, is_stable=is_stable, num_keys=1)


# ----------------------------------------------------------------------------------------------
# top_k


def top_k(operand, k: int, *, axis: int = -1):
    """The ``k`` largest entries along ``axis`` in descending order and their int32 indices
    (NaN counts as the largest; ties keep the lower index first): ``chlo.top_k``."""
    operand = _as_operand(operand)
    aval = get_aval(operand)
    if aval.ndim == 0:
        raise XfrontTypeError(f"top_k: operand must have rank >= 1, got {aval.str_short()}")
    return tuple(top_k_p.bind(operand, k=_static_int(k, "top_k", "k"),
                              axis=canonical_axis(axis, aval.ndim, "top_k")))


def _static_int(k, name, what) -> int:
    try:
        return operator.index(k)
    except TypeError:
        raise XfrontTypeError(f"{name}: {what} must be a static int, got {k!r}") from None


top_k_p = Primitive("top_k", multiple_results=True)


@top_k_p.def_abstract_eval
def _top_k_abstract_eval(x, *, k, axis):
    if dtypes.is_complex(x.dtype):
        raise XfrontTypeError(f"top_k does not accept complex operands, got {x.str_short()}")
    check_dtype("top_k", x.dtype, ORDERED)
    if x.ndim == 0 or not 0 <= axis < x.ndim:
        raise XfrontValueError(f"top_k: axis {axis} is out of range for {x.str_short()}")
    if not 0 <= k <= x.shape[axis]:
        raise XfrontValueError(
            f"top_k: k={k} must be between 0 and the size of axis {axis} of {x.str_short()}")
    shape = x.shape[:axis] + (k,) + x.shape[axis + 1:]
    return [ShapedArray(shape, x.dtype, x.weak_type), ShapedArray(shape, dtypes.int32, False)]


def _top_k_jvp(primals, tangents, *, k, axis):
    (x,), (t,) = primals, tangents
    vals, idx = top_k_p.bind(x, k=k, axis=axis)
    return [vals, idx], [_gathered_tangent(t, idx, axis, vals),
                         ad.Zero(ad.tangent_aval(get_aval(idx)))]


def _top_k_batch(args, dims, *, k, axis):
    (x,), (d,) = args, dims
    new_axis = axis + (1 if d <= axis else 0)
    return top_k_p.bind(x, k=k, axis=new_axis), [d, d]


ad.jvp_rules[top_k_p] = _top_k_jvp
batching.batch_rules[top_k_p] = _top_k_batch


# ----------------------------------------------------------------------------------------------
# approx_max_k / approx_min_k


def approx_max_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    """The (approximately) ``k`` largest entries along ``reduction_dimension`` and their int32
    indices. On CPU the selection is exact (XLA's fallback: a sort and a slice); with
    ``aggregate_to_topk=False`` XLA's larger, sorted candidate set is returned."""
    return _approx_top_k(operand, k, reduction_dimension, recall_target, True,
                         reduction_input_size_override, aggregate_to_topk)


def approx_min_k(operand, k: int, reduction_dimension: int = -1, recall_target: float = 0.95,
                 reduction_input_size_override: int = -1, aggregate_to_topk: bool = True):
    """The (approximately) ``k`` smallest entries along ``reduction_dimension`` and their
    int32 indices (exact on CPU; see ``approx_max_k``)."""
    return _approx_top_k(operand, k, reduction_dimension, recall_target, False,
                         reduction_input_size_override, aggregate_to_topk)


def _approx_top_k(operand, k, dim, recall_target, is_max_k, override, aggregate):
    operand = _as_operand(operand)
    aval = get_aval(operand)
    if aval.ndim == 0:
        raise XfrontTypeError(
            f"approx_top_k: operand must have rank >= 1, got {aval.str_short()}")
    return tuple(approx_top_k_p.bind(
        operand, k=_static_int(k, "approx_top_k", "k"),
        reduction_dimension=canonical_axis(dim, aval.ndim, "approx_top_k"),
        recall_target=float(recall_target), is_max_k=bool(is_max_k),
        reduction_input_size_override=int(override), aggregate_to_topk=bool(aggregate)))


def approx_top_k_output_size(input_size: int, rank: int, k: int, recall_target: float,
                             aggregate_to_topk: bool, input_size_override: int) -> int:
    """The size of the reduction dimension of ``approx_top_k``'s results (XLA's rule: with
    ``aggregate_to_topk=False`` the candidate set keeps enough windows of the TPU tiling to
    reach ``recall_target`` for random inputs)."""
    if aggregate_to_topk:
        return k
    tiling = 1024 if rank == 1 else 128
    if input_size <= tiling:
        return input_size
    if input_size_override >= 0 and input_size > input_size_override:
        raise XfrontValueError(
            f"approx_top_k: reduction_input_size_override={input_size_override} must be at "
            f"least the size of the reduction dimension ({input_size})")
    logical = input_size_override if input_size_override >= 0 else input_size
    ceil_log2 = lambda v: 0 if v <= 1 else (v - 1).bit_length()  # noqa: E731
    if k == 1:
        return tiling
    # Windows needed so that k random winners rarely collide: recall ~ exp((1 - k) / m).
    m = min(max(int((1.0 - k) / math.log(recall_target)), tiling), input_size)
    log2_reduction = (logical // m).bit_length() - 1 if logical // m else 0
    if log2_reduction <= 0:
        return input_size
    log2_reduction = min(log2_reduction, ceil_log2(input_size // tiling))
    windows = -(-input_size // tiling)
    return -(-windows // (1 << log2_reduction)) * tiling


approx_top_k_p = Primitive("approx_top_k", multiple_results=True)


@approx_top_k_p.def_abstract_eval
def _approx_top_k_abstract_eval(x, *, k, reduction_dimension, recall_target, is_max_k,
                                reduction_input_size_override, aggregate_to_topk):
    check_dtype("approx_top_k", x.dtype, FLOAT)
    if not 0 <= reduction_dimension < x.ndim:
        raise XfrontValueError(
            f"approx_top_k: reduction_dimension {reduction_dimension} is out of range for "
            f"{x.str_short()}")
    n = x.shape[reduction_dimension]
    if not 0 < k <= n:
        raise XfrontValueError(
            f"approx_top_k: k={k} must be positive and at most the size of dimension "
            f"{reduction_dimension} of {x.str_short()}")
    if not 0.0 < recall_target <= 1.0:
        raise XfrontValueError(
            f"approx_top_k: recall_target={recall_target} must be in (0, 1]")
    size = approx_top_k_output_size(n, x.ndim, k, recall_target, aggregate_to_topk,
                                    reduction_input_size_override)
    shape = x.shape[:reduction_dimension] + (size,) + x.shape[reduction_dimension + 1:]
    return [ShapedArray(shape, x.dtype, x.weak_type), ShapedArray(shape, dtypes.int32, False)]


def _approx_top_k_jvp(primals, tangents, **params):
    (x,), (t,) = primals, tangents
    vals, idx = approx_top_k_p.bind(x, **params)
    return [vals, idx], [_gathered_tangent(t, idx, params["reduction_dimension"], vals),
                         ad.Zero(ad.tangent_aval(get_aval(idx)))]


def _approx_top_k_batch(args, dims, *, reduction_dimension, **params):
    (x,), (d,) = args, dims
    new_dim = reduction_dimension + (1 if d <= reduction_dimension else 0)
    return approx_top_k_p.bind(x, reduction_dimension=new_dim, **params), [d, d]


ad.jvp_rules[approx_top_k_p] = _approx_top_k_jvp
batching.batch_rules[approx_top_k_p] = _approx_top_k_batch


# ----------------------------------------------------------------------------------------------
# reduce_precision


def reduce_precision(operand, exponent_bits: int, mantissa_bits: int):
    """Rounds floats to the nearest value with ``exponent_bits`` exponent and ``mantissa_bits``
    mantissa bits (round to nearest even; out-of-range values become inf), keeping the dtype:
    ``stablehlo.reduce_precision``."""
    operand = _as_operand(operand)
    return reduce_precision_p.bind(
        operand, exponent_bits=_static_int(exponent_bits, "reduce_precision", "exponent_bits"),
        mantissa_bits=_static_int(mantissa_bits, "reduce_precision", "mantissa_bits"))


reduce_precision_p = Primitive("reduce_precision")


@reduce_precision_p.def_abstract_eval
def _reduce_precision_abstract_eval(x, *, exponent_bits, mantissa_bits):
    check_dtype("reduce_precision", x.dtype, FLOAT)
    if exponent_bits < 1:
        raise XfrontValueError(
            f"reduce_precision: exponent_bits must be positive, got {exponent_bits}")
    if mantissa_bits < 0:
        raise XfrontValueError(
            f"reduce_precision: mantissa_bits must be non-negative, got {mantissa_bits}")
    return x


# As in JAX, the tangent is rounded the same way (the rounding is treated as linear).
ad.deflinear(reduce_precision_p, lambda ct, x, **params: [
    ct if type(ct) is ad.Zero else reduce_precision_p.bind(ct, **params)])
batching.defvectorized(reduce_precision_p)


# ----------------------------------------------------------------------------------------------
# rng_bit_generator


class RandomAlgorithm(enum.IntEnum):
    """The bit-generation algorithm of ``rng_bit_generator``."""

    RNG_DEFAULT = 0  # the platform's default
    RNG_THREE_FRY = 1  # Threefry-2x32
    RNG_PHILOX = 2  # Philox-4x32

    # Short spellings.
    DEFAULT = 0
    THREE_FRY = 1
    PHILOX = 2

    def __str__(self):
        return self.name


_RBG_DTYPES = tuple(np.dtype(t) for t in (np.uint8, np.uint16, np.uint32, np.uint64))


def rng_bit_generator(key, shape, dtype=np.uint32, algorithm=RandomAlgorithm.RNG_DEFAULT):
    """Stateless random bits: returns ``(new_key, bits)`` where ``key`` is a ``uint32[4]`` (or
    ``uint64[2]``) state and ``bits`` an unsigned array of ``shape``:
    ``stablehlo.rng_bit_generator``. Not differentiable."""
    shape = canonical_shape(shape, "rng_bit_generator")
    dt = dtypes.dtype(dtype)
    if dt not in _RBG_DTYPES:
        raise XfrontTypeError(
            f"rng_bit_generator: dtype must be uint8, uint16, uint32 or uint64, got {dt}")
    dtypes.check_supported(dt, "rng_bit_generator")
    try:
        algorithm = RandomAlgorithm(algorithm)
    except ValueError:
        raise XfrontValueError(f"rng_bit_generator: unknown algorithm {algorithm!r} (use "
                               "lax.RandomAlgorithm.RNG_DEFAULT, RNG_THREE_FRY or "
                               "RNG_PHILOX)") from None
    return tuple(rng_bit_generator_p.bind(_as_operand(key), shape=shape, dtype=dt,
                                          algorithm=algorithm))


rng_bit_generator_p = Primitive("rng_bit_generator", multiple_results=True)


@rng_bit_generator_p.def_abstract_eval
def _rng_bit_generator_abstract_eval(key, *, shape, dtype, algorithm):
    ok = (key.shape == (4,) and key.dtype == dtypes.uint32) or (
        key.shape == (2,) and key.dtype == dtypes.uint64)
    if not ok:
        raise XfrontTypeError(
            f"rng_bit_generator: key must be uint32[4] (or uint64[2]), got {key.str_short()}")
    if dtype not in _RBG_DTYPES:
        raise XfrontTypeError(f"rng_bit_generator: unsupported dtype {dtype}")
    return [ShapedArray(key.shape, key.dtype, False), ShapedArray(shape, dtype, False)]


ad.defjvp_zero(rng_bit_generator_p)


def _rng_bit_generator_batch(args, dims, *, shape, dtype, algorithm):
    # As JAX: one draw of (batch, *shape) bits from the first key; only that key advances.
    (keys,), (d,) = args, dims
    keys = batching.moveaxis(keys, d, 0)
    kshape = get_aval(keys).shape
    n = kshape[0]
    first = reshape(slice_in_dim(keys, 0, 1, 1, 0), kshape[1:])
    new_key, bits = rng_bit_generator_p.bind(first, shape=(n, *shape), dtype=dtype,
                                             algorithm=algorithm)
    rest = slice_in_dim(keys, 1, n, 1, 0)
    new_keys = concatenate([reshape(new_key, (1, *kshape[1:])), rest], 0)
    return [new_keys, bits], [0, 0]


batching.batch_rules[rng_bit_generator_p] = _rng_bit_generator_batch
