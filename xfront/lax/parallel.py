"""Collectives over named axes: psum, pmean, pmax, pmin, all_gather, psum_scatter, all_to_all,
ppermute, axis_index.

A named axis comes from ``vmap(..., axis_name=...)`` (and later pmap/shard_map). Under vmap a
collective over that axis acts across the batch: ``psum`` sums over it (every member sees the
same result), ``axis_index`` numbers the members, and so on (JAX's semantics, including their
derivatives: psum and pmean transpose to themselves, all_gather to psum_scatter, ppermute to the
inverse permutation; pmax/pmin have no derivative, as in JAX).
"""

from __future__ import annotations

import numpy as np

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.ir import ShapedArray
from xfront.core.trace import Primitive, get_aval
from xfront.core.trace import axis_size as _axis_size
from xfront.interpreters import ad, batching

__all__ = [
    "all_gather",
    "all_gather_p",
    "all_to_all",
    "all_to_all_p",
    "axis_index",
    "axis_index_p",
    "axis_size",
    "pmax",
    "pmax_p",
    "pmean",
    "pmin",
    "pmin_p",
    "ppermute",
    "ppermute_p",
    "psum",
    "psum_p",
    "psum_scatter",
    "psum_scatter_p",
]



def _names(axis_name) -> tuple:
    return tuple(axis_name) if isinstance(axis_name, tuple | list) else (axis_name,)


def _total_size(names) -> int:
    n = 1
    for name in names:
        n *= _axis_size(name)
    return n


def _tree_map(f, x):
    from xfront.tree_util import tree_map

    return tree_map(f, x)


def _remaining(names, done):
    return tuple(n for n in names if n != done)


# ----------------------------------------------------------------------------------------------
# psum, pmean, pmax, pmin


def _allreduce(name: str):
    prim = Primitive(name)

    @prim.def_abstract_eval
    def _abstract_eval(x, *, axis_name):
        _total_size(axis_name)  # raises for unbound names
        return x

    def collective(trace, args, dims, *, axis_name):
        (x,), (d,) = args, dims
        rest = _remaining(axis_name, trace.axis_name)
        size = trace.axis_size
        if d is None:
            out = _unbatched_allreduce(name, x, size)
        else:
            out = _REDUCERS[name](x, d)
        if rest:
            out = prim.bind(out, axis_name=rest)
        return out, None

    def batch(args, dims, *, axis_name):  # a collective over another axis: per member
        return prim.bind(*args, axis_name=axis_name), dims[0]

    batching.collective_rules[prim] = collective
    batching.batch_rules[prim] = batch
    return prim


def _reduce_over(op):
    def f(x, d):
        from xfront import lax

        return getattr(lax, op)(x, (d,))

    return f


_REDUCERS = {"psum": _reduce_over("reduce_sum"), "pmax": _reduce_over("reduce_max"),
             "pmin": _reduce_over("reduce_min")}


def _unbatched_allreduce(name, x, size):
    from xfront import lax
    from xfront.lax.elementwise import _const

    if name == "psum":
        return lax.mul(x, _const(x, size)) if get_aval(x).dtype != dtypes.bool_ else x
    return x  # max/min of equal values


def psum(x, axis_name):
    """Sum of ``x`` over the named axis (a pytree of arrays)."""
    names = _names(axis_name)
    return _tree_map(lambda v: psum_p.bind(v, axis_name=names), x)


psum_p = _allreduce("psum")
ad.deflinear(psum_p, lambda ct, x, *, axis_name: [psum_p.bind(ct, axis_name=axis_name)
                                                  if type(ct) is not ad.Zero else ct])


def pmean(x, axis_name):
    """Mean of ``x`` over the named axis."""
    names = _names(axis_name)

    def one(v):
        from xfront.lax.elementwise import _const, div

        return div(psum_p.bind(v, axis_name=names), _const(v, _total_size(names)))

    return _tree_map(one, x)


def pmax(x, axis_name):
    """Maximum of ``x`` over the named axis."""
    names = _names(axis_name)
    return _tree_map(lambda v: pmax_p.bind(v, axis_name=names), x)


pmax_p = _allreduce("pmax")


def pmin(x, axis_name):
    """Minimum of ``x`` over the named axis."""
    names = _names(axis_name)
    return _tree_map(lambda v: pmin_p.bind(v, axis_name=names), x)


pmin_p = _allreduce("pmin")


def _no_derivative(prim):
    def rule(primals, tangents, **params):
        raise NotImplementedError(f"Differentiation rule for '{prim.name}' not implemented "
                                  "(as in JAX)")

    ad.jvp_rules[prim] = rule


_no_derivative(pmax_p)
_no_derivative(pmin_p)


# ----------------------------------------------------------------------------------------------
# all_gather, psum_scatter


def all_gather(x, axis_name, *, axis: int = 0, tiled: bool = False):
    """Every member's ``x`` stacked along a new ``axis`` (concatenated along it with tiled)."""
    names = _names(axis_name)
    if len(names) != 1:
        raise XfrontValueError("all_gather over several axes is not supported yet")

    def one(v):
        nd = get_aval(v).ndim
        ax = axis % (nd + (0 if tiled else 1))
        return all_gather_p.bind(v, axis_name=names, axis=ax, tiled=bool(tiled))

    return _tree_map(one, x)


all_gather_p = Primitive("all_gather")


@all_gather_p.def_abstract_eval
def _all_gather_abstract_eval(x, *, axis_name, axis, tiled):
    size = _total_size(axis_name)
    shape = list(x.shape)
    if tiled:
        if not shape:
            raise XfrontTypeError("all_gather(tiled=True) needs an operand of rank >= 1")
        shape[axis] *= size
    else:
        shape.insert(axis, size)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _all_gather_collective(trace, args, dims, *, axis_name, axis, tiled):
    (x,), (d,) = args, dims
    size = trace.axis_size
    x = batching.bdim_at_front(x, d, size)  # member axis first
    x = batching.moveaxis(x, 0, axis)
    if tiled:
        shape = get_aval(x).shape
        merged = shape[:axis] + (shape[axis] * shape[axis + 1],) + shape[axis + 2:]
        from xfront.lax.structural import reshape

        x = reshape(x, merged)
    return x, None


def _all_gather_batch(args, dims, *, axis_name, axis, tiled):
    x = batching.moveaxis(args[0], dims[0], 0)
    return all_gather_p.bind(x, axis_name=axis_name, axis=axis + 1, tiled=tiled), 0


def _all_gather_transpose(ct, x, *, axis_name, axis, tiled):
    if type(ct) is ad.Zero:
        return [ad.Zero(x.aval)]
    return [psum_scatter_p.bind(ct, axis_name=axis_name, scatter_dimension=axis, tiled=tiled)]


batching.collective_rules[all_gather_p] = _all_gather_collective
batching.batch_rules[all_gather_p] = _all_gather_batch
ad.deflinear(all_gather_p, _all_gather_transpose)


def psum_scatter(x, axis_name, *, scatter_dimension: int = 0, tiled: bool = False):
    """The sum over the named axis, split along ``scatter_dimension``: member i keeps part i."""
    names = _names(axis_name)
    if len(names) != 1:
        raise XfrontValueError("psum_scatter over several axes is not supported yet")

    def one(v):
        dim = scatter_dimension % get_aval(v).ndim
        return psum_scatter_p.bind(v, axis_name=names, scatter_dimension=dim, tiled=bool(tiled))

    return _tree_map(one, x)


psum_scatter_p = Primitive("psum_scatter")


@psum_scatter_p.def_abstract_eval
def _psum_scatter_abstract_eval(x, *, axis_name, scatter_dimension, tiled):
    size = _total_size(axis_name)
    shape = list(x.shape)
    n = shape[scatter_dimension]
    if tiled:
        if n % size:
            raise XfrontTypeError(
                f"psum_scatter(tiled=True): dimension {scatter_dimension} of {x.str_short()} "
                f"is not divisible by the axis size {size}")
        shape[scatter_dimension] = n // size
    else:
        if n != size:
            raise XfrontTypeError(
                f"psum_scatter: dimension {scatter_dimension} of {x.str_short()} must equal the "
                f"axis size {size}")
        del shape[scatter_dimension]
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _psum_scatter_collective(trace, args, dims, *, axis_name, scatter_dimension, tiled):
    (x,), (d,) = args, dims
    size = trace.axis_size
    from xfront import lax

    summed = lax.reduce_sum(x, (d,)) if d is not None else _unbatched_allreduce("psum", x, size)
    if tiled:
        shape = get_aval(summed).shape
        n = shape[scatter_dimension]
        split = shape[:scatter_dimension] + (size, n // size) + shape[scatter_dimension + 1:]
        summed = lax.reshape(summed, split)
    return summed, scatter_dimension


def _psum_scatter_batch(args, dims, *, axis_name, scatter_dimension, tiled):
    x = batching.moveaxis(args[0], dims[0], 0)
    return psum_scatter_p.bind(x, axis_name=axis_name, scatter_dimension=scatter_dimension + 1,
                               tiled=tiled), 0


def _psum_scatter_transpose(ct, x, *, axis_name, scatter_dimension, tiled):
    if type(ct) is ad.Zero:
        return [ad.Zero(x.aval)]
    return [all_gather_p.bind(ct, axis_name=axis_name, axis=scatter_dimension, tiled=tiled)]


batching.collective_rules[psum_scatter_p] = _psum_scatter_collective
batching.batch_rules[psum_scatter_p] = _psum_scatter_batch
ad.deflinear(psum_scatter_p, _psum_scatter_transpose)


# ----------------------------------------------------------------------------------------------
# all_to_all


def all_to_all(x, axis_name, split_axis: int, concat_axis: int, *, tiled: bool = False):
    """Splits ``split_axis`` into one chunk per member, sends chunk i to member i, and
    concatenates (stacks, unless tiled) the received chunks along ``concat_axis``."""
    names = _names(axis_name)
    if len(names) != 1:
        raise XfrontValueError("all_to_all over several axes is not supported yet")

    def one(v):
        nd = get_aval(v).ndim
        return all_to_all_p.bind(v, axis_name=names, split_axis=split_axis % nd,
                                 concat_axis=concat_axis % nd, tiled=bool(tiled))

    return _tree_map(one, x)


all_to_all_p = Primitive("all_to_all")


@all_to_all_p.def_abstract_eval
def _all_to_all_abstract_eval(x, *, axis_name, split_axis, concat_axis, tiled):
    size = _total_size(axis_name)
    shape = list(x.shape)
    if shape[split_axis] % size if tiled else shape[split_axis] != size:
        raise XfrontTypeError(
            f"all_to_all: dimension {split_axis} of {x.str_short()} must "
            f"{'be divisible by' if tiled else 'equal'} the axis size {size}")
    if tiled:
        shape[split_axis] //= size
        shape[concat_axis] *= size
    else:  # the split axis goes; the sources are stacked along a new axis at concat_axis
        del shape[split_axis]
        shape.insert(concat_axis, size)
    return ShapedArray(tuple(shape), x.dtype, x.weak_type)


def _all_to_all_collective(trace, args, dims, *, axis_name, split_axis, concat_axis, tiled):
    (x,), (d,) = args, dims
    size = trace.axis_size
    from xfront.lax.structural import reshape, transpose

    x = batching.bdim_at_front(x, d, size)  # (members, *per_member)
    shape = get_aval(x).shape
    if tiled:  # split the split axis into (size, chunk): the chunk index is the destination
        s = 1 + split_axis
        x = reshape(x, shape[:s] + (size, shape[s] // size) + shape[s + 1:])
        dest = s
        per = [i for i in range(1, get_aval(x).ndim) if i != dest]
        per_member_concat = 1 + concat_axis if concat_axis < split_axis else 2 + concat_axis
        pos = per.index(per_member_concat)
        out_dims = per[:pos] + [0] + per[pos:]
        y = transpose(x, (dest, *out_dims))
        ys = get_aval(y).shape
        c = 1 + out_dims.index(0)  # the sources now sit just before their concat dim
        y = reshape(y, ys[:c] + (ys[c] * ys[c + 1],) + ys[c + 2:])
        return y, 0
    per = [1 + i for i in range(len(shape) - 1) if i != split_axis]
    per.insert(concat_axis, 0)
    return transpose(x, (1 + split_axis, *per)), 0


def _all_to_all_batch(args, dims, *, axis_name, split_axis, concat_axis, tiled):
    x = batching.moveaxis(args[0], dims[0], 0)
    return all_to_all_p.bind(x, axis_name=axis_name, split_axis=split_axis + 1,
                             concat_axis=concat_axis + 1, tiled=tiled), 0


def _all_to_all_transpose(ct, x, *, axis_name, split_axis, concat_axis, tiled):
    if type(ct) is ad.Zero:
        return [ad.Zero(x.aval)]
    return [all_to_all_p.bind(ct, axis_name=axis_name, split_axis=concat_axis,
                              concat_axis=split_axis, tiled=tiled)]


batching.collective_rules[all_to_all_p] = _all_to_all_collective
batching.batch_rules[all_to_all_p] = _all_to_all_batch
ad.deflinear(all_to_all_p, _all_to_all_transpose)


# ----------------------------------------------------------------------------------------------
# ppermute


def ppermute(x, axis_name, perm):
    """Sends member ``src``'s value to member ``dst`` for each ``(src, dst)`` in ``perm``;
    members that receive nothing get zeros."""
    names = _names(axis_name)
    pairs = tuple((int(s), int(d)) for s, d in perm)
    srcs, dsts = [s for s, _ in pairs], [d for _, d in pairs]
    if len(set(srcs)) != len(srcs) or len(set(dsts)) != len(dsts):
        raise XfrontValueError(f"ppermute: perm {perm} sends from or to a member twice")
    return _tree_map(lambda v: ppermute_p.bind(v, axis_name=names, perm=pairs), x)


ppermute_p = Primitive("ppermute")


@ppermute_p.def_abstract_eval
def _ppermute_abstract_eval(x, *, axis_name, perm):
    size = _total_size(axis_name)
    for s, d in perm:
        if not (0 <= s < size and 0 <= d < size):
            raise XfrontValueError(f"ppermute: perm {perm} names a member outside the axis of "
                                   f"size {size}")
    return x


def _ppermute_collective(trace, args, dims, *, axis_name, perm):
    (x,), (d,) = args, dims
    size = trace.axis_size
    from xfront import lax
    from xfront.lax.indexing import GatherDimensionNumbers, GatherScatterMode, gather_p

    x = batching.bdim_at_front(x, d, size)
    src_of = dict((dst, src) for src, dst in perm)
    take = np.asarray([src_of.get(m, 0) for m in range(size)], np.int32).reshape(size, 1)
    shape = get_aval(x).shape
    dn = GatherDimensionNumbers(tuple(range(1, len(shape))), (0,), (0,))
    out = gather_p.bind(x, take, dimension_numbers=dn, slice_sizes=(1, *shape[1:]),
                        indices_are_sorted=False, unique_indices=False,
                        mode=GatherScatterMode.CLIP, fill_value=None)
    if len(src_of) < size:  # members that receive nothing get zeros
        mask = np.asarray([m in src_of for m in range(size)])
        from xfront.lax.elementwise import _const

        keep = lax.broadcast_in_dim(mask, shape, (0,))
        out = lax.select(keep, out, _const(out, 0))
    return out, 0


def _ppermute_transpose(ct, x, *, axis_name, perm):
    if type(ct) is ad.Zero:
        return [ad.Zero(x.aval)]
    return [ppermute_p.bind(ct, axis_name=axis_name, perm=tuple((d, s) for s, d in perm))]


batching.collective_rules[ppermute_p] = _ppermute_collective
batching.defvectorized(ppermute_p)
ad.deflinear(ppermute_p, _ppermute_transpose)


# ----------------------------------------------------------------------------------------------
# axis_index


def axis_index(axis_name):
    """The index of this member along the named axis (int32)."""
    names = _names(axis_name)
    if len(names) != 1:
        raise XfrontValueError("axis_index takes a single axis name")
    return axis_index_p.bind(axis_name=names)


axis_index_p = Primitive("axis_index")


@axis_index_p.def_abstract_eval
def _axis_index_abstract_eval(*, axis_name):
    _total_size(axis_name)
    return ShapedArray((), dtypes.int32, False)


def _axis_index_collective(trace, args, dims, *, axis_name):
    from xfront import lax

    return lax.iota(dtypes.int32, trace.axis_size), 0


batching.collective_rules[axis_index_p] = _axis_index_collective
ad.defjvp_zero(axis_index_p)


def axis_size(axis_name) -> int:
    """The size of a named axis in scope (``lax.axis_size``)."""
    return _total_size(_names(axis_name))
