"""StableHLO emission of the 'fft' family (mirrors ``xfront/lax/fft.py``)."""

from __future__ import annotations

from lowering.builder import register_lowering
from lowering.mlir import hlo

_FFT_TYPE_NAMES = {0: "FFT", 1: "IFFT", 2: "RFFT", 3: "IRFFT"}


def _fft_lowering(ctx, x, *, fft_type, fft_lengths):
    kind = hlo.FftTypeAttr.get(_FFT_TYPE_NAMES[int(fft_type)])
    return hlo.fft(x, kind, list(fft_lengths), results=[ctx.out_type])


register_lowering("fft", _fft_lowering)
