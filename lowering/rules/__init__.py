"""Lowering rules, one module per ``xfront/lax`` family. Importing this package registers them."""

from lowering.rules import (  # noqa: F401
    call,
    callback,
    control_flow,
    convolution,
    dot,
    elementwise,
    fft,
    indexing,
    linalg,
    parallel,
    reduction,
    sharding,
    sorting,
    special,
    structural,
    windowed,
)
