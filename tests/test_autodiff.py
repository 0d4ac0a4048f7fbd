"""The differentiation API: jvp, linearize, vjp, grad, value_and_grad, Jacobians, Hessians,
linear_transpose, composition with jit, symbolic zeros, custom rules, checkpoint, errors."""

from __future__ import annotations

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront import lax
from xfront.test_util import check_grads


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


def mlp_loss(params, x, y):
    h = xnp.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    logp = logits - xnp.log(xnp.exp(logits).sum(axis=1, keepdims=True))
    return -(logp * y).sum() / x.shape[0]


def _mlp_setup(rng):
    params = {"w1": rng.normal(size=(4, 5)).astype(np.float32) * 0.5,
              "b1": rng.normal(size=(5,)).astype(np.float32) * 0.1,
              "w2": rng.normal(size=(5, 3)).astype(np.float32) * 0.5,
              "b2": np.zeros(3, np.float32)}
    x = rng.normal(size=(6, 4)).astype(np.float32)
    y = np.eye(3, dtype=np.float32)[rng.integers(0, 3, size=6)]
    return params, x, y


def _np_mlp_grad(params, x, y):
    h = np.tanh(x @ params["w1"] + params["b1"])
    logits = h @ params["w2"] + params["b2"]
    p = np.exp(logits - logits.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    dlogits = (p - y) / x.shape[0]
    dh = dlogits @ params["w2"].T * (1 - h ** 2)
    return {"w1": x.T @ dh, "b1": dh.sum(0), "w2": h.T @ dlogits, "b2": dlogits.sum(0)}


# ----------------------------------------------------------------------------------------------
# Values against closed forms.


def test_grad_of_pytree_params_matches_closed_form(rng):
    params, x, y = _mlp_setup(rng)
    xparams = xf.tree_util.tree_map(xnp.asarray, params)
    g = xf.grad(mlp_loss)(xparams, x, y)
    want = _np_mlp_grad(params, x, y)
    for k in want:
        _close(g[k], want[k], 1e-5)
    gj = xf.jit(xf.grad(mlp_loss))(xparams, x, y)
    for k in want:
        _close(gj[k], want[k], 1e-5)


def test_jvp_and_linearize():
    f = lambda x, y: xnp.sin(x) * y  # noqa: E731
    x, y = xnp.asarray([0.3, 1.2]), xnp.asarray([2.0, -1.0])
    out, tan = xf.jvp(f, (x, y), (xnp.ones(2), xnp.zeros(2)))
    _close(out, np.sin([0.3, 1.2]) * np.array([2.0, -1.0]))
    _close(tan, np.cos([0.3, 1.2]) * np.array([2.0, -1.0]))
    out2, f_jvp = xf.linearize(f, x, y)
    _close(out2, out)
    _close(f_jvp(xnp.ones(2), xnp.zeros(2)), tan)
    _close(f_jvp(xnp.zeros(2), xnp.ones(2)), np.sin([0.3, 1.2]))


def test_vjp_has_aux_and_value_and_grad():
    def f(x):
        return (x ** 2).sum(), {"norm": xnp.sqrt((x ** 2).sum())}

    x = xnp.asarray([3.0, 4.0])
    out, vjp_fun, aux = xf.vjp(f, x, has_aux=True)
    assert float(out) == 25.0 and float(aux["norm"]) == 5.0
    (g,) = vjp_fun(xnp.asarray(1.0))
    _close(g, [6.0, 8.0])
    (val, aux2), g2 = xf.value_and_grad(f, has_aux=True)(x)
    assert float(val) == 25.0 and float(aux2["norm"]) == 5.0
    _close(g2, [6.0, 8.0])


def test_argnums_tuple_and_negative():
    f = lambda a, b, c: (a * b * c).sum()  # noqa: E731
    a, b, c = xnp.asarray(2.0), xnp.asarray(3.0), xnp.asarray(5.0)
    ga, gc = xf.grad(f, argnums=(0, 2))(a, b, c)
    assert float(ga) == 15.0 and float(gc) == 6.0
    assert float(xf.grad(f, argnums=-1)(a, b, c)) == 6.0


def test_higher_order_grads_closed_form():
    f = lambda x: x ** 4 + xnp.sin(x)  # noqa: E731
    x = 0.7
    d1 = xf.grad(f)
    d2 = xf.grad(d1)
    d3 = xf.grad(d2)
    _close(d1(x), 4 * x ** 3 + np.cos(x))
    _close(d2(x), 12 * x ** 2 - np.sin(x))
    _close(d3(x), 24 * x - np.cos(x))
    _close(xf.jit(d3)(x), 24 * x - np.cos(x))


def test_jacobians_and_hessian():
    def f(x):
        return xnp.stack([x[0] ** 2 * x[1], xnp.sin(x[1]) + x[2], x[0] * x[2]])

    x = np.array([0.5, 1.5, -2.0], np.float32)
    j_want = np.array([[2 * x[0] * x[1], x[0] ** 2, 0],
                       [0, np.cos(x[1]), 1],
                       [x[2], 0, x[0]]])
    _close(xf.jacfwd(f)(x), j_want)
    _close(xf.jacrev(f)(x), j_want)
    _close(xf.jacobian(f)(x), j_want)
    g = lambda x: x[0] ** 2 * x[1] + xnp.sin(x[1]) * x[2]  # noqa: E731
    h_want = np.array([[2 * x[1], 2 * x[0], 0],
                       [2 * x[0], -np.sin(x[1]) * x[2], np.cos(x[1])],
                       [0, np.cos(x[1]), 0]])
    _close(xf.hessian(g)(x), h_want)
    _close(xf.jacfwd(xf.jacrev(g))(x), h_want)
    _close(xf.jacrev(xf.jacfwd(g))(x), h_want)


def test_jacobian_shapes_for_matrix_inputs():
    f = lambda w: xnp.tanh(w @ xnp.ones(3))  # noqa: E731
    w = xnp.ones((2, 3)) * 0.1
    assert xf.jacfwd(f)(w).shape == (2, 2, 3)
    assert xf.jacrev(f)(w).shape == (2, 2, 3)
    _close(xf.jacfwd(f)(w), xf.jacrev(f)(w))


def test_linear_transpose():
    f = lambda x: (2 * x[:2] + x[1:], x.sum())  # noqa: E731
    t = xf.linear_transpose(f, xf.ShapeDtypeStruct((3,), np.float32))
    (ct,) = t((xnp.asarray([1.0, 10.0]), xnp.asarray(100.0)))
    # f(x) = A x with A = [[2,1,0],[0,2,1],[1,1,1]]; the transpose applies A^T.
    _close(ct, np.array([[2, 1, 0], [0, 2, 1], [1, 1, 1]]).T @ np.array([1, 10, 100.0]))


def test_holomorphic_grad():
    f = lambda z: z ** 2 + xnp.sin(z)  # noqa: E731
    z = np.complex64(1.0 + 0.5j)
    _close(xf.grad(f, holomorphic=True)(z), 2 * z + np.cos(z))


def test_allow_int_gives_float0():
    f = lambda x, n: x * n  # noqa: E731
    gx, gn = xf.grad(f, argnums=(0, 1), allow_int=True)(2.0, 3)
    assert float(gx) == 3.0
    assert np.asarray(gn).dtype == xf.float0 and np.asarray(gn).shape == ()
    out, tan = xf.jvp(f, (2.0, 3), (1.0, np.zeros((), xf.float0)))
    assert float(tan) == 3.0


# ----------------------------------------------------------------------------------------------
# Composition and clean programs.


def test_grad_of_jit_and_jit_of_grad_and_nesting():
    f = xf.jit(lambda x: xnp.sin(x) * x)
    x = 1.3
    want = np.cos(x) * x + np.sin(x)
    _close(xf.grad(f)(x), want)
    _close(xf.jit(xf.grad(f))(x), want)
    inner = xf.jit(lambda x: xnp.exp(x) * 2)
    outer = xf.jit(lambda x: xf.grad(lambda y: inner(y) * y)(x))
    _close(outer(0.5), 2 * np.exp(0.5) * 0.5 + 2 * np.exp(0.5))
    _close(xf.grad(xf.grad(f))(x), -np.sin(x) * x + 2 * np.cos(x))


def test_jit_of_grad_is_one_executable():
    f = xf.jit(xf.grad(lambda x: (xnp.tanh(x) ** 2).sum()))
    x = xnp.ones(4)
    f(x)
    assert f._cache_size() == 1
    text = f.lower(x).as_text()
    assert text.count("func.func public @main") == 1


def test_grad_ir_has_no_dead_equations_or_zero_multiplies():
    def f(x, unused):
        return (xnp.sin(x) * 3.0).sum()

    ir = xf.make_ir(xf.grad(f))(xnp.ones(3), xnp.ones(3))
    text = str(ir)
    assert " 0.0:" not in text, text  # no multiplications by zero from the unused input
    names = [e.prim.name for e in ir.eqns]
    assert "sin" not in names  # the primal output is not needed for the gradient
    assert names.count("cos") == 1


def test_stop_gradient_costs_nothing():
    def f(x):
        return (x * lax.stop_gradient(xnp.exp(x))).sum()

    x = xnp.asarray([0.1, 0.2])
    _close(xf.grad(f)(x), np.exp([0.1, 0.2]))
    ir = xf.make_ir(xf.grad(f))(x)
    assert "mul" in str(ir) and " 0.0:" not in str(ir)


def test_grad_of_grad_of_grad_through_jit():
    f = xf.jit(lambda x: x ** 5)
    _close(xf.grad(xf.grad(xf.grad(f)))(2.0), 60 * 4.0)


# ----------------------------------------------------------------------------------------------
# custom_jvp / custom_vjp / custom_gradient


def test_custom_jvp_defjvp_and_nesting():
    @xf.custom_jvp
    def log1pexp(x):
        return xnp.log(1.0 + xnp.exp(x))

    @log1pexp.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return log1pexp(x), t * (1 - 1 / (1 + xnp.exp(x)))

    x = 100.0  # the naive derivative is nan here
    assert float(xf.grad(log1pexp)(x)) == 1.0
    assert float(xf.jit(xf.grad(log1pexp))(x)) == 1.0
    x = 0.3
    s = 1 / (1 + np.exp(-x))
    _close(xf.grad(xf.grad(log1pexp))(x), s * (1 - s))
    _close(xf.grad(xf.jit(log1pexp))(x), s)


def test_custom_jvp_defjvps_and_nondiff_argnums():
    @xf.custom_jvp
    def f(x, y):
        return x * y

    f.defjvps(lambda t, ans, x, y: t * y * 10, lambda t, ans, x, y: t * x)
    assert float(xf.grad(f)(2.0, 3.0)) == 30.0
    assert float(xf.grad(f, 1)(2.0, 3.0)) == 2.0

    from functools import partial

    @partial(xf.custom_jvp, nondiff_argnums=(0,))
    def app(fn, x):
        return fn(x)

    @app.defjvp
    def _(fn, primals, tangents):
        (x,), (t,) = primals, tangents
        return app(fn, x), 7.0 * t

    assert float(xf.grad(lambda x: app(xnp.sin, x))(1.0)) == 7.0


def _scaled_sin_with_nested_rule(cj, np_):
    """sin whose JVP rule applies another custom_jvp function (``double``) to the tangent."""

    @cj
    def double(x):
        return 2 * x

    double.defjvp(lambda p, t: (double(p[0]), 2 * t[0]))

    @cj
    def f(x):
        return np_.sin(x)

    f.defjvp(lambda p, t: (f(p[0]), np_.cos(p[0]) * double(t[0]) / 2))
    return f


def test_custom_jvp_rule_calling_custom_jvp_on_tangents():
    # Reverse mode inlines a custom_jvp call whose inputs depend on tangents (its rule has been
    # applied already); before, the staged call had no transpose rule.
    f = _scaled_sin_with_nested_rule(xf.custom_jvp, xnp)
    x = 0.7
    _close(xf.grad(f)(x), np.cos(x))
    _close(xf.grad(xf.grad(f))(x), -np.sin(x))
    _close(xf.jit(xf.grad(f))(x), np.cos(x))
    _close(xf.grad(xf.jit(f))(x), np.cos(x))
    _close(xf.grad(xf.checkpoint(f))(x), np.cos(x))
    _close(xf.vmap(xf.grad(f))(xnp.asarray([0.0, x])), np.cos([0.0, x]))
    loop = lambda c: lax.scan(lambda c, _: (f(c), None), c, None, length=3)[0]  # noqa: E731
    want = np.cos(x) * np.cos(np.sin(x)) * np.cos(np.sin(np.sin(x)))
    _close(xf.grad(loop)(x), want)
    _close(xf.grad(lambda c: lax.cond(c > 0, f, lambda y: -y, c))(x), np.cos(x))
    _close(xf.linearize(f, x)[1](1.0), np.cos(x))
    lin_t = xf.linear_transpose(lambda t: xf.jvp(f, (x,), (t,))[1], xnp.float32(1.0))
    _close(lin_t(xnp.float32(1.0))[0], np.cos(x))


def test_custom_jvp_rule_calling_custom_jvp_on_tangents_matches_jax():
    jax = pytest.importorskip("jax")
    f = _scaled_sin_with_nested_rule(xf.custom_jvp, xnp)
    jf = _scaled_sin_with_nested_rule(jax.custom_jvp, jax.numpy)
    for x in (0.0, 0.7, -2.0):
        _close(xf.grad(f)(x), jax.grad(jf)(x))
        _close(xf.grad(xf.grad(f))(x), jax.grad(jax.grad(jf))(x))
        _close(xf.jacrev(xf.jacfwd(f))(x), jax.jacrev(jax.jacfwd(jf))(x))


def test_custom_vjp_inside_custom_jvp():
    @xf.custom_vjp
    def double(x):
        return 2 * x

    double.defvjp(lambda x: (2 * x, None), lambda _, ct: (2 * ct,))

    @xf.custom_jvp
    def rule_uses_vjp(x):  # the rule applies a custom_vjp function to primals
        return xnp.sin(x)

    rule_uses_vjp.defjvp(lambda p, t: (rule_uses_vjp(p[0]), double(xnp.cos(p[0])) * t[0] / 2))

    @xf.custom_jvp
    def body_uses_vjp(x):  # the function itself calls a custom_vjp function
        return double(xnp.sin(x))

    body_uses_vjp.defjvp(lambda p, t: (body_uses_vjp(p[0]), 2 * xnp.cos(p[0]) * t[0]))
    x = 0.7
    for fn, scale in ((rule_uses_vjp, 1.0), (body_uses_vjp, 2.0)):
        _close(xf.grad(fn)(x), scale * np.cos(x))
        _close(xf.grad(xf.grad(fn))(x), -scale * np.sin(x))
        _close(xf.jit(xf.grad(fn))(x), scale * np.cos(x))
        _close(xf.grad(xf.jit(fn))(x), scale * np.cos(x))


@pytest.mark.parametrize("name", ["gelu", "silu", "softplus", "log_sigmoid", "relu", "elu",
                                  "celu", "selu", "mish", "squareplus", "sparse_plus",
                                  "log_softmax", "softmax"])
def test_nn_custom_jvp_activations_second_order_reverse(name):
    f = getattr(xf.nn, name)
    x = xnp.asarray([-2.0, -0.5, 0.3, 1.7])
    check_grads(f, (x,), order=2, modes=("rev",))
    check_grads(f, (x,), order=2, modes=("fwd",))
    # Reverse over reverse of a custom_jvp, and reverse over forward.
    h = xf.hessian(lambda v: (f(v) ** 2).sum())(x)
    h2 = xf.jacrev(xf.jacfwd(lambda v: (f(v) ** 2).sum()))(x)
    _close(h, h2, 1e-4)


def test_custom_vjp_under_jit_and_nested():
    @xf.custom_vjp
    def clip_gradient(x):
        return x

    def fwd(x):
        return x, None

    def bwd(_, g):
        return (xnp.clip(g, -1.0, 1.0),)

    clip_gradient.defvjp(fwd, bwd)
    f = lambda x: (clip_gradient(x) * 5.0).sum()  # noqa: E731
    _close(xf.grad(f)(xnp.ones(3)), [1.0, 1.0, 1.0])
    _close(xf.jit(xf.grad(f))(xnp.ones(3)), [1.0, 1.0, 1.0])
    _close(xf.grad(xf.jit(f))(xnp.ones(3)), [1.0, 1.0, 1.0])


def test_custom_vjp_nondiff_and_residuals():
    from functools import partial

    @partial(xf.custom_vjp, nondiff_argnums=(1,))
    def scale(x, k):
        return x * k

    def fwd(x, k):
        return x * k, (x,)

    def bwd(k, res, g):
        return (g * k * 2,)

    scale.defvjp(fwd, bwd)
    _close(xf.grad(lambda x: scale(x, 3.0).sum())(xnp.ones(2)), [6.0, 6.0])


def test_custom_gradient():
    @xf.custom_gradient
    def f(x):
        return xnp.sin(x), lambda g: (g * 100.0,)

    assert float(xf.grad(f)(0.3)) == 100.0
    _close(f(0.3), np.sin(0.3))


def test_custom_vjp_bad_bwd_structure_is_a_clear_error():
    @xf.custom_vjp
    def f(x, y):
        return x * y

    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (g,))
    with pytest.raises(TypeError, match=r"bwd function of f returned 1 cotangents.*2 "
                                        r"differentiable"):
        xf.grad(f)(1.0, 2.0)
    f.defvjp(lambda x, y: (x * y, (x, y)), lambda res, g: (xnp.ones(3), g))
    with pytest.raises(TypeError, match=r"bwd function of f returned a cotangent of type "
                                        r"f32\[3\] for an input of type f32\[\]"):
        xf.grad(f)(1.0, 2.0)


def test_custom_vjp_forward_mode_is_a_clear_error():
    @xf.custom_vjp
    def f(x):
        return x

    f.defvjp(lambda x: (x, None), lambda r, g: (g,))
    with pytest.raises(TypeError, match="forward-mode"):
        xf.jvp(f, (1.0,), (1.0,))


# ----------------------------------------------------------------------------------------------
# checkpoint / remat


def _count(ir_text: str, op: str) -> int:
    return sum(1 for line in ir_text.splitlines() if f"= {op} " in line)


def test_checkpoint_recomputes_in_the_backward_pass():
    def block(x):
        return xnp.sin(xnp.sin(x))

    x = xnp.asarray(0.4)
    plain = str(xf.make_ir(xf.value_and_grad(block))(x))
    remat = str(xf.make_ir(xf.value_and_grad(xf.checkpoint(block)))(x))
    assert _count(plain, "sin") == 2  # sin(x) is saved as a residual
    assert _count(remat, "sin") == 3  # forward (2) + recomputed in the backward pass (1)
    assert "optimization_barrier" in remat
    _close(xf.grad(xf.checkpoint(block))(x), xf.grad(block)(x))


@pytest.mark.parametrize("policy,dots_in_backward", [
    (xf.checkpoint_policies.nothing_saveable, 2),
    (xf.checkpoint_policies.everything_saveable, 0),
    (xf.checkpoint_policies.dots_saveable, 0),
    (xf.checkpoint_policies.dots_with_no_batch_dims_saveable, 0),
])
def test_checkpoint_policies(policy, dots_in_backward):
    def layer(w, x):
        return xnp.tanh(xnp.tanh(x @ w) @ w)

    loss = lambda w, x: xf.checkpoint(layer, policy=policy)(w, x).sum()  # noqa: E731
    w, x = xnp.ones((3, 3)) * 0.1, xnp.ones((2, 3))
    ir = xf.make_ir(xf.grad(loss))(w, x)
    transpose_eqn = [e for e in ir.eqns if e.params.get("name") == "checkpoint_transpose"]
    assert len(transpose_eqn) == 1
    bwd = transpose_eqn[0].params["graph"]
    recomputed_dots = sum(1 for e in bwd.eqns if e.prim.name == "dot_general")
    # The backward pass always has 3 transposed dots (w is used twice; x is not
    # differentiated); recomputation adds the forward ones that the policy did not save.
    assert recomputed_dots - 3 == dots_in_backward
    _close(xf.grad(loss)(w, x), xf.grad(lambda w, x: layer(w, x).sum())(w, x))


def test_checkpoint_under_jit_and_with_static_args():
    f = xf.checkpoint(lambda x, n: xnp.sin(x) ** n, static_argnums=(1,))
    g = xf.jit(xf.grad(lambda x: f(x, 3)))
    _close(g(0.5), 3 * np.sin(0.5) ** 2 * np.cos(0.5))


# ----------------------------------------------------------------------------------------------
# Errors.


def test_grad_of_non_scalar_output_names_shape_and_dtype():
    with pytest.raises(TypeError, match=r"scalar-output.*shape \(3,\) and dtype float32"):
        xf.grad(lambda x: x * 2)(xnp.ones(3))


def test_grad_wrt_integer_input_names_the_argument():
    with pytest.raises(TypeError, match=r"argument 1 has dtype int32.*allow_int"):
        xf.grad(lambda x, n: x * n, argnums=1)(1.0, 3)


def test_argnums_out_of_range():
    with pytest.raises(ValueError, match=r"argnums 2 is out of range.*2 positional"):
        xf.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)


def test_jvp_tangent_type_mismatch():
    with pytest.raises(TypeError, match=r"tangent 0 has type f32\[2\].*f32\[3\]"):
        xf.jvp(xnp.sin, (xnp.ones(3),), (xnp.ones(2),))


def test_vjp_cotangent_mismatch():
    _, vjp_fun = xf.vjp(xnp.sin, xnp.ones(3))
    with pytest.raises(TypeError, match=r"cotangent of type f32\[2\] does not match"):
        vjp_fun(xnp.ones(2))


def test_has_aux_requires_a_pair():
    with pytest.raises(TypeError, match="has_aux=True"):
        xf.grad(lambda x: x, has_aux=True)(1.0)


def test_check_grads_on_composites():
    rng = np.random.default_rng(0)
    with xf.config.override("enable_x64", True):
        x = xnp.asarray(rng.normal(size=(3, 4)))
        check_grads(lambda x: xnp.tanh(x @ x.T).sum(axis=0) / xnp.exp(x[:, 0]), [x], order=2)
        check_grads(lambda x: xnp.max(x, axis=1) * xnp.mean(x ** 2), [x], order=2)
        check_grads(lambda x: xnp.where(x > 0, xnp.sqrt(xnp.abs(x)), x ** 3)[1:, ::2], [x],
                    order=2)


def test_linear_transpose_takes_scalars_and_pytrees():
    # Python scalars give weakly typed float32 inputs; pytrees of arrays/ShapeDtypeStructs keep
    # their structure in the transposed function's result.
    (g,) = xf.linear_transpose(lambda x: 3 * x, 1.0)(2.0)
    assert isinstance(g, xf.Array) and float(g) == 6.0
    spec = {"a": np.float32(1), "b": xf.ShapeDtypeStruct((3,), np.float32)}
    (out,) = xf.linear_transpose(lambda d: d["a"] * 2 + d["b"].sum(), spec)(np.float32(1.5))
    assert float(out["a"]) == 3.0
    np.testing.assert_array_equal(out["b"], np.full(3, 1.5, np.float32))
    x, y = xf.linear_transpose(lambda x, y: x + 2 * y, np.ones(2, np.float32),
                               np.ones(2, np.float32))(np.arange(2, dtype=np.float32))
    assert isinstance(x, xf.Array)
    np.testing.assert_array_equal(x, [0, 1])
    np.testing.assert_array_equal(y, [0, 2])
