"""Derivatives at the edge points of their formulas (0, ties, bounds, infinities), where
several conventions are possible: xfront takes JAX's. Each row is checked against its closed
form, and against the real jax when it is installed."""

from __future__ import annotations

import types

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront import lax, nn

inf, nan = np.inf, np.nan
E = float(np.e)
LN2 = float(np.log(2.0))

# (id, fn(ns) -> function of the arguments, arguments, closed-form gradient per argument).
# ``ns`` has .np, .lax and .nn: xfront's modules or jax's.
ROWS = [
    # abs: the subgradient 1 at 0 (select(x >= 0, g, -g)), also at -0.0.
    ("abs_at_0", lambda ns: ns.np.abs, (0.0,), (1.0,)),
    ("abs_at_neg0", lambda ns: ns.np.abs, (-0.0,), (1.0,)),
    ("abs_negative", lambda ns: ns.np.abs, (-2.0,), (-1.0,)),
    ("lax_abs_at_0", lambda ns: ns.lax.abs, (0.0,), (1.0,)),
    ("abs_squared_at_0", lambda ns: lambda x: ns.np.abs(x) ** 2, (0.0,), (0.0,)),
    ("abs_complex_at_0", lambda ns: ns.np.abs, (0j,), (0j,)),
    ("abs_complex", lambda ns: ns.np.abs, (3 + 4j,), (0.6 - 0.8j,)),
    # Piecewise-constant functions: zero everywhere, jumps included.
    ("sign_at_0", lambda ns: ns.np.sign, (0.0,), (0.0,)),
    ("floor_at_int", lambda ns: ns.np.floor, (2.0,), (0.0,)),
    ("ceil", lambda ns: ns.np.ceil, (0.5,), (0.0,)),
    ("round_at_half", lambda ns: ns.np.round, (0.5,), (0.0,)),
    # Roots at 0: infinite slope.
    ("sqrt_at_0", lambda ns: ns.np.sqrt, (0.0,), (inf,)),
    ("cbrt_at_0", lambda ns: ns.np.cbrt, (0.0,), (inf,)),
    ("rsqrt_at_0", lambda ns: ns.lax.rsqrt, (0.0,), (-inf,)),
    # pow(x, y): d/dx = y x^(y-1) (NaN at 0**0 for a float exponent), d/dy = log(x) x^y with
    # log(0) taken as 0.
    ("pow_0_2", lambda ns: ns.lax.pow, (0.0, 2.0), (0.0, 0.0)),
    ("pow_0_1", lambda ns: ns.lax.pow, (0.0, 1.0), (1.0, 0.0)),
    ("pow_0_0", lambda ns: ns.lax.pow, (0.0, 0.0), (nan, 0.0)),
    ("pow_0_half", lambda ns: ns.lax.pow, (0.0, 0.5), (inf, 0.0)),
    ("pow_2_0", lambda ns: ns.lax.pow, (2.0, 0.0), (0.0, LN2)),
    ("power_0_0", lambda ns: ns.np.power, (0.0, 0.0), (nan, 0.0)),
    ("pow_int_exponent_0", lambda ns: lambda x: ns.lax.pow(x, np.int32(0)), (0.0,), (0.0,)),
    ("power_py_int_0", lambda ns: lambda x: ns.np.power(x, 0), (0.0,), (0.0,)),
    ("integer_pow_0_2", lambda ns: lambda x: ns.lax.integer_pow(x, 2), (0.0,), (0.0,)),
    # max/min: ties split the derivative evenly.
    ("maximum_tie", lambda ns: ns.np.maximum, (1.0, 1.0), (0.5, 0.5)),
    ("minimum_tie", lambda ns: ns.np.minimum, (1.0, 1.0), (0.5, 0.5)),
    ("maximum_signed_zeros", lambda ns: ns.np.maximum, (0.0, -0.0), (0.5, 0.5)),
    ("lax_max_tie", lambda ns: ns.lax.max, (1.0, 1.0), (0.5, 0.5)),
    ("amax_tie", lambda ns: lambda x, y: ns.np.max(ns.np.stack([x, y])), (1.0, 1.0),
     (0.5, 0.5)),
    ("relu_at_0", lambda ns: ns.nn.relu, (0.0,), (0.0,)),
    ("hypot_at_0", lambda ns: ns.np.hypot, (0.0, 0.0), (0.5, 0.5)),
    # fmax/fmin are one select: a tie goes to the second argument.
    ("fmax_tie", lambda ns: ns.np.fmax, (1.0, 1.0), (0.0, 1.0)),
    ("fmin_tie", lambda ns: ns.np.fmin, (1.0, 1.0), (0.0, 1.0)),
    # lax.clamp(lo, x, hi): x only strictly inside; a bound only strictly beyond x.
    ("clamp_at_lo", lambda ns: ns.lax.clamp, (0.0, 0.0, 1.0), (0.0, 0.0, 0.0)),
    ("clamp_at_hi", lambda ns: ns.lax.clamp, (0.0, 1.0, 1.0), (0.0, 0.0, 0.0)),
    ("clamp_inside", lambda ns: ns.lax.clamp, (0.0, 0.5, 1.0), (0.0, 1.0, 0.0)),
    ("clamp_above", lambda ns: ns.lax.clamp, (0.0, 2.0, 1.0), (0.0, 0.0, 1.0)),
    ("clamp_below", lambda ns: ns.lax.clamp, (0.0, -1.0, 1.0), (1.0, 0.0, 0.0)),
    # numpy.clip(x, lo, hi) is min(max(x, lo), hi): ties split.
    ("clip_at_lo", lambda ns: ns.np.clip, (0.0, 0.0, 1.0), (0.5, 0.5, 0.0)),
    ("clip_at_hi", lambda ns: ns.np.clip, (1.0, 0.0, 1.0), (0.5, 0.0, 0.5)),
    ("where_tie", lambda ns: lambda x, y: ns.np.where(x > y, x, y), (1.0, 1.0), (0.0, 1.0)),
    # logaddexp: d/dx1 = exp(x1 - out), +inf replaced by 0 on both sides.
    ("logaddexp_equal", lambda ns: ns.np.logaddexp, (1.0, 1.0), (0.5, 0.5)),
    ("logaddexp_zeros", lambda ns: ns.np.logaddexp, (0.0, 0.0), (0.5, 0.5)),
    ("logaddexp_posinf", lambda ns: ns.np.logaddexp, (inf, inf), (1.0, 1.0)),
    ("logaddexp_neginf", lambda ns: ns.np.logaddexp, (-inf, -inf), (nan, nan)),
    ("logaddexp_inf_1", lambda ns: ns.np.logaddexp, (inf, 1.0), (1.0, E)),
    ("logaddexp_neginf_1", lambda ns: ns.np.logaddexp, (-inf, 1.0), (0.0, 1.0)),
    ("logaddexp2_equal", lambda ns: ns.np.logaddexp2, (1.0, 1.0), (0.5, 0.5)),
    ("logaddexp2_posinf", lambda ns: ns.np.logaddexp2, (inf, inf), (1.0, 1.0)),
    ("logaddexp2_inf_1", lambda ns: ns.np.logaddexp2, (inf, 1.0), (1.0, 2.0)),
    ("logaddexp2_neginf_1", lambda ns: ns.np.logaddexp2, (-inf, 1.0), (0.0, 1.0)),
]

_XF = types.SimpleNamespace(np=xnp, lax=lax, nn=nn)


def _args(point):
    return tuple(np.complex64(p) if isinstance(p, complex) else np.float32(p) for p in point)


def _grads(grad, ns, make, point):
    args = _args(point)
    g = grad(make(ns), tuple(range(len(args))))(*args)
    return [np.asarray(x) for x in g]


def _assert_same(got, want):
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-6, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("make,point,want", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_grad_closed_form(make, point, want):
    _assert_same(_grads(xf.grad, _XF, make, point), want)
    _assert_same(_grads(lambda f, a: xf.jit(xf.grad(f, a)), _XF, make, point), want)
    # Forward mode agrees for real inputs (one argument at a time, the others constants: an
    # explicit zero tangent times an infinite partial derivative would be NaN).
    args = _args(point)
    if not any(np.iscomplexobj(a) for a in args):
        fn = make(_XF)

        def along(i):
            def f(v):
                return fn(*args[:i], v, *args[i + 1:])

            return np.asarray(xf.jvp(f, (args[i],), (np.float32(1),))[1])

        _assert_same([along(i) for i in range(len(args))], want)


@pytest.mark.parametrize("make,point,want", [r[1:] for r in ROWS], ids=[r[0] for r in ROWS])
def test_grad_matches_jax(make, point, want):
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp

    jns = types.SimpleNamespace(np=jnp, lax=jax.lax, nn=jax.nn)
    want_jax = _grads(jax.grad, jns, make, point)
    _assert_same(_grads(xf.grad, _XF, make, point), want_jax)
    # Values too (the primal at infinities and ties).
    args = _args(point)
    np.testing.assert_allclose(np.asarray(make(_XF)(*args)), np.asarray(make(jns)(*args)),
                               rtol=1e-6, equal_nan=True)


def test_abs_second_derivative_and_jvp_at_0():
    assert float(xf.grad(xf.grad(xnp.abs))(0.0)) == 0.0
    _, t = xf.jvp(xnp.abs, (np.float32(0.0),), (np.float32(-3.0),))
    assert float(t) == -3.0  # the tangent passes unchanged at x = 0


@pytest.mark.parametrize("fn", ["logaddexp", "logaddexp2"])
def test_logaddexp_broadcast_batched_and_higher_order(fn):
    f = getattr(xnp, fn)
    x = np.array([1.0, inf, -inf, 0.5], np.float32)
    y = np.array([[2.0], [inf], [-inf]], np.float32)
    base = 2.0 if fn == "logaddexp2" else E
    out = np.asarray(f(x, y))
    with np.errstate(invalid="ignore"):
        want = np.logaddexp2(x, y) if fn == "logaddexp2" else np.logaddexp(x, y)
    np.testing.assert_allclose(out, want, rtol=1e-6)
    # Per-element gradients under vmap; finite where both arguments are +inf.
    gx, gy = xf.vmap(xf.grad(f, (0, 1)))(np.full(3, inf, np.float32),
                                         np.array([inf, 1.0, -inf], np.float32))
    np.testing.assert_allclose(np.asarray(gx), [1.0, 1.0, 1.0])
    np.testing.assert_allclose(np.asarray(gy), [1.0, base, 0.0], rtol=1e-6)
    # Second derivative at equal finite arguments: d2/dx2 = ln(b) p (1 - p), p = 1/2.
    h = xf.grad(xf.grad(f))(np.float32(1.0), np.float32(1.0))
    np.testing.assert_allclose(float(h), np.log(base) * 0.25, rtol=1e-5)


def test_logaddexp_scalar_and_array_mix():
    out = xnp.logaddexp(1.0, xnp.asarray([1.0, 2.0]))
    np.testing.assert_allclose(np.asarray(out), np.logaddexp(1.0, [1.0, 2.0]), rtol=1e-6)
    g = xf.grad(lambda a: xnp.logaddexp(a, xnp.asarray([1.0, 2.0])).sum())(1.0)
    np.testing.assert_allclose(float(g), sum(1 / (1 + np.exp([0.0, 1.0]))), rtol=1e-5)


def test_hypot_infinities_win_over_nan():
    a = np.array([np.inf, np.nan, np.inf, 3, 0, -np.inf, np.nan], np.float32)
    b = np.array([np.nan, np.inf, np.inf, 4, 0, 1, 2], np.float32)
    np.testing.assert_array_equal(xnp.hypot(a, b), np.hypot(a, b))
    np.testing.assert_array_equal(xf.jit(xnp.hypot)(a, b), np.hypot(a, b))
