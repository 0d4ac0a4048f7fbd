"""Exception types and the user-frame machinery that puts the user's file:line in every message.

Every ``XfrontError`` is *located* when created: its message ends with the innermost stack frame
outside xfront and lowering (the user's file:line). Its traceback keeps only the user's frames:
``Primitive.bind`` drops xfront's internal frames below it, and the public functions
(``xfront.numpy``, ``xfront.lax``, the methods of arrays and tracers) are *API boundaries*
(``api_boundary``) that drop the internal frames between the user's call and the raise, so the
last frame of the traceback is the user's line, eagerly and inside jitted functions. The
transformations (the functions ``jit``, ``grad``, ``vmap``... return, ``jvp``, ``vjp``) do the
same in an ``except`` clause of their own (``drop_internal_frames``, free until something is
raised), for xfront's errors and for the user's own exceptions raised while tracing
(``XFRONT_TRACEBACK_FILTERING=off`` keeps every frame).
"""

from __future__ import annotations

import functools
import os
import sys
import sysconfig
import types

from xfront.core.ir import SourceInfo

_XFRONT_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_LOWERING_DIR = os.path.join(os.path.dirname(_XFRONT_DIR), "lowering")
_INTERNAL_PREFIXES = (_XFRONT_DIR + os.sep, _LOWERING_DIR + os.sep)
# Standard-library helpers that sit between user code and ours (functools.partial, contextlib).
_STDLIB_SKIP = ("functools.py", "contextlib.py")
# Where the standard library and installed packages live (not the user's code).
_LIBRARY_PREFIXES = tuple({os.path.join(sysconfig.get_paths()[k], "")
                           for k in ("stdlib", "platstdlib", "purelib", "platlib")})

_filter_tracebacks = os.environ.get("XFRONT_TRACEBACK_FILTERING", "on").lower() not in (
    "off", "0", "false", "no")


def _is_internal(filename: str) -> bool:
    return filename.startswith(_INTERNAL_PREFIXES) or filename.endswith(_STDLIB_SKIP)


_file_cache: dict[str, bool] = {}


def user_frame(depth: int = 1):
    """The innermost frame that belongs to the user's code (or None)."""
    f = sys._getframe(depth)
    cache = _file_cache
    while f is not None:
        fn = f.f_code.co_filename
        internal = cache.get(fn)
        if internal is None:
            internal = cache[fn] = _is_internal(fn)
        if not internal:
            return f
        f = f.f_back
    return None


def user_source_info(name_stack: str = "") -> SourceInfo | None:
    f = user_frame(2)
    if f is None:
        return None
    return SourceInfo(f.f_code.co_filename, f.f_lineno, f.f_code.co_name, name_stack)


def user_location() -> str:
    """``file:line (in function)`` of the innermost user frame, for error messages."""
    f = user_frame(2)
    if f is None:
        return "<unknown location>"
    return f"{f.f_code.co_filename}:{f.f_lineno} (in {f.f_code.co_name})"


# ----------------------------------------------------------------------------------------------
# Exception types.


class XfrontError(Exception):
    """Base of xfront's own errors: the message ends with the user's file:line, found when the
    error is created (the innermost frame outside xfront and lowering)."""

    _xf_located = False

    def __init__(self, *args):
        super().__init__(*args)
        if args and isinstance(args[0], str):
            locate(self)


class XfrontTypeError(XfrontError, TypeError):
    pass


class XfrontValueError(XfrontError, ValueError):
    pass


class XfrontIndexError(XfrontError, IndexError):
    pass


class XfrontOverflowError(XfrontError, OverflowError):
    pass


class XfrontNameError(XfrontError, NameError):
    pass


class ConcretizationTypeError(XfrontTypeError):
    """A traced value was used where Python needs a concrete one (``if``, ``int()``, shapes)."""


class TracerBoolConversionError(ConcretizationTypeError):
    pass


class TracerIntegerConversionError(ConcretizationTypeError):
    pass


class TracerArrayConversionError(XfrontTypeError):
    pass


class UnexpectedTracerError(XfrontError):
    """A tracer escaped the transformation that created it (e.g. stored in a global)."""


class DeletedArrayError(XfrontError, RuntimeError):
    """An Array was used after ``delete()`` or after being donated to a jitted call."""


class XlaRuntimeError(XfrontError, RuntimeError):
    """An error reported by XLA's runtime, with the operation xfront was performing."""


def locate(exc: BaseException, where: str | None = None) -> BaseException:
    """Appends the user's location to an xfront error's message (once)."""
    if getattr(exc, "_xf_located", False):
        return exc
    loc = where if where is not None else user_location()
    if exc.args and isinstance(exc.args[0], str):
        exc.args = (f"{exc.args[0]}\n  at {loc}",) + exc.args[1:]
    else:
        exc.args = (f"at {loc}",) + tuple(exc.args)
    exc._xf_located = True
    return exc


def filter_traceback(exc: BaseException) -> BaseException:
    """Drops the frames below the re-raise point (xfront's internals) unless disabled."""
    if _filter_tracebacks:
        exc.__traceback__ = None
    return exc


def user_traceback(tb: types.TracebackType | None) -> types.TracebackType | None:
    """``tb`` without the entries of xfront's (and lowering's) own frames."""
    keep = []
    while tb is not None:
        if not _is_internal(tb.tb_frame.f_code.co_filename):
            keep.append(tb)
        tb = tb.tb_next
    out = None
    for entry in reversed(keep):
        out = types.TracebackType(out, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return out


def _raised_by_user(tb: types.TracebackType | None) -> bool:
    """Whether an exception was raised by the user's code: after xfront's last frame, its
    traceback goes through a frame outside xfront and outside the installed libraries (a
    NumPy function failing for xfront is xfront's failure, not the user's)."""
    user = False
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if _is_internal(filename):
            user = False
        elif not filename.startswith(_LIBRARY_PREFIXES):
            user = True
        tb = tb.tb_next
    return user


def drop_internal_frames(exc: BaseException) -> None:
    """At an API boundary, in an ``except`` clause that then re-raises with a bare ``raise``:
    removes xfront's internal frames from the traceback of ``exc`` when it is an
    ``XfrontError`` (its message names the user's line) or when it was raised by the user's
    own code (a function being traced by jit, grad, vmap, scan...), whose line stays last.
    Other exceptions (raised inside xfront, not by it) keep every frame, as does
    ``XFRONT_TRACEBACK_FILTERING=off``."""
    if _filter_tracebacks and isinstance(exc, Exception):
        tb = exc.__traceback__
        if isinstance(exc, XfrontError) or _raised_by_user(tb):
            exc.__traceback__ = user_traceback(tb)


def api_boundary(fun):
    """Wraps a public function so that an error raised below it leaves with the internal
    frames removed from its traceback (``drop_internal_frames``). The re-raise is a bare
    ``raise``, which adds no entry for the wrapper itself: seen from the caller, the traceback
    ends at the user's innermost line (their call, or the line of a function being traced
    under jit/grad/vmap). Nested boundaries are harmless (each one drops what is internal).
    The wrapped function stays reachable as ``__wrapped__`` (see ``unwrap_boundary``)."""
    if getattr(fun, "_xf_boundary", False):
        return fun

    @functools.wraps(fun)
    def boundary(*args, **kwargs):
        try:
            return fun(*args, **kwargs)
        except Exception as e:
            drop_internal_frames(e)
            raise

    boundary._xf_boundary = True
    return boundary


def unwrap_boundary(fun):
    """The function an ``api_boundary`` wraps (``fun`` itself when it is not one): for code
    that recognizes public functions by identity, e.g. ``lax.add`` as a reducer."""
    return fun.__wrapped__ if getattr(fun, "_xf_boundary", False) else fun


def install_api_boundaries(namespace: dict) -> None:
    """Makes every public function of a module namespace (``globals()`` of a package's
    ``__init__``) an ``api_boundary``. Classes, primitives and other objects stay as they are;
    internal callers importing from the defining modules keep the unwrapped functions."""
    module = namespace["__name__"]
    for name, value in list(namespace.items()):
        if (not name.startswith("_") and type(value) is types.FunctionType
                and value.__module__.startswith(("xfront.", "lowering."))):
            wrapped = api_boundary(value)
            if wrapped is not value:
                # Found (by pickle, by ``help``) where it is public.
                wrapped.__module__, wrapped.__qualname__ = module, name
            namespace[name] = wrapped
