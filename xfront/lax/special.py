"""Special functions: scaled modified Bessel functions, the regularized incomplete gamma and beta
functions and their derivatives, and the Hurwitz zeta function (``erf``, ``lgamma``,
``digamma`` and ``polygamma`` live in ``elementwise.py``).

All are elementwise over floating operands of one shape (or rank 0), like the other elementwise
primitives. Derivatives follow JAX: igamma/igammac are differentiable in both arguments (d/da is
the primitive ``igamma_grad_a``), betainc in ``x`` only, zeta in ``q`` only; ``igamma_grad_a``
and ``random_gamma_grad`` have exact derivatives in ``x`` (d/da of them is not available).

StableHLO emission: ``lowering/rules/special.py`` (numerical kernels with ``stablehlo.while``
loops where the algorithm iterates to convergence).
"""

from __future__ import annotations

import numpy as np

from xfront.core.errors import XfrontValueError
from xfront.core.trace import get_aval
from xfront.interpreters import ad, batching
from xfront.lax.elementwise import (
    _brcast,
    _const,
    abs,
    add,
    digamma,
    div,
    exp,
    gt,
    lgamma,
    log,
    log1p,
    mul,
    neg,
    select,
    sign,
    sub,
)
from xfront.lax.utils import FLOAT, standard_naryop, standard_unop

__all__ = [
    "bessel_i0e",
    "bessel_i0e_p",
    "bessel_i1e",
    "bessel_i1e_p",
    "betainc",
    "igamma",
    "igamma_grad_a",
    "igamma_grad_a_p",
    "igamma_p",
    "igammac",
    "igammac_p",
    "random_gamma_grad",
    "random_gamma_grad_p",
    "regularized_incomplete_beta_p",
    "zeta",
    "zeta_p",
]


def _not_differentiable(prim: str, arg: str):
    def rule(g, *primals):
        raise XfrontValueError(
            f"{prim}: the derivative with respect to {arg} is not supported (as in JAX)")

    return rule


def _gamma_pdf(a, x):
    """x^(a-1) e^-x / Gamma(a): d/dx of igamma(a, x)."""
    return exp(sub(mul(sub(a, _const(a, 1)), log(x)), add(x, lgamma(a))))


# ----------------------------------------------------------------------------------------------
# Scaled modified Bessel functions.


def bessel_i0e(x):
    """Elementwise exponentially scaled modified Bessel function of order 0,
    ``exp(-|x|) * I0(x)``: a StableHLO power-series/asymptotic kernel."""
    return bessel_i0e_p.bind(x)


bessel_i0e_p = standard_unop("bessel_i0e", FLOAT)
ad.defjvp2(bessel_i0e_p, lambda g, y, x: mul(g, sub(bessel_i1e(x), mul(sign(x), y))))
batching.defvectorized(bessel_i0e_p)


def bessel_i1e(x):
    """Elementwise exponentially scaled modified Bessel function of order 1,
    ``exp(-|x|) * I1(x)``: ``chlo.bessel_i1e``."""
    return bessel_i1e_p.bind(x)


bessel_i1e_p = standard_unop("bessel_i1e", FLOAT)


def _bessel_i1e_jvp(g, y, x):
    # i1e' = i0e - (sign(x) + 1/x) i1e, which tends to 1/2 at 0.
    eps = float(np.finfo(get_aval(x).dtype).eps)
    not_tiny = gt(abs(x), _const(x, eps))
    safe_x = select(not_tiny, x, _const(x, eps))
    dy = sub(bessel_i0e(safe_x), mul(y, add(sign(safe_x), div(_const(x, 1), safe_x))))
    return mul(g, select(not_tiny, dy, _const(x, 0.5)))


ad.defjvp2(bessel_i1e_p, _bessel_i1e_jvp)
batching.defvectorized(bessel_i1e_p)


# ----------------------------------------------------------------------------------------------
# The regularized incomplete gamma functions.


def igamma(a, x):
    """Elementwise regularized lower incomplete gamma function P(a, x): a StableHLO kernel
    (power series / continued fraction in ``stablehlo.while`` loops)."""
    return igamma_p.bind(a, x)


igamma_p = standard_naryop("igamma", [FLOAT, FLOAT])
ad.defjvp(igamma_p,
          lambda g, a, x: _brcast(mul(g, igamma_grad_a(a, x)), a, x),
          lambda g, a, x: _brcast(mul(g, _gamma_pdf(a, x)), a, x))
batching.defbroadcasting(igamma_p)


def igammac(a, x):
    """Elementwise regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x), accurate
    where Q is small: a StableHLO kernel."""
    return igammac_p.bind(a, x)


igammac_p = standard_naryop("igammac", [FLOAT, FLOAT])
ad.defjvp(igammac_p,
          lambda g, a, x: _brcast(neg(mul(g, igamma_grad_a(a, x))), a, x),
          lambda g, a, x: _brcast(neg(mul(g, _gamma_pdf(a, x))), a, x))
batching.defbroadcasting(igammac_p)


def igamma_grad_a(a, x):
    """Elementwise d/da of ``igamma(a, x)``: a StableHLO kernel."""
    return igamma_grad_a_p.bind(a, x)


igamma_grad_a_p = standard_naryop("igamma_grad_a", [FLOAT, FLOAT])
# d/dx d/da P = d/da (x^(a-1) e^-x / Gamma(a)) = pdf * (log x - digamma(a)).
ad.defjvp(igamma_grad_a_p, _not_differentiable("igamma_grad_a", "a"),
          lambda g, a, x: _brcast(mul(g, mul(_gamma_pdf(a, x), sub(log(x), digamma(a)))), a,
                                  x))
batching.defbroadcasting(igamma_grad_a_p)


def random_gamma_grad(a, x):
    """Elementwise derivative of a Gamma(a, 1) sample ``x`` with respect to ``a`` (implicit
    reparameterization: -(dP/da) / (dP/dx) at P(a, x)): a StableHLO kernel."""
    return random_gamma_grad_p.bind(a, x)


random_gamma_grad_p = standard_naryop("random_gamma_grad", [FLOAT, FLOAT])


def _random_gamma_grad_dx(g, a, x):
    # With r = -G/p (G = dP/da, p = dP/dx): dr/dx = -(log x - digamma(a)) - r ((a-1)/x - 1).
    r = random_gamma_grad(a, x)
    dlogp = sub(div(sub(a, _const(a, 1)), x), _const(x, 1))
    return _brcast(mul(g, neg(add(sub(log(x), digamma(a)), mul(r, dlogp)))), a, x)


ad.defjvp(random_gamma_grad_p, _not_differentiable("random_gamma_grad", "a"),
          _random_gamma_grad_dx)
batching.defbroadcasting(random_gamma_grad_p)


# ----------------------------------------------------------------------------------------------
# Hurwitz zeta.


def zeta(x, q):
    """Elementwise Hurwitz zeta function sum_n (n + q)^-x: ``chlo.zeta``."""
    return zeta_p.bind(x, q)


zeta_p = standard_naryop("zeta", [FLOAT, FLOAT])
# d/dq zeta(x, q) = -x zeta(x + 1, q).
ad.defjvp(zeta_p, _not_differentiable("zeta", "x"),
          lambda g, x, q: _brcast(mul(g, neg(mul(x, zeta(add(x, _const(x, 1)), q)))), x, q))
batching.defbroadcasting(zeta_p)


# ----------------------------------------------------------------------------------------------
# The regularized incomplete beta function.


def betainc(a, b, x):
    """Elementwise regularized incomplete beta function I_x(a, b): a StableHLO kernel (a
    continued fraction evaluated by the modified Lentz method in a ``stablehlo.while``)."""
    return regularized_incomplete_beta_p.bind(a, b, x)


regularized_incomplete_beta_p = standard_naryop("regularized_incomplete_beta",
                                                [FLOAT, FLOAT, FLOAT])


def _betainc_dx(g, a, b, x):
    lbeta = sub(add(lgamma(a), lgamma(b)), lgamma(add(a, b)))
    one = _const(x, 1)
    log_density = sub(add(mul(sub(b, one), log1p(neg(x))), mul(sub(a, one), log(x))), lbeta)
    return _brcast(mul(g, exp(log_density)), a, b, x)


ad.defjvp(regularized_incomplete_beta_p, _not_differentiable("betainc", "a"),
          _not_differentiable("betainc", "b"), _betainc_dx)
batching.defbroadcasting(regularized_incomplete_beta_p)

