"""xfront.numpy.fft against numpy.fft (every name, n/s, axis/axes, norm), dtypes, jit, grad
(check_grads through each transform), vmap, errors; lax.fft's own rows are in op_db_fft.py."""

from __future__ import annotations

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront import lax
from xfront.test_util import check_grads

F = xnp.fft
NORMS = (None, "backward", "ortho", "forward")


def _cplx(rng, shape, dt=np.complex64):
    return (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dt)


def _close(got, want, dt=None, tol=2e-5):
    got = np.asarray(got)
    if dt is not None:
        assert got.dtype == dt, (got.dtype, dt)
    assert got.shape == np.shape(want), (got.shape, np.shape(want))
    scale = max(1.0, float(np.max(np.abs(want)))) if np.size(want) else 1.0
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * scale)


# (name, kwargs, real input?)
ONE_D = [
    ("fft", {}, False), ("fft", {"n": 7}, False), ("fft", {"n": 3, "axis": 0}, False),
    ("ifft", {}, False), ("ifft", {"n": 9, "axis": 1}, False),
    ("rfft", {}, True), ("rfft", {"n": 5}, True), ("rfft", {"n": 8, "axis": 0}, True),
    ("irfft", {}, False), ("irfft", {"n": 7}, False), ("irfft", {"n": 4, "axis": 0}, False),
    ("hfft", {}, False), ("hfft", {"n": 5}, False), ("ihfft", {}, True),
    ("ihfft", {"n": 6, "axis": 0}, True),
]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,kw,real", ONE_D, ids=[f"{n}-{k}" for n, k, _ in ONE_D])
def test_one_dimensional(name, kw, real, norm, rng):
    x = rng.standard_normal((4, 6)).astype(np.float32) if real else _cplx(rng, (4, 6))
    want = getattr(np.fft, name)(x, norm=norm, **kw)
    want_dt = np.float32 if name in ("irfft", "hfft") else np.complex64
    _close(getattr(F, name)(xnp.asarray(x), norm=norm, **kw), want, want_dt)


MULTI = [
    ("fftn", {}, False), ("fftn", {"s": (2, 7)}, False), ("fftn", {"axes": (0, 2)}, False),
    ("fftn", {"s": (3, 3), "axes": (2, 0)}, False), ("ifftn", {}, False),
    ("ifftn", {"axes": (1,)}, False), ("rfftn", {}, True), ("rfftn", {"axes": (2, 0)}, True),
    ("rfftn", {"s": (4, 6)}, True), ("irfftn", {}, False), ("irfftn", {"s": (3, 4, 7)}, False),
    ("irfftn", {"axes": (0, 1)}, False), ("fft2", {}, False), ("fft2", {"s": (5, 2)}, False),
    ("ifft2", {"axes": (0, 2)}, False), ("rfft2", {}, True), ("rfft2", {"s": (3, 8)}, True),
    ("irfft2", {}, False), ("irfft2", {"s": (4, 9)}, False),
]


@pytest.mark.parametrize("norm", (None, "ortho", "forward"))
@pytest.mark.parametrize("name,kw,real", MULTI, ids=[f"{n}-{k}" for n, k, _ in MULTI])
def test_multi_dimensional(name, kw, real, norm, rng):
    x = rng.standard_normal((3, 4, 5)).astype(np.float32) if real else _cplx(rng, (3, 4, 5))
    ref_kw = dict(kw)
    if "s" in kw and "axes" not in kw and name.endswith("n"):  # numpy wants explicit axes
        ref_kw["axes"] = tuple(range(-len(kw["s"]), 0))
    want = getattr(np.fft, name)(x, norm=norm, **ref_kw)
    want_dt = np.float32 if name.startswith("irfft") else np.complex64
    _close(getattr(F, name)(xnp.asarray(x), norm=norm, **kw), want, want_dt)


@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn"])
def test_more_than_three_axes_are_transformed_in_groups(name, rng):
    shape = (2, 3, 2, 4, 3)
    x = rng.standard_normal(shape) if name == "rfftn" else _cplx(rng, shape, np.complex128)
    want = getattr(np.fft, name)(x)
    _close(getattr(F, name)(xnp.asarray(x.astype(np.float32 if name == "rfftn"
                                                  else np.complex64))), want, tol=5e-5)
    axes = (4, 0, 2, 1)
    _close(getattr(F, name)(xnp.asarray(x.astype(np.float32 if name == "rfftn"
                                                  else np.complex64)), axes=axes),
           getattr(np.fft, name)(x, axes=axes), tol=5e-5)


def test_frequencies_and_shifts(rng):
    for n, d in ((1, 1.0), (7, 0.5), (8, 1.0), (10, 0.1)):
        _close(F.fftfreq(n, d), np.fft.fftfreq(n, d), np.float32)
        _close(F.rfftfreq(n, d), np.fft.rfftfreq(n, d), np.float32)
    _close(F.fftfreq(6, xnp.asarray(0.25)), np.fft.fftfreq(6, 0.25))
    assert F.fftfreq(4, dtype=np.complex64).dtype == np.complex64
    x = rng.standard_normal((4, 5, 3)).astype(np.float32)
    for axes in (None, 0, 1, (0, 2), (-1,)):
        np.testing.assert_array_equal(F.fftshift(x, axes), np.fft.fftshift(x, axes))
        np.testing.assert_array_equal(F.ifftshift(x, axes), np.fft.ifftshift(x, axes))
    np.testing.assert_array_equal(F.ifftshift(F.fftshift(x)), x)


def test_dtypes():
    assert F.fft(np.arange(4)).dtype == np.complex64  # integers: the default float, complex
    assert F.rfft(np.arange(4, dtype=np.float16)).dtype == np.complex64
    assert F.irfft(np.ones(3, np.complex64)).dtype == np.float32
    assert F.fft(xnp.ones(4, xnp.bfloat16)).dtype == np.complex64


def test_float64_under_x64(x64, rng):
    x = rng.standard_normal((3, 8))
    out = F.rfft(x)
    assert out.dtype == np.complex128
    np.testing.assert_allclose(out, np.fft.rfft(x), rtol=1e-12, atol=1e-12)
    c = x + 1j * x[::-1]
    np.testing.assert_allclose(F.ifftn(c, axes=(0, 1)), np.fft.ifftn(c), rtol=1e-12,
                               atol=1e-12)
    np.testing.assert_allclose(F.irfft(np.fft.rfft(x)), x, rtol=1e-12, atol=1e-12)


def test_under_jit_matches_eager(rng):
    x = _cplx(rng, (3, 6))
    f = lambda x: F.irfft2(F.fft(x, n=8, norm="ortho"), s=(3, 5))  # noqa: E731
    np.testing.assert_allclose(xf.jit(f)(x), f(x), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(xf.jit(f)(x), np.fft.irfft2(np.fft.fft(x, n=8, norm="ortho"),
                                                           s=(3, 5)), rtol=1e-5, atol=1e-5)


# Gradients: every transform through check_grads (float64 / complex128).
GRAD_CASES = [
    ("fft", {"n": 5}, False), ("ifft", {"axis": 0}, False), ("rfft", {"n": 7}, True),
    ("irfft", {"n": 6}, False), ("irfft", {}, False), ("hfft", {"n": 5}, False),
    ("ihfft", {}, True), ("fft2", {"norm": "ortho"}, False), ("ifft2", {}, False),
    ("rfft2", {"norm": "forward"}, True), ("irfft2", {"s": (3, 5)}, False),
    ("fftn", {"s": (2, 3)}, False), ("rfftn", {}, True), ("irfftn", {}, False),
]


@pytest.mark.parametrize("name,kw,real", GRAD_CASES, ids=[f"{n}-{k}" for n, k, _ in GRAD_CASES])
def test_check_grads(name, kw, real, rng, x64):
    x = rng.standard_normal((3, 4)) if real else _cplx(rng, (3, 4), np.complex128)
    check_grads(lambda x: getattr(F, name)(x, **kw), (xnp.asarray(x),), order=2,
                modes=("fwd", "rev"))


def test_grad_of_a_power_spectrum_loss_matches_finite_differences(rng, x64):
    x = rng.standard_normal(8)
    g = xf.grad(lambda x: xnp.sum(xnp.abs(F.rfft(x)) ** 2))(xnp.asarray(x))
    eps = 1e-6
    ref = np.array([(np.sum(np.abs(np.fft.rfft(x + eps * e)) ** 2)
                     - np.sum(np.abs(np.fft.rfft(x - eps * e)) ** 2)) / (2 * eps)
                    for e in np.eye(8)])
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-6)
    # Parseval: sum |X_k|^2 over the full spectrum is n |x|^2, so its gradient is 2 n x.
    g_full = xf.grad(lambda x: xnp.sum(xnp.abs(F.fft(x)) ** 2))(xnp.asarray(x))
    np.testing.assert_allclose(g_full, 16 * x, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("name,in_axes", [("fft", 0), ("rfft", 1), ("irfft2", 0),
                                          ("fftn", 2), ("ifftshift", 0)])
def test_vmap_matches_a_loop(name, in_axes, rng):
    real = name in ("rfft",)
    shape = (3, 4, 5)
    x = rng.standard_normal(shape).astype(np.float32) if real else _cplx(rng, shape)
    fn = getattr(F, name)
    out = xf.vmap(fn, in_axes=in_axes)(x)
    want = np.stack([np.asarray(fn(np.take(x, i, axis=in_axes))) for i in range(shape[in_axes])])
    np.testing.assert_allclose(out, want, rtol=1e-5, atol=1e-5)


def test_lax_fft_batching_with_the_batch_among_transformed_dims(rng):
    x = _cplx(rng, (2, 3, 4))
    out = xf.vmap(lambda v: lax.fft(v, "fft", (3,)), in_axes=2)(x)
    np.testing.assert_allclose(out, np.moveaxis(np.fft.fft(x, axis=1), 2, 0), rtol=1e-5,
                               atol=1e-5)


def test_lax_fft_transpose_is_the_adjoint(rng, x64):
    # <ct, f(x)> == <f^T(ct), x> under the pairing Re(sum(a * b)) (JAX's convention).
    cases = [("fft", (6,), _cplx(rng, (2, 6), np.complex128), _cplx(rng, (2, 6), np.complex128)),
             ("ifft", (2, 3), _cplx(rng, (2, 3), np.complex128),
              _cplx(rng, (2, 3), np.complex128)),
             ("rfft", (6,), rng.standard_normal((2, 6)), _cplx(rng, (2, 4), np.complex128)),
             ("irfft", (5,), _cplx(rng, (2, 3), np.complex128), rng.standard_normal((2, 5))),
             ("irfft", (2, 6), _cplx(rng, (2, 4), np.complex128),
              rng.standard_normal((2, 6)))]
    for kind, lengths, x, ct in cases:
        f = lambda v: lax.fft(v, kind, lengths)  # noqa: B023, E731
        (ct_x,) = xf.linear_transpose(f, xnp.asarray(x))(xnp.asarray(ct))
        lhs = np.real(np.sum(ct * np.asarray(f(xnp.asarray(x)))))
        rhs = np.real(np.sum(np.asarray(ct_x) * x))
        np.testing.assert_allclose(lhs, rhs, rtol=1e-10, err_msg=kind)


def test_errors():
    with pytest.raises(ValueError, match="invalid norm"):
        F.fft(np.ones(4), norm="bogus")
    with pytest.raises(TypeError, match="rfft requires a real input"):
        F.rfft(np.ones(4, np.complex64))
    with pytest.raises(ValueError, match="out of bounds"):
        F.fft(np.ones((2, 3)), axis=2)
    with pytest.raises(ValueError, match="invalid number of data points"):
        F.fft(np.ones(4), n=0)
    with pytest.raises(ValueError, match="same length"):
        F.fftn(np.ones((2, 3)), s=(2, 3), axes=(0,))
    with pytest.raises(ValueError, match="repeated"):
        F.fftn(np.ones((2, 3)), axes=(0, 0))
    with pytest.raises(TypeError, match="static"):
        xf.jit(lambda x, n: F.fft(x, n=n))(np.ones(4), 3)
    with pytest.raises(TypeError, match=r"fft \(FFT\).*complex64"):
        lax.fft(np.ones(4, np.float32), "fft", (4,))
    with pytest.raises(TypeError, match=r"trailing dimensions.*n // 2 \+ 1"):
        lax.fft(np.ones(4, np.complex64), lax.FftType.IRFFT, (4,))
    with pytest.raises(ValueError, match="1 to 3"):
        lax.fft(np.ones((2,) * 4, np.complex64), "fft", (2, 2, 2, 2))
    with pytest.raises(TypeError, match="unknown fft_type"):
        lax.fft(np.ones(4, np.complex64), "dct", (4,))


# The real-input transforms' derivatives against jax (the rfft/irfft transposes are easy to get
# wrong by a conjugation or the doubled bins): the VJP and the JVP for random (co)tangents.
ORACLE_CASES = [
    ("rfft", {}, True), ("rfft", {"n": 5}, True), ("irfft", {}, False), ("irfft", {"n": 7}, False),
    ("hfft", {"n": 6}, False), ("ihfft", {}, True), ("rfft2", {"norm": "ortho"}, True),
    ("irfft2", {"s": (3, 5)}, False), ("rfftn", {"axes": (1, 0)}, True),
    ("irfftn", {"norm": "forward"}, False),
]


@pytest.mark.parametrize("name,kw,real", ORACLE_CASES,
                         ids=[f"{n}-{k}" for n, k, _ in ORACLE_CASES])
def test_real_transform_derivatives_match_jax(name, kw, real, rng, x64, jax_oracle):
    jax = jax_oracle
    previous = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        _compare_derivatives_with_jax(jax, name, kw, real, rng)
    finally:
        jax.config.update("jax_enable_x64", previous)


def _compare_derivatives_with_jax(jax, name, kw, real, rng):
    x = rng.standard_normal((3, 4)) if real else _cplx(rng, (3, 4), np.complex128)
    t = rng.standard_normal((3, 4)) if real else _cplx(rng, (3, 4), np.complex128)
    jf = lambda v: getattr(jax.numpy.fft, name)(v, **kw)  # noqa: E731
    xf_f = lambda v: getattr(F, name)(v, **kw)  # noqa: E731
    out, jvp_want = jax.jvp(jf, (x,), (t,))
    _, jvp_got = xf.jvp(xf_f, (xnp.asarray(x),), (xnp.asarray(t),))
    np.testing.assert_allclose(jvp_got, jvp_want, rtol=1e-10, atol=1e-10)
    ct = (rng.standard_normal(out.shape) + (1j * rng.standard_normal(out.shape)
                                            if np.iscomplexobj(out) else 0)).astype(out.dtype)
    (vjp_want,) = jax.vjp(jf, x)[1](ct)
    (vjp_got,) = xf.vjp(xf_f, xnp.asarray(x))[1](xnp.asarray(ct))
    np.testing.assert_allclose(vjp_got, vjp_want, rtol=1e-10, atol=1e-10)


def test_complex128_under_jit(x64, rng):
    x = _cplx(rng, (4, 6), np.complex128)
    for name, kw in (("fft2", {"norm": "ortho"}), ("ifftn", {"s": (5, 4), "axes": (0, 1)}),
                     ("irfftn", {"axes": (0, 1)}), ("hfft", {"n": 9})):
        out = xf.jit(lambda v: getattr(F, name)(v, **kw))(x)  # noqa: B023
        want = getattr(np.fft, name)(x, **kw)
        assert out.dtype == want.dtype, (name, out.dtype)
        np.testing.assert_allclose(out, want, rtol=1e-12, atol=1e-12, err_msg=name)
    r = rng.standard_normal((4, 6))
    out = xf.jit(lambda v: F.rfftn(v, s=(3, 8), norm="forward"))(r)  # the last two axes
    assert out.dtype == np.complex128
    np.testing.assert_allclose(out, np.fft.rfftn(r, s=(3, 8), axes=(0, 1), norm="forward"),
                               rtol=1e-12,
                               atol=1e-12)


def test_errors_name_the_op_shapes_and_the_users_line():
    with pytest.raises(ValueError) as e:
        F.rfftn(np.ones((2, 3), np.float32), axes=(0, -3))
    msg = str(e.value)
    assert "rfftn" in msg and "(2, 3)" in msg and "test_fft.py" in msg, msg
    with pytest.raises(ValueError) as e:
        F.ifft2(np.ones((2, 3), np.complex64), s=(2, 3, 4))
    assert "ifft2" in str(e.value) and "test_fft.py" in str(e.value), str(e.value)
    with pytest.raises(ValueError, match=r"irfft: invalid number of data points.*\(1,\)"):
        F.irfft(np.ones(1, np.complex64))
    with pytest.raises(ValueError, match="test_fft.py"):
        xf.jit(lambda v: F.fft(v, n=-2))(np.ones(4, np.complex64))
