"""Process-wide configuration: ``xfront.config.update("enable_x64", True)``.

Each option reads an environment variable once at import (``XFRONT_ENABLE_X64``, with
``JAX_ENABLE_X64`` accepted too so that ported programs keep working). Changing an option that
affects traced programs runs the registered listeners, which drop compiled caches.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable

import numpy as np

_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def _env_bool(names: tuple[str, ...], default: bool) -> bool:
    for name in names:
        raw = os.environ.get(name)
        if raw is None:
            continue
        low = raw.strip().lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise ValueError(
            f"environment variable {name}={raw!r} is not a boolean (use 1/0, true/false)")
    return default


class _Option:
    __slots__ = ("name", "value", "doc", "affects_tracing", "kind", "choices")

    def __init__(self, name, value, doc, affects_tracing, kind, choices=None):
        self.name, self.value, self.doc = name, value, doc
        self.affects_tracing, self.kind, self.choices = affects_tracing, kind, choices


class Config:
    """Holds xfront's options. Read them as attributes (``config.enable_x64``)."""

    def __init__(self):
        object.__setattr__(self, "_options", {})
        object.__setattr__(self, "_listeners", [])
        object.__setattr__(self, "_lock", threading.Lock())

    def _define(self, name, value, doc, *, affects_tracing=True, kind=bool, choices=None):
        self._options[name] = _Option(name, value, doc, affects_tracing, kind, choices)

    def __getattr__(self, name):
        options = self.__dict__.get("_options", {})
        key = name[4:] if name.startswith("jax_") else name  # config.jax_enable_x64 reads too
        if key in options:
            return options[key].value
        known = ", ".join(sorted(options))
        raise AttributeError(f"xfront.config has no option {name!r} (known: {known})")

    def __setattr__(self, name, value):
        raise AttributeError(f"use xfront.config.update({name!r}, value) to change an option")

    def _canonical(self, name: str) -> str:
        key = name[4:] if name.startswith("jax_") else name
        key = _ALIASES.get(key, key)
        if key not in self._options:
            known = ", ".join(sorted(self._options))
            raise AttributeError(f"xfront.config.update: unknown option {name!r} (known: {known})")
        return key

    def update(self, name: str, value) -> None:
        """Sets an option. ``jax_``-prefixed names are accepted as aliases."""
        key = name[4:] if name.startswith("jax_") else name
        if key in _GROUPS:  # e.g. transfer_guard sets its three directions
            for member in _GROUPS[key]:
                self.update(member, value)
            return
        opt = self._options[self._canonical(name)]
        if opt.kind is bool and not isinstance(value, bool | int | np.bool_):
            raise TypeError(f"xfront.config.update({name!r}, ...): expected a bool, got {value!r}")
        if opt.kind is bool or value is not None:
            value = opt.kind(value)
        if opt.choices is not None and value not in opt.choices:
            raise ValueError(f"xfront.config.update({name!r}, {value!r}): expected one of "
                             f"{sorted(c for c in opt.choices if c is not None)}"
                             + (" or None" if None in opt.choices else ""))
        with self._lock:
            changed = opt.value != value
            opt.value = value
        if changed and opt.affects_tracing:
            for listener in list(self._listeners):
                listener(opt.name)

    def read(self, name: str):
        key = name[4:] if name.startswith("jax_") else name
        if key in _GROUPS:
            return self.read(_GROUPS[key][0])
        return self._options[self._canonical(name)].value

    @contextlib.contextmanager
    def override(self, name: str, value):
        """Context manager that sets an option and restores it on exit."""
        key = name[4:] if name.startswith("jax_") else name
        if key in _GROUPS:
            with contextlib.ExitStack() as stack:
                for member in _GROUPS[key]:
                    stack.enter_context(self.override(member, value))
                yield
            return
        old = self.read(name)
        self.update(name, value)
        try:
            yield
        finally:
            self.update(name, old)

    def add_listener(self, fn: Callable[[str], None]) -> None:
        self._listeners.append(fn)

    def values(self) -> dict:
        return {k: o.value for k, o in self._options.items()}

    def __repr__(self):
        body = ", ".join(f"{k}={o.value!r}" for k, o in self._options.items())
        return f"xfront.config({body})"


config = Config()
config._define(
    "enable_x64",
    _env_bool(("XFRONT_ENABLE_X64", "JAX_ENABLE_X64"), False),
    "Use 64-bit types (int64, float64, complex128) instead of squashing them to 32 bits.",
)
config._define(
    "disable_jit",
    _env_bool(("XFRONT_DISABLE_JIT", "JAX_DISABLE_JIT"), False),
    "Run jit-decorated functions op by op (for debugging with print and pdb).",
)


def _env_str(names: tuple[str, ...], default, choices):
    for name in names:
        raw = os.environ.get(name)
        if raw is None:
            continue
        value = raw.strip().lower()
        if value not in choices:
            raise ValueError(f"environment variable {name}={raw!r}: expected one of "
                             f"{sorted(c for c in choices if c is not None)}")
        return value
    return default


def _env_names(name: str) -> tuple[str, str]:
    return (f"XFRONT_{name.upper()}", f"JAX_{name.upper()}")


_ALIASES: dict[str, str] = {}
_GROUPS = {"transfer_guard": ("transfer_guard_host_to_device", "transfer_guard_device_to_host",
                              "transfer_guard_device_to_device")}

config._define(
    "debug_nans", _env_bool(_env_names("debug_nans"), False),
    "Check every compiled result for NaNs; on one, find the primitive that produced it "
    "(xfront/nan_check.py) and raise FloatingPointError naming it and the user's line.")
config._define(
    "debug_infs", _env_bool(_env_names("debug_infs"), False),
    "Like debug_nans, for infinities.")
config._define(
    "log_compiles", _env_bool(_env_names("log_compiles"), False),
    "Log every XLA compilation (logger 'xfront', level WARNING).", affects_tracing=False)
config._define(
    "check_tracer_leaks", _env_bool(_env_names("check_tracer_leaks"), False),
    "After each jit trace, raise if a tracer of it is still referenced from outside (leaked "
    "into a global, a closure or an object).", affects_tracing=False)
config._define(
    "default_device", None,
    "The device new arrays and uncommitted computations go to (None: the first device of the "
    "default backend).", kind=lambda d: d)
config._define(
    "default_matmul_precision", None,
    "The precision of matmuls and convolutions whose precision is not given: 'default', "
    "'high', 'highest' (or 'bfloat16', 'tensorfloat32', 'float32'); None keeps XLA's default.",
    kind=str, choices={None, "default", "high", "highest", "bfloat16", "tensorfloat32",
                       "float32", "fastest"})
config._define(
    "numpy_rank_promotion", _env_str(_env_names("numpy_rank_promotion"), "allow",
                                     {"allow", "warn", "raise"}),
    "What xfront.numpy does when an operation broadcasts operands of different ranks "
    "(scalars excepted): 'allow', 'warn' or 'raise'.", kind=str,
    choices={"allow", "warn", "raise"})
config._define(
    "numpy_dtype_promotion", _env_str(_env_names("numpy_dtype_promotion"), "standard",
                                      {"standard", "strict"}),
    "'standard' (JAX's promotion lattice) or 'strict' (operands must have one dtype; weakly "
    "typed Python scalars of the same or a lower kind are allowed).", kind=str,
    choices={"standard", "strict"})
_GUARD_LEVELS = {"allow", "log", "disallow", "log_explicit", "disallow_explicit"}
for _direction in ("host_to_device", "device_to_host", "device_to_device"):
    config._define(
        f"transfer_guard_{_direction}",
        _env_str(_env_names(f"transfer_guard_{_direction}"),
                 _env_str(_env_names("transfer_guard"), "allow", _GUARD_LEVELS),
                 _GUARD_LEVELS),
        f"Guards {_direction.replace('_', '-')} transfers: 'allow', 'log' or 'disallow' "
        "implicit ones ('log_explicit' / 'disallow_explicit': explicit ones too).",
        affects_tracing=False, kind=str, choices=_GUARD_LEVELS)
