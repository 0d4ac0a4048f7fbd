"""Errors as a user sees them: the operation, the shapes/dtypes, and the user's file:line."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as xnp
from xfront import lax
from xfront.core import errors
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive


def _line_of(marker: str) -> int:
    """The line number of the source line in this file that contains ``marker``."""
    for i, line in enumerate(open(__file__).read().splitlines(), 1):
        if marker in line and "_line_of" not in line:
            return i
    raise AssertionError(marker)


HERE = __file__


def test_shape_mismatch_names_op_shapes_and_line():
    with pytest.raises(TypeError) as e:
        lax.add(xnp.ones(3), xnp.ones(4))  # MARK-add-shapes
    msg = str(e.value)
    assert "add" in msg and "f32[3]" in msg and "f32[4]" in msg
    assert f"{HERE}:{_line_of('MARK-add-shapes')}" in msg


def test_dtype_mismatch_names_both_dtypes():
    with pytest.raises(TypeError, match=r"lax\.add requires arguments to have the same dtypes, "
                                        r"got float32, int32"):
        lax.add(xnp.ones(3), xnp.ones(3, xnp.int32))


def test_dtype_not_accepted():
    with pytest.raises(TypeError, match="sin does not accept dtype int32"):
        lax.sin(xnp.ones(3, xnp.int32))


def test_error_inside_jit_names_the_line_in_the_traced_function():
    @xf.jit
    def f(x):
        return lax.mul(x, xnp.ones(7))  # MARK-jit-mul

    with pytest.raises(TypeError) as e:
        f(xnp.ones(3))
    msg = str(e.value)
    assert "mul" in msg and "f32[3]" in msg and "f32[7]" in msg
    assert f"{HERE}:{_line_of('MARK-jit-mul')}" in msg


def test_numpy_broadcast_error_names_shapes_and_line():
    with pytest.raises(ValueError) as e:
        xnp.ones((2, 3)) + xnp.ones((4,))  # MARK-broadcast
    msg = str(e.value)
    assert "(2, 3)" in msg and "(4,)" in msg
    assert f"{HERE}:{_line_of('MARK-broadcast')}" in msg


def test_matmul_and_dot_general_errors():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        xnp.ones((2, 3)) @ xnp.ones((4, 5))
    with pytest.raises(TypeError, match="contracting dimension 1 of lhs f32\\[2,3\\]"):
        lax.dot_general(xnp.ones((2, 3)), xnp.ones((4, 5)), (((1,), (0,)), ((), ())))


def test_reshape_error():
    with pytest.raises(TypeError, match=r"cannot reshape .*\(2, 3\).*\(4,\)"):
        xnp.ones((2, 3)).reshape(4)


def test_bool_of_tracer_explains_the_fix():
    @xf.jit
    def branchy(x):
        if x.sum() > 0:  # MARK-if
            return x
        return -x

    with pytest.raises(errors.TracerBoolConversionError) as e:
        branchy(xnp.ones(3))
    msg = str(e.value)
    assert "branchy" in msg and "jit(branchy)" in msg
    assert f"defined at {HERE}:" in msg
    assert f"{HERE}:{_line_of('MARK-if')}" in msg
    assert "static_argnums" in msg and "lax.cond" in msg
    assert isinstance(e.value, TypeError)


@pytest.mark.parametrize("conv,cls", [
    (int, errors.TracerIntegerConversionError),
    (float, errors.ConcretizationTypeError),
    (np.asarray, errors.TracerArrayConversionError),
    (lambda x: range(x), errors.TracerIntegerConversionError),
])
def test_concrete_conversions_of_tracers(conv, cls):
    with pytest.raises(cls, match="traced array of type"):
        xf.jit(lambda x: conv(x))(xnp.asarray(3))


def test_traced_shape_argument():
    with pytest.raises(errors.ConcretizationTypeError, match="shape"):
        xf.jit(lambda n: xnp.zeros(n))(3)


@pytest.mark.parametrize("bad,what", [
    ("abc", "str"),
    (np.array(["a", "b"]), "<U1"),
    (np.array([object()]), "object"),
    ([[1, 2], [3]], "ragged"),
    ({"a": 1}, "dict"),
    (None, "NoneType"),
])
def test_bad_inputs_to_asarray(bad, what):
    with pytest.raises(TypeError, match=what):
        xnp.asarray(bad)


def test_bad_inputs_to_ufuncs_and_lax():
    with pytest.raises(TypeError, match="list"):
        xnp.sin([1.0, 2.0])
    with pytest.raises(TypeError, match="str"):
        lax.add(xnp.ones(2), "x")
    with pytest.raises(TypeError):
        xnp.ones(2) + "x"


def test_bad_jit_argument_names_its_path():
    f = xf.jit(lambda d: d["w"] * 2)
    with pytest.raises(TypeError, match=r"argument args\[0\]\['s'\] has type str"):
        f({"w": xnp.ones(2), "s": "hello"})
    with pytest.raises(TypeError, match=r"argument args\[1\] has type object"):
        xf.jit(lambda a, b: a)(xnp.ones(2), object())


def test_escaped_tracer():
    leaked = []

    @xf.jit
    def f(x):
        leaked.append(x)
        return x

    f(xnp.ones(2))
    with pytest.raises(errors.UnexpectedTracerError, match="escaped"):
        xnp.sin(leaked[0])
    with pytest.raises(errors.UnexpectedTracerError, match="escaped"):
        xf.jit(lambda y: y + leaked[0])(xnp.ones(2))


def test_missing_rules_say_where_to_add_them():
    p = Primitive("test_only_no_rules")
    with pytest.raises(NotImplementedError, match="def_abstract_eval"):
        p.bind(xnp.ones(2))
    p.def_abstract_eval(lambda x: x)
    with pytest.raises(NotImplementedError, match="lowering/rules"):
        p.bind(xnp.ones(2))


def test_python_int_overflow():
    with pytest.raises(OverflowError):
        xnp.asarray([2**40])
    with pytest.raises(OverflowError, match="too large"):
        lax.add(xnp.ones(2, xnp.int32), 2**40)


def test_index_errors():
    x = xnp.ones((2, 3))
    with pytest.raises(IndexError, match="out of bounds"):
        x[5]
    with pytest.raises(IndexError, match="too many indices"):
        x[0, 0, 0]


def test_traceback_drops_internal_rule_frames():
    try:
        lax.add(xnp.ones(3), xnp.ones(4))
    except TypeError as e:
        files = [fr.filename for fr in __import__("traceback").extract_tb(e.__traceback__)]
    assert not any(f.endswith(("lax/utils.py", "staging.py", "dispatch.py")) for f in files)


def test_errors_do_not_abort_the_process():
    # Abstract-value mismatches the runtime would silently accept are caught before execution.
    compiled = xf.jit(lambda x: x + 1).lower(xnp.ones(3)).compile()
    with pytest.raises(TypeError, match="compiled for f32\\[3\\]"):
        compiled(xnp.ones(3, xnp.int32))
    assert sys is not None  # still alive
    assert ShapedArray((3,), np.float32).str_short() == "f32[3]"


def _last_frame(exc):
    import traceback

    return traceback.extract_tb(exc.__traceback__)[-1]


def _numpy_check_errors():
    """Errors of xfront.numpy's own argument checks (not of a primitive's abstract eval)."""
    return [
        ("matmul", lambda: xnp.ones((2, 3)) @ xnp.ones((4, 5)), ValueError),  # MARK-np-matmul
        ("matmul_fn", lambda: xnp.matmul(xnp.ones((2, 3)), xnp.ones((4, 5))),  # MARK-np-matmul_fn
         ValueError),
        ("broadcast", lambda: xnp.ones(3) + xnp.ones(4), ValueError),  # MARK-np-broadcast
        ("reshape", lambda: xnp.ones(6).reshape(4, 2), TypeError),  # MARK-np-reshape
        ("reshape_fn", lambda: xnp.reshape(xnp.ones(6), (4, 2)), TypeError),  # MARK-np-reshape_fn
        ("axis", lambda: xnp.sum(xnp.ones(3), axis=3), ValueError),  # MARK-np-axis
        ("concat", lambda: xnp.concatenate([xnp.ones(3), xnp.ones((4, 5))]),  # MARK-np-concat
         ValueError),
    ]


@pytest.mark.parametrize("name,fn,cls", _numpy_check_errors(),
                         ids=[r[0] for r in _numpy_check_errors()])
def test_numpy_check_errors_end_at_the_users_line(name, fn, cls):
    line = _line_of(f"MARK-np-{name}")
    with pytest.raises(cls) as e:
        fn()
    assert isinstance(e.value, errors.XfrontError)
    assert f"{HERE}:{line}" in str(e.value)
    last = _last_frame(e.value)
    assert (last.filename, last.lineno) == (HERE, line)


@pytest.mark.parametrize("name,fn,cls", _numpy_check_errors(),
                         ids=[r[0] for r in _numpy_check_errors()])
def test_numpy_check_errors_under_jit_end_at_the_traced_line(name, fn, cls):
    line = _line_of(f"MARK-np-{name}")
    with pytest.raises(cls) as e:
        xf.jit(lambda: fn())()
    assert f"{HERE}:{line}" in str(e.value)
    last = _last_frame(e.value)
    assert (last.filename, last.lineno) == (HERE, line)
    # grad and vmap too: the traced function's line is the last frame.
    with pytest.raises(cls) as e:
        xf.vmap(lambda x: fn())(xnp.ones(2))
    assert (_last_frame(e.value).filename, _last_frame(e.value).lineno) == (HERE, line)


def test_numpy_check_errors_keep_internal_frames_when_filtering_is_off(monkeypatch):
    monkeypatch.setattr(errors, "_filter_tracebacks", False)
    with pytest.raises(ValueError) as e:
        xnp.ones((2, 3)) @ xnp.ones((4, 5))
    assert "xfront" in _last_frame(e.value).filename


def test_numpy_functions_stay_introspectable_and_picklable():
    import inspect
    import pickle

    assert xnp.matmul.__name__ == "matmul" and xnp.matmul.__module__ == "xfront.numpy"
    assert "a" in inspect.signature(xnp.reshape).parameters
    assert pickle.loads(pickle.dumps(xnp.matmul)) is xnp.matmul
    # Functions are compared by identity in lax (reduce_window's monoids): lax stays unwrapped.
    assert lax.add.__module__ == "xfront.lax.elementwise"
