"""More of ``xfront.numpy``'s mathematics: comparisons of whole arrays (isclose, allclose,
array_equal, array_equiv), floating-point helpers (nan_to_num, frexp, ldexp, modf, spacing),
special functions (sinc, i0, heaviside, gcd, lcm), polynomials (polyval, polyadd, polysub,
polymul, polyder, polyint, polydiv, poly), interpolation and calculus (interp, unwrap,
gradient, trapezoid, cross), type predicates (isreal, iscomplex, isrealobj, iscomplexobj,
isscalar, iterable), bit packing (packbits, unpackbits), window functions (bartlett, blackman,
hamming, hanning, kaiser), host constructors (frombuffer, fromfunction, fromiter, fromstring),
printing (array_repr, array_str, print options), files (load, save, savez, fromfile,
from_dlpack), the gufunc products matvec and vecmat, and generic ufuncs from Python functions
(``frompyfunc``, ``ufunc`` with call, outer, reduce, accumulate, reduceat and at).
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from xfront import lax
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, concretization_error, get_aval
from xfront.custom_derivatives import custom_jvp
from xfront.lax.elementwise import _convert_element_type
from xfront.numpy._util import as_traced as _traced
from xfront.numpy._util import (
    broadcast_shapes,
    broadcast_to,
    canonical_axes,
    canonical_axis,
    check_arraylike,
    promote_args,
    promote_args_inexact,
    promote_dtypes,
    promote_dtypes_inexact,
    promote_shapes,
)
from xfront.numpy._util import static_int as _static_int

__all__ = [
    "ComplexWarning",
    "allclose",
    "array_equal",
    "array_equiv",
    "array_repr",
    "array_str",
    "bartlett",
    "blackman",
    "cross",
    "frexp",
    "from_dlpack",
    "frombuffer",
    "fromfile",
    "fromfunction",
    "fromiter",
    "frompyfunc",
    "fromstring",
    "get_printoptions",
    "gcd",
    "gradient",
    "hamming",
    "hanning",
    "heaviside",
    "i0",
    "interp",
    "iscomplex",
    "iscomplexobj",
    "isclose",
    "isreal",
    "isrealobj",
    "isscalar",
    "iterable",
    "kaiser",
    "lcm",
    "ldexp",
    "load",
    "matvec",
    "modf",
    "nan_to_num",
    "packbits",
    "poly",
    "polyadd",
    "polyder",
    "polydiv",
    "polyint",
    "polymul",
    "polysub",
    "polyval",
    "printoptions",
    "save",
    "savez",
    "set_printoptions",
    "sinc",
    "spacing",
    "trapezoid",
    "ufunc",
    "unpackbits",
    "unwrap",
    "vecmat",
]


def _arr(name, x):
    check_arraylike(name, x)
    return _traced(x)


def _dt(x) -> np.dtype:
    return get_aval(x).dtype


def _const(x, value):
    """``value`` as a scalar of ``x``'s dtype (weak when ``x`` is)."""
    aval = get_aval(x)
    return _traced(_convert_element_type(value, aval.dtype, aval.weak_type))


def _ufuncs():
    from xfront.numpy import _ufuncs

    return _ufuncs


# ----------------------------------------------------------------------------------------------
# Comparing arrays.


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    """Elementwise ``|a - b| <= atol + rtol * |b|``; infinities are close only to themselves,
    NaNs only with ``equal_nan`` (``numpy.isclose``)."""
    u = _ufuncs()
    a, b = promote_args("isclose", a, b)
    dt = _dt(a)
    if dtypes.is_bool(dt):
        return lax.eq(a, b)
    if not dtypes.is_inexact(dt):
        a, b = promote_dtypes_inexact(a, b)
        dt = _dt(a)
    rdt = dtypes.real_dtype(dt)
    rtol = _traced(_convert_element_type(rtol, rdt, True))
    atol = _traced(_convert_element_type(atol, rdt, True))
    a, b = _traced(a), _traced(b)
    close = u.less_equal(u.abs(u.subtract(a, b)), u.add(atol, u.multiply(rtol, u.abs(b))))
    finite = u.logical_and(u.isfinite(a), u.isfinite(b))
    out = u.where(finite, close, u.equal(a, b))
    if equal_nan:
        out = u.logical_or(out, u.logical_and(u.isnan(a), u.isnan(b)))
    return out


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan: bool = False):
    """Whether all elements are ``isclose`` (a 0-d boolean array)."""
    from xfront.numpy._reductions import all as _all

    return _all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan: bool = False):
    """Whether ``a1`` and ``a2`` have the same shape and elements (a 0-d boolean array)."""
    from xfront.numpy._reductions import all as _all

    u = _ufuncs()
    a1, a2 = _as_array(a1, "array_equal"), _as_array(a2, "array_equal")
    if get_aval(a1).shape != get_aval(a2).shape:
        return lax.full((), False)
    a1, a2 = promote_dtypes(a1, a2)
    eq = u.equal(a1, a2)
    if equal_nan and dtypes.is_inexact(_dt(a1)):
        eq = u.logical_or(eq, u.logical_and(u.isnan(a1), u.isnan(a2)))
    return _all(eq)


def array_equiv(a1, a2):
    """Whether ``a1`` and ``a2`` broadcast to each other and are equal (a 0-d boolean
    array)."""
    from xfront.numpy._reductions import all as _all

    a1, a2 = _as_array(a1, "array_equiv"), _as_array(a2, "array_equiv")
    try:
        broadcast_shapes(get_aval(a1).shape, get_aval(a2).shape)
    except XfrontValueError:
        return lax.full((), False)
    return _all(_ufuncs().equal(a1, a2))


def _as_array(x, name):
    if isinstance(x, list | tuple):
        from xfront.numpy._creation import asarray

        return asarray(x)
    return _arr(name, x)


# ----------------------------------------------------------------------------------------------
# Floating-point helpers.


def nan_to_num(x, copy: bool = True, nan=0.0, posinf=None, neginf=None):
    """``x`` with NaN replaced by ``nan`` and infinities by ``posinf``/``neginf`` (the largest
    finite values by default); complex parts are treated separately."""
    x = _arr("nan_to_num", x)
    dt = _dt(x)
    if not dtypes.is_inexact(dt):
        return x
    if dtypes.is_complex(dt):
        re = nan_to_num(lax.real(x), nan=nan, posinf=posinf, neginf=neginf)
        im = nan_to_num(lax.imag(x), nan=nan, posinf=posinf, neginf=neginf)
        return lax.complex(re, im)
    u = _ufuncs()
    info = dtypes.finfo(dt)
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    x = u.where(u.isnan(x), _const(x, nan), x)
    x = u.where(u.isposinf(x), _const(x, posinf), x)
    return u.where(u.isneginf(x), _const(x, neginf), x)


def _float_layout(dt):
    """(work dtype, same-width int dtype, mantissa bits, exponent bits, bias) for frexp and
    ldexp; 16-bit floats work in float32 (exactly)."""
    work = dtypes.float32 if np.dtype(dt).itemsize < 4 else np.dtype(dt)
    info = np.finfo(work)
    itype = dtypes.int32 if work == dtypes.float32 else dtypes.int64
    return work, itype, info.nmant, info.nexp, info.maxexp - 1


def frexp(x, /):
    """Mantissa in [0.5, 1) and integer exponent with ``x = m * 2**e`` (``numpy.frexp``);
    zeros, infinities and NaN give ``(x, 0)``."""
    u = _ufuncs()
    check_arraylike("frexp", x)
    (x,) = promote_dtypes_inexact(x)
    x = _traced(x)
    dt = _dt(x)
    if dtypes.is_complex(dt):
        raise XfrontTypeError(f"frexp does not support complex inputs, got {dt}")
    work, itype, nmant, nexp, bias = _float_layout(dt)
    xw = lax.convert_element_type(x, work)
    # Subnormals: scale into the normal range first.
    shift = nmant + 1
    sub = lax.lt(lax.abs(xw), lax.full((), np.finfo(work).smallest_normal, work))
    xs = lax.select(sub, lax.mul(xw, lax.full((), 2.0 ** shift, work)), xw)
    bits = lax.bitcast_convert_type(xs, itype)
    exp_mask = (1 << nexp) - 1
    biased = lax.bitwise_and(lax.shift_right_logical(bits, lax.full((), nmant, itype)),
                             lax.full((), exp_mask, itype))
    e = lax.sub(biased, lax.full((), bias - 1, itype))
    e = lax.sub(e, lax.select(sub, lax.full(get_aval(e).shape, shift, itype),
                              lax.full(get_aval(e).shape, 0, itype)))
    clear = ~(exp_mask << nmant)
    m_bits = lax.bitwise_or(lax.bitwise_and(bits, lax.full((), clear, itype)),
                            lax.full((), (bias - 1) << nmant, itype))
    m = lax.bitcast_convert_type(m_bits, work)
    special = u.logical_or(lax.eq(xw, lax.full((), 0, work)), u.logical_not(u.isfinite(xw)))
    m = lax.select(special, xw, m)
    e = lax.select(special, lax.full(get_aval(e).shape, 0, itype), e)
    return lax.convert_element_type(m, dt), lax.convert_element_type(e, dtypes.int32)


def _exact_pow2(k, work, itype, nmant, bias):
    """2.0**k for integer k in the normal exponent range, built from its bits."""
    k = lax.convert_element_type(k, itype)
    biased = lax.add(k, lax.full((), bias, itype))
    return lax.bitcast_convert_type(lax.shift_left(biased, lax.full((), nmant, itype)), work)


def ldexp(x1, x2, /):
    """``x1 * 2**x2`` for integer ``x2``, exact where the result is representable
    (``numpy.ldexp``)."""
    check_arraylike("ldexp", x1, x2)
    x2dt = dtypes.dtype_and_weak_type(x2)[0]
    if not (dtypes.is_int(x2dt) or dtypes.is_bool(x2dt)):
        raise XfrontTypeError(f"ldexp: x2 must be an integer array, got dtype {x2dt}")
    (x1,) = promote_dtypes_inexact(x1)
    x1, x2 = promote_shapes("ldexp", _traced(x1), _traced(x2))
    dt = _dt(x1)
    if dtypes.is_complex(dt):
        raise XfrontTypeError(f"ldexp does not support complex inputs, got {dt}")
    work, itype, nmant, _, bias = _float_layout(dt)
    x = lax.convert_element_type(x1, work)
    limit = 2 * bias + nmant + 2  # beyond it the result is 0 or inf anyway
    k = lax.clamp(lax.full((), -limit, itype), lax.convert_element_type(x2, itype),
                  lax.full((), limit, itype))
    # Three factors, each an exact power of two in the normal range.
    from xfront.numpy._ufuncs import floor_divide

    k1 = floor_divide(k, lax.full((), 3, itype))
    k2 = floor_divide(lax.sub(k, k1), lax.full((), 2, itype))
    k3 = lax.sub(lax.sub(k, k1), k2)
    for part in (k1, k2, k3):
        x = lax.mul(x, _exact_pow2(part, work, itype, nmant, bias))
    return lax.convert_element_type(x, dt)


def modf(x, /, out=None):
    """Fractional and integral parts, both with the sign of ``x`` (``numpy.modf``)."""
    from xfront.numpy._util import check_no_out

    check_no_out("modf", out)
    u = _ufuncs()
    check_arraylike("modf", x)
    (x,) = promote_dtypes_inexact(x)
    x = _traced(x)
    whole = u.trunc(x)
    frac = u.where(u.isinf(x), u.copysign(_const(x, 0), x), u.subtract(x, whole))
    return u.copysign(frac, x), whole


def spacing(x, /):
    """The distance from ``x`` to the next float away from zero (``numpy.spacing``)."""
    u = _ufuncs()
    check_arraylike("spacing", x)
    (x,) = promote_dtypes_inexact(x)
    x = _traced(x)
    toward = u.copysign(_const(x, np.inf), x)
    nxt = u.nextafter(x, toward)
    # At zero the answer is the smallest subnormal, which a subtraction may flush to zero.
    return u.where(lax.eq(x, _const(x, 0)), nxt, u.subtract(nxt, x))


# ----------------------------------------------------------------------------------------------
# Special functions.


def _sinc_series_coef(k: int) -> float:
    """The k-th derivative of sin(y)/y at y = 0."""
    return 0.0 if k % 2 else (-1.0) ** (k // 2) / (k + 1)


def _sinc_at_zero_fun(k, y):
    """sin(y)/y's k-th derivative at 0, as an array like ``y`` (only read where y == 0);
    its JVP is the next derivative, so every order of differentiation is exact at 0."""
    return lax.full_like(y, _sinc_series_coef(k))


_sinc_at_zero = custom_jvp(_sinc_at_zero_fun, nondiff_argnums=(0,))


@_sinc_at_zero.defjvp
def _sinc_at_zero_jvp(k, primals, tangents):
    (y,), (t,) = primals, tangents
    return _sinc_at_zero(k, y), lax.mul(_sinc_at_zero(k + 1, y), t)


def sinc(x, /):
    """``sin(pi x) / (pi x)``, 1 at 0 (``numpy.sinc``); derivatives of every order are exact
    at 0."""
    check_arraylike("sinc", x)
    (x,) = promote_dtypes_inexact(x)
    x = _traced(x)
    zero = lax.eq(x, _const(x, 0))
    pi_x = lax.mul(_const(x, np.pi), x)
    safe = lax.select(zero, lax.full_like(x, 1), pi_x)
    return lax.select(zero, _sinc_at_zero(0, pi_x), lax.div(lax.sin(safe), safe))


def i0(x):
    """The modified Bessel function of the first kind, order 0 (``numpy.i0``):
    ``exp(|x|) * i0e(x)``."""
    check_arraylike("i0", x)
    (x,) = promote_dtypes_inexact(x)
    x = _traced(x)
    if dtypes.is_complex(_dt(x)):
        raise XfrontTypeError("i0 does not support complex inputs")
    return lax.mul(lax.exp(lax.abs(x)), lax.bessel_i0e(x))


def heaviside(x1, x2, /):
    """0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``."""
    u = _ufuncs()
    x1, x2 = promote_args_inexact("heaviside", x1, x2)
    zero = _const(x1, 0)
    return u.where(lax.lt(x1, zero), zero,
                   u.where(lax.gt(x1, zero), _const(x1, 1), x2))


def _int_args(name, x1, x2):
    from xfront.numpy._util import promote_args_numeric

    x1, x2 = promote_args_numeric(name, x1, x2)
    if not dtypes.is_int(_dt(x1)):
        raise XfrontTypeError(f"{name} requires integer arguments, got dtype {_dt(x1)}")
    return x1, x2


def gcd(x1, x2, /):
    """Greatest common divisor of ``|x1|`` and ``|x2|`` (Euclid's algorithm in a
    ``while_loop``)."""
    from xfront.numpy._reductions import any as _any

    u = _ufuncs()
    x1, x2 = _int_args("gcd", x1, x2)
    shape = broadcast_shapes(get_aval(x1).shape, get_aval(x2).shape)
    a = broadcast_to(u.abs(x1), shape)
    b = broadcast_to(u.abs(x2), shape)

    def cond(c):
        return _any(lax.ne(c[1], _const(c[1], 0)))

    def body(c):
        a, b = c
        zero = lax.eq(b, _const(b, 0))
        safe = lax.select(zero, lax.full_like(b, 1), b)
        return lax.select(zero, a, b), lax.select(zero, b, lax.rem(a, safe))

    return lax.while_loop(cond, body, (a, b))[0]


def lcm(x1, x2, /):
    """Least common multiple of ``|x1|`` and ``|x2|`` (0 when either is 0)."""
    u = _ufuncs()
    x1, x2 = _int_args("lcm", x1, x2)
    d = gcd(x1, x2)
    zero = lax.eq(d, _const(d, 0))
    safe = lax.select(zero, lax.full_like(d, 1), d)
    value = u.abs(u.multiply(x1, u.floor_divide(x2, safe)))
    return lax.select(zero, lax.full_like(d, 0), value)


# ----------------------------------------------------------------------------------------------
# Polynomials (coefficient arrays, highest power first, as NumPy's poly* functions).


def _poly1d(name, p):
    p = _arr(name, p)
    if get_aval(p).ndim != 1:
        raise XfrontValueError(
            f"{name}: polynomial coefficients must be 1-D, got shape {get_aval(p).shape}")
    return p


def _pad_front(p, n):
    k = get_aval(p).shape[0]
    if k >= n:
        return p
    return lax.pad(p, _const(p, 0), [(n - k, 0, 0)])


def polyval(p, x, *, unroll: int = 16):
    """The polynomial ``p`` evaluated at ``x`` by Horner's rule (``numpy.polyval``); integer
    inputs give integer results (as NumPy and JAX)."""
    check_arraylike("polyval", p, x)
    p, x = promote_dtypes(p, x)
    p = _poly1d("polyval", p)
    x = _traced(x)
    n = get_aval(p).shape[0]
    y = lax.full_like(x, 0)
    for i in range(n):
        c = lax.reshape(lax.slice_in_dim(p, i, i + 1), ())
        y = lax.add(lax.mul(y, x), c)
    return y


def polyadd(a1, a2):
    """Sum of two polynomials (``numpy.polyadd``)."""
    check_arraylike("polyadd", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    a1, a2 = _poly1d("polyadd", a1), _poly1d("polyadd", a2)
    n = builtins.max(get_aval(a1).shape[0], get_aval(a2).shape[0])
    return _ufuncs().add(_pad_front(a1, n), _pad_front(a2, n))


def polysub(a1, a2):
    """Difference of two polynomials (``numpy.polysub``)."""
    check_arraylike("polysub", a1, a2)
    a1, a2 = promote_dtypes(a1, a2)
    a1, a2 = _poly1d("polysub", a1), _poly1d("polysub", a2)
    n = builtins.max(get_aval(a1).shape[0], get_aval(a2).shape[0])
    return _ufuncs().subtract(_pad_front(a1, n), _pad_front(a2, n))


def _trim_leading(p, name):
    v = np.asarray(_concrete_value(p, name))
    nz = np.nonzero(v)[0]
    start = int(nz[0]) if nz.size else builtins.max(v.shape[0] - 1, 0)
    return lax.slice_in_dim(p, start, v.shape[0], 1, 0)


def _concrete_value(x, name):
    if isinstance(x, Tracer):
        raise concretization_error(x, f"{name}: trim_leading_zeros=True")
    return x


def _toeplitz(b, n):
    """The (n, n + m - 1) matrix whose row i is ``b`` shifted right by i: one tiled copy of
    ``b`` followed by n zeros, cut and reshaped (no gather)."""
    m = get_aval(b).shape[0]
    period = lax.pad(b, _const(b, 0), [(0, n, 0)])  # length m + n
    width = m + n - 1
    flat = lax.reshape(lax.broadcast_in_dim(period, (n, m + n), (1,)), (n * (m + n),))
    return lax.reshape(lax.slice_in_dim(flat, 0, n * width), (n, width))


def polymul(a1, a2, *, trim_leading_zeros: bool = False):
    """Product of two polynomials (``numpy.polymul``): one matrix-vector product with a
    Toeplitz matrix of ``a2``."""
    check_arraylike("polymul", a1, a2)
    a1, a2 = promote_dtypes_inexact(a1, a2)
    a1, a2 = _poly1d("polymul", a1), _poly1d("polymul", a2)
    if trim_leading_zeros:
        a1, a2 = _trim_leading(a1, "polymul"), _trim_leading(a2, "polymul")
    n, m = get_aval(a1).shape[0], get_aval(a2).shape[0]
    if n == 0 or m == 0:
        return lax.full((0,), 0, _dt(a1))
    from xfront.numpy._products import matmul

    return matmul(a1, _toeplitz(a2, n), precision=lax.Precision.HIGHEST)


def polyder(p, m: int = 1):
    """The ``m``-th derivative of the polynomial ``p`` (``numpy.polyder``)."""
    check_arraylike("polyder", p)
    (p,) = promote_dtypes_inexact(p)
    p = _poly1d("polyder", p)
    m = _static_int(m, "polyder", "m")
    if m < 0:
        raise XfrontValueError(f"polyder: order of derivative must be positive, got {m}")
    for _ in range(m):
        n = get_aval(p).shape[0]
        if n == 0:
            break
        powers = lax.convert_element_type(
            lax.sub(lax.full((n - 1,), n - 1, dtypes.int32), lax.iota(dtypes.int32, n - 1)),
            _dt(p))
        p = lax.mul(lax.slice_in_dim(p, 0, n - 1), powers)
    return p


def polyint(p, m: int = 1, k=None):
    """The ``m``-th antiderivative of ``p``; ``k`` gives the integration constants (one
    scalar for all, or ``m`` of them, the first for the first integration)."""
    check_arraylike("polyint", p)
    m = _static_int(m, "polyint", "m")
    if m < 0:
        raise XfrontValueError(f"polyint: order of integral must be positive, got {m}")
    if k is None:
        k = 0
    if isinstance(k, list | tuple):
        from xfront.numpy._creation import asarray

        k = asarray(k)
    check_arraylike("polyint", k)
    p, k = promote_dtypes_inexact(p, k)
    p = _poly1d("polyint", p)
    k = _traced(k)
    kn = get_aval(k).size
    if kn not in (1, m) and m > 0:
        raise XfrontValueError(
            f"polyint: k must be a scalar or have length m={m}, got shape {get_aval(k).shape}")
    k = lax.reshape(k, (kn,))
    for i in range(m):
        n = get_aval(p).shape[0]
        divisors = lax.convert_element_type(
            lax.sub(lax.full((n,), n, dtypes.int32), lax.iota(dtypes.int32, n)), _dt(p))
        const = lax.slice_in_dim(k, 0 if kn == 1 else i, (0 if kn == 1 else i) + 1)
        p = lax.concatenate([lax.div(p, divisors), const], 0)
    return p


def polydiv(u, v, *, trim_leading_zeros: bool = False):
    """Quotient and remainder of polynomial division (``numpy.polydiv``). As in JAX the
    remainder keeps the dividend's length (leading zeros) unless ``trim_leading_zeros``
    (which needs concrete values)."""
    check_arraylike("polydiv", u, v)
    u, v = promote_dtypes_inexact(u, v)
    u, v = _poly1d("polydiv", u), _poly1d("polydiv", v)
    if trim_leading_zeros:
        v = _trim_leading(v, "polydiv")
    n, m = get_aval(u).shape[0], get_aval(v).shape[0]
    if m == 0:
        raise XfrontValueError("polydiv: the divisor must have at least one coefficient")
    scale = lax.div(lax.full((), 1, _dt(v)), lax.reshape(lax.slice_in_dim(v, 0, 1), ()))
    r = u
    quotient = []
    for k in range(builtins.max(n - m + 1, 0)):
        d = lax.mul(scale, lax.reshape(lax.slice_in_dim(r, k, k + 1), ()))
        quotient.append(lax.reshape(d, (1,)))
        shifted = lax.pad(v, _const(v, 0), [(k, n - m - k, 0)])
        r = lax.sub(r, lax.mul(d, shifted))
    if not quotient:
        q = lax.full((1,), 0, _dt(u))
    else:
        q = lax.concatenate(quotient, 0)
        # The leading n - m + 1 entries of r are zero in exact arithmetic.
        r = lax.pad(lax.slice_in_dim(r, n - m + 1, n), _const(r, 0), [(n - m + 1, 0, 0)])
    if trim_leading_zeros:
        r = _trim_leading(r, "polydiv")
    return q, r


def poly(seq_of_zeros):
    """Coefficients of the monic polynomial with the given roots (``numpy.poly``); a square
    matrix gives its characteristic polynomial (through its eigenvalues)."""
    a = _arr("poly", seq_of_zeros)
    (a,) = promote_dtypes_inexact(a)
    a = _traced(a)
    shape = get_aval(a).shape
    if len(shape) == 2 and shape[0] == shape[1] and shape[0] > 0:
        from xfront.numpy import linalg

        a = linalg.eigvals(a)
        if dtypes.is_complex(_dt(a)) and not dtypes.is_complex(_dt(seq_of_zeros)):
            return lax.real(poly(a))
    elif len(shape) != 1:
        raise XfrontValueError(
            f"poly: input must be 1-D or a non-empty square 2-D array, got shape {shape}")
    n = get_aval(a).shape[0]
    coeffs = lax.full((1,), 1, _dt(a))
    for i in range(n):
        root = lax.reshape(lax.slice_in_dim(a, i, i + 1), ())
        coeffs = lax.sub(lax.pad(coeffs, _const(coeffs, 0), [(0, 1, 0)]),
                         lax.mul(root, lax.pad(coeffs, _const(coeffs, 0), [(1, 0, 0)])))
    return coeffs


# ----------------------------------------------------------------------------------------------
# Interpolation and calculus.


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolation of ``(xp, fp)`` at ``x`` (``numpy.interp``).

    ``xp`` must be increasing (unless ``period`` is given: it is then sorted); ``left``/
    ``right`` replace values below/above the range ('extrapolate' extends the end segments).
    """
    from xfront.numpy._manipulation import _take_dynamic

    u = _ufuncs()
    check_arraylike("interp", x, xp, fp)
    xp_s, fp_s = get_aval(xp).shape, get_aval(fp).shape
    if len(xp_s) != 1 or len(fp_s) != 1 or xp_s != fp_s or xp_s[0] == 0:
        raise XfrontValueError(
            f"interp: xp and fp must be 1-D arrays of the same non-zero length, got shapes "
            f"{xp_s} and {fp_s}")
    x, xp = promote_dtypes_inexact(x, xp)
    (fp,) = promote_dtypes_inexact(fp)
    x, xp, fp = _traced(x), _traced(xp), _traced(fp)
    if dtypes.is_complex(_dt(x)):
        raise XfrontTypeError("interp: x and xp must be real")
    if period is not None:
        check_arraylike("interp", period)
        if get_aval(period).ndim != 0:
            raise XfrontValueError(f"interp: period must be a scalar, got {period!r}")
        period = u.abs(_traced(_convert_element_type(period, _dt(x))))
        x = u.remainder(x, period)
        xp = u.remainder(xp, period)
        xp, fp = lax.sort((xp, fp), 0, num_keys=1)
        n = xp_s[0]
        xp = lax.concatenate([lax.sub(lax.slice_in_dim(xp, n - 1, n), period), xp,
                              lax.add(lax.slice_in_dim(xp, 0, 1), period)], 0)
        fp = lax.concatenate([lax.slice_in_dim(fp, n - 1, n), fp, lax.slice_in_dim(fp, 0, 1)],
                             0)
    n = get_aval(xp).shape[0]
    if n == 1:
        out = broadcast_to(lax.reshape(fp, ()), get_aval(x).shape)
        return out
    from xfront.numpy import searchsorted

    xshape = get_aval(x).shape
    xf = lax.reshape(x, (get_aval(x).size,))
    i = lax.convert_element_type(searchsorted(xp, xf, side="right"), dtypes.int32)
    i = lax.clamp(lax.full((), 1, dtypes.int32), i, lax.full((), n - 1, dtypes.int32))
    im1 = lax.sub(i, lax.full((), 1, dtypes.int32))
    x_lo, x_hi = _take_dynamic(xp, im1, 0), _take_dynamic(xp, i, 0)
    f_lo, f_hi = _take_dynamic(fp, im1, 0), _take_dynamic(fp, i, 0)
    dx = lax.sub(x_hi, x_lo)
    tiny = lax.le(lax.abs(dx), lax.full((), np.spacing(dtypes.finfo(_dt(x)).eps), _dt(x)))
    t = lax.div(lax.sub(xf, x_lo), lax.select(tiny, lax.full_like(dx, 1), dx))
    t = lax.convert_element_type(t, _dt(fp)) if dtypes.is_complex(_dt(fp)) else t
    t, df, f_lo_c = promote_dtypes(t, lax.sub(f_hi, f_lo), f_lo)
    f = u.where(tiny, f_lo_c, lax.add(f_lo_c, lax.mul(t, df)))
    if period is None:
        first, last = lax.slice_in_dim(xp, 0, 1), lax.slice_in_dim(xp, n - 1, n)
        for side, bound, cmp, edge in (("left", left, lax.lt, 0), ("right", right, lax.gt,
                                                                    n - 1)):
            if isinstance(bound, str):
                if bound != "extrapolate":
                    raise XfrontValueError(
                        f"interp: {side} must be a value, None or 'extrapolate', got {bound!r}")
                continue
            value = lax.reshape(lax.slice_in_dim(fp, edge, edge + 1), ()) if bound is None \
                else _traced(_convert_element_type(bound, get_aval(f).dtype))
            ref = lax.reshape(first if side == "left" else last, ())
            f = u.where(cmp(xf, ref), value, f)
    elif left is not None or right is not None:
        pass  # NumPy ignores left and right with a period
    return lax.reshape(f, xshape)


def unwrap(p, discont=None, axis: int = -1, period=2 * np.pi):
    """Unwraps phase ``p`` along ``axis``: jumps larger than ``discont`` (at least
    ``period / 2``) are replaced by their ``period`` complement (``numpy.unwrap``)."""
    u = _ufuncs()
    from xfront.numpy._manipulation import diff

    check_arraylike("unwrap", p)
    (p,) = promote_dtypes_inexact(p)
    p = _traced(p)
    aval = get_aval(p)
    if aval.ndim == 0:
        raise XfrontValueError("unwrap: p must be at least 1-D")
    axis = canonical_axis(axis, aval.ndim, "unwrap")
    if aval.shape[axis] < 2:
        return p
    period = _traced(_convert_element_type(period, aval.dtype))
    half = lax.div(period, lax.full((), 2, aval.dtype))
    discont = half if discont is None else u.maximum(
        _traced(_convert_element_type(discont, aval.dtype)), half)
    dd = diff(p, axis=axis)
    ddmod = lax.sub(u.remainder(lax.add(dd, half), period), half)
    ddmod = u.where(u.logical_and(lax.eq(ddmod, lax.neg(half)), lax.gt(dd, _const(dd, 0))),
                    half, ddmod)
    correction = lax.sub(ddmod, dd)
    correction = u.where(lax.lt(u.abs(dd), discont), _const(dd, 0), correction)
    running = lax.cumsum(correction, axis)
    cfg = [(0, 0, 0)] * aval.ndim
    cfg[axis] = (1, 0, 0)
    return lax.add(p, lax.pad(running, _const(running, 0), cfg))


def _slices(f, axis, start, stop):
    return lax.slice_in_dim(f, start, stop, 1, axis)


def _along(v, axis, nd):
    """A 1-D ``v`` shaped to broadcast along ``axis`` of an ``nd``-dim array."""
    shape = [1] * nd
    shape[axis] = get_aval(v).shape[0]
    return lax.reshape(v, tuple(shape))


def gradient(f, *varargs, axis=None, edge_order: int | None = None):
    """Second-order central differences in the interior and first- or second-order one-sided
    differences at the edges (``numpy.gradient``). ``varargs``: nothing (unit spacing), one
    scalar for all axes, or per axis a scalar spacing or a 1-D coordinate array. Returns one
    array per axis (a list when there are several)."""
    u = _ufuncs()
    check_arraylike("gradient", f)
    (f,) = promote_dtypes_inexact(f)
    f = _traced(f)
    aval = get_aval(f)
    nd = aval.ndim
    axes = canonical_axes(axis, nd, "gradient") if axis is not None else tuple(range(nd))
    if axis is not None and not isinstance(axis, int | np.integer):
        axes = tuple(canonical_axis(a, nd, "gradient") for a in axis)
    edge_order = 1 if edge_order is None else edge_order
    if edge_order not in (1, 2):
        raise XfrontValueError(f"gradient: edge_order must be 1 or 2, got {edge_order}")
    if not varargs:
        spacings = [1.0] * len(axes)
    elif len(varargs) == 1 and get_aval(varargs[0]).ndim == 0:
        spacings = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacings = list(varargs)
    else:
        raise XfrontTypeError(
            f"gradient: invalid number of spacing arguments ({len(varargs)}) for {len(axes)} "
            "axes")
    out = []
    for ax, h in zip(axes, spacings):
        n = aval.shape[ax]
        if n < edge_order + 1:
            raise XfrontValueError(
                f"gradient: shape {aval.shape} is too small along axis {ax} to calculate a "
                f"numerical gradient, at least (edge_order + 1) = {edge_order + 1} elements "
                "are required")
        check_arraylike("gradient", h)
        h = _traced(_convert_element_type(h, aval.dtype)) if get_aval(h).ndim == 0 \
            else _traced(h)
        if get_aval(h).ndim == 0:
            out.append(_gradient_uniform(f, ax, h, edge_order, n))
        else:
            if get_aval(h).shape != (n,):
                raise XfrontValueError(
                    f"gradient: coordinates for axis {ax} must be 1-D of length {n}, got shape "
                    f"{get_aval(h).shape}")
            (h,) = promote_dtypes_inexact(h)
            h = _traced(_convert_element_type(h, aval.dtype))
            out.append(_gradient_coords(f, ax, u.subtract(_slices(h, 0, 1, n),
                                                          _slices(h, 0, 0, n - 1)),
                                        edge_order, n, nd))
    return out[0] if len(out) == 1 else out


def _gradient_uniform(f, ax, h, edge_order, n):
    def s(a, b):
        return _slices(f, ax, a, b)

    two_h = lax.mul(h, _const(h, 2))
    parts = []
    if edge_order == 1:
        parts.append(lax.div(lax.sub(s(1, 2), s(0, 1)), h))
    else:
        first = lax.add(lax.add(lax.mul(s(0, 1), _const(h, -1.5)), lax.mul(s(1, 2),
                                                                         _const(h, 2.0))),
                        lax.mul(s(2, 3), _const(h, -0.5)))
        parts.append(lax.div(first, h))
    if n > 2:
        parts.append(lax.div(lax.sub(s(2, n), s(0, n - 2)), two_h))
    if edge_order == 1:
        parts.append(lax.div(lax.sub(s(n - 1, n), s(n - 2, n - 1)), h))
    else:
        last = lax.add(lax.add(lax.mul(s(n - 3, n - 2), _const(h, 0.5)),
                               lax.mul(s(n - 2, n - 1), _const(h, -2.0))),
                       lax.mul(s(n - 1, n), _const(h, 1.5)))
        parts.append(lax.div(last, h))
    return lax.concatenate(parts, ax)


def _gradient_coords(f, ax, dx, edge_order, n, nd):
    """Non-uniform spacing ``dx`` (length n - 1): the three-point formulas of NumPy."""
    def s(a, b):
        return _slices(f, ax, a, b)

    def d(a, b):
        return _along(lax.slice_in_dim(dx, a, b), ax, nd)

    def comb(terms):
        acc = None
        for coef, val in terms:
            t = lax.mul(broadcast_to(coef, get_aval(val).shape), val)
            acc = t if acc is None else lax.add(acc, t)
        return acc

    parts = []
    if edge_order == 1:
        parts.append(lax.div(lax.sub(s(1, 2), s(0, 1)), broadcast_to(d(0, 1),
                                                                     get_aval(s(0, 1)).shape)))
    else:
        h1, h2 = d(0, 1), d(1, 2)
        a = lax.neg(lax.div(lax.add(lax.add(h1, h1), h2), lax.mul(h1, lax.add(h1, h2))))
        b = lax.div(lax.add(h1, h2), lax.mul(h1, h2))
        c = lax.neg(lax.div(h1, lax.mul(h2, lax.add(h1, h2))))
        parts.append(comb([(a, s(0, 1)), (b, s(1, 2)), (c, s(2, 3))]))
    if n > 2:
        h1, h2 = d(0, n - 2), d(1, n - 1)
        a = lax.neg(lax.div(h2, lax.mul(h1, lax.add(h1, h2))))
        b = lax.div(lax.sub(h2, h1), lax.mul(h1, h2))
        c = lax.div(h1, lax.mul(h2, lax.add(h1, h2)))
        parts.append(comb([(a, s(0, n - 2)), (b, s(1, n - 1)), (c, s(2, n))]))
    if edge_order == 1:
        parts.append(lax.div(lax.sub(s(n - 1, n), s(n - 2, n - 1)),
                             broadcast_to(d(n - 2, n - 1), get_aval(s(0, 1)).shape)))
    else:
        h1, h2 = d(n - 3, n - 2), d(n - 2, n - 1)
        a = lax.div(h2, lax.mul(h1, lax.add(h1, h2)))
        b = lax.neg(lax.div(lax.add(h2, h1), lax.mul(h1, h2)))
        c = lax.div(lax.add(lax.add(h2, h2), h1), lax.mul(h2, lax.add(h1, h2)))
        parts.append(comb([(a, s(n - 3, n - 2)), (b, s(n - 2, n - 1)), (c, s(n - 1, n))]))
    return lax.concatenate(parts, ax)


def trapezoid(y, x=None, dx=1.0, axis: int = -1):
    """Integral of ``y`` along ``axis`` by the trapezoidal rule, with sample points ``x`` (1-D
    or shaped like ``y``) or uniform spacing ``dx`` (``numpy.trapezoid``)."""
    from xfront.numpy._manipulation import diff
    from xfront.numpy._reductions import sum as _sum

    u = _ufuncs()
    if x is None:
        check_arraylike("trapezoid", y, dx)
        y, dx = promote_dtypes_inexact(y, dx)
        y = _traced(y)
        d = _traced(dx)
    else:
        check_arraylike("trapezoid", y, x)
        y, x = promote_dtypes_inexact(y, x)
        y, x = _traced(y), _traced(x)
    aval = get_aval(y)
    if aval.ndim == 0:
        raise XfrontValueError("trapezoid: y must be at least 1-D")
    ax = canonical_axis(axis, aval.ndim, "trapezoid")
    n = aval.shape[ax]
    if x is not None:
        if get_aval(x).ndim == 1:
            if get_aval(x).shape[0] != n:
                raise XfrontValueError(
                    f"trapezoid: x of shape {get_aval(x).shape} does not match axis {ax} of y "
                    f"(shape {aval.shape})")
            d = _along(diff(x), ax, aval.ndim)
        else:
            d = diff(x, axis=axis)
    if n == 0:
        return _sum(y, axis=ax)
    mid = u.multiply(u.add(_slices(y, ax, 1, n), _slices(y, ax, 0, n - 1)), 0.5)
    return _sum(u.multiply(d, mid), axis=ax)


def cross(a, b, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: int | None = None):
    """Cross product of 2- or 3-vectors along ``axisa``/``axisb`` (result along ``axisc``;
    ``axis`` sets all three). Two 2-vectors give the scalar z-component."""
    from xfront.numpy._shape import moveaxis

    u = _ufuncs()
    check_arraylike("cross", a, b)
    if axis is not None:
        axisa = axisb = axisc = axis
    a, b = promote_dtypes(a, b)
    a, b = _traced(a), _traced(b)
    if get_aval(a).ndim == 0 or get_aval(b).ndim == 0:
        raise XfrontValueError("cross: both arguments must be at least 1-D")
    a = moveaxis(a, axisa, -1)
    b = moveaxis(b, axisb, -1)
    na, nb = get_aval(a).shape[-1], get_aval(b).shape[-1]
    if na not in (2, 3) or nb not in (2, 3):
        raise XfrontValueError(
            f"cross: incompatible dimensions for cross product (dimension must be 2 or 3), got "
            f"{na} and {nb} (shapes {get_aval(a).shape} and {get_aval(b).shape})")

    def comp(v, i):
        return lax.index_in_dim(v, i, get_aval(v).ndim - 1, keepdims=False)

    a0, a1 = comp(a, 0), comp(a, 1)
    b0, b1 = comp(b, 0), comp(b, 1)
    z = u.subtract(u.multiply(a0, b1), u.multiply(a1, b0))
    if na == 2 and nb == 2:
        return z
    a2 = comp(a, 2) if na == 3 else None
    b2 = comp(b, 2) if nb == 3 else None
    if a2 is None:
        x, y = u.multiply(a1, b2), u.negative(u.multiply(a0, b2))
    elif b2 is None:
        x, y = u.negative(u.multiply(a2, b1)), u.multiply(a2, b0)
    else:
        x = u.subtract(u.multiply(a1, b2), u.multiply(a2, b1))
        y = u.subtract(u.multiply(a2, b0), u.multiply(a0, b2))
    from xfront.numpy._shape import stack

    out = stack(promote_shapes("cross", x, y, z), axis=-1)
    return moveaxis(out, -1, axisc)


# ----------------------------------------------------------------------------------------------
# Type predicates.


def _dtype_of_any(x) -> np.dtype:
    if hasattr(x, "aval") or isinstance(x, Tracer | np.ndarray | np.generic):
        return get_aval(x).dtype if not isinstance(x, np.ndarray | np.generic) else x.dtype
    if hasattr(x, "dtype"):
        return np.dtype(x.dtype)
    return np.asarray(x).dtype


def iscomplexobj(x) -> bool:
    """Whether ``x`` has a complex dtype (whatever its values)."""
    if x is None:
        return False
    return np.dtype(_dtype_of_any(x)).kind == "c"


def isrealobj(x) -> bool:
    """Whether ``x`` does not have a complex dtype."""
    return not iscomplexobj(x)


def iscomplex(x):
    """Elementwise: whether the imaginary part is nonzero (False for real dtypes)."""
    x = _arr("iscomplex", x)
    if not dtypes.is_complex(_dt(x)):
        return lax.full(get_aval(x).shape, False)
    im = lax.imag(x)
    return lax.ne(im, lax.full((), 0, get_aval(im).dtype))


def isreal(x):
    """Elementwise: whether the imaginary part is zero (True for real dtypes)."""
    x = _arr("isreal", x)
    if not dtypes.is_complex(_dt(x)):
        return lax.full(get_aval(x).shape, True)
    im = lax.imag(x)
    return lax.eq(im, lax.full((), 0, get_aval(im).dtype))


def isscalar(element) -> bool:
    """Whether ``element`` is a scalar: Python and NumPy scalars, and (as in JAX) 0-d
    arrays."""
    if isinstance(element, Array | Tracer | np.ndarray):
        return element.ndim == 0
    return bool(np.isscalar(element))


def iterable(y) -> bool:
    """Whether ``iter(y)`` works (0-d arrays are not iterable)."""
    try:
        iter(y)
    except TypeError:
        return False
    return True


# ----------------------------------------------------------------------------------------------
# Bits.


def _bit_weights(bitorder: str, name: str):
    if bitorder not in ("big", "little"):
        raise XfrontValueError(f"{name}: bitorder must be 'big' or 'little', got {bitorder!r}")
    w = [1 << i for i in range(8)]
    return w[::-1] if bitorder == "big" else w


def packbits(a, axis: int | None = None, bitorder: str = "big"):
    """Packs nonzero elements as bits into uint8, 8 per byte along ``axis`` (the flattened
    array when None), the last byte zero-padded (``numpy.packbits``)."""
    a = _arr("packbits", a)
    dt = _dt(a)
    if not (dtypes.is_int(dt) or dtypes.is_bool(dt)):
        raise XfrontTypeError(f"packbits: expected an integer or boolean array, got {dt}")
    weights = _bit_weights(bitorder, "packbits")
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    aval = get_aval(a)
    axis = canonical_axis(axis, aval.ndim, "packbits")
    bits = lax.convert_element_type(lax.ne(a, lax.full((), 0, dt)) if dt != dtypes.bool_
                                    else a, dtypes.uint8)
    n = aval.shape[axis]
    nbytes = -(-n // 8)
    cfg = [(0, 0, 0)] * aval.ndim
    cfg[axis] = (0, nbytes * 8 - n, 0)
    bits = lax.pad(bits, lax.full((), 0, dtypes.uint8), cfg)
    shape = aval.shape[:axis] + (nbytes, 8) + aval.shape[axis + 1:]
    bits = lax.reshape(bits, shape)
    w = lax.broadcast_in_dim(np.asarray(weights, np.uint8), shape, (axis + 1,))
    return lax.reduce_sum(lax.mul(bits, w), (axis + 1,))


def unpackbits(a, axis: int | None = None, count: int | None = None, bitorder: str = "big"):
    """Unpacks uint8 elements into their 8 bits along ``axis`` (the flattened array when
    None); ``count`` keeps that many bits (negative: drops from the end; more: pads zeros)."""
    a = _arr("unpackbits", a)
    if _dt(a) != dtypes.uint8:
        raise XfrontTypeError(f"unpackbits: expected an input array of unsigned byte data "
                              f"type (uint8), got {_dt(a)}")
    weights = _bit_weights(bitorder, "unpackbits")
    if axis is None:
        a = lax.reshape(a, (get_aval(a).size,))
        axis = 0
    aval = get_aval(a)
    axis = canonical_axis(axis, aval.ndim, "unpackbits")
    shape = aval.shape[:axis + 1] + (8,) + aval.shape[axis + 1:]
    dims = tuple(d if d <= axis else d + 1 for d in range(aval.ndim))
    expanded = lax.broadcast_in_dim(a, shape, dims)
    w = lax.broadcast_in_dim(np.asarray(weights, np.uint8), shape, (axis + 1,))
    bits = lax.convert_element_type(lax.ne(lax.bitwise_and(expanded, w),
                                           lax.full((), 0, dtypes.uint8)), dtypes.uint8)
    n = aval.shape[axis] * 8
    bits = lax.reshape(bits, aval.shape[:axis] + (n,) + aval.shape[axis + 1:])
    if count is not None:
        count = _static_int(count, "unpackbits", "count")
        keep = n + count if count < 0 else count
        keep = builtins.max(keep, 0)
        if keep <= n:
            bits = lax.slice_in_dim(bits, 0, keep, 1, axis)
        else:
            cfg = [(0, 0, 0)] * aval.ndim
            cfg[axis] = (0, keep - n, 0)
            bits = lax.pad(bits, lax.full((), 0, dtypes.uint8), cfg)
    return bits


# ----------------------------------------------------------------------------------------------
# Window functions.


def _window_n(M, name):
    M = _static_int(M, name, "M")
    return M


def _window(M, name, fn):
    M = _window_n(M, name)
    dt = dtypes.default_float_dtype()
    if M < 1:
        return lax.full((0,), 0, dt)
    if M == 1:
        return lax.full((1,), 1, dt)
    n = lax.convert_element_type(lax.iota(dtypes.int32, M), dt)
    return fn(n, M, dt)


def _cos_term(n, M, dt, k):
    """cos(2 pi k n / (M - 1))."""
    return lax.cos(lax.mul(n, lax.full((), 2 * np.pi * k / (M - 1), dt)))


def hanning(M: int):
    """The Hann window: ``0.5 - 0.5 cos(2 pi n / (M - 1))``."""
    return _window(M, "hanning", lambda n, M, dt: lax.sub(
        lax.full((M,), 0.5, dt), lax.mul(lax.full((), 0.5, dt), _cos_term(n, M, dt, 1))))


def hamming(M: int):
    """The Hamming window: ``0.54 - 0.46 cos(2 pi n / (M - 1))``."""
    return _window(M, "hamming", lambda n, M, dt: lax.sub(
        lax.full((M,), 0.54, dt), lax.mul(lax.full((), 0.46, dt), _cos_term(n, M, dt, 1))))


def blackman(M: int):
    """The Blackman window: ``0.42 - 0.5 cos(2 pi n / (M-1)) + 0.08 cos(4 pi n / (M-1))``."""
    return _window(M, "blackman", lambda n, M, dt: lax.add(
        lax.sub(lax.full((M,), 0.42, dt), lax.mul(lax.full((), 0.5, dt),
                                                   _cos_term(n, M, dt, 1))),
        lax.mul(lax.full((), 0.08, dt), _cos_term(n, M, dt, 2))))


def bartlett(M: int):
    """The Bartlett (triangular) window: ``1 - |2 n / (M - 1) - 1|``."""
    return _window(M, "bartlett", lambda n, M, dt: lax.sub(
        lax.full((M,), 1, dt),
        lax.abs(lax.sub(lax.mul(n, lax.full((), 2 / (M - 1), dt)), lax.full((), 1, dt)))))


def kaiser(M: int, beta):
    """The Kaiser window: ``i0(beta sqrt(1 - (2 n / (M - 1) - 1)**2)) / i0(beta)``."""
    check_arraylike("kaiser", beta)

    def fn(n, M, dt):
        b = _traced(_convert_element_type(beta, dt))
        r = lax.sub(lax.mul(n, lax.full((), 2 / (M - 1), dt)), lax.full((), 1, dt))
        arg = lax.mul(b, lax.sqrt(lax.max(lax.sub(lax.full((), 1, dt), lax.mul(r, r)),
                                          lax.full((), 0, dt))))
        return lax.div(i0(arg), i0(b))

    return _window(M, "kaiser", fn)


# ----------------------------------------------------------------------------------------------
# Construction from host data, printing.


def _host_dtype(dtype):
    return dtypes.check_supported(dtypes.canonicalize_dtype(dtypes.dtype(dtype)), "dtype")


def frombuffer(buffer, dtype=float, count: int = -1, offset: int = 0):
    """A 1-D array from the bytes of ``buffer`` (``numpy.frombuffer``); ``dtype`` is
    canonicalized (float64 becomes float32 without x64), after reading."""
    from xfront.numpy._creation import asarray

    value = np.frombuffer(buffer, dtype=dtype, count=count, offset=offset)
    return asarray(value, dtype=_host_dtype(value.dtype))


def fromstring(string, dtype=float, count: int = -1, *, sep: str):
    """A 1-D array from numbers in text separated by ``sep`` (``numpy.fromstring``)."""
    from xfront.numpy._creation import asarray

    value = np.fromstring(string, dtype=dtype, count=count, sep=sep)
    return asarray(value, dtype=_host_dtype(value.dtype))


def fromiter(iterable, dtype, count: int = -1):
    """A 1-D array from an iterable (consumed on the host: not inside ``jit``)."""
    from xfront.numpy._creation import asarray

    value = np.fromiter(iterable, dtype=dtype, count=count)
    return asarray(value, dtype=_host_dtype(value.dtype))


def fromfile(file, dtype=float, count: int = -1, sep: str = "", offset: int = 0):
    """A 1-D array read from a file on the host (``numpy.fromfile``); not inside ``jit``."""
    from xfront.numpy._creation import asarray

    value = np.fromfile(file, dtype=dtype, count=count, sep=sep, offset=offset)
    return asarray(value, dtype=_host_dtype(value.dtype))


def from_dlpack(x, /, *, device=None, copy=None):
    """An array from any DLPack producer (``__dlpack__``), copied through the host."""
    from xfront.numpy._creation import asarray

    value = np.from_dlpack(x)
    out = asarray(value, dtype=_host_dtype(value.dtype))
    if device is not None:
        from xfront import dispatch

        out = dispatch.device_put(out, device)
    return out


def load(file, *args, **kwargs):
    """``numpy.load``, with arrays converted to xfront arrays (``.npz`` archives are returned
    as NumPy's lazy ``NpzFile``)."""
    from xfront.numpy._creation import asarray

    out = np.load(file, *args, **kwargs)
    if isinstance(out, np.ndarray) and out.dtype.kind not in "OSUV":
        return asarray(out, dtype=_host_dtype(out.dtype))
    return out


# Saving goes through NumPy, which reads xfront arrays via ``__array__``.
save = np.save
savez = np.savez

# Arrays print through NumPy's ``array2string``: NumPy's print options apply to them.
get_printoptions = np.get_printoptions
set_printoptions = np.set_printoptions
printoptions = np.printoptions
ComplexWarning = np.exceptions.ComplexWarning


def fromfunction(function, shape, *, dtype=float, **kwargs):
    """``function`` applied to every index tuple of ``shape``: as in JAX, it is called once
    with scalar indices (of ``dtype``), vectorized with ``vmap``."""
    from xfront.vectorize import vmap

    if isinstance(shape, int | np.integer):
        shape = (shape,)
    shape = tuple(_static_int(s, "fromfunction", "shape") for s in shape)
    dt = _host_dtype(dtype)

    def fn(*idx):
        return function(*idx, **kwargs)

    nd = len(shape)
    for i in range(nd - 1, -1, -1):
        in_axes = tuple(0 if j == i else None for j in range(nd))
        fn = vmap(fn, in_axes=in_axes)
    args = [lax.convert_element_type(lax.iota(dtypes.int32, s), dt) for s in shape]
    return fn(*args)


def _host_array(x, name) -> np.ndarray:
    if isinstance(x, Tracer):
        raise concretization_error(x, f"{name}()")
    return np.asarray(x)


def array_repr(arr, max_line_width=None, precision=None, suppress_small=None):
    """``repr`` text of a concrete array, as ``Array([...], dtype=...)``."""
    v = _host_array(arr, "array_repr")
    body = np.array_repr(v, max_line_width, precision, suppress_small)
    if body.startswith("array("):
        body = "Array(" + body[len("array("):]
    if "dtype=" not in body:
        body = body[:-1] + f", dtype={v.dtype.name})"
    return body


def array_str(a, max_line_width=None, precision=None, suppress_small=None):
    """``str`` text of a concrete array (``numpy.array_str``)."""
    return np.array_str(_host_array(a, "array_str"), max_line_width, precision, suppress_small)


# ----------------------------------------------------------------------------------------------
# gufunc-style products.


def matvec(x1, x2, /):
    """Matrix-vector product over the last axes: ``(..., m, n) x (..., n) -> (..., m)`` with
    broadcast batch dimensions."""
    from xfront.numpy._products import matmul

    check_arraylike("matvec", x1, x2)
    x1, x2 = _traced(x1), _traced(x2)
    s1, s2 = get_aval(x1).shape, get_aval(x2).shape
    if len(s1) < 2 or len(s2) < 1 or s1[-1] != s2[-1]:
        raise XfrontValueError(
            f"matvec: shapes {s1} and {s2} are not (..., m, n) and (..., n)")
    out = matmul(x1, lax.expand_dims(x2, (len(s2),)))
    return lax.squeeze(out, (get_aval(out).ndim - 1,))


def vecmat(x1, x2, /):
    """Vector-matrix product over the last axes, conjugating the vector:
    ``(..., n) x (..., n, m) -> (..., m)``."""
    from xfront.numpy._products import matmul

    check_arraylike("vecmat", x1, x2)
    x1, x2 = _traced(x1), _traced(x2)
    s1, s2 = get_aval(x1).shape, get_aval(x2).shape
    if len(s1) < 1 or len(s2) < 2 or s1[-1] != s2[-2]:
        raise XfrontValueError(
            f"vecmat: shapes {s1} and {s2} are not (..., n) and (..., n, m)")
    out = matmul(lax.expand_dims(_ufuncs().conjugate(x1), (len(s1) - 1,)), x2)
    return lax.squeeze(out, (get_aval(out).ndim - 2,))


# ----------------------------------------------------------------------------------------------
# Generic ufuncs built from Python functions.


class ufunc:
    """A NumPy-style ufunc from a function of scalars (``jax.numpy.ufunc``): calls broadcast
    and vectorize with ``vmap``; ``outer``, ``reduce``, ``accumulate``, ``reduceat`` and ``at``
    are built on it (sequential folds with ``lax.scan`` / ``lax.fori_loop``, so any function
    works, associative or not). Optional ``call``/``reduce``/... override the generic
    versions with faster ones."""

    def __init__(self, func, /, nin: int, nout: int, *, name: str | None = None,
                 nargs: int | None = None, identity=None, call=None, reduce=None,
                 accumulate=None, at=None, reduceat=None):
        self._func = func
        self.nin = operator.index(nin)
        self.nout = operator.index(nout)
        self.nargs = self.nin if nargs is None else operator.index(nargs)
        self.identity = identity
        self.__name__ = name or getattr(func, "__name__", "ufunc")
        self._call, self._reduce, self._accumulate = call, reduce, accumulate
        self._at, self._reduceat = at, reduceat

    def __repr__(self):
        return f"<xfront.numpy.ufunc '{self.__name__}'>"

    def __call__(self, *args, out=None, where=None):
        from xfront.numpy._functional import vectorize
        from xfront.numpy._util import check_no_out

        check_no_out(self.__name__, out)
        if where is not None:
            raise NotImplementedError(f"{self.__name__}: the 'where' argument is not supported")
        if len(args) != self.nin:
            raise XfrontTypeError(
                f"{self.__name__}() takes {self.nin} positional argument(s) but {len(args)} "
                "were given")
        if self._call is not None:
            return self._call(*args)
        return vectorize(self._func)(*args)

    def _binary(self, what):
        if self.nin != 2 or self.nout != 1:
            raise XfrontValueError(
                f"{what} only supported for binary ufuncs with a single output, got "
                f"{self.__name__} with nin={self.nin}, nout={self.nout}")

    def outer(self, A, B, /):
        """``self(a, b)`` for every pair: the result has shape A.shape + B.shape."""
        self._binary("outer")
        A, B = _arr("outer", A), _arr("outer", B)
        sa = get_aval(A).shape
        nb = get_aval(B).ndim
        return self(lax.reshape(A, sa + (1,) * nb), B)

    def reduce(self, a, axis=0, dtype=None, out=None, keepdims: bool = False, initial=None,
               where=None):
        """Left fold of ``a`` along ``axis`` (None: all axes; a tuple: one after another)."""
        from xfront.numpy._util import check_no_out

        self._binary("reduce")
        check_no_out("reduce", out)
        if self._reduce is not None:
            return self._reduce(a, axis, dtype=dtype, keepdims=keepdims, initial=initial,
                                where=where)
        a = _arr("reduce", a)
        if dtype is not None:
            a = lax.convert_element_type(a, dtype)
        aval = get_aval(a)
        axes = canonical_axes(axis, aval.ndim, "reduce")
        if where is not None:
            fill = self.identity if initial is None else initial
            if fill is None:
                raise XfrontValueError(
                    f"reduce: where= needs an identity or initial value ({self.__name__} has "
                    "none)")
            a = _ufuncs().where(where, a, _const(a, fill))
        result = a
        for ax in sorted(axes, reverse=True):
            result = self._fold(result, ax, initial)
        if keepdims:
            result = lax.expand_dims(result, axes)
        return result

    def _fold(self, a, axis, initial):
        from xfront.numpy._shape import moveaxis

        a = moveaxis(a, axis, 0)
        aval = get_aval(a)
        n = aval.shape[0]
        init = initial if initial is not None else self.identity
        if n == 0:
            if init is None:
                raise XfrontValueError(
                    f"zero-size array to reduction operation {self.__name__} which has no "
                    "identity")
            return lax.full(aval.shape[1:], init, aval.dtype)
        if initial is not None:
            carry = broadcast_to(_const(a, initial), aval.shape[1:])
            xs = a
        else:
            carry = lax.index_in_dim(a, 0, 0, keepdims=False)
            xs = lax.slice_in_dim(a, 1, n, 1, 0)
        if get_aval(xs).shape[0] == 0:
            return carry

        def step(c, x):
            return lax.convert_element_type(self(c, x), aval.dtype), None

        return lax.scan(step, carry, xs)[0]

    def accumulate(self, a, axis: int = 0, dtype=None, out=None):
        """Running left fold along ``axis``: ``out[0] = a[0]``,
        ``out[i] = self(out[i - 1], a[i])``."""
        from xfront.numpy._shape import moveaxis
        from xfront.numpy._util import check_no_out

        self._binary("accumulate")
        check_no_out("accumulate", out)
        if self._accumulate is not None:
            return self._accumulate(a, axis, dtype=dtype)
        a = _arr("accumulate", a)
        if dtype is not None:
            a = lax.convert_element_type(a, dtype)
        aval = get_aval(a)
        axis = canonical_axis(axis, aval.ndim, "accumulate")
        m = moveaxis(a, axis, 0)
        n = get_aval(m).shape[0]
        if n <= 1:
            return a
        first = lax.index_in_dim(m, 0, 0, keepdims=False)

        def step(c, x):
            c = lax.convert_element_type(self(c, x), aval.dtype)
            return c, c

        _, rest = lax.scan(step, first, lax.slice_in_dim(m, 1, n, 1, 0))
        return moveaxis(lax.concatenate([lax.expand_dims(first, (0,)), rest], 0), 0, axis)

    def reduceat(self, a, indices, axis: int = 0, dtype=None, out=None):
        """Reductions over the slices ``[indices[i], indices[i + 1])`` (a single element
        where the next index is not larger), the last one to the end (static indices)."""
        from xfront.numpy._util import check_no_out

        self._binary("reduceat")
        check_no_out("reduceat", out)
        if self._reduceat is not None:
            return self._reduceat(a, indices, axis, dtype=dtype)
        if isinstance(indices, Tracer):
            raise concretization_error(indices, "reduceat: indices")
        a = _arr("reduceat", a)
        if dtype is not None:
            a = lax.convert_element_type(a, dtype)
        aval = get_aval(a)
        axis = canonical_axis(axis, aval.ndim, "reduceat")
        n = aval.shape[axis]
        idx = np.asarray(indices).reshape(-1).astype(np.int64)
        if idx.size and ((idx < 0).any() or (idx >= n).any()):
            raise XfrontValueError(f"reduceat: indices {idx.tolist()} out of range for axis of "
                                   f"size {n}")
        parts = []
        for i, start in enumerate(idx.tolist()):
            stop = idx[i + 1] if i + 1 < len(idx) else n
            if stop <= start:
                stop = start + 1
            chunk = lax.slice_in_dim(a, start, int(stop), 1, axis)
            parts.append(lax.expand_dims(self._fold(chunk, axis, None), (axis,)))
        if not parts:
            return lax.slice_in_dim(a, 0, 0, 1, axis)
        return lax.concatenate(parts, axis)

    def at(self, a, indices, b=None, /, *, inplace: bool = True):
        """``a`` with ``self`` applied at ``indices`` (with ``b`` for binary ufuncs), in
        order, so repeated indices apply repeatedly; functional (``inplace=False``)."""
        if inplace:
            raise NotImplementedError(
                "ufunc.at: xfront arrays are immutable; pass inplace=False and use the "
                "returned array")
        if self._at is not None:
            return self._at(a, indices, b)
        a = _arr("at", a)
        aval = get_aval(a)
        if b is None and self.nin != 1 or b is not None and self.nin != 2:
            raise XfrontValueError(
                f"at: {self.__name__} takes {self.nin} input(s): pass b exactly for binary "
                "ufuncs")
        index = indices if isinstance(indices, tuple) else (indices,)
        if len(index) > aval.ndim:
            raise XfrontValueError(f"at: too many indices for an array of shape {aval.shape}")
        idx = [_traced(_convert_element_type(i, dtypes.int32)) for i in index]
        bshape = broadcast_shapes(*(get_aval(i).shape for i in idx))
        k = int(np.prod(bshape, dtype=np.int64))
        idx = [lax.reshape(broadcast_to(i, bshape), (k,)) for i in idx]
        rest = aval.shape[len(idx):]
        if b is not None:
            check_arraylike("at", b)
            b = broadcast_to(_traced(_convert_element_type(b, aval.dtype)),
                             bshape + rest)
            b = lax.reshape(b, (k,) + rest)
        sizes = (1,) * len(idx) + rest

        def body(j, acc):
            starts = []
            for d, i in enumerate(idx):
                i = lax.dynamic_index_in_dim(i, j, 0, keepdims=False)
                n = lax.full((), aval.shape[d], dtypes.int32)
                starts.append(lax.select(lax.lt(i, lax.full((), 0, dtypes.int32)),
                                         lax.add(i, n), i))
            starts += [lax.full((), 0, dtypes.int32)] * len(rest)
            cur = lax.reshape(lax.dynamic_slice(acc, starts, sizes), rest)
            args = (cur,) if b is None else (
                cur, lax.dynamic_index_in_dim(b, j, 0, keepdims=False))
            new = lax.convert_element_type(self(*args), aval.dtype)
            return lax.dynamic_update_slice(acc, lax.reshape(new, sizes), starts)

        return lax.fori_loop(0, k, body, a)


def frompyfunc(func, /, nin: int, nout: int, *, identity=None):
    """A ``ufunc`` from a Python function of scalars (``numpy.frompyfunc``)."""
    return ufunc(func, nin, nout, identity=identity)
