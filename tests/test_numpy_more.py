"""The breadth of ``xfront.numpy``: manipulation (tile, repeat, roll, pad, diagonals, grids,
insert/delete, vectorize ...), einsum with its path optimizer, and the math extras (isclose,
polynomials, interp, gradient, frexp/ldexp, bit packing, windows ...).

Most of the module is one table of cases: a case is a function of a numpy-like module ``m``
(``xfront.numpy``, ``numpy`` or ``jax.numpy``) and of array arguments. ``test_values`` checks
xfront's jitted result (and, for cases marked ``eager``, the eager one) against NumPy;
``test_dtypes_match_jax`` checks result shapes, dtypes and weak types against the real jax by
abstract evaluation on both sides. Then: einsum paths, gradients, vmap, traced arguments and
error messages.
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Callable

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront.core.errors import ConcretizationTypeError
from xfront.test_util import check_grads

F = "float32"
I = "int32"  # noqa: E741


@dataclasses.dataclass(frozen=True)
class A:
    """A random array argument of ``shape`` and ``dtype`` in [lo, hi)."""

    shape: tuple = ()
    dtype: str = F
    lo: float = -3
    hi: float = 3

    def make(self, rng):
        dt = np.dtype(self.dtype)
        if dt == np.bool_:
            return rng.random(self.shape) < 0.5
        if dt.kind in "iu":
            return rng.integers(int(self.lo), int(self.hi), self.shape).astype(dt)
        if dt.kind == "c":
            v = rng.uniform(self.lo, self.hi, self.shape) + 1j * rng.uniform(
                self.lo, self.hi, self.shape)
            return v.astype(dt)
        return rng.uniform(self.lo, self.hi, self.shape).astype(dt)


@dataclasses.dataclass
class Case:
    id: str
    fn: Callable  # fn(m, *arrays)
    args: tuple = ()
    np_fn: Callable | None = None  # NumPy reference when it differs from fn(np, ...)
    rtol: float = 2e-5
    atol: float = 2e-6
    oracle: bool = True  # compare shapes/dtypes with jax
    eager: bool = False  # also run eagerly (every case runs under jit)
    jit: bool = True


def C(id, fn, *args, **kw):
    return pytest.param(Case(id, fn, tuple(args), **kw), id=id)


def _materialize(case, rng):
    return [a.make(rng) if isinstance(a, A) else np.asarray(a) for a in case.args]


def _leaves(tree):
    if isinstance(tree, list | tuple):
        return [leaf for t in tree for leaf in _leaves(t)]
    return [tree]


def assert_close(actual, expected, rtol=2e-5, atol=2e-6):
    if isinstance(expected, list | tuple):
        assert isinstance(actual, list | tuple), f"expected a sequence, got {type(actual)}"
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol, atol)
        return
    a, e = np.asarray(actual), np.asarray(expected)
    assert a.shape == e.shape, f"shape {a.shape} != expected {e.shape}"
    if a.dtype.kind in "biu" and e.dtype.kind in "biu":
        np.testing.assert_array_equal(a, e)
        return
    wide = np.complex128 if a.dtype.kind == "c" or e.dtype.kind == "c" else np.float64
    np.testing.assert_allclose(a.astype(wide), e.astype(wide), rtol=rtol, atol=atol,
                               equal_nan=True)


def _run_numpy(case, args):
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if case.np_fn is not None:
            return case.np_fn(*args)
        return case.fn(np, *args)


_r = np.random.default_rng(7)
X34 = _r.standard_normal((3, 4)).astype(np.float32)
XP = np.array([0.0, 1.0, 2.5, 4.0], np.float32)
FP = np.array([1.0, 3.0, -1.0, 2.0], np.float32)
XQ = np.array([-1.0, 0.0, 0.5, 2.5, 3.0, 4.0, 6.0], np.float32)


def _fill_diag(a, val, wrap=False):
    a = a.copy()
    np.fill_diagonal(a, val, wrap=wrap)
    return a


# ----------------------------------------------------------------------------------------------
# Manipulation.

MANIPULATION = [
    C("tile", lambda m, x: m.tile(x, (2, 1, 3)), A((2, 3)), eager=True),
    C("tile_int", lambda m, x: m.tile(x, 3), A((4,), I)),
    C("tile_short_reps", lambda m, x: m.tile(x, 2), A((2, 3))),
    C("repeat_scalar", lambda m, x: m.repeat(x, 2, axis=1), A((2, 3)), eager=True),
    C("repeat_flat", lambda m, x: m.repeat(x, 3), A((2, 2), I)),
    C("repeat_counts", lambda m, x: m.repeat(x, np.array([1, 0, 3]), axis=0), A((3, 2)),
      eager=True),
    C("repeat_counts_list", lambda m, x: m.repeat(x, [2, 1], axis=-1), A((3, 2)), oracle=False),
    C("repeat_total_length", lambda m, x: m.repeat(x, 2, total_repeat_length=7), A((3,)),
      np_fn=lambda x: np.repeat(x, 2)[[0, 1, 2, 3, 4, 5, 5]]),
    C("repeat_counts_total_length",
      lambda m, x: m.repeat(x, np.array([1, 2, 0]), total_repeat_length=5), A((3,)),
      np_fn=lambda x: x[[0, 1, 1, 2, 2]]),
    C("roll_flat", lambda m, x: m.roll(x, 5), A((3, 4)), eager=True),
    C("roll_axes", lambda m, x: m.roll(x, (1, -2), (0, 1)), A((3, 4))),
    C("roll_one_axis_many_shifts", lambda m, x: m.roll(x, (1, 2), 1), A((3, 4))),
    C("roll_negative_axis", lambda m, x: m.roll(x, -7, -1), A((2, 3, 4))),
    C("rot90", lambda m, x: m.rot90(x), A((3, 4)), eager=True),
    C("rot90_k2", lambda m, x: m.rot90(x, 2), A((3, 4))),
    C("rot90_k3_axes", lambda m, x: m.rot90(x, 3, (2, 0)), A((2, 3, 4))),
    C("rot90_neg", lambda m, x: m.rot90(x, -1, (1, 2)), A((2, 3, 4))),
    C("tri", lambda m: m.tri(3, 5, 1)),
    C("tri_int", lambda m: m.tri(4, k=-1, dtype=m.int32)),
    C("tril", lambda m, x: m.tril(x), A((3, 4)), eager=True),
    C("tril_k_batched", lambda m, x: m.tril(x, -1), A((2, 3, 4))),
    C("triu_k", lambda m, x: m.triu(x, 2), A((4, 3), I)),
    C("triu_1d", lambda m, x: m.triu(x), A((3,)), oracle=False),
    C("diag_of_matrix", lambda m, x: (m.diag(x), m.diag(x, 1), m.diag(x, -2)), A((3, 4)),
      eager=True),
    C("diag_of_vector", lambda m, x: (m.diag(x), m.diag(x, 2), m.diag(x, -1)), A((3,))),
    C("diagflat", lambda m, x: m.diagflat(x, -1), A((2, 2))),
    C("diagonal", lambda m, x: m.diagonal(x), A((3, 4))),
    C("diagonal_axes", lambda m, x: m.diagonal(x, 1, 2, 0), A((3, 2, 4))),
    C("diagonal_offset_out", lambda m, x: m.diagonal(x, 5), A((3, 4))),
    C("diagonal_negative", lambda m, x: m.diagonal(x, -1, -1, -2), A((2, 3, 4))),
    C("trace", lambda m, x: m.trace(x), A((3, 4)), eager=True),
    C("trace_axes", lambda m, x: m.trace(x, 1, 1, 2), A((2, 3, 4))),
    C("trace_int", lambda m, x: m.trace(x, -1), A((3, 3), "int8")),
    C("trace_dtype", lambda m, x: m.trace(x, dtype=m.float32), A((3, 3), I)),
    C("fill_diagonal", lambda m, x: m.fill_diagonal(x, 5.0, inplace=False), A((3, 3)),
      np_fn=lambda x: _fill_diag(x, 5.0), eager=True),
    C("fill_diagonal_tall", lambda m, x: m.fill_diagonal(x, np.float32([1, 2]), inplace=False),
      A((5, 3)), np_fn=lambda x: _fill_diag(x, [1, 2])),
    C("fill_diagonal_wrap",
      lambda m, x: m.fill_diagonal(x, np.float32([1, 2]), wrap=True, inplace=False), A((7, 3)),
      np_fn=lambda x: _fill_diag(x, [1, 2], wrap=True), oracle=False),
    C("fill_diagonal_wide", lambda m, x: m.fill_diagonal(x, 4, inplace=False), A((2, 5), I),
      np_fn=lambda x: _fill_diag(x, 4)),
    C("fill_diagonal_3d", lambda m, x: m.fill_diagonal(x, -1.0, inplace=False), A((3, 3, 3)),
      np_fn=lambda x: _fill_diag(x, -1.0)),
    C("vander", lambda m, x: m.vander(x), A((4,))),
    C("vander_N_increasing", lambda m, x: m.vander(x, 6, True), A((3,), I)),
    C("kron", lambda m, a, b: m.kron(a, b), A((2, 3)), A((3, 1, 2)), eager=True),
    C("kron_int", lambda m, a, b: m.kron(a, b), A((2,), I), A((3,), I)),
    C("resize_grow", lambda m, x: m.resize(x, (5, 3)), A((2, 3))),
    C("resize_shrink", lambda m, x: m.resize(x, 4), A((2, 3), I)),
    C("meshgrid_xy", lambda m, a, b: m.meshgrid(a, b), A((3,)), A((4,), I), eager=True),
    C("meshgrid_ij_3", lambda m, a, b, c: m.meshgrid(a, b, c, indexing="ij"), A((2,)),
      A((3,)), A((4,))),
    C("meshgrid_sparse", lambda m, a, b, c: m.meshgrid(a, b, c, sparse=True), A((2,)),
      A((3,)), A((4,))),
    C("mgrid", lambda m: m.mgrid[0:3, 1:5:2], eager=True),
    C("mgrid_complex_step", lambda m: m.mgrid[0:1:5j, -1:1:3j]),
    C("mgrid_1d", lambda m: m.mgrid[2:7]),
    C("ogrid", lambda m: m.ogrid[0:3, 0:2:3j]),
    C("r_", lambda m: m.r_[1:4, 0, [5, 6], np.array([7, 8])], eager=True),
    C("r_arrays", lambda m, a: m.r_[a, 0.5, a], A((3,))),
    C("r_directive", lambda m: m.r_["0,2", [1, 2], [3, 4]]),
    C("r_directive_trans", lambda m: m.r_["-1,2,0", [1, 2], [3, 4]]),
    C("r_directive_axis1", lambda m, x: m.r_["1,3", x, x], A((2, 3))),
    C("r_directive_negative_trans", lambda m, x: m.r_["0,3,-2", x, x], A((2, 3))),
    C("r_row_column", lambda m: (m.r_["r", [1, 2]], m.r_["c", [1, 2], [3]]),
      np_fn=lambda: (np.asarray(np.r_["r", [1, 2]]), np.asarray(np.r_["c", [1, 2], [3]]))),
    C("c_", lambda m: m.c_[[1, 2], [3, 4]]),
    C("c_scalars", lambda m: m.c_[np.array([[1, 2, 3]]), 0, 0, np.array([[4, 5, 6]])]),
    C("append_flat", lambda m, x: m.append(x, 3.0), A((2, 3)), eager=True),
    C("append_axis", lambda m, a, b: m.append(a, b, axis=0), A((2, 3)), A((1, 3), I)),
    C("insert_scalar", lambda m, x: m.insert(x, 1, 7.0, axis=1), A((3, 4)), eager=True),
    C("insert_scalar_values", lambda m, x: m.insert(x, 2, np.float32([1, 2, 3]), axis=1),
      A((3, 4))),
    C("insert_one_index_list", lambda m, x: m.insert(x, np.array([1]), np.float32([[1], [2], [3]]),
                                                     axis=1), A((3, 4))),
    C("insert_list", lambda m, x: m.insert(x, np.array([0, 2, 2, 4]), np.float32([9, 8, 7, 6])),
      A((4,))),
    C("insert_slice", lambda m, x: m.insert(x, slice(0, 4, 2), -1.0, axis=1), A((3, 4))),
    C("insert_negative", lambda m, x: m.insert(x, -1, 5, axis=0), A((3, 4), I)),
    C("insert_end", lambda m, x: m.insert(x, 4, 0.5), A((4,))),
    C("delete_int", lambda m, x: m.delete(x, 1, axis=1), A((3, 4)), eager=True),
    C("delete_list", lambda m, x: m.delete(x, np.array([0, 2, -1])), A((3, 4))),
    C("delete_slice", lambda m, x: m.delete(x, slice(1, 3), axis=0), A((4, 2))),
    C("delete_mask", lambda m, x: m.delete(x, np.array([True, False, True, False]), axis=1),
      A((2, 4)), oracle=False),
    C("block_2d", lambda m, a, b, c: m.block([[a, b], [c]]), A((2, 2)), A((2, 3)), A((1, 5)),
      eager=True),
    C("block_1d", lambda m, a: m.block([a, 3.0, a]), A((2,))),
    C("block_promote_ndim", lambda m, a, b: m.block([[a], [b]]), A((3,)), A((2, 3))),
    C("diff", lambda m, x: m.diff(x), A((3, 5)), eager=True),
    C("diff_n_axis", lambda m, x: m.diff(x, 2, axis=0), A((4, 3, 2))),
    C("diff_prepend_append", lambda m, x: m.diff(x, prepend=0.0, append=x[:, :1]), A((2, 3))),
    C("diff_bool", lambda m, x: m.diff(x), A((6,), "bool")),
    C("diff_int_n3", lambda m, x: m.diff(x, 3), A((6,), I)),
    C("ediff1d", lambda m, x: m.ediff1d(x), A((2, 3))),
    C("ediff1d_ends", lambda m, x: m.ediff1d(x, to_end=np.float32([1, 2]), to_begin=-1.0),
      A((4,))),
    C("apply_along_axis", lambda m, x: m.apply_along_axis(lambda v: v * v.sum(), 1, x),
      A((2, 3, 4)), eager=True),
    C("apply_along_axis_scalar", lambda m, x: m.apply_along_axis(lambda v: v.max(), 0, x),
      A((3, 4))),
    C("apply_along_axis_matrix",
      lambda m, x: m.apply_along_axis(lambda v: m.outer(v, v), 1, x), A((2, 3))),
    C("apply_over_axes", lambda m, x: m.apply_over_axes(m.sum, x, [0, 2]), A((2, 3, 4))),
    C("piecewise", lambda m, x: m.piecewise(x, [x < 0, x >= 0], [lambda v: -v, lambda v: 2 * v]),
      A((7,)), eager=True),
    C("piecewise_default", lambda m, x: m.piecewise(x, [x < -1, x > 1], [0.0, 1.0, lambda v: v]),
      A((3, 3))),
    C("astype", lambda m, x: m.astype(x, m.int32), A((3,), F, -5, 5)),
    C("astype_bool", lambda m, x: m.astype(x, bool), A((4,), I, -1, 2)),
]

# pad: every mode with pad widths larger than the axis (repeated reflections).
_PAD_WIDTHS = [2, (1, 3), ((1, 7), (9, 2))]
PAD = [
    C(f"pad_{mode}_{i}", lambda m, x, mode=mode, w=w: m.pad(x, w, mode), A((3, 4)),
      eager=(mode == "reflect" and i == 0))
    for mode in ("constant", "edge", "reflect", "symmetric", "wrap", "linear_ramp", "maximum",
                 "minimum", "mean")
    for i, w in enumerate(_PAD_WIDTHS)
] + [
    C("pad_reflect_odd", lambda m, x: m.pad(x, ((5, 9), (7, 3)), "reflect",
                                            reflect_type="odd"), A((3, 4))),
    C("pad_symmetric_odd", lambda m, x: m.pad(x, ((5, 9), (7, 3)), "symmetric",
                                              reflect_type="odd"), A((3, 4))),
    C("pad_constant_values", lambda m, x: m.pad(x, ((1, 2), (3, 4)),
                                                constant_values=((1, 2), (3, 4))), A((3, 4))),
    C("pad_constant_int", lambda m, x: m.pad(x, 2, constant_values=7), A((2, 3), I)),
    C("pad_linear_ramp_ends", lambda m, x: m.pad(x, 3, "linear_ramp", end_values=(5, -2)),
      A((3, 4))),
    C("pad_linear_ramp_int", lambda m, x: m.pad(x, 3, "linear_ramp"), A((3, 4), I, 0, 20)),
    C("pad_mean_int", lambda m, x: m.pad(x, 3, "mean"), A((3, 4), I, 0, 20)),
    C("pad_stat_length", lambda m, x: m.pad(x, 3, "mean", stat_length=(1, 2)), A((3, 4))),
    C("pad_maximum_stat", lambda m, x: m.pad(x, ((1, 2), (2, 1)), "maximum",
                                             stat_length=((1, 2), (2, 3))), A((3, 4))),
    C("pad_median", lambda m, x: m.pad(x, ((1, 2), (3, 1)), "median", stat_length=2),
      A((3, 4))),
    C("pad_1d_tuple", lambda m, x: m.pad(x, (2,), "wrap"), A((3,))),
    C("pad_3d", lambda m, x: m.pad(x, ((0, 1), (2, 0), (1, 1)), "reflect"), A((2, 3, 4))),
    C("pad_bool", lambda m, x: m.pad(x, 1), A((2, 2), "bool")),
    C("pad_empty", lambda m, x: m.pad(x, 2, "empty"), A((2, 2)),
      np_fn=lambda x: np.pad(x, 2)),
    C("pad_callable", lambda m, x: m.pad(x, 2, lambda v, w, ax, kw: v * 2), A((3, 2)),
      np_fn=lambda x: np.pad(x, 2) * 4, oracle=False),
]

# ----------------------------------------------------------------------------------------------
# Math extras.

_special = np.array([1.0, 1.00002, np.inf, np.nan, -np.inf, 2.0], np.float32)
_special2 = np.array([1.0, 1.0, np.inf, np.nan, np.inf, 2.1], np.float32)
_frexp_in = np.array([3.0, 0.0, -np.inf, np.nan, 1e-30, -7.5, 1e30, 0.1], np.float32)

MATH = [
    C("isclose", lambda m: m.isclose(_special, _special2), eager=True),
    C("isclose_equal_nan_tol", lambda m: m.isclose(_special, _special2, 1e-4, equal_nan=True)),
    C("isclose_int_atol", lambda m: m.isclose(np.int32([1, 5]), np.int32([2, 5]), atol=1)),
    C("isclose_complex", lambda m: m.isclose(np.complex64([1 + 1j, 2]), np.complex64([1 + 1.1j,
                                                                                  2]), atol=0.2)),
    C("allclose", lambda m, x: (m.allclose(x, x + 1e-7), m.allclose(x, x + 1)), A((3,))),
    C("array_equal", lambda m: (m.array_equal(_special, _special),
                                m.array_equal(_special, _special, equal_nan=True),
                                m.array_equal(_special, _special[:2])), eager=True),
    C("array_equiv", lambda m: (m.array_equiv(np.ones(2), np.ones((3, 2))),
                                m.array_equiv(np.ones(2), np.ones((3, 3))),
                                m.array_equiv(np.arange(2), np.zeros((1, 2))))),
    C("nan_to_num", lambda m: m.nan_to_num(_special), eager=True),
    C("nan_to_num_values", lambda m: m.nan_to_num(_special, nan=1.0, posinf=2.0, neginf=3.0)),
    C("nan_to_num_complex",
      lambda m: m.nan_to_num(np.complex64([complex(np.nan, np.inf), 1 - 1j]))),
    C("nan_to_num_int", lambda m, x: m.nan_to_num(x), A((3,), I)),
    C("frexp", lambda m: m.frexp(_frexp_in), eager=True),
    C("frexp_f16", lambda m: m.frexp(_frexp_in[:6].astype(np.float16))),
    C("frexp_int", lambda m, x: m.frexp(x), A((4,), I, 1, 100)),
    C("ldexp", lambda m: m.ldexp(_frexp_in, np.int32([1, 2, 3, 4, 100, -3, -120, 5])),
      eager=True),
    C("ldexp_wide_exponent", lambda m: m.ldexp(np.float32([1e-30, 3e30]), np.int32([200, -220]))),
    C("modf", lambda m: m.modf(np.float32([-1.5, np.inf, -0.0, 2.25, -np.inf])), eager=True),
    C("spacing", lambda m: m.spacing(np.float32([0.0, 1.0, -1.0, np.inf, 1e10, -3e-3]))),
    C("sinc", lambda m, x: m.sinc(m.concatenate([x, m.zeros(1, x.dtype)])), A((6,)),
      eager=True),
    C("i0", lambda m, x: m.i0(x), A((7,), F, -9, 9), rtol=1e-5),
    C("heaviside", lambda m: m.heaviside(np.float32([-1, 0, 2, 0]), np.float32([0.5, 0.25,
                                                                                0.1, 1]))),
    C("gcd", lambda m: m.gcd(np.int32([12, -18, 0, 7, 0, 1071]), np.int32([18, 12, 5, 13, 0,
                                                                           462])), eager=True),
    C("gcd_broadcast", lambda m, a: m.gcd(a, 12), A((2, 3), I, -50, 50)),
    C("lcm", lambda m: m.lcm(np.int32([4, -6, 0, 7]), np.int32([6, 4, 3, 13]))),
    C("polyval", lambda m, p, x: m.polyval(p, x), A((4,)), A((2, 3)), eager=True),
    C("polyval_int", lambda m, p, x: m.polyval(p, x), A((3,), I), A((4,), I)),
    C("polyadd", lambda m, a, b: (m.polyadd(a, b), m.polyadd(b, a)), A((4,)), A((2,))),
    C("polysub", lambda m, a, b: (m.polysub(a, b), m.polysub(b, a)), A((4,), I), A((2,), I)),
    C("polymul", lambda m, a, b: (m.polymul(a, b), m.polymul(b, a)), A((4,)), A((2,)),
      eager=True),
    C("polyder", lambda m, p: (m.polyder(p), m.polyder(p, 2), m.polyder(p, 0)), A((4,))),
    C("polyder_all", lambda m, p: m.polyder(p, 5), A((4,))),
    C("polyint", lambda m, p: (m.polyint(p), m.polyint(p, 3, np.float32(2))), A((3,))),
    C("polyint_k_list", lambda m, p: m.polyint(p, 2, np.float32([1, 2])), A((3,))),
    C("polydiv", lambda m, u, v: m.polydiv(u, v)[0], A((5,)), A((2,), F, 1, 3)),
    C("polydiv_remainder", lambda m, u, v: m.polydiv(u, v)[1][-1:], A((5,)), A((2,), F, 1, 3),
      np_fn=lambda u, v: np.polydiv(u, v)[1][-1:]),
    C("poly", lambda m, r: m.poly(r), A((3,)), rtol=1e-4, atol=1e-4),
    C("interp", lambda m: m.interp(XQ, XP, FP), eager=True),
    C("interp_left_right", lambda m: m.interp(XQ, XP, FP, left=-9.0, right=9.0)),
    C("interp_period", lambda m: m.interp(XQ, np.float32([3, 0, 1, 2]), FP, period=3.5)),
    C("interp_complex", lambda m: m.interp(XQ, XP, (FP + 1j * FP).astype(np.complex64))),
    C("interp_2d_x", lambda m, x: m.interp(x, XP, FP), A((2, 3), F, -1, 5)),
    C("unwrap", lambda m, p: m.unwrap(p), A((2, 9), F, 0, 6.2), rtol=1e-4, atol=1e-5,
      eager=True),
    C("unwrap_period_axis",
      lambda m, p: m.unwrap(p, discont=3.0, axis=0, period=4.0), A((7, 2), F, 0, 4),
      rtol=1e-4, atol=1e-5),
    C("gradient", lambda m, f: m.gradient(f), A((4, 5)), eager=True),
    C("gradient_spacing", lambda m, f: m.gradient(f, 2.0, np.float32([0, 1, 3, 4, 7])),
      A((4, 5))),
    C("gradient_edge2", lambda m, f: m.gradient(f, 2.0, np.float32([0, 1, 3, 4, 7]),
                                                edge_order=2), A((4, 5)), rtol=1e-4,
      atol=1e-5, oracle=False),
    C("gradient_axis_edge2", lambda m, f: m.gradient(f, axis=1, edge_order=2), A((4, 5)),
      oracle=False),
    C("gradient_1d", lambda m, f: m.gradient(f, 0.5), A((6,))),
    C("trapezoid", lambda m, y: m.trapezoid(y), A((4, 5)), eager=True),
    C("trapezoid_x", lambda m, y: m.trapezoid(y, np.float32([0, 1, 3, 4, 7])), A((4, 5))),
    C("trapezoid_dx_axis", lambda m, y: m.trapezoid(y, dx=0.5, axis=0), A((4, 5))),
    C("trapezoid_x_nd", lambda m, y, x: m.trapezoid(y, x, axis=0), A((4, 5)), A((4, 5))),
    C("cross", lambda m, a, b: m.cross(a, b), A((4, 3)), A((4, 3)), eager=True),
    C("cross_2d", lambda m, a, b: m.cross(a, b), A((4, 2)), A((4, 2))),
    C("cross_2_3", lambda m, a, b: (m.cross(a, b), m.cross(b, a)), A((4, 2)), A((1, 3))),
    C("cross_axes", lambda m, a, b: m.cross(a, b, axisa=0, axisc=0), A((3, 4)), A((4, 3))),
    C("cross_axis", lambda m, a, b: m.cross(a, b, axis=1), A((2, 3, 2)), A((2, 3, 2))),
    C("iscomplex_isreal", lambda m: (m.iscomplex(np.complex64([1, 1 + 1j])),
                                     m.isreal(np.complex64([1, 1 + 1j])),
                                     m.iscomplex(np.float32([1.0])),
                                     m.isreal(np.float32([1.0])))),
    C("packbits", lambda m, b: m.packbits(b, axis=1), A((3, 13), I, 0, 2), eager=True),
    C("packbits_little_flat", lambda m, b: m.packbits(b, bitorder="little"), A((3, 5), "bool")),
    C("unpackbits", lambda m, b: m.unpackbits(b, axis=0), A((3, 2), "uint8", 0, 256)),
    C("unpackbits_count", lambda m, b: (m.unpackbits(b, count=-3, bitorder="little"),
                                        m.unpackbits(b, axis=1, count=20)),
      A((3, 2), "uint8", 0, 256)),
    C("windows", lambda m: [getattr(m, w)(n) for w in ("bartlett", "blackman", "hamming",
                                                      "hanning") for n in (0, 1, 6)],
      atol=1e-6),
    C("kaiser", lambda m: m.kaiser(7, 3.0), rtol=1e-5),
    C("matvec", lambda m, a, v: m.matvec(a, v), A((2, 3, 4)), A((4,))),
    C("vecmat", lambda m, v, a: m.vecmat(v, a), A((2, 3), "complex64"), A((3, 4))),
    C("fromfunction", lambda m: m.fromfunction(lambda i, j: i * 10 + j, (2, 3), dtype=int),
      jit=False, eager=True),
    C("fromfunction_kwargs", lambda m: m.fromfunction(lambda i, j, s: (i - j) * s, (3, 2),
                                                      s=np.float32(0.5)),
      np_fn=lambda: np.fromfunction(lambda i, j, s: (i - j) * s, (3, 2), s=0.5),
      oracle=False),  # jax batches the keyword arguments too
]

EINSUM_SPECS = [
    ("ij,jk->ik", (2, 3), (3, 4)),
    ("ij,jk", (2, 3), (3, 4)),
    ("ii->i", (3, 3)),
    ("ii", (3, 3)),
    ("ij->", (2, 3)),
    ("ba", (2, 3)),
    ("bA", (2, 3)),
    ("...ij,...jk->...ik", (5, 2, 3), (3, 4)),
    ("...ij,...jk", (1, 2, 3), (5, 3, 4)),
    ("i...->...", (2, 3, 4)),
    ("ij...,jk...->ik...", (2, 3, 5), (3, 4, 5)),
    ("i,i", (4,), (4,)),
    ("i,j->ij", (2,), (3,)),
    ("bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
    ("ij,jk,kl->il", (2, 3), (3, 4), (4, 5)),
    ("ijk,jkl,lm,mi->", (2, 3, 4), (3, 4, 5), (5, 2), (2, 2)),
    ("iij,jk->ik", (3, 3, 4), (4, 2)),
    ("iji->j", (3, 4, 3)),
    ("ij,ij->ij", (2, 3), (1, 3)),
    ("abc,cd,de,ef,fa->b", (2, 3, 4), (4, 5), (5, 2), (2, 3), (3, 2)),
    ("ij,kl->", (2, 3), (4, 5)),
    ("i,i,i->i", (3,), (3,), (3,)),
    ("ij,i->j", (3, 1), (3,)),
    ("a,b,c,d,e,f,g,h,i,j", *[(2,)] * 10),
]

EINSUM = [
    C(f"einsum_{spec}", lambda m, *ops, spec=spec: m.einsum(spec, *ops),
      *[A(s) for s in shapes], rtol=1e-4, atol=1e-5, eager=(spec == "ij,jk,kl->il"))
    for spec, *shapes in EINSUM_SPECS
] + [
    C("einsum_int", lambda m, a, b: m.einsum("ij,jk->ki", a, b), A((2, 3), I), A((3, 2), I)),
    C("einsum_bool", lambda m, a, b: m.einsum("i,i->", a, b), A((4,), "bool"), A((4,), "bool")),
    C("einsum_complex", lambda m, a, b: m.einsum("ij,j->i", a, b), A((2, 3), "complex64"),
      A((3,), "complex64"), rtol=1e-5),
    C("einsum_mixed_dtype", lambda m, a, b: m.einsum("ij,j->i", a, b), A((2, 3), I), A((3,))),
    C("einsum_interleaved", lambda m, a, b: m.einsum(a, [0, 1], b, [1, 2], [0, 2]), A((2, 3)),
      A((3, 4))),
    C("einsum_interleaved_ellipsis",
      lambda m, a: m.einsum(a, [Ellipsis, 0, 1], [Ellipsis, 1]), A((5, 2, 3))),
    C("einsum_preferred", lambda m, a, b: m.einsum("ij,jk", a, b,
                                                   preferred_element_type=m.float32),
      A((2, 3), "int8"), A((3, 2), "int8"), np_fn=lambda a, b: (a @ b).astype(np.float32)),
]

CASES = MANIPULATION + PAD + MATH + EINSUM


@pytest.mark.parametrize("case", CASES)
def test_values(case, rng):
    args = _materialize(case, rng)
    expected = _run_numpy(case, args)
    xargs = [xnp.asarray(a) for a in args]
    if case.jit:
        jitted = xf.jit(lambda *a: case.fn(xnp, *a))(*xargs)
        assert_close(jitted, expected, case.rtol, case.atol)
    if case.eager:
        eager = case.fn(xnp, *xargs)
        assert all(isinstance(leaf, xf.Array) for leaf in _leaves(eager))
        assert_close(eager, expected, case.rtol, case.atol)


def test_results_are_arrays_even_when_unchanged():
    x = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    outs = [xnp.roll(x, 0), xnp.rot90(x, 4), xnp.einsum("ij", x), xnp.diff(x, 0),
            xnp.pad(x, 0, "edge"), xnp.nan_to_num(x.astype(np.int32)), xnp.polyder(x[0], 0),
            xnp.delete(x, [], axis=1), xnp.polydiv(x[0], x[0, :1] + 1)[1][:0],
            xnp.polydiv(x[0, :2], x[0] + 1)[1], xnp.astype(x, np.float32),
            xnp.apply_over_axes(xnp.sum, x, []), xnp.unwrap(x[:, :1]), xnp.tile(x, 1)]
    for out in outs:
        assert isinstance(out, xf.Array), type(out)


@pytest.mark.parametrize("case", [c for c in CASES if c.values[0].oracle])
def test_dtypes_match_jax(case, rng, jax_oracle):
    args = _materialize(case, rng)
    xargs = [xnp.asarray(a) for a in args]
    out = _leaves(xf.eval_shape(lambda *a: case.fn(xnp, *a), *xargs))
    ref = jax_oracle.tree_util.tree_leaves(
        jax_oracle.eval_shape(lambda *a: case.fn(jax_oracle.numpy, *a), *args))
    assert len(out) == len(ref)
    for i, (o, r) in enumerate(zip(out, ref)):
        got = (o.shape, np.dtype(o.dtype), bool(o.weak_type))
        want = (tuple(r.shape), np.dtype(r.dtype), bool(getattr(r, "weak_type", False)))
        if o.dtype == np.bool_:
            got, want = got[:2], want[:2]
        assert got == want, f"output {i}: xfront gives {got}, jax gives {want}"


# ----------------------------------------------------------------------------------------------
# einsum paths and einsum_path.


@pytest.mark.parametrize("spec,shapes", [(s[0], s[1:]) for s in EINSUM_SPECS
                                         if len(s) > 3])
def test_einsum_path_choices_agree(spec, shapes, rng):
    ops = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    expected = np.einsum(spec, *ops)
    path, _ = xnp.einsum_path(spec, *ops, optimize="optimal")

    def all_paths(*o):
        return [xnp.einsum(spec, *o, optimize=opt)
                for opt in (False, True, "greedy", "optimal", "auto", path)]

    for got in xf.jit(all_paths)(*ops):
        assert_close(got, expected, 1e-4, 1e-5)


def test_einsum_path_report_and_costs():
    a, b, c = np.ones((2, 3)), np.ones((3, 4)), np.ones((4, 5))
    path, info = xnp.einsum_path("ij,jk,kl->il", a, b, c, optimize="greedy")
    assert path == [(1, 2), (0, 1)]  # NumPy's greedy choice for this chain
    assert path == np.einsum_path("ij,jk,kl->il", a, b, c, optimize="greedy")[0][1:]
    text = str(info)
    assert "Complete contraction:  ij,jk,kl->il" in text
    assert "Naive scaling:  4" in text and "Optimized scaling:  3" in text
    assert info.naive_cost == 360 and info.opt_cost == 180
    # The optimal path contracts the small end first and is cheaper than greedy's.
    opt_path, opt_info = xnp.einsum_path("ij,jk,kl->il", a, b, c, optimize="optimal")
    assert opt_path == [(0, 1), (0, 1)]
    assert opt_info.opt_cost == 128 < info.opt_cost
    # NumPy's path format (with its 'einsum_path' marker) is accepted too.
    np_path = np.einsum_path("ij,jk,kl->il", a, b, c, optimize="greedy")[0]
    got = xnp.einsum("ij,jk,kl->il", a, b, c, optimize=np_path)
    assert_close(got, np.einsum("ij,jk,kl->il", a, b, c))


def test_einsum_lowers_to_dot_general_without_extra_transposes():
    a, b, c = (np.ones(s, np.float32) for s in ((2, 3), (3, 4), (4, 5)))
    ir = str(xf.make_ir(lambda x, y, z: xnp.einsum("ij,jk,kl->il", x, y, z))(a, b, c))
    assert ir.count("dot_general") == 2
    assert "transpose" not in ir
    ir = str(xf.make_ir(lambda x, y: xnp.einsum("bij,bjk->bik", x, y))(
        np.ones((2, 3, 4)), np.ones((2, 4, 5))))
    assert ir.count("dot_general") == 1 and "transpose" not in ir


def test_einsum_greedy_large_network_matches(rng):
    # Ten operands: 'optimal' falls back to greedy; all orders agree with NumPy.
    shapes = [(2, 3), (3, 4), (4, 2), (2, 3), (3, 2), (2, 4), (4, 3), (3, 2), (2, 2), (2, 2)]
    spec = "ab,bc,cd,de,ef,fg,gh,hi,ij,ja->"
    ops = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    got = xf.jit(lambda *o: xnp.einsum(spec, *o, optimize="optimal"))(*ops)
    assert_close(got, np.einsum(spec, *ops), 1e-4, 1e-4)


# ----------------------------------------------------------------------------------------------
# Gradients (forward and reverse mode against numerical differences).

_GRADS = [
    ("einsum", lambda x, y: xnp.einsum("ij,jk,k->i", x, y, y[0]), [(2, 3), (3, 4)]),
    ("einsum_diag", lambda x: xnp.einsum("ii,ij->j", x, x), [(3, 3)]),
    ("pad_reflect", lambda x: xnp.pad(x, ((4, 1), (2, 5)), "reflect"), [(2, 3)]),
    ("pad_symmetric_odd", lambda x: xnp.pad(x, 3, "symmetric", reflect_type="odd"), [(3,)]),
    ("pad_wrap_edge", lambda x: xnp.pad(xnp.pad(x, 4, "wrap"), 1, "edge"), [(3,)]),
    ("pad_linear_ramp_mean", lambda x: xnp.pad(x, 2, "linear_ramp") + xnp.pad(x, 2, "mean"),
     [(2, 3)]),
    ("pad_constant_traced_value", lambda x, v: xnp.pad(x, 2, constant_values=v[0]),
     [(3,), (1,)]),
    ("diff", lambda x: xnp.diff(x, 2, axis=0, prepend=x[:1]), [(4, 3)]),
    ("interp", lambda x, f: xnp.interp(x, XP, f), [(5,), (4,)]),
    ("trapezoid", lambda y, x: xnp.trapezoid(y, x ** 2), [(2, 4), (4,)]),
    ("polyval_polymul", lambda p, x: xnp.polyval(xnp.polymul(p, p), x), [(3,), (4,)]),
    ("polydiv", lambda u, v: xnp.polydiv(u, v + 3)[0], [(4,), (2,)]),
    ("kron_tile_repeat", lambda x: xnp.kron(x, xnp.tile(x, 2)) + xnp.repeat(x, 3).sum(),
     [(2,)]),
    ("roll_rot90", lambda x: xnp.rot90(xnp.roll(x, 1, 0)) * x.T, [(2, 3)]),
    ("diagonal_trace_tril", lambda x: xnp.trace(x) * xnp.tril(x) + xnp.diagonal(x, 1).sum(),
     [(3, 3)]),
    ("cross", lambda a, b: xnp.cross(a, b), [(2, 3), (2, 3)]),
    ("gradient", lambda f: xnp.gradient(f, np.float32([0, 1, 3, 4]), edge_order=2), [(4,)]),
    ("unwrap", lambda p: xnp.unwrap(p * 3), [(5,)]),
    ("vander_insert_delete", lambda x: xnp.delete(xnp.insert(xnp.vander(x), 1, x, axis=1), 0,
                                                  axis=0), [(3,)]),
    ("sinc_i0", lambda x: xnp.sinc(x) * xnp.i0(x), [(4,)]),
    ("fill_diagonal", lambda x, v: xnp.fill_diagonal(x, v, inplace=False), [(3, 3), (3,)]),
]


@pytest.mark.parametrize("name,fn,shapes", _GRADS, ids=[g[0] for g in _GRADS])
def test_grads(name, fn, shapes, rng):
    args = [rng.uniform(0.3, 1.5, s).astype(np.float32) for s in shapes]
    if name == "interp":
        args[0] = np.float32([0.2, 0.7, 1.9, 3.1, 3.6])
    check_grads(xf.jit(fn), args, order=1, atol=2e-2, rtol=2e-2, eps=1e-2)


def test_grads_second_order(rng):
    x = rng.uniform(0.5, 1.0, (2, 3)).astype(np.float64)
    with xf.config.override("enable_x64", True):
        check_grads(lambda x: xnp.einsum("ij,kj->ik", x, x ** 2), [x], order=2)
        check_grads(lambda x: xnp.pad(x, 2, "reflect") ** 2, [x], order=2)


def test_sinc_derivatives_exact_at_zero():
    d1 = xf.grad(xnp.sinc)(0.0)
    d2 = xf.grad(xf.grad(xnp.sinc))(0.0)
    d4 = xf.grad(xf.grad(xf.grad(xf.grad(xnp.sinc))))(0.0)
    assert float(d1) == 0.0
    np.testing.assert_allclose(float(d2), -np.pi ** 2 / 3, rtol=1e-5)
    np.testing.assert_allclose(float(d4), np.pi ** 4 / 5, rtol=1e-5)


def test_polyval_grad_matches_polyder(rng):
    p = rng.standard_normal(5).astype(np.float32)
    x = rng.standard_normal(3).astype(np.float32)
    g = xf.vmap(xf.grad(lambda x: xnp.polyval(p, x)))(x)
    assert_close(g, np.polyval(np.polyder(p), x), 1e-4, 1e-4)


# ----------------------------------------------------------------------------------------------
# vmap (against a loop over NumPy).


def _check_vmap(f_x, f_np, batch, in_axes=0):
    got = xf.jit(xf.vmap(f_x, in_axes=in_axes))(*batch)
    nb = next(np.shape(b)[ax] for b, ax in zip(batch, in_axes if isinstance(in_axes, tuple)
                                               else [in_axes] * len(batch)) if ax is not None)
    axes = in_axes if isinstance(in_axes, tuple) else [in_axes] * len(batch)
    want = [f_np(*[b if ax is None else np.take(b, i, axis=ax) for b, ax in zip(batch, axes)])
            for i in range(nb)]
    if isinstance(want[0], tuple | list):
        want = type(want[0])(np.stack(w) for w in zip(*want))
    else:
        want = np.stack(want)
    assert_close(got, want, 1e-4, 1e-5)


def test_vmap_manipulation(rng):
    x = rng.standard_normal((3, 2, 4)).astype(np.float32)
    _check_vmap(lambda v: xnp.pad(v, ((1, 3), (5, 2)), "reflect"),
                lambda v: np.pad(v, ((1, 3), (5, 2)), "reflect"), [x])
    _check_vmap(lambda v: xnp.diff(v, axis=0, append=0.0),
                lambda v: np.diff(v, axis=0, append=0.0), [x], in_axes=1)
    _check_vmap(lambda v: (xnp.trace(v), xnp.triu(v, 1), xnp.diag(v, 1)),
                lambda v: (np.trace(v), np.triu(v, 1), np.diag(v, 1)), [x])
    _check_vmap(lambda v: xnp.tile(xnp.repeat(v, 2, axis=0), (1, 2)),
                lambda v: np.tile(np.repeat(v, 2, axis=0), (1, 2)), [x], in_axes=2)
    _check_vmap(lambda v: xnp.insert(xnp.delete(v, [0, 2], axis=1), 1, -1.0, axis=0),
                lambda v: np.insert(np.delete(v, [0, 2], axis=1), 1, -1.0, axis=0), [x])


def test_vmap_traced_arguments(rng):
    x = rng.standard_normal((4, 5)).astype(np.float32)
    shifts = np.int32([0, 2, -1, 7])
    _check_vmap(lambda v, s: xnp.roll(v, s), lambda v, s: np.roll(v, s), [x, shifts])
    pos = np.int32([0, 5, 2, -1])
    _check_vmap(lambda v, i: xnp.insert(v, i, 9.0), lambda v, i: np.insert(v, i, 9.0),
                [x, pos])
    reps = np.int32([[1, 0, 2, 1, 1], [0, 0, 0, 0, 5], [2, 2, 1, 0, 0], [1, 1, 1, 1, 1]])
    _check_vmap(lambda v, r: xnp.repeat(v, r, total_repeat_length=5),
                lambda v, r: np.repeat(v, r), [x, reps])


def test_vmap_math(rng):
    a = rng.standard_normal((3, 4, 3)).astype(np.float32)
    b = rng.standard_normal((4, 3)).astype(np.float32)
    _check_vmap(lambda u, v: xnp.cross(u, v), lambda u, v: np.cross(u, v), [a, b],
                in_axes=(0, None))
    xq = rng.uniform(-1, 5, (3, 6)).astype(np.float32)
    fps = rng.standard_normal((3, 4)).astype(np.float32)
    _check_vmap(lambda q, f: xnp.interp(q, XP, f), lambda q, f: np.interp(q, XP, f), [xq, fps])
    p = rng.standard_normal((3, 4)).astype(np.float32)
    _check_vmap(lambda c, q: xnp.polyval(c, q), lambda c, q: np.polyval(c, q), [p, xq])
    _check_vmap(lambda q: xnp.unwrap(q * 4), lambda q: np.unwrap(q * 4), [xq])
    ia = np.int32([[12, 9, 0], [7, 100, 5]])
    _check_vmap(lambda u: xnp.gcd(u, 6), lambda u: np.gcd(u, 6), [ia])
    c = rng.standard_normal((3, 3)).astype(np.float32)
    _check_vmap(lambda u, v: xnp.einsum("ij,j->i", u, v), lambda u, v: np.einsum("ij,j->i", u, v),
                [a, c], in_axes=(0, 0))


def test_vectorize():
    rng = np.random.default_rng(3)
    y = rng.standard_normal((2, 3, 4)).astype(np.float32)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    add = xnp.vectorize(lambda a, b: a * b + 1)
    assert_close(add(x, x[0]), x * x[0] + 1)
    mv = xnp.vectorize(lambda m, v: m @ v, signature="(n,m),(m)->(n)")
    assert_close(mv(y, x[:1]), np.matmul(y, x[0]))
    assert_close(mv(y[:, None], x[1:3]), np.matmul(y[:, None], x[1:3, :, None])[..., 0])
    two = xnp.vectorize(lambda v: (v.sum(), v * 2), signature="(n)->(),(n)")
    s, d = two(y)
    assert_close(s, y.sum(-1), 1e-5, 1e-5)
    assert_close(d, y * 2)
    calls = []

    def power(a, p):
        calls.append(np.shape(a))
        return a ** p

    ex = xnp.vectorize(power, excluded={1})
    assert_close(ex(x, 2), x ** 2, 1e-5, 1e-5)
    assert calls == [()]  # pyfunc sees scalars: one traced call under vmap
    assert_close(xf.jit(xf.grad(lambda v: add(v, v).sum()))(x[0]), 2 * x[0])


def test_apply_along_axis_under_grad_and_jit(rng):
    x = rng.standard_normal((2, 3)).astype(np.float32)
    g = xf.jit(xf.grad(lambda v: xnp.apply_along_axis(lambda r: (r ** 2).sum(), 1, v).sum()))
    assert_close(g(x), 2 * x)


# ----------------------------------------------------------------------------------------------
# Traced (runtime) arguments under jit.


def test_traced_arguments_under_jit():
    x = X34
    assert_close(xf.jit(lambda s: xnp.roll(x, s, 1))(-3), np.roll(x, -3, 1))
    assert_close(xf.jit(lambda s: xnp.roll(x, s, (0, 1)))(xnp.array([1, 2])),
                 np.roll(x, (1, 2), (0, 1)))
    assert_close(xf.jit(lambda i: xnp.insert(x, i, 5.0, axis=1))(2), np.insert(x, 2, 5.0, axis=1))
    assert_close(xf.jit(lambda i, v: xnp.insert(x, i, v, axis=0))(-1, xnp.ones(4)),
                 np.insert(x, -1, np.ones(4), axis=0))
    f = xf.jit(lambda i: xnp.delete(x, i, 1, assume_unique_indices=True))
    assert_close(f(xnp.array([3, 0])), np.delete(x, [3, 0], 1))
    f = xf.jit(lambda i: xnp.delete(x, i, assume_unique_indices=True))
    assert_close(f(xnp.array([-1, 0, 5])), np.delete(x, [-1, 0, 5]))
    f = xf.jit(lambda r: xnp.repeat(x, r, axis=1, total_repeat_length=5))
    assert_close(f(xnp.array([0, 2, 0, 1])), np.repeat(x, [0, 2, 0, 1], axis=1)[:, [0, 1, 2, 2, 2]])
    assert_close(f(xnp.array([3, 3, 0, 1])), np.repeat(x, [3, 3, 0, 1], axis=1)[:, :5])
    assert_close(xf.jit(lambda c: xnp.pad(x, 1, constant_values=c))(2.5),
                 np.pad(x, 1, constant_values=2.5))
    assert_close(xf.jit(lambda p: xnp.interp(XQ, XP, FP, period=p))(3.5),
                 np.interp(XQ, XP, FP, period=3.5))


def test_host_constructors_and_predicates():
    assert_close(xnp.frombuffer(np.arange(4, dtype=np.int32).tobytes(), dtype=np.int32),
                 np.arange(4, dtype=np.int32))
    assert_close(xnp.fromstring("1 2 3", sep=" "), np.float32([1, 2, 3]))
    out = xnp.fromiter(iter(range(4)), float)
    assert out.dtype == np.float32
    assert_close(out, np.arange(4.0))
    assert xnp.array_repr(xnp.arange(3)) == "Array([0, 1, 2], dtype=int32)"
    assert xnp.array_str(xnp.arange(3.0)) == np.array_str(np.arange(3.0))
    assert xnp.iscomplexobj(np.ones(2, np.complex64)) and xnp.iscomplexobj([1j])
    assert not xnp.iscomplexobj(xnp.ones(2)) and xnp.isrealobj(1.0)
    assert xnp.isscalar(1.0) and xnp.isscalar(xnp.ones(())) and not xnp.isscalar([1])
    assert not xnp.isscalar(xnp.ones(2))
    assert xnp.iterable(xnp.ones(2)) and not xnp.iterable(xnp.ones(())) and xnp.iterable([1])
    assert_close(xnp.trim_zeros(np.int32([0, 0, 1, 0, 2, 0])), np.int32([1, 0, 2]))
    assert_close(xnp.trim_zeros(np.int32([0, 0, 1, 0, 2, 0]), "f"), np.int32([1, 0, 2, 0]))
    assert_close(xnp.trim_zeros(np.int32([0, 0])), np.zeros(0, np.int32))


def test_modf_keeps_sign_of_zero():
    frac, whole = xnp.modf(np.float32([-0.0, -2.0, 3.0]))
    assert np.signbit(np.asarray(frac)).tolist() == [True, True, False]
    assert_close(whole, np.float32([-0.0, -2.0, 3.0]))


# ----------------------------------------------------------------------------------------------
# Errors.


def _raises(exc, fragment, fn, *args, **kwargs):
    with pytest.raises(exc) as info:
        fn(*args, **kwargs)
    assert fragment in str(info.value), str(info.value)


def test_errors_manipulation():
    x = np.ones((2, 3), np.float32)
    _raises(ValueError, "mode 'bogus'", xnp.pad, x, 1, "bogus")
    _raises(ValueError, "negative", xnp.pad, x, -1)
    _raises(ValueError, "unsupported keyword", xnp.pad, x, 1, "edge", constant_values=3)
    _raises(ValueError, "(2, 2)", xnp.pad, x, ((1, 2, 3),))
    _raises(ValueError, "empty axis", xnp.pad, np.ones((0, 2)), 1, "reflect")
    _raises(ValueError, "negative", xnp.tile, x, -1)
    _raises(ValueError, "repeats of shape (2,)", xnp.repeat, x, np.array([1, 2]), axis=1)
    _raises(TypeError, "integers", xnp.repeat, x, 1.5)
    with pytest.raises(ConcretizationTypeError, match="total_repeat_length"):
        xf.jit(lambda r: xnp.repeat(x, r, axis=1))(xnp.array([1, 1, 1]))
    _raises(ValueError, "at least two dimensions", xnp.diagonal, np.ones(3))
    _raises(ValueError, "cannot be the same", xnp.diagonal, x, 0, 1, 1)
    _raises(NotImplementedError, "inplace=False", xnp.fill_diagonal, x, 1.0)
    _raises(ValueError, "equal length", xnp.fill_diagonal, np.ones((2, 3, 2)), 1.0,
            inplace=False)
    _raises(ValueError, "axes must be different", xnp.rot90, x, 1, (0, 0))
    _raises(IndexError, "out of bounds", xnp.delete, x, 7, axis=1)
    _raises(IndexError, "out of bounds", xnp.insert, x, 5, 1.0, axis=1)
    with pytest.raises(ConcretizationTypeError, match="assume_unique_indices"):
        xf.jit(lambda i: xnp.delete(x, i))(1)
    _raises(ValueError, "depths are mismatched", xnp.block, [[x], x])
    _raises(TypeError, "tuple", xnp.block, (x, x))
    _raises(ValueError, "order must be non-negative", xnp.diff, x, -1)
    _raises(ValueError, "loop dimensions", xnp.vectorize(lambda a, b: a @ b,
                                                         signature="(n),(n)->()"),
            np.ones((2, 3)), np.ones((4, 3)))
    _raises(ValueError, "inconsistent size for core dimension 'n'",
            xnp.vectorize(lambda a, b: a @ b, signature="(n),(n)->()"), np.ones(3), np.ones(4))
    _raises(ValueError, "not a valid gufunc signature", xnp.vectorize, len, signature="(n->")
    _raises(ValueError, "1 or 2 items", xnp.piecewise, np.ones(3), [np.ones(3, bool)],
            [1, 2, 3])
    _raises(ValueError, "indexing must be", xnp.meshgrid, np.ones(2), indexing="xx")
    with pytest.raises(ConcretizationTypeError):
        xf.jit(lambda v: xnp.trim_zeros(v))(np.ones(3))


def test_errors_einsum():
    a, b = np.ones((2, 3)), np.ones((4, 5))
    _raises(ValueError, "size of label 'j' does not match: 3 vs 4", xnp.einsum, "ij,jk", a, b)
    _raises(ValueError, "name 2 operand(s), but 1", xnp.einsum, "ij,jk", a)
    _raises(ValueError, "name 3 dimension(s), but the operand has shape (2, 3)", xnp.einsum,
            "ijk", a)
    _raises(ValueError, "output subscript 'z'", xnp.einsum, "ij->z", a)
    _raises(ValueError, "repeat a label", xnp.einsum, "ij->ii", a)
    _raises(ValueError, "invalid subscript term", xnp.einsum, "i1", a)
    _raises(ValueError, "leaves 2 operands", xnp.einsum, "ij,kl", a, b, optimize=[])
    _raises(ValueError, "optimize must be", xnp.einsum, "ij", a, optimize="fastest")
    _raises(ValueError, "at least one operand", xnp.einsum, "ij")


def test_errors_math():
    _raises(ValueError, "dimension must be 2 or 3", xnp.cross, np.ones(4), np.ones(3))
    _raises(ValueError, "at least (edge_order + 1) = 3", xnp.gradient, np.ones(2),
            edge_order=2)
    _raises(ValueError, "same non-zero length", xnp.interp, np.ones(2), np.ones(3), np.ones(2))
    _raises(ValueError, "'extrapolate'", xnp.interp, np.ones(2), XP, FP, left="bad")
    _raises(TypeError, "integer arguments", xnp.gcd, np.ones(2), np.ones(2))
    _raises(TypeError, "x2 must be an integer", xnp.ldexp, np.ones(2), np.ones(2))
    _raises(TypeError, "complex", xnp.frexp, np.ones(2, np.complex64))
    _raises(TypeError, "integer or boolean", xnp.packbits, np.ones(3, np.float32))
    _raises(TypeError, "uint8", xnp.unpackbits, np.ones(3, np.int32))
    _raises(ValueError, "bitorder", xnp.packbits, np.ones(3, np.int32), bitorder="middle")
    _raises(ValueError, "must be positive", xnp.polyder, np.ones(3), -1)
    _raises(ValueError, "1-D", xnp.polyval, np.ones((2, 2)), 1.0)
    _raises(ValueError, "length m=3", xnp.polyint, np.ones(3), 3, np.ones(2))


# ----------------------------------------------------------------------------------------------
# Generic ufuncs, files, print options.


def test_frompyfunc_ufunc(rng):
    u = xnp.frompyfunc(lambda a, b: a * b + 1, 2, 1)
    x = np.arange(1, 5.0, dtype=np.float32)
    assert_close(u(x, 2.0), x * 2 + 1)
    assert_close(u.reduce(x), np.float32(41))  # ((1*2+1)*3+1)*4+1: a left fold
    assert_close(u.accumulate(x), np.float32([1, 3, 10, 41]))
    assert_close(u.outer(np.arange(2.0), np.arange(3.0)), np.outer(np.arange(2), np.arange(3)) + 1)
    # Repeated indices apply in order: (0 * 1 + 1) * 2 + 1 = 3.
    assert_close(u.at(xnp.zeros(4), xnp.array([0, 0, 2]), xnp.array([1.0, 2, 3]), inplace=False),
                 np.float32([3, 0, 1, 0]))
    m = rng.standard_normal((3, 4)).astype(np.float32)
    add = xnp.frompyfunc(lambda a, b: a + b, 2, 1, identity=0)
    assert_close(xf.jit(lambda v: add.reduce(v, axis=1))(m), m.sum(1), 1e-5, 1e-5)
    assert_close(add.reduce(m, axis=None), m.sum(), 1e-5, 1e-5)
    assert_close(add.reduce(m, axis=0, keepdims=True, initial=1.0), m.sum(0, keepdims=True) + 1,
                 1e-5, 1e-5)
    assert_close(add.reduce(np.zeros((0, 3), np.float32)), np.zeros(3, np.float32))
    assert_close(add.accumulate(m, 1), np.cumsum(m, 1), 1e-5, 1e-5)
    v = np.arange(8.0, dtype=np.float32)
    assert_close(add.reduceat(v, [0, 4, 1, 5]), np.add.reduceat(v, [0, 4, 1, 5]))
    g = np.zeros((3, 2), np.float32)
    want = g.copy()
    np.add.at(want, [0, 2, 0], 1.5)
    assert_close(xf.jit(lambda w: add.at(w, xnp.array([0, 2, 0]), 1.5, inplace=False))(g), want)
    assert_close(xf.grad(lambda w: u.reduce(w))(x), np.float32([24, 12, 12, 10]))
    assert_close(xf.jit(xf.vmap(u.reduce))(m), np.stack([((r[0] * r[1] + 1) * r[2] + 1) * r[3] + 1
                                                          for r in m]), 1e-5, 1e-5)
    neg = xnp.frompyfunc(lambda a: -a, 1, 1)
    assert_close(neg.at(x, 1, inplace=False), np.float32([1, -2, 3, 4]))
    with pytest.raises(NotImplementedError, match="inplace=False"):
        u.at(x, 0, 1.0)
    with pytest.raises(ValueError, match="no identity"):
        u.reduce(np.zeros(0, np.float32))
    with pytest.raises(ValueError, match="binary ufuncs"):
        neg.reduce(x)


def test_files_and_print_options(tmp_path):
    x = xnp.arange(6.0).reshape(2, 3)
    path = str(tmp_path / "x.npy")
    xnp.save(path, x)
    y = xnp.load(path)
    assert isinstance(y, xf.Array) and y.dtype == np.float32
    assert_close(y, np.arange(6.0).reshape(2, 3))
    raw = str(tmp_path / "x.bin")
    np.arange(5, dtype=np.int32).tofile(raw)
    assert_close(xnp.fromfile(raw, dtype=np.int32), np.arange(5, dtype=np.int32))
    assert_close(xnp.from_dlpack(np.arange(3.0)), np.arange(3.0))
    with xnp.printoptions(precision=2):
        assert xnp.get_printoptions()["precision"] == 2
        assert str(xnp.array([1 / 3])) == "[0.33]"
    assert issubclass(xnp.ComplexWarning, Warning)
