"""xfront.debug.print under every transformation, print ordering, and debug_nans/debug_infs."""

from __future__ import annotations

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront import lax


def test_print_eager(capsys):
    xf.debug.print("x={x} y={}", xnp.arange(3.0), x=xnp.float32(1.5))
    assert capsys.readouterr().out == "x=1.5 y=[0. 1. 2.]\n"


def test_print_format_spec_and_no_placeholders(capsys):
    f = xf.jit(lambda x: (xf.debug.print("v={:.3f}", x), xf.debug.print("plain", x, 7))[0])
    f(xnp.float32(2.0))
    assert capsys.readouterr().out == "v=2.000\nplain 2.0 7\n"


def test_print_under_jit_prints_at_run_time_in_order(capsys):
    @xf.jit
    def f(x):
        xf.debug.print("first {}", x)
        y = x * 2
        xf.debug.print("second {}", y)
        xf.debug.print("third {}", x)  # independent of "second": still after it
        return y

    out = f(xnp.ones(2))
    print("host after")  # the program's prints are done before the call returned
    del out
    lines = capsys.readouterr().out.splitlines()
    assert lines[-4:] == ["first [1. 1.]", "second [2. 2.]", "third [1. 1.]", "host after"]


def test_print_with_no_outputs_is_flushed_before_return(capsys):
    f = xf.jit(lambda x: xf.debug.print("only {}", x))
    assert f(xnp.arange(2)) is None
    print("after")
    assert capsys.readouterr().out == "only [0 1]\nafter\n"


def test_print_inside_loops_and_cond(capsys):
    @xf.jit
    def f(x):
        def body(i, c):
            xf.debug.print("i={}", i)
            return c + i

        s = lax.fori_loop(0, 3, body, x)
        return lax.cond(s > 0, lambda v: (xf.debug.print("pos {}", v), v)[1],
                        lambda v: v, s)

    f(xnp.int32(0))
    assert capsys.readouterr().out == "i=0\ni=1\ni=2\npos 3\n"


def test_print_under_vmap_one_line_per_element(capsys):
    xf.vmap(lambda x, y: xf.debug.print("{} {}", x, y), in_axes=(0, None))(
        xnp.arange(3), xnp.float32(9))
    assert capsys.readouterr().out == "0 9.0\n1 9.0\n2 9.0\n"


def test_print_under_grad_prints_primals(capsys):
    def f(x):
        xf.debug.print("x={}", x)
        y = xnp.sin(x)
        xf.debug.print("y={y:.4f}", y=y)
        return y

    g = xf.grad(f)(xnp.float32(0.5))
    np.testing.assert_allclose(float(g), np.cos(0.5), rtol=1e-6)
    assert capsys.readouterr().out == f"x=0.5\ny={np.sin(np.float32(0.5)):.4f}\n"
    xf.jit(xf.grad(f))(xnp.float32(0.5))
    assert capsys.readouterr().out == f"x=0.5\ny={np.sin(np.float32(0.5)):.4f}\n"


def test_print_two_call_form(capsys):
    xf.debug.print(ordered=True)("a={a}", a=xnp.int32(4))
    assert capsys.readouterr().out == "a=4\n"


def test_print_argument_errors_at_trace_time():
    with pytest.raises(ValueError, match="names 'y'"):
        xf.jit(lambda x: xf.debug.print("{y}", x=x))(xnp.ones(1))
    with pytest.raises(ValueError, match="no placeholders"):
        xf.debug.print("none", x=1)


def test_debug_callback_in_ir():
    ir = str(xf.make_ir(lambda x: (xf.debug.print("{}", x), x)[1])(xnp.ones(2)))
    assert "debug_callback" in ir


# ----------------------------------------------------------------------------------------------
# debug_nans / debug_infs


def test_debug_nans_jit_names_primitive_and_line():
    def f(x):
        y = x - 1.0
        z = xnp.log(y)  # log(-1) = nan: the line to blame
        return z * 2

    x = xnp.arange(3.0)
    with xf.debug_nans():
        with pytest.raises(FloatingPointError) as info:
            xf.jit(f)(x)
    msg = str(info.value)
    assert "invalid value (nan) encountered in log" in msg
    line = f.__code__.co_firstlineno + 2
    assert f"test_debug.py:{line}" in msg
    assert "op by op" in msg
    assert np.isnan(np.asarray(xf.jit(f)(x))[0])  # off again: no error


def test_debug_nans_eager_and_config_update():
    xf.config.update("jax_debug_nans", True)
    try:
        with pytest.raises(FloatingPointError, match=r"nan\) encountered in sqrt") as info:
            xnp.sqrt(xnp.float32(-1.0))
        assert "test_debug.py" in str(info.value)
        assert float(xnp.sqrt(xnp.float32(4.0))) == 2.0
    finally:
        xf.config.update("jax_debug_nans", False)
    assert np.isnan(float(xnp.sqrt(xnp.float32(-1.0))))


def test_debug_nans_nested_jit_blames_inner_primitive():
    @xf.jit
    def inner(x):
        return xnp.arccos(x)

    @xf.jit
    def outer(x):
        return inner(x * 3) + 1

    with xf.debug_nans(True):
        with pytest.raises(FloatingPointError, match="encountered in acos"):
            outer(xnp.ones(2))


def test_debug_infs():
    with xf.debug_infs():
        with pytest.raises(FloatingPointError, match=r"\(inf\) encountered in div"):
            xf.jit(lambda x: 1.0 / x)(xnp.zeros(2))
        np.testing.assert_array_equal(np.asarray(xf.jit(lambda x: x * 2)(xnp.ones(2))), [2, 2])


def test_debug_nans_ignores_integers_and_clean_results():
    with xf.debug_nans():
        assert int(xf.jit(lambda x: x // 2)(xnp.int32(5))) == 2
        np.testing.assert_allclose(np.asarray(xf.jit(xnp.exp)(xnp.zeros(2))), [1, 1])
