"""Op-table rows of the sorting family: sort, top_k, approx_top_k, reduce_precision,
rng_bit_generator (see tests/op_db.py for the fields)."""

from __future__ import annotations

import ml_dtypes
import numpy as np

from tests.op_db import OpInfo, b1, bf16, c64, f16, f32, i8, i32, u8, u32
from xfront import lax

_SHAPES = ((5,), (2, 3), (3, 4, 2), (2, 0))


def _special_floats(rng, shape, dt):
    """NaNs, infinities, signed zeros and ties: the cases where the total order matters."""
    vals = np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, -1.0, 2.5], np.float64)
    return rng.choice(vals, size=shape).astype(dt)


def _special_complex(rng, shape, dt):
    parts = np.array([np.nan, np.inf, -np.inf, 0.0, 1.0, -1.0])
    out = np.empty(shape, dt)
    out.real, out.imag = rng.choice(parts, size=shape), rng.choice(parts, size=shape)
    return out


def _ties(rng, shape, dt):
    return rng.integers(-2, 3, size=shape).astype(dt)


def _sort_ref(axis):
    return lambda x: np.sort(x, axis=axis, kind="stable")


def _complex_sort_ref(x):
    # JAX's order: lexicographic on (real, imag), NaN last in each part. (NumPy instead puts
    # every value with a NaN imaginary part after all values without NaNs.)
    perm = np.lexsort((x.imag, x.real), axis=-1)
    return np.take_along_axis(x, perm, axis=-1)


def _lexsort_ref(x, y):
    # Sort by x (ties: by y), return y permuted; along the last axis.
    perm = np.lexsort((y, x), axis=-1)
    return np.take_along_axis(y, perm, axis=-1)


def _permuted_by(x, y):
    perm = np.argsort(x, axis=-1, kind="stable")
    return np.take_along_axis(y, perm, axis=-1)


def _top_k_ref(k, axis=-1):
    def ref(x):
        order = np.argsort(-x.astype(np.float64), axis=axis, kind="stable")
        idx = np.take(order, np.arange(k), axis=axis)
        return np.take_along_axis(x, idx, axis=axis)

    return ref


def _top_k_idx_ref(k):
    def ref(x):
        order = np.argsort(-x.astype(np.float64), axis=-1, kind="stable")
        return order[..., :k].astype(np.int32)

    return ref


_RBG_KEY = np.array([1, 2, 3, 4], np.uint32)
# Known answers of XLA's RngBitGenerator for _RBG_KEY (the same with jax.lax.rng_bit_generator).
_RBG_DEFAULT_U32 = np.array([[512747620, 1298009047, 1267190206],
                             [761827841, 1383286907, 1639995030]], np.uint32)
_RBG_THREEFRY_U8 = np.array([[236, 168, 67], [142, 94, 25]], np.uint8)

_e5m2 = np.dtype(ml_dtypes.float8_e5m2)

OPS = [
    # sort: one operand, along the last and the first dimension, with the float total order.
    OpInfo("sort", "sort", lambda x: lax.sort(x), _sort_ref(-1),
           (f32, bf16, f16, i32, i8, u8, b1, c64), _SHAPES, exact=True),
    OpInfo("sort_dim0", "sort", lambda x: lax.sort(x, dimension=0), _sort_ref(0),
           (f32, i32), ((5,), (3, 4), (3, 4, 2)), exact=True),
    OpInfo("sort_special_floats", "sort", lambda x: lax.sort(x), _sort_ref(-1), (f32, f16),
           ((9,), (3, 7)), _special_floats, exact=True, grad_domain=(-3.0, 3.0)),
    OpInfo("sort_special_complex", "sort", lambda x: lax.sort(x), _complex_sort_ref, (c64,),
           ((8,), (3, 6)), _special_complex, exact=True, grad_domain=(-3.0, 3.0)),
    # Several operands: the others follow the permutation of the keys.
    OpInfo("sort_two_operands", "sort", lambda x, y: lax.sort((x, y), num_keys=1)[1],
           _permuted_by, (f32, i32), (((5,), (5,)), ((3, 4), (3, 4))), nargs=2, exact=True),
    OpInfo("sort_two_keys", "sort", lambda x, y: lax.sort((x, y), num_keys=2)[1],
           _lexsort_ref, (i32, f32), (((7,), (7,)), ((3, 6), (3, 6))), _ties, nargs=2,
           exact=True, grad_domain=(-3.0, 3.0)),
    OpInfo("sort_key_val", "sort", lambda k, v: lax.sort_key_val(k, v)[1], _permuted_by,
           (f32, i32), (((6,), (6,)), ((2, 5), (2, 5))), nargs=2, exact=True),
    OpInfo("sort_unstable_values", "sort", lambda x: lax.sort(x, is_stable=False),
           _sort_ref(-1), (f32, i32), ((6,), (2, 5)), exact=True),
    # top_k: values and indices (ties: the lower index first; NaN is the largest).
    OpInfo("top_k", "top_k", lambda x: lax.top_k(x, 2)[0], _top_k_ref(2),
           (f32, bf16, i32, u8), ((5,), (2, 3), (3, 4, 2)), exact=True),
    OpInfo("top_k_indices", "top_k", lambda x: lax.top_k(x, 3)[1], _top_k_idx_ref(3),
           (f32, i32), ((5,), (2, 4)), _ties, exact=True, ref_dtype=lambda dt: i32),
    OpInfo("top_k_axis0", "top_k", lambda x: lax.top_k(x, 2, axis=0)[0], _top_k_ref(2, 0),
           (f32, i32), ((4,), (3, 5), (4, 2, 3)), exact=True),
    OpInfo("top_k_zero", "top_k", lambda x: lax.top_k(x, 0)[0], lambda x: x[..., :0], (f32,),
           ((4,), (2, 3)), exact=True),
    # approx_max_k / approx_min_k: exact on CPU.
    OpInfo("approx_max_k", "approx_top_k", lambda x: lax.approx_max_k(x, 2)[0],
           _top_k_ref(2), (f32, bf16, f16), ((6,), (2, 5), (3, 4, 2)), exact=True),
    OpInfo("approx_min_k", "approx_top_k",
           lambda x: lax.approx_min_k(x, 3, reduction_dimension=0)[0],
           lambda x: np.sort(x, axis=0)[:3], (f32, bf16), ((4,), (5, 3)), exact=True),
    OpInfo("approx_max_k_indices", "approx_top_k", lambda x: lax.approx_max_k(x, 2)[1],
           _top_k_idx_ref(2), (f32,), ((6,), (2, 5)), exact=True, ref_dtype=lambda dt: i32),
    # reduce_precision: to the type's own precision (identity, differentiable everywhere) and
    # to float8_e5m2's (on float16, which has the same exponent range).
    OpInfo("reduce_precision", "reduce_precision",
           lambda x: lax.reduce_precision(x, exponent_bits=11, mantissa_bits=52),
           lambda x: x, (f32, bf16, f16), exact=True),
    OpInfo("reduce_precision_e5m2", "reduce_precision",
           lambda x: lax.reduce_precision(x, exponent_bits=5, mantissa_bits=2),
           lambda x: x.astype(_e5m2).astype(np.float32), (f16,), exact=True,
           domain=(-100.0, 100.0)),
    # rng_bit_generator: known answers for a fixed key (bits added to the argument, so the row
    # also runs under vmap with the key unbatched; batched keys: tests/test_sorting.py).
    OpInfo("rng_bit_generator", "rng_bit_generator",
           lambda x: x + lax.rng_bit_generator(_RBG_KEY, (2, 3))[1],
           lambda x: x + _RBG_DEFAULT_U32, (u32,), ((2, 3),), exact=True),
    OpInfo("rng_bit_generator_threefry_u8", "rng_bit_generator",
           lambda x: x + lax.rng_bit_generator(_RBG_KEY, (2, 3), np.uint8,
                                               lax.RandomAlgorithm.RNG_THREE_FRY)[1],
           lambda x: x + _RBG_THREEFRY_U8, (u8,), ((2, 3),), exact=True),
]
