"""Elementwise functions of ``xfront.numpy`` (NumPy's ufuncs), with NumPy broadcasting and JAX's
dtype promotion, written over ``xfront.lax``."""

from __future__ import annotations

import numpy as np

from xfront import lax
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError
from xfront.core.trace import get_aval
from xfront.custom_derivatives import custom_jvp
from xfront.lax.elementwise import _convert_element_type
from xfront.numpy._util import (
    check_arraylike,
    ensure_traced,
    promote_args,
    promote_args_inexact,
    promote_args_numeric,
    promote_dtypes_inexact,
)

__all__ = [
    "abs",
    "absolute",
    "acos",
    "acosh",
    "add",
    "angle",
    "arccos",
    "arccosh",
    "arcsin",
    "arcsinh",
    "arctan",
    "arctan2",
    "arctanh",
    "around",
    "asin",
    "asinh",
    "atan",
    "atan2",
    "atanh",
    "bitwise_and",
    "bitwise_count",
    "bitwise_invert",
    "bitwise_left_shift",
    "bitwise_not",
    "bitwise_or",
    "bitwise_right_shift",
    "bitwise_xor",
    "cbrt",
    "ceil",
    "conj",
    "conjugate",
    "copysign",
    "cos",
    "cosh",
    "deg2rad",
    "degrees",
    "divide",
    "divmod",
    "equal",
    "exp",
    "exp2",
    "expm1",
    "fabs",
    "fix",
    "float_power",
    "floor",
    "floor_divide",
    "fmax",
    "fmin",
    "fmod",
    "greater",
    "greater_equal",
    "hypot",
    "imag",
    "invert",
    "isfinite",
    "isinf",
    "isnan",
    "isneginf",
    "isposinf",
    "left_shift",
    "less",
    "less_equal",
    "log",
    "log1p",
    "log2",
    "log10",
    "logaddexp",
    "logaddexp2",
    "logical_and",
    "logical_not",
    "logical_or",
    "logical_xor",
    "maximum",
    "minimum",
    "mod",
    "multiply",
    "negative",
    "nextafter",
    "not_equal",
    "positive",
    "pow",
    "power",
    "rad2deg",
    "radians",
    "real",
    "reciprocal",
    "remainder",
    "right_shift",
    "rint",
    "round",
    "sign",
    "signbit",
    "sin",
    "sinh",
    "sqrt",
    "square",
    "subtract",
    "tan",
    "tanh",
    "true_divide",
    "trunc",
    "where",
]



def _doc(f, np_name: str, extra: str = ""):
    f.__name__ = f.__qualname__ = np_name
    f.__doc__ = f"Elementwise ``numpy.{np_name}``.{(' ' + extra) if extra else ''}"
    return f


def _unary(name: str, lax_fn, *, inexact: bool = False, numeric: bool = False):
    def fn(x, /):
        check_arraylike(name, x)
        if inexact:
            (x,) = promote_dtypes_inexact(x)
        elif numeric and dtypes.dtype_and_weak_type(x)[0] == dtypes.bool_:
            raise XfrontTypeError(f"{name} does not accept boolean arrays")
        return lax_fn(ensure_traced(x))

    return _doc(fn, name)


def _binary(name: str, lax_fn, *, inexact: bool = False, numeric: bool = False):
    promote = promote_args_inexact if inexact else (
        promote_args_numeric if numeric else promote_args)

    def fn(x1, x2, /):
        x1, x2 = promote(name, x1, x2)
        return lax_fn(x1, x2)

    return _doc(fn, name)


def _is_bool(x) -> bool:
    return dtypes.dtype_and_weak_type(x)[0] == dtypes.bool_


def _is_unsigned(x) -> bool:
    return dtypes.is_unsigned_int(dtypes.dtype_and_weak_type(x)[0])


def _is_int_or_bool(x) -> bool:
    dt = dtypes.dtype_and_weak_type(x)[0]
    return dtypes.is_int(dt) or dtypes.is_bool(dt)


# ----------------------------------------------------------------------------------------------
# Arithmetic.

add = _binary("add", lambda a, b: lax.bitwise_or(a, b) if _is_bool(a) else lax.add(a, b))


def subtract(x1, x2, /):
    """Elementwise ``numpy.subtract``; booleans are rejected (as NumPy and JAX)."""
    x1, x2 = promote_args("subtract", x1, x2)
    if _is_bool(x1):
        raise XfrontTypeError(
            "subtract does not accept boolean arrays (NumPy's boolean subtract is not "
            "supported); use logical_xor or ^")
    return lax.sub(x1, x2)


multiply = _binary("multiply",
                   lambda a, b: lax.bitwise_and(a, b) if _is_bool(a) else lax.mul(a, b))
divide = _binary("divide", lax.div, inexact=True)
true_divide = divide


def negative(x, /):
    check_arraylike("negative", x)
    if _is_bool(x):
        raise XfrontTypeError("negative does not accept boolean arrays; use logical_not or ~")
    return lax.neg(ensure_traced(x))


def positive(x, /):
    check_arraylike("positive", x)
    return ensure_traced(x)


def absolute(x, /):
    check_arraylike("absolute", x)
    if _is_bool(x) or _is_unsigned(x):
        return ensure_traced(x)
    return lax.abs(ensure_traced(x))


abs = absolute  # noqa: A001
fabs = _unary("fabs", lax.abs, inexact=True)


def sign(x, /):
    check_arraylike("sign", x)
    if _is_bool(x):
        return ensure_traced(x)
    return lax.sign(ensure_traced(x))


def floor_divide(x1, x2, /):
    """Elementwise ``numpy.floor_divide`` (rounds toward negative infinity)."""
    x1, x2 = promote_args_numeric("floor_divide", x1, x2)
    dt = get_aval(x1).dtype
    if dtypes.is_unsigned_int(dt):
        return lax.div(x1, x2)
    if dtypes.is_int(dt):
        q = lax.div(x1, x2)
        r = lax.rem(x1, x2)
        fix = lax.bitwise_and(lax.ne(r, _zero(r)), lax.ne(lax.lt(r, _zero(r)),
                                                         lax.lt(x2, _zero(x2))))
        return lax.select(fix, lax.sub(q, _one(q)), q)
    if dtypes.is_complex(dt):
        raise XfrontTypeError("floor_divide does not accept complex arrays")
    return _float_divmod(x1, x2)[0]


def _zero(x):
    aval = get_aval(x)  # x's weak type too: a strong constant would make the result strong
    return lax.full((), _convert_element_type(0, aval.dtype, aval.weak_type))


def _one(x):
    aval = get_aval(x)
    return lax.full((), _convert_element_type(1, aval.dtype, aval.weak_type))


def _float_divmod(x1, x2):
    # NumPy's algorithm: mod = fmod(x1, x2) adjusted to the divisor's sign, div from it.
    mod = lax.rem(x1, x2)
    div = lax.div(lax.sub(x1, mod), x2)
    ind = lax.bitwise_and(lax.ne(mod, _zero(mod)), lax.ne(lax.lt(x2, _zero(x2)),
                                                        lax.lt(mod, _zero(mod))))
    mod = lax.select(ind, lax.add(mod, x2), mod)
    div = lax.select(ind, lax.sub(div, _one(div)), div)
    floordiv = lax.round(div, lax.RoundingMethod.TO_NEAREST_EVEN)
    # A zero divisor gives x1 / 0 (+-inf or nan), as NumPy.
    floordiv = lax.select(lax.eq(x2, _zero(x2)), lax.div(x1, x2), floordiv)
    return floordiv, mod


def remainder(x1, x2, /):
    """Elementwise ``numpy.remainder``: the result has the sign of the divisor."""
    x1, x2 = promote_args_numeric("remainder", x1, x2)
    dt = get_aval(x1).dtype
    if dtypes.is_complex(dt):
        raise XfrontTypeError("remainder does not accept complex arrays")
    r = lax.rem(x1, x2)
    if dtypes.is_unsigned_int(dt):
        return r
    fix = lax.bitwise_and(lax.ne(r, _zero(r)),
                          lax.ne(lax.lt(r, _zero(r)), lax.lt(x2, _zero(x2))))
    return lax.select(fix, lax.add(r, x2), r)


mod = remainder
fmod = _binary("fmod", lax.rem, numeric=True)


def divmod(x1, x2, /):  # noqa: A001
    return floor_divide(x1, x2), remainder(x1, x2)


def power(x1, x2, /):
    """Elementwise ``numpy.power``; integer powers of integers are exact."""
    check_arraylike("power", x1, x2)
    if isinstance(x2, int) and not isinstance(x2, bool) and not _is_bool(x1):
        (x1,) = promote_args_numeric("power", x1)
        return lax.integer_pow(ensure_traced(x1), x2)
    x1, x2 = promote_args_numeric("power", x1, x2)
    dt = get_aval(x1).dtype
    if dtypes.is_int(dt):
        return _int_pow(x1, x2)
    return lax.pow(x1, x2)


pow = power  # noqa: A001


def _int_pow(x, y):
    # Square-and-multiply over the exponent's bits (fixed trip count: exact for all y >= 0).
    xa, ya = get_aval(x), get_aval(y)
    acc = lax.full(xa.shape or ya.shape, 1, xa.dtype)
    one, zero = _one(y), _zero(y)
    for _ in range(ya.dtype.itemsize * 8):
        acc = lax.select(lax.ne(lax.bitwise_and(y, one), zero), lax.mul(acc, x), acc)
        y = lax.shift_right_logical(y, one)
        x = lax.mul(x, x)
    return acc


def float_power(x1, x2, /):
    x1, x2 = promote_args_inexact("float_power", x1, x2)
    return lax.pow(x1, x2)


maximum = _binary("maximum", lax.max)
minimum = _binary("minimum", lax.min)


def fmax(x1, x2, /):
    """Elementwise maximum that ignores NaNs."""
    x1, x2 = promote_args("fmax", x1, x2)
    if not dtypes.is_inexact(get_aval(x1).dtype):
        return lax.max(x1, x2)
    if dtypes.is_complex(get_aval(x1).dtype):
        return where(isnan(x1), x2, where(isnan(x2), x1, lax.max(x1, x2)))
    # One select, as JAX: a tie sends the whole derivative to x2.
    return where(lax.bitwise_or(lax.gt(x1, x2), isnan(x2)), x1, x2)


def fmin(x1, x2, /):
    """Elementwise minimum that ignores NaNs."""
    x1, x2 = promote_args("fmin", x1, x2)
    if not dtypes.is_inexact(get_aval(x1).dtype):
        return lax.min(x1, x2)
    if dtypes.is_complex(get_aval(x1).dtype):
        return where(isnan(x1), x2, where(isnan(x2), x1, lax.min(x1, x2)))
    return where(lax.bitwise_or(lax.lt(x1, x2), isnan(x2)), x1, x2)


def reciprocal(x, /):
    check_arraylike("reciprocal", x)
    (x,) = promote_dtypes_inexact(x)
    return lax.integer_pow(ensure_traced(x), -1)


def square(x, /):
    check_arraylike("square", x)
    (x,) = promote_args_numeric("square", x)
    return lax.integer_pow(ensure_traced(x), 2)


# ----------------------------------------------------------------------------------------------
# Exponentials, logarithms, roots.

exp = _unary("exp", lax.exp, inexact=True)
exp2 = _unary("exp2", lax.exp2, inexact=True)
expm1 = _unary("expm1", lax.expm1, inexact=True)
log = _unary("log", lax.log, inexact=True)
log1p = _unary("log1p", lax.log1p, inexact=True)
sqrt = _unary("sqrt", lax.sqrt, inexact=True)
cbrt = _unary("cbrt", lax.cbrt, inexact=True)


def log2(x, /):
    check_arraylike("log2", x)
    (x,) = promote_dtypes_inexact(x)
    return lax.div(lax.log(ensure_traced(x)), lax.log(lax.full((), 2, get_aval(x).dtype)))


def log10(x, /):
    check_arraylike("log10", x)
    (x,) = promote_dtypes_inexact(x)
    return lax.div(lax.log(ensure_traced(x)), lax.log(lax.full((), 10, get_aval(x).dtype)))


def _logaddexp_base(x1, x2, exp_fn, log_base: float):
    """log_b(b**x1 + b**x2) for b = e (``log_base`` 1) or 2 (``log_base`` ln 2), without
    overflow."""
    dt = get_aval(x1).dtype
    amax = lax.max(x1, x2)
    inv_ln = _convert_element_type(1 / log_base, dtypes.real_dtype(dt), weak_type=True)
    if dtypes.is_complex(dt):
        two = _convert_element_type(2, dt, weak_type=True)
        delta = lax.sub(lax.add(x1, x2), lax.mul(amax, two))
        out = lax.add(amax, lax.mul(lax.log1p(exp_fn(delta)), lax.complex(
            inv_ln, _convert_element_type(0, dtypes.real_dtype(dt), weak_type=True))))
        return lax.complex(lax.real(out), _wrap_between(lax.imag(out), np.pi / log_base))
    delta = lax.sub(x1, x2)
    out = lax.add(amax, lax.mul(inv_ln, lax.log1p(exp_fn(lax.neg(lax.abs(delta))))))
    # delta is NaN for NaN inputs and for infinities of one sign: x1 + x2 is the answer.
    return lax.select(lax.ne(delta, delta), lax.add(x1, x2), out)


def _wrap_between(x, a: float):
    """``x`` wrapped into [-a, a)."""
    dt = get_aval(x).dtype
    a_, two_a = (_convert_element_type(v, dt, weak_type=True) for v in (a, 2 * a))
    r = lax.rem(lax.add(x, a_), two_a)
    r = lax.select(lax.lt(r, _convert_element_type(0, dt, weak_type=True)), lax.add(r, two_a), r)
    return lax.sub(r, a_)


def _drop_posinf(x):
    """``x`` with +inf (of the real part) replaced by 0: keeps the tangent rule of logaddexp
    finite where both the input and the output are +inf."""
    re = lax.real(x) if dtypes.is_complex(get_aval(x).dtype) else x
    inf = _convert_element_type(np.inf, get_aval(re).dtype, weak_type=True)
    zero = _convert_element_type(0, get_aval(x).dtype, weak_type=True)
    return lax.select(lax.eq(re, inf), zero, x)


def _logaddexp_jvp_rule(exp_fn, fn):
    # d/dx1 log_b(b**x1 + b**x2) = b**(x1 - out), with +inf replaced by 0 on both sides (JAX's
    # rule: the gradient at (inf, inf) is (1, 1), not NaN).
    def jvp(primals, tangents):
        x1, x2 = primals
        t1, t2 = tangents
        out = fn(x1, x2)
        scale1 = exp_fn(lax.sub(_drop_posinf(x1), _drop_posinf(out)))
        scale2 = exp_fn(lax.sub(_drop_posinf(x2), _drop_posinf(out)))
        return out, lax.add(lax.mul(t1, scale1), lax.mul(t2, scale2))

    return jvp


@custom_jvp
def _logaddexp(x1, x2):
    return _logaddexp_base(x1, x2, lax.exp, 1.0)


@custom_jvp
def _logaddexp2(x1, x2):
    return _logaddexp_base(x1, x2, lax.exp2, float(np.log(2.0)))


_logaddexp.defjvp(_logaddexp_jvp_rule(lax.exp, _logaddexp))
_logaddexp2.defjvp(_logaddexp_jvp_rule(lax.exp2, _logaddexp2))


def logaddexp(x1, x2, /):
    """log(exp(x1) + exp(x2)) without overflow (JAX's derivative rule at infinities)."""
    x1, x2 = promote_args_inexact("logaddexp", x1, x2)
    return _logaddexp(ensure_traced(x1), ensure_traced(x2))


def logaddexp2(x1, x2, /):
    """log2(2**x1 + 2**x2) without overflow (JAX's derivative rule at infinities)."""
    x1, x2 = promote_args_inexact("logaddexp2", x1, x2)
    return _logaddexp2(ensure_traced(x1), ensure_traced(x2))


# ----------------------------------------------------------------------------------------------
# Trigonometric and hyperbolic.

sin = _unary("sin", lax.sin, inexact=True)
cos = _unary("cos", lax.cos, inexact=True)
tan = _unary("tan", lax.tan, inexact=True)
arcsin = _unary("arcsin", lax.asin, inexact=True)
arccos = _unary("arccos", lax.acos, inexact=True)
arctan = _unary("arctan", lax.atan, inexact=True)
sinh = _unary("sinh", lax.sinh, inexact=True)
cosh = _unary("cosh", lax.cosh, inexact=True)
tanh = _unary("tanh", lax.tanh, inexact=True)
arcsinh = _unary("arcsinh", lax.asinh, inexact=True)
arccosh = _unary("arccosh", lax.acosh, inexact=True)
arctanh = _unary("arctanh", lax.atanh, inexact=True)
arctan2 = _binary("arctan2", lax.atan2, inexact=True)
asin, acos, atan, asinh, acosh, atanh, atan2 = (
    arcsin, arccos, arctan, arcsinh, arccosh, arctanh, arctan2)


def hypot(x1, x2, /):
    """sqrt(x1**2 + x2**2), scaled to avoid overflow."""
    x1, x2 = promote_args_inexact("hypot", x1, x2)
    a, b = lax.abs(x1), lax.abs(x2)
    big, small = lax.max(a, b), lax.min(a, b)
    one = _convert_element_type(1, get_aval(big).dtype, weak_type=True)
    ratio = lax.div(small, where(big == 0, one, big))
    out = lax.mul(big, lax.sqrt(lax.add(one, lax.mul(ratio, ratio))))
    out = where(big == 0, small, out)
    # An infinite leg wins over NaN and over another infinity (C99's hypot, as NumPy).
    inf = _convert_element_type(np.inf, get_aval(big).dtype, weak_type=True)
    return where(lax.bitwise_or(lax.eq(a, inf), lax.eq(b, inf)), inf, out)


def deg2rad(x, /):
    check_arraylike("deg2rad", x)
    (x,) = promote_dtypes_inexact(x)
    return lax.mul(ensure_traced(x), np.pi / 180)


def rad2deg(x, /):
    check_arraylike("rad2deg", x)
    (x,) = promote_dtypes_inexact(x)
    return lax.mul(ensure_traced(x), 180 / np.pi)


radians, degrees = deg2rad, rad2deg

# ----------------------------------------------------------------------------------------------
# Rounding.


def floor(x, /):
    check_arraylike("floor", x)
    if _is_int_or_bool(x):
        return ensure_traced(x)
    return lax.floor(ensure_traced(x))


def ceil(x, /):
    check_arraylike("ceil", x)
    if _is_int_or_bool(x):
        return ensure_traced(x)
    return lax.ceil(ensure_traced(x))


def trunc(x, /):
    check_arraylike("trunc", x)
    if _is_int_or_bool(x):
        return ensure_traced(x)
    x = ensure_traced(x)
    return where(lax.lt(x, _zero(x)), lax.ceil(x), lax.floor(x))


fix = trunc


def rint(x, /):
    """Rounds half to even; integers and bools become the default float type (as JAX)."""
    check_arraylike("rint", x)
    (x,) = promote_dtypes_inexact(x)
    return lax.round(ensure_traced(x), lax.RoundingMethod.TO_NEAREST_EVEN)


def round(a, decimals: int = 0, out=None):  # noqa: A001
    """Rounds half to even (as NumPy) to ``decimals`` decimal places."""
    check_arraylike("round", a)
    if out is not None:
        from xfront.numpy._util import check_no_out

        check_no_out("round", out)
    a = ensure_traced(a)
    dt = get_aval(a).dtype
    if dtypes.is_int(dt) or dtypes.is_bool(dt):
        if decimals >= 0:
            return a
        return _round_int(a, 10 ** (-decimals))
    even = lax.RoundingMethod.TO_NEAREST_EVEN
    if dtypes.is_complex(dt):
        return lax.complex(round(lax.real(a), decimals), round(lax.imag(a), decimals))
    if decimals == 0:
        return lax.round(a, even)
    factor = _convert_element_type(10.0 ** decimals, dt, get_aval(a).weak_type)
    return lax.div(lax.round(lax.mul(a, factor), even), factor)


around = round


def _round_int(a, factor: int):
    """Integers rounded to a multiple of ``factor`` > 1, half to even (as NumPy)."""
    dt = get_aval(a).dtype
    if dtypes.is_bool(dt) or factor > np.iinfo(dt).max:
        return lax.full_like(a, 0)
    f = lax.full((), factor, dt)
    q = floor_divide(a, f)
    r = lax.sub(a, lax.mul(q, f))  # in [0, factor)
    half = lax.sub(f, r)  # compares r with factor / 2 without overflowing 2 * r
    odd = lax.ne(lax.bitwise_and(q, _one(q)), _zero(q))
    up = lax.bitwise_or(lax.gt(r, half), lax.bitwise_and(lax.eq(r, half), odd))
    return lax.mul(lax.select(up, lax.add(q, _one(q)), q), f)

# ----------------------------------------------------------------------------------------------
# Classification.


def isfinite(x, /):
    check_arraylike("isfinite", x)
    x = ensure_traced(x)
    dt = get_aval(x).dtype
    if dtypes.is_float(dt):
        return lax.is_finite(x)
    if dtypes.is_complex(dt):
        return lax.bitwise_and(lax.is_finite(lax.real(x)), lax.is_finite(lax.imag(x)))
    return lax.full(get_aval(x).shape, True, dtypes.bool_)


def isinf(x, /):
    check_arraylike("isinf", x)
    x = ensure_traced(x)
    dt = get_aval(x).dtype
    if dtypes.is_float(dt):
        return lax.eq(lax.abs(x), lax.full((), np.inf, dt))
    if dtypes.is_complex(dt):
        return lax.bitwise_or(isinf(lax.real(x)), isinf(lax.imag(x)))
    return lax.full(get_aval(x).shape, False, dtypes.bool_)


def isnan(x, /):
    check_arraylike("isnan", x)
    x = ensure_traced(x)
    if dtypes.is_inexact(get_aval(x).dtype):
        return lax.ne(x, x)
    return lax.full(get_aval(x).shape, False, dtypes.bool_)


def isposinf(x, /):
    x = ensure_traced(x)
    return lax.bitwise_and(isinf(x), lax.gt(x, _zero(x))) if dtypes.is_float(
        get_aval(x).dtype) else isinf(x)


def isneginf(x, /):
    x = ensure_traced(x)
    return lax.bitwise_and(isinf(x), lax.lt(x, _zero(x))) if dtypes.is_float(
        get_aval(x).dtype) else isinf(x)


def signbit(x, /):
    check_arraylike("signbit", x)
    x = ensure_traced(x)
    dt = get_aval(x).dtype
    if dtypes.is_signed_int(dt):
        return lax.lt(x, _zero(x))
    if dtypes.is_unsigned_int(dt) or dtypes.is_bool(dt):
        return lax.full(get_aval(x).shape, False, dtypes.bool_)
    uint = {2: np.uint16, 4: np.uint32, 8: np.uint64}[dt.itemsize]
    bits = lax.bitcast_convert_type(x, uint)
    return lax.ne(lax.shift_right_logical(bits, np.array(dt.itemsize * 8 - 1, uint)[()]),
                  np.array(0, uint)[()])


def copysign(x1, x2, /):
    x1, x2 = promote_args_inexact("copysign", x1, x2)
    return where(signbit(x2), lax.neg(lax.abs(x1)), lax.abs(x1))


nextafter = _binary("nextafter", lax.nextafter, inexact=True)

# ----------------------------------------------------------------------------------------------
# Complex numbers.


def real(val, /):
    check_arraylike("real", val)
    val = ensure_traced(val)
    return lax.real(val) if dtypes.is_complex(get_aval(val).dtype) else val


def imag(val, /):
    check_arraylike("imag", val)
    val = ensure_traced(val)
    aval = get_aval(val)
    if dtypes.is_complex(aval.dtype):
        return lax.imag(val)
    return lax.full(aval.shape, _convert_element_type(0, aval.dtype, aval.weak_type))


def conjugate(x, /):
    check_arraylike("conjugate", x)
    x = ensure_traced(x)
    return lax.conj(x) if dtypes.is_complex(get_aval(x).dtype) else x


conj = conjugate


def angle(z, deg: bool = False):
    check_arraylike("angle", z)
    z = ensure_traced(z)
    dt = get_aval(z).dtype
    if dtypes.is_complex(dt):
        re, im = lax.real(z), lax.imag(z)
    else:
        (re,) = promote_dtypes_inexact(z)
        im = lax.full_like(re, 0)
    out = lax.atan2(im, re)
    return rad2deg(out) if deg else out


# ----------------------------------------------------------------------------------------------
# Bitwise and logical.

bitwise_and = _binary("bitwise_and", lax.bitwise_and)
bitwise_or = _binary("bitwise_or", lax.bitwise_or)
bitwise_xor = _binary("bitwise_xor", lax.bitwise_xor)


def invert(x, /):
    check_arraylike("invert", x)
    return lax.bitwise_not(ensure_traced(x))


bitwise_not = bitwise_invert = invert


def bitwise_count(x, /):
    """Number of 1 bits in the absolute value (NumPy 2's ``bitwise_count``)."""
    check_arraylike("bitwise_count", x)
    x = ensure_traced(x)
    if dtypes.is_signed_int(get_aval(x).dtype):
        x = lax.abs(x)
    return lax.convert_element_type(lax.population_count(x), dtypes.uint8)


def left_shift(x1, x2, /):
    x1, x2 = promote_args("left_shift", x1, x2)
    return lax.shift_left(x1, x2)


def right_shift(x1, x2, /):
    x1, x2 = promote_args("right_shift", x1, x2)
    if dtypes.is_unsigned_int(get_aval(x1).dtype):
        return lax.shift_right_logical(x1, x2)
    return lax.shift_right_arithmetic(x1, x2)


bitwise_left_shift, bitwise_right_shift = left_shift, right_shift


def _to_bool(x):
    return lax.ne(x, _zero(x)) if get_aval(x).dtype != dtypes.bool_ else x


def logical_and(x1, x2, /):
    x1, x2 = promote_args("logical_and", x1, x2)
    return lax.bitwise_and(_to_bool(x1), _to_bool(x2))


def logical_or(x1, x2, /):
    x1, x2 = promote_args("logical_or", x1, x2)
    return lax.bitwise_or(_to_bool(x1), _to_bool(x2))


def logical_xor(x1, x2, /):
    x1, x2 = promote_args("logical_xor", x1, x2)
    return lax.bitwise_xor(_to_bool(x1), _to_bool(x2))


def logical_not(x, /):
    check_arraylike("logical_not", x)
    return lax.bitwise_not(_to_bool(ensure_traced(x)))


# ----------------------------------------------------------------------------------------------
# Comparisons.

equal = _binary("equal", lax.eq)
not_equal = _binary("not_equal", lax.ne)
less = _binary("less", lax.lt)
less_equal = _binary("less_equal", lax.le)
greater = _binary("greater", lax.gt)
greater_equal = _binary("greater_equal", lax.ge)


# ----------------------------------------------------------------------------------------------
# where (defined here: several ufuncs above use it).


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """``x`` where ``condition`` else ``y`` (all three broadcast together); with the condition
    alone, ``nonzero(condition, size=size, fill_value=fill_value)``."""
    if x is None or y is None:
        if x is None and y is None:
            from xfront.numpy._index_fns import nonzero

            return nonzero(condition, size=size, fill_value=fill_value)
        raise XfrontTypeError("where: either both or neither of x and y must be given")
    from xfront.numpy._util import broadcast_shapes, broadcast_to, promote_dtypes

    check_arraylike("where", condition, x, y)
    x, y = promote_dtypes(x, y)
    condition = ensure_traced(condition)
    if get_aval(condition).dtype != dtypes.bool_:
        condition = _to_bool(condition)
    shape = broadcast_shapes(get_aval(condition).shape, get_aval(x).shape, get_aval(y).shape)
    x = broadcast_to(ensure_traced(x), shape)
    y = broadcast_to(ensure_traced(y), shape)
    cshape = get_aval(condition).shape
    if cshape and cshape != shape:
        condition = broadcast_to(condition, shape)
    return lax.select(condition, x, y)
