"""Samplers: distributions built from uniform bits, with JAX's algorithms (same numbers).

Each public sampler checks its arguments in Python (clear errors naming the sampler, shapes and
dtypes), then calls one internal ``jit`` whose static arguments are the output shape and dtype,
so an eager call compiles once per signature and runs as one executable. The traced helpers
(``_uniform``, ``_normal``, ``_gumbel``, ...) take raw ``uint32[2]`` key data.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence

import numpy as np

from xfront import lax
from xfront import numpy as xnp
from xfront.api import jit
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer
from xfront.random._prng import (
    UINT_DTYPES,
    _canonical_shape,
    _random_bits,
    _split,
    _unwrap,
    _user_dtype,
    rolled_threefry,
)

# ----------------------------------------------------------------------------------------------
# Argument checking.


def _float_dtype(where: str, dtype, *, inexact: bool = False) -> np.dtype:
    dt = dtypes.default_float_dtype() if dtype is None else _user_dtype(dtype)
    if not dtypes.issubdtype(dt, np.inexact if inexact else np.floating):
        kind = "a float or complex" if inexact else "a float"
        raise XfrontValueError(f"dtype argument to `{where}` must be {kind} dtype, got {dt}")
    return dt


def _int_dtype(where: str, dtype) -> np.dtype:
    dt = dtypes.default_int_dtype() if dtype is None else _user_dtype(dtype)
    if not dtypes.issubdtype(dt, np.integer):
        raise XfrontValueError(f"dtype argument to `{where}` must be an int dtype, got {dt}")
    return dt


def _shape_of(x) -> tuple[int, ...]:
    return tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def _check_shape(where: str, shape: tuple, *param_shapes) -> None:
    """Parameters must broadcast to exactly ``shape``."""
    if not param_shapes:
        return
    try:
        out = xnp.broadcast_shapes(shape, *param_shapes)
    except (ValueError, TypeError):
        out = None
    if out != tuple(shape):
        raise XfrontValueError(
            f"{where}: parameter shapes {', '.join(str(tuple(p)) for p in param_shapes)} must "
            f"broadcast to the shape argument {tuple(shape)}"
            + ("" if out is None else f" (they broadcast to {out})"))


def _broadcast_shape(where: str, shape, *args) -> tuple[int, ...]:
    """``shape`` checked against the parameters, or their broadcast shape when None."""
    shapes = [_shape_of(a) for a in args]
    if shape is None:
        try:
            return xnp.broadcast_shapes(*shapes) if shapes else ()
        except (ValueError, TypeError):
            raise XfrontValueError(
                f"{where}: parameter shapes {', '.join(map(str, shapes))} do not broadcast "
                "together") from None
    shape = _canonical_shape(where, shape)
    _check_shape(where, shape, *shapes)
    return shape


def _check_safe_cast(where: str, dtype: np.dtype, *args) -> None:
    for a in args:
        if isinstance(a, bool | int | float):
            continue
        try:
            ok = xnp.result_type(a, dtype) == dtype
        except Exception:  # noqa: BLE001 (no promotion path at all)
            ok = False
        if not ok:
            got = getattr(a, "dtype", type(a).__name__)
            raise XfrontTypeError(f"In arguments to {where}, cannot safely cast argument of type "
                                  f"{got} to {dtype}")


def _as_array(where: str, x):
    if isinstance(x, list | tuple):
        raise XfrontTypeError(
            f"{where}: expected an array or scalar, got a {type(x).__name__}; use "
            "xfront.numpy.asarray first")
    try:
        return x if isinstance(x, Tracer) else xnp.asarray(x)
    except TypeError:
        raise XfrontTypeError(
            f"{where}: expected an array or scalar, got {type(x).__name__}") from None


def _split2(key):
    keys = _split(key, (2,))
    return keys[0], keys[1]


# ----------------------------------------------------------------------------------------------
# Traced building blocks (key: uint32[2] key data).


def _uniform(key, shape, dtype, minval=0.0, maxval=1.0):
    """Floats in [minval, maxval): random mantissa bits under exponent 0, i.e. [1, 2) - 1."""
    info = dtypes.finfo(dtype)
    nbits, nmant = info.bits, info.nmant
    if nbits not in (8, 16, 32, 64):
        raise XfrontTypeError(f"uniform only accepts 8-, 16-, 32- or 64-bit dtypes, got {dtype}")
    rng_bits = 8 if nmant < 8 else nbits  # bfloat16 / float8: 8 random bits suffice
    uint = UINT_DTYPES[nbits]
    bits = _random_bits(key, rng_bits, shape)
    if rng_bits != nbits:
        bits = lax.convert_element_type(bits, uint)
    mantissa = lax.shift_right_logical(bits, np.array(rng_bits - nmant, uint))
    one_bits = np.array(1.0, dtype).view(uint)
    floats = lax.sub(lax.bitcast_convert_type(lax.bitwise_or(mantissa, one_bits), dtype),
                     np.array(1.0, dtype))
    minval = lax.broadcast_to_rank(lax.convert_element_type(minval, dtype), len(shape))
    maxval = lax.broadcast_to_rank(lax.convert_element_type(maxval, dtype), len(shape))
    return xnp.maximum(minval, floats * (maxval - minval) + minval)


def _normal_real(key, shape, dtype):
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype))
    u = _uniform(key, shape, dtype, lo, np.array(1.0, dtype))
    return lax.mul(np.array(np.sqrt(2), dtype), lax.erf_inv(u))


def _normal(key, shape, dtype):
    if not dtypes.issubdtype(dtype, np.complexfloating):
        return _normal_real(key, shape, dtype)
    key_re, key_im = _split2(key)
    real = np.array(0, dtype).real.dtype
    re = _normal_real(key_re, shape, real).astype(dtype)
    im = _normal_real(key_im, shape, real).astype(dtype)
    return (re + 1j * im) / np.array(np.sqrt(2), dtype)


def _exponential(key, shape, dtype):
    u = _uniform(key, shape, dtype)
    return lax.neg(lax.log1p(lax.neg(u)))  # log of 1 - u, in (0, 1]


def _bernoulli(key, p, shape, mode="low"):
    dtype = p.dtype
    if mode == "high":
        u = _uniform(key, (2, *shape), dtype)
        u1, u2 = u[0], u[1] * 2.0 ** -dtypes.finfo(dtype).nmant
        return u2 < p - u1
    return _uniform(key, shape, dtype) < p


def _rademacher(key, shape, dtype):
    b = _bernoulli(key, xnp.asarray(0.5, dtypes.default_float_dtype()), shape).astype(dtype)
    return (2 * b - 1).astype(dtype)


def _maxwell(key, shape, dtype):
    with rolled_threefry():  # the norm is a reduction: see rolled_threefry
        x = _normal(key, (*shape, 3), dtype)
    return xnp.sqrt(xnp.sum(x * x, axis=-1))  # the norm of 3 standard normals


def _safe_uint32_to_float32(hi, lo):
    """A float32 in (0, 1) from 64 fixed-point bits (hi, lo), keeping 24 significant bits."""
    info = dtypes.finfo(dtypes.float32)
    hiclz, loclz = lax.clz(hi), lax.clz(lo)
    hi_empty = hiclz == np.uint32(32)
    mantissa = lax.bitwise_or(
        lax.shift_left(hi, hiclz),
        xnp.where(hi_empty, lax.shift_left(lo, loclz),
                  lax.shift_right_logical(lo, np.uint32(32) - hiclz)))
    mantissa = lax.shift_right_logical(mantissa, np.uint32(info.bits - info.nmant - 1))
    mantissa = lax.bitwise_and(mantissa, np.uint32((1 << info.nmant) - 1))
    exponent = np.uint32(-info.minexp) - xnp.where(hi_empty, np.uint32(32) + loclz, hiclz)
    exponent = lax.shift_left(exponent, np.uint32(info.nmant))
    exponent = lax.bitwise_and(
        exponent, np.uint32((1 << (info.bits - 2)) - (1 << (info.nmant - 1))))
    return lax.bitcast_convert_type(lax.bitwise_or(exponent, mantissa), dtypes.float32)


def _gumbel(key, shape, dtype, mode):
    info = dtypes.finfo(dtype)
    if mode == "highest" and dtype == dtypes.float32:
        # 64 random bits as a fixed-point number u; -log(-log(u)) with log1p near 0.
        bits = _random_bits(key, 32, (2, *shape))
        hi, lo = bits[0], bits[1]
        neg_hi, neg_lo = lax.bitwise_not(hi), lax.bitwise_not(lo)
        carry = (neg_lo == np.uint32(0xFFFFFFFF)).astype(dtypes.uint32)
        neg_hi, neg_lo = neg_hi + carry, neg_lo + np.uint32(1)  # 1 - u, two's complement
        low_half = hi < np.uint32(1 << 31)
        x = _safe_uint32_to_float32(xnp.where(low_half, hi, neg_hi),
                                    xnp.where(low_half, lo, neg_lo))
        return xnp.where(low_half, -xnp.log(-xnp.log1p(-x)), -xnp.log(-xnp.log(x)))
    if mode in ("high", "highest"):
        u = _uniform(key, (2, *shape), dtype, 0.0, 1.0)
        high, low = u[0], u[1]
        x = xnp.where(high >= 0.5, high, high + 2.0 ** -info.nmant * low + info.tiny)
        return -xnp.log(-xnp.log1p(-x))
    return -xnp.log(-xnp.log(_uniform(key, shape, dtype, info.tiny, 1.0)))


def _gumbel_mode(mode):
    mode = "low" if mode is None else mode
    if mode not in ("highest", "high", "low"):
        raise XfrontValueError(f"gumbel: mode must be 'low', 'high' or 'highest', got {mode!r}")
    return mode


# ----------------------------------------------------------------------------------------------
# uniform, normal, truncated_normal, bernoulli, bits-based samplers.


def _uniform_impl(key, minval, maxval, shape, dtype):
    return _uniform(key, shape, dtype, minval, maxval)


_uniform_jit = jit(_uniform_impl, static_argnames=("shape", "dtype"))


def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Uniform floats in ``[minval, maxval)`` of ``shape`` and ``dtype`` (default float32, or
    float64 with x64). ``minval``/``maxval`` broadcast against ``shape``."""
    data, _ = _unwrap(key, "uniform")
    shape = _canonical_shape("uniform", shape)
    dtype = _float_dtype("uniform", dtype)
    _check_shape("uniform", shape, _shape_of(minval), _shape_of(maxval))
    return _uniform_jit(data, minval, maxval, shape=shape, dtype=dtype)


def _normal_impl(key, shape, dtype):
    return _normal(key, shape, dtype)


_normal_jit = jit(_normal_impl, static_argnames=("shape", "dtype"))


def normal(key, shape=(), dtype=None):
    """Standard normal values (complex dtypes: independent real and imaginary parts of variance
    1/2); the inverse-erf transform of a uniform sample."""
    data, _ = _unwrap(key, "normal")
    shape = _canonical_shape("normal", shape)
    dtype = _float_dtype("normal", dtype, inexact=True)
    return _normal_jit(data, shape=shape, dtype=dtype)


def _truncated_normal_impl(key, lower, upper, shape, dtype):
    sqrt2 = np.array(np.sqrt(2), dtype)
    lower = lax.convert_element_type(lower, dtype)
    upper = lax.convert_element_type(upper, dtype)
    a = lax.erf(lower / sqrt2)
    b = lax.erf(upper / sqrt2)
    u = _uniform(key, shape, dtype, a, b)
    out = sqrt2 * lax.erf_inv(u)
    # keep the result inside the open interval despite rounding
    return xnp.clip(out,
                    lax.nextafter(lax.stop_gradient(lower), np.array(np.inf, dtype)),
                    lax.nextafter(lax.stop_gradient(upper), np.array(-np.inf, dtype)))


_truncated_normal_jit = jit(_truncated_normal_impl, static_argnames=("shape", "dtype"))


def truncated_normal(key, lower, upper, shape=None, dtype=None):
    """Standard normal values conditioned on ``lower < x < upper`` (by inverting the CDF)."""
    data, _ = _unwrap(key, "truncated_normal")
    dtype = _float_dtype("truncated_normal", dtype)
    shape = _broadcast_shape("truncated_normal", shape, lower, upper)
    return _truncated_normal_jit(data, lower, upper, shape=shape, dtype=dtype)


def _bernoulli_impl(key, p, shape, mode):
    return _bernoulli(key, p, shape, mode)


_bernoulli_jit = jit(_bernoulli_impl, static_argnames=("shape", "mode"))


def bernoulli(key, p=0.5, shape=None, mode="low"):
    """Booleans that are True with probability ``p`` (a float or float array).

    ``mode='high'`` uses two uniforms per value so that tiny ``p`` (below ~1e-7 in float32) are
    sampled correctly."""
    if mode not in ("high", "low"):
        raise XfrontValueError(f"bernoulli: got mode={mode!r}, expected 'high' or 'low'")
    data, _ = _unwrap(key, "bernoulli")
    p = _as_array("bernoulli", p)
    if not dtypes.issubdtype(p.dtype, np.floating):
        raise XfrontTypeError(
            f"bernoulli probability `p` must have a floating dtype, got {p.dtype}.")
    shape = _broadcast_shape("bernoulli", shape, p)
    return _bernoulli_jit(data, p, shape=shape, mode=mode)


def _rademacher_impl(key, shape, dtype):
    return _rademacher(key, shape, dtype)


_rademacher_jit = jit(_rademacher_impl, static_argnames=("shape", "dtype"))


def rademacher(key, shape=(), dtype=None):
    """-1 or +1 with equal probability (default dtype int32, or int64 with x64)."""
    data, _ = _unwrap(key, "rademacher")
    shape = _canonical_shape("rademacher", shape)
    dtype = dtypes.default_int_dtype() if dtype is None else _user_dtype(dtype)
    return _rademacher_jit(data, shape=shape, dtype=dtype)


# ----------------------------------------------------------------------------------------------
# Simple transforms of one uniform / normal / exponential sample.


def _one_param_sampler(name: str, body, *, inexact: bool = False, doc: str = ""):
    """A sampler ``f(key, shape=(), dtype=None)`` whose values are ``body(key, shape, dtype)``."""
    impl = jit(body, static_argnums=(1, 2))

    def sampler(key, shape=(), dtype=None):
        data, _ = _unwrap(key, name)
        shape_ = _canonical_shape(name, shape)
        dtype_ = _float_dtype(name, dtype, inexact=inexact)
        return impl(data, shape_, dtype_)

    sampler.__name__ = sampler.__qualname__ = name
    sampler.__doc__ = doc
    return sampler


def _laplace_body(key, shape, dtype):
    lo = np.array(-1.0 + float(dtypes.finfo(dtype).epsneg), dtype)
    u = _uniform(key, shape, dtype, lo, 1.0)
    return lax.mul(lax.sign(u), lax.log1p(lax.neg(lax.abs(u))))


def _logistic_body(key, shape, dtype):
    x = _uniform(key, shape, dtype, dtypes.finfo(dtype).tiny, 1.0)
    return lax.sub(lax.log(x), lax.log1p(lax.neg(x)))


def _cauchy_body(key, shape, dtype):
    u = _uniform(key, shape, dtype, dtypes.finfo(dtype).eps, 1.0)
    return lax.tan(lax.mul(np.array(np.pi, dtype), lax.sub(u, np.array(0.5, dtype))))


exponential = _one_param_sampler(
    "exponential", _exponential,
    doc="Exponential values of rate 1: ``-log1p(-u)`` for a uniform ``u``.")
laplace = _one_param_sampler(
    "laplace", _laplace_body, doc="Laplace values (density ``exp(-|x|) / 2``).")
logistic = _one_param_sampler(
    "logistic", _logistic_body, doc="Logistic values (``log(u) - log1p(-u)``).")
cauchy = _one_param_sampler(
    "cauchy", _cauchy_body, doc="Cauchy values (``tan(pi * (u - 1/2))``).")
maxwell = _one_param_sampler(
    "maxwell", _maxwell, doc="One-sided Maxwell values: the norm of three standard normals.")


def _gumbel_impl(key, shape, dtype, mode):
    return _gumbel(key, shape, dtype, mode)


_gumbel_jit = jit(_gumbel_impl, static_argnums=(1, 2, 3))


def gumbel(key, shape=(), dtype=None, mode=None):
    """Standard Gumbel values, ``-log(-log(u))``.

    ``mode``: 'low' (default; float32 values reach ~16), 'high' (two uniforms per value, ~32)
    or 'highest' (float32 only: 64 random bits per value)."""
    data, _ = _unwrap(key, "gumbel")
    shape = _canonical_shape("gumbel", shape)
    dtype = _float_dtype("gumbel", dtype)
    return _gumbel_jit(data, shape, dtype, _gumbel_mode(mode))


def _pareto_impl(key, b, shape, dtype):
    b = lax.convert_element_type(b, dtype)
    return lax.exp(_exponential(key, shape, dtype) / b)


_pareto_jit = jit(_pareto_impl, static_argnums=(2, 3))


def pareto(key, b, shape=None, dtype=None):
    """Pareto values of shape parameter ``b`` (support ``x >= 1``): ``exp(E / b)``."""
    data, _ = _unwrap(key, "pareto")
    dtype = _float_dtype("pareto", dtype)
    shape = _broadcast_shape("pareto", shape, b)
    _check_safe_cast("pareto", dtype, b)
    return _pareto_jit(data, b, shape, dtype)


def _double_sided_maxwell_impl(key, loc, scale, shape, dtype):
    maxwell_key, sign_key = _split2(key)
    values = _maxwell(maxwell_key, shape, dtype)
    signs = _rademacher(sign_key, shape, dtype)
    return signs * values * scale + loc


_double_sided_maxwell_jit = jit(_double_sided_maxwell_impl, static_argnums=(3, 4))


def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """Double-sided Maxwell values: a Maxwell value with a random sign, scaled and shifted.

    As in JAX the result shape is ``shape + broadcast(loc.shape, scale.shape)`` (and ``shape``
    defaults to the parameters' shape when empty)."""
    data, _ = _unwrap(key, "double_sided_maxwell")
    dtype = _float_dtype("double_sided_maxwell", dtype)
    shape = _canonical_shape("double_sided_maxwell", shape)
    params = _broadcast_shape("double_sided_maxwell", None, loc, scale)
    if not shape:
        shape = params
    return _double_sided_maxwell_jit(data, loc, scale, shape + params, dtype)


def _weibull_min_impl(key, scale, concentration, shape, dtype):
    u = _uniform(key, shape, dtype, 0.0, 1.0)
    return xnp.power(-xnp.log1p(-u), 1.0 / concentration) * scale  # the inverse CDF


_weibull_min_jit = jit(_weibull_min_impl, static_argnums=(3, 4))


def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull values: ``scale * (-log1p(-u)) ** (1 / concentration)``."""
    data, _ = _unwrap(key, "weibull_min")
    dtype = _float_dtype("weibull_min", dtype)
    shape = _canonical_shape("weibull_min", shape)
    return _weibull_min_jit(data, scale, concentration, shape, dtype)


def _rayleigh_impl(key, scale, shape, dtype):
    u = _uniform(key, shape, dtype)
    scale = xnp.broadcast_to(scale.astype(dtype), shape)
    return lax.mul(scale, lax.sqrt(lax.mul(lax.log(u), np.array(-2, dtype))))


_rayleigh_jit = jit(_rayleigh_impl, static_argnums=(2, 3))


def rayleigh(key, scale, shape=None, dtype=None):
    """Rayleigh values of ``scale``: ``scale * sqrt(-2 log u)``."""
    data, _ = _unwrap(key, "rayleigh")
    dtype = _float_dtype("rayleigh", dtype)
    shape = _broadcast_shape("rayleigh", shape, scale)
    _check_safe_cast("rayleigh", dtype, scale)
    return _rayleigh_jit(data, scale, shape, dtype)


def _wald_impl(key, mean, shape, dtype):
    k1, k2 = _split2(key)
    mean = xnp.broadcast_to(mean.astype(dtype), shape)
    v = _normal(k1, shape, dtype)
    z = _uniform(k2, shape, dtype)
    y = lax.integer_pow(v, 2)
    y_sq = lax.integer_pow(y, 2)
    mean_sq = lax.integer_pow(mean, 2)
    sqrt_term = lax.sqrt(4 * mean * y + mean_sq * y_sq)
    x = mean + mean_sq * y / 2 - mean / 2 * sqrt_term
    return xnp.where(z <= mean / (mean + x), x, mean_sq / x)


_wald_jit = jit(_wald_impl, static_argnums=(2, 3))


def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian) values of ``mean`` and unit shape (Michael-Schucany-Haas)."""
    data, _ = _unwrap(key, "wald")
    dtype = _float_dtype("wald", dtype)
    shape = _broadcast_shape("wald", shape, mean)
    _check_safe_cast("wald", dtype, mean)
    return _wald_jit(data, mean, shape, dtype)


def _geometric_impl(key, p, shape, dtype):
    u = _uniform(key, shape, p.dtype)
    u = xnp.where(u == 0, 1, u)  # as JAX: u = 0 maps to 1 (keeps its streams unchanged)
    log_one_minus_p = xnp.broadcast_to(lax.log1p(-p), shape)
    g = lax.floor(lax.div(lax.log(u), log_one_minus_p)) + 1
    return g.astype(dtype)


_geometric_jit = jit(_geometric_impl, static_argnums=(2, 3))


def geometric(key, p, shape=None, dtype=None):
    """Geometric values (trials up to the first success, >= 1) of success probability ``p``."""
    data, _ = _unwrap(key, "geometric")
    dtype = _int_dtype("geometric", dtype)
    p = _as_array("geometric", p)
    if not dtypes.issubdtype(p.dtype, np.inexact):
        p = p.astype(dtypes.default_float_dtype())
    shape = _broadcast_shape("geometric", shape, p)
    return _geometric_jit(data, p, shape, dtype)


def _triangular_impl(key, left, mode, right, shape, dtype):
    left, mode, right = (xnp.broadcast_to(lax.convert_element_type(v, dtype), shape)
                         for v in (left, mode, right))
    fc = (mode - left) / (right - left)
    u = _uniform(key, shape, dtype)
    out1 = left + lax.sqrt(u * (right - left) * (mode - left))
    out2 = right - lax.sqrt((1 - u) * (right - left) * (right - mode))
    return xnp.where(u < fc, out1, out2)


_triangular_jit = jit(_triangular_impl, static_argnums=(4, 5))


def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular values on ``[left, right]`` with peak at ``mode`` (inverse CDF)."""
    data, _ = _unwrap(key, "triangular")
    dtype = _float_dtype("triangular", dtype)
    shape = _broadcast_shape("triangular", shape, left, mode, right)
    _check_safe_cast("triangular", dtype, left, mode, right)
    return _triangular_jit(data, left, mode, right, shape, dtype)


def _lognormal_impl(key, sigma, shape, dtype):
    sigma = lax.convert_element_type(sigma, dtype)
    return lax.exp(_normal(key, shape, dtype) * sigma)


_lognormal_jit = jit(_lognormal_impl, static_argnums=(2, 3))


def lognormal(key, sigma=np.float32(1), shape=None, dtype=None):
    """Log-normal values: ``exp(sigma * z)`` for standard normal ``z``."""
    data, _ = _unwrap(key, "lognormal")
    dtype = _float_dtype("lognormal", dtype, inexact=True)
    shape = _broadcast_shape("lognormal", shape, sigma)
    _check_safe_cast("lognormal", dtype, sigma)
    return _lognormal_jit(data, sigma, shape, dtype)


# ----------------------------------------------------------------------------------------------
# Integers: randint.


def _clip_convert(val, dtype: np.dtype):
    """``val`` (an integer array) converted to integer ``dtype``, saturating instead of
    wrapping."""
    vinfo, info = dtypes.iinfo(val.dtype), dtypes.iinfo(dtype)
    lo = np.array(max(info.min, vinfo.min), val.dtype)
    hi = np.array(min(info.max, vinfo.max), val.dtype)
    return xnp.clip(val, lo, hi).astype(dtype)


def _randint_impl(key, minval, maxval, shape, dtype):
    # Modulus of 2 * nbits random bits by the span: biased only when the span is not a power of
    # two, by about span**2 / 2**(2 nbits).
    if not dtypes.issubdtype(minval.dtype, np.integer):
        minval = minval.astype(dtypes.default_int_dtype())
    if not dtypes.issubdtype(maxval.dtype, np.integer):
        maxval = maxval.astype(dtypes.default_int_dtype())
    # maxval above dtype's range (e.g. 256 for uint8): the span grows by one
    maxval_out_of_range = maxval > _clip_convert(
        xnp.asarray(np.array(dtypes.iinfo(dtype).max, dtype)), maxval.dtype)
    minval = lax.broadcast_to_rank(_clip_convert(minval, dtype), len(shape))
    maxval = lax.broadcast_to_rank(_clip_convert(maxval, dtype), len(shape))
    nbits = dtypes.iinfo(dtype).bits
    k1, k2 = _split2(key)
    higher_bits = _random_bits(k1, nbits, shape)
    lower_bits = _random_bits(k2, nbits, shape)
    unsigned = UINT_DTYPES[nbits]
    span = lax.convert_element_type(maxval - minval, unsigned)
    span = xnp.where(maxval <= minval, np.array(1, unsigned), span)  # empty range -> minval
    span = xnp.where(maxval_out_of_range & (maxval > minval), span + np.array(1, unsigned), span)
    span = xnp.broadcast_to(span, shape)
    # (hi * 2**nbits + lo) mod span, with 2**nbits mod span computed without overflow
    multiplier = lax.rem(np.array(2 ** (nbits // 2), unsigned), span)
    multiplier = lax.rem(lax.mul(multiplier, multiplier), span)
    offset = lax.add(lax.mul(lax.rem(higher_bits, span), multiplier),
                     lax.rem(lower_bits, span))
    offset = lax.rem(offset, span)
    return minval + lax.convert_element_type(offset, dtype)


_randint_jit = jit(_randint_impl, static_argnums=(3, 4))


def randint(key, shape, minval, maxval, dtype=None):
    """Uniform integers in ``[minval, maxval)`` (default dtype int32, or int64 with x64).

    ``maxval <= minval`` gives ``minval``. 8- and 16-bit dtypes are sampled at 32 bits."""
    data, _ = _unwrap(key, "randint")
    dtype = dtypes.default_int_dtype() if dtype is None else _user_dtype(dtype)
    if not dtypes.issubdtype(dtype, np.integer):
        raise XfrontTypeError(f"randint only accepts integer dtypes, got {dtype}")
    shape = _canonical_shape("randint", shape)
    minval = _as_array("randint", minval)
    maxval = _as_array("randint", maxval)
    _check_shape("randint", shape, minval.shape, maxval.shape)
    info = dtypes.iinfo(dtype)
    sample_dtype = dtype
    if info.bits < 32:
        sample_dtype = dtypes.int32
        minval = xnp.clip(minval.astype(dtypes.int32), int(info.min), int(info.max))
        maxval = xnp.clip(maxval.astype(dtypes.int32), int(info.min), int(info.max) + 1)
    return _randint_jit(data, minval, maxval, shape, sample_dtype).astype(dtype)


# ----------------------------------------------------------------------------------------------
# Shuffles and choices: permutation, choice, categorical.


def _sort_key_val(keys, values, axis: int):
    f = getattr(lax, "sort_key_val", None)
    if f is not None:
        return f(keys, values, dimension=axis)
    f = getattr(lax, "sort", None)
    if f is None:
        raise NotImplementedError("xfront.random.permutation needs lax.sort, which is not in "
                                  "this build of xfront yet")
    return f((keys, values), dimension=axis, num_keys=1)


def _top_k_indices(x, k: int):
    f = getattr(lax, "top_k", None)
    if f is None:
        raise NotImplementedError("sampling without replacement needs lax.top_k, which is not in "
                                  "this build of xfront yet")
    return f(x, k)[1]


def _shuffle(key, x, axis: int):
    # Sort by fresh random 32-bit keys; repeating with new keys makes ties (which would bias
    # the order) unlikely: ceil(3 ln(n) / ln(2**32 - 1)) rounds.
    size = math.prod(x.shape)
    rounds = int(np.ceil(3 * np.log(max(1, size)) / np.log(np.iinfo(np.uint32).max)))
    for _ in range(rounds):
        key, subkey = _split2(key)
        sort_keys = _random_bits(subkey, 32, tuple(x.shape))
        _, x = _sort_key_val(sort_keys, x, axis)
    return x


_shuffle_jit = jit(_shuffle, static_argnums=2)


def _take(arr, idx, axis: int):
    """``numpy.take(arr, idx, axis)`` for in-bounds integer indices (a gather)."""
    ashape, ishape = tuple(arr.shape), tuple(idx.shape)
    offset_dims = tuple(range(axis)) + tuple(
        range(axis + len(ishape), len(ashape) - 1 + len(ishape)))
    dnums = lax.GatherDimensionNumbers(offset_dims=offset_dims, collapsed_slice_dims=(axis,),
                                       start_index_map=(axis,))
    slice_sizes = ashape[:axis] + (1,) + ashape[axis + 1:]
    return lax.gather(arr, xnp.expand_dims(idx, -1), dnums, slice_sizes,
                      mode="promise_in_bounds")


def _canonical_axis(where: str, axis, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise XfrontValueError(f"{where}: axis {axis} is out of bounds for {ndim} dimensions")
    return axis % ndim


def permutation(key, x, axis=0, independent=False):
    """A random permutation of ``range(x)`` (integer ``x``) or of ``x`` along ``axis``.

    ``independent=True`` shuffles each slice along ``axis`` separately."""
    data, _ = _unwrap(key, "permutation")
    if isinstance(x, list | tuple):
        raise XfrontTypeError("permutation: x must be an integer or an array, got a "
                              f"{type(x).__name__}")
    ndim = np.ndim(x) if not hasattr(x, "ndim") else x.ndim
    axis = _canonical_axis("permutation", axis, ndim or 1)
    if not ndim:
        is_int = (isinstance(x, int) and not isinstance(x, bool)) or (
            hasattr(x, "dtype") and dtypes.issubdtype(x.dtype, np.integer))
        if not is_int:
            raise XfrontTypeError("permutation: x must be an integer or at least 1-dimensional")
        if isinstance(x, Tracer):
            raise XfrontTypeError("permutation: an integer x must be concrete (it sets the "
                                  "output shape); pass it as a static argument")
        return _shuffle_jit(data, xnp.arange(int(x)), axis)
    x = _as_array("permutation", x)
    if independent or ndim == 1:
        return _shuffle_jit(data, x, axis)
    order = _shuffle_jit(data, xnp.arange(x.shape[axis]), 0)
    return _take(x, order, axis)


def _cumsum(x):
    f = getattr(xnp, "cumsum", None)
    if f is not None:
        return f(x)
    n, step = x.shape[0], 1
    while step < n:  # Hillis-Steele inclusive scan
        x = x + xnp.concatenate([xnp.zeros((step,), x.dtype), x[:-step]])
        step *= 2
    return x


def _searchsorted_left(sorted_1d, values):
    f = getattr(xnp, "searchsorted", None)
    if f is not None:
        return f(sorted_1d, values)
    return xnp.sum(sorted_1d < xnp.expand_dims(values, -1), axis=-1)


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    """Random samples from ``a`` (an array, or ``range(a)`` for an integer).

    Args:
      shape: the number (shape) of draws; the output replaces ``a``'s ``axis`` by ``shape``.
      replace: sample with replacement (default) or without.
      p: probabilities of ``a``'s entries (1-D); without replacement it uses the Gumbel top-k
        trick.
      mode: the Gumbel sampler's mode for ``replace=False`` with ``p``.
    """
    data, _ = _unwrap(key, "choice")
    if not isinstance(shape, Sequence):
        raise XfrontTypeError(
            f"shape argument of xfront.random.choice must be a sequence, got {shape!r}")
    shape = _canonical_shape("choice", shape)
    arr = _as_array("choice", a)
    if arr.ndim == 0:
        if isinstance(arr, Tracer):
            raise XfrontTypeError("choice: an integer a must be concrete (it sets the range)")
        n_inputs = int(arr)
    else:
        axis = _canonical_axis("choice", axis, arr.ndim)
        n_inputs = arr.shape[axis]
    n_draws = math.prod(shape)
    if n_draws == 0:
        return xnp.zeros(shape, arr.dtype)
    if n_inputs <= 0:
        raise XfrontValueError("choice: a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise XfrontValueError(
            f"choice: cannot take a larger sample (size {n_draws}) than the population (size "
            f"{n_inputs}) when replace=False")
    if p is None:
        if replace:
            ind = randint(data, shape, 0, n_inputs)
            result = ind if arr.ndim == 0 else _take(arr, ind, axis)
        else:
            perm = permutation(data, n_inputs if arr.ndim == 0 else arr, axis)
            result = lax.slice_in_dim(perm, 0, n_draws, axis=0 if arr.ndim == 0 else axis)
    else:
        p_arr = _as_array("choice", p)
        if not dtypes.issubdtype(p_arr.dtype, np.inexact):
            p_arr = p_arr.astype(dtypes.default_float_dtype())
        if tuple(p_arr.shape) != (n_inputs,):
            raise XfrontValueError(
                "choice: p must be None or a 1-D vector with the same size as a.shape[axis]; p "
                f"has shape {tuple(p_arr.shape)} and a.shape[axis] is {n_inputs}.")
        if replace:
            p_cuml = _cumsum(p_arr)
            r = p_cuml[-1] * (1 - uniform(data, shape, dtype=p_cuml.dtype))
            ind = _searchsorted_left(p_cuml, r).astype(dtypes.default_int_dtype())
        else:
            g = gumbel(data, (n_inputs,), dtype=p_arr.dtype, mode=mode) + xnp.log(p_arr)
            ind = _top_k_indices(g, n_draws).astype(dtypes.default_int_dtype())
        result = ind if arr.ndim == 0 else _take(arr, ind, axis)
    out_shape = shape if arr.ndim == 0 else (
        tuple(arr.shape[:axis]) + shape + tuple(arr.shape[axis + 1:]))
    return result.reshape(out_shape)


def _categorical_impl(key, logits, shape, batch_shape, axis, replace, mode):
    prefix = shape[:len(shape) - len(batch_shape)]
    ndim = logits.ndim
    if replace:
        # Gumbel-max: argmax over the class axis of logits + independent Gumbel noise
        neg_axis = axis - ndim if axis >= 0 else axis
        noise_shape = list(shape[len(shape) - len(batch_shape):])
        noise_shape.insert(neg_axis % ndim, logits.shape[neg_axis])
        noise = _gumbel(key, (*prefix, *noise_shape), logits.dtype, mode)
        return xnp.argmax(noise + xnp.expand_dims(logits, tuple(range(len(prefix)))),
                          axis=neg_axis)
    # Gumbel top-k: the k largest perturbed logits are k draws without replacement
    logits = logits + _gumbel(key, tuple(logits.shape), logits.dtype, mode)
    k = math.prod(prefix)
    indices = _top_k_indices(xnp.moveaxis(logits, axis, -1), k)
    perm = (indices.ndim - 1, *range(indices.ndim - 1))
    return xnp.transpose(indices, perm).reshape(shape)


_categorical_jit = jit(_categorical_impl, static_argnums=(2, 3, 4, 5, 6))


def categorical(key, logits, axis=-1, shape=None, replace=True, mode=None):
    """Class indices drawn from ``softmax(logits, axis)`` (Gumbel-max; Gumbel top-k without
    replacement). ``shape`` must end with the logits' batch shape (``logits.shape`` without
    ``axis``); its leading part counts draws per distribution."""
    data, _ = _unwrap(key, "categorical")
    logits = _as_array("categorical", logits)
    if not dtypes.issubdtype(logits.dtype, np.floating):
        raise XfrontTypeError(f"categorical: logits must be floats, got {logits.dtype}")
    if logits.ndim == 0:
        raise XfrontValueError("categorical: logits must have at least one dimension")
    axis_ = _canonical_axis("categorical", axis, logits.ndim)
    batch_shape = tuple(np.delete(np.array(logits.shape, dtype=np.int64), axis_).tolist())
    if shape is None:
        shape = batch_shape
    else:
        shape = _canonical_shape("categorical", shape)
        _check_shape("categorical", shape, batch_shape)
    mode = _gumbel_mode(mode)
    if not replace:
        k = math.prod(shape[:len(shape) - len(batch_shape)])
        if k > logits.shape[axis_]:
            raise XfrontValueError(
                f"categorical: number of samples without replacement ({k}) cannot exceed the "
                f"number of categories ({logits.shape[axis_]}).")
    return _categorical_jit(data, logits, shape, batch_shape, operator.index(axis), bool(replace),
                            mode)


# ----------------------------------------------------------------------------------------------
# Samplers that need linear algebra (xfront.numpy.linalg, loaded lazily).


def _linalg(fn: str, where: str):
    f = getattr(xnp.linalg, fn, None)
    if f is None:
        raise NotImplementedError(
            f"{where} needs xfront.numpy.linalg.{fn}, which is not in this build of xfront yet")
    return f


def _multivariate_normal_impl(key, mean, cov, shape, dtype, method):
    if method == "svd":
        u, s, _ = _linalg("svd", "multivariate_normal")(cov)
        factor = u * xnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = _linalg("eigh", "multivariate_normal")(cov)
        factor = v * xnp.sqrt(w[..., None, :])
    else:
        factor = _linalg("cholesky", "multivariate_normal")(cov)
    with rolled_threefry():  # a reduction follows: see rolled_threefry
        z = _normal(key, shape + tuple(mean.shape[-1:]), dtype)
    einsum = getattr(xnp, "einsum", None)
    if einsum is not None:  # the same dot_general as JAX's (same operand order, same bits)
        return mean + einsum("...ij,...j->...i", factor, z)
    return mean + xnp.matmul(factor, z[..., None])[..., 0]


_multivariate_normal_jit = jit(_multivariate_normal_impl, static_argnums=(3, 4, 5))


def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """Multivariate normal values ``mean + factor @ z`` with ``factor factor^T = cov``.

    Args:
      mean: ``(..., n)``; cov: ``(..., n, n)``, batch shapes broadcast.
      shape: the batch shape of the result (default: the broadcast batch shapes); the result
        has shape ``shape + (n,)``.
      method: 'cholesky' (default), 'eigh' or 'svd' (the latter two allow singular ``cov``).
    """
    data, _ = _unwrap(key, "multivariate_normal")
    if method not in ("svd", "eigh", "cholesky"):
        raise XfrontValueError(
            f"multivariate_normal: method must be one of 'svd', 'eigh', 'cholesky', got "
            f"{method!r}")
    mean, cov = _as_array("multivariate_normal", mean), _as_array("multivariate_normal", cov)
    common = xnp.result_type(mean, cov)
    if not dtypes.issubdtype(common, np.inexact):
        common = dtypes.default_float_dtype()
    mean, cov = mean.astype(common), cov.astype(common)
    dtype = common if dtype is None else _user_dtype(dtype)
    if not dtypes.issubdtype(dtype, np.floating):
        raise XfrontValueError(
            f"dtype argument to `multivariate_normal` must be a float dtype, got {dtype}")
    if mean.ndim < 1:
        raise XfrontValueError(
            f"multivariate_normal requires mean.ndim >= 1, got mean.ndim == {mean.ndim}")
    if cov.ndim < 2:
        raise XfrontValueError(
            f"multivariate_normal requires cov.ndim >= 2, got cov.ndim == {cov.ndim}")
    n = mean.shape[-1]
    if tuple(cov.shape[-2:]) != (n, n):
        raise XfrontValueError(
            f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, but got "
            f"cov.shape == {tuple(cov.shape)}.")
    batch = (tuple(mean.shape[:-1]), tuple(cov.shape[:-2]))
    if shape is None:
        try:
            shape = xnp.broadcast_shapes(*batch)
        except (ValueError, TypeError):
            raise XfrontValueError(
                f"multivariate_normal: the batch shapes of mean {batch[0]} and cov {batch[1]} "
                "do not broadcast together") from None
    else:
        shape = _canonical_shape("multivariate_normal", shape)
        _check_shape("multivariate_normal", shape, *batch)
    return _multivariate_normal_jit(data, mean, cov, shape, dtype, method)


def _diagonal(x):
    """The main diagonal over the last two axes."""
    f = getattr(xnp.linalg, "diagonal", None)
    if f is not None:
        return f(x)
    k = min(x.shape[-2:])
    eye = xnp.eye(x.shape[-2], x.shape[-1], dtype=x.dtype)
    return xnp.sum(x * eye, axis=-1)[..., :k]


def _orthogonal_impl(key, n, m, shape, dtype):
    with rolled_threefry():  # QR follows: see rolled_threefry
        z = _normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q, r = _linalg("qr", "orthogonal")(z)
    d = _diagonal(r)
    x = q * xnp.expand_dims(xnp.sign(d), -2)  # sign fix makes the distribution Haar
    return xnp.swapaxes(x, -1, -2) if n < m else x


_orthogonal_jit = jit(_orthogonal_impl, static_argnums=(1, 2, 3, 4))


def orthogonal(key, n, shape=(), dtype=None, m=None):
    """Haar-distributed ``n x m`` matrices with orthonormal columns (or rows if ``n < m``);
    ``m`` defaults to ``n`` (the orthogonal group O(n))."""
    data, _ = _unwrap(key, "orthogonal")
    shape = _canonical_shape("orthogonal", shape)
    dtype = _float_dtype("orthogonal", dtype, inexact=True)
    try:
        n = operator.index(n)
        m = n if m is None else operator.index(m)
    except TypeError:
        raise XfrontTypeError("orthogonal: n and m must be concrete integers") from None
    return _orthogonal_jit(data, n, m, shape, dtype)
