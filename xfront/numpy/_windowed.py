"""Cumulative reductions and 1-D convolutions of ``xfront.numpy``: cumsum, cumprod,
cumulative_sum, cumulative_prod, nancumsum, nancumprod, convolve, correlate (JAX's semantics:
cumsum keeps integer dtypes except bool; convolve/correlate promote to inexact)."""

from __future__ import annotations

import numpy as np

from xfront import lax
from xfront.core import dtypes
from xfront.core.errors import XfrontValueError
from xfront.core.trace import get_aval
from xfront.numpy._util import (
    canonical_axis,
    check_arraylike,
    check_no_out,
    ensure_traced,
    promote_dtypes,
    promote_dtypes_inexact,
)

__all__ = [
    "convolve",
    "correlate",
    "cumprod",
    "cumsum",
    "cumulative_prod",
    "cumulative_sum",
    "nancumprod",
    "nancumsum",
]


def _promote_integer_dtype(dt: np.dtype) -> np.dtype:
    """bool and narrow integers accumulate in the default integer type of their signedness."""
    if dtypes.is_bool(dt):
        return dtypes.default_int_dtype()
    if dtypes.is_unsigned_int(dt):
        wide = dtypes.default_uint_dtype()
        return wide if dt.itemsize < wide.itemsize else dt
    if dtypes.is_signed_int(dt):
        wide = dtypes.default_int_dtype()
        return wide if dt.itemsize < wide.itemsize else dt
    return dt


def _cumulative(name, reduction, a, axis, dtype, out, *, fill_nan=False, fill_value=0,
                promote_integers=False):
    check_arraylike(name, a)
    check_no_out(name, out)
    a = ensure_traced(a)
    aval = get_aval(a)
    if axis is None or aval.ndim == 0:
        a = lax.reshape(a, (aval.size,))
    axis = 0 if axis is None else canonical_axis(axis, get_aval(a).ndim, name)
    dt = get_aval(a).dtype
    if fill_nan and dtypes.is_inexact(dt):
        a = lax.select(lax.ne(a, a), lax.full_like(a, fill_value), a)
    if dtype is None:
        result = _promote_integer_dtype(dt) if promote_integers or dtypes.is_bool(dt) else dt
        compute = result
    else:
        result = dtypes.canonicalize_dtype(dtypes.dtype(dtype))
        if dtypes.is_bool(result):
            # Accumulate bools as integers, of the values' truth (so -1 and 1 do not cancel).
            if not dtypes.is_bool(dt):
                a = lax.ne(a, lax.full_like(a, 0))
            compute = _promote_integer_dtype(result)
        else:
            compute = result
    a = lax.convert_element_type(a, compute)
    return lax.convert_element_type(reduction(a, axis), result)


def cumsum(a, axis=None, dtype=None, out=None):
    """Cumulative sum along ``axis`` (of the flattened array if None) (``numpy.cumsum``)."""
    return _cumulative("cumsum", lax.cumsum, a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product along ``axis`` (of the flattened array if None)
    (``numpy.cumprod``)."""
    return _cumulative("cumprod", lax.cumprod, a, axis, dtype, out)


def nancumsum(a, axis=None, dtype=None, out=None):
    """Cumulative sum treating NaNs as zero (``numpy.nancumsum``)."""
    return _cumulative("nancumsum", lax.cumsum, a, axis, dtype, out, fill_nan=True,
                       fill_value=0)


def nancumprod(a, axis=None, dtype=None, out=None):
    """Cumulative product treating NaNs as one (``numpy.nancumprod``)."""
    return _cumulative("nancumprod", lax.cumprod, a, axis, dtype, out, fill_nan=True,
                       fill_value=1)


def _cumulative_api(name, reduction, identity, x, axis, dtype, include_initial,
                    promote_integers):
    check_arraylike(name, x)
    x = ensure_traced(x)
    aval = get_aval(x)
    if aval.ndim == 0:
        raise XfrontValueError(f"{name}: the input must not be a scalar (got shape ())")
    if axis is None:
        if aval.ndim > 1:
            raise XfrontValueError(
                f"{name}: axis must be given for an input of rank {aval.ndim} (shape "
                f"{aval.shape}); it is only optional for one-dimensional arrays")
        axis = 0
    axis = canonical_axis(axis, aval.ndim, name)
    out = _cumulative(name, reduction, x, axis, dtype, None,
                      promote_integers=promote_integers)
    if include_initial:
        shape = list(aval.shape)
        shape[axis] = 1
        out_dt = get_aval(out).dtype
        out = lax.concatenate([lax.full(tuple(shape), identity, out_dt), out], axis)
    return out


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial: bool = False):
    """Cumulative sum (array API, ``numpy.cumulative_sum``): ``axis`` is required beyond 1-D;
    ``include_initial`` prepends a zero; narrow integers accumulate in the default integer
    type."""
    return _cumulative_api("cumulative_sum", lax.cumsum, 0, x, axis, dtype, include_initial,
                           True)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial: bool = False):
    """Cumulative product (array API, ``numpy.cumulative_prod``): ``include_initial``
    prepends a one."""
    return _cumulative_api("cumulative_prod", lax.cumprod, 1, x, axis, dtype, include_initial,
                           False)


def _conv1d(name, x, y, mode, precision, preferred_element_type):
    check_arraylike(name, x, y)
    if get_aval(x).ndim != 1 or get_aval(y).ndim != 1:
        raise XfrontValueError(
            f"{name}() only supports 1-dimensional inputs, got shapes {get_aval(x).shape} and "
            f"{get_aval(y).shape}")
    if preferred_element_type is None:
        x, y = promote_dtypes_inexact(x, y)
    else:
        x, y = promote_dtypes(x, y)
    x, y = ensure_traced(x), ensure_traced(y)
    nx, ny = get_aval(x).shape[0], get_aval(y).shape[0]
    if nx == 0 or ny == 0:
        raise XfrontValueError(
            f"{name}: inputs cannot be empty, got shapes {get_aval(x).shape} and "
            f"{get_aval(y).shape}")
    reverse_out = False
    if name == "correlate":
        if dtypes.is_complex(get_aval(y).dtype):
            y = lax.conj(y)
        if nx < ny:
            x, y, reverse_out = y, x, True
    else:
        if nx < ny:
            x, y = y, x
        y = lax.rev(y, (0,))
    k = get_aval(y).shape[0]
    if mode == "valid":
        padding = [(0, 0)]
    elif mode == "same":
        padding = [(k // 2, k - k // 2 - 1)]
    elif mode == "full":
        padding = [(k - 1, k - 1)]
    else:
        raise XfrontValueError(f"{name}: mode must be 'full', 'same' or 'valid', got {mode!r}")
    n = get_aval(x).shape[0]
    out = lax.conv_general_dilated(lax.reshape(x, (1, 1, n)), lax.reshape(y, (1, 1, k)), (1,),
                                   padding, precision=precision,
                                   preferred_element_type=preferred_element_type)
    out = lax.reshape(out, (get_aval(out).shape[2],))
    return lax.rev(out, (0,)) if reverse_out else out


def convolve(a, v, mode: str = "full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-D arrays (``numpy.convolve``), via
    ``lax.conv_general_dilated``; modes 'full', 'same', 'valid'."""
    return _conv1d("convolve", a, v, mode, precision, preferred_element_type)


def correlate(a, v, mode: str = "valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation of two 1-D arrays, ``c[k] = sum_n a[n+k] * conj(v[n])``
    (``numpy.correlate``), via ``lax.conv_general_dilated``; modes 'full', 'same', 'valid'."""
    return _conv1d("correlate", a, v, mode, precision, preferred_element_type)
