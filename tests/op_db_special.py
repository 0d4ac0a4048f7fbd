"""Op-table rows of the special-function family (``xfront/lax/special.py``) against
scipy.special. Derivatives are checked in the arguments where they are defined (``grad_args``);
d/da of igamma/igammac (first order) is checked in tests/test_scipy.py."""

from __future__ import annotations

import numpy as np
import scipy.special as sp

from tests.op_db import FLOATS, OpInfo, bf16, f16, f32
from xfront import lax

_TOL = {f32: (2e-5, 1e-6), bf16: (3e-2, 1e-2), f16: (3e-3, 1e-3)}
_GAMMA_TOL = {f32: (5e-5, 1e-6), bf16: (4e-2, 2e-2), f16: (4e-3, 2e-3)}
_A, _X = (0.5, 5.0), (0.1, 8.0)


def _richardson(f, a, *args):
    """d/da f(a, *args) by Richardson-extrapolated central differences (about 1e-11)."""
    a = np.asarray(a, np.float64)

    def central(h):
        return (f(a + h, *args) - f(a - h, *args)) / (2 * h)

    h = 1e-3 * np.maximum(1.0, np.abs(a))
    return (4 * central(h / 2) - central(h)) / 3


def _igamma_grad_a_ref(a, x):
    return _richardson(sp.gammainc, a.astype(np.float64), x.astype(np.float64))


def _random_gamma_grad_ref(a, x):
    a, x = a.astype(np.float64), x.astype(np.float64)
    pdf = np.exp((a - 1) * np.log(x) - x - sp.gammaln(a))
    return -_igamma_grad_a_ref(a, x) / pdf


_SHAPES2 = (((), ()), ((5,), (5,)), ((2, 3), (2, 3)), ((2, 3), ()), ((), (4,)))
_SHAPES3 = (((5,),) * 3, ((2, 3),) * 3, ((), (), (4,)), ((3,), (), (3,)))

OPS = [
    OpInfo("bessel_i0e", "bessel_i0e", lax.bessel_i0e, sp.i0e, FLOATS, domain=(-30.0, 30.0),
           tol=_TOL),
    OpInfo("bessel_i0e_small", "bessel_i0e", lax.bessel_i0e, sp.i0e, (f32,), ((7,),),
           domain=(-2.0, 2.0), tol=_TOL),
    OpInfo("bessel_i1e", "bessel_i1e", lax.bessel_i1e, sp.i1e, FLOATS, domain=(-30.0, 30.0),
           tol=_TOL),
    OpInfo("igamma", "igamma", lax.igamma, sp.gammainc, (f32, bf16), _SHAPES2,
           arg_domains=(_A, _X), nargs=2, tol=_GAMMA_TOL, grad_args=(1,)),
    OpInfo("igammac", "igammac", lax.igammac, sp.gammaincc, (f32, f16), _SHAPES2,
           arg_domains=(_A, _X), nargs=2, tol=_GAMMA_TOL, grad_args=(1,)),
    OpInfo("igamma_large_a", "igamma", lax.igamma, sp.gammainc, (f32,), (((6,), (6,)),),
           arg_domains=((20.0, 60.0), (10.0, 80.0)), nargs=2,
           tol={f32: (2e-3, 1e-5)}, grad_args=(1,)),
    OpInfo("igamma_grad_a", "igamma_grad_a", lax.igamma_grad_a, _igamma_grad_a_ref, (f32,),
           _SHAPES2, arg_domains=(_A, _X), nargs=2, tol={f32: (2e-4, 2e-6)},
           grad_args=(1,)),
    OpInfo("random_gamma_grad", "random_gamma_grad", lax.random_gamma_grad,
           _random_gamma_grad_ref, (f32,), _SHAPES2, arg_domains=(_A, (0.3, 8.0)), nargs=2,
           tol={f32: (2e-4, 2e-6)}, grad_args=(1,)),
    OpInfo("zeta", "zeta", lax.zeta, sp.zeta, (f32,), _SHAPES2,
           arg_domains=((1.5, 6.0), (0.5, 5.0)), nargs=2, tol={f32: (5e-6, 1e-6)},
           grad_args=(1,)),
    OpInfo("betainc", "regularized_incomplete_beta", lax.betainc, sp.betainc, (f32, bf16),
           _SHAPES3, arg_domains=((0.5, 5.0), (0.5, 5.0), (0.05, 0.95)), nargs=3,
           tol={f32: (5e-5, 2e-6), bf16: (4e-2, 2e-2)}, grad_args=(2,)),
]
