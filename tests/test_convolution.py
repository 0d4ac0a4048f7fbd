"""Convolutions: conv_general_dilated against the real jax (values and derivatives across
configurations), the helper API (dimension numbers, padding, shape tuples, conv_transpose,
patches, local), numpy convolve/correlate, composition with jit/grad/vmap, and errors.

Values, check_grads and vmap per configuration run from the op table (tests/op_db_convolution.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from tests import op_db  # noqa: F401  (loads the op table first: it imports the row modules)
from tests.op_db_convolution import conv_ref
from xfront import lax

# (lhs shape, rhs shape, kwargs): a spread of layouts, strides, dilations, paddings and groups.
CONFIGS = [
    ((2, 3, 6, 5), (4, 3, 3, 2), dict(window_strides=(1, 1), padding="SAME")),
    ((2, 6, 5, 3), (2, 3, 3, 4), dict(window_strides=(2, 1), padding="VALID",
                                      dimension_numbers=("NHWC", "HWIO", "NHWC"))),
    ((2, 3, 9), (4, 3, 3), dict(window_strides=(2,), padding=((2, -1),), lhs_dilation=(3,),
                                rhs_dilation=(2,))),
    ((1, 4, 4, 5, 2), (2, 2, 2, 2, 3), dict(window_strides=(1, 2, 1), padding="SAME_LOWER",
                                            dimension_numbers=("NDHWC", "DHWIO", "NCDHW"))),
    ((2, 6, 5, 5), (9, 2, 3, 3), dict(window_strides=(2, 2), padding=((1, 2), (0, 1)),
                                      feature_group_count=3, rhs_dilation=(2, 1))),
    ((6, 2, 5, 4), (4, 2, 2, 3), dict(window_strides=(1, 1), padding=((0, 1), (1, 1)),
                                      batch_group_count=2, lhs_dilation=(1, 2))),
]


@pytest.mark.parametrize("lshape,rshape,kw", CONFIGS, ids=range(len(CONFIGS)))
def test_matches_jax_values_and_grads(lshape, rshape, kw, rng, x64, jax_oracle):
    jax = jax_oracle
    jax.config.update("jax_enable_x64", True)
    x = rng.normal(size=lshape)
    w = rng.normal(size=rshape)
    ours = lambda x, w: lax.conv_general_dilated(x, w, **kw)  # noqa: E731
    theirs = lambda x, w: jax.lax.conv_general_dilated(x, w, **kw)  # noqa: E731
    np.testing.assert_allclose(ours(x, w), theirs(x, w), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(xf.jit(ours)(x, w), theirs(x, w), rtol=1e-10, atol=1e-10)
    # First and second reverse-mode derivatives with respect to both operands.
    loss = lambda f: lambda x, w: (f(x, w) ** 2).sum()  # noqa: E731
    g_ours = xf.jit(xf.grad(loss(ours), argnums=(0, 1)))(x, w)
    g_theirs = jax.jit(jax.grad(loss(theirs), argnums=(0, 1)))(x, w)
    for a, b in zip(g_ours, g_theirs):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)

    def second(grad, f):
        return lambda x, w: sum((g ** 3).sum() for g in grad(loss(f), argnums=(0, 1))(x, w))

    h_ours = xf.jit(xf.grad(second(xf.grad, ours), argnums=(0, 1)))(x, w)
    h_theirs = jax.jit(jax.grad(second(jax.grad, theirs), argnums=(0, 1)))(x, w)
    for a, b in zip(h_ours, h_theirs):
        np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-8)


def test_vmap_of_per_example_kernel_gradients(rng):
    # Per-example gradients of a grouped convolution: vmap over grad (both operands batched
    # inside the transpose rules).
    x = rng.normal(size=(4, 2, 6, 7, 4)).astype(np.float32)
    w = rng.normal(size=(3, 3, 2, 6)).astype(np.float32)
    dn = ("NHWC", "HWIO", "NHWC")

    def loss(w, x):
        y = lax.conv_general_dilated(x, w, (2, 1), "SAME", dimension_numbers=dn,
                                     feature_group_count=2)
        return (xnp.tanh(y) ** 2).sum()

    batched = xf.vmap(xf.grad(loss), in_axes=(None, 0))(w, x)
    for i in range(4):
        np.testing.assert_allclose(batched[i], xf.grad(loss)(w, x[i]), rtol=2e-5, atol=2e-5)
    jitted = xf.jit(xf.vmap(xf.grad(loss), in_axes=(None, 0)))(w, x)
    np.testing.assert_allclose(jitted, batched, rtol=2e-5, atol=2e-5)


def test_jit_emits_one_convolution(rng):
    x = rng.normal(size=(1, 2, 5, 5)).astype(np.float32)
    w = rng.normal(size=(3, 2, 3, 3)).astype(np.float32)
    f = lambda x, w: lax.conv(x, w, (1, 1), "SAME")  # noqa: E731
    ir = xf.make_ir(f)(x, w)
    assert [e.prim.name for e in ir.eqns] == ["conv_general_dilated"]
    text = xf.jit(f).lower(x, w).as_text()
    assert text.count("stablehlo.convolution") == 1
    # complex convolutions become four real ones
    xc, wc = x.astype(np.complex64), w.astype(np.complex64)
    assert xf.jit(f).lower(xc, wc).as_text().count("stablehlo.convolution") == 4


# ----------------------------------------------------------------------------------------------
# Helper API.


def test_padtype_to_pads():
    assert lax.padtype_to_pads((5, 6), (3, 2), (1, 1), "VALID") == [(0, 0), (0, 0)]
    assert lax.padtype_to_pads((5, 6), (3, 2), (1, 1), "SAME") == [(1, 1), (0, 1)]
    assert lax.padtype_to_pads((5, 6), (3, 2), (1, 1), "SAME_LOWER") == [(1, 1), (1, 0)]
    assert lax.padtype_to_pads((7,), (4,), (3,), "SAME") == [(1, 2)]
    assert lax.padtype_to_pads((7,), (2,), (3,), "same") == [(0, 1)]
    with pytest.raises(ValueError, match="unknown padding type 'FULL'"):
        lax.padtype_to_pads((7,), (2,), (3,), "FULL")


def test_dimension_numbers_and_shape_tuples():
    dn = lax.conv_dimension_numbers((2, 5, 6, 3), (3, 2, 3, 4), ("NHWC", "HWIO", "NHWC"))
    assert dn == lax.ConvDimensionNumbers((0, 3, 1, 2), (3, 2, 0, 1), (0, 3, 1, 2))
    assert isinstance(dn, lax.ConvDimensionNumbers)
    assert lax.conv_general_permutations(("NCHW", "OIWH", "NHWC")) == (
        (0, 1, 3, 2), (0, 1, 2, 3), (0, 3, 2, 1))
    assert lax.conv_dimension_numbers((1, 2, 3), (1, 2, 3), None) == ((0, 1, 2),) * 3
    assert lax.conv_shape_tuple((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), "VALID") == (2, 4, 3, 5)
    assert lax.conv_shape_tuple((2, 3, 7, 6), (4, 3, 3, 2), (2, 1), "SAME") == (2, 4, 4, 6)
    assert lax.conv_shape_tuple((4, 3, 7), (4, 3, 3), (1,), [(1, 1)], 2) == (2, 4, 7)
    assert lax.conv_general_shape_tuple((2, 7, 6, 3), (3, 2, 3, 4), (2, 1), "VALID",
                                        ("NHWC", "HWIO", "NHWC")) == (2, 3, 5, 4)
    assert lax.conv_transpose_shape_tuple((2, 3, 3, 2), (3, 2, 2, 4), (2, 2), "SAME",
                                          ("NHWC", "HWIO", "NHWC")) == (2, 6, 6, 4)
    assert lax.ConvGeneralDilatedDimensionNumbers is not None


@pytest.mark.parametrize("padding,kw", [
    ("SAME", {}), ("VALID", {}), (((1, 2), (0, 1)), {}),
    ("SAME", dict(transpose_kernel=True)), (((1, 1), (0, 2)), dict(use_consistent_padding=True)),
    ("VALID", dict(rhs_dilation=(1, 2))),
], ids=range(6))
def test_conv_transpose_matches_jax(padding, kw, rng, jax_oracle):
    x = rng.normal(size=(2, 4, 3, 3)).astype(np.float32)
    w = rng.normal(size=(3, 2, 3, 5)).astype(np.float32)
    if kw.get("transpose_kernel"):
        w = rng.normal(size=(3, 2, 5, 3)).astype(np.float32)
    ours = lax.conv_transpose(x, w, (2, 3), padding, **kw)
    theirs = jax_oracle.lax.conv_transpose(x, w, (2, 3), padding, **kw)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=1e-5, atol=1e-5)


def test_conv_transpose_is_the_gradient_of_conv(rng):
    # With consistent padding, conv_transpose (kernel transposed) is conv's input gradient.
    x = rng.normal(size=(1, 7, 7, 2)).astype(np.float32)
    w = rng.normal(size=(3, 3, 2, 4)).astype(np.float32)
    dn = ("NHWC", "HWIO", "NHWC")
    y, vjp = xf.vjp(lambda x: lax.conv_general_dilated(x, w, (2, 2), ((1, 1), (1, 1)),
                                                       dimension_numbers=dn), x)
    ct = rng.normal(size=y.shape).astype(np.float32)
    (gx,) = vjp(ct)
    tx = lax.conv_transpose(ct, w, (2, 2), ((1, 1), (1, 1)), dimension_numbers=dn,
                            transpose_kernel=True, use_consistent_padding=True)
    np.testing.assert_allclose(tx, gx, rtol=1e-5, atol=1e-5)


def test_conv_and_conv_with_general_padding(rng):
    x = rng.normal(size=(2, 3, 6, 5)).astype(np.float32)
    w = rng.normal(size=(4, 3, 2, 3)).astype(np.float32)
    np.testing.assert_allclose(lax.conv(x, w, (1, 2), "VALID"),
                               conv_ref(x, w, (1, 2), [(0, 0), (0, 0)]), rtol=1e-5, atol=1e-5)
    got = lax.conv_with_general_padding(x, w, (2, 1), ((1, 0), (2, 2)), (1, 2), (2, 1))
    want = conv_ref(x, w, (2, 1), [(1, 0), (2, 2)], (1, 2), (2, 1))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("dn", [None, ("NHWC", "HWIO", "NHWC"), ("NCHW", "OIWH", "CWNH")],
                         ids=str)
def test_patches_and_local_match_jax(dn, rng, jax_oracle):
    jax = jax_oracle
    shape = (2, 3, 5, 6) if dn is None or dn[0] == "NCHW" else (2, 5, 6, 3)
    x = rng.normal(size=shape).astype(np.float32)
    kw = dict(window_strides=(1, 2), padding="SAME", rhs_dilation=(2, 1),
              dimension_numbers=dn)
    ours = lax.conv_general_dilated_patches(x, (2, 3), **kw)
    theirs = jax.lax.conv_general_dilated_patches(x, (2, 3), **kw)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-6)
    # Unshared kernel: rhs laid out as dimension_numbers[1], spatial dims = output positions.
    rhs_spec = lax.conv_dimension_numbers(shape, (1, 1, 2, 3), dn).rhs_spec
    out_space = [ours.shape[d] for d in
                 lax.conv_dimension_numbers(shape, (1, 1, 2, 3), dn).out_spec[2:]]
    canon = (4, 3 * 6, *out_space)
    w_shape = [0] * 4
    for k, d in enumerate(rhs_spec):
        w_shape[d] = canon[k]
    w = rng.normal(size=w_shape).astype(np.float32)
    kw.pop("rhs_dilation")
    local = lax.conv_general_dilated_local(x, w, filter_shape=(2, 3), rhs_dilation=(2, 1), **kw)
    want = jax.lax.conv_general_dilated_local(x, w, filter_shape=(2, 3), rhs_dilation=(2, 1),
                                              **kw)
    np.testing.assert_allclose(local, want, rtol=1e-4, atol=1e-4)


# ----------------------------------------------------------------------------------------------
# numpy convolve / correlate.


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
def test_numpy_convolve_correlate_all_lengths(mode, rng):
    for na, nv in [(5, 3), (3, 5), (4, 4), (6, 1), (1, 6), (4, 7)]:
        a = rng.normal(size=na) + 1j * rng.normal(size=na)
        v = rng.normal(size=nv) + 1j * rng.normal(size=nv)
        a, v = a.astype(np.complex64), v.astype(np.complex64)
        np.testing.assert_allclose(xnp.convolve(a, v, mode), np.convolve(a, v, mode),
                                   rtol=1e-5, atol=1e-5)
        np.testing.assert_allclose(xnp.correlate(a, v, mode), np.correlate(a, v, mode),
                                   rtol=1e-5, atol=1e-5)
        ar, vr = a.real.copy(), v.real.copy()
        np.testing.assert_allclose(xnp.correlate(ar, vr, mode), np.correlate(ar, vr, mode),
                                   rtol=1e-5, atol=1e-5)


def test_numpy_convolve_dtypes_and_transforms(rng):
    out = xnp.convolve(np.arange(4), np.array([1, 2]))
    assert out.dtype == np.float32  # promoted to inexact, as JAX
    np.testing.assert_array_equal(out, [0, 1, 4, 7, 6])
    out = xnp.convolve(np.arange(4, dtype=np.int32), np.array([1, 2], np.int32),
                       preferred_element_type=np.int32)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [0, 1, 4, 7, 6])
    a = rng.normal(size=(3, 8)).astype(np.float32)
    v = rng.normal(size=3).astype(np.float32)
    got = xf.vmap(lambda a: xnp.convolve(a, v, "same"))(a)
    np.testing.assert_allclose(got, [np.convolve(r, v, "same") for r in a], rtol=1e-5,
                               atol=1e-5)
    # d/dv sum(convolve(a, v)) = sum(a) for every v entry
    g = xf.grad(lambda v: xnp.convolve(a[0], v).sum())(v)
    np.testing.assert_allclose(g, np.full(3, a[0].sum()), rtol=1e-5)


def test_numpy_convolve_errors():
    with pytest.raises(ValueError, match="only supports 1-dimensional"):
        xnp.convolve(np.ones((2, 2)), np.ones(2))
    with pytest.raises(ValueError, match="cannot be empty"):
        xnp.correlate(np.ones(3), np.ones(0))
    with pytest.raises(ValueError, match="mode must be"):
        xnp.convolve(np.ones(3), np.ones(2), mode="circular")


# ----------------------------------------------------------------------------------------------
# Errors (issue item 9): each names the operation, the argument and the shapes.

_X = np.ones((2, 3, 5, 5), np.float32)
_W = np.ones((4, 3, 3, 3), np.float32)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME",
                                      dimension_numbers=("NXHW", "OIHW", "NCHW")),
     TypeError, r"dimension_numbers\[0\] must contain the characters 'N' and 'C'"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME",
                                      dimension_numbers=("NCHH", "OIHW", "NCHW")),
     TypeError, "exactly once|repeated character|same spatial"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME",
                                      dimension_numbers=("NCHW", "OIHD", "NCHW")),
     TypeError, "same spatial dimensions"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME",
                                      dimension_numbers=("NCH", "OIH", "NCH")),
     TypeError, r"one character per dimension"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME", dimension_numbers="NCHW"),
     TypeError, "must be None, a ConvDimensionNumbers or three strings"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME",
                                      dimension_numbers=lax.ConvDimensionNumbers(
                                          (0, 1, 2, 2), (0, 1, 2, 3), (0, 1, 2, 3))),
     ValueError, r"lhs_spec = \(0, 1, 2, 2\) must be a permutation"),
    (lambda: lax.conv_general_dilated(_X, np.ones((4, 3, 3), np.float32), (1, 1), "SAME"),
     TypeError, r"same rank.*\(2, 3, 5, 5\).*\(4, 3, 3\)"),
    (lambda: lax.conv_general_dilated(_X, np.ones((4, 2, 3, 3), np.float32), (1, 1), "SAME"),
     ValueError, r"lhs feature dimension size 3 .* rhs input feature dimension size 2"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME", feature_group_count=2),
     ValueError, "feature_group_count 2 must divide the lhs feature dimension size 3"),
    (lambda: lax.conv_general_dilated(_X, np.ones((5, 1, 3, 3), np.float32), (1, 1), "SAME",
                                      feature_group_count=3),
     ValueError, "rhs output feature dimension size 5 must be a multiple"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME", batch_group_count=3),
     ValueError, "batch_group_count 3 must divide the lhs batch dimension size 2"),
    (lambda: lax.conv_general_dilated(np.ones((2, 4, 5, 5)), np.ones((4, 2, 3, 3)), (1, 1),
                                      "SAME", feature_group_count=2, batch_group_count=2),
     ValueError, "at most one of feature_group_count"),
    (lambda: lax.conv_general_dilated(_X, _W, (1,), "SAME"),
     TypeError, r"window_strides \(1,\) must have one entry per spatial dimension \(2\)"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 0), "VALID"),
     ValueError, "window_strides must be positive"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "SAME", lhs_dilation=(2, 2)),
     ValueError, "string padding 'SAME' is not supported together with lhs_dilation"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), "FULL"),
     ValueError, "unknown padding type 'FULL'"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), ((0, 0),)),
     TypeError, "one .low, high. pair per spatial dimension"),
    (lambda: lax.conv_general_dilated(_X, _W, (1, 1), ((-6, 0), (0, 0))),
     ValueError, "negative padding"),
    (lambda: lax.conv_general_dilated(_X, _W.astype(np.int32), (1, 1), "SAME"),
     TypeError, "requires lhs and rhs of one dtype"),
    (lambda: lax.conv_general_dilated(_X > 0, _W > 0, (1, 1), "SAME"),
     TypeError, "does not accept dtype bool"),
], ids=range(20))
def test_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
