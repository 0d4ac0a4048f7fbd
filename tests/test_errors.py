"""Errors as a user sees them: the operation, the shapes/dtypes, and the user's file:line."""

from __future__ import annotations

import os
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
    assert lax.add.__name__ == "add" and lax.add.__module__ == "xfront.lax"
    assert pickle.loads(pickle.dumps(lax.add)) is lax.add
    assert "lhs" in inspect.signature(lax.dot_general).parameters


# ----------------------------------------------------------------------------------------------
# xfront.lax and the transformations are API boundaries too.


def _internal_frames(exc):
    import traceback

    roots = (os.path.dirname(xf.__file__) + os.sep,
             os.path.join(os.path.dirname(os.path.dirname(xf.__file__)), "lowering") + os.sep)
    return [fr for fr in traceback.extract_tb(exc.__traceback__) if fr.filename.startswith(roots)]


def _lax_errors():
    """Shape and argument errors of xfront.lax's public functions, called eagerly."""
    return [
        ("add", lambda: lax.add(xnp.ones(3), xnp.ones(4)), TypeError),  # MARK-lax-add
        ("dot_general", lambda: lax.dot_general(  # MARK-lax-dot_general
            xnp.ones((2, 3)), xnp.ones((4, 5)), (((1,), (0,)), ((), ()))), TypeError),
        ("conv", lambda: lax.conv_general_dilated(  # MARK-lax-conv
            xnp.ones((1, 2, 5, 5)), xnp.ones((3, 4, 3, 3)), (1, 1), "VALID"), ValueError),
        ("reshape", lambda: lax.reshape(xnp.ones(6), (4,)), TypeError),  # MARK-lax-reshape
        ("dynamic_slice", lambda: lax.dynamic_slice(  # MARK-lax-dynamic_slice
            xnp.ones(6), (0,), (7,)), TypeError),
        ("broadcast_in_dim", lambda: lax.broadcast_in_dim(  # MARK-lax-broadcast_in_dim
            xnp.ones(3), (4, 5), (1,)), TypeError),
        ("concatenate", lambda: lax.concatenate(  # MARK-lax-concatenate
            [xnp.ones((2, 3)), xnp.ones((2, 4))], 0), TypeError),
        ("reduce_window", lambda: lax.reduce_window(  # MARK-lax-reduce_window
            xnp.ones((4, 4)), 0.0, lax.add, (2, 2, 2), (1, 1)), TypeError),
    ]


@pytest.mark.parametrize("name,fn,cls", _lax_errors(), ids=[r[0] for r in _lax_errors()])
def test_lax_errors_end_at_the_users_line(name, fn, cls):
    line = _line_of(f"MARK-lax-{name}")
    with pytest.raises(cls) as e:
        fn()
    assert isinstance(e.value, errors.XfrontError)
    assert f"{HERE}:{line}" in str(e.value)
    assert (_last_frame(e.value).filename, _last_frame(e.value).lineno) == (HERE, line)
    assert not _internal_frames(e.value)
    # Under jit the traced line is the last frame too, with no xfront frame in between.
    with pytest.raises(cls) as e:
        xf.jit(lambda: fn())()
    assert (_last_frame(e.value).filename, _last_frame(e.value).lineno) == (HERE, line)
    assert not _internal_frames(e.value)


@pytest.mark.parametrize("name,fn,cls", _lax_errors()[:2], ids=[r[0] for r in _lax_errors()[:2]])
def test_lax_errors_keep_internal_frames_when_filtering_is_off(monkeypatch, name, fn, cls):
    monkeypatch.setattr(errors, "_filter_tracebacks", False)
    with pytest.raises(cls) as e:
        fn()
    assert f"{HERE}:{_line_of(f'MARK-lax-{name}')}" in str(e.value)  # the message still says
    assert _internal_frames(e.value) and "xfront" in _last_frame(e.value).filename


def _bad(x):
    return lax.add(x, xnp.ones(7))  # MARK-bad


def _bad_sum(x):
    return _bad(x).sum()


def _transformation_errors():
    """An error raised while tracing the user's function inside each transformation."""
    x = xnp.ones(3)
    return [
        ("jit", lambda: xf.jit(_bad)(x)),
        ("jit_static", lambda: xf.jit(lambda x, n: _bad(x), static_argnums=1)(x, 2)),
        ("jit_lower", lambda: xf.jit(_bad).lower(x)),
        ("eval_shape", lambda: xf.eval_shape(_bad, x)),
        ("make_ir", lambda: xf.make_ir(_bad)(x)),
        ("grad", lambda: xf.grad(_bad_sum)(x)),
        ("value_and_grad", lambda: xf.value_and_grad(_bad_sum)(x)),
        ("vmap", lambda: xf.vmap(_bad)(xnp.ones((2, 3)))),
        ("jvp", lambda: xf.jvp(_bad, (x,), (x,))),
        ("vjp", lambda: xf.vjp(_bad, x)),
        ("linearize", lambda: xf.linearize(_bad, x)),
        ("jacfwd", lambda: xf.jacfwd(_bad)(x)),
        ("jacrev", lambda: xf.jacrev(_bad)(x)),
        ("scan", lambda: lax.scan(lambda c, y: (_bad(c), y), x, xnp.ones(2))),
        ("cond", lambda: lax.cond(True, _bad, _bad, x)),
        ("while_loop", lambda: lax.while_loop(lambda c: True, _bad, x)),
        ("fori_loop", lambda: lax.fori_loop(0, 2, lambda i, c: _bad(c), x)),
        ("jit_vmap_grad", lambda: xf.jit(xf.vmap(xf.grad(_bad_sum)))(xnp.ones((2, 3)))),
        ("grad_of_scan", lambda: xf.grad(
            lambda c: lax.scan(lambda c, y: (_bad(c), y), c, xnp.ones(2))[0].sum())(x)),
    ]


@pytest.mark.parametrize("name,fn", _transformation_errors(),
                         ids=[r[0] for r in _transformation_errors()])
def test_errors_in_transformed_functions_end_at_the_users_line(name, fn):
    import traceback

    line = _line_of("MARK-bad")
    with pytest.raises(TypeError) as e:
        fn()
    assert isinstance(e.value, errors.XfrontError)
    assert f"{HERE}:{line}" in str(e.value)
    tb = traceback.extract_tb(e.value.__traceback__)
    assert tb[-1].filename == HERE and tb[-1].lineno == line
    # Between the user's call and the function's body: no frame of xfront's machinery.
    assert not _internal_frames(e.value)


@pytest.mark.parametrize("name,fn", _transformation_errors()[:1] + _transformation_errors()[5:9],
                         ids=[r[0] for r in _transformation_errors()[:1]
                              + _transformation_errors()[5:9]])
def test_errors_in_transformed_functions_keep_internal_frames_when_filtering_is_off(
        monkeypatch, name, fn):
    monkeypatch.setattr(errors, "_filter_tracebacks", False)
    with pytest.raises(TypeError) as e:
        fn()
    assert f"{HERE}:{_line_of('MARK-bad')}" in str(e.value)
    internal = {os.path.basename(fr.filename) for fr in _internal_frames(e.value)}
    assert internal & {"api.py", "autodiff.py", "vectorize.py"}  # the transformation's frames
    assert "xfront" in _last_frame(e.value).filename  # and the primitive's, below the user's


def test_users_own_exception_under_transformations_ends_at_the_raise():
    def f(x):
        raise KeyError("mine")  # MARK-own

    line = _line_of("MARK-own")
    for transform in (xf.jit, xf.grad, xf.vmap, lambda f: xf.jit(xf.vmap(f))):
        with pytest.raises(KeyError) as e:
            transform(f)(xnp.ones(3))
        assert (_last_frame(e.value).filename, _last_frame(e.value).lineno) == (HERE, line)
        assert not _internal_frames(e.value)


def test_users_own_exception_keeps_internal_frames_when_filtering_is_off(monkeypatch):
    monkeypatch.setattr(errors, "_filter_tracebacks", False)

    def f(x):
        raise KeyError("mine")

    with pytest.raises(KeyError) as e:
        xf.jit(f)(xnp.ones(3))
    assert _last_frame(e.value).filename == HERE
    assert any(fr.filename.endswith("api.py") for fr in _internal_frames(e.value))


def test_internal_failures_keep_their_frames():
    # Not an xfront error and not raised by the user's code: where it was raised is kept.
    p = Primitive("test_only_no_rules_under_jit")
    with pytest.raises(NotImplementedError) as e:
        xf.jit(lambda x: p.bind(x))(xnp.ones(2))
    assert "xfront" in _last_frame(e.value).filename


def test_lax_monoids_are_recognized_through_the_boundary():
    from xfront.lax import elementwise

    assert errors.unwrap_boundary(lax.add) is elementwise.add
    assert errors.unwrap_boundary(elementwise.add) is elementwise.add
    assert isinstance(lax.add_p, Primitive) and lax.ConvDimensionNumbers.__module__ != "xfront.lax"
    x = xnp.arange(16.0).reshape(4, 4)
    for op, init, prim in ((lax.add, 0.0, "reduce_window_sum"),
                           (lax.max, -np.inf, "reduce_window_max"),
                           (lax.min, np.inf, "reduce_window_min")):
        ir = str(xf.make_ir(lambda x, i=init, op=op: lax.reduce_window(x, i, op, (2, 2), (2, 2)))(
            x))
        assert prim in ir, ir
    # Reverse mode needs the monoid primitive (a general computation is forward-mode only).
    g = xf.grad(lambda x: lax.reduce_window(x, -np.inf, lax.max, (2, 2), (2, 2)).sum())(x)
    np.testing.assert_array_equal(np.asarray(g)[1::2, 1::2], np.ones((2, 2)))
    # lax functions as bodies of control flow.
    c, ys = lax.scan(lambda c, y: (lax.add(c, y), c), 0.0, xnp.arange(3.0))
    assert float(c) == 3.0 and np.asarray(ys).tolist() == [0.0, 0.0, 1.0]
    assert float(lax.cond(True, lax.neg, lax.abs, 2.0)) == -2.0
    assert np.asarray(lax.associative_scan(lax.add, xnp.arange(4.0))).tolist() == [0, 1, 3, 6]


def test_only_the_users_own_exceptions_lose_xfront_frames():
    import sysconfig
    import traceback

    def make(src, path):
        ns: dict = {}
        exec(compile(src, path, "exec"), ns)
        return ns

    internal_py = os.path.join(os.path.dirname(xf.__file__), "_test_only_internal.py")
    library_py = os.path.join(sysconfig.get_paths()["purelib"], "_test_only_library.py")
    call = make("def call(f):\n    return f()\n", internal_py)["call"]
    library = make("def library():\n    raise ValueError('library')\n", library_py)["library"]

    def user():
        raise ValueError("user")

    def files_after_boundary(f):
        try:
            call(f)
        except ValueError as e:
            errors.drop_internal_frames(e)
            return [fr.filename for fr in traceback.extract_tb(e.__traceback__)]

    # Raised by the user's function that xfront called: xfront's frame goes.
    assert internal_py not in files_after_boundary(user)
    # Raised in a library xfront called (a failure of xfront's): every frame stays.
    assert files_after_boundary(library)[-2:] == [internal_py, library_py]
