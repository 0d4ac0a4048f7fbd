"""Op-table rows for windowed reductions (pooling), select_and_{gather,scatter}_add and the
cumulative reductions, with NumPy references (sliding windows; ufunc accumulate)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import xfront.numpy as xnp
from tests.op_db import OpInfo, bf16, c64, f32, i32, u8
from xfront import lax
from xfront.lax import windowed

# ----------------------------------------------------------------------------------------------
# References.


def _dilate(x, axis, r, fill):
    if r == 1 or x.shape[axis] == 0:
        return x
    shape = list(x.shape)
    shape[axis] = (x.shape[axis] - 1) * r + 1
    out = np.full(shape, fill, x.dtype)
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(None, None, r)
    out[tuple(idx)] = x
    return out


def _pad(x, axis, lo, hi, fill):
    widths = [(0, 0)] * x.ndim
    widths[axis] = (max(lo, 0), max(hi, 0))
    x = np.pad(x, widths, constant_values=fill)
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
    return x[tuple(idx)]


def _windows(x, fill, dims, strides, padding, base=None, wdil=None):
    """(*positions, *window) view of the padded, dilated operand (holes and pads = fill)."""
    n = x.ndim
    base, wdil = base or (1,) * n, wdil or (1,) * n
    for i in range(n):
        x = _pad(_dilate(x, i, base[i], fill), i, *padding[i], fill)
    span = [(w - 1) * r + 1 for w, r in zip(dims, wdil)]
    v = sliding_window_view(x, span)
    v = v[tuple(slice(None, None, s) for s in strides)]
    return v[(Ellipsis, *(slice(None, None, r) for r in wdil))]


def window_ref(reduce, fill, dims, strides, padding, base=None, wdil=None):
    def ref(x):
        v = _windows(x, x.dtype.type(fill), dims, strides, padding, base, wdil)
        return reduce(v, axis=tuple(range(x.ndim, 2 * x.ndim))).astype(x.dtype)

    return ref


def _identity(op, dt):
    dt = np.dtype(dt)
    if op == "max":
        return -np.inf if dt.kind in "fc" or dt == bf16 else np.iinfo(dt).min
    return np.inf if dt.kind in "fc" or dt == bf16 else np.iinfo(dt).max


# (window_dimensions, window_strides, padding (explicit), base_dilation, window_dilation)
_CONFIGS = {
    "valid": ((2, 3), (1, 1), ((0, 0), (0, 0)), None, None),
    "strided_same": ((2, 3), (2, 2), ((0, 1), (1, 1)), None, None),
    "base_dilation": ((3, 2), (2, 1), ((1, 0), (1, 1)), (2, 1), None),
    "negative_padding": ((2, 2), (1, 2), ((1, -1), (0, 1)), None, None),
    "window_dilation": ((2, 2), (1, 1), ((0, 0), (1, 0)), None, (2, 1)),
}
_SHAPES = ((5, 6),)


def _pool_rows(kind, dtypes, configs, **kw):
    rows = []
    for cname in configs:
        dims, strides, padding, base, wdil = _CONFIGS[cname]
        if kind == "sum":
            fn = (lambda d, s, p, b, w: lambda x: lax.reduce_window(
                x, x.dtype.type(0), lax.add, d, s, p, b, w))(dims, strides, padding, base, wdil)
            ref = window_ref(np.sum, 0, dims, strides, padding, base, wdil)
        else:
            op = lax.max if kind == "max" else lax.min

            def fn(x, d=dims, s=strides, p=padding, b=base, w=wdil, op=op, kind=kind):
                return lax.reduce_window(x, x.dtype.type(_identity(kind, x.dtype)), op, d, s, p,
                                         b, w)

            def ref(x, d=dims, s=strides, p=padding, b=base, w=wdil, kind=kind):
                red = np.max if kind == "max" else np.min
                return window_ref(red, _identity(kind, x.dtype), d, s, p, b, w)(x)

        rows.append(OpInfo(f"reduce_window_{kind}_{cname}", f"reduce_window_{kind}", fn, ref,
                           dtypes, _SHAPES, **kw))
    return rows


OPS = [
    *_pool_rows("sum", (f32, i32, bf16, c64), ("valid", "strided_same", "base_dilation",
                                                "negative_padding", "window_dilation"),
                tol={f32: (1e-5, 1e-5), bf16: (2e-2, 5e-2), c64: (1e-5, 1e-5)}),
    *_pool_rows("max", (f32, i32, bf16, u8), ("valid", "strided_same", "base_dilation",
                                               "negative_padding"), exact=True),
    *_pool_rows("min", (f32, i32), ("valid", "strided_same", "base_dilation"), exact=True),
    OpInfo("reduce_window_sum_same_string", "reduce_window_sum",
           lambda x: lax.reduce_window(x, 0.0, lax.add, (3, 2), (2, 1), "SAME"),
           window_ref(np.sum, 0, (3, 2), (2, 1), ((1, 1), (0, 1))), (f32,), ((5, 4),),
           tol={f32: (1e-5, 1e-5)}),
    OpInfo("reduce_window_max_3d", "reduce_window_max",
           lambda x: lax.reduce_window(x, -np.inf, lax.max, (1, 2, 2), (1, 2, 2), "VALID"),
           window_ref(np.max, -np.inf, (1, 2, 2), (1, 2, 2), ((0, 0),) * 3), (f32,),
           ((2, 4, 5),), exact=True),
    # Generic computations: a traced sub-graph (forward-mode differentiable only, so no
    # float32 rows: the op table checks reverse mode too).
    OpInfo("reduce_window_generic_prod", "reduce_window",
           lambda x: lax.reduce_window(x, x.dtype.type(1), lax.mul, (2, 2), (1, 1),
                                       ((1, 0), (0, 1))),
           window_ref(np.prod, 1, (2, 2), (1, 1), ((1, 0), (0, 1))), (i32, bf16),
           ((4, 5),), domain=(-2, 2), tol={bf16: (3e-2, 3e-2)}),
    OpInfo("reduce_window_generic_pair", "reduce_window",
           # (value, count-of-positives) pairs reduced together: a variadic reduce_window.
           lambda x: lax.reduce_window(
               (x, (x > 0).astype(x.dtype)), (x.dtype.type(0), x.dtype.type(0)),
               lambda a, b: (lax.max(a[0], b[0]) + lax.min(a[1], b[1]) * 0, a[1] + b[1]),
               (2, 3), (1, 2), "VALID")[1],
           window_ref(np.sum, 0, (2, 3), (1, 2), ((0, 0), (0, 0))), (i32,), ((4, 7),),
           domain=lambda rng, s, dt: (rng.random(s) < 0.5).astype(dt), exact=True),
    # select_and_gather_add / select_and_scatter_add (the derivatives of max/min pooling).
    OpInfo("select_and_gather_add_ge", "select_and_gather_add",
           lambda t, x: windowed._select_and_gather_add(t, x, lax.ge_p, (2, 3), (2, 1),
                                                        ((1, 0), (0, 1))),
           lambda t, x: _gather_ref(t, x, np.argmax, -np.inf, (2, 3), (2, 1),
                                    ((1, 0), (0, 1))), (f32,), (((5, 6), (5, 6)),), nargs=2,
           exact=True),
    OpInfo("select_and_gather_add_le_dilated", "select_and_gather_add",
           lambda t, x: windowed._select_and_gather_add(t, x, lax.le_p, (2, 2), (1, 2),
                                                        ((0, 1), (1, 0)), (2, 1)),
           lambda t, x: _gather_ref(t, x, np.argmin, np.inf, (2, 2), (1, 2),
                                    ((0, 1), (1, 0)), (2, 1)), (f32,), (((4, 5), (4, 5)),),
           nargs=2, exact=True),
    OpInfo("select_and_scatter_add_ge", "select_and_scatter_add",
           lambda s, x: windowed._select_and_scatter_add(s[:3, :5], x, lax.ge_p, (2, 3),
                                                         (2, 1), ((1, 0), (0, 1))),
           lambda s, x: _scatter_ref(s[:3, :5], x, np.argmax, -np.inf, (2, 3), (2, 1),
                                     ((1, 0), (0, 1))), (f32,), (((5, 6), (5, 6)),), nargs=2,
           tol={f32: (1e-6, 1e-6)}),
    OpInfo("select_and_scatter_add_le", "select_and_scatter_add",
           lambda s, x: windowed._select_and_scatter_add(s[:2, :2], x, lax.le_p, (2, 3),
                                                         (2, 2), "VALID"),
           lambda s, x: _scatter_ref(s[:2, :2], x, np.argmin, np.inf, (2, 3), (2, 2),
                                     ((0, 0), (0, 0))), (f32,), (((5, 6), (5, 6)),), nargs=2,
           tol={f32: (1e-6, 1e-6)}),
]


def _gather_ref(t, x, arg, fill, dims, strides, padding, base=None):
    vx = _windows(x, x.dtype.type(fill), dims, strides, padding, base)
    vt = _windows(t, t.dtype.type(0), dims, strides, padding, base)
    flat_x = vx.reshape(*vx.shape[:x.ndim], -1)
    flat_t = vt.reshape(*vt.shape[:x.ndim], -1)
    idx = arg(flat_x, axis=-1)[..., None]
    return np.take_along_axis(flat_t, idx, -1)[..., 0]


def _scatter_ref(s, x, arg, fill, dims, strides, padding):
    xp = x
    for i in range(x.ndim):
        xp = _pad(xp, i, *padding[i], x.dtype.type(fill))
    out = np.zeros(xp.shape, x.dtype)
    for pos in np.ndindex(*s.shape):
        start = [p * st for p, st in zip(pos, strides)]
        win = xp[tuple(slice(a, a + d) for a, d in zip(start, dims))]
        k = np.unravel_index(arg(win), win.shape)
        out[tuple(a + b for a, b in zip(start, k))] += s[pos]
    for i in range(x.ndim):  # drop the padding again
        out = _pad(out, i, -padding[i][0], -padding[i][1], 0)
    return out


# ----------------------------------------------------------------------------------------------
# Cumulative reductions.

_CUM_SHAPES = ((5,), (3, 4), (2, 3, 4))


def _accumulate(ufunc):
    def ref(x, axis):
        if x.dtype == np.dtype(bf16):
            x = x.astype(np.float32)
        return ufunc.accumulate(x, axis=axis)

    return ref


def _cum_row(name, ref, dtypes, axis_of, reverse, **kw):
    fn = getattr(lax, name)

    def ref_fn(x):
        ax = axis_of(x.ndim)
        y = np.flip(x, ax) if reverse else x
        out = ref(y, ax)
        return np.flip(out, ax) if reverse else out

    suffix = ("_reverse" if reverse else "") + f"_{axis_of.__name__}"
    return OpInfo(f"{name}{suffix}", name, lambda x: fn(x, axis_of(x.ndim), reverse), ref_fn,
                  dtypes, _CUM_SHAPES, **kw)


def first(n):
    return 0


def last(n):
    return n - 1


def middle(n):
    return n // 2


_CUM_TOL = {f32: (1e-5, 1e-5), bf16: (3e-2, 3e-2), c64: (1e-5, 1e-5)}


def _logaddexp_acc(x, axis):
    return np.logaddexp.accumulate(x.astype(np.float64), axis=axis)


OPS += [
    _cum_row("cumsum", _accumulate(np.add), (f32, i32, bf16, c64), last, False, tol=_CUM_TOL),
    _cum_row("cumsum", _accumulate(np.add), (f32, i32), first, True, tol=_CUM_TOL),
    _cum_row("cumprod", _accumulate(np.multiply), (f32, i32, c64), last, False,
             domain=(0.5, 1.5), tol=_CUM_TOL),
    _cum_row("cumprod", _accumulate(np.multiply), (f32,), middle, True, domain=(0.5, 1.5),
             tol=_CUM_TOL),
    _cum_row("cummax", _accumulate(np.maximum), (f32, i32, bf16), last, False, exact=True),
    _cum_row("cummax", _accumulate(np.maximum), (f32,), first, True, exact=True),
    _cum_row("cummin", _accumulate(np.minimum), (f32, i32), middle, False, exact=True),
    _cum_row("cummin", _accumulate(np.minimum), (f32, u8), last, True, exact=True),
    _cum_row("cumlogsumexp", _logaddexp_acc, (f32, bf16), last, False, tol=_CUM_TOL),
    _cum_row("cumlogsumexp", _logaddexp_acc, (f32,), first, True, tol=_CUM_TOL),
    # xfront.numpy's cumulative functions.
    OpInfo("np_cumsum_flat", "cumsum", lambda x: xnp.cumsum(x), lambda x: np.cumsum(x),
           (f32, i32), ((3, 4),), tol=_CUM_TOL),
    OpInfo("np_cumprod_axis", "cumprod", lambda x: xnp.cumprod(x, axis=-1),
           lambda x: np.cumprod(x, axis=-1), (f32,), ((3, 4),), domain=(0.5, 1.5),
           tol=_CUM_TOL),
    OpInfo("np_cumulative_sum_initial", "cumsum",
           lambda x: xnp.cumulative_sum(x, axis=1, include_initial=True),
           lambda x: np.cumulative_sum(x, axis=1, include_initial=True), (f32, i32),
           ((3, 4),), tol=_CUM_TOL),
    OpInfo("np_cumulative_prod_initial", "cumprod",
           lambda x: xnp.cumulative_prod(x, axis=0, include_initial=True),
           lambda x: np.cumulative_prod(x, axis=0, include_initial=True), (f32,), ((3, 4),),
           domain=(0.5, 1.5), tol=_CUM_TOL),
    OpInfo("np_nancumsum", "cumsum", lambda x: xnp.nancumsum(x, axis=0),
           lambda x: np.nancumsum(x, axis=0), (f32,), ((4, 3),),
           domain=lambda rng, s, dt: np.where(rng.random(s) < 0.3, np.nan,
                                              rng.uniform(-3, 3, s)).astype(dt),
           grad_domain=(-3.0, 3.0), tol=_CUM_TOL),
    OpInfo("np_nancumprod", "cumprod", lambda x: xnp.nancumprod(x, axis=1),
           lambda x: np.nancumprod(x, axis=1), (f32,), ((4, 3),),
           domain=lambda rng, s, dt: np.where(rng.random(s) < 0.3, np.nan,
                                              rng.uniform(0.5, 1.5, s)).astype(dt),
           grad_domain=(0.5, 1.5), tol=_CUM_TOL),
]
