"""StableHLO emission of the linear algebra primitives (mirrors ``xfront/lax/linalg.py``).

On CPU each primitive becomes a LAPACK kernel that jaxlib ships as a typed-FFI custom call
(``lapack_<s|d|c|z><op>_ffi``); ``lowering.runtime.ensure_lapack()`` registers them with XLA the
first time a module uses one. The kernels' conventions: matrices in column-major layout (given
by ``operand_layouts``/``result_layouts``; other operands row-major), leading dimensions are
batch dimensions, LAPACK's character flags are ``ui8`` entries of ``mhlo.backend_config``, and
an ``info`` result per matrix reports failures, which become NaNs here (as in JAX).

Other platforms: cholesky and triangular_solve use StableHLO's own ops; the rest raise a clear
error (they would need the platform's solver library). Empty matrices never reach LAPACK.
"""

from __future__ import annotations

import numpy as np

from lowering import mlir, runtime
from lowering.builder import register_lowering
from lowering.mlir import chlo, hlo, ir
from lowering.rules.elementwise import compare
from xfront.core import dtypes

_PREFIX = {np.dtype(np.float32): "s", np.dtype(np.float64): "d",
           np.dtype(np.complex64): "c", np.dtype(np.complex128): "z"}
_I32 = np.dtype(np.int32)
_BOOL = np.dtype(np.bool_)

# LAPACK's character flags.
_LOWER, _UPPER = ord("L"), ord("U")
_LEFT, _RIGHT = ord("L"), ord("R")
_NO_TRANS, _TRANS, _CONJ_TRANS = ord("N"), ord("T"), ord("C")
_NON_UNIT, _UNIT = ord("N"), ord("U")
_VECTORS, _NO_VECTORS = ord("V"), ord("N")
_SVD_ALL, _SVD_SOME, _SVD_NONE = ord("A"), ord("S"), ord("N")


class _Aval:
    """Shape and dtype of an operand or result of a custom call."""

    __slots__ = ("shape", "dtype")

    def __init__(self, shape, dtype):
        self.shape, self.dtype = tuple(shape), np.dtype(dtype)

    @property
    def ndim(self):
        return len(self.shape)


def _require_cpu(ctx, name: str) -> None:
    platform = ctx.module_ctx.platform
    if platform != "cpu":
        raise NotImplementedError(
            f"{name}: xfront computes it with LAPACK on the CPU only, but this module is "
            f"compiled for {platform!r}. Run it on a CPU device (xfront.device_put the operands "
            f"to xfront.devices('cpu')[0]).")


def _layout(ndim: int, column_major: bool) -> ir.Attribute:
    if column_major and ndim >= 2:
        order = [ndim - 2, ndim - 1, *range(ndim - 3, -1, -1)]
    else:
        order = list(range(ndim - 1, -1, -1))
    return ir.DenseIntElementsAttr.get(np.asarray(order, np.int64).reshape(len(order)),
                                       type=ir.IndexType.get())


def _lapack(ctx, op: str, operands, avals_in, avals_out, attrs=None, aliases=None) -> list:
    """Emits ``lapack_<prefix><op>_ffi``; ``aliases`` maps result index -> operand index (the
    kernel overwrites that operand in place)."""
    runtime.ensure_lapack()
    dtype = avals_in[0].dtype
    target = f"lapack_{_PREFIX[np.dtype(dtype)]}{op}_ffi"
    rank = max(a.ndim for a in avals_in)
    result_types = [mlir.tensor_type(a.shape, a.dtype) for a in avals_out]
    alias_attrs = [hlo.OutputOperandAlias.get([r] if len(avals_out) > 1 else [], o, [])
                   for r, o in (aliases or {}).items()]
    i32 = ir.IntegerType.get_signless(32)
    call = hlo.CustomCallOp(
        result_types, list(operands), target, has_side_effect=False,
        backend_config=ir.StringAttr.get(""), api_version=ir.IntegerAttr.get(i32, 1),
        called_computations=ir.ArrayAttr.get([]),
        operand_layouts=ir.ArrayAttr.get([_layout(a.ndim, a.ndim == rank) for a in avals_in]),
        result_layouts=ir.ArrayAttr.get([_layout(a.ndim, a.ndim == rank) for a in avals_out]),
        output_operand_aliases=ir.ArrayAttr.get(alias_attrs))
    ui8 = ir.IntegerType.get_unsigned(8)
    config = {k: ir.IntegerAttr.get(ui8, v) for k, v in (attrs or {}).items()}
    call.operation.attributes["mhlo.backend_config"] = ir.DictAttr.get(config)
    call.operation.attributes["mhlo.frontend_attributes"] = ir.DictAttr.get(
        {"num_batch_dims": ir.StringAttr.get(str(rank - 2))})
    return list(call.results)


def _info_ok(info, batch, direction: str = "EQ"):
    """info <direction> 0, per matrix (shape ``batch``)."""
    zero = mlir.scalar_constant(0, _I32, batch)
    return compare(info, zero, direction, _I32)


def _nan_unless(ok, x, shape, dtype, nbatch: int):
    """``x`` where the matrix's factorization succeeded, NaN elsewhere."""
    pred = hlo.broadcast_in_dim(mlir.tensor_type(shape, _BOOL), ok, list(range(nbatch)))
    nan = complex(np.nan, np.nan) if dtypes.is_complex(dtype) else np.nan
    return hlo.select(pred, x, mlir.scalar_constant(nan, np.dtype(dtype), shape))


def _tri_mask(shape, lower: bool, k: int = 0):
    """i1 tensor: col - row <= k (lower) or >= k (upper)."""
    nd = len(shape)
    itype = mlir.tensor_type(shape, _I32)
    diff = hlo.subtract(hlo.iota(itype, nd - 1), hlo.iota(itype, nd - 2))
    kk = mlir.scalar_constant(k, _I32, shape)
    return compare(diff, kk, "LE" if lower else "GE", _I32)


def _mask_triangle(x, shape, dtype, lower: bool, k: int = 0):
    return hlo.select(_tri_mask(shape, lower, k), x, mlir.scalar_constant(0, dtype, shape))


def _identity(shape, dtype):
    nd = len(shape)
    itype = mlir.tensor_type(shape, _I32)
    on = compare(hlo.iota(itype, nd - 2), hlo.iota(itype, nd - 1), "EQ", _I32)
    return hlo.select(on, mlir.scalar_constant(1, dtype, shape),
                      mlir.scalar_constant(0, dtype, shape))


def _zeros(shape, dtype):
    return mlir.scalar_constant(0, np.dtype(dtype), shape)


def _slice(x, shape, limits):
    return hlo.slice(x, [0] * len(shape), list(limits), [1] * len(shape))


def _pad_zeros(x, dtype, high):
    zero = mlir.scalar_constant(0, np.dtype(dtype))
    return hlo.pad(x, zero, [0] * len(high), list(high), [0] * len(high))


# ----------------------------------------------------------------------------------------------
# cholesky


def _cholesky_lowering(ctx, x):
    aval = ctx.avals_in[0]
    shape, dt = aval.shape, aval.dtype
    if aval.size == 0:
        return x
    if ctx.module_ctx.platform != "cpu":
        out = hlo.cholesky(x, lower=True)
        return _mask_triangle(out, shape, dt, True)
    batch = shape[:-2]
    factor, info = _lapack(ctx, "potrf", [x], [aval], [aval, _Aval(batch, _I32)],
                           {"uplo": _LOWER}, {0: 0})
    factor = _mask_triangle(factor, shape, dt, True)
    return _nan_unless(_info_ok(info, batch), factor, shape, dt, len(batch))


register_lowering("cholesky", _cholesky_lowering)


# ----------------------------------------------------------------------------------------------
# eigh


def _eigh_lowering(ctx, x, *, lower):
    _require_cpu(ctx, "eigh")
    aval = ctx.avals_in[0]
    v_aval, w_aval = ctx.avals_out
    if aval.size == 0:
        return [x, _zeros(w_aval.shape, w_aval.dtype)]
    batch = aval.shape[:-2]
    op = "heevd" if dtypes.is_complex(aval.dtype) else "syevd"
    v, w, info = _lapack(ctx, op, [x], [aval], [aval, w_aval, _Aval(batch, _I32)],
                         {"mode": _VECTORS, "uplo": _LOWER if lower else _UPPER}, {0: 0})
    ok = _info_ok(info, batch)
    return [_nan_unless(ok, v, aval.shape, aval.dtype, len(batch)),
            _nan_unless(ok, w, w_aval.shape, w_aval.dtype, len(batch))]


register_lowering("eigh", _eigh_lowering)


# ----------------------------------------------------------------------------------------------
# lu


def _lu_lowering(ctx, x):
    _require_cpu(ctx, "lu")
    aval = ctx.avals_in[0]
    _, piv_aval, perm_aval = ctx.avals_out
    batch = aval.shape[:-2]
    m = aval.shape[-2]
    if aval.size == 0:
        return [x, _zeros(piv_aval.shape, _I32),
                hlo.iota(mlir.tensor_type(perm_aval.shape, _I32), len(batch))]
    lu, ipiv, info = _lapack(ctx, "getrf", [x], [aval],
                             [aval, piv_aval, _Aval(batch, _I32)], None, {0: 0})
    pivots = hlo.subtract(ipiv, mlir.scalar_constant(1, _I32, piv_aval.shape))  # 0-based
    # info > 0 only reports an exactly zero pivot: the factorization is still valid.
    lu = _nan_unless(_info_ok(info, batch, "GE"), lu, aval.shape, aval.dtype, len(batch))
    return [lu, pivots, _pivots_to_permutation(pivots, piv_aval.shape, m)]


register_lowering("lu", _lu_lowering)


# ----------------------------------------------------------------------------------------------
# lu_pivots_to_permutation


def _pivots_to_permutation(pivots, piv_shape, size: int):
    """Applies the row swaps (perm[i], perm[pivots[i]]) for i = 0, 1, ... to iota(size), one
    swap per iteration of a ``stablehlo.while`` (all batch entries at once)."""
    batch = tuple(piv_shape[:-1])
    nb = len(batch)
    k = piv_shape[-1]
    shape = (*batch, size)
    perm_type = mlir.tensor_type(shape, _I32)
    perm = hlo.iota(perm_type, nb)
    if k == 0 or int(np.prod(shape)) == 0:
        return perm
    scalar = mlir.tensor_type((), _I32)
    op = hlo.WhileOp([scalar, perm_type], [mlir.scalar_constant(0, _I32), perm])
    cond = op.regions[0].blocks.append(scalar, perm_type)
    with ir.InsertionPoint(cond):
        i, _ = cond.arguments
        hlo.return_([compare(i, mlir.scalar_constant(k, _I32), "LT", _I32)])
    body = op.regions[1].blocks.append(scalar, perm_type)
    with ir.InsertionPoint(body):
        i, perm = body.arguments
        zero = mlir.scalar_constant(0, _I32)
        start = [zero] * nb + [i]
        p_i = hlo.dynamic_slice(pivots, start, [*batch, 1])  # (*batch, 1)
        a = hlo.dynamic_slice(perm, start, [*batch, 1])  # perm[i]
        all_dims = list(range(nb + 1))
        p_full = hlo.broadcast_in_dim(perm_type, p_i, all_dims)
        a_full = hlo.broadcast_in_dim(perm_type, a, all_dims)
        idx = hlo.iota(perm_type, nb)
        at_p = compare(idx, p_full, "EQ", _I32)
        # perm[p_i], by masking and summing over the last dimension.
        picked = hlo.select(at_p, perm, mlir.scalar_constant(0, _I32, shape))
        red = hlo.ReduceOp([mlir.tensor_type(batch, _I32)], [picked],
                           [mlir.scalar_constant(0, _I32)], ir.DenseI64ArrayAttr.get([nb]))
        blk = red.regions[0].blocks.append(scalar, scalar)
        with ir.InsertionPoint(blk):
            hlo.return_([hlo.add(*blk.arguments)])
        b_full = hlo.broadcast_in_dim(perm_type, red.result, list(range(nb)))
        i_full = hlo.broadcast_in_dim(perm_type, i, [])
        at_i = compare(idx, i_full, "EQ", _I32)
        new = hlo.select(at_i, b_full, hlo.select(at_p, a_full, perm))
        one = mlir.scalar_constant(1, _I32)
        hlo.return_([hlo.add(i, one), new])
    return op.results[1]


def _lu_pivots_to_permutation_lowering(ctx, pivots, *, permutation_size):
    return _pivots_to_permutation(pivots, ctx.avals_in[0].shape, permutation_size)


register_lowering("lu_pivots_to_permutation", _lu_pivots_to_permutation_lowering)


# ----------------------------------------------------------------------------------------------
# qr


def _qr_lowering(ctx, x, *, full_matrices):
    _require_cpu(ctx, "qr")
    aval = ctx.avals_in[0]
    q_aval, r_aval = ctx.avals_out
    dt = aval.dtype
    batch = aval.shape[:-2]
    m, n = aval.shape[-2:]
    k = min(m, n)
    if aval.size == 0:
        q = _identity(q_aval.shape, dt) if q_aval.size else _zeros(q_aval.shape, dt)
        return [q, _zeros(r_aval.shape, dt)]
    a, taus = _lapack(ctx, "geqrf", [x], [aval], [aval, _Aval((*batch, k), dt)], None, {0: 0})
    r = _mask_triangle(a, aval.shape, dt, False)
    if r_aval.shape != aval.shape:  # reduced, m > n: the top n rows
        r = _slice(r, aval.shape, r_aval.shape)
    # orgqr/ungqr expands the reflectors held below the diagonal into q's columns.
    qcols = q_aval.shape[-1]
    if qcols <= n:
        q_in = _slice(a, aval.shape, (*batch, m, qcols)) if qcols < n else a
    else:
        q_in = _pad_zeros(a, dt, [0] * len(batch) + [0, qcols - n])
    q_in_aval = _Aval((*batch, m, qcols), dt)
    (q,) = _lapack(ctx, "ungqr" if dtypes.is_complex(dt) else "orgqr", [q_in, taus],
                   [q_in_aval, _Aval((*batch, k), dt)], [q_in_aval], None, {0: 0})
    return [q, r]


register_lowering("qr", _qr_lowering)


# ----------------------------------------------------------------------------------------------
# svd


def _svd_lowering(ctx, x, *, full_matrices, compute_uv):
    _require_cpu(ctx, "svd")
    aval = ctx.avals_in[0]
    dt = aval.dtype
    batch = aval.shape[:-2]
    m, n = aval.shape[-2:]
    k = min(m, n)
    s_aval = ctx.avals_out[0]
    u_shape = (*batch, m, m if full_matrices else k)
    vt_shape = (*batch, n if full_matrices else k, n)
    if aval.size == 0:
        outs = [_zeros(s_aval.shape, s_aval.dtype)]
        if compute_uv:
            outs += [_identity(u_shape, dt) if int(np.prod(u_shape)) else _zeros(u_shape, dt),
                     _identity(vt_shape, dt) if int(np.prod(vt_shape)) else _zeros(vt_shape, dt)]
        return outs
    mode = (_SVD_ALL if full_matrices else _SVD_SOME) if compute_uv else _SVD_NONE
    _, s, u, vt, info = _lapack(
        ctx, "gesdd", [x], [aval],
        [aval, s_aval, _Aval(u_shape, dt), _Aval(vt_shape, dt), _Aval(batch, _I32)],
        {"mode": mode}, {0: 0})
    ok = _info_ok(info, batch)
    nb = len(batch)
    outs = [_nan_unless(ok, s, s_aval.shape, s_aval.dtype, nb)]
    if compute_uv:
        outs += [_nan_unless(ok, u, u_shape, dt, nb), _nan_unless(ok, vt, vt_shape, dt, nb)]
    return outs


register_lowering("svd", _svd_lowering)


# ----------------------------------------------------------------------------------------------
# triangular_solve


def _triangular_solve_lowering(ctx, a, b, *, left_side, lower, transpose_a, conjugate_a,
                               unit_diagonal):
    a_aval, b_aval = ctx.avals_in
    if b_aval.size == 0:
        return b
    complex_ = dtypes.is_complex(a_aval.dtype)
    if conjugate_a and not transpose_a:
        if complex_:
            a = chlo.conj(a)
        conjugate_a = False
    if ctx.module_ctx.platform != "cpu":
        mode = "ADJOINT" if transpose_a and conjugate_a and complex_ else (
            "TRANSPOSE" if transpose_a else "NO_TRANSPOSE")
        return hlo.triangular_solve(a, b, ir.BoolAttr.get(left_side), ir.BoolAttr.get(lower),
                                    ir.BoolAttr.get(unit_diagonal),
                                    hlo.TransposeAttr.get(mode))
    trans = (_CONJ_TRANS if conjugate_a else _TRANS) if transpose_a else _NO_TRANS
    (out,) = _lapack(ctx, "trsm", [a, b], [a_aval, b_aval], [b_aval],
                     {"side": _LEFT if left_side else _RIGHT,
                      "uplo": _LOWER if lower else _UPPER, "trans_x": trans,
                      "diag": _UNIT if unit_diagonal else _NON_UNIT}, {0: 1})
    return out


register_lowering("triangular_solve", _triangular_solve_lowering)


# ----------------------------------------------------------------------------------------------
# eig


def _eig_lowering(ctx, x, *, compute_left_eigenvectors, compute_right_eigenvectors):
    _require_cpu(ctx, "eig")
    aval = ctx.avals_in[0]
    dt = aval.dtype
    ct = dtypes.complex_dtype(dt)
    batch = aval.shape[:-2]
    nb = len(batch)
    w_shape = aval.shape[:-1]
    if aval.size == 0:
        outs = [_zeros(w_shape, ct)]
        outs += [_zeros(aval.shape, ct)] * (compute_left_eigenvectors +
                                            compute_right_eigenvectors)
        return outs
    vec = _Aval(aval.shape, ct)
    real_input = not dtypes.is_complex(dt)
    w_avals = [_Aval(w_shape, dt)] * (2 if real_input else 1)
    attrs = {"compute_left": _VECTORS if compute_left_eigenvectors else _NO_VECTORS,
             "compute_right": _VECTORS if compute_right_eigenvectors else _NO_VECTORS}
    *w, vl, vr, info = _lapack(ctx, "geev", [x], [aval],
                               [*w_avals, vec, vec, _Aval(batch, _I32)], attrs)
    w = hlo.complex(w[0], w[1]) if real_input else w[0]
    ok = _info_ok(info, batch)
    outs = [_nan_unless(ok, w, w_shape, ct, nb)]
    if compute_left_eigenvectors:
        outs.append(_nan_unless(ok, vl, aval.shape, ct, nb))
    if compute_right_eigenvectors:
        outs.append(_nan_unless(ok, vr, aval.shape, ct, nb))
    return outs


register_lowering("eig", _eig_lowering)


# ----------------------------------------------------------------------------------------------
# tridiagonal_solve


def _tridiagonal_solve_lowering(ctx, dl, d, du, b):
    _require_cpu(ctx, "tridiagonal_solve")
    b_aval = ctx.avals_in[3]
    if b_aval.size == 0:
        return b
    batch = b_aval.shape[:-2]
    *_, x, info = _lapack(ctx, "gtsv", [dl, d, du, b], list(ctx.avals_in),
                          [*ctx.avals_in, _Aval(batch, _I32)], None,
                          {0: 0, 1: 1, 2: 2, 3: 3})
    return _nan_unless(_info_ok(info, batch), x, b_aval.shape, b_aval.dtype, len(batch))


register_lowering("tridiagonal_solve", _tridiagonal_solve_lowering)
