"""Shared test setup: several CPU devices (multi-device tests), deterministic RNG, and the jax
oracle (optional: tests that need it skip when jax is not installed)."""

from __future__ import annotations

import os
import zlib

os.environ.setdefault("XFRONT_NUM_CPU_DEVICES", "8")

import numpy as np  # noqa: E402
import pytest  # noqa: E402


@pytest.fixture
def rng(request):
    """A NumPy generator seeded from the test's id (stable across runs and processes)."""
    seed = zlib.crc32(request.node.nodeid.encode())
    return np.random.default_rng(seed)


@pytest.fixture
def jax_oracle():
    """The real jax (pinned to jaxlib's version), or skip. Its x64 flag is restored afterwards,
    so a test that turns it on cannot change what later tests in the worker compare against."""
    jax = pytest.importorskip("jax")
    old = jax.config.jax_enable_x64
    yield jax
    jax.config.update("jax_enable_x64", old)


@pytest.fixture
def x64():
    import xfront as xf

    with xf.config.override("enable_x64", True):
        yield
