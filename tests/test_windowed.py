"""Windowed reductions (pooling) and cumulative reductions: against the real jax (values and
derivatives), the generic reduce_window (pytrees, traced computations, forward mode, vmap),
numpy's cumulative functions, and errors.

Values, check_grads and vmap per configuration run from the op table (tests/op_db_windowed.py).
"""

from __future__ import annotations

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from tests import op_db  # noqa: F401  (loads the op table first: it imports the row modules)
from tests.op_db_windowed import window_ref
from xfront import lax

POOLS = [
    ((2, 6, 7, 3), dict(window_dimensions=(1, 3, 3, 1), window_strides=(1, 2, 2, 1),
                        padding="SAME")),
    # (jax fails to differentiate max pooling with negative padding; the op table checks ours
    # against finite differences)
    ((5, 6), dict(window_dimensions=(2, 3), window_strides=(1, 2), padding=((1, 0), (2, 1)),
                  base_dilation=(2, 1))),
    ((7,), dict(window_dimensions=(3,), window_strides=(2,), padding="SAME_LOWER")),
]


@pytest.mark.parametrize("kind", ["sum", "max", "min"])
@pytest.mark.parametrize("shape,kw", POOLS, ids=range(len(POOLS)))
def test_pooling_matches_jax(kind, shape, kw, rng, x64, jax_oracle):
    jax = jax_oracle
    jax.config.update("jax_enable_x64", True)
    op, init = {"sum": ("add", 0.0), "max": ("max", -np.inf), "min": ("min", np.inf)}[kind]
    ours = lambda x: lax.reduce_window(x, init, getattr(lax, op), **kw)  # noqa: E731
    theirs = lambda x: jax.lax.reduce_window(x, init, getattr(jax.lax, op), **kw)  # noqa: E731
    x = rng.normal(size=shape)
    np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-12)
    assert xf.make_ir(ours)(x).eqns[0].prim.name == f"reduce_window_{kind}"
    loss = lambda f: lambda x: (f(x) ** 3).sum()  # noqa: E731
    np.testing.assert_allclose(xf.jit(xf.grad(loss(ours)))(x),
                               jax.jit(jax.grad(loss(theirs)))(x), rtol=1e-10)
    hess_ours = xf.jit(xf.grad(lambda x: (xf.grad(loss(ours))(x) ** 2).sum()))(x)
    hess_theirs = jax.jit(jax.grad(lambda x: (jax.grad(loss(theirs))(x) ** 2).sum()))(x)
    np.testing.assert_allclose(hess_ours, hess_theirs, rtol=1e-10)


def test_cnn_block_gradients_match_jax(rng, jax_oracle):
    # conv -> relu -> max pool -> avg pool: one jitted gradient, against jax's.
    jax = jax_oracle
    x = rng.normal(size=(4, 8, 8, 1)).astype(np.float32)
    w = rng.normal(size=(3, 3, 1, 4)).astype(np.float32) * 0.3

    def loss(lax_, np_):
        def f(w):
            y = lax_.conv_general_dilated(x, w, (1, 1), "SAME",
                                          dimension_numbers=("NHWC", "HWIO", "NHWC"))
            y = np_.maximum(y, 0)
            y = lax_.reduce_window(y, np.float32(-np.inf), lax_.max, (1, 2, 2, 1),
                                   (1, 2, 2, 1), "VALID")
            y = lax_.reduce_window(y, np.float32(0), lax_.add, (1, 2, 2, 1), (1, 2, 2, 1),
                                   "VALID") / 4
            return (y ** 2).mean()

        return f

    g = xf.jit(xf.grad(loss(lax, xnp)))(w)
    np.testing.assert_allclose(g, jax.grad(loss(jax.lax, jax.numpy))(w), rtol=1e-4,
                               atol=1e-6)


def test_generic_reduce_window_pytree_and_forward_mode(rng, jax_oracle):
    jax = jax_oracle
    x = rng.normal(size=(5, 6)).astype(np.float32)
    idx = np.arange(30, dtype=np.float32).reshape(5, 6)

    def argmax_pool(lax_):
        def body(a, b):
            pick = a[0] >= b[0]
            return lax_.select(pick, a[0], b[0]), lax_.select(pick, a[1], b[1])

        return lambda x: lax_.reduce_window((x, idx), (np.float32(-np.inf), np.float32(-1)),
                                            body, (2, 3), (1, 2), "SAME")

    ours, theirs = argmax_pool(lax)(x), argmax_pool(jax.lax)(x)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a, b)
    assert xf.make_ir(argmax_pool(lax))(x).eqns[0].prim.name == "reduce_window"
    # Forward mode through a computation that is not a monoid primitive: x*y reductions.
    prod = lambda lax_: lambda x: lax_.reduce_window(x, np.float32(1), lax_.mul, (2, 2),  # noqa: E731
                                                     (1, 1), ((0, 1), (1, 0)))
    t = rng.normal(size=x.shape).astype(np.float32)
    p1, t1 = xf.jvp(prod(lax), (x,), (t,))
    p2, t2 = jax.jvp(prod(jax.lax), (x,), (t,))
    np.testing.assert_allclose(p1, p2, rtol=1e-6)
    np.testing.assert_allclose(t1, t2, rtol=1e-5, atol=1e-6)
    # jacfwd = one vmapped JVP (jax.jacfwd fails here; compare with its JVPs column by column)
    jac = xf.jacfwd(prod(lax))(x[:2, :3])
    for k in range(6):
        e = np.zeros(6, np.float32)
        e[k] = 1
        col = jax.jvp(prod(jax.lax), (x[:2, :3],), (e.reshape(2, 3),))[1]
        np.testing.assert_allclose(jac[..., k // 3, k % 3], col, rtol=1e-5, atol=1e-6)
    # vmap: the batch dimension is a window dimension of size 1
    xs = rng.normal(size=(3, 5, 6)).astype(np.float32)
    np.testing.assert_allclose(xf.vmap(prod(lax), in_axes=2)(np.moveaxis(xs, 0, 2)),
                               np.stack([prod(lax)(v) for v in xs]), rtol=1e-6)
    # Eager calls with the same computation reuse one traced graph (one executable).
    g1 = xf.make_ir(prod(lax))(x).eqns[0].params["computation"]
    g2 = xf.make_ir(prod(lax))(x).eqns[0].params["computation"]
    assert g1 is g2


def test_generic_reduce_window_errors():
    x = np.ones((4, 4), np.float32)
    prod = lambda x: lax.reduce_window(x, 1.0, lax.mul, (2, 2), (1, 1), "VALID")  # noqa: E731
    with pytest.raises(NotImplementedError, match="reverse-mode differentiation of "
                                                  "lax.reduce_window with a general"):
        xf.grad(lambda x: prod(x).sum())(x)
    with pytest.raises(NotImplementedError, match="batched init values"):
        xf.vmap(lambda x, i: lax.reduce_window(x, i, lax.mul, (2, 2), (1, 1), "VALID"))(
            np.ones((2, 4, 4), np.float32), np.ones(2, np.float32))
    with pytest.raises(ValueError, match="same tree structure"):
        lax.reduce_window((x, x), 0.0, lax.add, (2, 2), (1, 1), "VALID")
    with pytest.raises(TypeError, match="must return the operands' structure"):
        lax.reduce_window((x, x), (0.0, 0.0), lambda a, b: a[0], (2, 2), (1, 1), "VALID")
    with pytest.raises(TypeError, match=r"window_dimensions \(2,\) must have one entry per "
                                        r"operand dimension"):
        lax.reduce_window(x, 0.0, lax.add, (2,), (1,), "VALID")
    with pytest.raises(TypeError, match="window_strides .* must have as many entries"):
        lax.reduce_window(x, 0.0, lax.add, (2, 2), (1,), "VALID")
    with pytest.raises(ValueError, match="window_dimensions must be positive"):
        lax.reduce_window(x, 0.0, lax.add, (0, 2), (1, 1), "VALID")
    with pytest.raises(ValueError, match="negative padding"):
        lax.reduce_window(x, 0.0, lax.add, (1, 1), (1, 1), ((-3, -2), (0, 0)))
    with pytest.raises(TypeError, match="init values must be scalars"):
        lax.reduce_window(x, np.zeros(2, np.float32), lax.add, (2, 2), (1, 1), "VALID")
    with pytest.raises(TypeError, match="closes over a traced value"):
        xf.jit(lambda x, s: lax.reduce_window(x, 0.0, lambda a, b: a + b * s, (2, 2), (1, 1),
                                              "VALID"))(x, np.float32(2))
    with pytest.raises(TypeError, match=r"operand dtypes \['int32'\] and init value dtypes"):
        lax.reduce_window(x.astype(np.int32), -np.inf, lax.max, (2, 2), (1, 1), "VALID")
    with pytest.raises(TypeError, match="does not accept dtype complex64"):
        lax.reduce_window(x.astype(np.complex64), -np.inf, lax.max, (2, 2), (1, 1), "VALID")


def test_max_pool_window_dilation_gradient_is_a_clear_error():
    x = np.arange(16.0, dtype=np.float32).reshape(4, 4)
    f = lambda x: lax.reduce_window(x, -np.inf, lax.max, (2, 2), (1, 1), "VALID",  # noqa: E731
                                    window_dilation=(2, 1)).sum()
    with pytest.raises(NotImplementedError, match="window_dilation"):
        xf.grad(f)(x)
    # forward mode works
    _, t = xf.jvp(f, (x,), (np.ones_like(x),))
    assert float(t) == 6.0  # six windows, one selected element each


# ----------------------------------------------------------------------------------------------
# Cumulative reductions.


@pytest.mark.parametrize("name", ["cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"])
def test_cumulative_matches_jax(name, rng, jax_oracle):
    jax = jax_oracle
    x = rng.uniform(0.5, 1.5, size=(3, 7)).astype(np.float32)
    for axis, reverse in ((1, False), (0, True), (-1, True)):
        ours = lambda x, a=axis, r=reverse: getattr(lax, name)(x, a, r)  # noqa: E731
        theirs = lambda x, a=axis % 2, r=reverse: getattr(jax.lax, name)(x, a, r)  # noqa: E731
        np.testing.assert_allclose(ours(x), theirs(x), rtol=1e-5)
        loss = lambda f: lambda x: (f(x) * np.arange(7, dtype=np.float32)).sum()  # noqa: E731
        np.testing.assert_allclose(xf.jit(xf.grad(loss(ours)))(x),
                                   jax.jit(jax.grad(loss(theirs)))(x), rtol=1e-4, atol=1e-5)


def test_cumulative_edge_cases():
    for n in (0, 1):
        x = np.ones((2, n), np.float32)
        for name in ("cumsum", "cumprod", "cummax", "cummin", "cumlogsumexp"):
            assert np.asarray(getattr(lax, name)(x, 1)).shape == (2, n)
    ir = xf.make_ir(lambda x: lax.cumsum(x, 0, reverse=True))(np.ones(4, np.float32))
    assert [e.prim.name for e in ir.eqns] == ["cumsum"]
    assert ir.eqns[0].params == {"axis": 0, "reverse": True}
    assert "stablehlo.reduce_window" in xf.jit(lambda x: lax.cummax(x, 0)).lower(
        np.ones(4, np.float32)).as_text()
    # cumsum's transpose is the reverse cumsum
    t = xf.linear_transpose(lambda x: lax.cumsum(x, 0), np.ones(4, np.float32))
    np.testing.assert_array_equal(t(np.arange(4.0, dtype=np.float32))[0], [6, 6, 5, 3])
    # cumlogsumexp is stable and handles -inf
    big = np.array([1000.0, 1000.0, -np.inf], np.float32)
    np.testing.assert_allclose(lax.cumlogsumexp(big), [1000, 1000 + np.log(2), 1000 + np.log(2)],
                               rtol=1e-6)
    np.testing.assert_array_equal(lax.cumlogsumexp(np.array([-np.inf] * 2, np.float32)),
                                  [-np.inf, -np.inf])
    # NaN propagates through cummax as in NumPy
    np.testing.assert_array_equal(lax.cummax(np.array([1.0, np.nan, 3.0], np.float32)),
                                  np.maximum.accumulate([1.0, np.nan, 3.0]))


def test_large_cumsum_is_fast_and_accurate(rng):
    x = rng.normal(size=100_000).astype(np.float32)
    got = xf.jit(lambda x: lax.cumsum(x))(x)
    np.testing.assert_allclose(got, np.cumsum(x.astype(np.float64)), rtol=1e-3, atol=2e-2)


@pytest.mark.parametrize("call,exc,match", [
    (lambda: lax.cumsum(np.ones(3, bool)), TypeError, "cumsum does not accept dtype bool"),
    (lambda: lax.cummax(np.ones(3, np.complex64)), TypeError,
     "cummax does not accept dtype complex64"),
    (lambda: lax.cumlogsumexp(np.ones(3, np.int32)), TypeError,
     "cumlogsumexp does not accept dtype int32"),
    (lambda: lax.cumsum(np.ones((2, 3)), 2), ValueError, "axis 2 is out of bounds"),
    (lambda: lax.cumprod(np.float32(1)), ValueError, "out of bounds for an array of rank 0"),
], ids=range(5))
def test_cumulative_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ----------------------------------------------------------------------------------------------
# numpy cumulative functions.


def test_numpy_cumsum_dtypes_and_axes():
    x = np.arange(-3, 9, dtype=np.int8).reshape(3, 4)
    out = xnp.cumsum(x)
    assert out.shape == (12,) and out.dtype == np.int8  # JAX keeps integer dtypes
    np.testing.assert_array_equal(out, np.cumsum(x).astype(np.int8))
    np.testing.assert_array_equal(xnp.cumsum(x, axis=-1), np.cumsum(x, axis=-1))
    b = x > 0
    assert xnp.cumsum(b).dtype == np.int32  # bools accumulate as the default int
    np.testing.assert_array_equal(xnp.cumsum(b, axis=0), np.cumsum(b, axis=0))
    np.testing.assert_array_equal(xnp.cumsum(x, axis=1, dtype=np.float32),
                                  np.cumsum(x, axis=1, dtype=np.float32))
    # dtype=bool accumulates the truth values ([-1, 1] must not cancel)
    v = np.array([-1, 1, 0], np.int32)
    np.testing.assert_array_equal(xnp.cumsum(v, dtype=bool), [True, True, True])
    np.testing.assert_array_equal(xnp.cumprod(v, dtype=bool), [True, True, False])
    np.testing.assert_array_equal(xnp.cumprod(np.float32(3)), [3.0])  # scalars become 1-D
    np.testing.assert_array_equal(xnp.cumprod(x, axis=0), np.cumprod(x, axis=0).astype(np.int8))
    with pytest.raises(TypeError, match="'out' argument is not supported"):
        xnp.cumsum(x, out=np.zeros(12))
    with pytest.raises(ValueError, match="axis 2 is out of bounds"):
        xnp.cumsum(x, axis=2)


def test_numpy_cumulative_sum_prod_and_nan_variants():
    x = np.arange(1, 7, dtype=np.int8).reshape(2, 3)
    out = xnp.cumulative_sum(x, axis=1, include_initial=True)
    assert out.dtype == np.int32  # the array API promotes narrow integers
    np.testing.assert_array_equal(out, np.cumulative_sum(x, axis=1, include_initial=True))
    np.testing.assert_array_equal(xnp.cumulative_prod(np.arange(1.0, 5.0)),
                                  np.cumulative_prod(np.arange(1.0, 5.0)))
    np.testing.assert_array_equal(
        xnp.cumulative_prod(x, axis=0, include_initial=True),
        np.cumulative_prod(x, axis=0, include_initial=True).astype(np.int8))
    with pytest.raises(ValueError, match="axis must be given for an input of rank 2"):
        xnp.cumulative_sum(x)
    with pytest.raises(ValueError, match="must not be a scalar"):
        xnp.cumulative_prod(np.float32(2))
    y = np.array([[1.0, np.nan, 2.0], [np.nan, 3.0, 4.0]], np.float32)
    np.testing.assert_array_equal(xnp.nancumsum(y), np.nancumsum(y))
    np.testing.assert_array_equal(xnp.nancumprod(y, axis=1), np.nancumprod(y, axis=1))
    # jit / grad / vmap of the composites
    f = lambda y: xnp.nancumsum(y, axis=1).sum()  # noqa: E731
    np.testing.assert_array_equal(xf.jit(xf.grad(f))(y), [[3, 0, 1], [0, 2, 1]])
    np.testing.assert_allclose(xf.vmap(xnp.cumsum)(np.ones((3, 4), np.float32)),
                               np.tile(np.arange(1.0, 5.0), (3, 1)))


def test_window_ref_is_a_real_reference():
    # The op-table reference itself, on a case computed by hand.
    x = np.arange(12.0).reshape(3, 4)
    got = window_ref(np.max, -np.inf, (2, 2), (1, 2), ((0, 1), (0, 0)))(x)
    np.testing.assert_array_equal(got, [[5, 7], [9, 11], [9, 11]])
