"""``xfront.experimental``: the names ported programs import from ``jax.experimental``.

``io_callback`` (an impure host callback, see xfront/callbacks.py) and ``enable_x64`` /
``disable_x64`` (context managers over the ``enable_x64`` option).
"""

from __future__ import annotations

from xfront.callbacks import io_callback
from xfront.core.config import config
from xfront.toplevel import enable_x64

__all__ = ["disable_x64", "enable_x64", "io_callback"]


def disable_x64():
    """``with disable_x64():`` 32-bit default types inside."""
    return config.override("enable_x64", False)
