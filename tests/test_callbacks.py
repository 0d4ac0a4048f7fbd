"""Host callbacks: pure_callback, io_callback, debug.callback / debug.print, eagerly and under
jit, vmap and grad; errors raised inside callbacks; the primitives' rules."""

from __future__ import annotations

import functools

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from lowering.builder import lower_rules
from xfront.interpreters import ad, batching
from xfront.lax.callback import debug_callback_p, io_callback_p, pure_callback_p


def _sds(x):
    return xf.ShapeDtypeStruct(x.shape, x.dtype)


def _host_sin(x):
    return np.sin(x)


@pytest.mark.parametrize("prim", [pure_callback_p, io_callback_p, debug_callback_p],
                         ids=lambda p: p.name)
def test_every_rule(prim):
    assert prim.abstract_eval is not None
    assert prim.impl is not None
    assert prim in ad.jvp_rules
    assert prim in batching.batch_rules
    assert prim.name in lower_rules
    assert prim.has_side_effects == (prim is not pure_callback_p)
    if prim is debug_callback_p:
        assert prim in ad.transpose_rules


@pytest.mark.parametrize("mode", ["eager", "jit"])
def test_pure_callback_values(mode):
    x = xnp.arange(4.0)

    def f(x):
        return xf.pure_callback(_host_sin, _sds(x), x) * 2

    g = f if mode == "eager" else xf.jit(f)
    np.testing.assert_allclose(np.asarray(g(x)), 2 * np.sin(np.arange(4.0)), rtol=1e-6)


def test_pure_callback_pytrees_and_kwargs():
    calls = []

    def cb(a, b, *, scale):
        calls.append((type(a), a.dtype, b["k"].shape))
        return {"s": (a * scale).astype(np.float32), "n": np.int32(a.size)}

    @xf.jit
    def f(x, y):
        out = {"s": _sds(x), "n": xf.ShapeDtypeStruct((), np.int32)}
        return xf.pure_callback(cb, out, x, {"k": y}, scale=3.0)

    r = f(xnp.ones(3), xnp.zeros((2, 2)))
    np.testing.assert_array_equal(np.asarray(r["s"]), [3, 3, 3])
    assert int(r["n"]) == 3
    assert calls == [(np.ndarray, np.dtype(np.float32), (2, 2))]


def test_pure_callback_unused_result_is_dropped():
    calls = []

    def cb(x):
        calls.append(1)
        return x

    xf.jit(lambda x: (xf.pure_callback(cb, _sds(x), x), x + 1)[1])(xnp.ones(2))
    assert calls == []


@pytest.mark.parametrize("method, seen", [
    ("sequential", [(3,), (3,), (3,), (3,)]),
    ("expand_dims", [(4, 3), (1,)]),
    ("broadcast_all", [(4, 3), (4,)]),
])
def test_pure_callback_vmap_methods(method, seen):
    shapes = []

    def cb(x, y):
        shapes.extend([x.shape] if method == "sequential" else [x.shape, y.shape])
        return (x * y.reshape(y.shape + (1,) * (x.ndim - y.ndim))).astype(np.float32)

    def f(x, y):
        return xf.pure_callback(cb, _sds(x), x, y, vmap_method=method)

    xs = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    out = xf.jit(xf.vmap(f, in_axes=(0, None)))(xs, xnp.full((), 2.0))
    np.testing.assert_allclose(np.asarray(out), xs * 2)
    assert shapes == seen


def test_pure_callback_vmap_batch_dim_not_first():
    def f(x):
        return xf.pure_callback(lambda a: a * 2, _sds(x), x, vmap_method="sequential")

    xs = np.arange(6.0, dtype=np.float32).reshape(2, 3)
    out = xf.vmap(f, in_axes=1, out_axes=1)(xs)
    np.testing.assert_allclose(np.asarray(out), xs * 2)


def test_pure_callback_vmap_without_method_raises():
    def f(x):
        return xf.pure_callback(_host_sin, _sds(x), x)

    with pytest.raises(NotImplementedError, match="vmap_method"):
        xf.vmap(f)(xnp.ones((2, 3)))


def test_pure_callback_grad_raises_pointing_to_custom_jvp():
    def f(x):
        return xf.pure_callback(_host_sin, _sds(x), x).sum()

    with pytest.raises(ValueError, match="custom_jvp") as info:
        xf.grad(f)(xnp.ones(3))
    assert "_host_sin" in str(info.value) and "test_callbacks.py" in str(info.value)


def test_pure_callback_with_custom_jvp_is_differentiable():
    @xf.custom_jvp
    def sin(x):
        return xf.pure_callback(_host_sin, _sds(x), x)

    @sin.defjvp
    def _(primals, tangents):
        (x,), (t,) = primals, tangents
        return sin(x), xnp.cos(x) * t

    g = xf.jit(xf.grad(lambda x: sin(x).sum()))(xnp.arange(3.0))
    np.testing.assert_allclose(np.asarray(g), np.cos(np.arange(3.0)), rtol=1e-6)


def test_pure_callback_checks_results():
    def f(x):
        return xf.pure_callback(lambda a: np.sin(a).astype(np.float64), _sds(x), x)

    with pytest.raises(TypeError, match=r"dtype float64.*says shape \(3,\) and dtype float32"):
        f(xnp.ones(3))
    with pytest.raises(TypeError, match=r"returned result 0 of shape \(2,\)"):
        xf.jit(lambda x: xf.pure_callback(lambda a: a[:2], _sds(x), x))(xnp.ones(3))


def test_pure_callback_bad_vmap_method():
    with pytest.raises(ValueError, match="vmap_method"):
        xf.pure_callback(_host_sin, _sds(xnp.ones(1)), xnp.ones(1), vmap_method="nope")


def _boom(x):
    raise KeyError("boom from the callback")


def test_exception_in_jitted_pure_callback_is_reraised_with_context():
    @xf.jit
    def f(x):
        return xf.pure_callback(_boom, _sds(x), x) + 1

    with pytest.raises(KeyError, match="boom from the callback") as info:
        np.asarray(f(xnp.ones(3)))
    notes = "\n".join(getattr(info.value, "__notes__", []))
    assert "_boom" in notes and "pure_callback" in notes
    assert "test_callbacks.py" in notes  # the line of the pure_callback call
    assert "running f" in notes
    assert "INTERNAL" not in str(info.value)
    # the traceback reaches into the callback itself
    assert any(fr.name == "_boom" for fr in info.traceback)


def test_exception_in_jitted_debug_callback_surfaces_at_the_call():
    @xf.jit
    def f(x):
        xf.debug.callback(_boom, x)
        return x * 2

    with pytest.raises(KeyError, match="boom") as info:
        f(xnp.ones(2))  # no read needed: the program is waited for
    assert "debug.callback" in "\n".join(info.value.__notes__)
    # the program still works afterwards with a good callback
    assert float(xf.jit(lambda x: x + 1)(xnp.ones(()))) == 2.0


def test_exception_in_eager_callback():
    with pytest.raises(KeyError, match="boom") as info:
        xf.debug.callback(_boom, xnp.ones(2))
    assert "debug.callback" in "\n".join(info.value.__notes__)


def test_io_callback_runs_in_order_and_is_not_dropped():
    log = []

    def record(tag, x):
        log.append((tag, float(x)))
        return np.float32(float(x) + 1)

    @xf.jit
    def f(x):
        out = xf.ShapeDtypeStruct((), np.float32)
        a = xf.experimental.io_callback(functools.partial(record, "a"), out, x)
        xf.experimental.io_callback(functools.partial(record, "unused"), out, x * 10)
        b = xf.experimental.io_callback(functools.partial(record, "b"), out, a)
        return b

    assert float(f(xnp.float32(1.0))) == 3.0
    assert log == [("a", 1.0), ("unused", 10.0), ("b", 2.0)]
    log.clear()
    r = xf.vmap(f)(xnp.arange(3, dtype=xnp.float32))
    np.testing.assert_allclose(np.asarray(r), [2, 3, 4])
    assert [t for t, _ in log] == ["a"] * 3 + ["unused"] * 3 + ["b"] * 3


def test_io_callback_not_differentiable():
    def f(x):
        return xf.experimental.io_callback(lambda a: a, _sds(x), x).sum()

    with pytest.raises(ValueError, match="io_callback cannot be differentiated"):
        xf.grad(f)(xnp.ones(2))


def test_debug_callback_receives_values():
    seen = []

    def cb(x, tag, *, extra):
        seen.append((np.array(x).tolist(), tag, extra.tolist()))

    @xf.jit
    def f(x):
        xf.debug.callback(cb, x, "static-tag", extra=x * 2)
        return x

    f(xnp.arange(3.0))
    assert seen == [([0.0, 1.0, 2.0], "static-tag", [0.0, 2.0, 4.0])]


def test_debug_callback_keeps_arrays_valid_after_the_call():
    kept = []
    f = xf.jit(lambda x: (xf.debug.callback(kept.append, x), x + 1)[1])
    for i in range(3):
        f(xnp.full((4,), float(i)))
    np.testing.assert_array_equal(np.stack(kept), np.repeat(np.arange(3.0), 4).reshape(3, 4))
