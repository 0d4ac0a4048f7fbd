"""``xfront.numpy.fft``: NumPy's discrete Fourier transforms (``jax.numpy.fft``'s counterpart).

Every transform is one or two ``lax.fft`` calls (XLA transforms at most 3 trailing dimensions at
once; more axes are done in groups) with the transformed axes moved last, the input zero-padded
or cropped to ``n``/``s`` first, and the ``norm`` scaling applied after: "backward" (the default:
the inverse divides by N), "ortho" (both by sqrt(N)) or "forward" (the forward divides by N).

dtypes as ``jax.numpy.fft``: integer and low-precision float inputs become the default float
type; complex results are complex64 (complex128 with x64 enabled and 64-bit inputs).
"""

from __future__ import annotations

import math
import operator

import numpy as np

from xfront import lax
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, get_aval
from xfront.lax.elementwise import _convert_element_type
from xfront.lax.fft import FftType
from xfront.numpy._creation import arange, asarray
from xfront.numpy._util import check_arraylike

__all__ = [
    "fft",
    "fft2",
    "fftfreq",
    "fftn",
    "fftshift",
    "hfft",
    "ifft",
    "ifft2",
    "ifftn",
    "ifftshift",
    "ihfft",
    "irfft",
    "irfft2",
    "irfftn",
    "rfft",
    "rfft2",
    "rfftfreq",
    "rfftn",
]

_NORMS = (None, "backward", "ortho", "forward")


def _check_norm(name: str, norm):
    if norm not in _NORMS:
        raise XfrontValueError(
            f'{name}: invalid norm value {norm!r}; should be "backward", "ortho" or "forward"')
    return "backward" if norm is None else norm


def _swap_direction(norm):
    return {None: "forward", "backward": "forward", "ortho": "ortho",
            "forward": "backward"}[norm]


def _static_int(name: str, what: str, v) -> int:
    if isinstance(v, Tracer):
        raise XfrontTypeError(f"{name}: {what} must be a static Python int, got a traced value")
    try:
        return operator.index(v)
    except TypeError:
        raise XfrontTypeError(f"{name}: {what} must be an int, got {v!r}") from None


def _input_dtype(name: str, x, real_input: bool):
    """The dtype the transform runs in: complex for FFT/IFFT/IRFFT, real for RFFT."""
    dt = get_aval(x).dtype
    if real_input:
        if dtypes.is_complex(dt):
            raise XfrontTypeError(
                f"{name} requires a real input, got {dt} (use fft/fftn for complex inputs)")
        if not dtypes.is_float(dt):
            return dtypes.default_float_dtype()
        return dtypes.float64 if dt == dtypes.float64 else dtypes.float32
    if dtypes.is_complex(dt):
        return dt
    if dt == dtypes.float64:
        return dtypes.complex128
    if dtypes.is_float(dt):
        return dtypes.complex64
    return dtypes.complex_dtype(dtypes.default_float_dtype())


def _fft_core(name: str, fft_type: FftType, a, s, axes, norm):
    check_arraylike(name, a)
    norm = _check_norm(name, norm)
    a = asarray(a)
    ndim = a.ndim
    if s is not None:
        s = tuple(_static_int(name, "s", n) for n in s)
        if any(n < 1 for n in s):
            raise XfrontValueError(f"{name}: invalid number of data points {s} specified")
    if axes is None:
        axes = tuple(range(ndim)) if s is None else tuple(range(ndim - len(s), ndim))
    axes = tuple(_static_int(name, "axes", ax) for ax in axes)
    if not axes:
        raise XfrontValueError(f"{name}: no axes to transform")
    for ax in axes:
        if not -ndim <= ax < ndim:
            raise XfrontValueError(
                f"{name}: axis {ax} is out of bounds for an array of dimension {ndim} "
                f"(shape {a.shape})")
    axes = tuple(ax % ndim for ax in axes)
    if len(set(axes)) != len(axes):
        raise XfrontValueError(f"{name}: repeated axes {axes} are not supported")
    if s is not None and len(s) != len(axes):
        raise XfrontValueError(
            f"{name}: shape s={s} and axes={axes} must have the same length")
    if s is None:
        s = tuple(a.shape[ax] for ax in axes)
        if fft_type == FftType.IRFFT:
            s = s[:-1] + (2 * (s[-1] - 1),)
        if any(n < 1 for n in s):
            raise XfrontValueError(
                f"{name}: invalid number of data points {s} for an input of shape {a.shape}")

    dt = _input_dtype(name, a, fft_type == FftType.RFFT)
    a = lax.convert_element_type(a, dt)

    # Zero-pad or crop each transformed axis to the size the transform reads.
    in_sizes = list(s)
    if fft_type == FftType.IRFFT:
        in_sizes[-1] = s[-1] // 2 + 1
    config = [(0, 0, 0)] * ndim
    for ax, size in zip(axes, in_sizes):
        config[ax] = (0, size - a.shape[ax], 0)
    if any(c != (0, 0, 0) for c in config):
        a = lax.pad(a, _convert_element_type(0, dt, weak_type=False), config)

    # Move the transformed axes last, in the order given.
    rest = [d for d in range(ndim) if d not in axes]
    perm = (*rest, *axes)
    if perm != tuple(range(ndim)):
        a = lax.transpose(a, perm)
    a = _transform(a, fft_type, s)
    if perm != tuple(range(ndim)):
        a = lax.transpose(a, tuple(int(i) for i in np.argsort(perm)))

    total = math.prod(s)
    forward = fft_type in (FftType.FFT, FftType.RFFT)
    if norm == "ortho":
        factor = 1 / math.sqrt(total) if forward else math.sqrt(total)
    elif norm == "forward":
        factor = 1 / total if forward else total
    else:
        factor = 1.0
    if factor != 1.0:
        a = lax.mul(a, _convert_element_type(factor, get_aval(a).dtype, weak_type=True))
    return a


def _transform(a, fft_type: FftType, s):
    """``lax.fft`` over the trailing ``len(s)`` axes, in groups of at most three."""
    k = len(s)
    if k <= 3:
        return lax.fft(a, fft_type, s)
    if fft_type == FftType.RFFT:
        # Real transform of the last three axes, then complex transforms of the rest.
        a = lax.fft(a, FftType.RFFT, s[-3:])
        return _complex_groups(a, FftType.FFT, s[:-3], trailing=3)
    if fft_type == FftType.IRFFT:
        a = _complex_groups(a, FftType.IFFT, s[:-3], trailing=3)
        return lax.fft(a, FftType.IRFFT, s[-3:])
    a = lax.fft(a, fft_type, s[-3:])
    return _complex_groups(a, fft_type, s[:-3], trailing=3)


def _complex_groups(a, fft_type: FftType, s, trailing: int):
    """Complex transforms of the ``len(s)`` axes just before the last ``trailing`` ones."""
    nd = get_aval(a).ndim
    while s:
        group, s = s[-3:], s[:-3]
        k = len(group)
        # Rotate the group to the end, transform, rotate back.
        start = nd - trailing - k
        perm = (*range(start), *range(start + k, nd), *range(start, start + k))
        a = lax.transpose(a, perm)
        a = lax.fft(a, fft_type, group)
        a = lax.transpose(a, tuple(int(i) for i in np.argsort(perm)))
        trailing += k
    return a


def _one_axis(name, fft_type, a, n, axis, norm):
    s = None if n is None else (n,)
    if n is not None:
        _static_int(name, "n", n)
    return _fft_core(name, fft_type, a, s, (axis,), norm)


def fft(a, n=None, axis: int = -1, norm=None):
    """The one-dimensional DFT of ``a`` along ``axis`` (numpy.fft.fft): ``stablehlo.fft``."""
    return _one_axis("fft", FftType.FFT, a, n, axis, norm)


def ifft(a, n=None, axis: int = -1, norm=None):
    """The one-dimensional inverse DFT (numpy.fft.ifft)."""
    return _one_axis("ifft", FftType.IFFT, a, n, axis, norm)


def rfft(a, n=None, axis: int = -1, norm=None):
    """The DFT of a real input, non-negative frequencies only (numpy.fft.rfft)."""
    return _one_axis("rfft", FftType.RFFT, a, n, axis, norm)


def irfft(a, n=None, axis: int = -1, norm=None):
    """The inverse of ``rfft``: a real result of length ``n`` (default 2 * (m - 1))
    (numpy.fft.irfft)."""
    return _one_axis("irfft", FftType.IRFFT, a, n, axis, norm)


def hfft(a, n=None, axis: int = -1, norm=None):
    """The DFT of a Hermitian-symmetric signal given by its first half: a real spectrum
    (numpy.fft.hfft)."""
    _check_norm("hfft", norm)
    check_arraylike("hfft", a)
    a = asarray(a)
    conj = lax.conj(lax.convert_element_type(a, _input_dtype("hfft", a, False)))
    return _one_axis("hfft", FftType.IRFFT, conj, n, axis, _swap_direction(norm))


def ihfft(a, n=None, axis: int = -1, norm=None):
    """The inverse of ``hfft``: the first half of a Hermitian spectrum (numpy.fft.ihfft)."""
    _check_norm("ihfft", norm)
    return lax.conj(_one_axis("ihfft", FftType.RFFT, a, n, axis, _swap_direction(norm)))


def fftn(a, s=None, axes=None, norm=None):
    """The n-dimensional DFT over ``axes`` (default: all, or the last ``len(s)``)
    (numpy.fft.fftn)."""
    return _fft_core("fftn", FftType.FFT, a, s, axes, norm)


def ifftn(a, s=None, axes=None, norm=None):
    """The n-dimensional inverse DFT (numpy.fft.ifftn)."""
    return _fft_core("ifftn", FftType.IFFT, a, s, axes, norm)


def rfftn(a, s=None, axes=None, norm=None):
    """The n-dimensional DFT of a real input; the last axis keeps non-negative frequencies
    (numpy.fft.rfftn)."""
    return _fft_core("rfftn", FftType.RFFT, a, s, axes, norm)


def irfftn(a, s=None, axes=None, norm=None):
    """The inverse of ``rfftn`` (numpy.fft.irfftn)."""
    return _fft_core("irfftn", FftType.IRFFT, a, s, axes, norm)


def _check_2d_axes(name, axes):
    if axes is not None and len(tuple(axes)) != 2:
        raise XfrontValueError(f"{name}: axes must have two entries, got {axes!r}")


def fft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional DFT (numpy.fft.fft2)."""
    _check_2d_axes("fft2", axes)
    return _fft_core("fft2", FftType.FFT, a, s, axes, norm)


def ifft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional inverse DFT (numpy.fft.ifft2)."""
    _check_2d_axes("ifft2", axes)
    return _fft_core("ifft2", FftType.IFFT, a, s, axes, norm)


def rfft2(a, s=None, axes=(-2, -1), norm=None):
    """The two-dimensional DFT of a real input (numpy.fft.rfft2)."""
    _check_2d_axes("rfft2", axes)
    return _fft_core("rfft2", FftType.RFFT, a, s, axes, norm)


def irfft2(a, s=None, axes=(-2, -1), norm=None):
    """The inverse of ``rfft2`` (numpy.fft.irfft2)."""
    _check_2d_axes("irfft2", axes)
    return _fft_core("irfft2", FftType.IRFFT, a, s, axes, norm)


# ----------------------------------------------------------------------------------------------
# Frequencies and shifts.


def _freq_dtype(dtype):
    if dtype is None:
        return dtypes.default_float_dtype()
    dt = dtypes.canonicalize_dtype(dtypes.dtype(dtype))
    if not dtypes.is_inexact(dt):
        raise XfrontTypeError(f"fftfreq: dtype must be a floating or complex type, got {dt}")
    return dt


def fftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of an n-point DFT with sample spacing ``d``:
    ``[0, 1, ..., ceil(n/2) - 1, -floor(n/2), ..., -1] / (d * n)`` (numpy.fft.fftfreq)."""
    n = _static_int("fftfreq", "n", n)
    if n < 1:
        raise XfrontValueError(f"fftfreq: n must be positive, got {n}")
    dt = _freq_dtype(dtype)
    k = np.concatenate([np.arange(0, (n - 1) // 2 + 1), np.arange(-(n // 2), 0)])
    return _scaled(asarray(k, dtype=dt), d, n, dt)


def rfftfreq(n, d=1.0, *, dtype=None, device=None):
    """The sample frequencies of ``rfft``: ``[0, 1, ..., n // 2] / (d * n)``
    (numpy.fft.rfftfreq)."""
    n = _static_int("rfftfreq", "n", n)
    if n < 1:
        raise XfrontValueError(f"rfftfreq: n must be positive, got {n}")
    dt = _freq_dtype(dtype)
    return _scaled(arange(0, n // 2 + 1, dtype=dt), d, n, dt)


def _scaled(k, d, n, dt):
    if isinstance(d, int | float) and not isinstance(d, bool):
        return lax.mul(k, _convert_element_type(1.0 / (d * n), dt, weak_type=True))
    d = lax.convert_element_type(asarray(d), dt)
    if get_aval(d).shape != ():
        raise XfrontTypeError(f"fftfreq: d must be a scalar, got shape {get_aval(d).shape}")
    return lax.div(k, lax.mul(d, _convert_element_type(float(n), dt, weak_type=True)))


def _roll_axes(name, x, axes, shift_of):
    check_arraylike(name, x)
    x = asarray(x)
    if axes is None:
        axes = tuple(range(x.ndim))
    elif isinstance(axes, int | np.integer):
        axes = (int(axes),)
    for ax in axes:
        ax = _static_int(name, "axes", ax)
        if not -x.ndim <= ax < x.ndim:
            raise XfrontValueError(
                f"{name}: axis {ax} is out of bounds for an array of dimension {x.ndim}")
        ax %= x.ndim
        size = x.shape[ax]
        k = shift_of(size) % size if size else 0
        if k:
            head = lax.slice_in_dim(x, size - k, size, axis=ax)
            tail = lax.slice_in_dim(x, 0, size - k, axis=ax)
            x = lax.concatenate([head, tail], ax)
    return x


def fftshift(x, axes=None):
    """Moves the zero-frequency term to the center (numpy.fft.fftshift)."""
    return _roll_axes("fftshift", x, axes, lambda n: n // 2)


def ifftshift(x, axes=None):
    """The inverse of ``fftshift`` (numpy.fft.ifftshift)."""
    return _roll_axes("ifftshift", x, axes, lambda n: -(n // 2))
