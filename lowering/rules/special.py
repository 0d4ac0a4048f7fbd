"""StableHLO emission of the 'special' family (mirrors ``xfront/lax/special.py``).

``bessel_i1e`` and ``zeta`` are CHLO ops. The others are numerical kernels written here over
StableHLO with a small expression type (``_K``: a tensor value with arithmetic operators) and
``stablehlo.while`` loops that run until every element has converged:

- ``bessel_i0e``: the power series of I0 (positive terms, no cancellation) for small |x| and the
  asymptotic expansion of e^-x I0(x) for large |x|, both evaluated with Horner's rule.
- ``igamma``/``igammac``/``igamma_grad_a``/``random_gamma_grad``: the regularized incomplete
  gamma functions, by the power series of P(a, x) for x < max(1, a) and the Legendre continued
  fraction of Q(a, x) otherwise (the classic Cephes split), carrying d/da of the partial sums
  through the iterations for the derivatives.
- ``regularized_incomplete_beta``: the continued fraction of DLMF 8.17.22 evaluated with the
  modified Lentz method, on the side of the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it
  converges quickly.

bfloat16 and float16 operands are computed in float32.
"""

from __future__ import annotations

import math

import numpy as np

from lowering import mlir
from lowering.builder import register_lowering
from lowering.mlir import chlo, hlo, ir
from lowering.rules.elementwise import broadcast_scalars, compare, elementwise
from xfront.core import dtypes

# ----------------------------------------------------------------------------------------------
# A tiny expression language over StableHLO values of one shape.


class _K:
    """A StableHLO value of a known shape and dtype with arithmetic, comparison and logical
    operators (Python numbers are splat constants of the same shape and dtype)."""

    __slots__ = ("v", "shape", "dtype")

    def __init__(self, v: ir.Value, shape, dtype):
        self.v, self.shape, self.dtype = v, tuple(shape), np.dtype(dtype)

    def const(self, value, dtype=None) -> _K:
        dt = self.dtype if dtype is None else np.dtype(dtype)
        return _K(mlir.scalar_constant(value, dt, self.shape), self.shape, dt)

    def _lift(self, o) -> _K:
        return o if isinstance(o, _K) else self.const(o)

    def _bin(self, op, o, swap=False):
        o = self._lift(o)
        a, b = (o, self) if swap else (self, o)
        return _K(op(a.v, b.v), self.shape, self.dtype)

    def __add__(self, o):
        return self._bin(hlo.add, o)

    def __radd__(self, o):
        return self._bin(hlo.add, o, True)

    def __sub__(self, o):
        return self._bin(hlo.subtract, o)

    def __rsub__(self, o):
        return self._bin(hlo.subtract, o, True)

    def __mul__(self, o):
        return self._bin(hlo.multiply, o)

    def __rmul__(self, o):
        return self._bin(hlo.multiply, o, True)

    def __truediv__(self, o):
        return self._bin(hlo.divide, o)

    def __rtruediv__(self, o):
        return self._bin(hlo.divide, o, True)

    def __neg__(self):
        return _K(hlo.negate(self.v), self.shape, self.dtype)

    def _cmp(self, o, direction):
        o = self._lift(o)
        return _K(compare(self.v, o.v, direction, self.dtype), self.shape, dtypes.bool_)

    def __lt__(self, o):
        return self._cmp(o, "LT")

    def __le__(self, o):
        return self._cmp(o, "LE")

    def __gt__(self, o):
        return self._cmp(o, "GT")

    def __ge__(self, o):
        return self._cmp(o, "GE")

    def eq(self, o):
        return self._cmp(o, "EQ")

    def ne(self, o):
        return self._cmp(o, "NE")

    def __and__(self, o):
        return _K(hlo.and_(self.v, o.v), self.shape, dtypes.bool_)

    def __or__(self, o):
        return _K(hlo.or_(self.v, o.v), self.shape, dtypes.bool_)

    def __invert__(self):
        return _K(hlo.not_(self.v), self.shape, dtypes.bool_)

    def apply(self, op) -> _K:
        return _K(op(self.v), self.shape, self.dtype)


def _where(pred: _K, on_true, on_false) -> _K:
    ref = on_true if isinstance(on_true, _K) else on_false
    t, f = ref._lift(on_true), ref._lift(on_false)
    return _K(hlo.select(pred.v, t.v, f.v), ref.shape, ref.dtype)


def _any_of(*preds: _K) -> _K:
    out = preds[0]
    for p in preds[1:]:
        out = out | p
    return out


def _exp(x):
    return x.apply(hlo.exponential)


def _log(x):
    return x.apply(hlo.log)


def _log1p(x):
    return x.apply(hlo.log_plus_one)


def _abs(x):
    return x.apply(hlo.abs)


def _sqrt(x):
    return x.apply(hlo.sqrt)


def _lgamma(x):
    return x.apply(chlo.lgamma)


def _digamma(x):
    return x.apply(chlo.digamma)


def _isnan(x):
    return x.ne(x)


def _reduce_any(pred: _K) -> _K:
    """The scalar OR of all elements of a bool value."""
    if not pred.shape:
        return pred
    scalar = mlir.tensor_type((), dtypes.bool_)
    init = mlir.scalar_constant(False, dtypes.bool_)
    op = hlo.ReduceOp([scalar], [pred.v], [init],
                      ir.DenseI64ArrayAttr.get(list(range(len(pred.shape)))))
    block = op.regions[0].blocks.append(scalar, scalar)
    with ir.InsertionPoint(block):
        hlo.return_([hlo.or_(*block.arguments)])
    return _K(op.result, (), dtypes.bool_)


def _while(init: list[_K], cond, body) -> list[_K]:
    """``stablehlo.while``: ``cond(state) -> scalar bool _K``, ``body(state) -> state``."""
    types = [mlir.tensor_type(k.shape, k.dtype) for k in init]
    op = hlo.WhileOp(types, [k.v for k in init])

    def wrap(args):
        return [_K(a, k.shape, k.dtype) for a, k in zip(args, init)]

    cond_block = op.regions[0].blocks.append(*types)
    with ir.InsertionPoint(cond_block):
        hlo.return_([cond(wrap(cond_block.arguments)).v])
    body_block = op.regions[1].blocks.append(*types)
    with ir.InsertionPoint(body_block):
        hlo.return_([k.v for k in body(wrap(body_block.arguments))])
    return wrap(op.results)


def _horner(y: _K, coeffs) -> _K:
    """sum(coeffs[k] * y**k)."""
    acc = y.const(coeffs[-1])
    for c in reversed(coeffs[:-1]):
        acc = acc * y + c
    return acc


def _compute_dtype(dt: np.dtype) -> np.dtype:
    return dtypes.float64 if dt == dtypes.float64 else dtypes.float32


def _kernel_rule(kernel):
    """A lowering rule running ``kernel(*operands as _K, dtype=compute dtype) -> _K`` on the
    scalar-broadcast operands, upcast to float32 for 16-bit floats."""

    def rule(ctx, *args, **params):
        args = broadcast_scalars(ctx, args)
        out = ctx.aval_out
        cdt = _compute_dtype(out.dtype)
        ks = []
        for a, aval in zip(args, ctx.avals_in):
            if aval.dtype != cdt:
                a = hlo.convert(mlir.tensor_type(out.shape, cdt), a)
            ks.append(_K(a, out.shape, cdt))
        res = kernel(*ks, dtype=cdt, **params)
        v = res.v
        if cdt != out.dtype:
            v = hlo.convert(ctx.out_type, v)
        return v

    return rule


# ----------------------------------------------------------------------------------------------
# bessel_i0e


def _i0_series_coeffs(n: int):
    return [1.0 / math.factorial(k) ** 2 for k in range(n)]


def _i0e_asymptotic_coeffs(n: int):
    out, t = [1.0], 1.0
    for k in range(1, n):
        t *= (2 * k - 1) ** 2 / (8.0 * k)
        out.append(t)
    return out


# (switch point, series terms, asymptotic terms) per compute dtype: both pieces reach full
# precision at the switch.
_I0E_PLAN = {np.dtype(np.float32): (12.0, 28, 26), np.dtype(np.float64): (25.0, 56, 50)}


def _i0e_kernel(x: _K, *, dtype) -> _K:
    switch, n_series, n_asym = _I0E_PLAN[dtype]
    ax = _abs(x)
    small = ax <= switch
    # Power series: I0(x) = sum (x^2/4)^k / (k!)^2.
    xs = _where(small, ax, x.const(0.0))
    series = _horner(xs * xs * 0.25, _i0_series_coeffs(n_series)) * _exp(-xs)
    # Asymptotic: e^-x I0(x) ~ (2 pi x)^-1/2 sum prod_{j<=k} (2j-1)^2 / (8 j) x^-k.
    xl = _where(small, x.const(switch + 1.0), ax)
    inv = 1.0 / xl
    asym = _horner(inv, _i0e_asymptotic_coeffs(n_asym)) / _sqrt(xl * (2 * math.pi))
    out = _where(small, series, asym)
    return _where(_isnan(x), x, out)


register_lowering("bessel_i0e", _kernel_rule(_i0e_kernel))
register_lowering("bessel_i1e", elementwise(chlo.bessel_i1e))


# ----------------------------------------------------------------------------------------------
# The incomplete gamma functions.

_VALUE, _DERIVATIVE, _SAMPLE_DERIVATIVE = 0, 1, 2
_MAX_ITERATIONS = 2000


def _eps(dtype) -> float:
    return float(np.finfo(dtype).eps)


def _igamma_series(ax, x, a, enabled, dtype, mode):
    """P(a, x) = ax / a * sum_n c_n with c_0 = 1, c_n = c_{n-1} x / (a + n), where
    ax = x^a e^-x / Gamma(a); with d/da of the sum for the derivative modes."""
    eps = _eps(dtype)
    one = a.const(1.0)
    zero = a.const(0.0)
    count = _K(mlir.scalar_constant(0, dtypes.int32), (), dtypes.int32)

    def cond(s):
        return _reduce_any(s[0]) & (s[7] < _MAX_ITERATIONS)

    def body(s):
        on, r, c, total, dc, dtotal, xx, it = s
        r2 = r + 1.0
        dc2 = dc * (xx / r2) - c * xx / (r2 * r2)
        c2 = c * (xx / r2)
        total2 = total + c2
        dtotal2 = dtotal + dc2
        if mode == _VALUE:
            going = on & (c2 / total2 > eps)
        else:
            going = on & (_abs(dc2 / dtotal2) > eps)
        return [going, _where(on, r2, r), _where(on, c2, c), _where(on, total2, total),
                _where(on, dc2, dc), _where(on, dtotal2, dtotal), xx, it + 1]

    s = _while([enabled, a, one, one, zero, zero, x, count], cond, body)
    total, dtotal = s[3], s[5]
    if mode == _VALUE:
        return total * ax / a
    dlog_ax = _log(x) - _digamma(a + 1.0)  # d/da log(x^a e^-x / Gamma(a + 1))
    if mode == _DERIVATIVE:
        return ax * (total * dlog_ax + dtotal) / a
    return -(dtotal + total * dlog_ax) * x / a


def _igammac_fraction(ax, x, a, enabled, dtype, mode):
    """Q(a, x) = ax * (Legendre's continued fraction), by its convergents p_k / q_k, with
    d/da of p_k and q_k for the derivative modes."""
    eps = _eps(dtype)
    big = 1.0 / eps
    y = 1.0 - a
    z = x + y + 1.0
    c = x.const(0.0)
    pkm2, qkm2 = x.const(1.0), x
    pkm1, qkm1 = x + 1.0, z * x
    ans = pkm1 / qkm1
    t = x.const(1.0)
    zero = x.const(0.0)
    dpkm2, dqkm2, dpkm1, dqkm1 = zero, zero, zero, -x
    dans = (dpkm1 - ans * dqkm1) / qkm1

    state = [enabled, ans, t, y, z, c, pkm1, qkm1, pkm2, qkm2, dpkm2, dqkm2, dpkm1, dqkm1,
             dans]

    def body(s):
        (on, ans, t, y, z, c, pkm1, qkm1, pkm2, qkm2, dpkm2, dqkm2, dpkm1, dqkm1, dans) = s
        c2 = c + 1.0
        y2 = y + 1.0
        z2 = z + 2.0
        yc = y2 * c2
        pk = pkm1 * z2 - pkm2 * yc
        qk = qkm1 * z2 - qkm2 * yc
        nonzero = qk.ne(0.0)
        safe_qk = _where(nonzero, qk, 1.0)
        r = pk / safe_qk
        t2 = _where(nonzero, _abs((ans - r) / r), 1.0)
        ans2 = _where(nonzero, r, ans)
        dpk = dpkm1 * z2 - pkm1 - dpkm2 * yc + pkm2 * c2
        dqk = dqkm1 * z2 - qkm1 - dqkm2 * yc + qkm2 * c2
        dans2 = _where(nonzero, (dpk - ans2 * dqk) / safe_qk, dans)
        dchange = _where(nonzero, _abs(dans2 - dans), 1.0)
        # Rescale the convergents when they grow large (their ratio is what matters).
        rescale = _abs(pk) > big
        sc = _where(rescale, x.const(eps), 1.0)
        n_pkm2, n_pkm1, n_qkm2, n_qkm1 = pkm1 * sc, pk * sc, qkm1 * sc, qk * sc
        n_dpkm2, n_dpkm1, n_dqkm2, n_dqkm1 = dpkm1 * sc, dpk * sc, dqkm1 * sc, dqk * sc
        going = on & ((t2 > eps) if mode == _VALUE else (dchange > eps))
        keep = lambda new, old: _where(on, new, old)  # noqa: E731
        return [going, keep(ans2, ans), keep(t2, t), keep(y2, y), keep(z2, z), c2,
                keep(n_pkm1, pkm1), keep(n_qkm1, qkm1), keep(n_pkm2, pkm2),
                keep(n_qkm2, qkm2), keep(n_dpkm2, dpkm2), keep(n_dqkm2, dqkm2),
                keep(n_dpkm1, dpkm1), keep(n_dqkm1, dqkm1), keep(dans2, dans)]

    count = _K(mlir.scalar_constant(0, dtypes.int32), (), dtypes.int32)

    def cond_counted(s):
        return _reduce_any(s[0]) & (s[-1] < _MAX_ITERATIONS)

    def body_counted(s):
        return body(s[:-1]) + [s[-1] + 1]

    s = _while(state + [count], cond_counted, body_counted)
    ans, dans = s[1], s[14]
    if mode == _VALUE:
        return ans * ax
    dlog_ax = _log(x) - _digamma(a)
    if mode == _DERIVATIVE:
        return ax * (ans * dlog_ax + dans)
    return -(dans + ans * dlog_ax) * x


def _log_ax(a, x):
    return a * _log(x) - x - _lgamma(a)


def _underflow(log_ax, dtype):
    return log_ax < -math.log(float(np.finfo(dtype).max))


def _igamma_kernel(a, x, *, dtype):
    nan = _isnan(a) | _isnan(x)
    x_zero = x.eq(0.0)
    a_zero = a.eq(0.0)
    x_inf = x.eq(math.inf)
    a_inf = a.eq(math.inf)
    domain = _any_of(x < 0.0, a < 0.0, a_zero & x_zero, a_inf & x_inf, nan)
    use_fraction = (x >= 1.0) & (x > a)
    log_ax = _log_ax(a, x)
    enabled = ~_any_of(x_zero, domain, _underflow(log_ax, dtype), x_inf, a_zero, a_inf)
    ax = _exp(log_ax)
    q = _igammac_fraction(ax, x, a, enabled & use_fraction, dtype, _VALUE)
    p = _igamma_series(ax, x, a, enabled & ~use_fraction, dtype, _VALUE)
    out = _where(use_fraction, 1.0 - q, p)
    out = _where(x_zero | a_inf, 0.0, out)
    out = _where(x_inf | a_zero, 1.0, out)
    return _where(domain, math.nan, out)


def _igammac_kernel(a, x, *, dtype):
    nan = _isnan(a) | _isnan(x)
    x_zero = x.eq(0.0)
    a_zero = a.eq(0.0)
    x_inf = x.eq(math.inf)
    a_inf = a.eq(math.inf)
    domain = _any_of(x < 0.0, a < 0.0, a_zero & x_zero, a_inf & x_inf, nan)
    use_series = (x < 1.0) | (x < a)
    log_ax = _log_ax(a, x)
    enabled = ~_any_of(x_zero, domain, _underflow(log_ax, dtype), x_inf, a_zero, a_inf)
    ax = _exp(log_ax)
    p = _igamma_series(ax, x, a, enabled & use_series, dtype, _VALUE)
    q = _igammac_fraction(ax, x, a, enabled & ~use_series, dtype, _VALUE)
    out = _where(use_series, 1.0 - p, q)
    out = _where(x_zero | a_inf, 1.0, out)
    out = _where(x_inf | a_zero, 0.0, out)
    return _where(domain, math.nan, out)


def _igamma_derivative_kernel(mode):
    def kernel(a, x, *, dtype):
        nan = _isnan(a) | _isnan(x)
        x_zero = x.eq(0.0)
        domain = (x < 0.0) | (a <= 0.0)
        use_fraction = (x > 1.0) & (x > a)
        log_ax = _log_ax(a, x)
        enabled = ~_any_of(x_zero, domain, _underflow(log_ax, dtype), nan)
        ax = _exp(log_ax)
        q = _igammac_fraction(ax, x, a, enabled & use_fraction, dtype, mode)
        p = _igamma_series(ax, x, a, enabled & ~use_fraction, dtype, mode)
        out = _where(use_fraction, -q, p)
        out = _where(x_zero, 0.0, out)
        return _where(domain | nan, math.nan, out)

    return kernel


register_lowering("igamma", _kernel_rule(_igamma_kernel))
register_lowering("igammac", _kernel_rule(_igammac_kernel))
register_lowering("igamma_grad_a", _kernel_rule(_igamma_derivative_kernel(_DERIVATIVE)))
register_lowering("random_gamma_grad",
                  _kernel_rule(_igamma_derivative_kernel(_SAMPLE_DERIVATIVE)))
register_lowering("zeta", elementwise(chlo.zeta))


# ----------------------------------------------------------------------------------------------
# regularized_incomplete_beta


def _betainc_kernel(a, b, x, *, dtype):
    eps = _eps(dtype)
    tiny = float(np.finfo(dtype).tiny)
    iterations = 200 if dtype == dtypes.float32 else 600
    nan = _any_of(_isnan(a), _isnan(b), _isnan(x))
    a_zero = a.eq(0.0) | b.eq(math.inf)  # all the mass at 0
    b_zero = b.eq(0.0) | a.eq(math.inf)  # all the mass at 1
    x_zero, x_one = x.eq(0.0), x.eq(1.0)
    is_zero = (b_zero & ~x_one) | (a_zero & x_zero)
    is_one = (a_zero & ~x_zero) | (b_zero & x_one)
    domain = _any_of(a < 0.0, b < 0.0, x < 0.0, x > 1.0, a_zero & b_zero, nan)

    # The fraction converges quickly for x < (a + 1) / (a + b + 2); else use the symmetry.
    direct = x < (a + 1.0) / (a + b + 2.0)
    aa = _where(direct, a, b)
    bb = _where(direct, b, a)
    xx = _where(direct, x, 1.0 - x)
    enabled = ~_any_of(is_zero, is_one, domain)

    # K = 1 + d1 / (1 + d2 / (1 + ...)), d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),
    # d_{2m} = m (b-m) x / ((a+2m-1)(a+2m)); by the modified Lentz method.
    def coeff(j):  # j: the (float) index of d_j, j >= 1
        m_odd = (j - 1.0) * 0.5
        m_even = j * 0.5
        odd = -(aa + m_odd) * (aa + bb + m_odd) * xx / ((aa + 2.0 * m_odd) *
                                                        (aa + 2.0 * m_odd + 1.0))
        even = m_even * (bb - m_even) * xx / ((aa + 2.0 * m_even - 1.0) *
                                              (aa + 2.0 * m_even))
        return odd, even

    f0 = x.const(1.0)
    count = _K(mlir.scalar_constant(1.0, dtype, x.shape), x.shape, dtype)
    it = _K(mlir.scalar_constant(0, dtypes.int32), (), dtypes.int32)

    def cond(s):
        return _reduce_any(s[0]) & (s[5] < iterations)

    def body(s):
        on, f, cc, dd, j, k = s
        odd, even = coeff(j)
        j_mod = j - _floor(j * 0.5) * 2.0
        d = _where(j_mod.eq(1.0), odd, even)
        dd2 = 1.0 + d * dd
        dd2 = _where(_abs(dd2) < tiny, tiny, dd2)
        dd2 = 1.0 / dd2
        cc2 = 1.0 + d / cc
        cc2 = _where(_abs(cc2) < tiny, tiny, cc2)
        delta = cc2 * dd2
        f2 = f * delta
        going = on & (_abs(delta - 1.0) > eps)
        keep = lambda new, old: _where(on, new, old)  # noqa: E731
        return [going, keep(f2, f), keep(cc2, cc), keep(dd2, dd), j + 1.0, k + 1]

    s = _while([enabled, f0, f0, x.const(0.0), count, it], cond, body)
    fraction = s[1]
    # Prefactor x^a (1-x)^b / (a B(a, b)); a B(a, b) -> 1 as a -> 0.
    lbeta_rest = _lgamma(bb) - _lgamma(aa + bb)
    small_a = aa < 2.0 * tiny
    safe_a = _where(small_a, 1.0, aa)
    log_pre = _where(small_a, bb * _log1p(-xx) - lbeta_rest,
                     aa * _log(xx) + bb * _log1p(-xx) - _lgamma(safe_a) - lbeta_rest)
    pre = _exp(log_pre) / _where(small_a, 1.0, aa)
    value = pre / fraction
    out = _where(direct, value, 1.0 - value)
    out = _where(is_zero, 0.0, out)
    out = _where(is_one, 1.0, out)
    return _where(domain, math.nan, out)


def _floor(x):
    return x.apply(hlo.floor)


register_lowering("regularized_incomplete_beta", _kernel_rule(_betainc_kernel))
