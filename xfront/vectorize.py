"""``vmap``: vectorizing a function over a batch axis (``jax.vmap``'s semantics)."""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np

from xfront import dispatch
from xfront.core.errors import XfrontTypeError, XfrontValueError, drop_internal_frames
from xfront.core.trace import get_aval
from xfront.interpreters import batching

_registry = dispatch.pytree_registry
_flatten = _registry.flatten


def _is_axis_spec(x) -> bool:
    return x is None or isinstance(x, int | np.integer)


def _broadcast_prefix(prefix, tree, what: str, name: str) -> list:
    """One axis spec per leaf of ``tree``: ``prefix`` is a tree prefix of ``tree`` whose leaves
    are ints or None."""
    if _is_axis_spec(prefix):
        return [prefix] * len(_flatten(tree)[0])
    leaves_p, tree_p = _flatten(prefix, lambda x: x is None)
    try:
        subtrees = tree_p.flatten_up_to(tree)
    except (ValueError, TypeError) as e:
        raise XfrontValueError(
            f"vmap({name}): {what} specification must be a tree prefix of the corresponding "
            f"value: got {what}={prefix!r} for a value with structure {_flatten(tree)[1]} "
            f"({e})") from None
    out = []
    for spec, sub in zip(leaves_p, subtrees):
        if not _is_axis_spec(spec):
            raise XfrontTypeError(
                f"vmap({name}): {what} leaves must be ints or None, got {spec!r}")
        out.extend([spec] * len(_flatten(sub)[0]))
    return out


def _paths(tree, prefix: str) -> list[str]:
    from xfront.tree_util import keystr

    return [prefix + keystr(p) for p, _ in _registry.flatten_with_path(tree)[0]]


def vmap(fun: Callable, in_axes=0, out_axes=0, axis_name=None, axis_size: int | None = None,
         spmd_axis_name=None) -> Callable:
    """Vectorizes ``fun`` over the axes ``in_axes`` of its positional arguments (a tree
    prefix: ints, negative ints, None), stacking outputs along ``out_axes``. Keyword arguments
    are batched along axis 0. ``axis_name`` names the axis for collectives (``lax.psum``...).
    """
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    name = getattr(fun, "__name__", None) or type(fun).__name__

    @functools.wraps(fun, updated=())
    def vmapped(*args, **kwargs):
        try:
            if isinstance(in_axes, tuple) and len(in_axes) != len(args):
                raise XfrontValueError(
                    f"vmap({name}): in_axes has {len(in_axes)} entries but the function was "
                    f"called with {len(args)} positional arguments; in_axes must be an int, None, "
                    "or a tuple with one entry per positional argument")
            spec_args = in_axes if isinstance(in_axes, tuple) else in_axes
            axes = _broadcast_prefix(spec_args, args, "in_axes", name)
            leaves, in_tree = _flatten((args, kwargs))
            n_pos = len(_flatten(args)[0])
            axes = axes + [0] * (len(leaves) - n_pos)
            paths = _paths(args, "args") + _paths(kwargs, "kwargs")
            dims, sizes = [], []
            for x, ax, path in zip(leaves, axes, paths):
                if ax is None:
                    dims.append(None)
                    continue
                try:
                    nd = get_aval(x).ndim
                except TypeError:
                    raise XfrontTypeError(
                        f"vmap({name}): argument {path} of type {type(x).__name__} is not an "
                        "array; give it in_axes None to pass it through unbatched") from None
                if not -nd <= ax < nd:
                    raise XfrontValueError(
                        f"vmap({name}): in_axes={ax} is out of range for argument {path} of rank "
                        f"{nd} (shape {get_aval(x).shape})")
                d = ax % nd
                dims.append(d)
                sizes.append((path, get_aval(x).shape[d]))
            size = _axis_size(name, sizes, axis_size)
            box = []

            def flat(*xs):
                a, kw = in_tree.unflatten(xs)
                out = fun(*a, **kw)
                out_leaves, out_tree = _flatten(out)
                box.append((out, out_tree))
                return out_leaves

            outs, out_dims = batching.batch_flat(flat, leaves, dims, size, axis_name,
                                                 spmd_axis_name)
            out, out_tree = box[0]
            want = _broadcast_prefix(out_axes, out, "out_axes", name)
            results = []
            for o, d, w, path in zip(outs, out_dims, want, _paths(out, "output")):
                if w is None:
                    if d is not None:
                        raise XfrontValueError(
                            f"vmap({name}): out_axes is None for {path}, but that output is "
                            "batched (it depends on a mapped input); use an int out_axes for it")
                    results.append(o)
                    continue
                nd = get_aval(o).ndim + (1 if d is None else 0)
                if not -nd <= w < nd:
                    raise XfrontValueError(
                        f"vmap({name}): out_axes={w} is out of range for {path} of rank {nd}")
                results.append(batching.matchaxis(o, d, w % nd, size))
            return out_tree.unflatten(results)
        except Exception as e:
            drop_internal_frames(e)
            raise

    return vmapped


def _axis_size(name, sizes, axis_size):
    distinct = {s for _, s in sizes}
    if len(distinct) > 1:
        listing = "\n".join(f"  {p}: axis size {s}" for p, s in sizes)
        raise XfrontValueError(
            f"vmap({name}) got inconsistent sizes for the mapped axis:\n{listing}")
    if distinct:
        size = distinct.pop()
        if axis_size is not None and axis_size != size:
            raise XfrontValueError(
                f"vmap({name}): axis_size={axis_size} but the mapped arguments have size {size}")
        return size
    if axis_size is None:
        raise XfrontValueError(
            f"vmap({name}) must have at least one mapped input (non-None in_axes), or "
            "axis_size must be given")
    return axis_size
