"""Op-table rows of the indexing family: gather in every mode (with fill values, batching dims
and indices that are arguments, so vmap batches them), and the scatter family (add, sub, mul,
min, max, replace) with repeated indices, clipped and dropped windows (see tests/op_db.py for
the fields). tests/op_db.py keeps its original gather/scatter_add/scatter rows.

The windows are (1, 2) slices of a (3, 4) operand addressed by (row, col) index vectors.
"""

from __future__ import annotations

import numpy as np

from tests.op_db import OpInfo, b1, c64, f16, f32, i32, u8
from xfront import lax

_GDN = lax.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,),
                                  start_index_map=(0, 1))
_SDN = lax.ScatterDimensionNumbers(update_window_dims=(1,), inserted_window_dims=(0,),
                                   scatter_dims_to_operand_dims=(0, 1))
# In-bounds starts are rows 0..2, cols 0..2 (the window is 2 wide).
_IDX_OOB = np.array([[0, 1], [2, 3], [-1, 0], [1, 2], [3, 0]], np.int32)
_IDX_IN = np.array([[0, 1], [2, 2], [1, 0]], np.int32)
_IDX_REP = np.array([[0, 1], [2, 0], [0, 1], [1, 2], [0, 1]], np.int32)  # (0, 1) three times
_IDX_REP_OOB = np.array([[0, 1], [2, 3], [0, 1], [-1, 2], [1, 1]], np.int32)


def _in_bounds(i, j, x):
    return 0 <= i <= x.shape[0] - 1 and 0 <= j <= x.shape[1] - 2


def _clamp(i, j, x):
    return min(max(i, 0), x.shape[0] - 1), min(max(j, 0), x.shape[1] - 2)


def _gather_ref(idx, mode, fill=None):
    def ref(x):
        rows = []
        for i, j in np.asarray(idx):
            if mode == "fill" and not _in_bounds(i, j, x):
                rows.append(np.full(2, fill, x.dtype))
            else:
                i, j = _clamp(i, j, x)
                rows.append(x[i, j:j + 2])
        return np.stack(rows)

    return ref


def _default_fill(dt):
    dt = np.dtype(dt)
    if dt.kind in "fcV":
        return np.nan
    if dt == b1:
        return True
    return np.iinfo(dt).min if dt.kind == "i" else np.iinfo(dt).max


def _scatter_ref(idx, combine, mode="clip"):
    def ref(x, u):
        out = x.copy()
        for (i, j), row in zip(np.asarray(idx), u):
            if mode == "drop" and not _in_bounds(i, j, x):
                continue
            i, j = _clamp(i, j, x)
            out[i, j:j + 2] = combine(out[i, j:j + 2], row)
        return out

    return ref


def _index_arg(lo, hi):
    """An integer index argument (whatever the row's dtype), so vmap batches indices too."""
    def gen(rng, shape, dt):
        return rng.integers(lo, hi, size=shape, endpoint=True).astype(np.int32)

    return gen


def _gather_dyn_ref(mode, fill=None):
    def ref(x, idx):
        return _gather_ref(idx, mode, fill)(x)

    return ref


def _scatter_dyn_ref(combine, mode):
    def ref(x, idx, u):
        return _scatter_ref(idx, combine, mode)(x, u)

    return ref


def _fill_cast(fill, dt):
    return np.asarray(fill).astype(dt)


_add = lambda old, new: old + new  # noqa: E731
_sub = lambda old, new: old - new  # noqa: E731
_mul = lambda old, new: old * new  # noqa: E731
_set = lambda old, new: new  # noqa: E731


def _min(old, new):
    if old.dtype == b1:
        return old & new
    return np.minimum(old, new)


def _max(old, new):
    if old.dtype == b1:
        return old | new
    return np.maximum(old, new)


_X = ((3, 4),)
_XU = (((3, 4), (5, 2)),)
_XU3 = (((3, 4), (3, 2)),)


def _dup_rows(u):
    """Updates whose repeated index vectors get identical rows (so any winner is right)."""
    return u[np.array([0, 1, 0, 2, 0])]


OPS = [
    # gather: modes and fill values
    OpInfo("gather_fill", "gather",
           lambda x: lax.gather(x, _IDX_OOB, _GDN, (1, 2), mode="fill", fill_value=-1.5),
           lambda x: _gather_ref(_IDX_OOB, "fill", _fill_cast(-1.5, x.dtype))(x),
           (f32, i32, c64), _X, exact=True),
    OpInfo("gather_fill_default", "gather",
           lambda x: lax.gather(x, _IDX_OOB, _GDN, (1, 2), mode="fill"),
           lambda x: _gather_ref(_IDX_OOB, "fill", _default_fill(x.dtype))(x),
           (f16, i32, u8, b1), _X, compute_in_f32=False),
    OpInfo("gather_clip_oob", "gather",
           lambda x: lax.gather(x, _IDX_OOB, _GDN, (1, 2), mode="clip"),
           _gather_ref(_IDX_OOB, "clip"), (f32, i32, b1, c64), _X, exact=True),
    OpInfo("gather_promise_in_bounds", "gather",
           lambda x: lax.gather(x, _IDX_IN, _GDN, (1, 2), mode="promise_in_bounds"),
           _gather_ref(_IDX_IN, "clip"), (f32, i32), _X, exact=True),
    OpInfo("gather_batching_dims", "gather",
           lambda x: lax.gather(
               x, np.array([[[1], [3]], [[0], [0]], [[2], [5]]], np.int32),
               lax.GatherDimensionNumbers(offset_dims=(2, 3), collapsed_slice_dims=(),
                                          start_index_map=(1,), operand_batching_dims=(0,),
                                          start_indices_batching_dims=(0,)),
               (1, 2, 2), mode="fill", fill_value=0),
           lambda x: np.stack([np.stack([x[b, i:i + 2] if i <= x.shape[1] - 2 else
                                         np.zeros((2, x.shape[2]), x.dtype) for i in row])
                               for b, row in enumerate([[1, 3], [0, 0], [2, 5]])]),
           (f32, i32), ((3, 5, 2),), exact=True),
    OpInfo("gather_indices_arg_clip", "gather",
           lambda x, idx: lax.gather(x, idx, _GDN, (1, 2), mode="clip"),
           _gather_dyn_ref("clip"), (f32, i32), (((3, 4), (5, 2)),), nargs=2, exact=True,
           arg_domains=(None, _index_arg(-2, 5)), grad_args=(0,)),
    OpInfo("gather_indices_arg_fill", "gather",
           lambda x, idx: lax.gather(x, idx, _GDN, (1, 2), mode="fill", fill_value=0),
           _gather_dyn_ref("fill", 0), (f32, i32), (((3, 4), (5, 2)),), nargs=2, exact=True,
           arg_domains=(None, _index_arg(-2, 5)), grad_args=(0,)),
    # scatter family with repeated indices (CLIP, the lax default)
    OpInfo("scatter_add_repeated", "scatter_add",
           lambda x, u: lax.scatter_add(x, _IDX_REP, u, _SDN),
           _scatter_ref(_IDX_REP, _add), (f32, i32, c64, b1), _XU, nargs=2,
           tol={f32: (1e-6, 1e-6)}),
    OpInfo("scatter_sub", "scatter_sub",
           lambda x, u: lax.scatter_sub(x, _IDX_REP_OOB, u, _SDN),
           _scatter_ref(_IDX_REP_OOB, _sub), (f32, i32, c64), _XU, nargs=2,
           tol={f32: (1e-6, 1e-6)}),
    OpInfo("scatter_sub_drop", "scatter_sub",
           lambda x, u: lax.scatter_sub(x, _IDX_REP_OOB, u, _SDN, mode="drop"),
           _scatter_ref(_IDX_REP_OOB, _sub, "drop"), (f32, i32), _XU, nargs=2,
           tol={f32: (1e-6, 1e-6)}),
    OpInfo("scatter_mul", "scatter_mul",
           lambda x, u: lax.scatter_mul(x, _IDX_REP, u, _SDN),
           _scatter_ref(_IDX_REP, _mul), (f32, i32, c64), _XU, nargs=2, domain=(-2.0, 2.0),
           tol={f32: (1e-5, 1e-6), c64: (1e-5, 1e-6)}),
    OpInfo("scatter_mul_zeros", "scatter_mul",
           lambda x, u: lax.scatter_mul(x, _IDX_REP, u, _SDN, mode="drop"),
           _scatter_ref(_IDX_REP, _mul, "drop"), (f32,), _XU, nargs=2,
           arg_domains=(None, lambda rng, s, dt: rng.choice([0.0, 0.5, -2.0, 1.5],
                                                            size=s).astype(dt)),
           tol={f32: (1e-5, 1e-6)}),
    OpInfo("scatter_mul_unique", "scatter_mul",
           lambda x, u: lax.scatter_mul(x, _IDX_IN, u, _SDN, unique_indices=True),
           _scatter_ref(_IDX_IN, _mul), (f32, i32), _XU3, nargs=2, domain=(-2.0, 2.0),
           tol={f32: (1e-5, 1e-6)}),
    OpInfo("scatter_min", "scatter_min",
           lambda x, u: lax.scatter_min(x, _IDX_REP, u, _SDN),
           _scatter_ref(_IDX_REP, _min), (f32, i32, u8, b1), _XU, nargs=2, exact=True),
    OpInfo("scatter_min_drop", "scatter_min",
           lambda x, u: lax.scatter_min(x, _IDX_REP_OOB, u, _SDN, mode="drop"),
           _scatter_ref(_IDX_REP_OOB, _min, "drop"), (f32, i32), _XU, nargs=2, exact=True),
    OpInfo("scatter_max", "scatter_max",
           lambda x, u: lax.scatter_max(x, _IDX_REP_OOB, u, _SDN),
           _scatter_ref(_IDX_REP_OOB, _max), (f32, i32, u8, b1), _XU, nargs=2, exact=True),
    OpInfo("scatter_max_ties", "scatter_max",
           lambda x, u: lax.scatter_max(x, _IDX_REP, u, _SDN),
           _scatter_ref(_IDX_REP, _max), (f32,), _XU, nargs=2, exact=True,
           domain=lambda rng, s, dt: rng.integers(-2, 3, size=s).astype(dt),
           grad_domain=(-3.0, 3.0)),
    OpInfo("scatter_repeated", "scatter",
           lambda x, u: lax.scatter(x, _IDX_REP, _dup_rows(u), _SDN),
           lambda x, u: _scatter_ref(_IDX_REP, _set)(x, _dup_rows(u)), (f32, i32, c64, b1),
           _XU3, nargs=2, exact=True),
    OpInfo("scatter_drop", "scatter",
           lambda x, u: lax.scatter(x, _IDX_OOB, u, _SDN, mode="drop", unique_indices=True),
           _scatter_ref(_IDX_OOB, _set, "drop"), (f32, i32), _XU, nargs=2, exact=True),
    OpInfo("scatter_add_indices_arg_drop", "scatter_add",
           lambda x, idx, u: lax.scatter_add(x, idx, u, _SDN, mode="drop"),
           _scatter_dyn_ref(_add, "drop"), (f32, i32), (((3, 4), (5, 2), (5, 2)),), nargs=3,
           arg_domains=(None, _index_arg(-1, 4), None), grad_args=(0, 2),
           tol={f32: (1e-6, 1e-6)}),
    OpInfo("scatter_indices_arg_unique", "scatter",
           lambda x, idx, u: lax.scatter(x, idx, u, _SDN, unique_indices=True),
           lambda x, idx, u: _scatter_ref(np.array([[0, 0], [1, 2], [2, 1]]), _set)(x, u),
           (f32, i32), (((3, 4), (3, 2), (3, 2)),), nargs=3, exact=True,
           arg_domains=(None, lambda rng, s, dt: np.array([[0, 0], [1, 2], [2, 1]], np.int32),
                        None), grad_args=(0, 2)),
]
