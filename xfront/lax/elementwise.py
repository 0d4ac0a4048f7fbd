"""Elementwise primitives: unary math, binary arithmetic, comparisons, bitwise, select, clamp and
dtype conversions.

Operands of an n-ary elementwise primitive have one shape, or are rank 0 (a scalar operand is
broadcast by the lowering, so ``x + 1.0`` is one equation). lax functions do not promote dtypes:
``lax.add(f32, i32)`` is an error, as in JAX (``xfront.numpy`` promotes).

Each primitive is one block: user function, primitive, abstract evaluation (later: JVP, transpose,
batching). The StableHLO emission is in ``lowering/rules/elementwise.py``, same order.
"""

from __future__ import annotations

import enum

import numpy as np

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError
from xfront.core.ir import Literal, ShapedArray
from xfront.core.trace import Primitive, get_aval, is_concrete_scalar, lift, literal_of
from xfront.interpreters import ad, batching
from xfront.lax.utils import (
    ANY,
    BOOL,
    COMPLEX,
    FLOAT,
    INEXACT,
    INT,
    NUM,
    ORDERED,
    broadcasting_shape,
    check_dtype,
    shapes_str,
    standard_naryop,
    standard_unop,
)

__all__ = [
    "RoundingMethod",
    "abs",
    "abs_p",
    "acos",
    "acos_p",
    "acosh",
    "acosh_p",
    "add",
    "add_p",
    "and_p",
    "asin",
    "asin_p",
    "asinh",
    "asinh_p",
    "atan",
    "atan2",
    "atan2_p",
    "atan_p",
    "atanh",
    "atanh_p",
    "bitcast_convert_type",
    "bitcast_convert_type_p",
    "bitwise_and",
    "bitwise_not",
    "bitwise_or",
    "bitwise_xor",
    "cbrt",
    "cbrt_p",
    "ceil",
    "ceil_p",
    "clamp",
    "clamp_p",
    "clz",
    "clz_p",
    "complex",
    "complex_p",
    "conj",
    "conj_p",
    "convert_element_type",
    "convert_element_type_p",
    "cos",
    "cos_p",
    "cosh",
    "cosh_p",
    "digamma",
    "digamma_p",
    "div",
    "div_p",
    "eq",
    "eq_p",
    "erf",
    "erf_inv",
    "erf_inv_p",
    "erf_p",
    "erfc",
    "erfc_p",
    "exp",
    "exp2",
    "exp2_p",
    "exp_p",
    "expm1",
    "expm1_p",
    "floor",
    "floor_p",
    "ge",
    "ge_p",
    "gt",
    "gt_p",
    "imag",
    "imag_p",
    "integer_pow",
    "integer_pow_p",
    "is_finite",
    "is_finite_p",
    "le",
    "le_p",
    "lgamma",
    "lgamma_p",
    "log",
    "log1p",
    "log1p_p",
    "log_p",
    "logistic",
    "logistic_p",
    "lt",
    "lt_p",
    "max",
    "max_p",
    "min",
    "min_p",
    "mul",
    "mul_p",
    "ne",
    "ne_p",
    "neg",
    "neg_p",
    "nextafter",
    "nextafter_p",
    "not_p",
    "or_p",
    "polygamma",
    "polygamma_p",
    "population_count",
    "population_count_p",
    "pow",
    "pow_p",
    "real",
    "real_p",
    "rem",
    "rem_p",
    "round",
    "round_p",
    "rsqrt",
    "rsqrt_p",
    "select",
    "select_n",
    "select_n_p",
    "shift_left",
    "shift_left_p",
    "shift_right_arithmetic",
    "shift_right_arithmetic_p",
    "shift_right_logical",
    "shift_right_logical_p",
    "sign",
    "sign_p",
    "sin",
    "sin_p",
    "sinh",
    "sinh_p",
    "sqrt",
    "sqrt_p",
    "sub",
    "sub_p",
    "tan",
    "tan_p",
    "tanh",
    "tanh_p",
    "xor_p",
]


_bool_result = lambda *dts: dtypes.bool_  # noqa: E731


def _const(x, value):
    """``value`` as a weakly typed scalar of ``x``'s dtype (for rules)."""
    return _convert_element_type(value, get_aval(x).dtype, weak_type=True)


def _unbroadcast(ct, aval: ShapedArray):
    """Sums a cotangent down to a rank-0 operand that was broadcast by an elementwise op."""
    if type(ct) is ad.Zero or get_aval(ct).shape == aval.shape:
        return ct
    from xfront.lax.reduction import reduce_sum

    return reduce_sum(ct, tuple(range(get_aval(ct).ndim)))


def _brcast(t, *others):
    """Broadcasts a rank-0 tangent to the shape of the elementwise result."""
    shape = ()
    for o in others:
        shape = shape or get_aval(o).shape
    if get_aval(t).shape == shape:
        return t
    from xfront.lax.structural import broadcast_in_dim

    return broadcast_in_dim(t, shape, ())

# ----------------------------------------------------------------------------------------------
# Unary arithmetic.


def neg(x):
    """Elementwise negation: ``stablehlo.negate``."""
    return neg_p.bind(x)


neg_p = standard_unop("neg", NUM)
batching.defvectorized(neg_p)
ad.deflinear(neg_p, lambda ct, x: [neg(ct)])


def abs(x):  # noqa: A001
    """Elementwise absolute value (complex -> its magnitude): ``stablehlo.abs``."""
    return abs_p.bind(x)


abs_p = standard_unop("abs", NUM, lambda dt: dtypes.real_dtype(dt))
batching.defvectorized(abs_p)


def _abs_jvp(g, ans, x):
    if dtypes.is_complex(get_aval(x).dtype):
        # d|z| = Re(conj(z) dz) / |z|, taken as 0 at z = 0 (JAX: |z| replaced by 1 there).
        safe = select(eq(ans, _const(ans, 0)), _const(ans, 1), ans)
        return div(real(mul(conj(x), g)), safe)
    # The subgradient 1 at x = 0 (also -0.0), as JAX: grad(abs)(0.) == 1.
    return select(ge(x, _const(x, 0)), g, neg(g))


ad.defjvp2(abs_p, _abs_jvp)


def sign(x):
    """Elementwise sign (-1, 0, 1; x/|x| for complex): ``stablehlo.sign``."""
    return sign_p.bind(x)


sign_p = standard_unop("sign", NUM)
batching.defvectorized(sign_p)
ad.defjvp_zero(sign_p)


def floor(x):
    """Elementwise floor: ``stablehlo.floor``."""
    return floor_p.bind(x)


floor_p = standard_unop("floor", FLOAT)
batching.defvectorized(floor_p)
ad.defjvp_zero(floor_p)


def ceil(x):
    """Elementwise ceiling: ``stablehlo.ceil``."""
    return ceil_p.bind(x)


ceil_p = standard_unop("ceil", FLOAT)
batching.defvectorized(ceil_p)
ad.defjvp_zero(ceil_p)


class RoundingMethod(enum.IntEnum):
    """How ``round`` breaks ties: away from zero (lax's default) or to the nearest even."""

    AWAY_FROM_ZERO = 0
    TO_NEAREST_EVEN = 1


def round(x, rounding_method=RoundingMethod.AWAY_FROM_ZERO):  # noqa: A001
    """Elementwise rounding: ``stablehlo.round_nearest_afz`` or ``round_nearest_even``."""
    return round_p.bind(x, rounding_method=RoundingMethod(rounding_method))


round_p = standard_unop("round", FLOAT)
batching.defvectorized(round_p)
ad.defjvp_zero(round_p)


def is_finite(x):
    """Elementwise test for finite values (not inf, not NaN): ``stablehlo.is_finite``."""
    return is_finite_p.bind(x)


is_finite_p = standard_unop("is_finite", FLOAT, _bool_result)
batching.defvectorized(is_finite_p)
ad.defjvp_zero(is_finite_p)

# ----------------------------------------------------------------------------------------------
# Exponentials, logarithms, powers.


def exp(x):
    """Elementwise e**x: ``stablehlo.exponential``."""
    return exp_p.bind(x)


exp_p = standard_unop("exp", INEXACT)
batching.defvectorized(exp_p)
ad.defjvp2(exp_p, lambda g, ans, x: mul(g, ans))


def exp2(x):
    """Elementwise 2**x: ``stablehlo.exponential`` of ``x * log(2)``."""
    return exp2_p.bind(x)


exp2_p = standard_unop("exp2", INEXACT)
batching.defvectorized(exp2_p)
ad.defjvp2(exp2_p, lambda g, ans, x: mul(g, mul(ans, _const(x, float(np.log(2.0))))))


def expm1(x):
    """Elementwise e**x - 1, accurate near 0: ``stablehlo.exponential_minus_one``."""
    return expm1_p.bind(x)


expm1_p = standard_unop("expm1", INEXACT)
batching.defvectorized(expm1_p)
ad.defjvp2(expm1_p, lambda g, ans, x: mul(g, add(ans, _const(ans, 1))))


def log(x):
    """Elementwise natural logarithm: ``stablehlo.log``."""
    return log_p.bind(x)


log_p = standard_unop("log", INEXACT)
batching.defvectorized(log_p)
ad.defjvp(log_p, lambda g, x: div(g, x))


def log1p(x):
    """Elementwise log(1 + x), accurate near 0: ``stablehlo.log_plus_one``."""
    return log1p_p.bind(x)


log1p_p = standard_unop("log1p", INEXACT)
batching.defvectorized(log1p_p)
ad.defjvp(log1p_p, lambda g, x: div(g, add(x, _const(x, 1))))


def sqrt(x):
    """Elementwise square root: ``stablehlo.sqrt``."""
    return sqrt_p.bind(x)


sqrt_p = standard_unop("sqrt", INEXACT)
batching.defvectorized(sqrt_p)
ad.defjvp2(sqrt_p, lambda g, ans, x: div(g, mul(ans, _const(ans, 2))))


def rsqrt(x):
    """Elementwise 1/sqrt(x): ``stablehlo.rsqrt``."""
    return rsqrt_p.bind(x)


rsqrt_p = standard_unop("rsqrt", INEXACT)
batching.defvectorized(rsqrt_p)
ad.defjvp2(rsqrt_p, lambda g, ans, x: mul(g, mul(_const(x, -0.5), div(ans, x))))


def cbrt(x):
    """Elementwise cube root: ``stablehlo.cbrt``."""
    return cbrt_p.bind(x)


cbrt_p = standard_unop("cbrt", FLOAT)
batching.defvectorized(cbrt_p)
ad.defjvp2(cbrt_p, lambda g, ans, x: mul(g, mul(_const(x, 1 / 3), integer_pow(ans, -2))))


def logistic(x):
    """Elementwise 1 / (1 + e**-x): ``stablehlo.logistic``."""
    return logistic_p.bind(x)


logistic_p = standard_unop("logistic", INEXACT)
batching.defvectorized(logistic_p)
ad.defjvp2(logistic_p, lambda g, ans, x: mul(g, mul(ans, sub(_const(ans, 1), ans))))

# ----------------------------------------------------------------------------------------------
# Trigonometric and hyperbolic functions.


def sin(x):
    """Elementwise sine: ``stablehlo.sine``."""
    return sin_p.bind(x)


sin_p = standard_unop("sin", INEXACT)
batching.defvectorized(sin_p)
ad.defjvp(sin_p, lambda g, x: mul(g, cos(x)))


def cos(x):
    """Elementwise cosine: ``stablehlo.cosine``."""
    return cos_p.bind(x)


cos_p = standard_unop("cos", INEXACT)
batching.defvectorized(cos_p)
ad.defjvp(cos_p, lambda g, x: neg(mul(g, sin(x))))


def tan(x):
    """Elementwise tangent: ``stablehlo.tan``."""
    return tan_p.bind(x)


tan_p = standard_unop("tan", INEXACT)
batching.defvectorized(tan_p)
ad.defjvp2(tan_p, lambda g, ans, x: mul(g, add(_const(x, 1), mul(ans, ans))))


def asin(x):
    """Elementwise arcsine: ``chlo.asin``."""
    return asin_p.bind(x)


asin_p = standard_unop("asin", INEXACT)
batching.defvectorized(asin_p)
ad.defjvp(asin_p, lambda g, x: mul(g, rsqrt(sub(_const(x, 1), mul(x, x)))))


def acos(x):
    """Elementwise arccosine: ``chlo.acos``."""
    return acos_p.bind(x)


acos_p = standard_unop("acos", INEXACT)
batching.defvectorized(acos_p)
ad.defjvp(acos_p, lambda g, x: neg(mul(g, rsqrt(sub(_const(x, 1), mul(x, x))))))


def atan(x):
    """Elementwise arctangent: ``chlo.atan``."""
    return atan_p.bind(x)


atan_p = standard_unop("atan", INEXACT)
batching.defvectorized(atan_p)
ad.defjvp(atan_p, lambda g, x: div(g, add(_const(x, 1), mul(x, x))))


def sinh(x):
    """Elementwise hyperbolic sine: ``chlo.sinh``."""
    return sinh_p.bind(x)


sinh_p = standard_unop("sinh", INEXACT)
batching.defvectorized(sinh_p)
ad.defjvp(sinh_p, lambda g, x: mul(g, cosh(x)))


def cosh(x):
    """Elementwise hyperbolic cosine: ``chlo.cosh``."""
    return cosh_p.bind(x)


cosh_p = standard_unop("cosh", INEXACT)
batching.defvectorized(cosh_p)
ad.defjvp(cosh_p, lambda g, x: mul(g, sinh(x)))


def tanh(x):
    """Elementwise hyperbolic tangent: ``stablehlo.tanh``."""
    return tanh_p.bind(x)


tanh_p = standard_unop("tanh", INEXACT)
batching.defvectorized(tanh_p)
ad.defjvp2(tanh_p, lambda g, ans, x: mul(g, sub(_const(x, 1), mul(ans, ans))))


def asinh(x):
    """Elementwise inverse hyperbolic sine: ``chlo.asinh``."""
    return asinh_p.bind(x)


asinh_p = standard_unop("asinh", INEXACT)
batching.defvectorized(asinh_p)
ad.defjvp(asinh_p, lambda g, x: mul(g, rsqrt(add(mul(x, x), _const(x, 1)))))


def acosh(x):
    """Elementwise inverse hyperbolic cosine: ``chlo.acosh``."""
    return acosh_p.bind(x)


acosh_p = standard_unop("acosh", INEXACT)
batching.defvectorized(acosh_p)
ad.defjvp(acosh_p,
          lambda g, x: mul(g, rsqrt(mul(sub(x, _const(x, 1)), add(x, _const(x, 1))))))


def atanh(x):
    """Elementwise inverse hyperbolic tangent: ``chlo.atanh``."""
    return atanh_p.bind(x)


atanh_p = standard_unop("atanh", INEXACT)
batching.defvectorized(atanh_p)
ad.defjvp(atanh_p, lambda g, x: div(g, sub(_const(x, 1), mul(x, x))))

# ----------------------------------------------------------------------------------------------
# Special functions.


def erf(x):
    """Elementwise error function: ``chlo.erf``."""
    return erf_p.bind(x)


erf_p = standard_unop("erf", FLOAT)
batching.defvectorized(erf_p)
ad.defjvp(erf_p, lambda g, x: mul(g, mul(_const(x, 2 / np.sqrt(np.pi)),
                                          exp(neg(mul(x, x))))))


def erfc(x):
    """Elementwise complementary error function 1 - erf(x): ``chlo.erfc``."""
    return erfc_p.bind(x)


erfc_p = standard_unop("erfc", FLOAT)
batching.defvectorized(erfc_p)
ad.defjvp(erfc_p, lambda g, x: mul(g, mul(_const(x, -2 / np.sqrt(np.pi)),
                                           exp(neg(mul(x, x))))))


def erf_inv(x):
    """Elementwise inverse error function: ``chlo.erf_inv``."""
    return erf_inv_p.bind(x)


erf_inv_p = standard_unop("erf_inv", FLOAT)
batching.defvectorized(erf_inv_p)
ad.defjvp2(erf_inv_p, lambda g, ans, x: mul(g, mul(_const(x, np.sqrt(np.pi) / 2),
                                                    exp(mul(ans, ans)))))


def lgamma(x):
    """Elementwise log of the absolute value of the gamma function: ``chlo.lgamma``."""
    return lgamma_p.bind(x)


lgamma_p = standard_unop("lgamma", FLOAT)
batching.defvectorized(lgamma_p)
ad.defjvp(lgamma_p, lambda g, x: mul(g, digamma(x)))


def digamma(x):
    """Elementwise digamma (derivative of lgamma): ``chlo.digamma``."""
    return digamma_p.bind(x)


digamma_p = standard_unop("digamma", FLOAT)
batching.defvectorized(digamma_p)
ad.defjvp(digamma_p, lambda g, x: mul(g, polygamma(_const(x, 1), x)))


def polygamma(m, x):
    """The m-th derivative of digamma (m a non-negative integer-valued float):
    ``chlo.polygamma``."""
    return polygamma_p.bind(m, x)


polygamma_p = standard_naryop("polygamma", [FLOAT, FLOAT])
batching.defbroadcasting(polygamma_p)
ad.defjvp(polygamma_p, None,
          lambda g, m, x: mul(g, polygamma(add(m, _const(m, 1)), x)))

# ----------------------------------------------------------------------------------------------
# Bitwise unary ops.


def bitwise_not(x):
    """Elementwise logical (bool) or bitwise (int) NOT: ``stablehlo.not``."""
    return not_p.bind(x)


not_p = standard_unop("not", BOOL | INT)
batching.defvectorized(not_p)
ad.defjvp_zero(not_p)


def population_count(x):
    """Elementwise count of set bits: ``stablehlo.popcnt``."""
    return population_count_p.bind(x)


population_count_p = standard_unop("population_count", INT)
batching.defvectorized(population_count_p)
ad.defjvp_zero(population_count_p)


def clz(x):
    """Elementwise count of leading zero bits: ``stablehlo.count_leading_zeros``."""
    return clz_p.bind(x)


clz_p = standard_unop("clz", INT)
batching.defvectorized(clz_p)
ad.defjvp_zero(clz_p)

# ----------------------------------------------------------------------------------------------
# Complex parts.


def real(x):
    """Elementwise real part of a complex array: ``stablehlo.real``."""
    return real_p.bind(x)


real_p = standard_unop("real", COMPLEX, dtypes.real_dtype)
batching.defvectorized(real_p)
ad.deflinear(real_p, lambda ct, x: [complex(ct, _const(ct, 0))])


def imag(x):
    """Elementwise imaginary part of a complex array: ``stablehlo.imag``."""
    return imag_p.bind(x)


imag_p = standard_unop("imag", COMPLEX, dtypes.real_dtype)
batching.defvectorized(imag_p)
ad.deflinear(imag_p, lambda ct, x: [complex(_const(ct, 0), neg(ct))])


def conj(x):
    """Elementwise complex conjugate (a real input gives a complex result):
    ``stablehlo.complex(real(x), -imag(x))``."""
    return conj_p.bind(x)


conj_p = standard_unop("conj", INEXACT, dtypes.complex_dtype)
batching.defvectorized(conj_p)
ad.deflinear(conj_p, lambda ct, x: [
    conj(ct) if dtypes.is_complex(x.aval.dtype) else real(ct)])


def complex(x, y):  # noqa: A001
    """Builds x + i*y from two real arrays: ``stablehlo.complex``."""
    return complex_p.bind(x, y)


complex_p = standard_naryop("complex", [FLOAT, FLOAT], lambda a, b: dtypes.complex_dtype(a))
batching.defbroadcasting(complex_p)
ad.deflinear(complex_p, lambda ct, x, y: [_unbroadcast(real(ct), x.aval),
                                          _unbroadcast(neg(imag(ct)), y.aval)])

# ----------------------------------------------------------------------------------------------
# Binary arithmetic.


def add(x, y):
    """Elementwise addition: ``stablehlo.add``."""
    return add_p.bind(x, y)


add_p = standard_naryop("add", [NUM, NUM])
batching.defbroadcasting(add_p)


def _add_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    out = add(x, y)
    if type(tx) is ad.Zero:
        return out, _brcast(ty, x, y)
    if type(ty) is ad.Zero:
        return out, _brcast(tx, x, y)
    return out, add(tx, ty)


def _add_transpose(ct, x, y):
    return [_unbroadcast(ct, x.aval) if ad.is_undefined(x) else None,
            _unbroadcast(ct, y.aval) if ad.is_undefined(y) else None]


ad.jvp_rules[add_p] = _add_jvp
ad.transpose_rules[add_p] = _add_transpose


def sub(x, y):
    """Elementwise subtraction: ``stablehlo.subtract``."""
    return sub_p.bind(x, y)


sub_p = standard_naryop("sub", [NUM, NUM])
batching.defbroadcasting(sub_p)


def _sub_jvp(primals, tangents):
    x, y = primals
    tx, ty = tangents
    out = sub(x, y)
    if type(tx) is ad.Zero:
        return out, _brcast(neg(ty), x, y)
    if type(ty) is ad.Zero:
        return out, _brcast(tx, x, y)
    return out, sub(tx, ty)


def _sub_transpose(ct, x, y):
    neg_ct = neg(ct) if type(ct) is not ad.Zero else ct
    return [_unbroadcast(ct, x.aval) if ad.is_undefined(x) else None,
            _unbroadcast(neg_ct, y.aval) if ad.is_undefined(y) else None]


ad.jvp_rules[sub_p] = _sub_jvp
ad.transpose_rules[sub_p] = _sub_transpose


def mul(x, y):
    """Elementwise multiplication: ``stablehlo.multiply``."""
    return mul_p.bind(x, y)


mul_p = standard_naryop("mul", [NUM, NUM])
batching.defbroadcasting(mul_p)
ad.defjvp(mul_p, lambda g, x, y: _brcast(mul(g, y), x, y),
          lambda g, x, y: _brcast(mul(x, g), x, y))


def _mul_transpose(ct, x, y):
    if type(ct) is ad.Zero:
        return [ct if ad.is_undefined(x) else None, ct if ad.is_undefined(y) else None]
    if ad.is_undefined(x) and ad.is_undefined(y):
        raise NotImplementedError("mul: transpose of a product of two linear values")
    if ad.is_undefined(x):
        return [_unbroadcast(mul(ct, y), x.aval), None]
    return [None, _unbroadcast(mul(x, ct), y.aval)]


ad.transpose_rules[mul_p] = _mul_transpose


def div(x, y):
    """Elementwise division (integers round toward zero): ``stablehlo.divide``."""
    return div_p.bind(x, y)


div_p = standard_naryop("div", [NUM, NUM])
batching.defbroadcasting(div_p)
ad.defjvp(div_p, lambda g, x, y: _brcast(div(g, y), x, y),
          lambda g, x, y: _brcast(mul(neg(g), div(x, mul(y, y))), x, y))


def _div_transpose(ct, x, y):
    if ad.is_undefined(y):
        raise NotImplementedError("div: transpose with respect to the divisor (not linear)")
    if type(ct) is ad.Zero:
        return [ct, None]
    return [_unbroadcast(div(ct, y), x.aval), None]


ad.transpose_rules[div_p] = _div_transpose


def rem(x, y):
    """Elementwise remainder with the sign of the dividend (C's fmod): ``stablehlo.remainder``."""
    return rem_p.bind(x, y)


rem_p = standard_naryop("rem", [INT | FLOAT, INT | FLOAT])
batching.defbroadcasting(rem_p)
ad.defjvp(rem_p, lambda g, x, y: _brcast(g, x, y),
          lambda g, x, y: _brcast(mul(neg(g), mul(sign(div(x, y)), floor(abs(div(x, y))))),
                                  x, y))


def pow(x, y):  # noqa: A001
    """Elementwise x**y; ``y`` may be an integer array: ``stablehlo.power``."""
    return pow_p.bind(x, y)


pow_p = Primitive("pow")
batching.defbroadcasting(pow_p)


@pow_p.def_abstract_eval
def _pow_abstract_eval(x: ShapedArray, y: ShapedArray) -> ShapedArray:
    check_dtype("pow", x.dtype, INEXACT, "the base")
    check_dtype("pow", y.dtype, INT | INEXACT, "the exponent")
    if not dtypes.is_int(y.dtype) and y.dtype != x.dtype:
        raise XfrontTypeError(
            f"lax.pow requires the exponent to be an integer array or to have the base's dtype, "
            f"got {x.dtype} and {y.dtype} ({shapes_str([x, y])})")
    shape = broadcasting_shape("pow", [x, y])
    return ShapedArray(shape, x.dtype, x.weak_type and y.weak_type)


def _pow_jvp_x(g, x, y):
    yf = y if get_aval(y).dtype == get_aval(x).dtype else convert_element_type(
        y, get_aval(x).dtype)
    one = _const(x, 1)
    if dtypes.is_int(get_aval(y).dtype):
        # An integer exponent 0 has derivative 0 even at x = 0 (where y * x**(y-1) is NaN).
        safe_y = select(eq(yf, _const(yf, 0)), one, yf)
        jac = select(eq(yf, _const(yf, 0)), _const(x, 0), mul(safe_y, pow(x, sub(yf, one))))
    else:
        # A float exponent follows the formula everywhere, as JAX does (NaN at 0**0).
        jac = mul(yf, pow(x, sub(yf, one)))
    return _brcast(mul(g, jac), x, y)


def _pow_jvp_y(g, x, y):
    safe_x = select(eq(x, _const(x, 0)), _const(x, 1), x)
    return _brcast(mul(g, mul(log(safe_x), pow(x, y))), x, y)


ad.defjvp(pow_p, _pow_jvp_x, _pow_jvp_y)


def integer_pow(x, y: int):
    """Elementwise x**y for a static Python int ``y``: repeated multiplication."""
    return integer_pow_p.bind(x, y=int(y))


integer_pow_p = Primitive("integer_pow")
batching.defvectorized(integer_pow_p)


@integer_pow_p.def_abstract_eval
def _integer_pow_abstract_eval(x: ShapedArray, *, y: int) -> ShapedArray:
    check_dtype("integer_pow", x.dtype, NUM)
    if y < 0 and dtypes.is_int(x.dtype):
        raise XfrontTypeError(
            f"integer_pow: negative exponent {y} is not defined for integer dtype {x.dtype}")
    return x


def _integer_pow_jvp(g, x, *, y):
    if y == 0:
        return mul(g, _const(x, 0))
    if y == 1:
        return g
    return mul(g, mul(_const(x, y), integer_pow(x, y - 1)))


ad.defjvp(integer_pow_p, _integer_pow_jvp)


def max(x, y):  # noqa: A001
    """Elementwise maximum (NaN-propagating): ``stablehlo.maximum``."""
    return max_p.bind(x, y)


max_p = standard_naryop("max", [ANY, ANY])
batching.defbroadcasting(max_p)


def _balanced_eq(x, z, y):
    # 1 where x is the chosen value (z), 0.5 at ties (so the two sides split the gradient).
    return select(eq(x, z), select(eq(y, z), _const(z, 0.5), _const(z, 1)), _const(z, 0))


ad.defjvp2(max_p, lambda g, ans, x, y: mul(_brcast(g, x, y), _balanced_eq(x, ans, y)),
           lambda g, ans, x, y: mul(_brcast(g, x, y), _balanced_eq(y, ans, x)))


def min(x, y):  # noqa: A001
    """Elementwise minimum (NaN-propagating): ``stablehlo.minimum``."""
    return min_p.bind(x, y)


min_p = standard_naryop("min", [ANY, ANY])
batching.defbroadcasting(min_p)
ad.defjvp2(min_p, lambda g, ans, x, y: mul(_brcast(g, x, y), _balanced_eq(x, ans, y)),
           lambda g, ans, x, y: mul(_brcast(g, x, y), _balanced_eq(y, ans, x)))


def atan2(x, y):
    """Elementwise arctangent of x/y using both signs: ``stablehlo.atan2``."""
    return atan2_p.bind(x, y)


atan2_p = standard_naryop("atan2", [FLOAT, FLOAT])
batching.defbroadcasting(atan2_p)
ad.defjvp(atan2_p, lambda g, x, y: _brcast(mul(g, div(y, add(mul(x, x), mul(y, y)))), x, y),
          lambda g, x, y: _brcast(mul(g, div(neg(x), add(mul(x, x), mul(y, y)))), x, y))


def nextafter(x1, x2):
    """Next representable value after x1 toward x2: ``chlo.next_after``."""
    return nextafter_p.bind(x1, x2)


nextafter_p = standard_naryop("nextafter", [FLOAT, FLOAT])
batching.defbroadcasting(nextafter_p)
ad.defjvp_zero(nextafter_p)

# ----------------------------------------------------------------------------------------------
# Bitwise and logical binary ops.


def bitwise_and(x, y):
    """Elementwise AND (logical for bool): ``stablehlo.and``."""
    return and_p.bind(x, y)


and_p = standard_naryop("and", [BOOL | INT, BOOL | INT])
batching.defbroadcasting(and_p)
ad.defjvp_zero(and_p)


def bitwise_or(x, y):
    """Elementwise OR (logical for bool): ``stablehlo.or``."""
    return or_p.bind(x, y)


or_p = standard_naryop("or", [BOOL | INT, BOOL | INT])
batching.defbroadcasting(or_p)
ad.defjvp_zero(or_p)


def bitwise_xor(x, y):
    """Elementwise XOR (logical for bool): ``stablehlo.xor``."""
    return xor_p.bind(x, y)


xor_p = standard_naryop("xor", [BOOL | INT, BOOL | INT])
batching.defbroadcasting(xor_p)
ad.defjvp_zero(xor_p)


def shift_left(x, y):
    """Elementwise x << y (0 when y >= bit width): ``stablehlo.shift_left``."""
    return shift_left_p.bind(x, y)


shift_left_p = standard_naryop("shift_left", [INT, INT])
batching.defbroadcasting(shift_left_p)
ad.defjvp_zero(shift_left_p)


def shift_right_logical(x, y):
    """Elementwise logical x >> y (zero fill): ``stablehlo.shift_right_logical``."""
    return shift_right_logical_p.bind(x, y)


shift_right_logical_p = standard_naryop("shift_right_logical", [INT, INT])
batching.defbroadcasting(shift_right_logical_p)
ad.defjvp_zero(shift_right_logical_p)


def shift_right_arithmetic(x, y):
    """Elementwise arithmetic x >> y (sign fill): ``stablehlo.shift_right_arithmetic``."""
    return shift_right_arithmetic_p.bind(x, y)


shift_right_arithmetic_p = standard_naryop("shift_right_arithmetic", [INT, INT])
batching.defbroadcasting(shift_right_arithmetic_p)
ad.defjvp_zero(shift_right_arithmetic_p)

# ----------------------------------------------------------------------------------------------
# Comparisons (result bool).


def eq(x, y):
    """Elementwise x == y: ``stablehlo.compare EQ``."""
    return eq_p.bind(x, y)


eq_p = standard_naryop("eq", [ANY, ANY], _bool_result)
batching.defbroadcasting(eq_p)
ad.defjvp_zero(eq_p)


def ne(x, y):
    """Elementwise x != y: ``stablehlo.compare NE``."""
    return ne_p.bind(x, y)


ne_p = standard_naryop("ne", [ANY, ANY], _bool_result)
batching.defbroadcasting(ne_p)
ad.defjvp_zero(ne_p)


def lt(x, y):
    """Elementwise x < y: ``stablehlo.compare LT``."""
    return lt_p.bind(x, y)


lt_p = standard_naryop("lt", [ORDERED, ORDERED], _bool_result)
batching.defbroadcasting(lt_p)
ad.defjvp_zero(lt_p)


def le(x, y):
    """Elementwise x <= y: ``stablehlo.compare LE``."""
    return le_p.bind(x, y)


le_p = standard_naryop("le", [ORDERED, ORDERED], _bool_result)
batching.defbroadcasting(le_p)
ad.defjvp_zero(le_p)


def gt(x, y):
    """Elementwise x > y: ``stablehlo.compare GT``."""
    return gt_p.bind(x, y)


gt_p = standard_naryop("gt", [ORDERED, ORDERED], _bool_result)
batching.defbroadcasting(gt_p)
ad.defjvp_zero(gt_p)


def ge(x, y):
    """Elementwise x >= y: ``stablehlo.compare GE``."""
    return ge_p.bind(x, y)


ge_p = standard_naryop("ge", [ORDERED, ORDERED], _bool_result)
batching.defbroadcasting(ge_p)
ad.defjvp_zero(ge_p)

# ----------------------------------------------------------------------------------------------
# Selection and clamping.


def select_n(which, *cases):
    """``cases[which]`` elementwise. ``which`` is bool (two cases) or int32; the selector and
    the cases have one shape or are scalars: ``stablehlo.select`` (a tree for more cases)."""
    return select_n_p.bind(which, *cases)


def select(pred, on_true, on_false):
    """``on_true`` where ``pred`` else ``on_false`` (lax.select)."""
    return select_n_p.bind(pred, on_false, on_true)


select_n_p = Primitive("select_n")
batching.defbroadcasting(select_n_p)


@select_n_p.def_abstract_eval
def _select_n_abstract_eval(which: ShapedArray, *cases: ShapedArray) -> ShapedArray:
    if not cases:
        raise XfrontTypeError("select_n requires at least one case")
    if which.dtype != dtypes.bool_ and which.dtype != dtypes.int32:
        raise XfrontTypeError(
            f"select_n: the selector must be bool or int32, got {which.dtype}")
    if which.dtype == dtypes.bool_ and len(cases) > 2:
        raise XfrontTypeError(
            f"select_n: a bool selector picks between at most 2 cases, got {len(cases)}")
    dt = cases[0].dtype
    if any(c.dtype != dt for c in cases):
        raise XfrontTypeError(
            f"select_n: all cases must have the same dtype, got {shapes_str(cases)}")
    shape = broadcasting_shape("select_n", [which, *cases])
    return ShapedArray(shape, dt, all(c.weak_type for c in cases))


def _select_n_jvp(primals, tangents):
    which, *cases = primals
    out = select_n(which, *cases)
    case_ts = tangents[1:]
    if all(type(t) is ad.Zero for t in case_ts):
        return out, ad.Zero(ad.tangent_aval(get_aval(out)))
    return out, select_n(which, *[ad.instantiate(t) for t in case_ts])


def _select_n_transpose(ct, which, *cases):
    if ad.is_undefined(which):
        raise NotImplementedError("select_n: transpose with respect to the selector")
    zeros = None
    out = [None]
    for i, c in enumerate(cases):
        if not ad.is_undefined(c):
            out.append(None)
        elif type(ct) is ad.Zero:
            out.append(ct)
        else:
            zeros = zeros if zeros is not None else _const(ct, 0)
            picks = [zeros] * len(cases)
            picks[i] = ct
            out.append(_unbroadcast(select_n(which, *picks), c.aval))
    return out


ad.jvp_rules[select_n_p] = _select_n_jvp
ad.transpose_rules[select_n_p] = _select_n_transpose


def clamp(min, x, max):  # noqa: A002
    """Elementwise min(max(x, min), max); min/max are scalars or x-shaped: ``stablehlo.clamp``."""
    return clamp_p.bind(min, x, max)


clamp_p = Primitive("clamp")
batching.defbroadcasting(clamp_p)


@clamp_p.def_abstract_eval
def _clamp_abstract_eval(lo: ShapedArray, x: ShapedArray, hi: ShapedArray) -> ShapedArray:
    check_dtype("clamp", x.dtype, ORDERED)
    if lo.dtype != x.dtype or hi.dtype != x.dtype:
        raise XfrontTypeError(
            f"lax.clamp requires min, operand and max to have the same dtype, got "
            f"{lo.dtype}, {x.dtype}, {hi.dtype}")
    for bound, what in ((lo, "min"), (hi, "max")):
        if bound.shape and bound.shape != x.shape:
            raise XfrontTypeError(
                f"clamp: {what} must be a scalar or have the operand's shape {x.shape}, got "
                f"{bound.shape}")
    return x


def _clamp_jvp(primals, tangents):
    lo, x, hi = primals
    tlo, tx, thi = tangents
    out = clamp(lo, x, hi)
    zero = _const(x, 0)
    acc = ad.Zero(ad.tangent_aval(get_aval(out)))
    if type(tx) is not ad.Zero:
        acc = ad.add_tangents(acc, select(bitwise_and(gt(x, lo), lt(x, hi)), tx, zero))
    if type(tlo) is not ad.Zero:
        acc = ad.add_tangents(acc, select(gt(lo, x), _brcast(tlo, x), zero))
    if type(thi) is not ad.Zero:
        acc = ad.add_tangents(acc, select(lt(hi, x), _brcast(thi, x), zero))
    return out, acc


ad.jvp_rules[clamp_p] = _clamp_jvp


# ----------------------------------------------------------------------------------------------
# dtype conversions.


def convert_element_type(operand, new_dtype):
    """Elementwise conversion to ``new_dtype`` (float -> int truncates toward zero, complex ->
    real keeps the real part, number -> bool is ``!= 0``): ``stablehlo.convert``."""
    out = _convert_element_type(operand, new_dtype, weak_type=False)
    return lift(out) if type(out) is Literal else out


def _convert_element_type(operand, new_dtype, weak_type: bool = False):
    """Conversion used by the numpy layer: host scalars convert on the host into a Literal."""
    new_dtype = dtypes.canonicalize_dtype(dtypes.dtype(new_dtype))
    dtypes.check_supported(new_dtype, "convert_element_type")
    if is_concrete_scalar(operand):
        lit = literal_of(operand)
        if lit.aval.dtype == new_dtype and lit.aval.weak_type == weak_type:
            return lit
        val = lit.val
        if dtypes.is_complex(lit.aval.dtype) and not dtypes.is_complex(new_dtype):
            val = val.real
        return Literal(np.asarray(val).astype(new_dtype)[()],
                       ShapedArray((), new_dtype, weak_type))
    aval = get_aval(operand)
    if aval.dtype == new_dtype and aval.weak_type == weak_type:
        return operand
    return convert_element_type_p.bind(operand, new_dtype=new_dtype, weak_type=weak_type)


convert_element_type_p = Primitive("convert_element_type")
batching.defvectorized(convert_element_type_p)


@convert_element_type_p.def_abstract_eval
def _convert_element_type_abstract_eval(operand: ShapedArray, *, new_dtype, weak_type):
    dtypes.check_supported(new_dtype, "convert_element_type")
    return ShapedArray(operand.shape, new_dtype, weak_type)


def _convert_element_type_jvp(primals, tangents, *, new_dtype, weak_type):
    (x,), (t,) = primals, tangents
    out = convert_element_type_p.bind(x, new_dtype=new_dtype, weak_type=weak_type)
    if type(t) is ad.Zero or not dtypes.is_inexact(new_dtype):
        return out, ad.Zero(ad.tangent_aval(get_aval(out)))
    return out, convert_element_type_p.bind(t, new_dtype=new_dtype, weak_type=weak_type)


def _convert_element_type_transpose(ct, x, *, new_dtype, weak_type):
    if type(ct) is ad.Zero:
        return [ad.Zero(ad.tangent_aval(x.aval))]
    old = x.aval.dtype
    if dtypes.is_complex(new_dtype) and not dtypes.is_complex(old):
        ct = real(ct)
    return [convert_element_type_p.bind(ct, new_dtype=old, weak_type=x.aval.weak_type)]


ad.jvp_rules[convert_element_type_p] = _convert_element_type_jvp
ad.transpose_rules[convert_element_type_p] = _convert_element_type_transpose


def bitcast_convert_type(operand, new_dtype):
    """Reinterprets the bits as ``new_dtype``; a narrower type adds a trailing dimension, a wider
    one consumes it: ``stablehlo.bitcast_convert``."""
    new_dtype = dtypes.dtype(new_dtype)
    return bitcast_convert_type_p.bind(operand, new_dtype=new_dtype)


bitcast_convert_type_p = Primitive("bitcast_convert_type")


def _bitcast_convert_type_batch(args, dims, *, new_dtype):
    (x,), (d,) = args, dims
    aval = get_aval(x)
    if d == aval.ndim - 1 and new_dtype.itemsize > aval.dtype.itemsize:
        x, d = batching.moveaxis(x, d, 0), 0  # the trailing dimension is consumed
    return bitcast_convert_type_p.bind(x, new_dtype=new_dtype), d


batching.batch_rules[bitcast_convert_type_p] = _bitcast_convert_type_batch


@bitcast_convert_type_p.def_abstract_eval
def _bitcast_convert_type_abstract_eval(operand: ShapedArray, *, new_dtype) -> ShapedArray:
    dtypes.check_supported(new_dtype, "bitcast_convert_type")
    old, new = operand.dtype.itemsize, new_dtype.itemsize
    if dtypes.is_complex(operand.dtype) or dtypes.is_complex(new_dtype):
        raise XfrontTypeError(
            f"bitcast_convert_type does not convert complex types ({operand.dtype} -> "
            f"{new_dtype})")
    if old == new:
        shape = operand.shape
    elif old > new:
        shape = (*operand.shape, old // new)
    else:
        if not operand.shape or operand.shape[-1] != new // old:
            raise XfrontTypeError(
                f"bitcast_convert_type from {operand.dtype} to {new_dtype} needs a trailing "
                f"dimension of size {new // old}, got shape {operand.shape}")
        shape = operand.shape[:-1]
    return ShapedArray(shape, new_dtype, False)


ad.defjvp_zero(bitcast_convert_type_p)
