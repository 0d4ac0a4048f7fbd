"""``xfront.numpy``: NumPy's API on xfront arrays (``jax.numpy``'s counterpart).

Functions promote dtypes with JAX's lattice (Python scalars are weakly typed), broadcast like
NumPy and are written over ``xfront.lax``; they run eagerly and under every transformation.
The public API is the union of the family modules' ``__all__`` lists, plus the ``linalg`` and
``fft`` submodules.
"""

# ruff: noqa: F401, F403
from xfront.array import Array as ndarray  # the array type, as numpy.ndarray
from xfront.core.errors import install_api_boundaries as _install_api_boundaries
from xfront.numpy import _array_methods  # installs operators and methods on Array and tracers
from xfront.numpy import fft as fft
from xfront.numpy import linalg as linalg
from xfront.numpy._creation import *
from xfront.numpy._dtypes import *
from xfront.numpy._einsum import *
from xfront.numpy._functional import *
from xfront.numpy._index_fns import *
from xfront.numpy._linalg_fns import *
from xfront.numpy._manipulation import *
from xfront.numpy._math_extras import *
from xfront.numpy._products import *
from xfront.numpy._reductions import *
from xfront.numpy._shape import *
from xfront.numpy._sorting import *
from xfront.numpy._statistics import *
from xfront.numpy._ufuncs import *
from xfront.numpy._windowed import *

_install_api_boundaries(globals())  # tracebacks of errors end at the user's line
