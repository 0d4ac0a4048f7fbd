"""``xfront.lax``: the primitive operations (``jax.lax``'s counterpart).

No dtype promotion and no broadcasting beyond scalar operands: that is ``xfront.numpy``'s job.
The public API is the union of the families' ``__all__`` lists (one module per family; each
primitive's rules live in its module, its StableHLO emission in ``lowering/rules/<family>.py``).
Its public functions are API boundaries (``xfront.core.errors.api_boundary``): an error's traceback
ends at the user's line. Code recognizing them by identity (``lax.add`` as a reducer) compares
``unwrap_boundary(f)`` with the defining module's function.
"""

# ruff: noqa: F403
from xfront.core.errors import install_api_boundaries as _install_api_boundaries
from xfront.lax.call import *
from xfront.lax.control_flow import *
from xfront.lax.convenience import *
from xfront.lax.convolution import *
from xfront.lax.dot import *
from xfront.lax.elementwise import *
from xfront.lax.fft import *
from xfront.lax.indexing import *
from xfront.lax.linalg import *
from xfront.lax.parallel import *
from xfront.lax.reduction import *
from xfront.lax.sharding import *
from xfront.lax.sorting import *
from xfront.lax.special import *
from xfront.lax.structural import *
from xfront.lax.windowed import *

_install_api_boundaries(globals())  # tracebacks of errors end at the user's line
