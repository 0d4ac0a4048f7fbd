"""The discrete Fourier transform over the trailing dimensions: ``stablehlo.fft``.

One primitive, ``fft``, with four kinds (``FftType``): FFT (complex -> complex), IFFT (its
inverse, scaled by 1/N), RFFT (real -> the non-negative half of the spectrum, last dimension
n//2 + 1) and IRFFT (that half spectrum -> real, last dimension n). ``fft_lengths`` names the
sizes of the 1 to 3 trailing dimensions transformed; the leading dimensions are a batch.

All four are linear. Transposes (JAX's convention: the cotangent pairing is Re(a * b), no
conjugation): the DFT matrix is symmetric, so FFT and IFFT are their own transposes; RFFT is
"promote to complex, FFT, keep the first half", whose transpose is "zero-pad the half, FFT, take
the real part"; IRFFT is Re(A c) with A the inverse DFT applied to the Hermitian extension of c,
whose transpose is conj(RFFT(ct)) / N with the bins that stand for two conjugate bins (all but
bin 0 and, for even n, bin n/2) doubled.

StableHLO emission: ``lowering/rules/fft.py``.
"""

from __future__ import annotations

import enum

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive, get_aval
from xfront.interpreters import ad, batching
from xfront.lax.utils import int_tuple

__all__ = ["FftType", "fft", "fft_p"]


class FftType(enum.IntEnum):
    """The kind of transform (XLA's numbering)."""

    FFT = 0
    IFFT = 1
    RFFT = 2
    IRFFT = 3

    @classmethod
    def from_any(cls, fft_type) -> FftType:
        if isinstance(fft_type, cls):
            return fft_type
        if isinstance(fft_type, str) and fft_type.upper() in cls.__members__:
            return cls[fft_type.upper()]
        if isinstance(fft_type, int) and not isinstance(fft_type, bool) and 0 <= fft_type <= 3:
            return cls(fft_type)
        raise XfrontTypeError(
            f"fft: unknown fft_type {fft_type!r}; expected an xfront.lax.FftType (FFT, IFFT, "
            "RFFT, IRFFT) or one of the strings 'fft', 'ifft', 'rfft', 'irfft'")


def fft(x, fft_type, fft_lengths):
    """The DFT of the trailing ``len(fft_lengths)`` dimensions of ``x`` (1 to 3 of them):
    ``stablehlo.fft``.

    Args:
      x: complex for FFT, IFFT and IRFFT; real floating for RFFT.
      fft_type: an ``FftType`` (or its name).
      fft_lengths: the logical sizes of the transformed dimensions. For IRFFT the last one is
        the length of the real output (the input's last dimension is ``n // 2 + 1``).
    """
    typ = FftType.from_any(fft_type)
    if isinstance(fft_lengths, int):
        fft_lengths = (fft_lengths,)
    lengths = int_tuple(fft_lengths, "fft", "fft_lengths")
    return fft_p.bind(x, fft_type=typ, fft_lengths=lengths)


fft_p = Primitive("fft")


@fft_p.def_abstract_eval
def _fft_abstract_eval(x: ShapedArray, *, fft_type, fft_lengths):
    k = len(fft_lengths)
    name = f"fft ({fft_type.name})"
    if not 1 <= k <= 3:
        raise XfrontValueError(
            f"{name}: fft_lengths must name 1 to 3 trailing dimensions, got {fft_lengths}")
    if any(n < 1 for n in fft_lengths):
        raise XfrontValueError(f"{name}: fft_lengths must be positive, got {fft_lengths}")
    if x.ndim < k:
        raise XfrontTypeError(
            f"{name}: operand {x.str_short()} has fewer dimensions than fft_lengths "
            f"{fft_lengths}")
    lead, tail = x.shape[:-k], x.shape[-k:]
    if fft_type == FftType.RFFT:
        if not dtypes.is_float(x.dtype) or x.dtype not in (dtypes.float32, dtypes.float64):
            raise XfrontTypeError(
                f"{name}: operand must be float32 or float64, got {x.str_short()}")
        if tail != fft_lengths:
            raise XfrontTypeError(
                f"{name}: the trailing dimensions of {x.str_short()} must equal fft_lengths "
                f"{fft_lengths}")
        shape = (*lead, *fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
        return ShapedArray(shape, dtypes.complex_dtype(x.dtype), False)
    if x.dtype not in (dtypes.complex64, dtypes.complex128):
        raise XfrontTypeError(
            f"{name}: operand must be complex64 or complex128, got {x.str_short()}")
    if fft_type == FftType.IRFFT:
        want = (*fft_lengths[:-1], fft_lengths[-1] // 2 + 1)
        if tail != want:
            raise XfrontTypeError(
                f"{name}: the trailing dimensions of {x.str_short()} must be {want} for "
                f"fft_lengths {fft_lengths} (the last one is n // 2 + 1)")
        return ShapedArray((*lead, *fft_lengths), dtypes.real_dtype(x.dtype), False)
    if tail != fft_lengths:
        raise XfrontTypeError(
            f"{name}: the trailing dimensions of {x.str_short()} must equal fft_lengths "
            f"{fft_lengths}")
    return ShapedArray(x.shape, x.dtype, False)


def _irfft_transpose_mask(ct_aval: ShapedArray, fft_lengths, out_dtype):
    """1/N, doubled for the half-spectrum bins that stand for two conjugate bins."""
    from xfront.lax.elementwise import _const, bitwise_or, convert_element_type, eq, select
    from xfront.lax.structural import broadcasted_iota

    n = fft_lengths[-1]
    m = n // 2 + 1
    shape = (*ct_aval.shape[:-len(fft_lengths)], *fft_lengths[:-1], m)
    idx = broadcasted_iota(dtypes.int32, shape, len(shape) - 1)
    single = eq(idx, _const(idx, 0))
    if n % 2 == 0:
        single = bitwise_or(single, eq(idx, _const(idx, m - 1)))
    total = 1
    for s in fft_lengths:
        total *= s
    real_dt = dtypes.real_dtype(out_dtype)
    scale = select(single, _const(convert_element_type(idx, real_dt), 1 / total),
                   _const(convert_element_type(idx, real_dt), 2 / total))
    return convert_element_type(scale, out_dtype)


def _fft_transpose(ct, x, *, fft_type, fft_lengths):
    from xfront.lax.elementwise import _const, conj, mul, real
    from xfront.lax.structural import pad

    if type(ct) is ad.Zero:
        return [ad.Zero(x.aval)]
    if fft_type in (FftType.FFT, FftType.IFFT):
        return [fft_p.bind(ct, fft_type=fft_type, fft_lengths=fft_lengths)]
    if fft_type == FftType.RFFT:
        ct_aval = get_aval(ct)
        m = ct_aval.shape[-1]
        config = [(0, 0, 0)] * (ct_aval.ndim - 1) + [(0, fft_lengths[-1] - m, 0)]
        full = pad(ct, _const(ct, 0), config)
        return [real(fft_p.bind(full, fft_type=FftType.FFT, fft_lengths=fft_lengths))]
    # IRFFT
    spectrum = fft_p.bind(ct, fft_type=FftType.RFFT, fft_lengths=fft_lengths)
    mask = _irfft_transpose_mask(get_aval(ct), fft_lengths, get_aval(spectrum).dtype)
    return [mul(conj(spectrum), mask)]


ad.deflinear(fft_p, _fft_transpose)


def _fft_batch(args, dims, *, fft_type, fft_lengths):
    (x,), (d,) = args, dims
    k = len(fft_lengths)
    nd = get_aval(x).ndim
    if d >= nd - k:  # the batch dimension is among the transformed ones: move it to the front
        x, d = batching.moveaxis(x, d, 0), 0
    return fft_p.bind(x, fft_type=fft_type, fft_lengths=fft_lengths), d


batching.batch_rules[fft_p] = _fft_batch
