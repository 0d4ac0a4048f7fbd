"""Operators and NumPy-style methods for ``xfront.Array`` and every tracer.

Installed once on both classes, so ``x + y`` or ``x.sum()`` run the same ``xfront.numpy`` code
eagerly and under any transformation.
"""

from __future__ import annotations

import types

import numpy as np

from xfront import lax
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.errors import api_boundary
from xfront.core.ir import Literal
from xfront.core.trace import Tracer, concretization_error
from xfront.numpy import (
    _index_fns,
    _indexing,
    _manipulation,
    _products,
    _reductions,
    _shape,
    _sorting,
    _ufuncs,
)

_operand_types = (Array, Tracer, np.ndarray, np.generic, Literal, int, float, complex, bool)


def _binop(fn, reflected: bool = False):
    def op(self, other):
        if not isinstance(other, _operand_types):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    op.__name__ = fn.__name__
    return op


_noncanonical = dtypes.noncanonical


def _fast_add(self, other):
    # x + y on equal-typed arrays skips the promotion machinery (eager hot path).
    if type(other) is type(self) and (other.aval is self.aval or other.aval == self.aval) and (
            self.aval.dtype not in _noncanonical):
        return lax.add_p.bind(self, other) if self.aval.dtype != dtypes.bool_ else (
            _ufuncs.add(self, other))
    if not isinstance(other, _operand_types):
        return NotImplemented
    return _ufuncs.add(self, other)


def _fast_mul(self, other):
    if type(other) is type(self) and (other.aval is self.aval or other.aval == self.aval) and (
            self.aval.dtype not in _noncanonical):
        return lax.mul_p.bind(self, other) if self.aval.dtype != dtypes.bool_ else (
            _ufuncs.multiply(self, other))
    if not isinstance(other, _operand_types):
        return NotImplemented
    return _ufuncs.multiply(self, other)


def _getitem(self, idx):
    return _indexing.getitem(self, idx)


def _at(self):
    return _indexing._IndexUpdateHelper(self)


def _take(self, indices, axis=None, out=None, mode=None, unique_indices=False,
          indices_are_sorted=False, fill_value=None):
    return _index_fns.take(self, indices, axis, out, mode, unique_indices, indices_are_sorted,
                           fill_value)


def _nonzero(self, *, size=None, fill_value=None):
    return _index_fns.nonzero(self, size=size, fill_value=fill_value)


def _compress(self, condition, axis=None, *, size=None, fill_value=0, out=None):
    return _index_fns.compress(condition, self, axis, size=size, fill_value=fill_value, out=out)


def _choose(self, choices, out=None, mode="raise"):
    return _index_fns.choose(self, choices, out, mode)


def _searchsorted(self, v, side="left", sorter=None, *, method="scan"):
    import xfront.numpy as xnp

    return xnp.searchsorted(self, v, side=side, sorter=sorter, method=method)


def _setitem(self, idx, value):
    raise TypeError(
        f"xfront arrays are immutable: '{type(self).__name__}' object does not support item "
        "assignment. Instead of x[idx] = y, use x = x.at[idx].set(y) (or .add, .multiply, "
        "... for x[idx] += y and friends)")


def _astype(self, dtype, copy: bool = False, device=None):
    out = lax.convert_element_type(self, dtype)
    return lax.copy(out) if copy and out is self else out


def _reshape(self, *shape, order="C"):
    if len(shape) == 1 and not isinstance(shape[0], int | np.integer):
        shape = shape[0]
    return _shape.reshape(self, shape, order)


def _transpose(self, *axes):
    if not axes or (len(axes) == 1 and axes[0] is None):
        return _shape.transpose(self)
    if len(axes) == 1 and not isinstance(axes[0], int | np.integer):
        axes = axes[0]
    return _shape.transpose(self, axes)


def _T(self):
    return _shape.transpose(self)


def _mT(self):
    return _shape.matrix_transpose(self)


def _copy(self):
    return lax.copy(self)


def _flatten(self, order="C"):
    return _shape.ravel(self, order)


_methods = {
    "__add__": _fast_add,
    "__radd__": _binop(_ufuncs.add, True),
    "__sub__": _binop(_ufuncs.subtract),
    "__rsub__": _binop(_ufuncs.subtract, True),
    "__mul__": _fast_mul,
    "__rmul__": _binop(_ufuncs.multiply, True),
    "__truediv__": _binop(_ufuncs.divide),
    "__rtruediv__": _binop(_ufuncs.divide, True),
    "__floordiv__": _binop(_ufuncs.floor_divide),
    "__rfloordiv__": _binop(_ufuncs.floor_divide, True),
    "__mod__": _binop(_ufuncs.remainder),
    "__rmod__": _binop(_ufuncs.remainder, True),
    "__divmod__": _binop(_ufuncs.divmod),
    "__rdivmod__": _binop(_ufuncs.divmod, True),
    "__pow__": _binop(_ufuncs.power),
    "__rpow__": _binop(_ufuncs.power, True),
    "__matmul__": _binop(_products.matmul),
    "__rmatmul__": _binop(_products.matmul, True),
    "__and__": _binop(_ufuncs.bitwise_and),
    "__rand__": _binop(_ufuncs.bitwise_and, True),
    "__or__": _binop(_ufuncs.bitwise_or),
    "__ror__": _binop(_ufuncs.bitwise_or, True),
    "__xor__": _binop(_ufuncs.bitwise_xor),
    "__rxor__": _binop(_ufuncs.bitwise_xor, True),
    "__lshift__": _binop(_ufuncs.left_shift),
    "__rlshift__": _binop(_ufuncs.left_shift, True),
    "__rshift__": _binop(_ufuncs.right_shift),
    "__rrshift__": _binop(_ufuncs.right_shift, True),
    "__eq__": _binop(_ufuncs.equal),
    "__ne__": _binop(_ufuncs.not_equal),
    "__lt__": _binop(_ufuncs.less),
    "__le__": _binop(_ufuncs.less_equal),
    "__gt__": _binop(_ufuncs.greater),
    "__ge__": _binop(_ufuncs.greater_equal),
    "__neg__": _ufuncs.negative,
    "__pos__": _ufuncs.positive,
    "__abs__": _ufuncs.absolute,
    "__invert__": _ufuncs.invert,
    "__round__": lambda self, ndigits=None: _ufuncs.round(self, ndigits or 0),
    "__getitem__": _getitem,
    "__setitem__": _setitem,
    "at": property(_at),
    "take": _take,
    "nonzero": _nonzero,
    "compress": _compress,
    "choose": _choose,
    "searchsorted": _searchsorted,
    "sort": lambda self, axis=-1, *, kind=None, order=None, stable=True, descending=False:
        _sorting.sort(self, axis, kind=kind, order=order, stable=stable, descending=descending),
    "argsort": lambda self, axis=-1, *, kind=None, order=None, stable=True, descending=False:
        _sorting.argsort(self, axis, kind=kind, order=order, stable=stable,
                         descending=descending),
    "argpartition": lambda self, kth, axis=-1: _sorting.argpartition(self, kth, axis),
    "diagonal": lambda self, offset=0, axis1=0, axis2=1:
        _manipulation.diagonal(self, offset, axis1, axis2),
    "trace": lambda self, offset=0, axis1=0, axis2=1, dtype=None:
        _manipulation.trace(self, offset, axis1, axis2, dtype),
    "repeat": lambda self, repeats, axis=None, *, total_repeat_length=None:
        _manipulation.repeat(self, repeats, axis, total_repeat_length=total_repeat_length),
    "astype": _astype,
    "reshape": _reshape,
    "transpose": _transpose,
    "T": property(_T),
    "mT": property(_mT),
    "copy": _copy,
    "flatten": _flatten,
    "ravel": _flatten,
    "squeeze": lambda self, axis=None: _shape.squeeze(self, axis),
    "swapaxes": lambda self, a1, a2: _shape.swapaxes(self, a1, a2),
    "sum": _reductions.sum,
    "prod": _reductions.prod,
    "mean": _reductions.mean,
    "var": _reductions.var,
    "std": _reductions.std,
    "max": _reductions.max,
    "min": _reductions.min,
    "argmax": _reductions.argmax,
    "argmin": _reductions.argmin,
    "any": _reductions.any,
    "all": _reductions.all,
    "ptp": _reductions.ptp,
    "clip": lambda self, min=None, max=None: _shape.clip(self, min, max),  # noqa: A002
    "round": lambda self, decimals=0: _ufuncs.round(self, decimals),
    "conj": _ufuncs.conjugate,
    "conjugate": _ufuncs.conjugate,
    "dot": lambda self, b, *, precision=None: _products.dot(self, b, precision=precision),
    "real": property(_ufuncs.real),
    "imag": property(_ufuncs.imag),
}


def _concrete_only(name):
    def method(self, *args):
        raise concretization_error(self, f"{name}()")

    method.__name__ = name
    return method


# Array implements these with the value on the host; a traced value has none.
_tracer_methods = {name: _concrete_only(name) for name in ("item", "tolist")}


def install(cls, methods=_methods) -> None:
    for name, fn in methods.items():
        setattr(cls, name, api_boundary(fn) if type(fn) is types.FunctionType else fn)


install(Array)
install(Tracer)
install(Tracer, _tracer_methods)
