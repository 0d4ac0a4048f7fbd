"""Samplers built on rejection loops (``lax.while_loop``) and scans, with JAX's algorithms:
gamma / loggamma (Marsaglia-Tsang) and what derives from them (beta, dirichlet, chisquare, f, t,
generalized_normal, ball), poisson (Knuth below 10, Hormann's transformed rejection above),
binomial (inversion below a mean of 10, BTRS above) and multinomial (a scan of binomials).

A gamma sample runs its own loop per element (``vmap`` of the one-element sampler, as JAX's
lowering does), so each element's value depends only on its key and shape parameter; poisson and
binomial loop over the whole array until every element has been accepted.
"""

from __future__ import annotations

import math

import numpy as np

from xfront import lax
from xfront import numpy as xnp
from xfront.api import jit
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.custom_derivatives import custom_jvp
from xfront.random._prng import (
    _canonical_shape,
    _split,
    _unwrap,
    _user_dtype,
    rolled_threefry,
)
from xfront.random._samplers import (
    _as_array,
    _broadcast_shape,
    _check_safe_cast,
    _check_shape,
    _exponential,
    _float_dtype,
    _normal,
    _rademacher,
    _split2,
    _uniform,
)
from xfront.vectorize import vmap


def _const(x, v):
    return np.array(v, x.dtype)


def _jit_rolled(fun, static_argnums):
    """``jit`` of ``fun`` traced with threefry's rounds in a loop: loop bodies hash keys
    several times per iteration, and the rolled form keeps the module (and XLA's compile
    time) ~4x smaller. It is also the structure of JAX's lowering."""

    def traced(*args):
        with rolled_threefry():
            return fun(*args)

    traced.__name__ = traced.__qualname__ = fun.__name__
    return jit(traced, static_argnums=static_argnums)


# ----------------------------------------------------------------------------------------------
# gamma and loggamma.


def _gamma_one(key, alpha, log_space: bool):
    """One Gamma(alpha, 1) sample (or its log) from uint32[2] key data: Marsaglia and Tsang's
    squeeze-and-reject method, with alpha < 1 boosted to alpha + 1 and corrected by
    ``U ** (1 / alpha)``."""
    dtype = alpha.dtype
    zero, one, minus_one = _const(alpha, 0), _const(alpha, 1), _const(alpha, -1)
    half, third, squeeze = _const(alpha, 0.5), _const(alpha, 1.0 / 3.0), _const(alpha, 0.0331)
    boost_mask = lax.ge(alpha, one)
    alpha_orig = alpha
    alpha = lax.select(boost_mask, alpha, lax.add(alpha, one))
    d = lax.sub(alpha, third)
    c = lax.div(third, lax.sqrt(d))

    def rejected(state):
        _, x2, v, u = state
        return lax.bitwise_and(
            lax.ge(u, lax.sub(one, lax.mul(squeeze, lax.mul(x2, x2)))),
            lax.ge(lax.log(u), lax.add(lax.mul(x2, half),
                                       lax.mul(d, lax.add(lax.sub(one, v), lax.log(v))))))

    def propose(state):
        def next_normal(kxv):
            k, sub = _split2(kxv[0])
            x = _normal(sub, (), dtype)
            return k, x, lax.add(one, lax.mul(x, c))

        keys = _split(state[0], (3,))
        k, x_key, u_key = keys[0], keys[1], keys[2]
        _, x, v = lax.while_loop(lambda kxv: lax.le(kxv[2], zero), next_normal,
                                 (x_key, zero, minus_one))
        return k, lax.mul(x, x), lax.mul(lax.mul(v, v), v), _uniform(u_key, (), dtype)

    key, subkey = _split2(key)
    _, _, v, _ = lax.while_loop(rejected, propose, (key, zero, one, _const(alpha, 2)))
    if log_space:
        log_u = lax.neg(_exponential(subkey, (), dtype))
        log_boost = lax.select(lax.bitwise_or(boost_mask, lax.eq(log_u, zero)), zero,
                               lax.mul(log_u, lax.div(one, alpha_orig)))
        return lax.add(lax.add(lax.log(d), lax.log(v)), log_boost)
    u = 1 - _uniform(subkey, (), dtype)
    boost = lax.select(boost_mask, one, lax.pow(u, lax.div(one, alpha_orig)))
    return lax.mul(lax.mul(d, v), boost)


def _gamma_grad(sample, a, log_space: bool):
    """d sample / d a by implicit reparameterization (``lax.random_gamma_grad``)."""
    if log_space:  # d log(x) = dx / x; x may underflow to 0 from its log
        x = lax.exp(sample)
        x = xnp.where(x == 0, _const(x, dtypes.finfo(x.dtype).tiny), x)
        return lax.random_gamma_grad(a, x) / x
    return lax.random_gamma_grad(a, sample)


def _gamma_core(key, a, log_space: bool):
    """Gamma samples of ``a``'s shape: key i of ``split(key, a.size)`` draws element i."""
    keys = _split(key, (math.prod(a.shape),))
    one = vmap(lambda k, alpha: _gamma_one(k, alpha, log_space))
    return one(keys, xnp.ravel(a)).reshape(a.shape)


@custom_jvp
def _gamma_sample(key, a):
    return _gamma_core(key, a, False)


@custom_jvp
def _loggamma_sample(key, a):
    return _gamma_core(key, a, True)


_gamma_sample.defjvps(None, lambda t, ans, key, a: t * _gamma_grad(ans, a, False))
_loggamma_sample.defjvps(None, lambda t, ans, key, a: t * _gamma_grad(ans, a, True))


def _gamma(key, a, shape, dtype, log_space=False):
    a = lax.convert_element_type(a, dtype)
    if tuple(a.shape) != shape:
        a = xnp.broadcast_to(a, shape)
    return (_loggamma_sample if log_space else _gamma_sample)(key, a)


_gamma_jit = _jit_rolled(_gamma, static_argnums=(2, 3, 4))


def _gamma_args(where: str, key, a, shape, dtype):
    data, _ = _unwrap(key, where)
    dtype = _float_dtype(where, dtype)
    a = _as_array(where, a)
    shape = _broadcast_shape(where, shape, a)
    return data, a, shape, dtype


def gamma(key, a, shape=None, dtype=None):
    """Gamma(a, 1) values (shape parameter ``a``; scale by multiplying). Differentiable in
    ``a`` through implicit reparameterization."""
    data, a, shape, dtype = _gamma_args("gamma", key, a, shape, dtype)
    return _gamma_jit(data, a, shape, dtype, False)


def loggamma(key, a, shape=None, dtype=None):
    """The logs of Gamma(a, 1) values, computed in log space (accurate for tiny ``a``, whose
    samples underflow to 0)."""
    data, a, shape, dtype = _gamma_args("loggamma", key, a, shape, dtype)
    return _gamma_jit(data, a, shape, dtype, True)


# ----------------------------------------------------------------------------------------------
# Derived from gamma: beta, dirichlet, chisquare, f, t, generalized_normal, ball.


def _beta_impl(key, a, b, shape, dtype):
    a = xnp.broadcast_to(lax.convert_element_type(a, dtype), shape)
    b = xnp.broadcast_to(lax.convert_element_type(b, dtype), shape)
    key_a, key_b = _split2(key)
    log_ga = _gamma(key_a, a, shape, dtype, True)
    log_gb = _gamma(key_b, b, shape, dtype, True)
    # ga / (ga + gb) without underflow: scale both by the larger
    log_max = lax.max(log_ga, log_gb)
    ga, gb = xnp.exp(log_ga - log_max), xnp.exp(log_gb - log_max)
    return ga / (ga + gb)


_beta_jit = _jit_rolled(_beta_impl, static_argnums=(3, 4))


def beta(key, a, b, shape=None, dtype=None):
    """Beta(a, b) values, as ``Ga / (Ga + Gb)`` of two gamma samples (in log space)."""
    data, _ = _unwrap(key, "beta")
    dtype = _float_dtype("beta", dtype)
    _check_safe_cast("beta", dtype, a, b)
    shape = _broadcast_shape("beta", shape, a, b)
    return _beta_jit(data, a, b, shape, dtype)


def _softmax_last(x):
    x_max = xnp.max(x, axis=-1, keepdims=True)
    unnormalized = xnp.exp(x - lax.stop_gradient(x_max))
    return unnormalized / xnp.sum(unnormalized, axis=-1, keepdims=True)


def _dirichlet_impl(key, alpha, shape, dtype):
    alpha = lax.convert_element_type(alpha, dtype)
    full = shape + tuple(alpha.shape[-1:])
    # normalize in log space: small alphas give gamma samples that underflow
    return _softmax_last(_gamma(key, alpha, full, dtype, True))


_dirichlet_jit = _jit_rolled(_dirichlet_impl, static_argnums=(2, 3))


def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet(alpha) values over the last axis of ``alpha`` (``shape`` is the batch shape;
    the result has shape ``shape + alpha.shape[-1:]``)."""
    data, _ = _unwrap(key, "dirichlet")
    dtype = _float_dtype("dirichlet", dtype)
    alpha = _as_array("dirichlet", alpha)
    if alpha.ndim < 1:
        raise XfrontValueError(
            f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {alpha.ndim}")
    if shape is None:
        shape = tuple(alpha.shape[:-1])
    else:
        shape = _canonical_shape("dirichlet", shape)
        _check_shape("dirichlet", shape, tuple(alpha.shape[:-1]))
    return _dirichlet_jit(data, alpha, shape, dtype)


def _chisquare(key, df, shape, dtype):
    df = lax.convert_element_type(df, dtype)
    two = _const(df, 2)
    log_g = _gamma(key, xnp.broadcast_to(lax.div(df, two), shape), shape, dtype, True)
    return lax.mul(xnp.exp(log_g), two)


_chisquare_jit = _jit_rolled(_chisquare, static_argnums=(2, 3))


def chisquare(key, df, shape=None, dtype=None):
    """Chi-square values with ``df`` degrees of freedom: ``2 * Gamma(df / 2)``."""
    data, _ = _unwrap(key, "chisquare")
    dtype = _float_dtype("chisquare", dtype)
    shape = _broadcast_shape("chisquare", shape, df)
    _check_safe_cast("chisquare", dtype, df)
    return _chisquare_jit(data, df, shape, dtype)


def _f_impl(key, dfnum, dfden, shape, dtype):
    dfden = lax.convert_element_type(dfden, dtype)
    dfnum = lax.convert_element_type(dfnum, dtype)
    key_dfd, key_dfn = _split2(key)
    chi2_dfn = _chisquare(key_dfn, dfnum, shape, dtype)
    chi2_dfd = _chisquare(key_dfd, dfden, shape, dtype)
    return lax.div(lax.div(chi2_dfn, dfnum), lax.div(chi2_dfd, dfden))


_f_jit = _jit_rolled(_f_impl, static_argnums=(3, 4))


def f(key, dfnum, dfden, shape=None, dtype=None):
    """F-distribution values: the ratio of two chi-squares, each divided by its df."""
    data, _ = _unwrap(key, "f")
    dtype = _float_dtype("f", dtype)
    shape = _broadcast_shape("f", shape, dfnum, dfden)
    _check_safe_cast("f", dtype, dfnum, dfden)
    return _f_jit(data, dfnum, dfden, shape, dtype)


def _t_impl(key, df, shape, dtype):
    df = lax.convert_element_type(df, dtype)
    key_n, key_g = _split2(key)
    n = _normal(key_n, shape, dtype)
    half_df = lax.div(df, _const(n, 2))
    g = _gamma(key_g, xnp.broadcast_to(half_df, shape), shape, dtype)
    return n * xnp.sqrt(half_df / g)


_t_jit = _jit_rolled(_t_impl, static_argnums=(2, 3))


def t(key, df, shape=None, dtype=None):
    """Student's t values with ``df`` degrees of freedom: ``z * sqrt(df / (2 Gamma(df/2)))``."""
    data, _ = _unwrap(key, "t")
    dtype = _float_dtype("t", dtype)
    shape = _broadcast_shape("t", shape, df)
    _check_safe_cast("t", dtype, df)
    return _t_jit(data, df, shape, dtype)


def _generalized_normal(key, p, shape, dtype):
    k_gamma, k_sign = _split2(key)
    g = _gamma(k_gamma, 1 / p, shape, dtype)
    r = _rademacher(k_sign, shape, dtype)
    return r * g ** (1 / p)


_generalized_normal_jit = _jit_rolled(_generalized_normal, static_argnums=(2, 3))


def generalized_normal(key, p, shape=(), dtype=None):
    """Generalized normal values of power ``p`` (density ~ ``exp(-|x|^p)``): a random sign
    times ``Gamma(1/p) ** (1/p)``."""
    data, _ = _unwrap(key, "generalized_normal")
    dtype = _float_dtype("generalized_normal", dtype)
    shape = _canonical_shape("generalized_normal", shape)
    return _generalized_normal_jit(data, p, shape, dtype)


def _ball_impl(key, p, d, shape, dtype):
    k1, k2 = _split2(key)
    g = _generalized_normal(k1, p, (*shape, d), dtype)
    e = _exponential(k2, shape, dtype)
    return g / (((xnp.abs(g) ** p).sum(-1) + e) ** (1 / p))[..., None]


_ball_jit = _jit_rolled(_ball_impl, static_argnums=(2, 3, 4))


def ball(key, d, p=2, shape=(), dtype=None):
    """Points uniform in the unit ``p``-norm ball of dimension ``d`` (Barthe et al.)."""
    data, _ = _unwrap(key, "ball")
    dtype = _float_dtype("ball", dtype)
    shape = _canonical_shape("ball", shape)
    try:
        d = int(np.asarray(d).item()) if not isinstance(d, int) else d
    except (TypeError, ValueError):
        raise XfrontTypeError("ball: the dimension d must be a concrete integer") from None
    return _ball_jit(data, p, d, shape, dtype)


# ----------------------------------------------------------------------------------------------
# poisson.


def _poisson_knuth(key, lam, shape, dtype, max_iters):
    # multiply uniforms until the product drops below exp(-lam); count the factors
    def body(carry):
        i, k, key, log_prod = carry
        key, sub = _split2(key)
        k = lax.select(log_prod > -lam, k + 1, k)
        u = _uniform(sub, shape, dtypes.float32)
        return i + 1, k, key, log_prod + xnp.log(u)

    def cond(carry):
        i, log_prod = carry[0], carry[3]
        return xnp.any(log_prod > -lam) & (i < max_iters)

    init = (0, lax.full(shape, 0, dtype), key, lax.full(shape, 0.0, dtypes.float32))
    k = lax.while_loop(cond, body, init)[1]
    return (k - 1).astype(dtype)


def _poisson_rejection(key, lam, shape, dtype, max_iters):
    # Hormann's transformed rejection (PTRS)
    log_lam = lax.log(lam)
    b = 0.931 + 2.53 * lax.sqrt(lam)
    a = -0.059 + 0.02483 * b
    inv_alpha = 1.1239 + 1.1328 / (b - 3.4)
    v_r = 0.9277 - 3.6224 / (b - 2)

    def body(carry):
        i, k_out, accepted, key = carry
        keys = _split(key, (3,))
        key, sub0, sub1 = keys[0], keys[1], keys[2]
        u = _uniform(sub0, shape, lam.dtype) - 0.5
        v = _uniform(sub1, shape, lam.dtype)
        u_shifted = 0.5 - abs(u)
        k = lax.floor((2 * a / u_shifted + b) * u + lam + 0.43)
        s = lax.log(v * inv_alpha / (a / (u_shifted * u_shifted) + b))
        t = -lam + k * log_lam - lax.lgamma(k + 1)
        accept1 = (u_shifted >= 0.07) & (v <= v_r)
        reject = (k < 0) | ((u_shifted < 0.013) & (v > u_shifted))
        accept = accept1 | (~reject & (s <= t))
        k_out = lax.select(accept, k, k_out)
        return i + 1, k_out, accepted | accept, key

    def cond(carry):
        i, _, accepted, _ = carry
        return xnp.any(~accepted) & (i < max_iters)

    init = (0, lax.full(shape, -1, lam.dtype), lax.full(shape, False, dtypes.bool_), key)
    return lax.while_loop(cond, body, init)[1].astype(dtype)


def _poisson_impl(key, lam, shape, dtype):
    use_knuth = xnp.isnan(lam) | (lam < 10)
    lam_knuth = lax.select(use_knuth, lam, xnp.zeros_like(lam))
    # rejection's acceptance rate approaches 89% for large lam: any large value is safe here
    lam_rejection = lax.select(use_knuth, xnp.full_like(lam, 1e5), lam)
    max_iters = np.array(dtypes.iinfo(dtype).max, dtype)
    result = lax.select(use_knuth,
                        _poisson_knuth(key, lam_knuth, shape, dtype, max_iters),
                        _poisson_rejection(key, lam_rejection, shape, dtype, max_iters))
    return lax.select(lam == 0, xnp.zeros_like(result), result)


_poisson_jit = _jit_rolled(_poisson_impl, static_argnums=(2, 3))


def poisson(key, lam, shape=None, dtype=None):
    """Poisson values of rate ``lam`` (default dtype int32, or int64 with x64): Knuth's
    product of uniforms for ``lam < 10``, transformed rejection (PTRS) above."""
    data, _ = _unwrap(key, "poisson")
    dtype = dtypes.default_int_dtype() if dtype is None else _user_dtype(dtype)
    if not dtypes.issubdtype(dtype, np.integer):
        raise XfrontValueError(f"dtype argument to `poisson` must be an int dtype, got {dtype}")
    lam = _as_array("poisson", lam)
    shape = tuple(lam.shape) if shape is None else _canonical_shape("poisson", shape)
    _check_shape("poisson", shape, tuple(lam.shape))
    lam = lax.convert_element_type(xnp.broadcast_to(lam, shape), dtypes.float32)
    return _poisson_jit(data, lam, shape, dtype)


# ----------------------------------------------------------------------------------------------
# binomial and multinomial.

_STIRLING_TAIL = (0.0810614667953272, 0.0413406959554092, 0.0276779256849983,
                  0.02079067210376509, 0.0166446911898211, 0.0138761288230707,
                  0.0118967099458917, 0.0104112652619720, 0.00925546218271273,
                  0.00833056343336287)


def _stirling_approx_tail(k):
    """log(k!) - Stirling's approximation of it: a table for k <= 9, a series above."""
    table = xnp.asarray(np.array(_STIRLING_TAIL, k.dtype))
    use_table = k <= 9
    k = lax.clamp(_const(k, 0.0), k, _const(k, 9.0))
    kp1sq = (k + 1) * (k + 1)
    approx = (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1)
    idx = xnp.floor(k).astype(dtypes.int32)
    return lax.select(use_table, xnp.take(table, idx) if hasattr(xnp, "take")
                      else table[idx], approx)


def _binomial_inversion(key, count, prob, shape, dtype, max_iters):
    log1minusprob = xnp.log1p(-prob)

    def body(carry):
        i, num_geom, geom_sum, key = carry
        keys = _split(key, (2,))
        sub, key = keys[0], keys[1]
        num_geom_out = lax.select(geom_sum <= count, num_geom + 1, num_geom)
        u = _uniform(sub, shape, prob.dtype)
        geom = xnp.ceil(xnp.log(u) / log1minusprob)
        return i + 1, num_geom_out, geom_sum + geom, key

    def cond(carry):
        i, geom_sum = carry[0], carry[2]
        return xnp.any(geom_sum <= count) & (i < max_iters)

    zeros = lax.full(shape, 0, prob.dtype)
    k = lax.while_loop(cond, body, (0, zeros, zeros, key))[1]
    return (k - 1).astype(dtype)


def _btrs(key, count, prob, shape, dtype, max_iters):
    # Hormann's transformed rejection with squeeze (BTRS)
    stddev = xnp.sqrt(count * prob * (1 - prob))
    b = 1.15 + 2.53 * stddev
    a = -0.0873 + 0.0248 * b + 0.01 * prob
    c = count * prob + 0.5
    v_r = 0.92 - 4.2 / b
    r = prob / (1 - prob)
    alpha = (2.83 + 5.1 / b) * stddev
    m = xnp.floor((count + 1) * prob)

    def body(carry):
        i, k_out, accepted, key = carry
        keys = _split(key, (3,))
        key, sub0, sub1 = keys[0], keys[1], keys[2]
        u = _uniform(sub0, shape, prob.dtype)
        v = _uniform(sub1, shape, prob.dtype)
        u = u - 0.5
        us = 0.5 - xnp.abs(u)
        accept1 = (us >= 0.07) & (v <= v_r)
        k = xnp.floor((2 * a / us + b) * u + c)
        reject = (k < 0) | (k > count)
        v = xnp.log(v * alpha / (a / (us * us) + b))
        ub = ((m + 0.5) * xnp.log((m + 1) / (r * (count - m + 1)))
              + (count + 1) * xnp.log((count - m + 1) / (count - k + 1))
              + (k + 0.5) * xnp.log(r * (count - k + 1) / (k + 1))
              + _stirling_approx_tail(m)
              + _stirling_approx_tail(count - m)
              - _stirling_approx_tail(k)
              - _stirling_approx_tail(count - k))
        accept = accept1 | (~reject & (v <= ub))
        k_out = lax.select(accept, k, k_out)
        return i + 1, k_out, accepted | accept, key

    def cond(carry):
        i, accepted = carry[0], carry[2]
        return xnp.any(~accepted) & (i < max_iters)

    init = (0, lax.full(shape, -1, prob.dtype), lax.full(shape, False, dtypes.bool_), key)
    return lax.while_loop(cond, body, init)[1].astype(dtype)


def _binomial_impl(key, count, prob, shape, dtype):
    if not dtypes.issubdtype(prob.dtype, np.inexact):
        prob = prob.astype(dtypes.default_float_dtype())
    count = xnp.broadcast_to(lax.convert_element_type(count, prob.dtype), shape)
    prob = xnp.broadcast_to(prob, shape)
    p_lt_half = prob < 0.5
    q = lax.select(p_lt_half, prob, 1.0 - prob)
    count_nan_or_neg = xnp.isnan(count) | (count < 0.0)
    count_inf = xnp.isinf(count)
    q_is_nan = xnp.isnan(q)
    q_l_0 = q < 0.0
    q = lax.select(q_is_nan | q_l_0, xnp.full_like(q, 0.01), q)
    use_inversion = count_nan_or_neg | (count * q <= 10.0)
    count = xnp.floor(count)  # float counts are floored, as numpy.random.binomial
    count_inv = lax.select(use_inversion, count, xnp.full_like(count, 0.0))
    count_btrs = lax.select(use_inversion, xnp.full_like(count, 1e4), count)
    q_btrs = lax.select(use_inversion, xnp.full_like(q, 0.5), q)
    max_iters = np.array(dtypes.finfo(dtype).max, dtype)
    samples = lax.select(use_inversion,
                         _binomial_inversion(key, count_inv, q, shape, dtype, max_iters),
                         _btrs(key, count_btrs, q_btrs, shape, dtype, max_iters))
    invalid = q_l_0 | q_is_nan | count_nan_or_neg  # nan p or nan/negative n: nan
    samples = lax.select(invalid, xnp.full_like(samples, np.nan, dtype), samples)
    samples = lax.select(count_inf & ~invalid, xnp.full_like(samples, np.inf, dtype), samples)
    return lax.select(p_lt_half | count_nan_or_neg | q_is_nan | count_inf, samples,
                      count.astype(dtype) - samples)


_binomial_jit = _jit_rolled(_binomial_impl, static_argnums=(3, 4))


def binomial(key, n, p, shape=None, dtype=None):
    """Binomial(n, p) values as floats: inversion for ``n p <= 10``, BTRS above (the
    algorithms of TensorFlow and JAX). nan for nan/negative ``n`` or invalid ``p``."""
    data, _ = _unwrap(key, "binomial")
    dtype = _float_dtype("binomial", dtype)
    n, p = _as_array("binomial", n), _as_array("binomial", p)
    shape = _broadcast_shape("binomial", shape, n, p)
    return _binomial_jit(data, n, p, shape, dtype)


def multinomial(key, n, p, *, shape=None, dtype=None, unroll=1):
    """Multinomial counts of ``n`` trials over the categories of ``p``'s last axis: a scan of
    conditional binomials (category i gets Binomial(remaining, p_i / remaining mass))."""
    data, _ = _unwrap(key, "multinomial")
    dtype = dtypes.default_float_dtype() if dtype is None else _user_dtype(dtype)
    n, p = _as_array("multinomial", n), _as_array("multinomial", p)
    common = xnp.result_type(n, p)
    if not dtypes.issubdtype(common, np.inexact):
        common = dtypes.default_float_dtype()
    n, p = n.astype(common), p.astype(common)
    if p.ndim < 1:
        raise XfrontValueError("multinomial: p must have at least one dimension (the categories)")
    shape = tuple(p.shape) if shape is None else _canonical_shape("multinomial", shape)
    if not shape:
        raise XfrontValueError("multinomial: shape must end with the number of categories")
    n = xnp.broadcast_to(n, shape[:-1])
    p = xnp.broadcast_to(p, shape)
    ps = xnp.moveaxis(p, -1, 0)
    remaining = (lax.cumsum(ps, 0, reverse=True) if hasattr(lax, "cumsum")
                 else xnp.flip(xnp.cumsum(xnp.flip(ps, 0), axis=0), 0))
    ratios = ps / xnp.where(remaining == 0, 1, remaining)
    keys = _split(data, (ratios.shape[0],))

    def step(rest, ratio_key):
        ratio, k = ratio_key
        count = binomial(k, rest, xnp.clip(ratio, 0, 1), dtype=rest.dtype)
        return rest - count, count

    _, counts = lax.scan(step, n, (ratios, keys), unroll=unroll)
    return xnp.moveaxis(counts, 0, -1).astype(dtype)
