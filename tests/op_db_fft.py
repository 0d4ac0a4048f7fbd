"""Op-table rows of the fft family (``xfront/lax/fft.py``): each kind of ``lax.fft`` over one,
two and three trailing dimensions against NumPy's FFTs."""

from __future__ import annotations

import numpy as np

from tests.op_db import OpInfo, c64, f32
from xfront import lax

_FT = lax.FftType
_TOL = {f32: (1e-5, 1e-5), c64: (1e-5, 1e-5)}
_c = lambda dt: c64  # noqa: E731
_r = lambda dt: f32  # noqa: E731

OPS = [
    OpInfo("fft_fft", "fft", lambda x: lax.fft(x, _FT.FFT, x.shape[-1:]),
           lambda x: np.fft.fft(x), (c64,), ((5,), (2, 6)), tol=_TOL),
    OpInfo("fft_fft2", "fft", lambda x: lax.fft(x, "fft", x.shape[-2:]),
           lambda x: np.fft.fft2(x), (c64,), ((3, 4), (2, 3, 4)), tol=_TOL),
    OpInfo("fft_fft3", "fft", lambda x: lax.fft(x, _FT.FFT, x.shape[-3:]),
           lambda x: np.fft.fftn(x, axes=(-3, -2, -1)), (c64,), ((2, 3, 4),), tol=_TOL),
    OpInfo("fft_ifft", "fft", lambda x: lax.fft(x, _FT.IFFT, x.shape[-1:]),
           lambda x: np.fft.ifft(x), (c64,), ((5,), (2, 6)), tol=_TOL),
    OpInfo("fft_ifft2", "fft", lambda x: lax.fft(x, _FT.IFFT, x.shape[-2:]),
           lambda x: np.fft.ifft2(x), (c64,), ((2, 3, 4),), tol=_TOL),
    OpInfo("fft_rfft", "fft", lambda x: lax.fft(x, _FT.RFFT, x.shape[-1:]),
           lambda x: np.fft.rfft(x), (f32,), ((5,), (2, 6)), tol=_TOL, ref_dtype=_c),
    OpInfo("fft_rfft2", "fft", lambda x: lax.fft(x, _FT.RFFT, x.shape[-2:]),
           lambda x: np.fft.rfft2(x), (f32,), ((3, 4), (2, 3, 5)), tol=_TOL, ref_dtype=_c),
    OpInfo("fft_rfft3", "fft", lambda x: lax.fft(x, _FT.RFFT, x.shape[-3:]),
           lambda x: np.fft.rfftn(x, axes=(-3, -2, -1)), (f32,), ((2, 3, 4),), tol=_TOL,
           ref_dtype=_c),
    # irfft: the input's last dimension is n // 2 + 1 (even n = 2 (m - 1), odd n = 2m - 1).
    OpInfo("fft_irfft_even", "fft",
           lambda x: lax.fft(x, _FT.IRFFT, (2 * (x.shape[-1] - 1),)), lambda x: np.fft.irfft(x),
           (c64,), ((5,), (2, 4)), tol=_TOL, ref_dtype=_r),
    OpInfo("fft_irfft_odd", "fft",
           lambda x: lax.fft(x, _FT.IRFFT, (2 * x.shape[-1] - 1,)),
           lambda x: np.fft.irfft(x, 2 * x.shape[-1] - 1), (c64,), ((4,), (3, 3)), tol=_TOL,
           ref_dtype=_r),
    OpInfo("fft_irfft2", "fft",
           lambda x: lax.fft(x, _FT.IRFFT, (x.shape[-2], 2 * (x.shape[-1] - 1))),
           lambda x: np.fft.irfft2(x, s=(x.shape[-2], 2 * (x.shape[-1] - 1))), (c64,),
           ((3, 4), (2, 3, 3)), tol=_TOL, ref_dtype=_r),
    OpInfo("fft_irfft3_odd", "fft",
           lambda x: lax.fft(x, _FT.IRFFT, (*x.shape[-3:-1], 2 * x.shape[-1] - 1)),
           lambda x: np.fft.irfftn(x, s=(*x.shape[-3:-1], 2 * x.shape[-1] - 1),
                                   axes=(-3, -2, -1)), (c64,), ((2, 3, 3),), tol=_TOL,
           ref_dtype=_r),
]
