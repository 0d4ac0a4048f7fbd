"""Op-table rows for convolutions (lax.conv_general_dilated and the functions built on it),
with a direct NumPy reference (sliding windows + einsum, per feature/batch group)."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

import xfront.numpy as xnp
from tests.op_db import OpInfo, bf16, c64, f32, i32
from xfront import lax

# ----------------------------------------------------------------------------------------------
# Reference.


def _perms(dn, ndim):
    """Canonical (NC.., OI.., NC..) permutations of string dimension numbers (None: NC...)."""
    if dn is None:
        iota = tuple(range(ndim))
        return iota, iota, iota
    lhs, rhs, out = dn
    spatial = [c for c in rhs if c not in "OI"]
    return ((lhs.index("N"), lhs.index("C"), *(lhs.index(c) for c in spatial)),
            (rhs.index("O"), rhs.index("I"), *(rhs.index(c) for c in spatial)),
            (out.index("N"), out.index("C"), *(out.index(c) for c in spatial)))


def _dilate(x, axis, r, fill=0):
    if r == 1 or x.shape[axis] == 0:
        return x
    shape = list(x.shape)
    shape[axis] = (x.shape[axis] - 1) * r + 1
    out = np.full(shape, fill, x.dtype)
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(None, None, r)
    out[tuple(idx)] = x
    return out


def _pad(x, axis, lo, hi, fill=0):
    widths = [(0, 0)] * x.ndim
    widths[axis] = (max(lo, 0), max(hi, 0))
    x = np.pad(x, widths, constant_values=fill)
    idx = [slice(None)] * x.ndim
    idx[axis] = slice(max(-lo, 0), x.shape[axis] - max(-hi, 0))
    return x[tuple(idx)]


def conv_ref(lhs, rhs, strides, padding, lhs_dilation=None, rhs_dilation=None, dn=None,
             feature_group_count=1, batch_group_count=1):
    """conv_general_dilated in NumPy (padding: explicit pairs)."""
    lp, rp, op = _perms(dn, lhs.ndim)
    acc = np.complex128 if np.iscomplexobj(lhs) else np.float64
    x = np.transpose(lhs, lp).astype(acc)
    w = np.transpose(rhs, rp).astype(acc)
    n = x.ndim - 2
    lhs_dilation = lhs_dilation or (1,) * n
    rhs_dilation = rhs_dilation or (1,) * n
    for i in range(n):
        x = _pad(_dilate(x, 2 + i, lhs_dilation[i]), 2 + i, *padding[i])
        w = _dilate(w, 2 + i, rhs_dilation[i])
    win = w.shape[2:]
    sp = tuple(range(2, 2 + n))
    v = sliding_window_view(x, win, axis=sp)  # (N, C, *positions, *window)
    v = v[(slice(None), slice(None), *(slice(None, None, s) for s in strides))]
    N, C = x.shape[:2]
    O = w.shape[0]
    pos = "pqrs"[:n]
    k = "uvwx"[:n]
    if batch_group_count > 1:
        G = batch_group_count
        vg = v.reshape(G, N // G, *v.shape[1:])
        wg = w.reshape(G, O // G, *w.shape[1:])
        out = np.einsum(f"gnc{pos}{k},goc{k}->ngo{pos}", vg, wg)
    else:
        G = feature_group_count
        vg = v.reshape(N, G, C // G, *v.shape[2:])
        wg = w.reshape(G, O // G, *w.shape[1:])
        out = np.einsum(f"ngc{pos}{k},goc{k}->ngo{pos}", vg, wg)
    out = out.reshape(out.shape[0], O, *out.shape[3:])
    return np.transpose(out, np.argsort(op))


def _same_pads(in_space, win_space, strides, lower=False):
    pads = []
    for n, k, s in zip(in_space, win_space, strides):
        out = -(-n // s)
        total = max(0, (out - 1) * s + k - n)
        lo, hi = total // 2, total - total // 2
        pads.append((hi, lo) if lower else (lo, hi))
    return pads


def _conv_row(name, shapes, dtypes=(f32,), *, strides, padding, lhs_dilation=None,
              rhs_dilation=None, dn=None, fgc=1, bgc=1, tol=None, **kw):
    def fn(x, w):
        return lax.conv_general_dilated(x, w, strides, padding, lhs_dilation, rhs_dilation,
                                        dn, feature_group_count=fgc, batch_group_count=bgc)

    def ref(x, w):
        pads = padding
        if isinstance(padding, str):
            lp, rp, _ = _perms(dn, x.ndim)
            in_space = [x.shape[d] for d in lp[2:]]
            rd = rhs_dilation or (1,) * len(in_space)
            win = [(w.shape[d] - 1) * r + 1 for d, r in zip(rp[2:], rd)]
            pads = ([(0, 0)] * len(in_space) if padding == "VALID" else
                    _same_pads(in_space, win, strides, padding == "SAME_LOWER"))
        return conv_ref(x, w, strides, pads, lhs_dilation, rhs_dilation, dn, fgc, bgc)

    return OpInfo(name, "conv_general_dilated", fn, ref, dtypes, shapes, nargs=2,
                  tol=tol or _TOL, **kw)


_TOL = {f32: (1e-4, 1e-4), bf16: (3e-2, 1e-1), c64: (1e-4, 1e-4)}


def _patches_ref(x, filter_shape, strides, padding):
    """NCHW patches: out[n, c*prod(f) + flat window index, *positions]."""
    n_sp = x.ndim - 2
    for i in range(n_sp):
        x = _pad(x, 2 + i, *padding[i])
    v = sliding_window_view(x, filter_shape, axis=tuple(range(2, 2 + n_sp)))
    v = v[(slice(None), slice(None), *(slice(None, None, s) for s in strides))]
    N, C = v.shape[:2]
    space = v.shape[2:2 + n_sp]
    v = np.moveaxis(v.reshape(N, C, *space, -1), -1, 2)  # (N, C, window, *space)
    return v.reshape(N, -1, *space)


def _local_ref(x, w, strides, padding, filter_shape):
    """NCHW/OIHW unshared convolution: w[o, c*prod(f) + k, *out_positions]."""
    p = _patches_ref(x, filter_shape, strides, padding)  # (N, C*K, *space)
    return np.einsum("nk...,ok...->no...", p, w)


OPS = [
    _conv_row("conv_2d_same", (((2, 3, 5, 6), (4, 3, 3, 2)),), (f32, bf16, c64),
              strides=(1, 1), padding="SAME"),
    _conv_row("conv_2d_int", (((2, 3, 5, 6), (4, 3, 3, 2)),), (i32,), strides=(1, 1),
              padding="VALID", exact=True, domain=(-3, 3)),
    _conv_row("conv_2d_strided_rhs_dilation", (((2, 3, 7, 6), (4, 3, 3, 2)),),
              strides=(2, 1), padding="VALID", rhs_dilation=(1, 2)),
    _conv_row("conv_1d_lhs_dilation", (((2, 3, 7), (4, 3, 3)),), strides=(2,),
              padding=((1, 2),), lhs_dilation=(2,), rhs_dilation=(2,)),
    _conv_row("conv_1d_negative_padding", (((2, 3, 9), (4, 3, 2)),), strides=(3,),
              padding=((-1, 2),)),
    _conv_row("conv_2d_nhwc_same_lower", (((2, 5, 6, 3), (3, 2, 3, 4)),), strides=(1, 2),
              padding="SAME_LOWER", dn=("NHWC", "HWIO", "NHWC")),
    _conv_row("conv_2d_feature_groups", (((2, 5, 5, 6), (3, 3, 2, 9)),), (f32, c64),
              strides=(2, 2), padding="SAME", dn=("NHWC", "HWIO", "NHWC"), fgc=3),
    _conv_row("conv_2d_depthwise", (((2, 4, 6, 5), (8, 1, 3, 3)),), strides=(1, 1),
              padding=((1, 1), (2, 0)), fgc=4),
    _conv_row("conv_2d_batch_groups", (((4, 3, 5, 5), (6, 3, 3, 3)),), strides=(1, 1),
              padding="VALID", bgc=2),
    _conv_row("conv_2d_batch_groups_dilated", (((4, 3, 5, 5), (6, 3, 3, 2)),),
              strides=(1, 2), padding=((0, 1), (1, 0)), lhs_dilation=(2, 1),
              rhs_dilation=(1, 2), bgc=2),
    _conv_row("conv_3d_same", (((1, 2, 4, 4, 3), (3, 2, 2, 2, 2)),), strides=(1, 1, 2),
              padding="SAME"),
    _conv_row("conv_3d_mixed_layouts", (((3, 4, 2, 5, 2), (2, 2, 2, 2, 3)),),
              strides=(1, 2, 1), padding=((1, 0), (0, 1), (1, 1)),
              dn=("DNHWC", "WIHDO", "CDHNW")),
    _conv_row("conv_0d", (((3, 4), (5, 4)),), strides=(), padding=()),
    OpInfo("conv_preferred_f32", "conv_general_dilated",
           lambda x, w: lax.conv_general_dilated(x, w, (1, 1), "SAME",
                                                 preferred_element_type=np.float32),
           lambda x, w: conv_ref(x, w, (1, 1), [(1, 1), (0, 1)]), (bf16,),
           (((2, 3, 5, 6), (4, 3, 3, 2)),), nargs=2, ref_dtype=lambda dt: f32,
           tol={f32: (3e-2, 1e-1)}),
    OpInfo("conv_precision_highest", "conv_general_dilated",
           lambda x, w: lax.conv_general_dilated(x, w, (1,), "VALID",
                                                 precision=lax.Precision.HIGHEST),
           lambda x, w: conv_ref(x, w, (1,), [(0, 0)]), (f32,), (((2, 3, 7), (4, 3, 3)),),
           nargs=2, tol=_TOL),
    OpInfo("conv_transpose_nhwc", "conv_general_dilated",
           lambda x, w: lax.conv_transpose(x, w, (2, 2), "SAME"),
           # TF-style transposed convolution: the stride-dilated input, padded so that the
           # output is stride * input, convolved (without flipping) with the kernel.
           lambda x, w: conv_ref(x, w, (1, 1), [(2, 1), (1, 1)], (2, 2), None,
                                 ("NHWC", "HWIO", "NHWC")),
           (f32,), (((2, 3, 3, 2), (3, 2, 2, 4)),), nargs=2, tol=_TOL),
    OpInfo("conv_general_dilated_patches", "conv_general_dilated",
           lambda x: lax.conv_general_dilated_patches(x, (2, 3), (1, 2), ((1, 0), (0, 1))),
           lambda x: _patches_ref(x, (2, 3), (1, 2), ((1, 0), (0, 1))), (f32, bf16),
           ((2, 3, 4, 5),), tol=_TOL),
    OpInfo("conv_general_dilated_local", "conv_general_dilated",
           lambda x, w: lax.conv_general_dilated_local(x, w[:, :, :, :2], (1, 2), "VALID",
                                                       (2, 2)),
           lambda x, w: _local_ref(x, w[:, :, :, :2], (1, 2), ((0, 0), (0, 0)), (2, 2)),
           (f32,), (((2, 3, 4, 5), (4, 12, 3, 2)),), nargs=2, tol=_TOL),
    # xfront.numpy.convolve / correlate.
    OpInfo("np_convolve_full", "conv_general_dilated",
           lambda a, v: xnp.convolve(a, v[:3]), lambda a, v: np.convolve(a, v[:3]),
           (f32, c64), (((7,), (7,)),), nargs=2, tol=_TOL),
    OpInfo("np_convolve_same", "conv_general_dilated",
           lambda a, v: xnp.convolve(a[:3], v, "same"),
           lambda a, v: np.convolve(a[:3], v, "same"), (f32,), (((6,), (6,)),), nargs=2,
           tol=_TOL),
    OpInfo("np_correlate_valid", "conv_general_dilated",
           lambda a, v: xnp.correlate(a, v[:4]), lambda a, v: np.correlate(a, v[:4]),
           (f32, c64), (((7,), (7,)),), nargs=2, tol=_TOL),
    OpInfo("np_correlate_full_swapped", "conv_general_dilated",
           lambda a, v: xnp.correlate(a[:3], v, "full"),
           lambda a, v: np.correlate(a[:3], v, "full"), (f32, c64), (((6,), (6,)),),
           nargs=2, tol=_TOL),
]
