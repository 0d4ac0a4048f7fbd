"""Linear algebra: xfront.numpy.linalg, xfront.scipy.linalg, polyfit/roots and the LAPACK
lowering, against NumPy/SciPy (and the real jax for gradient values, when installed).

The primitives themselves are covered by the op table (tests/op_db_linalg.py): values, jit,
vmap and check_grads. Here: the composite functions, their derivatives, failure modes (NaN,
errors) and the emitted custom calls.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

import xfront as xf
import xfront.numpy as xnp
import xfront.scipy.linalg as xsl
from xfront.lax import linalg as L
from xfront.test_util import check_grads

LA = xnp.linalg
f32, f64, c64, c128 = (np.dtype(t) for t in (np.float32, np.float64, np.complex64,
                                              np.complex128))


def _randn(rng, shape, dt=f32):
    x = rng.standard_normal(shape)
    if np.dtype(dt).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dt)


def _hpd(rng, n, dt=f32, batch=()):
    a = _randn(rng, (*batch, n, n), dt)
    return (a @ np.conj(np.swapaxes(a, -1, -2)) / n + np.eye(n)).astype(dt)


def _tol(dt):
    return dict(rtol=1e-9, atol=1e-9) if dt in (f64, c128) else dict(rtol=2e-4, atol=2e-4)


def _close(got, want, dt=f32, **kw):
    got = np.asarray(got)
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    np.testing.assert_allclose(got, want, **(kw or _tol(dt)))


# ----------------------------------------------------------------------------------------------
# The LAPACK lowering.


def test_lowering_emits_lapack_typed_ffi_custom_calls():
    text = xf.jit(L.cholesky).lower(xnp.eye(3)).as_text()
    assert "@lapack_spotrf_ffi" in text
    assert "mhlo.backend_config = {uplo = 76 : ui8}" in text
    assert "operand_layouts = [dense<[0, 1]>" in text
    batched = xf.jit(lambda a: L.eigh(a)[1]).lower(xnp.ones((2, 3, 3))).as_text()
    assert "@lapack_ssyevd_ffi" in batched and "dense<[1, 2, 0]>" in batched
    assert 'num_batch_dims = "1"' in batched


def test_ensure_lapack_is_idempotent():
    from lowering import runtime

    runtime.ensure_lapack()
    runtime.ensure_lapack()
    assert runtime._lapack_ready


def test_missing_lapack_kernels_are_a_clear_error(monkeypatch):
    import sys

    import jaxlib.cpu

    from lowering import runtime

    runtime.ensure_lapack()
    monkeypatch.setattr(runtime, "_lapack_ready", False)
    monkeypatch.delattr(jaxlib.cpu, "_lapack")
    monkeypatch.setitem(sys.modules, "jaxlib.cpu._lapack", None)  # the import fails
    with pytest.raises(runtime.LapackUnavailableError, match=r"jaxlib\.cpu\._lapack"):
        runtime.ensure_lapack()


def test_non_cpu_platform_is_a_clear_error_or_a_stablehlo_op():
    from lowering.builder import lower_graph, module_text

    eigh_ir = xf.make_ir(lambda a: L.eigh(a)[1])(xnp.eye(3))
    with pytest.raises(NotImplementedError, match=r"eigh: .*LAPACK on the CPU only.*'cuda'"):
        lower_graph(eigh_ir, platform="cuda")
    # cholesky and triangular_solve have StableHLO ops of their own.
    text = module_text(lower_graph(xf.make_ir(L.cholesky)(xnp.eye(3)), platform="cuda"))
    assert "stablehlo.cholesky" in text and "lapack" not in text
    tri = xf.make_ir(lambda a, b: L.triangular_solve(a, b, left_side=True))(xnp.eye(3),
                                                                             xnp.ones((3, 2)))
    assert "stablehlo.triangular_solve" in module_text(lower_graph(tri, platform="tpu"))


def test_failed_factorizations_give_nans_per_matrix():
    good = np.eye(3, dtype=np.float32) * 2
    bad = -np.eye(3, dtype=np.float32)
    out = np.asarray(L.cholesky(np.stack([good, bad])))
    np.testing.assert_allclose(out[0], np.eye(3) * np.sqrt(2), rtol=1e-6)
    assert np.isnan(out[1]).all()
    w = np.asarray(LA.eigvalsh(np.full((3, 3), np.nan, np.float32)))
    assert np.isnan(w).all()
    s = np.asarray(LA.svdvals(np.full((2, 3), np.inf, np.float32)))
    assert np.isnan(s).all()


def test_singular_matrices_follow_numpy_conventions():
    a = np.array([[1.0, 2.0], [2.0, 4.0]], np.float32)
    assert float(LA.det(a)) == 0.0
    sign, logdet = LA.slogdet(a)
    assert float(sign) == 0.0 and float(logdet) == -np.inf
    z = np.array([[1.0, 2.0], [0.0, 0.0]], np.float32)
    assert np.isinf(float(LA.cond(z))) and np.isinf(float(LA.cond(z, 1)))
    assert int(LA.matrix_rank(a)) == 1
    lu, piv, perm = L.lu(a)  # an exactly singular matrix still factors
    assert np.isfinite(np.asarray(lu)).all()


def test_empty_matrices():
    e = np.zeros((0, 0), np.float32)
    assert LA.inv(e).shape == (0, 0)
    assert float(LA.det(e)) == 1.0
    assert LA.eigvalsh(e).shape == (0,)
    q, r = LA.qr(np.zeros((3, 0), np.float32), mode="complete")
    _close(q, np.eye(3))
    assert r.shape == (3, 0)
    u, s, vh = LA.svd(np.zeros((2, 0), np.float32))
    assert s.shape == (0,) and u.shape == (2, 2) and vh.shape == (0, 0)
    _, _, perm = L.lu(np.zeros((4, 0), np.float32))
    np.testing.assert_array_equal(perm, np.arange(4))


# ----------------------------------------------------------------------------------------------
# xfront.numpy.linalg against NumPy.

DTYPES = [f32, c64]


@pytest.mark.parametrize("dt", DTYPES, ids=str)
def test_solve_inv_det_slogdet(dt, rng):
    a = _randn(rng, (2, 4, 4), dt) + 3 * np.eye(4, dtype=dt)
    b = _randn(rng, (2, 4, 3), dt)
    _close(LA.solve(a, b), np.linalg.solve(a, b), dt)
    _close(LA.solve(a[0], b[0, :, 0]), np.linalg.solve(a[0], b[0, :, 0]), dt)
    _close(LA.solve(a, b[0]), np.linalg.solve(a, b[0]), dt)  # batch dims broadcast
    _close(LA.inv(a), np.linalg.inv(a), dt)
    _close(LA.det(a), np.linalg.det(a), dt, rtol=1e-4, atol=1e-3)
    sign, logdet = LA.slogdet(a)
    want_sign, want_logdet = np.linalg.slogdet(a)
    _close(sign, want_sign, dt)
    _close(logdet, want_logdet, dt)


def test_x64_precision(x64, rng):
    a = rng.standard_normal((5, 5)) + 3 * np.eye(5)
    h = a + a.T
    _close(LA.inv(a), np.linalg.inv(a), f64)
    _close(LA.det(a), np.linalg.det(a), f64)
    _close(LA.eigvalsh(h), np.linalg.eigvalsh(h), f64)
    _close(LA.svdvals(a), np.linalg.svd(a, compute_uv=False), f64)
    assert LA.inv(a).dtype == np.float64


@pytest.mark.parametrize("dt", DTYPES, ids=str)
def test_decompositions_reconstruct(dt, rng):
    a = _randn(rng, (2, 5, 3), dt)
    h = _hpd(rng, 4, dt, (2,))
    H = lambda x: np.conj(np.swapaxes(x, -1, -2))  # noqa: E731
    w, v = LA.eigh(h)
    _close(w, np.linalg.eigvalsh(h), dt)
    _close((np.asarray(v) * np.asarray(w)[..., None, :]) @ H(np.asarray(v)), h, dt)
    c = np.asarray(LA.cholesky(h))
    _close(c, np.linalg.cholesky(h), dt)
    _close(H(c), LA.cholesky(h, upper=True), dt)
    for mode in ("reduced", "complete"):
        q, r = map(np.asarray, LA.qr(a, mode=mode))
        _close(q @ r, a, dt)
        _close(H(q) @ q, np.broadcast_to(np.eye(q.shape[-1]), (2, q.shape[-1],
                                                                 q.shape[-1])), dt)
        assert np.allclose(np.tril(r, -1), 0)
    assert LA.qr(a, mode="r").shape == (2, 3, 3)
    for full in (True, False):
        u, s, vh = map(np.asarray, LA.svd(a, full_matrices=full))
        _close(s, np.linalg.svd(a, compute_uv=False), dt)
        _close((u[..., :, :3] * s[..., None, :]) @ vh[..., :3, :], a, dt)
        _close(H(u) @ u, np.broadcast_to(np.eye(u.shape[-1]), u.shape[:-2] + (u.shape[-1],) * 2),
               dt)
    sq = _randn(rng, (4, 4), dt)
    w, v = map(np.asarray, LA.eig(sq))
    _close(sq @ v, v * w, dt)
    _close(np.linalg.norm(v, axis=0), np.ones(4), dt)
    _close(np.sort_complex(np.asarray(LA.eigvals(sq))), np.sort_complex(np.linalg.eigvals(sq)),
           dt)


def test_eig_left_eigenvectors(rng):
    a = _randn(rng, (4, 4))
    w, vl, vr = map(np.asarray, L.eig(a))
    _close(np.conj(vl).T @ a, w[:, None] * np.conj(vl).T)
    _close(a @ vr, vr * w)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norms(ord, rng):
    x = _randn(rng, (2, 3, 4))
    _close(LA.norm(x, ord, axis=(1, 2)), np.linalg.norm(x, ord, axis=(1, 2)))
    _close(LA.norm(x, ord, axis=(2, 0), keepdims=True),
           np.linalg.norm(x, ord, axis=(2, 0), keepdims=True))
    _close(LA.matrix_norm(x, ord="fro" if ord is None else ord),
           np.linalg.matrix_norm(x, ord="fro" if ord is None else ord))


@pytest.mark.parametrize("ord", [None, 1, 2, 3, 0.5, 0, np.inf, -np.inf, -1])
def test_vector_norms(ord, rng):
    x = _randn(rng, (3, 5), c64)
    _close(LA.norm(x, ord, axis=1), np.linalg.norm(x, ord, axis=1))
    _close(LA.vector_norm(x, ord=2 if ord is None else ord, axis=(0, 1)),
           np.linalg.vector_norm(x, ord=2 if ord is None else ord, axis=(0, 1)))
    _close(LA.norm(x), np.linalg.norm(x))


def test_lstsq_pinv_rank_cond(rng):
    a = _randn(rng, (6, 3))
    b = _randn(rng, (6, 2))
    for got, want in zip(LA.lstsq(a, b), np.linalg.lstsq(a, b)):
        _close(got, want)
    x, resid, rank, s = LA.lstsq(a, b[:, 0])
    _close(x, np.linalg.lstsq(a, b[:, 0])[0])
    assert resid.shape == (1,)
    deficient = a[:, [0, 1, 1]]
    x, resid, rank, s = LA.lstsq(deficient, b)
    assert int(rank) == 2
    _close(x, np.linalg.lstsq(deficient, b)[0])
    _, resid, _, _ = LA.lstsq(deficient, b, numpy_resid=True)
    assert resid.shape == (0,)
    _close(LA.pinv(deficient), np.linalg.pinv(deficient))
    _close(LA.pinv(a, rtol=0.5), np.linalg.pinv(a, rtol=0.5))
    assert int(LA.matrix_rank(deficient)) == 2
    assert int(LA.matrix_rank(deficient, tol=1e-3)) == 2
    np.testing.assert_array_equal(LA.matrix_rank(np.stack([a, deficient])), [3, 2])
    sq = _randn(rng, (2, 4, 4))
    for p in (None, 1, -1, 2, -2, "fro", np.inf):
        _close(LA.cond(sq, p), np.linalg.cond(sq, p), rtol=1e-3, atol=1e-3)


def test_products_and_array_api_functions(rng):
    a = _randn(rng, (2, 3, 3))
    ms = [_randn(rng, s) for s in [(5,), (5, 3), (3, 7), (7, 2), (2,)]]
    _close(LA.multi_dot(ms), np.linalg.multi_dot(ms))
    _close(LA.multi_dot(ms[1:4]), np.linalg.multi_dot(ms[1:4]))
    for n in (0, 1, 2, 5, -1, -3):
        _close(LA.matrix_power(a, n), np.linalg.matrix_power(a, n), rtol=2e-3, atol=2e-3)
    _close(LA.cross(a[0], a[1]), np.linalg.cross(a[0], a[1]))
    _close(LA.cross(a[0], a[1, 0], axis=-1), np.cross(a[0], a[1, 0]))
    for k in (-2, -1, 0, 1, 3):
        _close(LA.diagonal(a, offset=k), np.linalg.diagonal(a, offset=k))
        _close(LA.trace(a, offset=k), np.linalg.trace(a, offset=k))
    _close(LA.matrix_transpose(a), np.linalg.matrix_transpose(a))
    _close(LA.outer(ms[0], ms[-1]), np.linalg.outer(ms[0], ms[-1]))
    _close(LA.vecdot(a, a[0]), np.linalg.vecdot(a, a[0]))
    _close(LA.matmul(a, a), np.linalg.matmul(a, a))
    _close(LA.tensordot(a, a, axes=([1, 2], [2, 1])),
           np.linalg.tensordot(a, a, axes=([1, 2], [2, 1])))
    t = _randn(rng, (2, 3, 6)) + 0
    _close(LA.tensorinv(t, 2), np.linalg.tensorinv(t, 2), rtol=1e-3, atol=1e-3)
    bt = _randn(rng, (2, 3))
    _close(LA.tensorsolve(t, bt), np.linalg.tensorsolve(t, bt), rtol=1e-3, atol=1e-3)
    t4 = _randn(rng, (2, 6, 3))
    _close(LA.tensorsolve(t4, bt, axes=(1,)), np.linalg.tensorsolve(t4, bt, axes=(1,)),
           rtol=1e-3, atol=1e-3)


def test_multi_dot_picks_the_cheapest_order():
    from xfront.numpy.linalg import _chain_order

    # (10x100)(100x5)(5x50): (AB)C costs 7500, A(BC) 75000.
    assert _chain_order([10, 100, 5, 50])[0][2] == 1
    assert _chain_order([50, 5, 100, 10])[0][2] == 0


def test_integer_inputs_promote_to_float():
    out = LA.inv(np.array([[2, 0], [0, 4]], np.int32))
    assert out.dtype == np.float32
    _close(out, [[0.5, 0], [0, 0.25]])


# ----------------------------------------------------------------------------------------------
# Errors.


@pytest.mark.parametrize("call,match", [
    (lambda: LA.inv(np.ones((2, 3))), r"inv: the last 2 dimensions .* square, got shape \(2, 3\)"),
    (lambda: LA.det(np.ones(3)), r"det: the input must have at least 2 dimensions, got "
                                 r"shape \(3,\)"),
    (lambda: LA.solve(np.eye(3), np.ones((4, 2))), r"solve: a \(3, 3\) and b \(4, 2\)"),
    (lambda: LA.solve(np.ones((2, 3, 3)), np.ones((2, 3))), r"ambiguous"),
    (lambda: LA.cholesky(np.ones((3, 4))), r"cholesky: .* square, got shape \(3, 4\)"),
    (lambda: LA.eigh(np.ones((2, 1, 3))), r"eigh: .* square, got shape \(2, 1, 3\)"),
    (lambda: LA.lstsq(np.ones((3, 2)), np.ones(4)), r"lstsq: a \(3, 2\) and b \(4,\)"),
    (lambda: LA.multi_dot([np.ones((2, 3)), np.ones((2, 3))]), None),
    (lambda: xsl.solve_triangular(np.eye(3), np.ones(4)), r"solve_triangular: a \(3, 3\)"),
    (lambda: xsl.expm(np.ones((2, 3))), r"expm: A must be a square matrix"),
])
def test_shape_errors_name_the_function_and_shapes(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_lax_errors_name_the_primitive_shapes_and_dtypes():
    with pytest.raises(ValueError, match=r"eigh: the operand must be a square matrix .* "
                                         r"f32\[2,3\]"):
        L.eigh(xnp.ones((2, 3)))
    with pytest.raises(ValueError, match=r"svd: the operand must be a matrix .* f32\[3\]"):
        L.svd(xnp.ones(3))
    with pytest.raises(TypeError, match=r"cholesky: the operand has dtype int32"):
        L.cholesky(xnp.ones((2, 2), np.int32), symmetrize_input=False)
    with pytest.raises(TypeError, match=r"float16 .* convert it to float32"):
        L.qr(xnp.ones((2, 2), np.float16))
    with pytest.raises(ValueError, match=r"triangular_solve: a and b must have the same batch "
                                         r"dimensions, got f32\[2,3,3\] and f32\[3,3,1\]"):
        L.triangular_solve(xnp.ones((2, 3, 3)), xnp.ones((3, 3, 1)), left_side=True)
    with pytest.raises(TypeError, match=r"triangular_solve: a and b must have the same dtype"):
        L.triangular_solve(xnp.ones((3, 3)), xnp.ones((3, 1), np.complex64), left_side=True)
    with pytest.raises(ValueError, match=r"tridiagonal_solve: du must have shape \(3,\)"):
        L.tridiagonal_solve(xnp.ones(3), xnp.ones(3), xnp.ones(4), xnp.ones((3, 1)))


def test_linalg_error_is_numpys():
    assert issubclass(LA.LinAlgError, np.linalg.LinAlgError)
    assert issubclass(LA.LinAlgError, ValueError)
    with pytest.raises(np.linalg.LinAlgError):
        LA.inv(np.ones((2, 3)))


def test_unimplemented_derivatives_say_why():
    with pytest.raises(NotImplementedError, match="left eigenvectors"):
        xf.grad(lambda a: xnp.real(L.eig(a)[1]).sum())(xnp.eye(2) + 1)


# ----------------------------------------------------------------------------------------------
# Derivatives of the composite functions (float64, orders 1-2).


def _grads(f, *args, order=2):
    check_grads(f, [xnp.asarray(a) for a in args], order=order, modes=("fwd", "rev"))


def test_grads_solve_inv_det_slogdet(x64, rng):
    a = rng.standard_normal((2, 3, 3)) + 2 * np.eye(3)
    b = rng.standard_normal((2, 3, 2))
    _grads(LA.solve, a, b)
    _grads(LA.inv, a, order=1)
    _grads(LA.det, a)
    _grads(lambda x: LA.slogdet(x).logabsdet, a, order=1)
    ac = a + 0.3j * rng.standard_normal(a.shape)
    _grads(lambda x: LA.slogdet(x)[0], ac, order=1)
    _grads(LA.det, ac, order=1)


def test_grads_norms_pinv_lstsq_power(x64, rng):
    a = rng.standard_normal((4, 3))
    for ord in (None, "nuc", 2, 1, np.inf):
        _grads(lambda x, ord=ord: LA.norm(x, ord), a, order=1)
    _grads(lambda x: LA.norm(x, 3, axis=0), a, order=1)
    _grads(LA.pinv, a, order=1)
    _grads(lambda x: LA.lstsq(x, np.arange(4.0))[0], a, order=1)
    _grads(lambda x: LA.matrix_power(x, 3), a[:3], order=1)
    _grads(lambda x: LA.svd(x)[1], a, order=1)  # full_matrices=True: s is still differentiable
    _grads(lambda x: LA.eigvalsh(x), a[:3] + a[:3].T, order=1)
    _grads(lambda x: LA.cholesky(x), a.T @ a + np.eye(3), order=1)


def test_grads_scipy_functions(x64, rng):
    a = rng.standard_normal((3, 3))
    b = rng.standard_normal((3, 2))
    spd = a @ a.T + np.eye(3)
    _grads(lambda x: xsl.expm(0.5 * x), a, order=1)
    _grads(lambda x, y: xsl.solve_triangular(x + 3 * np.eye(3), y, lower=True, trans=1), a, b,
           order=1)
    _grads(lambda x, y: xsl.cho_solve(xsl.cho_factor(x), y), spd, b, order=1)
    _grads(lambda x, y: xsl.lu_solve(xsl.lu_factor(x + 3 * np.eye(3)), y), a, b, order=1)
    _grads(lambda x: xsl.lu(x + 3 * np.eye(3))[1], a, order=1)


def test_gradient_values_match_jax(jax_oracle, x64, rng):
    jax = jax_oracle
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    try:
        a = rng.standard_normal((4, 4))
        h = a + a.T

        def f_eigh(lib):
            def f(x):
                w, v = lib.linalg.eigh(x)
                return (w * (v ** 2).sum(0)).sum() + (v[0] ** 2 * w).sum()

            return f

        def f_svd(lib):
            def f(x):
                u, s, vh = lib.linalg.svd(x, full_matrices=False)
                return (s ** 3).sum() + (u[:, 0] ** 2 * s[0]).sum() + (vh[1] ** 4).sum()

            return f

        def f_misc(lib):
            def f(x):
                return (lib.linalg.det(x) + lib.linalg.slogdet(x)[1]
                        + lib.linalg.inv(x).sum() + lib.linalg.solve(x, x[:, 0]).sum()
                        + (lib.linalg.qr(x)[1] ** 2).sum() + lib.linalg.pinv(x).sum())

            return f

        for make, x in ((f_eigh, h), (f_svd, a), (f_misc, a + 3 * np.eye(4))):
            got = xf.grad(make(xnp))(xnp.asarray(x))
            want = jax.grad(make(jnp))(jnp.asarray(x))
            np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-8,
                                       atol=1e-10)
        got = xf.grad(lambda x: xsl.expm(x).sum())(xnp.asarray(a * 0.7))
        want = jax.grad(lambda x: jax.scipy.linalg.expm(x).sum())(jnp.asarray(a * 0.7))
        np.testing.assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-8)
    finally:
        jax.config.update("jax_enable_x64", False)


# ----------------------------------------------------------------------------------------------
# jit and vmap of the composites.


def test_jit_and_vmap_of_composites(rng):
    a = _randn(rng, (3, 4, 4)) + 3 * np.eye(4, dtype=np.float32)
    b = _randn(rng, (3, 4))
    loop = np.stack([np.linalg.solve(a[i], b[i]) for i in range(3)])
    _close(xf.vmap(LA.solve)(a, b), loop)
    _close(xf.jit(xf.vmap(LA.solve, in_axes=(0, 1), out_axes=1))(a, b.T), loop.T)
    _close(xf.vmap(LA.solve, in_axes=(None, 0))(a[0], b), np.linalg.solve(a[0], b.T).T)
    _close(xf.jit(LA.det)(a), np.linalg.det(a), rtol=1e-4, atol=1e-3)
    _close(xf.vmap(xsl.expm)(a * 0.3), np.stack([sla.expm(x * 0.3) for x in a.astype(f64)]),
           rtol=1e-4, atol=1e-4)
    per_example_grad = xf.vmap(xf.grad(lambda x: LA.slogdet(x)[1]))(a)
    _close(per_example_grad, np.swapaxes(np.linalg.inv(a), -1, -2), rtol=1e-4, atol=1e-4)


def test_vmap_of_grad_of_decompositions_matches_a_loop(rng):
    a = _randn(rng, (3, 4, 4))
    spd = a @ np.swapaxes(a, -1, -2) + np.eye(4, dtype=np.float32)
    cases = [
        (lambda x: (L.eigh(x)[0] ** 4 * L.eigh(x)[1]).sum(), spd),
        (lambda x: (L.lu(x)[0] ** 3).sum(), a),
        (lambda x: (L.qr(x, full_matrices=False)[0] ** 3).sum(), a[..., :3]),
        (lambda x: (L.svd(x, full_matrices=False)[0] ** 4).sum(), a[..., :3]),
    ]
    for f, x in cases:
        loop = np.stack([np.asarray(xf.grad(f)(x[i])) for i in range(3)])
        _close(xf.vmap(xf.grad(f))(x), loop, rtol=1e-5, atol=1e-5)
        _close(np.moveaxis(np.asarray(xf.vmap(xf.grad(f), in_axes=2, out_axes=2)(
            np.moveaxis(x, 0, 2))), 2, 0), loop, rtol=1e-5, atol=1e-5)


# ----------------------------------------------------------------------------------------------
# xfront.scipy.linalg against SciPy.


@pytest.mark.parametrize("dt", DTYPES, ids=str)
def test_scipy_solves(dt, rng):
    a = _randn(rng, (4, 4), dt) + 3 * np.eye(4, dtype=dt)
    b = _randn(rng, (4, 2), dt)
    spd = _hpd(rng, 4, dt)
    for trans in (0, 1, 2, "C"):
        for lower in (True, False):
            _close(xsl.solve_triangular(a, b, trans=trans, lower=lower),
                   sla.solve_triangular(a, b, trans=trans, lower=lower), dt)
    _close(xsl.solve_triangular(a, b[:, 0], unit_diagonal=True),
           sla.solve_triangular(a, b[:, 0], unit_diagonal=True), dt)
    lu, piv = xsl.lu_factor(a)
    want_lu, want_piv = sla.lu_factor(a)
    _close(lu, want_lu, dt)
    np.testing.assert_array_equal(piv, want_piv)
    for trans in (0, 1, 2):
        _close(xsl.lu_solve((lu, piv), b, trans=trans),
               sla.lu_solve((want_lu, want_piv), b, trans=trans), dt)
    for lower in (True, False):
        c = xsl.cho_factor(spd, lower=lower)
        _close(xsl.cho_solve(c, b), sla.cho_solve(sla.cho_factor(spd, lower=lower), b), dt)
        _close(xsl.cholesky(spd, lower=lower), sla.cholesky(spd, lower=lower), dt)
        tri = np.tril(spd) if lower else np.triu(spd)  # only that triangle is read
        _close(xsl.solve(tri, b, assume_a="pos", lower=lower), sla.solve(spd, b), dt)
    _close(xsl.solve(a, b), sla.solve(a, b), dt)
    _close(xsl.solve(a, b[:, 0], transposed=True), np.linalg.solve(a.T, b[:, 0]), dt)
    _close(xsl.inv(a), sla.inv(a), dt)
    _close(xsl.det(a), sla.det(a), dt, rtol=1e-4, atol=1e-3)


def test_scipy_decompositions(rng):
    for shape in ((4, 4), (5, 3), (3, 5)):
        a = _randn(rng, shape)
        for got, want in zip(xsl.lu(a), sla.lu(a)):
            _close(got, want)
        for got, want in zip(xsl.lu(a, permute_l=True), sla.lu(a, permute_l=True)):
            _close(got, want)
        p, l_, u = xsl.lu(a, p_indices=True)
        np.testing.assert_array_equal(p, sla.lu(a, p_indices=True)[0])
        q, r = xsl.qr(a)
        _close(np.asarray(q) @ np.asarray(r), a)
        _close(xsl.qr(a, mode="r")[0], sla.qr(a, mode="r")[0])
        assert xsl.qr(a, mode="economic")[0].shape == sla.qr(a, mode="economic")[0].shape
        _close(xsl.svd(a, compute_uv=False), sla.svd(a, compute_uv=False))
    a = _randn(rng, (4, 4))
    h = a + a.T
    spd = _hpd(rng, 4)
    w, v = xsl.eigh(h)
    _close(w, sla.eigh(h)[0])
    w, v = xsl.eigh(h, spd)
    want_w, want_v = sla.eigh(h, spd)
    _close(w, want_w)
    _close(np.abs(np.asarray(v)), np.abs(want_v), rtol=1e-3, atol=1e-3)
    _close(xsl.eigh(h, eigvals_only=True), sla.eigh(h, eigvals_only=True))
    _close(xsl.pinv(a[:, :3]), sla.pinv(a[:, :3]))
    for side, m in (("right", a[:, :3]), ("left", a[:3])):
        for got, want in zip(xsl.polar(m, side), sla.polar(m, side)):
            _close(got, want)
    d, e = a[0], a[1, :3]
    _close(xsl.eigh_tridiagonal(d, e, eigvals_only=True),
           sla.eigh_tridiagonal(d, e, eigvals_only=True))
    w, v = map(np.asarray, xsl.eigh_tridiagonal(d, e))
    t = np.diag(d) + np.diag(e, 1) + np.diag(e, -1)
    _close(t @ v, v * w)


@pytest.mark.parametrize("scale", [1e-3, 0.3, 1.0, 4.0, 30.0])
def test_expm_matches_scipy(scale, rng, x64):
    a = rng.standard_normal((2, 4, 4)) * scale
    want = np.stack([sla.expm(x) for x in a])
    got = np.asarray(xsl.expm(a))
    np.testing.assert_allclose(got / np.abs(want).max(), want / np.abs(want).max(), atol=1e-12)
    ac = a[0] + 1j * rng.standard_normal((4, 4)) * scale
    np.testing.assert_allclose(np.asarray(xsl.expm(ac)), sla.expm(ac), rtol=1e-9,
                               atol=1e-12 * np.abs(sla.expm(ac)).max())


def test_expm_float32_and_overflowing_norms(rng):
    a = _randn(rng, (4, 4))
    _close(xsl.expm(a), sla.expm(a.astype(f64)), rtol=1e-4, atol=1e-4)
    assert np.isnan(np.asarray(xsl.expm(np.full((2, 2), 1e9, np.float32)))).all()
    _close(xsl.expm(np.zeros((3, 3), np.float32)), np.eye(3))


def test_expm_frechet(rng, x64):
    a = rng.standard_normal((3, 3)) * 0.5
    e = rng.standard_normal((3, 3))
    value, deriv = xsl.expm_frechet(a, e)
    want_value, want_deriv = sla.expm_frechet(a, e)
    _close(value, want_value, f64)
    _close(deriv, want_deriv, f64, rtol=1e-8, atol=1e-10)


def test_special_matrices(rng):
    a, b = _randn(rng, (2, 3)), _randn(rng, (4,))
    _close(xsl.block_diag(a, b, np.float32(7), np.ones((0, 2), np.float32)),
           sla.block_diag(a, b, np.float32(7), np.ones((0, 2), np.float32)))
    assert xsl.block_diag().shape == (1, 0)
    c = _randn(rng, (4,), c64)
    _close(xsl.toeplitz(c), sla.toeplitz(c))
    _close(xsl.toeplitz(b, a[0]), sla.toeplitz(b, a[0]))
    _close(xsl.hilbert(5), sla.hilbert(5))


# ----------------------------------------------------------------------------------------------
# polyfit and roots.


def test_polyfit(rng):
    x = np.linspace(-1, 2, 12)
    y = 2 * x ** 3 - x + 0.3 + 0.05 * rng.standard_normal(12)
    _close(xnp.polyfit(x, y, 3), np.polyfit(x, y, 3), rtol=1e-3, atol=1e-3)
    for got, want in zip(xnp.polyfit(x, y, 2, full=True), np.polyfit(x, y, 2, full=True)):
        _close(got, want, rtol=1e-3, atol=1e-3)
    w = 1 + x ** 2
    for got, want in zip(xnp.polyfit(x, y, 2, w=w, cov=True), np.polyfit(x, y, 2, w=w,
                                                                           cov=True)):
        _close(got, want, rtol=1e-3, atol=1e-4)
    ys = np.stack([y, -y], axis=1)
    for got, want in zip(xnp.polyfit(x, ys, 1, cov=True), np.polyfit(x, ys, 1, cov=True)):
        _close(got, want, rtol=1e-3, atol=1e-4)
    # Differentiable in y, and jittable with a static degree.
    g = xf.grad(lambda yy: xnp.polyfit(xnp.asarray(x), yy, 1)[0])(xnp.asarray(y))
    xc = x - x.mean()
    _close(g, xc / (xc ** 2).sum(), rtol=1e-3, atol=1e-4)
    _close(xf.jit(xnp.polyfit, static_argnums=2)(x, y, 3), np.polyfit(x, y, 3), rtol=1e-3,
           atol=1e-3)
    with pytest.raises(TypeError, match="x must be 1-D"):
        xnp.polyfit(np.ones((2, 2)), np.ones(2), 1)


def test_roots():
    p = np.array([0.0, 0.0, 1.0, -6.0, 11.0, -6.0, 0.0, 0.0])  # (x-1)(x-2)(x-3) x^2
    got = np.sort_complex(np.asarray(xnp.roots(p)))
    _close(got, np.sort_complex(np.roots(p).astype(np.complex64)), rtol=1e-4, atol=1e-4)
    _close(np.sort_complex(np.asarray(xnp.roots(np.array([1.0, 0.0, 1.0])))), [-1j, 1j])
    assert xnp.roots(np.zeros(3)).shape == (0,)
    assert xnp.roots(np.array([5.0])).shape == (0,)
    under_jit = xf.jit(lambda q: xnp.roots(q, strip_zeros=False))(np.array([1.0, -3.0, 2.0]))
    _close(np.sort_complex(np.asarray(under_jit)), [1, 2])
    with pytest.raises(TypeError, match="strip_zeros=False"):
        xf.jit(xnp.roots)(np.array([1.0, -3.0, 2.0]))


# ----------------------------------------------------------------------------------------------
# det's derivative at singular matrices: the cofactor matrix (the transposed adjugate).


def _cofactor(a):
    """The cofactor matrix of each matrix in ``a`` from its minors, in float64."""
    a = np.asarray(a, np.float64)
    if a.ndim > 2:
        return np.stack([_cofactor(x) for x in a])
    n = a.shape[-1]
    c = np.ones_like(a)
    if n > 1:
        for i in range(n):
            for j in range(n):
                minor = np.delete(np.delete(a, i, 0), j, 1)
                c[i, j] = (-1) ** (i + j) * np.linalg.det(minor)
    return c


_SINGULAR = {
    "rank1_2x2": [[1, 2], [2, 4]],
    "nilpotent_2x2": [[0, 1], [0, 0]],  # two zero pivots, still rank n - 1
    "zero_2x2": [[0, 0], [0, 0]],
    "rank2_3x3": [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
    "middle_zero_pivot_3x3": [[1, 1, 0], [1, 1, 0], [0, 0, 1]],
    "dependent_column_3x3": [[2, 4, 1], [1, 2, 5], [3, 6, 0]],
    "rank1_3x3": np.outer([1, 2, 3], [4, -5, 6]),
    "shift_4x4": np.eye(4, k=1),  # three zero pivots, rank 3
    "repeated_row_4x4": [[1, 2, 0, 3], [2, -1, 4, 1], [0, 3, 1, 2], [1, 2, 0, 3]],
    "1x1": [[0]],
}


@pytest.mark.parametrize("dt", [f32, f64], ids=str)
@pytest.mark.parametrize("name", list(_SINGULAR))
def test_det_grad_at_singular_matrices_is_the_cofactor_matrix(name, dt, request, rng):
    if dt == f64:
        request.getfixturevalue("x64")
    a = np.asarray(_SINGULAR[name], dt)
    assert float(LA.det(a)) == 0.0 or abs(float(LA.det(a))) < 1e-5
    want = _cofactor(a)
    tol = dict(rtol=1e-5, atol=1e-5 * max(1.0, np.abs(want).max())) if dt == f32 else \
        dict(rtol=1e-12, atol=1e-12 * max(1.0, np.abs(want).max()))
    _close(xf.grad(LA.det)(a), want, **tol)
    _close(xf.jit(xf.grad(LA.det))(a), want, **tol)
    t = rng.standard_normal(a.shape).astype(dt)
    _, tangent = xf.jvp(LA.det, (a,), (t,))
    _close(tangent, np.sum(want * t), **tol)


def test_det_grad_known_cofactor_values():
    a = np.array([[1.0, 2.0], [2.0, 4.0]], np.float32)
    np.testing.assert_array_equal(xf.grad(LA.det)(a), [[4.0, -2.0], [-2.0, 1.0]])
    np.testing.assert_array_equal(xf.grad(LA.det)(np.eye(2, k=1, dtype=np.float32)),
                                  [[0.0, 0.0], [-1.0, 0.0]])
    np.testing.assert_array_equal(xf.grad(LA.det)(np.ones((3, 3), np.float32)),
                                  np.zeros((3, 3)))  # rank 1 <= n - 2: adj(a) = 0


@pytest.mark.parametrize("dt", [f32, f64], ids=str)
def test_det_grad_batched_singular_and_nonsingular(dt, request, rng):
    if dt == f64:
        request.getfixturevalue("x64")
    three = [np.asarray(v, dt) for k, v in _SINGULAR.items() if k.endswith("3x3")]
    a = np.stack([*three, _randn(rng, (3, 3), dt) + 2 * np.eye(3, dtype=dt)])
    want = _cofactor(a)
    tol = _tol(dt) if dt == f64 else dict(rtol=1e-4, atol=1e-4 * np.abs(want).max())
    _close(xf.grad(lambda x: LA.det(x).sum())(a), want, dt, **tol)
    _close(xf.jit(xf.grad(lambda x: LA.det(x).sum()))(a[None]), want[None], dt, **tol)
    loop = np.stack([np.asarray(xf.grad(LA.det)(x)) for x in a])
    _close(loop, want, dt, **tol)
    _close(xf.vmap(xf.grad(LA.det))(a), loop, dt, **tol)
    moved = xf.vmap(xf.grad(LA.det), in_axes=2, out_axes=2)(np.moveaxis(a, 0, 2))
    _close(np.moveaxis(np.asarray(moved), 2, 0), loop, dt, **tol)
    _close(xf.jit(xf.vmap(xf.grad(LA.det)))(a), loop, dt, **tol)


def test_det_grads_at_nonsingular_matrices_are_unchanged(x64, rng):
    a = rng.standard_normal((2, 3, 3)) + 2 * np.eye(3)
    near = np.array([[1.0, 2.0], [2.0, 4.001]])  # nearly singular, one tiny pivot
    for x in (a, near, np.eye(3), rng.standard_normal((4, 4))):
        _grads(LA.det, x)
        want = np.linalg.det(x)[..., None, None] * np.swapaxes(np.linalg.inv(x), -1, -2)
        _close(xf.grad(lambda y: LA.det(y).sum())(x), want, f64, rtol=1e-9, atol=1e-9)
    ac = a + 0.3j * rng.standard_normal(a.shape)
    _grads(LA.det, ac, order=1)


def test_det_and_slogdet_grads_at_singular_matrices_match_jax(jax_oracle, x64, rng):
    jax = jax_oracle
    jnp = jax.numpy
    jax.config.update("jax_enable_x64", True)
    cases = [np.asarray(v, f64) for k, v in _SINGULAR.items() if not k.endswith("4x4")]
    # n >= 4: JAX's cofactor solve is exact when the zero pivot is the last one (generic).
    b = rng.integers(-3, 4, (2, 5, 4)).astype(f64)
    cases += [x @ x.T for x in b] + [np.asarray(_SINGULAR["repeated_row_4x4"], f64)]
    for x in cases:
        got = np.asarray(xf.grad(LA.det)(x))
        want = np.asarray(jax.grad(jnp.linalg.det)(jnp.asarray(x)))
        scale = max(1.0, np.abs(want).max())
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-9 * scale)
        np.testing.assert_allclose(got, _cofactor(x), rtol=1e-9, atol=1e-9 * scale)
    # slogdet keeps the plain rule: at a singular matrix no entry of the log|det| gradient is
    # finite, in JAX as here, and the sign's gradient is zero.
    for x in cases[:4]:
        if np.abs(x).max() == 0:
            continue
        got = np.asarray(xf.grad(lambda y: LA.slogdet(y)[1])(x))
        want = np.asarray(jax.grad(lambda y: jnp.linalg.slogdet(y)[1])(jnp.asarray(x)))
        assert not np.isfinite(want).any() and not np.isfinite(got).any()
        np.testing.assert_array_equal(xf.grad(lambda y: LA.slogdet(y)[0])(x), np.zeros_like(x))
