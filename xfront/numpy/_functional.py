"""Function application in ``xfront.numpy``: apply_along_axis, apply_over_axes (vmapped, not
looped), piecewise (every branch evaluated, results selected) and vectorize (NumPy's
generalized-ufunc signatures over ``vmap``)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

import numpy as np

from xfront import lax
from xfront.array import Array
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import Tracer, get_aval
from xfront.lax.elementwise import _convert_element_type
from xfront.numpy._manipulation import _arr, _arr_or_list, _traced, _zeros
from xfront.numpy._util import broadcast_shapes, broadcast_to, canonical_axis, check_arraylike

__all__ = ["apply_along_axis", "apply_over_axes", "piecewise", "vectorize"]

# ----------------------------------------------------------------------------------------------
# Applying functions.


def apply_along_axis(func1d: Callable, axis: int, arr, *args, **kwargs):
    """``func1d`` applied to every 1-D slice along ``axis`` (one vmapped call, not a loop);
    the result's dimensions replace ``axis``."""
    from xfront.vectorize import vmap

    arr = _arr("apply_along_axis", arr)
    nd = get_aval(arr).ndim
    axis = canonical_axis(axis, nd, "apply_along_axis")

    def fn(x):
        return func1d(x, *args, **kwargs)

    for _ in range(nd - axis - 1):
        fn = vmap(fn, in_axes=-1, out_axes=-1)
    for _ in range(axis):
        fn = vmap(fn, in_axes=0, out_axes=0)
    from xfront.numpy._creation import asarray

    out = fn(arr)
    return asarray(out) if not isinstance(out, Array | Tracer) else out


def apply_over_axes(func: Callable, a, axes: Sequence[int]):
    """``func(a, axis)`` applied repeatedly over ``axes``; results that drop the axis get it
    back as size 1."""
    a = _arr("apply_over_axes", a)
    axes = (axes,) if isinstance(axes, int | np.integer) else tuple(axes)
    for axis in axes:
        nd = get_aval(a).ndim
        ax = canonical_axis(axis, nd, "apply_over_axes")
        res = _traced(func(a, ax))
        rnd = get_aval(res).ndim
        if rnd == nd:
            a = res
        elif rnd == nd - 1:
            a = lax.expand_dims(res, (ax,))
        else:
            raise XfrontValueError(
                f"apply_over_axes: function is not returning an array of the correct shape "
                f"(input {nd}-d, result shape {get_aval(res).shape})")
    return a


def piecewise(x, condlist, funclist, *args, **kw):
    """``funclist[i]`` (a function of ``x`` or a constant) where ``condlist[i]`` holds (later
    conditions win); an extra last function applies where no condition holds. Every function
    is evaluated on all of ``x`` and the results selected."""
    from xfront.numpy._ufuncs import logical_not, logical_or

    x = _arr("piecewise", x)
    aval = get_aval(x)
    if isinstance(condlist, list | tuple):
        conds = [_traced(_arr_or_list("piecewise", c)) for c in condlist]
        if conds and all(get_aval(c).ndim == 0 for c in conds) and aval.ndim > 0 and \
                len(conds) != 1:
            conds = [_traced(_arr_or_list("piecewise", condlist))]
    else:
        c = _arr("piecewise", condlist)
        conds = [c] if get_aval(c).ndim <= aval.ndim and (
            get_aval(c).shape == aval.shape or get_aval(c).ndim == 0) else [
            lax.index_in_dim(c, i, 0, keepdims=False) for i in range(get_aval(c).shape[0])]
    conds = [broadcast_to(lax.ne(c, lax.full((), 0, get_aval(c).dtype))
                          if get_aval(c).dtype != dtypes.bool_ else c, aval.shape)
             for c in conds]
    funclist = list(funclist)
    nc, nf = len(conds), len(funclist)
    if nf == nc + 1:
        other = conds[0]
        for c in conds[1:]:
            other = logical_or(other, c)
        conds.append(logical_not(other) if nc else lax.full(aval.shape, True))
    elif nf != nc:
        raise XfrontValueError(
            f"piecewise: with {nc} condition(s), funclist must have {nc} or {nc + 1} items, "
            f"got {nf}")
    out = _zeros(aval.shape, aval.dtype, aval.weak_type)
    for c, f in zip(conds, funclist):
        v = f(x, *args, **kw) if callable(f) else f
        check_arraylike("piecewise", v)
        v = _traced(_convert_element_type(v, aval.dtype, aval.weak_type))
        out = lax.select(c, broadcast_to(v, aval.shape), out)
    return out


# ----------------------------------------------------------------------------------------------
# vectorize.

_dim = r"\w+"
_core = rf"(?:{_dim}(?:,{_dim})*)?"
_arg = rf"\({_core}\)"
_arglist = rf"{_arg}(?:,{_arg})*"
_signature_re = re.compile(rf"^{_arglist}->{_arglist}$")


def _parse_signature(signature: str):
    """'(m,n),(n)->(m)' as ([('m', 'n'), ('n',)], [('m',)])."""
    sig = signature.replace(" ", "")
    if not _signature_re.match(sig):
        raise XfrontValueError(f"vectorize: not a valid gufunc signature: {signature!r}")
    ins, outs = sig.split("->")

    def parse(s):
        return [tuple(d for d in g.split(",") if d) for g in re.findall(r"\(([^)]*)\)", s)]

    return parse(ins), parse(outs)


class vectorize:  # noqa: N801  (NumPy's spelling)
    """``pyfunc`` vectorized with NumPy broadcasting, by ``vmap`` over the loop dimensions
    (``numpy.vectorize``). ``signature`` ('(n),(n)->()') names core dimensions that
    ``pyfunc`` sees whole; ``excluded`` positions (ints) or keyword names are passed through
    unvectorized. Keyword arguments are passed through as they are."""

    def __init__(self, pyfunc, *, excluded=frozenset(), signature: str | None = None):
        self.pyfunc = pyfunc
        self.excluded = frozenset(excluded)
        self.signature = signature
        self._parsed = None if signature is None else _parse_signature(signature)
        self.__name__ = getattr(pyfunc, "__name__", "vectorized")
        self.__doc__ = getattr(pyfunc, "__doc__", None)

    def __call__(self, *args, **kwargs):
        from xfront.numpy._creation import asarray
        from xfront.vectorize import vmap

        excluded = {i for i in self.excluded if isinstance(i, int)}
        static_kw = {k: v for k, v in kwargs.items()}
        idx = [i for i in range(len(args)) if i not in excluded]
        arrays = [asarray(args[i]) for i in idx]
        if self._parsed is None:
            in_core = [()] * len(arrays)
            out_core = None
        else:
            in_core, out_core = self._parsed
            if len(in_core) != len(arrays):
                raise XfrontTypeError(
                    f"vectorize({self.__name__}): the signature {self.signature!r} has "
                    f"{len(in_core)} inputs, but the function was called with {len(arrays)} "
                    "(non-excluded) positional arguments")
        sizes: dict[str, int] = {}
        loop_shapes = []
        for i, (a, core) in enumerate(zip(arrays, in_core)):
            shape = get_aval(a).shape
            if len(shape) < len(core):
                raise XfrontValueError(
                    f"vectorize({self.__name__}): input {i} has shape {shape}, fewer "
                    f"dimensions than its core dimensions {core}")
            core_shape = shape[len(shape) - len(core):]
            for name, size in zip(core, core_shape):
                if sizes.setdefault(name, size) != size:
                    raise XfrontValueError(
                        f"vectorize({self.__name__}): inconsistent size for core dimension "
                        f"{name!r}: {sizes[name]} vs {size} (input {i} has shape {shape})")
            loop_shapes.append(shape[:len(shape) - len(core)])
        try:
            loop = broadcast_shapes(*loop_shapes) if loop_shapes else ()
        except XfrontValueError:
            raise XfrontValueError(
                f"vectorize({self.__name__}): loop dimensions {loop_shapes} of the inputs do "
                "not broadcast") from None
        nl = len(loop)

        def core_fn(*vals):
            full = list(args)
            for i, v in zip(idx, vals):
                full[i] = v
            return self.pyfunc(*full, **static_kw)

        # Each input gets all loop dims (size 1 where it broadcasts, mapped with None).
        prepared, specs = [], []
        for a, ls in zip(arrays, loop_shapes):
            shape = get_aval(a).shape
            padded = (1,) * (nl - len(ls)) + ls
            a = lax.reshape(a, padded + shape[len(ls):])
            prepared.append(a)
            specs.append(padded)
        fn = core_fn
        for d in range(nl - 1, -1, -1):
            in_axes = tuple(0 if s[d] != 1 or loop[d] == 1 else None for s in specs)
            fn = _squeezing_vmap(fn, in_axes, loop[d], vmap)
        out = fn(*prepared)
        if out_core is not None:
            outs = out if isinstance(out, tuple) else (out,)
            if len(outs) != len(out_core) or (len(out_core) > 1 and not isinstance(out, tuple)):
                raise XfrontValueError(
                    f"vectorize({self.__name__}): the function returned {len(outs)} outputs, "
                    f"the signature {self.signature!r} has {len(out_core)}")
            for o, core in zip(outs, out_core):
                oshape = get_aval(o).shape
                if len(oshape) != nl + len(core):
                    raise XfrontValueError(
                        f"vectorize({self.__name__}): output shape {oshape[nl:]} does not "
                        f"match the core dimensions {core} of the signature "
                        f"{self.signature!r}")
                for name, size in zip(core, oshape[nl:]):
                    if sizes.setdefault(name, size) != size:
                        raise XfrontValueError(
                            f"vectorize({self.__name__}): output core dimension {name!r} "
                            f"has size {size}, expected {sizes[name]}")
        return out


def _squeezing_vmap(fn, in_axes, size, vmap):
    """vmap over leading dim ``size``; inputs mapped with None drop their size-1 dim."""

    def inner(*xs):
        return fn(*xs)

    mapped = vmap(inner, in_axes=in_axes, axis_size=size)

    def call(*xs):
        xs = [x if ax is not None else lax.squeeze(x, (0,)) for x, ax in zip(xs, in_axes)]
        return mapped(*xs)

    return call
