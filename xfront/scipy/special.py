"""``xfront.scipy.special``: SciPy's special functions over xfront arrays
(``jax.scipy.special``'s counterpart).

Everything here is a composite of ``xfront.lax`` and ``xfront.numpy``: arguments are promoted to
a floating dtype and broadcast like NumPy, and the functions run eagerly and under jit, grad and
vmap. Numerically delicate functions use stable forms and, where a derivative through the
implementation would be inaccurate or NaN (branches, the 0 * log 0 limits), a ``custom_jvp``
with the closed-form derivative, as JAX does.

Iterative algorithms without a primitive of their own (Miller's recurrence for Bessel J, the
series and continued fractions of the exponential integrals) are unrolled for a fixed number of
steps chosen so that float64 reaches full precision on the documented domain.
"""

from __future__ import annotations

import math
import operator
from fractions import Fraction

import numpy as np

from xfront import lax
from xfront import numpy as xnp
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, get_aval
from xfront.custom_derivatives import custom_jvp
from xfront.lax.elementwise import _const
from xfront.numpy._util import check_arraylike, ensure_traced, promote_args_inexact

__all__ = [
    "bernoulli",
    "bessel_jn",
    "beta",
    "betainc",
    "betaln",
    "boxcox",
    "boxcox1p",
    "comb",
    "dawsn",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp1",
    "expi",
    "expit",
    "expn",
    "factorial",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "kl_div",
    "log_ndtr",
    "log_softmax",
    "loggamma",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "poch",
    "polygamma",
    "rel_entr",
    "softmax",
    "spence",
    "xlog1py",
    "xlogy",
    "zeta",
]

_EULER = 0.57721566490153286061
_LOG_2PI = math.log(2 * math.pi)


def _promote(name: str, *args):
    """Float-promoted, broadcast arrays (never host scalars)."""
    return tuple(ensure_traced(a) for a in promote_args_inexact(name, *args))


def _real_only(name: str, *args):
    for a in args:
        if dtypes.is_complex(get_aval(a).dtype):
            raise XfrontTypeError(f"{name} does not support complex inputs, got "
                                  f"{get_aval(a).dtype}")


def _arrays(xs):
    """Custom JVP rules may be handed host scalars: make them arrays."""
    return tuple(xnp.asarray(x) for x in xs)


def _is_f64(x) -> bool:
    return get_aval(x).dtype == dtypes.float64


def _static_int(name: str, what: str, v) -> int:
    if isinstance(v, Tracer):
        raise XfrontTypeError(f"{name}: {what} must be a static Python int, got a traced "
                              "value (mark it static under jit)")
    try:
        return operator.index(v)
    except TypeError:
        raise XfrontTypeError(f"{name}: {what} must be an int, got {v!r}") from None


# ----------------------------------------------------------------------------------------------
# Gamma and beta functions.


def gammaln(x):
    """log|Gamma(x)| (scipy.special.gammaln)."""
    (x,) = _promote("gammaln", x)
    _real_only("gammaln", x)
    # SciPy's value at -inf (lgamma itself gives +inf there).
    return xnp.where(x == -np.inf, -np.inf, lax.lgamma(x)).astype(x.dtype)


def gammasgn(x):
    """The sign of Gamma(x): NaN at the poles (non-positive integers) and for NaN,
    -1 at -0 (scipy.special.gammasgn)."""
    (x,) = _promote("gammasgn", x)
    _real_only("gammasgn", x)
    floor_x = lax.floor(x)
    neg = x < 0
    odd = xnp.remainder(floor_x, 2.0) != 0
    minus = (neg & odd) | ((x == 0) & xnp.signbit(x))
    nan = (neg & (x == floor_x)) | xnp.isnan(x) | (x == -np.inf)
    return xnp.where(nan, np.nan, xnp.where(minus, -1.0, 1.0)).astype(x.dtype)


def gamma(x):
    """The gamma function, as gammasgn(x) * exp(gammaln(x)) (scipy.special.gamma)."""
    (x,) = _promote("gamma", x)
    _real_only("gamma", x)
    return gammasgn(x) * lax.exp(lax.lgamma(x))


def loggamma(x):
    """The principal branch of log Gamma: gammaln for x > 0, inf at 0, NaN for x < 0 real
    (scipy.special.loggamma; complex inputs are not supported yet)."""
    (x,) = _promote("loggamma", x)
    if dtypes.is_complex(x.dtype):
        raise NotImplementedError("loggamma of complex inputs is not supported yet")
    return xnp.where(x > 0, lax.lgamma(x), xnp.where(x == 0, np.inf, np.nan)).astype(x.dtype)


def digamma(x):
    """The digamma function psi(x) = d/dx log Gamma(x) (scipy.special.digamma)."""
    (x,) = _promote("digamma", x)
    _real_only("digamma", x)
    # The pole at 0 has the sign of the side it is approached from (-inf at +0, as SciPy).
    return xnp.where(x == 0, xnp.copysign(np.inf, -x), lax.digamma(x)).astype(x.dtype)


def polygamma(n, x):
    """The n-th derivative of digamma; ``n`` must be of an integer dtype
    (scipy.special.polygamma)."""
    check_arraylike("polygamma", n, x)
    n_dt = dtypes.dtype_and_weak_type(n)[0]
    if not dtypes.is_int(n_dt):
        raise XfrontTypeError(f"polygamma: n must be of an integer dtype, got {n_dt}")
    n, x = _promote("polygamma", n, x)
    out = lax.polygamma(n, x)
    # digamma's pole at 0 and the vanishing higher derivatives at +inf, as SciPy.
    out = xnp.where((n == 0) & (x == 0), xnp.copysign(np.inf, -x), out)
    return xnp.where((n >= 1) & (x == np.inf), 0.0, out).astype(x.dtype)


def _lgamma_correction(z):
    """lgamma(z) - ((z - 1/2) log z - z + log(2 pi) / 2) for z >= 8 (Stirling's series)."""
    inv = 1.0 / z
    inv2 = inv * inv
    coeffs = (1 / 12, -1 / 360, 1 / 1260, -1 / 1680, 1 / 1188, -691 / 360360, 1 / 156)
    acc = xnp.zeros_like(z) + coeffs[-1]
    for c in reversed(coeffs[:-1]):
        acc = acc * inv2 + c
    return acc * inv


def betaln(a, b):
    """log|B(a, b)|; for positive a, b with max(a, b) >= 8, the large argument's log-gamma
    difference is computed from Stirling's series without cancellation
    (scipy.special.betaln)."""
    a, b = _promote("betaln", a, b)
    _real_only("betaln", a, b)
    lo, hi = xnp.minimum(a, b), xnp.maximum(a, b)
    plain = lax.lgamma(a) + lax.lgamma(b) - lax.lgamma(a + b)
    use_series = (lo > 0) & (hi >= 8)
    hs = xnp.where(use_series, hi, 8.0)
    ls = xnp.where(use_series, lo, 1.0)
    s = ls + hs
    # lgamma(hi) - lgamma(lo + hi) = (hi - 1/2) log(hi / s) - lo log s + lo + corr(hi) - corr(s)
    diff = ((hs - 0.5) * xnp.log1p(-ls / s) - ls * xnp.log(s) + ls
            + _lgamma_correction(hs) - _lgamma_correction(s))
    out = xnp.where(use_series, lax.lgamma(ls) + diff, plain)
    # B(a, inf) = 0 for a > 0 (the difference of infinite log-gammas above is NaN); the pole
    # at a == 0 or b == 0 (SciPy's inf, whatever the other argument).
    out = xnp.where((lo > 0) & (hi == np.inf) & (lo < np.inf), -np.inf, out)
    return xnp.where((a == 0) | (b == 0), np.inf, out).astype(out.dtype)


def beta(a, b):
    """The beta function Gamma(a) Gamma(b) / Gamma(a + b) (scipy.special.beta)."""
    a, b = _promote("beta", a, b)
    _real_only("beta", a, b)
    sign = gammasgn(a) * gammasgn(b) * gammasgn(a + b)
    out = sign * xnp.exp(betaln(a, b))
    return xnp.where((a == 0) | (b == 0), np.inf, out).astype(out.dtype)


def betainc(a, b, x):
    """The regularized incomplete beta function I_x(a, b) (scipy.special.betainc;
    differentiable in x)."""
    a, b, x = _promote("betainc", a, b, x)
    _real_only("betainc", a, b, x)
    return lax.betainc(a, b, x)


def gammainc(a, x):
    """The regularized lower incomplete gamma function P(a, x) (scipy.special.gammainc)."""
    a, x = _promote("gammainc", a, x)
    _real_only("gammainc", a, x)
    return lax.igamma(a, x)


def gammaincc(a, x):
    """The regularized upper incomplete gamma function Q(a, x) (scipy.special.gammaincc)."""
    a, x = _promote("gammaincc", a, x)
    _real_only("gammaincc", a, x)
    return lax.igammac(a, x)


def factorial(n, exact: bool = False):
    """n! as Gamma(n + 1); 0 for n < 0 (scipy.special.factorial; ``exact=True`` is not
    supported: results are floating point)."""
    if exact:
        raise NotImplementedError("factorial with exact=True is not supported (no arbitrary-"
                                  "precision integers)")
    (n,) = _promote("factorial", n)
    _real_only("factorial", n)
    return xnp.where(n < 0, 0.0, lax.exp(lax.lgamma(n + 1.0))).astype(n.dtype)


def comb(N, k, *, repetition: bool = False):
    """The binomial coefficient N choose k as a float, through gammaln; 0 when k > N, N < 0 or
    k < 0 (scipy.special.comb with exact=False)."""
    N, k = _promote("comb", N, k)
    _real_only("comb", N, k)
    if repetition:
        out = comb(N + k - 1, k)
        return xnp.where((k == 0) & (N >= 0), 1.0, out).astype(out.dtype)
    ok = (k <= N) & (N >= 0) & (k >= 0)
    safe_n = xnp.where(ok, N, 1.0)
    safe_k = xnp.where(ok, k, 0.0)
    val = xnp.exp(lax.lgamma(safe_n + 1) - lax.lgamma(safe_k + 1)
                  - lax.lgamma(safe_n - safe_k + 1))
    return xnp.where(ok, val, 0.0).astype(val.dtype)


def poch(z, m):
    """The Pochhammer symbol Gamma(z + m) / Gamma(z); 1 when m == 0 (scipy.special.poch).

    At the poles of Gamma: 0 when only z is a pole; when z and z + m both are (m is then an
    integer), the limit (-1)^m Gamma(1 - z) / Gamma(1 - z - m) from the reflection formula;
    inf when only z + m is.
    """
    z, m = _promote("poch", z, m)
    _real_only("poch", z, m)
    zm = z + m
    z_pole = (z <= 0) & (z == xnp.floor(z))
    zm_pole = (zm <= 0) & (zm == xnp.floor(zm))
    regular = ~z_pole & ~zm_pole
    zs = xnp.where(regular, z, 1.0)
    zms = xnp.where(regular, zm, 1.0)
    val = gammasgn(zms) * gammasgn(zs) * xnp.exp(lax.lgamma(zms) - lax.lgamma(zs))
    # Both poles: z and m are integers, 1 - z >= 1 and 1 - z - m >= 1.
    both = z_pole & zm_pole
    zr = xnp.where(both, 1.0 - z, 1.0)
    zmr = xnp.where(both, 1.0 - zm, 1.0)
    m_odd = xnp.remainder(xnp.where(both, m, 0.0), 2.0) != 0
    reflected = (xnp.where(m_odd, -1.0, 1.0)
                 * xnp.exp(lax.lgamma(zr) - lax.lgamma(zmr)))
    val = xnp.where(both, reflected, xnp.where(z_pole, 0.0, xnp.where(zm_pole, np.inf, val)))
    val = xnp.where(z == np.inf, xnp.where(m > 0, np.inf, 0.0), val)
    val = xnp.where(xnp.isnan(z) | xnp.isnan(m), np.nan, val)
    return xnp.where(m == 0, 1.0, val).astype(val.dtype)


def multigammaln(a, d):
    """The log of the multivariate gamma function of dimension ``d`` (a static int):
    sum_j gammaln(a - j/2) + d (d-1)/4 log(pi) (scipy.special.multigammaln)."""
    d = _static_int("multigammaln", "d", d)
    if d < 1:
        raise XfrontValueError(f"multigammaln: d must be a positive integer, got {d}")
    (a,) = _promote("multigammaln", a)
    _real_only("multigammaln", a)
    total = xnp.zeros_like(a) + d * (d - 1) / 4 * math.log(math.pi)
    for j in range(d):
        total = total + lax.lgamma(a - j / 2)
    return total


def _bernoulli_fractions(n: int) -> list:
    """B_0 .. B_n (B_1 = -1/2) by the Akiyama-Tanigawa algorithm, exactly."""
    out, row = [], []
    for m in range(n + 1):
        row.append(Fraction(1, m + 1))
        for j in range(m, 0, -1):
            row[j - 1] = j * (row[j - 1] - row[j])
        out.append(row[0])
    if n >= 1:
        out[1] = -out[1]
    return out


def bernoulli(n):
    """The Bernoulli numbers B_0 .. B_n (with B_1 = -1/2), for a static int ``n``
    (scipy.special.bernoulli)."""
    n = _static_int("bernoulli", "n", n)
    if n < 0:
        raise XfrontValueError(f"bernoulli: n must be a non-negative integer, got {n}")
    vals = np.array([float(f) for f in _bernoulli_fractions(n)], np.float64)
    return xnp.asarray(vals, dtype=dtypes.default_float_dtype())


# ----------------------------------------------------------------------------------------------
# Error functions and the normal distribution.


def erf(x):
    """The error function (scipy.special.erf)."""
    (x,) = _promote("erf", x)
    _real_only("erf", x)
    return lax.erf(x)


def erfc(x):
    """The complementary error function 1 - erf(x), accurate for large x
    (scipy.special.erfc)."""
    (x,) = _promote("erfc", x)
    _real_only("erfc", x)
    return lax.erfc(x)


def erfinv(x):
    """The inverse error function (scipy.special.erfinv)."""
    (x,) = _promote("erfinv", x)
    _real_only("erfinv", x)
    return lax.erf_inv(x)


@custom_jvp
def _erfcx(x):
    f64 = _is_f64(x)
    switch = 8.0 if f64 else 4.0
    terms = 30 if f64 else 16
    big = x >= switch
    xs = xnp.where(big, switch, x)
    direct = xnp.exp(xs * xs) * lax.erfc(xs)
    # exp(x^2) erfc(x) ~ 1 / (x sqrt(pi)) * sum_k (-1)^k (2k-1)!! / (2x^2)^k
    xl = xnp.where(big, x, switch)
    inv2 = 1.0 / (2.0 * xl * xl)
    term = xnp.ones_like(xl)
    total = xnp.ones_like(xl)
    for k in range(1, terms):
        term = term * (-(2 * k - 1)) * inv2
        total = total + term
    asym = total / (xl * math.sqrt(math.pi))
    return xnp.where(big, asym, direct)


@_erfcx.defjvp
def _erfcx_jvp(primals, tangents):
    (x,), (t,) = _arrays(primals), tangents
    y = _erfcx(x)
    return y, t * (2.0 * x * y - 2.0 / math.sqrt(math.pi))


def erfcx(x):
    """The scaled complementary error function exp(x^2) erfc(x), accurate for large x
    (scipy.special.erfcx)."""
    (x,) = _promote("erfcx", x)
    _real_only("erfcx", x)
    return _erfcx(x)


def ndtr(x):
    """The standard normal CDF (scipy.special.ndtr), from erf near 0 and erfc in the tails."""
    (x,) = _promote("ndtr", x)
    _real_only("ndtr", x)
    half_sqrt2 = 1 / math.sqrt(2)
    w = x * half_sqrt2
    z = xnp.abs(w)
    tail = xnp.where(w > 0, 1.0 - 0.5 * lax.erfc(z), 0.5 * lax.erfc(z))
    return xnp.where(z < half_sqrt2, 0.5 + 0.5 * lax.erf(w), tail)


def _log_ndtr_bounds(x):
    return (-20.0, 8.0) if _is_f64(x) else (-10.0, 5.0)  # JAX's switch points


def _log_ndtr_asymptotic(x, series_order: int):
    # log Phi(x) = -x^2/2 - log(-x) - log(2 pi)/2 + log(1 + sum_n (-1)^n (2n-1)!! / x^(2n))
    x2 = x * x
    total = xnp.zeros_like(x)
    inv = xnp.ones_like(x)
    double_fact = 1
    for n in range(1, series_order + 1):
        double_fact *= 2 * n - 1
        inv = inv / x2
        total = total + ((-1) ** n) * double_fact * inv
    return -0.5 * x2 - xnp.log(-x) - 0.5 * _LOG_2PI + xnp.log1p(total)


def _log_ndtr_impl(x, series_order):
    # x > 0: log1p(-Phi(-x)) (Phi(x) is too close to 1 to take its log); lower < x <= 0:
    # log(Phi(x)); x <= lower: the asymptotic series (Phi underflows).
    lower, _ = _log_ndtr_bounds(x)
    x_hi = xnp.where(x > 0, x, 0.0)
    x_mid = xnp.clip(x, lower, 0.0)
    x_lo = xnp.where(x < lower, x, lower)
    hi = xnp.log1p(-ndtr(-x_hi))
    mid = xnp.log(ndtr(x_mid))
    lo = _log_ndtr_asymptotic(x_lo, series_order)
    out = xnp.where(x > 0, hi, xnp.where(x > lower, mid, lo))
    return xnp.where(xnp.isnan(x), x, out)


_log_ndtr_cache: dict = {}


def _log_ndtr_fn(series_order: int):
    fn = _log_ndtr_cache.get(series_order)
    if fn is None:
        @custom_jvp
        def fn(x):
            return _log_ndtr_impl(x, series_order)

        @fn.defjvp
        def _jvp(primals, tangents):
            (x,), (t,) = _arrays(primals), tangents
            y = fn(x)
            return y, t * xnp.exp(-0.5 * x * x - y - 0.5 * _LOG_2PI)

        _log_ndtr_cache[series_order] = fn
    return fn


def log_ndtr(x, series_order: int = 3):
    """log of the standard normal CDF, accurate far into both tails (an asymptotic series of
    ``series_order`` terms below -20 in float64, -10 in float32) (scipy.special.log_ndtr)."""
    series_order = _static_int("log_ndtr", "series_order", series_order)
    if not 0 <= series_order <= 30:
        raise XfrontValueError(f"log_ndtr: series_order must be in [0, 30], got "
                               f"{series_order}")
    (x,) = _promote("log_ndtr", x)
    _real_only("log_ndtr", x)
    return _log_ndtr_fn(series_order)(x)


@custom_jvp
def _ndtri(p):
    # A rational first guess (Hastings; error < 4.5e-4) refined by Newton steps on
    # log Phi(x) = log q, which converge quadratically in both tails.
    q = xnp.minimum(p, 1.0 - p)
    q_safe = xnp.clip(q, float(dtypes.finfo(p.dtype).tiny), 0.5)
    t = xnp.sqrt(-2.0 * xnp.log(q_safe))
    num = 2.515517 + t * (0.802853 + t * 0.010328)
    den = 1.0 + t * (1.432788 + t * (0.189269 + t * 0.001308))
    x = -(t - num / den)
    log_q = xnp.log(q_safe)
    log_ndtr10 = _log_ndtr_fn(10)
    for _ in range(4):
        lp = log_ndtr10(x)
        # d/dx log Phi = phi(x) / Phi(x)
        dlp = xnp.exp(-0.5 * x * x - 0.5 * _LOG_2PI - lp)
        x = x - (lp - log_q) / dlp
    x = xnp.where(p > 0.5, -x, x)
    x = xnp.where(q == 0.5, 0.0, x)
    x = xnp.where(p == 0, -np.inf, xnp.where(p == 1, np.inf, x))
    return xnp.where((p < 0) | (p > 1) | xnp.isnan(p), np.nan, x)


@_ndtri.defjvp
def _ndtri_jvp(primals, tangents):
    (p,), (t,) = _arrays(primals), tangents
    x = _ndtri(p)
    return x, t * xnp.exp(0.5 * x * x + 0.5 * _LOG_2PI)


def ndtri(p):
    """The inverse of the standard normal CDF (scipy.special.ndtri)."""
    (p,) = _promote("ndtri", p)
    _real_only("ndtri", p)
    return _ndtri(p)


# ----------------------------------------------------------------------------------------------
# Logistic, entropy and log-sum-exp.


def expit(x):
    """The logistic sigmoid 1 / (1 + exp(-x)) (scipy.special.expit)."""
    (x,) = _promote("expit", x)
    return lax.logistic(x)


@custom_jvp
def _logit(x):
    return lax.log(lax.div(x, lax.sub(_const(x, 1.0), x)))


@_logit.defjvp
def _logit_jvp(primals, tangents):
    (x,), (t,) = _arrays(primals), tangents
    return _logit(x), t / (x * (1.0 - x))


def logit(x):
    """log(x / (1 - x)), the inverse of expit (scipy.special.logit)."""
    (x,) = _promote("logit", x)
    return _logit(x)


@custom_jvp
def _xlogy(x, y):
    return xnp.where((x != 0) | xnp.isnan(y), x * xnp.log(y), 0.0).astype(x.dtype)


@_xlogy.defjvp
def _xlogy_jvp(primals, tangents):
    (x, y), (tx, ty) = _arrays(primals), tangents
    out = _xlogy(x, y)
    return out, (tx * xnp.log(y) + ty * x / y).astype(out.dtype)


def xlogy(x, y):
    """x * log(y), defined as 0 where x == 0 (also for y == 0) (scipy.special.xlogy)."""
    x, y = _promote("xlogy", x, y)
    return _xlogy(x, y)


@custom_jvp
def _xlog1py(x, y):
    return xnp.where((x != 0) | xnp.isnan(y), x * xnp.log1p(y), 0.0).astype(x.dtype)


@_xlog1py.defjvp
def _xlog1py_jvp(primals, tangents):
    (x, y), (tx, ty) = _arrays(primals), tangents
    out = _xlog1py(x, y)
    return out, (tx * xnp.log1p(y) + ty * x / (1.0 + y)).astype(out.dtype)


def xlog1py(x, y):
    """x * log1p(y), defined as 0 where x == 0 (scipy.special.xlog1py)."""
    x, y = _promote("xlog1py", x, y)
    return _xlog1py(x, y)


@custom_jvp
def _xlogx(x):
    return _xlogy(x, x)


@_xlogx.defjvp
def _xlogx_jvp(primals, tangents):
    (x,), (t,) = _arrays(primals), tangents
    return _xlogx(x), t * (xnp.log(x) + 1.0)


def entr(x):
    """The elementwise entropy -x log x (0 at 0, -inf for x < 0) (scipy.special.entr)."""
    (x,) = _promote("entr", x)
    _real_only("entr", x)
    # x log x is 0 at 0, and its derivative there (log 0 + 1) makes d entr/dx = +inf, as JAX.
    return xnp.where(x < 0, -np.inf, 0.0 - _xlogx(x)).astype(x.dtype)


def _kl_terms(p, q):
    """(p > 0 and q > 0, p log(p / q) there) with safe values elsewhere. Where p and q are
    close, log(p / q) is log1p((p - q) / q) (p - q is then exact), which keeps the precision
    that p log p - p log q or a rounded ratio lose."""
    both = (p > 0) & (q > 0)
    safe_p = xnp.where(both, p, 1.0)
    safe_q = xnp.where(both, q, 1.0)
    far = safe_p < 0.5 * safe_q
    log_ratio = xnp.where(far, xnp.log(safe_p / safe_q),
                          xnp.log1p((safe_p - safe_q) / safe_q))
    return both, safe_p * log_ratio


def _kl_select(p, q, both, val, at_zero_p):
    zero_p = (p == 0) & (q >= 0)
    out = xnp.where(both, val, xnp.where(zero_p, at_zero_p, np.inf))
    return xnp.where(xnp.isnan(p) | xnp.isnan(q), np.nan, out).astype(p.dtype)


def kl_div(p, q):
    """p log(p/q) - p + q elementwise; q where p == 0 and q >= 0; inf otherwise; NaN for NaN
    inputs (scipy.special.kl_div)."""
    p, q = _promote("kl_div", p, q)
    _real_only("kl_div", p, q)
    both, val = _kl_terms(p, q)
    return _kl_select(p, q, both, val - p + q, q)


def rel_entr(p, q):
    """p log(p/q) elementwise; 0 where p == 0 and q >= 0; inf otherwise; NaN for NaN inputs
    (scipy.special.rel_entr)."""
    p, q = _promote("rel_entr", p, q)
    _real_only("rel_entr", p, q)
    both, val = _kl_terms(p, q)
    return _kl_select(p, q, both, val, 0.0)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False,
              where=None):
    """log(sum(b * exp(a))) over ``axis``, computed stably by shifting by the maximum
    (scipy.special.logsumexp). With ``return_sign``, returns (log|sum|, sign); otherwise a
    negative sum gives NaN. ``where`` masks the reduction."""
    check_arraylike("logsumexp", a)
    if b is not None:
        a, b = _promote("logsumexp", a, b)
        a = xnp.where(b != 0, a, -np.inf).astype(a.dtype)
    else:
        (a,) = _promote("logsumexp", a)
    _real_only("logsumexp", a)
    amax = xnp.max(a, axis=axis, keepdims=True, where=where, initial=-np.inf)
    amax = lax.stop_gradient(xnp.where(xnp.isfinite(amax), amax, 0.0).astype(a.dtype))
    exp_a = xnp.exp(a - amax)
    if b is not None:
        exp_a = exp_a * b
    total = xnp.sum(exp_a, axis=axis, keepdims=keepdims, where=where)
    sign = xnp.sign(total)
    shift = amax if keepdims else xnp.squeeze(amax, axis=axis)
    out = xnp.log(xnp.abs(total)) + shift
    if return_sign:
        return out, sign
    if b is not None:
        out = xnp.where(sign < 0, np.nan, out).astype(out.dtype)
    return out


def softmax(x, axis=-1):
    """exp(x) / sum(exp(x)) along ``axis`` (scipy.special.softmax)."""
    (x,) = _promote("softmax", x)
    unnormalized = xnp.exp(x - lax.stop_gradient(xnp.max(x, axis=axis, keepdims=True)))
    return unnormalized / xnp.sum(unnormalized, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    """x - logsumexp(x) along ``axis``, stably (scipy.special.log_softmax)."""
    (x,) = _promote("log_softmax", x)
    shifted = x - lax.stop_gradient(xnp.max(x, axis=axis, keepdims=True))
    return shifted - xnp.log(xnp.sum(xnp.exp(shifted), axis=axis, keepdims=True))


def boxcox(x, lmbda):
    """The Box-Cox transform (x^lmbda - 1) / lmbda, log(x) at lmbda == 0
    (scipy.special.boxcox)."""
    x, lmbda = _promote("boxcox", x, lmbda)
    _real_only("boxcox", x, lmbda)
    return _boxcox_from_log(xnp.log(x), lmbda)


def boxcox1p(x, lmbda):
    """The Box-Cox transform of 1 + x (scipy.special.boxcox1p)."""
    x, lmbda = _promote("boxcox1p", x, lmbda)
    _real_only("boxcox1p", x, lmbda)
    return _boxcox_from_log(xnp.log1p(x), lmbda)


def _boxcox_from_log(log_x, lmbda):
    zero = lmbda == 0
    safe = xnp.where(zero, 1.0, lmbda).astype(lmbda.dtype)
    return xnp.where(zero, log_x, xnp.expm1(safe * log_x) / safe)


# ----------------------------------------------------------------------------------------------
# Bessel functions.


def i0e(x):
    """exp(-|x|) I0(x) (scipy.special.i0e)."""
    (x,) = _promote("i0e", x)
    _real_only("i0e", x)
    return lax.bessel_i0e(x)


def i0(x):
    """The modified Bessel function of order 0 (scipy.special.i0)."""
    (x,) = _promote("i0", x)
    _real_only("i0", x)
    return xnp.exp(xnp.abs(x)) * lax.bessel_i0e(x)


def i1e(x):
    """exp(-|x|) I1(x) (scipy.special.i1e)."""
    (x,) = _promote("i1e", x)
    _real_only("i1e", x)
    return lax.bessel_i1e(x)


def i1(x):
    """The modified Bessel function of order 1 (scipy.special.i1)."""
    (x,) = _promote("i1", x)
    _real_only("i1", x)
    return xnp.exp(xnp.abs(x)) * lax.bessel_i1e(x)


def _bessel_jn_impl(z, v: int, n_iter: int):
    zero = z == 0
    zs = xnp.where(zero, 1.0, z).astype(z.dtype)
    f_next = xnp.zeros_like(zs)  # f_{k+1}
    f = xnp.full_like(zs, 1e-30)  # f_k, k = n_iter
    norm = xnp.zeros_like(zs)
    outs: dict[int, object] = {}
    big = 1e10
    for k in range(n_iter, 0, -1):
        if k % 2 == 0:
            norm = norm + 2.0 * f
        if k <= v:
            outs[k] = f
        f_prev = (2.0 * k / zs) * f - f_next
        f_next, f = f, f_prev
        # Rescale to avoid overflow (everything is divided by the normalization at the end).
        scale = xnp.where(xnp.abs(f) > big, 1.0 / big, 1.0).astype(zs.dtype)
        f, f_next, norm = f * scale, f_next * scale, norm * scale
        outs = {j: o * scale for j, o in outs.items()}
    outs[0] = f
    norm = norm + f
    rows = []
    for j in range(v + 1):
        val = outs[j] / norm
        rows.append(xnp.where(zero, 1.0 if j == 0 else 0.0, val).astype(z.dtype))
    return xnp.stack(rows)


_bessel_jn_cache: dict = {}


def _bessel_jn_fn(v: int, n_iter: int):
    # The derivative comes from J_n' = (J_{n-1} - J_{n+1}) / 2 (J_0' = -J_1), not from
    # differentiating the unrolled recurrence: XLA fuses that derivative into a kernel that
    # recomputes shared terms exponentially often.
    fn = _bessel_jn_cache.get((v, n_iter))
    if fn is None:
        @custom_jvp
        def fn(z):
            return _bessel_jn_impl(z, v, n_iter)

        @fn.defjvp
        def _jvp(primals, tangents):
            (z,), (t,) = _arrays(primals), tangents
            js = _bessel_jn_fn(v + 1, n_iter)(z)  # itself differentiable in closed form
            lower = xnp.concatenate([-js[1:2], js[:v]], axis=0)  # J_{-1} = -J_1
            deriv = 0.5 * (lower - js[1:v + 2])
            return js[:v + 1], deriv * t

        _bessel_jn_cache[(v, n_iter)] = fn
    return fn


def bessel_jn(z, *, v: int, n_iter: int = 50):
    """Bessel functions of the first kind J_0(z) .. J_v(z), stacked on a new leading axis, by
    Miller's backward recurrence from order ``n_iter`` (accurate for |z| well below
    ``n_iter``) normalized with J_0 + 2 sum_k J_2k = 1 (``jax.scipy.special.bessel_jn``)."""
    v = _static_int("bessel_jn", "v", v)
    n_iter = _static_int("bessel_jn", "n_iter", n_iter)
    if v < 0:
        raise XfrontValueError(f"bessel_jn: v must be non-negative, got {v}")
    if n_iter <= v + 2:
        raise XfrontValueError(f"bessel_jn: n_iter ({n_iter}) must exceed v + 2 ({v + 2})")
    (z,) = _promote("bessel_jn", z)
    _real_only("bessel_jn", z)
    return _bessel_jn_fn(v, n_iter)(z)


# ----------------------------------------------------------------------------------------------
# Dawson's integral and the exponential integrals.


@custom_jvp
def _dawsn(x):
    # Rybicki's sampling formula D(x) ~ (1/sqrt(pi)) sum_{n odd} exp(-(x - n h)^2) / n,
    # shifted by an even multiple n0 of h near x/h so few terms matter; error ~exp(-(pi/2h)^2).
    f64 = _is_f64(x)
    h, m_max = (0.25, 27) if f64 else (0.4, 11)
    # Beyond `far` the asymptotic series 1/(2x) sum_k (2k-1)!! / (2x^2)^k (the sampling sum
    # loses precision when x / h is large).
    far = 50.0 if f64 else 10.0
    big = xnp.abs(x) > far
    ax = xnp.where(big, 1.0, xnp.abs(x))
    n0 = 2.0 * xnp.round(ax / (2.0 * h))
    xp = ax - n0 * h
    total = xnp.zeros_like(ax)
    for m in range(-m_max, m_max + 1, 2):
        total = total + xnp.exp(-(xp - m * h) ** 2) / (n0 + m)
    out = total / math.sqrt(math.pi)
    # Near 0: the Taylor series x - 2x^3/3 + 4x^5/15 - 8x^7/105.
    x2 = ax * ax
    taylor = ax * (1.0 - x2 * (2 / 3 - x2 * (4 / 15 - x2 * (8 / 105 - x2 * 16 / 945))))
    out = xnp.where(ax < (0.01 if f64 else 0.1), taylor, out)
    xl = xnp.where(big, xnp.abs(x), far)
    inv2 = 1.0 / (2.0 * xl * xl)
    term = xnp.ones_like(xl)
    asym = xnp.ones_like(xl)
    for k in range(1, 8):
        term = term * (2 * k - 1) * inv2
        asym = asym + term
    out = xnp.where(big, asym / (2.0 * xl), out)
    return xnp.sign(x) * out


@_dawsn.defjvp
def _dawsn_jvp(primals, tangents):
    (x,), (t,) = _arrays(primals), tangents
    y = _dawsn(x)
    return y, t * (1.0 - 2.0 * x * y)


def dawsn(x):
    """Dawson's integral exp(-x^2) int_0^x exp(t^2) dt (scipy.special.dawsn)."""
    (x,) = _promote("dawsn", x)
    _real_only("dawsn", x)
    return _dawsn(x)


def _expn_series(n, x, terms: int):
    """E_n(x) for small x > 0, n >= 1 (Abramowitz & Stegun 5.1.12)."""
    # (-x)^(n-1) / (n-1)! (psi(n) - log x) - sum_{k != n-1} (-x)^k / ((k - n + 1) k!)
    nm1 = n - 1.0
    lead_mag = xnp.exp(nm1 * xnp.log(x) - lax.lgamma(n))
    lead_sign = 1.0 - 2.0 * xnp.remainder(nm1, 2.0)
    lead = lead_sign * lead_mag * (lax.digamma(n) - xnp.log(x))
    total = xnp.zeros_like(x)
    term = xnp.ones_like(x)  # (-x)^k / k!
    for k in range(terms):
        if k:
            term = term * (-x) / k
        denom = k - nm1
        safe = xnp.where(denom == 0, 1.0, denom)
        total = total + xnp.where(denom == 0, 0.0, term / safe)
    return lead - total


def _expn_fraction(n, x, steps: int):
    """E_n(x) for x >= 1 by its continued fraction (modified Lentz, fixed steps)."""
    tiny = 1e-300 if _is_f64(x) else 1e-30
    b = x + n
    c = xnp.full_like(x, 1.0 / tiny)
    d = 1.0 / b
    h = d
    for i in range(1, steps + 1):
        an = -i * (n - 1.0 + i)
        b = b + 2.0
        d = 1.0 / (an * d + b)
        c = b + an / c
        h = h * c * d
    return h * xnp.exp(-x)


def _expn_impl(n, x):
    f64 = _is_f64(x)
    # The series cancels (|terms| up to e^x), the fraction converges slowly near 0.
    switch, series_terms, steps = (2.0, 30, 50) if f64 else (1.0, 20, 32)
    n_pos = xnp.maximum(n, 1.0)
    small = x < switch
    xs = xnp.where(small & (x > 0), x, 1.0)
    xf = xnp.where(small, switch, x)
    val = xnp.where(small, _expn_series(n_pos, xs, series_terms), _expn_fraction(n_pos, xf,
                                                                                  steps))
    e0 = xnp.exp(-x) / x
    val = xnp.where(n == 0, e0, val)
    at_zero = xnp.where(n > 1, 1.0 / xnp.maximum(n - 1.0, 1.0), np.inf)
    val = xnp.where(x == 0, at_zero, val)
    bad = (x < 0) | (n < 0) | (n != xnp.floor(n)) | xnp.isnan(x) | xnp.isnan(n)
    val = xnp.where(x == np.inf, 0.0, val)
    return xnp.where(bad, np.nan, val).astype(x.dtype)


def _expn_fn():
    @custom_jvp
    def f(n, x):
        return _expn_impl(n, x)

    @f.defjvp
    def _jvp(primals, tangents):
        (n, x), (_, t) = _arrays(primals), tangents
        y = f(n, x)
        # d/dx E_n = -E_{n-1}; E_0 = exp(-x)/x.
        return y, -t * _expn_impl(xnp.maximum(n - 1.0, 0.0), x)

    return f


_expn = _expn_fn()


def expn(n, x):
    """The generalized exponential integral E_n(x) = int_1^inf exp(-x t) / t^n dt for integer
    n >= 0 and x >= 0 (scipy.special.expn). Differentiable in x."""
    n, x = _promote("expn", n, x)
    _real_only("expn", n, x)
    return _expn(lax.stop_gradient(n), x)


def exp1(x):
    """The exponential integral E_1(x) for x >= 0 (scipy.special.exp1)."""
    (x,) = _promote("exp1", x)
    _real_only("exp1", x)
    return _expn(xnp.ones_like(x), x)


@custom_jvp
def _expi(x):
    f64 = _is_f64(x)
    switch, terms, asym_terms = (40.0, 120, 40) if f64 else (20.0, 60, 20)
    pos = x > 0
    # x > 0, small: Ei(x) = gamma + log x + sum_k x^k / (k k!) (positive terms).
    xs = xnp.where(pos & (x <= switch), x, 1.0)
    term = xnp.ones_like(xs)
    total = xnp.zeros_like(xs)
    for k in range(1, terms + 1):
        term = term * xs / k  # x^k / k!
        total = total + term / k
    series = _EULER + xnp.log(xs) + total
    # x > 0, large: Ei(x) ~ exp(x)/x sum_k k! / x^k.
    xl = xnp.where(x > switch, x, switch + 1.0)
    t2 = xnp.ones_like(xl)
    tot2 = xnp.ones_like(xl)
    for k in range(1, asym_terms):
        t2 = t2 * k / xl
        tot2 = tot2 + t2
    asym = xnp.exp(xl) / xl * tot2
    # x < 0: Ei(x) = -E_1(-x).
    xn = xnp.where(pos, 1.0, -x)
    neg = -_expn_impl(xnp.ones_like(xn), xn)
    out = xnp.where(x > switch, asym, xnp.where(pos, series, neg))
    out = xnp.where(x == np.inf, np.inf, out)
    return xnp.where(x == 0, -np.inf, out)


@_expi.defjvp
def _expi_jvp(primals, tangents):
    (x,), (t,) = _arrays(primals), tangents
    return _expi(x), t * xnp.exp(x) / x


def expi(x):
    """The exponential integral Ei(x) (scipy.special.expi)."""
    (x,) = _promote("expi", x)
    _real_only("expi", x)
    return _expi(x)


# ----------------------------------------------------------------------------------------------
# Spence's function and zeta.


def _dilog_bernoulli_coeffs(n: int):
    """B_k / (k + 1)! for the series Li2(z) = sum_k B_k u^(k+1) / (k+1)!, u = -log(1 - z)."""
    bs = _bernoulli_fractions(n)
    return [float(b / math.factorial(k + 1)) for k, b in enumerate(bs)]


_DILOG_COEFFS = _dilog_bernoulli_coeffs(36)


def _dilog_small(w):
    """Li2(w) for -1 <= w <= 1/2 (|log(1 - w)| <= log 2)."""
    u = -xnp.log1p(-w)
    acc = xnp.zeros_like(u) + _DILOG_COEFFS[-1]
    for c in reversed(_DILOG_COEFFS[:-1]):
        acc = acc * u + c
    return acc * u


@custom_jvp
def _spence(x):
    # spence(x) = Li2(1 - x). Reduce to |log(1 - w)| <= log 2:
    #   0 <= x < 1/2:  Li2(w) = pi^2/6 - log(w) log(x) - Li2(x)        (w = 1 - x > 1/2)
    #   1/2 <= x <= 2: Li2(w) directly                                  (w in [-1, 1/2])
    #   x > 2:         Li2(w) = -pi^2/6 - log(-w)^2 / 2 - Li2(1/w)      (1/w in (-1, 0))
    pi2_6 = math.pi ** 2 / 6
    low = x < 0.5
    high = x > 2.0
    xm = xnp.clip(x, 0.5, 2.0)
    mid = _dilog_small(1.0 - xm)
    xl = xnp.where(low & (x > 0), x, 0.25)
    lo = pi2_6 - xnp.log1p(-xl) * xnp.log(xl) - _dilog_small(xl)
    xh = xnp.where(high, x, 4.0)
    w = 1.0 - xh
    hi = -pi2_6 - 0.5 * xnp.log(-w) ** 2 - _dilog_small(1.0 / w)
    out = xnp.where(low, lo, xnp.where(high, hi, mid))
    out = xnp.where(x == 0, pi2_6, out)
    # NaN at +inf too, as SciPy.
    bad = (x < 0) | xnp.isnan(x) | (x == np.inf)
    return xnp.where(bad, np.nan, out).astype(x.dtype)


@_spence.defjvp
def _spence_jvp(primals, tangents):
    (x,), (t,) = _arrays(primals), tangents
    one = x == 1
    d = xnp.where(one, -1.0, xnp.log(x) / (1.0 - xnp.where(one, 0.0, x)))
    return _spence(x), t * d


def spence(x):
    """Spence's function int_1^x log(t) / (1 - t) dt = Li2(1 - x) for x >= 0
    (scipy.special.spence)."""
    (x,) = _promote("spence", x)
    _real_only("spence", x)
    return _spence(x)


def zeta(x, q=None):
    """The Hurwitz zeta function sum_n (n + q)^-x (Riemann's when q is None) for x > 1
    (scipy.special.zeta; NaN for x < 1: the analytic continuation of Riemann's zeta that SciPy
    computes there is not implemented). Differentiable in q."""
    if q is None:
        (x,) = _promote("zeta", x)
        q = xnp.ones_like(x)
    x, q = _promote("zeta", x, q)
    _real_only("zeta", x, q)
    return lax.zeta(x, q)
