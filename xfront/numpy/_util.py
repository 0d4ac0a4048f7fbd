"""Argument checking, dtype promotion and NumPy broadcasting for ``xfront.numpy``."""

from __future__ import annotations

import operator

import numpy as np

from xfront import lax
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.ir import Literal
from xfront.core.trace import Tracer, concretization_error, get_aval, lift
from xfront.lax.elementwise import _convert_element_type
from xfront.promotion_checks import check_dtype_promotion, check_rank_promotion

_scalar_types = (int, float, complex, bool, np.generic)
_arraylike_types = (Array, Tracer, np.ndarray, Literal) + _scalar_types


def is_arraylike(x) -> bool:
    return isinstance(x, _arraylike_types)


def check_arraylike(name: str, *args) -> None:
    for i, x in enumerate(args):
        if not isinstance(x, _arraylike_types):
            what = type(x).__name__
            hint = " (convert lists and tuples with xfront.numpy.asarray)" if isinstance(
                x, list | tuple) else ""
            raise XfrontTypeError(
                f"{name} requires ndarray or scalar arguments, got {what} at position {i}{hint}")
        if isinstance(x, np.ndarray) and x.dtype not in dtypes.SUPPORTED:
            get_aval(x)  # raises the invalid-input error naming the dtype


def ensure_traced(x):
    """Host scalars and Literals as values of the current trace (an Array when eager)."""
    return lift(x) if type(x) is Literal or isinstance(x, _scalar_types) else x


def as_traced(x):
    """``ensure_traced``, plus NumPy arrays as arrays of the current trace: results are
    xfront arrays even where a function hands back its (unchanged) input."""
    if isinstance(x, np.ndarray):
        return lift(x)
    return ensure_traced(x)


def static_int(x, name: str, what: str) -> int:
    """``x`` as a Python int; a traced value gets the concretization error naming ``what``."""
    if isinstance(x, Tracer):
        raise concretization_error(x, f"{name}: {what}")
    try:
        return operator.index(x)
    except TypeError:
        raise XfrontTypeError(f"{name}: {what} must be an int, got {x!r}") from None


def promote_dtypes(*args):
    """Converts ``args`` to their common dtype (JAX's lattice; Python scalars are weak)."""
    pairs = [dtypes.dtype_and_weak_type(x) for x in args]
    first = pairs[0]
    if all(p == first for p in pairs[1:]) and first[0] == dtypes.canonicalize_dtype(first[0]):
        return args
    check_dtype_promotion(pairs)  # (numpy_dtype_promotion)
    dt, weak = dtypes.promote_dtype_pairs(pairs)
    return tuple(_convert_element_type(x, dt, weak) for x in args)


def _to_inexact(dt: np.dtype, weak: bool):
    if dtypes.is_inexact(dt):
        return dt, weak
    return dtypes.default_float_dtype(), weak


def promote_dtypes_inexact(*args):
    """Like ``promote_dtypes`` but integers and bools become the default float type."""
    pairs = [dtypes.dtype_and_weak_type(x) for x in args]
    dt, weak = dtypes.promote_dtype_pairs(pairs)
    dt, weak = _to_inexact(dt, weak)
    return tuple(_convert_element_type(x, dt, weak) for x in args)


def promote_dtypes_numeric(*args):
    """Like ``promote_dtypes`` but bools become the default integer type."""
    pairs = [dtypes.dtype_and_weak_type(x) for x in args]
    dt, weak = dtypes.promote_dtype_pairs(pairs)
    if dtypes.is_bool(dt):
        dt = dtypes.default_int_dtype()
    return tuple(_convert_element_type(x, dt, weak) for x in args)


def promote_dtypes_complex(*args):
    pairs = [dtypes.dtype_and_weak_type(x) for x in args]
    dt, weak = dtypes.promote_dtype_pairs(pairs)
    dt, weak = _to_inexact(dt, weak)
    return tuple(_convert_element_type(x, dtypes.complex_dtype(dt), weak) for x in args)


def broadcast_shapes(*shapes) -> tuple[int, ...]:
    """NumPy broadcasting of shapes; a clear ValueError when they are incompatible."""
    shapes = [tuple(s) for s in shapes]
    if len(shapes) == 1:
        return shapes[0]
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(ndim):
        size = 1
        for s in shapes:
            d = s[i - ndim + len(s)] if i - ndim + len(s) >= 0 else 1
            if d != 1:
                if size != 1 and d != size:
                    raise XfrontValueError(
                        "incompatible shapes for broadcasting: "
                        f"{', '.join(str(x) for x in shapes)}")
                size = d
        out.append(size)
    return tuple(out)


def broadcast_to(x, shape):
    """Broadcasts ``x`` to ``shape`` with NumPy's rules."""
    shape = tuple(shape)
    aval = get_aval(x)
    if aval.shape == shape:
        return ensure_traced(x) if type(x) is Literal else x
    if aval.ndim > len(shape):
        raise XfrontValueError(f"cannot broadcast an array of shape {aval.shape} to {shape}")
    lead = len(shape) - aval.ndim
    for i, d in enumerate(aval.shape):
        if d != 1 and d != shape[lead + i]:
            raise XfrontValueError(
                f"cannot broadcast an array of shape {aval.shape} to shape {shape}")
    keep = [i for i, d in enumerate(aval.shape) if d == shape[lead + i]]
    if len(keep) != aval.ndim:
        x = lax.reshape(x, tuple(aval.shape[i] for i in keep))
    return lax.broadcast_in_dim(x, shape, tuple(lead + i for i in keep))


def promote_shapes(name: str, *args):
    """Broadcasts non-scalar ``args`` to their common shape (scalars stay rank 0: elementwise
    primitives broadcast them)."""
    shapes = [get_aval(x).shape for x in args]
    first = shapes[0]
    if all(s == first for s in shapes[1:]):
        return args
    check_rank_promotion(name, shapes)  # (numpy_rank_promotion)
    nonscalar = [s for s in shapes if s]
    try:
        result = broadcast_shapes(*nonscalar) if nonscalar else ()
    except XfrontValueError:
        raise XfrontValueError(
            f"{name}: operands could not be broadcast together with shapes "
            f"{' '.join(str(s) for s in shapes)}") from None
    return tuple(x if (not s or s == result) else broadcast_to(x, result)
                 for x, s in zip(args, shapes))


def promote_args(name: str, *args):
    """``check_arraylike`` + ``promote_dtypes`` + ``promote_shapes``."""
    check_arraylike(name, *args)
    return promote_shapes(name, *promote_dtypes(*args))


def promote_args_inexact(name: str, *args):
    check_arraylike(name, *args)
    return promote_shapes(name, *promote_dtypes_inexact(*args))


def promote_args_numeric(name: str, *args):
    check_arraylike(name, *args)
    return promote_shapes(name, *promote_dtypes_numeric(*args))


def canonical_axis(axis, ndim: int, name: str) -> int:
    try:
        axis = int(axis)
    except TypeError:
        raise XfrontTypeError(f"{name}: axis must be an int, got {axis!r}") from None
    if not -ndim <= axis < ndim:
        raise XfrontValueError(
            f"{name}: axis {axis} is out of bounds for an array of dimension {ndim}")
    return axis % ndim


def canonical_axes(axis, ndim: int, name: str) -> tuple[int, ...]:
    """``axis`` (None, an int, or a sequence) as a sorted tuple of non-negative axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int | np.integer):
        return (canonical_axis(axis, ndim, name),)
    out = tuple(canonical_axis(a, ndim, name) for a in axis)
    if len(set(out)) != len(out):
        raise XfrontValueError(f"{name}: repeated axis in {tuple(axis)}")
    return tuple(sorted(out))


def check_no_out(name: str, out) -> None:
    if out is not None:
        raise XfrontTypeError(
            f"{name}: the 'out' argument is not supported: xfront arrays are immutable; use the "
            "return value (and x.at[...].set(...) for updates)")
