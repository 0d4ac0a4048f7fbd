"""xfront.scipy.special and xfront.scipy.stats against SciPy: values (float32 and float64), jit,
derivatives (check_grads), vmap, edge cases and errors; plus the lax special-function
primitives' derivatives that the op table cannot express (d/da of igamma, the unsupported
directions)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.special as sp
import scipy.stats as ss

import tests.op_db  # noqa: F401  (loads the op table before its family modules)
import xfront as xf
import xfront.numpy as xnp
from tests.op_db_special import _igamma_grad_a_ref
from xfront import lax
from xfront.scipy import special as xs
from xfront.scipy import stats as xst
from xfront.test_util import check_grads


def _u(lo, hi, n=12):
    return lambda rng: rng.uniform(lo, hi, n)


def _ints(lo, hi, n=12):
    return lambda rng: rng.integers(lo, hi, n).astype(np.float64)


# name: (xfront fn, scipy reference, argument makers, rtol float32, rtol float64,
#        differentiable argument indices for check_grads (None: skip), grad order)
SPECIAL = {
    "gammaln": (xs.gammaln, sp.gammaln, [_u(0.1, 8)], 1e-5, 1e-12, (0,), 2),
    "gammasgn": (xs.gammasgn, sp.gammasgn, [_u(-5, 5)], 0, 0, None, 0),
    "gamma": (xs.gamma, sp.gamma, [_u(-4.5, 6)], 2e-5, 1e-13, (0,), 2),
    "loggamma": (xs.loggamma, sp.loggamma, [_u(0.1, 8)], 1e-5, 1e-12, (0,), 1),
    "digamma": (xs.digamma, sp.digamma, [_u(0.2, 8)], 2e-5, 1e-13, (0,), 2),
    "polygamma": (lambda n, x: xs.polygamma(n.astype(np.int32), x), sp.polygamma,
                  [_ints(0, 4), _u(0.3, 6)], 2e-5, 1e-13, (1,), 1),
    "betaln": (xs.betaln, sp.betaln, [_u(0.2, 30), _u(0.2, 300)], 2e-5, 1e-12, (0, 1), 1),
    "beta": (xs.beta, sp.beta, [_u(0.2, 5), _u(0.2, 5)], 5e-5, 1e-12, (0, 1), 1),
    "betainc": (xs.betainc, sp.betainc, [_u(0.3, 8), _u(0.3, 8), _u(0.02, 0.98)], 5e-5,
                1e-12, (2,), 2),
    "gammainc": (xs.gammainc, sp.gammainc, [_u(0.2, 12), _u(0.05, 20)], 5e-5, 1e-12, (0, 1),
                 1),
    "gammaincc": (xs.gammaincc, sp.gammaincc, [_u(0.2, 12), _u(0.05, 20)], 5e-5, 1e-12,
                  (0, 1), 1),
    "factorial": (xs.factorial, sp.factorial, [_u(-2, 12)], 2e-5, 1e-13, (0,), 1),
    "comb": (xs.comb, sp.comb, [_ints(0, 25), _ints(-2, 20)], 2e-5, 1e-12, None, 0),
    "poch": (xs.poch, sp.poch, [_u(-3.5, 5), _u(0, 3)], 5e-5, 1e-12, (0, 1), 1),
    "multigammaln": (lambda a: xs.multigammaln(a, 4), lambda a: sp.multigammaln(a, 4),
                     [_u(2, 9)], 2e-5, 1e-13, (0,), 1),
    "erf": (xs.erf, sp.erf, [_u(-3, 3)], 2e-6, 1e-14, (0,), 2),
    "erfc": (xs.erfc, sp.erfc, [_u(-3, 8)], 2e-5, 1e-13, (0,), 2),
    "erfinv": (xs.erfinv, sp.erfinv, [_u(-0.99, 0.99)], 2e-5, 1e-13, (0,), 2),
    "erfcx": (xs.erfcx, sp.erfcx, [_u(-5, 40)], 2e-5, 1e-13, (0,), 2),
    "ndtr": (xs.ndtr, sp.ndtr, [_u(-12, 8)], 2e-5, 1e-12, (0,), 2),
    "log_ndtr": (xs.log_ndtr, sp.log_ndtr, [_u(-60, 12)], 2e-5, 1e-9, (0,), 2),
    "ndtri": (xs.ndtri, sp.ndtri, [_u(0.001, 0.999)], 2e-5, 1e-11, (0,), 2),
    "expit": (xs.expit, sp.expit, [_u(-20, 20)], 2e-6, 1e-14, (0,), 2),
    "logit": (xs.logit, sp.logit, [_u(0.01, 0.99)], 2e-6, 1e-13, (0,), 2),
    "xlogy": (xs.xlogy, sp.xlogy, [_u(-3, 3), _u(0.1, 5)], 2e-6, 1e-14, (0, 1), 2),
    "xlog1py": (xs.xlog1py, sp.xlog1py, [_u(-3, 3), _u(-0.9, 5)], 2e-6, 1e-13, (0, 1), 2),
    "entr": (xs.entr, sp.entr, [_u(0.05, 4)], 2e-6, 1e-14, (0,), 2),
    "kl_div": (xs.kl_div, sp.kl_div, [_u(0.05, 3), _u(0.05, 3)], 2e-5, 1e-13, (0, 1), 2),
    "rel_entr": (xs.rel_entr, sp.rel_entr, [_u(0.05, 3), _u(0.05, 3)], 2e-5, 1e-13, (0, 1),
                 2),
    "boxcox": (xs.boxcox, sp.boxcox, [_u(0.1, 5), _u(-2, 2)], 2e-5, 1e-13, (0, 1), 2),
    "boxcox1p": (xs.boxcox1p, sp.boxcox1p, [_u(-0.9, 5), _u(-2, 2)], 2e-5, 1e-13, (0, 1), 2),
    "i0": (xs.i0, sp.i0, [_u(-15, 15)], 2e-6, 1e-14, (0,), 2),
    "i0e": (xs.i0e, sp.i0e, [_u(-40, 40)], 2e-6, 1e-14, (0,), 2),
    "i1": (xs.i1, sp.i1, [_u(-15, 15)], 2e-6, 1e-14, (0,), 2),
    "i1e": (xs.i1e, sp.i1e, [_u(-40, 40)], 2e-6, 1e-14, (0,), 2),
    "dawsn": (xs.dawsn, sp.dawsn, [_u(-30, 30)], 2e-6, 1e-14, (0,), 2),
    "exp1": (xs.exp1, sp.exp1, [_u(0.01, 30)], 2e-5, 1e-13, (0,), 1),
    "expi": (xs.expi, sp.expi, [_u(-30, 60)], 2e-5, 1e-13, (0,), 1),
    "expn": (lambda n, x: xs.expn(n, x), sp.expn, [_ints(0, 8), _u(0.01, 20)], 2e-5, 1e-13,
             (1,), 1),
    "spence": (xs.spence, sp.spence, [_u(0, 10)], 2e-6, 1e-13, (0,), 2),
    "zeta": (xs.zeta, sp.zeta, [_u(1.5, 8), _u(0.3, 5)], 2e-6, 1e-13, (1,), 2),
    "zeta_riemann": (xs.zeta, sp.zeta, [_u(1.5, 8)], 2e-6, 1e-13, None, 0),
    "bessel_jn": (lambda z: xs.bessel_jn(z, v=3),
                  lambda z: np.stack([sp.jv(k, z) for k in range(4)]), [_u(-25, 25)], 5e-5,
                  1e-12, (0,), 1),
}


def _args(rng, makers):
    return [m(rng) for m in makers]


def _assert_close(got, want, rtol, atol=0.0):
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol, equal_nan=True)


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_float32_under_jit(name, rng):
    # One compiled program per function (running the composites op by op is covered in
    # float64 below).
    fn, ref, makers, tol32, _, _, _ = SPECIAL[name]
    args = [a.astype(np.float32) for a in _args(rng, makers)]
    out = xf.jit(fn)(*args)
    assert np.asarray(out).dtype == np.float32
    _assert_close(out, ref(*[a.astype(np.float64) for a in args]), tol32, atol=tol32 * 0.1)


@pytest.mark.parametrize("name", sorted(SPECIAL))
def test_special_float64(name, rng, x64):
    fn, ref, makers, _, tol64, _, _ = SPECIAL[name]
    args = _args(rng, makers)
    out = fn(*args)
    assert np.asarray(out).dtype == np.float64
    _assert_close(out, ref(*args), tol64, atol=1e-300)


GRADS = sorted(n for n, case in SPECIAL.items() if case[5] is not None)


@pytest.mark.parametrize("name", GRADS)
def test_special_check_grads(name, rng, x64):
    fn, _, makers, _, _, argnums, order = SPECIAL[name]
    args = [xnp.asarray(a[:4]) for a in _args(rng, makers)]
    fixed = list(args)

    def f(*diff):
        full = list(fixed)
        for i, a in zip(argnums, diff):
            full[i] = a
        return fn(*full)

    check_grads(xf.jit(f), [args[i] for i in argnums], order=order, modes=("fwd", "rev"))


@pytest.mark.parametrize("name", ["betainc", "log_ndtr", "erfcx", "spence", "expn", "zeta"])
def test_special_vmap(name, rng):
    fn, _, makers, _, _, _, _ = SPECIAL[name]
    args = [a.reshape(3, 4).astype(np.float32) for a in _args(rng, makers)]
    in_axes = tuple(0 if i == 0 else 1 for i in range(len(args)))
    batched = [a if ax == 0 else a.T.copy() for a, ax in zip(args, in_axes)]
    out = xf.vmap(fn, in_axes=in_axes)(*batched)
    want = np.stack([np.asarray(fn(*[a[i] for a in args])) for i in range(3)])
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-7)


# ----------------------------------------------------------------------------------------------
# Edge cases of the special functions.


def test_poles_limits_and_nonfinite():
    g = np.array([-2.0, -1.0, -0.0, 0.0, -np.inf, np.inf, np.nan, -0.5, -1.5], np.float32)
    np.testing.assert_array_equal(xs.gammasgn(g), sp.gammasgn(g))
    np.testing.assert_allclose(xs.factorial(np.array([-1.0, 0.0, 3.0])), [0.0, 1.0, 6.0],
                               rtol=2e-6)
    np.testing.assert_allclose(xs.beta(np.array([-2.2, -0.5]), 1.5),
                               sp.beta(np.array([-2.2, -0.5]), 1.5), rtol=1e-5)
    assert float(xs.xlogy(0.0, 0.0)) == 0.0 and float(xs.xlog1py(0.0, -1.0)) == 0.0
    np.testing.assert_array_equal(xs.entr(np.array([0.0, -1.0])), [0.0, -np.inf])
    np.testing.assert_array_equal(xs.kl_div(np.array([0.0, 1.0, 0.0]),
                                            np.array([2.0, 0.0, -1.0])), [2.0, np.inf, np.inf])
    np.testing.assert_array_equal(xs.rel_entr(np.array([0.0, 1.0]), np.array([2.0, 0.0])),
                                  [0.0, np.inf])
    np.testing.assert_array_equal(xs.ndtri(np.array([0.0, 1.0, 0.5, -0.1, 1.1])),
                                  [-np.inf, np.inf, 0.0, np.nan, np.nan])
    np.testing.assert_allclose(xs.erfcx(np.array([1e4, 1e10], np.float32)),
                               sp.erfcx(np.array([1e4, 1e10])), rtol=1e-6)
    assert float(xs.spence(0.0)) == pytest.approx(np.pi ** 2 / 6)
    assert np.isnan(float(xs.spence(-1.0)))
    assert float(xs.expi(0.0)) == -np.inf
    np.testing.assert_array_equal(xs.expn(np.array([0, 1, 2, 3]), np.zeros(4)),
                                  sp.expn(np.array([0, 1, 2, 3]), np.zeros(4)))
    np.testing.assert_array_equal(xs.bessel_jn(np.zeros(2), v=2),
                                  [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0]])


# Edge points where SciPy defines a value (poles, limits, infinities, NaN), float64.
_EDGES = np.array([-np.inf, -1e300, -50.0, -3.0, -1.0, -0.5, -0.0, 0.0, 1e-300, 1e-8, 0.5, 1.0,
                   2.0, 50.0, 1e10, 1e300, np.inf, np.nan])
_EDGE_UNARY = ["gammaln", "gammasgn", "gamma", "loggamma", "digamma", "factorial", "erf",
               "erfc", "erfinv", "erfcx", "ndtr", "log_ndtr", "ndtri", "expit", "logit", "entr",
               "i0", "i0e", "i1", "i1e", "dawsn", "exp1", "expi", "spence"]


@pytest.mark.parametrize("name", _EDGE_UNARY)
def test_special_edge_values(name, x64):
    with np.errstate(all="ignore"):
        want = getattr(sp, name)(_EDGES)
    np.testing.assert_allclose(getattr(xs, name)(_EDGES), want, rtol=1e-12, atol=0,
                               equal_nan=True, err_msg=name)


_GRID = np.array([0.0, 0.5, 1.0, 2.5, 1e3, np.inf, np.nan])


@pytest.mark.parametrize("name", ["xlogy", "xlog1py", "kl_div", "rel_entr", "betaln", "beta",
                                  "gammainc", "gammaincc", "poch", "polygamma"])
def test_special_binary_edge_values(name, x64):
    x, y = (g.ravel() for g in np.meshgrid(_GRID, np.concatenate([-_GRID[1:4], _GRID])))
    if name in ("betaln", "beta", "gammainc", "gammaincc"):
        keep = ~(y < 0)  # negative arguments: not covered (SciPy's pole limits)
    elif name == "poch":
        keep = (x < np.inf) & ~((x == 0) & np.isnan(y))  # SciPy's values at inf are erratic
    elif name == "polygamma":
        keep = np.isfinite(x) & (x == np.round(x)) & (x < 4)  # orders 0..3
    else:
        keep = np.ones(x.shape, bool)
    x, y = x[keep], y[keep]
    with np.errstate(all="ignore"):
        want = getattr(sp, name)(x, y)
    fn = getattr(xs, name)
    got = fn(x.astype(np.int32), y) if name == "polygamma" else fn(x, y)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-300, equal_nan=True)


def test_special_edges_at_poles_and_precision():
    # The Pochhammer symbol at the poles of Gamma (the rising factorial for integer m).
    z = np.array([-2.0, -3.0, -2.0, -0.5, -4.0, 0.0])
    m = np.array([1.0, 2.0, 3.0, 0.5, 1.5, 2.0])
    np.testing.assert_allclose(xs.poch(z, m), sp.poch(z, m), rtol=1e-6)
    # p log(p / q) keeps its precision where p and q are close (p log p - p log q does not).
    p, q = np.float32(5672.117), np.float32(5672.464)
    np.testing.assert_allclose(xs.rel_entr(p, q), sp.rel_entr(np.float64(p), np.float64(q)),
                               rtol=1e-5)
    # Dawson's integral far out (its asymptotic series) in float32.
    big = np.array([-6e7, 12.0, 3e3, 1e30], np.float32)
    np.testing.assert_allclose(xs.dawsn(big), sp.dawsn(big.astype(np.float64)), rtol=2e-6)


def test_tails_in_float64(x64):
    x = np.array([-1e3, -200.0, -38.0, -20.5, -19.5, 7.9, 8.1, 30.0])
    np.testing.assert_allclose(xs.log_ndtr(x, series_order=10), sp.log_ndtr(x), rtol=1e-12)
    p = 10.0 ** -np.array([5.0, 20.0, 100.0, 300.0])
    np.testing.assert_allclose(xs.ndtri(p), sp.ndtri(p), rtol=1e-12)
    np.testing.assert_allclose(xs.ndtri(1 - 1e-10), sp.ndtri(1 - 1e-10), rtol=1e-6)
    big = np.array([1e3, 1e5]), np.array([2e3, 1e7])
    np.testing.assert_allclose(xs.betaln(*big), sp.betaln(*big), rtol=1e-13)


def test_bernoulli_numbers():
    np.testing.assert_allclose(xs.bernoulli(30), sp.bernoulli(30), rtol=1e-6)
    with xf.config.override("enable_x64", True):
        np.testing.assert_allclose(xs.bernoulli(30), sp.bernoulli(30), rtol=1e-10)
    assert xs.bernoulli(0).shape == (1,)
    assert float(xs.bernoulli(1)[1]) == -0.5


def test_logsumexp_options(rng):
    a = rng.normal(size=(3, 4)).astype(np.float32) * 10
    b = rng.uniform(-1, 1, size=(3, 4)).astype(np.float32)
    for axis in (None, 0, 1, (0, 1)):
        for keepdims in (False, True):
            _assert_close(xs.logsumexp(a, axis=axis, keepdims=keepdims),
                          sp.logsumexp(a, axis=axis, keepdims=keepdims), 1e-6)
    out, sign = xs.logsumexp(a, axis=0, b=b, return_sign=True)
    ref, ref_sign = sp.logsumexp(a, axis=0, b=b, return_sign=True)
    _assert_close(out, ref, 1e-5)
    np.testing.assert_array_equal(sign, ref_sign)
    neg = xs.logsumexp(a, axis=0, b=-np.abs(b))
    assert np.isnan(np.asarray(neg)).all()
    # -inf entries, an all -inf row, and masking with where
    c = np.array([[-np.inf, 0.0], [-np.inf, -np.inf]], np.float32)
    np.testing.assert_array_equal(xs.logsumexp(c, axis=1), [0.0, -np.inf])
    mask = np.array([[True, False], [True, True]])
    np.testing.assert_allclose(xs.logsumexp(np.ones((2, 2)), axis=1, where=mask),
                               [1.0, 1.0 + np.log(2)], rtol=1e-6)
    big = np.array([1e4, 1e4], np.float32)
    np.testing.assert_allclose(xs.logsumexp(big), 1e4 + np.log(2), rtol=1e-6)


def test_logsumexp_softmax_grads(rng, x64):
    a = xnp.asarray(rng.normal(size=(3, 4)))
    g = xf.grad(lambda a: xs.logsumexp(a))(a)
    np.testing.assert_allclose(g, sp.softmax(np.asarray(a), axis=None), rtol=1e-12)
    check_grads(lambda a: xs.logsumexp(a, axis=1), [a], order=2, modes=("fwd", "rev"))
    check_grads(lambda a: xs.softmax(a, axis=0), [a], order=2, modes=("fwd", "rev"))
    check_grads(lambda a: xs.log_softmax(a), [a], order=2, modes=("fwd", "rev"))
    _assert_close(xs.softmax(a, axis=0), sp.softmax(np.asarray(a), axis=0), 1e-13)
    _assert_close(xs.log_softmax(a), sp.log_softmax(np.asarray(a), axis=-1), 1e-13)


def test_custom_jvps_at_the_singular_points(x64):
    # xlogy's x-derivative at x = 0 is log(y); entr and xlogy stay finite where 0 * log 0.
    assert float(xf.grad(xs.xlogy)(0.0, 2.0)) == pytest.approx(np.log(2.0))
    assert float(xf.grad(xs.xlogy, argnums=1)(0.0, 2.0)) == 0.0
    assert float(xf.grad(xs.xlog1py)(0.0, 1.0)) == pytest.approx(np.log(2.0))
    assert float(xf.grad(xs.logit)(0.25)) == pytest.approx(1 / (0.25 * 0.75))
    assert float(xf.grad(xs.ndtri)(0.5)) == pytest.approx(np.sqrt(2 * np.pi))
    assert float(xf.grad(xs.log_ndtr)(-50.0)) == pytest.approx(
        np.exp(ss.norm.logpdf(-50.0) - sp.log_ndtr(-50.0)), rel=1e-10)
    assert float(xf.grad(xs.i1e)(0.0)) == 0.5
    assert float(xf.grad(xs.spence)(1.0)) == -1.0


def test_errors():
    with pytest.raises(TypeError, match="integer dtype"):
        xs.polygamma(1.0, 2.0)
    with pytest.raises(TypeError, match="static"):
        xf.jit(lambda a, d: xs.multigammaln(a, d))(3.0, 2)
    with pytest.raises(ValueError, match="positive"):
        xs.multigammaln(3.0, 0)
    with pytest.raises(NotImplementedError, match="exact"):
        xs.factorial(3, exact=True)
    with pytest.raises(TypeError, match="complex"):
        xs.gammaln(np.ones(2, np.complex64))
    with pytest.raises(ValueError, match="non-negative"):
        xs.bernoulli(-1)
    with pytest.raises(ValueError, match="n_iter"):
        xs.bessel_jn(1.0, v=5, n_iter=4)
    with pytest.raises(TypeError, match="ndarray or scalar"):
        xs.erf([1.0, 2.0])


# ----------------------------------------------------------------------------------------------
# The lax primitives: derivatives the op table does not check, edge values.


def test_igamma_derivative_in_a(rng, x64):
    a = xnp.asarray(rng.uniform(0.3, 10, 5))
    x = xnp.asarray(np.array([0.1, 0.9, 3.0, 12.0, 30.0]))
    for f in (lax.igamma, lax.igammac):
        check_grads(lambda a: f(a, x), [a], order=1, modes=("fwd", "rev"))  # noqa: B023
    # d/da of the gamma CDF at a fixed sample, and the implicit sample derivative
    an, xn = np.asarray(a), np.asarray(x)
    dpda = _igamma_grad_a_ref(an, xn)
    np.testing.assert_allclose(lax.igamma_grad_a(a, x), dpda, rtol=1e-8, atol=1e-14)
    pdf = np.exp((an - 1) * np.log(xn) - xn - sp.gammaln(an))
    np.testing.assert_allclose(lax.random_gamma_grad(a, x), -dpda / pdf, rtol=1e-7)


def test_unsupported_derivative_directions_raise():
    with pytest.raises(ValueError, match="betainc: the derivative with respect to a"):
        xf.grad(lambda a: lax.betainc(a, 2.0, 0.5))(1.0)
    with pytest.raises(ValueError, match="zeta: the derivative with respect to x"):
        xf.grad(lambda s: lax.zeta(s, 1.0))(2.0)
    with pytest.raises(ValueError, match="igamma_grad_a: the derivative with respect to a"):
        xf.grad(xf.grad(lax.igamma))(2.0, 1.0)


def test_incomplete_gamma_and_beta_edge_values(x64):
    a = np.array([0.0, 0.0, 1.0, 2.0, -1.0, 3.0, 1e3, 1e4, np.nan])
    x = np.array([0.0, 1.0, 0.0, np.inf, 1.0, -1.0, 1e3 + 5, 1e4 - 50, 1.0])
    np.testing.assert_allclose(lax.igamma(a, x), sp.gammainc(a, x), rtol=1e-10,
                               equal_nan=True)
    np.testing.assert_allclose(lax.igammac(a, x), sp.gammaincc(a, x), rtol=1e-10,
                               equal_nan=True)
    # a = inf: P = 0 and Q = 1 for finite x, NaN at x = inf (as SciPy).
    a_inf = np.full(3, np.inf)
    x_inf = np.array([1.0, 1e3, np.inf])
    np.testing.assert_array_equal(lax.igamma(a_inf, x_inf), sp.gammainc(a_inf, x_inf))
    np.testing.assert_array_equal(lax.igammac(a_inf, x_inf), sp.gammaincc(a_inf, x_inf))
    aa = np.array([1.0, 2.0, 0.5, 2.0, -1.0, 1e3])
    bb = np.array([1.0, 3.0, 0.5, 2.0, 1.0, 2e3])
    xx = np.array([0.0, 1.0, 0.999, 1.5, 0.5, 0.33])
    np.testing.assert_allclose(lax.betainc(aa, bb, xx), sp.betainc(aa, bb, xx), rtol=1e-9,
                               equal_nan=True)


def test_low_precision_inputs_compute_in_float32():
    a = np.array([0.5, 2.0, 7.0], xnp.bfloat16)
    out = lax.igamma(a, a)
    assert out.dtype == xnp.bfloat16
    np.testing.assert_allclose(np.asarray(out, np.float32),
                               sp.gammainc(a.astype(np.float32), a.astype(np.float32)),
                               rtol=2e-2)


def test_against_jax(jax_oracle, rng):
    jsp = jax_oracle.scipy.special
    a = rng.uniform(0.2, 20, 16).astype(np.float32)
    x = rng.uniform(0.01, 30, 16).astype(np.float32)
    np.testing.assert_allclose(lax.igamma(a, x), jax_oracle.lax.igamma(a, x), rtol=2e-5,
                               atol=1e-7)
    np.testing.assert_allclose(lax.random_gamma_grad(a, x),
                               jax_oracle.lax.random_gamma_grad(a, x), rtol=1e-4, atol=1e-6)
    t = rng.uniform(0, 1, 16).astype(np.float32)
    np.testing.assert_allclose(lax.betainc(a, x, t), jsp.betainc(a, x, t), rtol=1e-4,
                               atol=1e-6)
    z = rng.uniform(-20, 20, 16).astype(np.float32)
    np.testing.assert_allclose(lax.bessel_i0e(z), jax_oracle.lax.bessel_i0e(z), rtol=2e-6)


# ----------------------------------------------------------------------------------------------
# scipy.stats


def _pos(lo=0.3, hi=3.0):
    return lambda rng: rng.uniform(lo, hi, 10)


# name: (xfront fn, scipy fn, arg makers, differentiable argument indices)
STATS = {}
for _fn in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"):
    STATS[f"norm.{_fn}"] = (getattr(xst.norm, _fn), getattr(ss.norm, _fn),
                            [_u(-4, 4, 10), _u(-1, 1, 10), _pos()], (0, 1, 2))
    STATS[f"cauchy.{_fn}"] = (getattr(xst.cauchy, _fn), getattr(ss.cauchy, _fn),
                              [_u(-4, 4, 10), _u(-1, 1, 10), _pos()], (0, 1, 2))
    STATS[f"expon.{_fn}"] = (getattr(xst.expon, _fn), getattr(ss.expon, _fn),
                             [_u(0.1, 5, 10), _u(-0.05, 0.05, 10), _pos()], (0, 2))
    STATS[f"gamma.{_fn}"] = (getattr(xst.gamma, _fn), getattr(ss.gamma, _fn),
                             [_u(0.1, 6, 10), _pos(0.5, 4), _u(-0.05, 0.05, 10), _pos()],
                             (0,))
    STATS[f"beta.{_fn}"] = (getattr(xst.beta, _fn), getattr(ss.beta, _fn),
                            [_u(0.05, 0.95, 10), _pos(0.5, 4), _pos(0.5, 4)], (0,))
for _fn in ("ppf", "isf"):
    for _d in ("norm", "cauchy", "expon", "logistic"):
        STATS[f"{_d}.{_fn}"] = (getattr(getattr(xst, _d), _fn), getattr(getattr(ss, _d), _fn),
                                [_u(0.02, 0.98, 10), _u(-1, 1, 10), _pos()], (0, 1, 2))
for _fn in ("logpdf", "pdf", "cdf", "sf"):
    STATS[f"logistic.{_fn}"] = (getattr(xst.logistic, _fn), getattr(ss.logistic, _fn),
                                [_u(-6, 6, 10), _u(-1, 1, 10), _pos()], (0, 1, 2))
for _fn in ("logpdf", "pdf", "cdf"):
    STATS[f"laplace.{_fn}"] = (getattr(xst.laplace, _fn), getattr(ss.laplace, _fn),
                               [_u(-4, 4, 10), _u(-1, 1, 10), _pos()], (1, 2))
for _fn in ("logpdf", "pdf", "cdf"):
    STATS[f"uniform.{_fn}"] = (getattr(xst.uniform, _fn), getattr(ss.uniform, _fn),
                               [_u(-1, 4, 10), _u(-0.5, 0.5, 10), _pos(1, 3)], None)
STATS["uniform.ppf"] = (xst.uniform.ppf, ss.uniform.ppf,
                        [_u(0, 1, 10), _u(-1, 1, 10), _pos()], (0, 1, 2))
STATS["t.logpdf"] = (xst.t.logpdf, ss.t.logpdf,
                     [_u(-4, 4, 10), _pos(0.5, 10), _u(-1, 1, 10), _pos()], (0, 1, 2, 3))
STATS["t.pdf"] = (xst.t.pdf, ss.t.pdf, [_u(-4, 4, 10), _pos(0.5, 10)], (0, 1))
for _fn in ("logpmf", "pmf"):
    STATS[f"bernoulli.{_fn}"] = (getattr(xst.bernoulli, _fn), getattr(ss.bernoulli, _fn),
                                 [_ints(-1, 3, 10), _u(0.05, 0.95, 10)], (1,))
    STATS[f"poisson.{_fn}"] = (getattr(xst.poisson, _fn), getattr(ss.poisson, _fn),
                               [_ints(-1, 12, 10), _pos(0.5, 8)], (1,))
STATS["bernoulli.cdf"] = (xst.bernoulli.cdf, ss.bernoulli.cdf,
                          [_u(-1, 2, 10), _u(0.05, 0.95, 10)], None)
STATS["bernoulli.ppf"] = (xst.bernoulli.ppf, ss.bernoulli.ppf,
                          [_u(0, 1, 10), _u(0.05, 0.95, 10)], None)
STATS["poisson.cdf"] = (xst.poisson.cdf, ss.poisson.cdf, [_u(-1, 12, 10), _pos(0.5, 8)], (1,))
STATS["poisson.entropy"] = (xst.poisson.entropy, ss.poisson.entropy, [_pos(0.1, 300)], (0,))


@pytest.mark.parametrize("name", sorted(STATS))
def test_stats_values(name, rng):
    fn, ref, makers, _ = STATS[name]
    args = _args(rng, makers)
    want = ref(*args)
    got32 = fn(*[a.astype(np.float32) for a in args])
    assert np.asarray(got32).dtype == np.float32
    with np.errstate(all="ignore"):
        _assert_close(got32, want, 1e-4, atol=1e-6)
    with xf.config.override("enable_x64", True):
        _assert_close(fn(*args), want, 1e-9, atol=1e-13)


_STATS_GRADS = sorted(n for n, c in STATS.items() if c[3] is not None
                      and not n.endswith(("cdf", "sf", "pdf", "pmf"))
                      or n in ("norm.cdf", "gamma.cdf", "beta.sf", "poisson.cdf"))


@pytest.mark.parametrize("name", _STATS_GRADS)
def test_stats_grads(name, rng, x64):
    fn, _, makers, argnums = STATS[name]
    args = [xnp.asarray(a[:3]) for a in _args(rng, makers)]
    fixed = list(args)

    def f(*diff):
        full = list(fixed)
        for i, a in zip(argnums, diff):
            full[i] = a
        return fn(*full)

    check_grads(xf.jit(f), [args[i] for i in argnums], order=1, modes=("fwd", "rev"))


def test_stats_jit_and_vmap(rng):
    x = rng.normal(size=(4, 3)).astype(np.float32)
    loc = rng.normal(size=4).astype(np.float32)
    f = lambda x, loc: xst.norm.logpdf(x, loc, 2.0)  # noqa: E731
    out = xf.vmap(f)(x, loc)
    np.testing.assert_allclose(out, ss.norm.logpdf(x, loc[:, None], 2.0), rtol=1e-5)
    np.testing.assert_allclose(xf.jit(xst.gamma.cdf)(x ** 2, 2.0),
                               ss.gamma.cdf(x ** 2, 2.0), rtol=1e-5)
    g = xf.vmap(xf.grad(lambda m: xst.norm.logcdf(1.0, m)))(loc)
    np.testing.assert_allclose(g, -np.exp(ss.norm.logpdf(1.0, loc) - ss.norm.logcdf(1.0, loc)),
                               rtol=1e-5)


def test_stats_out_of_support():
    assert float(xst.expon.logpdf(-1.0)) == -np.inf and float(xst.expon.cdf(-1.0)) == 0.0
    assert float(xst.uniform.logpdf(2.0)) == -np.inf
    assert float(xst.gamma.logpdf(-1.0, 2.0)) == -np.inf
    assert float(xst.beta.logpdf(1.5, 2.0, 2.0)) == -np.inf
    assert float(xst.poisson.logpmf(2.5, 1.0)) == -np.inf
    assert float(xst.bernoulli.logpmf(2.0, 0.5)) == -np.inf
    assert np.isnan(float(xst.expon.ppf(1.5)))
    assert np.isnan(float(xst.bernoulli.ppf(0.5, 1.5)))
    np.testing.assert_allclose(xst.norm.logsf(40.0), ss.norm.logsf(40.0), rtol=1e-5)


_LOC_SCALE = ["norm", "cauchy", "expon", "logistic", "laplace", "uniform"]


def _stats_functions():
    for d in (*_LOC_SCALE, "gamma", "beta", "t"):
        for fn in ("logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"):
            if fn in getattr(xst, d).__all__:
                yield d, fn


def _shape_args(d):
    return {"gamma": (2.0,), "beta": (2.0, 3.0), "t": (3.0,)}.get(d, ())


@pytest.mark.parametrize("d,fn", [pytest.param(d, f, id=f"{d}.{f}")
                                  for d, f in _stats_functions()])
def test_stats_invalid_parameters_and_nan(d, fn, x64):
    # SciPy's NaN for a non-positive scale (or shape), NaN inputs, and the end points.
    quantile = fn in ("ppf", "isf")
    x = (np.array([-0.1, 0.0, 0.3, 1.0, 1.2, np.nan]) if quantile
         else np.array([-1.0, 0.0, 0.5, 2.0, np.inf, -np.inf, np.nan]))
    x, scale = x[:, None], np.array([2.0, 0.0, -1.0])
    with np.errstate(all="ignore"):
        want = getattr(getattr(ss, d), fn)(x, *_shape_args(d), 0.5, scale)
    got = getattr(getattr(xst, d), fn)(x, *_shape_args(d), 0.5, scale)
    np.testing.assert_allclose(got, want, rtol=1e-10, equal_nan=True, err_msg=f"{d}.{fn}")
    if _shape_args(d):
        bad = tuple(-v for v in _shape_args(d))
        assert np.isnan(np.asarray(getattr(getattr(xst, d), fn)(x, *bad))).all()


def test_discrete_invalid_parameters_and_nan(x64):
    k = np.array([-1.0, 0.0, 0.5, 1.0, 2.0, np.inf, np.nan])
    q = np.array([-0.1, 0.0, 0.3, 0.7, 1.0, 1.2, np.nan])
    for d, fns, params in (("poisson", ("logpmf", "pmf", "cdf"), (3.0, 0.0, -1.0)),
                           ("bernoulli", ("logpmf", "pmf", "cdf", "ppf"), (0.3, 0.0, 1.0, -1.0))):
        for fn in fns:
            arg = (q if fn == "ppf" else k)[:, None]
            with np.errstate(all="ignore"):
                want = getattr(getattr(ss, d), fn)(arg, np.array(params))
            np.testing.assert_allclose(getattr(getattr(xst, d), fn)(arg, np.array(params)),
                                       want, rtol=1e-10, equal_nan=True, err_msg=f"{d}.{fn}")


def test_stats_loc_scale_broadcasting(rng):
    x = rng.uniform(0.05, 0.95, (4, 1, 1)).astype(np.float32)
    loc = rng.uniform(-0.5, 0.5, (3, 1)).astype(np.float32) * 0.1
    scale = rng.uniform(0.5, 2.0, (2,)).astype(np.float32)
    for d, fn in _stats_functions():
        shape_args = _shape_args(d)
        args = (x, *shape_args, loc, scale)
        got = getattr(getattr(xst, d), fn)(*args)
        with np.errstate(all="ignore"):
            want = getattr(getattr(ss, d), fn)(*[np.asarray(a, np.float64) for a in args])
        assert np.shape(got) == (4, 3, 2), (d, fn)
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=1e-6, err_msg=f"{d}.{fn}")
    # Shape parameters broadcast too.
    a = np.array([0.5, 1.5, 4.0], np.float32)
    np.testing.assert_allclose(xst.gamma.logpdf(x[:, 0], a, 0.0, scale[:1]),
                               ss.gamma.logpdf(x[:, 0], a, 0.0, scale[:1]), rtol=1e-5)
    np.testing.assert_allclose(xst.poisson.logpmf(np.arange(4.0)[:, None], a),
                               ss.poisson.logpmf(np.arange(4.0)[:, None], a), rtol=1e-5)


def test_multivariate_normal(rng, x64):
    a = rng.normal(size=(3, 3))
    cov = a @ a.T + np.eye(3)
    mean = rng.normal(size=3)
    x = rng.normal(size=(5, 3))
    mvn = xst.multivariate_normal
    np.testing.assert_allclose(mvn.logpdf(x, mean, cov),
                               ss.multivariate_normal.logpdf(x, mean, cov), rtol=1e-12)
    np.testing.assert_allclose(mvn.pdf(x[0], mean, cov),
                               ss.multivariate_normal.pdf(x[0], mean, cov), rtol=1e-12)
    np.testing.assert_allclose(mvn.logpdf(x, mean, 2.0),
                               ss.multivariate_normal.logpdf(x, mean, 2.0), rtol=1e-12)
    np.testing.assert_allclose(mvn.logpdf(x[:, 0], 0.5, 2.0),
                               ss.multivariate_normal.logpdf(x[:, 0], 0.5, 2.0), rtol=1e-12)
    covs = np.stack([cov, 2 * cov])  # batched covariances
    np.testing.assert_allclose(
        mvn.logpdf(x[:2], mean, covs),
        [ss.multivariate_normal.logpdf(x[i], mean, c) for i, c in enumerate(covs)],
        rtol=1e-12)
    check_grads(lambda m: mvn.logpdf(xnp.asarray(x), m, xnp.asarray(cov)),
                [xnp.asarray(mean)], order=1, modes=("fwd", "rev"))
    g = xf.grad(lambda m: xnp.sum(mvn.logpdf(xnp.asarray(x), m, xnp.asarray(cov))))(
        xnp.asarray(mean))
    np.testing.assert_allclose(g, np.linalg.solve(cov, (x - mean).sum(0)), rtol=1e-10)
    with pytest.raises(ValueError, match="does not match"):
        mvn.logpdf(x, mean, np.eye(2))
    with pytest.raises(NotImplementedError, match="allow_singular"):
        mvn.logpdf(x, mean, cov, allow_singular=True)


def test_entr_gradient_at_zero_is_inf():
    # d/dx (-x log x) = -log x - 1: +inf at 0 (JAX's value), finite closed form elsewhere.
    g = xf.vmap(xf.grad(xs.entr))(np.array([0.0, 1.0, 2.0], np.float32))
    np.testing.assert_allclose(g, [np.inf, -1.0, -np.log(2.0) - 1.0], rtol=1e-6)
    x = np.array([-1, 0, 0.5, 1, np.inf, np.nan, -np.inf], np.float32)
    got = np.asarray(xs.entr(x))
    np.testing.assert_array_equal(got, sp.entr(x))
    assert not np.signbit(got[1])  # +0.0 at 0, as scipy
