"""Windowed reductions (pooling) and cumulative reductions.

``reduce_window`` reduces every (strided, padded, dilated) window of its operands with a Python
computation traced into a closed sub-graph (``reduce_window_p``); with ``lax.add``/``max``/
``min`` and their identity as init value it becomes one of the monoid primitives
``reduce_window_sum_p``, ``reduce_window_max_p``, ``reduce_window_min_p``, which reverse mode
differentiates: the windowed sum is linear (its transpose is a windowed sum of the padded,
stride-dilated cotangent), and max/min take the tangent at the selected element of each window
(``select_and_gather_add_p``), whose transpose scatters cotangents back to those elements
(``select_and_scatter_add_p``); the two are each other's transpose, so derivatives of any order
work.

``cumsum``/``cumprod``/``cummax``/``cummin``/``cumlogsumexp`` are primitives lowered to a
``stablehlo.reduce_window`` whose window spans the whole axis (XLA rewrites it into an efficient
scan). ``cumsum`` is linear (its transpose is the reverse cumsum); the others differentiate
through a parallel prefix scan built from lax operations (as JAX does), which is itself
differentiable.

StableHLO emission: ``lowering/rules/windowed.py``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable

import numpy as np

from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError, unwrap_boundary
from xfront.core.ir import ClosedGraph, ShapedArray
from xfront.core.trace import Primitive, Tracer, eval_graph, get_aval
from xfront.interpreters import ad, batching
from xfront.lax.convolution import _dilate_dim, _stride_dim, padtype_to_pads
from xfront.lax.utils import FLOAT, INT, NUM, ORDERED, Kinds, canonical_axis, check_dtype, int_tuple

__all__ = [
    "cumlogsumexp",
    "cumlogsumexp_p",
    "cummax",
    "cummax_p",
    "cummin",
    "cummin_p",
    "cumprod",
    "cumprod_p",
    "cumsum",
    "cumsum_p",
    "reduce_window",
    "reduce_window_max_p",
    "reduce_window_min_p",
    "reduce_window_p",
    "reduce_window_shape_tuple",
    "reduce_window_sum_p",
    "select_and_gather_add_p",
    "select_and_scatter_add_p",
]


# ----------------------------------------------------------------------------------------------
# Window parameters and shapes.


def reduce_window_shape_tuple(operand_shape, window_dimensions, window_strides, padding,
                              base_dilation=None, window_dilation=None) -> tuple[int, ...]:
    """Result shape of a windowed reduction."""
    n = len(operand_shape)
    base_dilation = base_dilation or (1,) * n
    window_dilation = window_dilation or (1,) * n
    out = []
    for d, w, s, (lo, hi), bd, wd in zip(operand_shape, window_dimensions, window_strides,
                                         padding, base_dilation, window_dilation):
        padded = _dilate_dim(d, bd) + lo + hi
        out.append(_stride_dim(padded, _dilate_dim(w, wd), s))
    return tuple(out)


def _window_params(name, shape, window_dimensions, window_strides, padding, base_dilation,
                   window_dilation) -> dict:
    """Canonical (hashable) window params; string padding resolved against ``shape``."""
    dims = int_tuple(window_dimensions, name, "window_dimensions")
    n = len(dims)
    if n != len(shape):
        raise XfrontTypeError(
            f"{name}: window_dimensions {dims} must have one entry per operand dimension "
            f"(operand shape {tuple(shape)})")
    strides = (1,) * n if window_strides is None else int_tuple(window_strides, name,
                                                                 "window_strides")
    base = (1,) * n if base_dilation is None else int_tuple(base_dilation, name,
                                                             "base_dilation")
    wdil = (1,) * n if window_dilation is None else int_tuple(window_dilation, name,
                                                               "window_dilation")
    for what, xs in (("window_strides", strides), ("base_dilation", base),
                     ("window_dilation", wdil)):
        if len(xs) != n:
            raise XfrontTypeError(
                f"{name}: {what} {xs} must have as many entries as window_dimensions {dims}")
    if isinstance(padding, str):
        pads = padtype_to_pads(shape, [_dilate_dim(w, r) for w, r in zip(dims, wdil)],
                               strides, padding)
    else:
        try:
            pads = [(int(lo), int(hi)) for lo, hi in padding]
        except (TypeError, ValueError):
            raise XfrontTypeError(
                f"{name}: padding must be 'SAME', 'SAME_LOWER', 'VALID' or (low, high) int "
                f"pairs, got {padding!r}") from None
    return dict(window_dimensions=dims, window_strides=strides, padding=tuple(pads),
                base_dilation=base, window_dilation=wdil)


def _check_window(name, aval: ShapedArray, window_dimensions, window_strides, padding,
                  base_dilation, window_dilation) -> tuple[int, ...]:
    """Validates the window params against ``aval``; returns the result shape."""
    n = aval.ndim
    for what, xs in (("window_dimensions", window_dimensions), ("window_strides",
                     window_strides), ("padding", padding), ("base_dilation", base_dilation),
                     ("window_dilation", window_dilation)):
        if len(xs) != n:
            raise XfrontTypeError(
                f"{name}: {what} {tuple(xs)} must have one entry per dimension of "
                f"{aval.str_short()}")
    for what, xs in (("window_dimensions", window_dimensions), ("window_strides",
                     window_strides), ("base_dilation", base_dilation),
                     ("window_dilation", window_dilation)):
        if any(x < 1 for x in xs):
            raise XfrontValueError(f"{name}: {what} must be positive, got {tuple(xs)}")
    for i, (d, (lo, hi), b) in enumerate(zip(aval.shape, padding, base_dilation)):
        if _dilate_dim(d, b) + lo + hi < 0:
            raise XfrontValueError(
                f"{name}: negative padding {(lo, hi)} is larger than dimension {i} of "
                f"{aval.str_short()}")
    return reduce_window_shape_tuple(aval.shape, window_dimensions, window_strides, padding,
                                     base_dilation, window_dilation)


def _prepend_unit_window(params: dict) -> dict:
    """Window params for an operand with a new leading (batch) dimension."""
    return dict(window_dimensions=(1, *params["window_dimensions"]),
                window_strides=(1, *params["window_strides"]),
                padding=((0, 0), *params["padding"]),
                base_dilation=(1, *params["base_dilation"]),
                window_dilation=(1, *params["window_dilation"]))


def _insert_unit_window(params: dict, d: int) -> dict:
    """Window params for an operand with a new (batch) dimension at ``d``."""
    def ins(xs, v):
        xs = list(xs)
        xs.insert(d, v)
        return tuple(xs)

    return dict(window_dimensions=ins(params["window_dimensions"], 1),
                window_strides=ins(params["window_strides"], 1),
                padding=ins(params["padding"], (0, 0)),
                base_dilation=ins(params["base_dilation"], 1),
                window_dilation=ins(params["window_dilation"], 1))


_WINDOW_KEYS = ("window_dimensions", "window_strides", "padding", "base_dilation",
                "window_dilation")


# ----------------------------------------------------------------------------------------------
# reduce_window (generic)


def reduce_window(operand, init_value, computation: Callable, window_dimensions,
                  window_strides=None, padding="VALID", base_dilation=None,
                  window_dilation=None):
    """Reduces every window of ``operand`` (an array or a pytree of arrays of one shape) with
    ``computation(acc, x)``, starting from ``init_value`` (scalars, same tree):
    ``stablehlo.reduce_window``.

    ``padding`` is 'VALID', 'SAME', 'SAME_LOWER' or (low, high) pairs; padded positions and the
    holes of ``base_dilation`` hold the init value. With ``lax.add``, ``lax.max`` or ``lax.min``
    and their identity as init value this is ``reduce_window_sum_p``/``max_p``/``min_p``
    (differentiable in both modes); any other computation is traced into a sub-graph
    (``reduce_window_p``: forward-mode differentiable only, as in JAX).
    """
    from xfront.tree_util import tree_flatten, tree_unflatten

    name = "reduce_window"
    flat_ops, tree = tree_flatten(operand)
    flat_inits, init_tree = tree_flatten(init_value)
    if tree != init_tree:
        raise XfrontValueError(
            f"{name}: operand and init_value must have the same tree structure, got {tree} "
            f"and {init_tree}")
    if not flat_ops:
        raise XfrontValueError(f"{name} needs at least one operand")
    op_avals = [get_aval(x) for x in flat_ops]
    params = _window_params(name, op_avals[0].shape, window_dimensions, window_strides,
                            padding, base_dilation, window_dilation)
    flat_inits = [_init_of(v, a, name) for v, a in zip(flat_inits, op_avals)]
    if len(flat_ops) == 1:
        monoid = _monoid_reducer(computation, flat_inits[0], op_avals[0].dtype)
        if monoid is not None:
            return monoid.bind(flat_ops[0], **params)
    init_avals = [ShapedArray((), get_aval(v).dtype, False) for v in flat_inits]
    closed = _trace_computation(computation, tree, tuple(init_avals))
    outs = reduce_window_p.bind(*flat_ops, *flat_inits, computation=closed, **params)
    return tree_unflatten(tree, outs)


def _init_of(v, aval: ShapedArray, name: str):
    """An init value; a Python number that the operand's dtype represents exactly (0, 1.0,
    -inf for floats, ...) takes that dtype."""
    from xfront.lax.elementwise import _convert_element_type

    va = get_aval(v)
    if va.shape != ():
        raise XfrontTypeError(f"{name}: init values must be scalars, got {va.str_short()}")
    if isinstance(v, bool | int | float | complex) and va.dtype != aval.dtype:
        with np.errstate(all="ignore"):
            exact = np.asarray(v).astype(aval.dtype) == v
        if exact:
            return _convert_element_type(v, aval.dtype)
    return v


def _monoid_reducer(computation, init, dt) -> Primitive | None:
    from xfront.lax import elementwise as ew

    computation = unwrap_boundary(computation)  # xfront.lax.add is ew.add behind a boundary
    if isinstance(init, Tracer):
        return None
    try:
        val = np.asarray(getattr(init, "val", init))
    except Exception:
        return None
    if val.shape != () or get_aval(init).dtype != dt:
        return None
    if computation is ew.add:
        return reduce_window_sum_p if val == 0 else None
    if computation is ew.max:
        return reduce_window_max_p if val == _max_identity(dt) else None
    if computation is ew.min:
        return reduce_window_min_p if val == _min_identity(dt) else None
    return None


def _max_identity(dt):
    if dtypes.is_bool(dt):
        return False
    if dtypes.is_int(dt):
        return np.iinfo(dt).min
    return -np.inf


def _min_identity(dt):
    if dtypes.is_bool(dt):
        return True
    if dtypes.is_int(dt):
        return np.iinfo(dt).max
    return np.inf


_computation_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _trace_computation(computation: Callable, tree, init_avals: tuple) -> ClosedGraph:
    """``computation(acc_tree, x_tree) -> tree`` as a closed graph over flat scalars (cached
    per function, so eager calls reuse one executable)."""
    from xfront.interpreters.staging import DebugInfo, trace_to_graph
    from xfront.tree_util import tree_flatten, tree_unflatten

    key = (tree, init_avals)
    try:
        per_fun = _computation_cache.get(computation)
    except TypeError:
        per_fun = None
    if per_fun is not None and key in per_fun:
        return per_fun[key]
    n = len(init_avals)

    def fun(*args):
        out = computation(tree_unflatten(tree, args[:n]), tree_unflatten(tree, args[n:]))
        flat, out_tree = tree_flatten(out)
        if out_tree != tree:
            raise XfrontTypeError(
                f"reduce_window: the computation must return the operands' structure {tree}, "
                f"got {out_tree}")
        for o, a in zip(flat, init_avals):
            oa = get_aval(o)
            if oa.shape != () or oa.dtype != a.dtype:
                raise XfrontTypeError(
                    f"reduce_window: the computation must return scalars of the operands' "
                    f"dtypes ({', '.join(str(a.dtype) for a in init_avals)}), got "
                    f"{oa.str_short()}")
        return flat

    closed = trace_to_graph(fun, [*init_avals, *init_avals],
                            DebugInfo.of("reduce_window", computation))
    if any(isinstance(c, Tracer) for c in closed.consts):
        raise XfrontTypeError(
            "reduce_window: the computation closes over a traced value; it must be a function "
            "of its two arguments only (pass such values through the operands)")
    try:
        _computation_cache.setdefault(computation, {})[key] = closed
    except TypeError:
        pass
    return closed


reduce_window_p = Primitive("reduce_window", multiple_results=True)


@reduce_window_p.def_abstract_eval
def _reduce_window_abstract_eval(*avals, computation: ClosedGraph, **window):
    name = "reduce_window"
    n = len(avals) // 2
    ops, inits = avals[:n], avals[n:]
    for o, i in zip(ops, inits):
        if i.shape != ():
            raise XfrontTypeError(f"{name}: init values must be scalars, got {i.str_short()}")
        if o.dtype != i.dtype:
            raise XfrontTypeError(
                f"{name}: operand dtypes {[str(o.dtype) for o in ops]} and init value dtypes "
                f"{[str(i.dtype) for i in inits]} must match")
        if o.shape != ops[0].shape:
            raise XfrontTypeError(
                f"{name}: all operands must have one shape, got "
                f"{', '.join(a.str_short() for a in ops)}")
    want = [ShapedArray((), i.dtype, False) for i in inits] * 2
    if [(a.shape, a.dtype) for a in computation.in_avals] != [(a.shape, a.dtype) for a in want]:
        raise XfrontTypeError(f"{name}: the computation does not take the operands' scalars")
    shape = _check_window(name, ops[0], **window)
    return [ShapedArray(shape, o.dtype, False) for o in ops]


_jvp_computation_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _jvp_computation(computation: ClosedGraph, diff: tuple) -> ClosedGraph:
    """The computation over (primal, tangent) pairs: takes (primal accs, tangent accs, primal
    values, tangent values) and returns (primal results, tangent results); tangents only for
    the operands marked in ``diff``."""
    from xfront.interpreters.staging import trace_to_graph

    per = _jvp_computation_cache.setdefault(computation, {})
    if diff in per:
        return per[diff]
    n = len(diff)
    avals = computation.in_avals[:n]
    t_avals = [a for a, d in zip(avals, diff) if d]
    m = len(t_avals)

    def fun(*args):
        accp, acct = list(args[:n]), iter(args[n:n + m])
        valp, valt = list(args[n + m:2 * n + m]), iter(args[2 * n + m:])
        tans = [next(acct) if d else ad.Zero(ad.tangent_aval(a)) for a, d in zip(avals, diff)]
        tans += [next(valt) if d else ad.Zero(ad.tangent_aval(a)) for a, d in zip(avals, diff)]
        out_p, out_t = ad.jvp_flat(lambda *xs: eval_graph(computation, *xs), accp + valp, tans)
        return out_p + [ad.instantiate(t) for t, d in zip(out_t, diff) if d]

    closed = trace_to_graph(fun, [*avals, *t_avals, *avals, *t_avals])
    per[diff] = closed
    return closed


def _reduce_window_jvp(primals, tangents, *, computation, **window):
    n = len(primals) // 2
    ops, inits = primals[:n], primals[n:]
    t_ops, t_inits = tangents[:n], tangents[n:]
    if any(type(t) is not ad.Zero for t in t_inits):
        raise NotImplementedError(
            "reduce_window: differentiating with respect to the init value is not supported "
            "(as in JAX); make the init value a constant")
    outs = reduce_window_p.bind(*ops, *inits, computation=computation, **window)
    diff = tuple(ad.is_differentiable(get_aval(o)) for o in ops)
    if not any(diff):
        return outs, [ad.Zero(ad.tangent_aval(get_aval(o))) for o in outs]
    from xfront.lax.elementwise import _convert_element_type

    body = _jvp_computation(computation, diff)
    t_list = [ad.instantiate(t) for t, d in zip(t_ops, diff) if d]
    t_init = [_convert_element_type(0, get_aval(o).dtype) for o, d in zip(ops, diff) if d]
    both = reduce_window_p.bind(*ops, *t_list, *inits, *t_init, computation=body, **window)
    t_out = iter(both[n:])
    return outs, [next(t_out) if d else ad.Zero(ad.tangent_aval(get_aval(o)))
                  for o, d in zip(outs, diff)]


def _reduce_window_transpose(ct, *args, computation, **window):
    raise NotImplementedError(
        "reverse-mode differentiation of lax.reduce_window with a general computation is not "
        "supported (as in JAX): use lax.add, lax.max or lax.min with their identity as init "
        "value (windowed sum/max/min pooling), or forward mode (jvp, jacfwd)")


ad.jvp_rules[reduce_window_p] = _reduce_window_jvp
ad.transpose_rules[reduce_window_p] = _reduce_window_transpose


def _reduce_window_batch(args, dims, *, computation, **window):
    n = len(args) // 2
    if any(d is not None for d in dims[n:]):
        raise NotImplementedError(
            "vmap of reduce_window over batched init values is not supported: make the init "
            "values unbatched constants")
    size = next(get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
    ops = [batching.bdim_at_front(a, d, size) for a, d in zip(args[:n], dims[:n])]
    outs = reduce_window_p.bind(*ops, *args[n:], computation=computation,
                                **_prepend_unit_window(window))
    return outs, [0] * n


batching.batch_rules[reduce_window_p] = _reduce_window_batch


# ----------------------------------------------------------------------------------------------
# reduce_window_sum


def _reduce_window_sum(operand, window_dimensions, window_strides=None, padding="VALID",
                       base_dilation=None, window_dilation=None):
    """Windowed sum (sum pooling): ``stablehlo.reduce_window`` with ``add``."""
    params = _window_params("reduce_window_sum", get_aval(operand).shape, window_dimensions,
                            window_strides, padding, base_dilation, window_dilation)
    return reduce_window_sum_p.bind(operand, **params)


def _monoid_window_prim(name: str, kinds: Kinds) -> Primitive:
    prim = Primitive(name)

    @prim.def_abstract_eval
    def _abstract_eval(x: ShapedArray, **window):
        check_dtype(name, x.dtype, kinds)
        return ShapedArray(_check_window(name, x, **window), x.dtype, x.weak_type)

    def _batch(args, dims, **window):
        (x,), (d,) = args, dims
        return prim.bind(x, **_insert_unit_window(window, d)), d

    batching.batch_rules[prim] = _batch
    return prim


reduce_window_sum_p = _monoid_window_prim("reduce_window_sum", NUM)


def _vjp_lhs_padding(in_shape, window_dimensions, window_strides, out_shape, padding,
                     base_dilation, window_dilation):
    """Edge padding of the stride-dilated cotangent so that a stride-``base_dilation`` window
    pass over it lands on the input positions (as for a convolution's input transpose)."""
    pads = []
    for d, w, s, o, (lo, _), b, r in zip(in_shape, window_dimensions, window_strides,
                                         out_shape, padding, base_dilation, window_dilation):
        wd = _dilate_dim(w, r)
        before = wd - lo - 1
        pads.append((before, _dilate_dim(d, b) + wd - 1 - _dilate_dim(o, s) - before))
    return pads


def _reduce_window_sum_transpose(ct, x, *, window_dimensions, window_strides, padding,
                                 base_dilation, window_dilation):
    if type(ct) is ad.Zero:
        return [ad.Zero(x.aval)]
    from xfront.lax.elementwise import _const
    from xfront.lax.structural import pad

    in_shape = x.aval.shape
    pads = _vjp_lhs_padding(in_shape, window_dimensions, window_strides, get_aval(ct).shape,
                            padding, base_dilation, window_dilation)
    config = [(lo, hi, s - 1) for (lo, hi), s in zip(pads, window_strides)]
    padded = pad(ct, _const(ct, 0), config)
    n = len(in_shape)
    out = reduce_window_sum_p.bind(padded, window_dimensions=window_dimensions,
                                   window_strides=base_dilation, padding=((0, 0),) * n,
                                   base_dilation=(1,) * n, window_dilation=window_dilation)
    return [out]


ad.deflinear(reduce_window_sum_p, _reduce_window_sum_transpose)


# ----------------------------------------------------------------------------------------------
# reduce_window_max, reduce_window_min


def _reduce_window_max(operand, window_dimensions, window_strides=None, padding="VALID",
                       base_dilation=None, window_dilation=None):
    """Windowed maximum (max pooling): ``stablehlo.reduce_window`` with ``maximum``."""
    params = _window_params("reduce_window_max", get_aval(operand).shape, window_dimensions,
                            window_strides, padding, base_dilation, window_dilation)
    return reduce_window_max_p.bind(operand, **params)


reduce_window_max_p = _monoid_window_prim("reduce_window_max", ORDERED)


def _chooser_jvp(select_prim_name: str):
    def jvp(g, x, **window):
        from xfront.lax import elementwise as ew

        select_prim = getattr(ew, f"{select_prim_name}_p")
        return select_and_gather_add_p.bind(g, x, select_prim=select_prim, **window)

    return jvp


ad.defjvp(reduce_window_max_p, _chooser_jvp("ge"))


def _reduce_window_min(operand, window_dimensions, window_strides=None, padding="VALID",
                       base_dilation=None, window_dilation=None):
    """Windowed minimum (min pooling): ``stablehlo.reduce_window`` with ``minimum``."""
    params = _window_params("reduce_window_min", get_aval(operand).shape, window_dimensions,
                            window_strides, padding, base_dilation, window_dilation)
    return reduce_window_min_p.bind(operand, **params)


reduce_window_min_p = _monoid_window_prim("reduce_window_min", ORDERED)
ad.defjvp(reduce_window_min_p, _chooser_jvp("le"))


# ----------------------------------------------------------------------------------------------
# select_and_gather_add: per window, the tangent at the element the window's max (ge) or min
# (le) selects.


def _select_and_gather_add(tangents, operand, select_prim, window_dimensions,
                           window_strides=None, padding="VALID", base_dilation=None,
                           window_dilation=None):
    """For each window of ``operand``, the element of ``tangents`` at the position that
    ``select_prim`` (``ge_p``: the maximum, ``le_p``: the minimum) picks:
    ``stablehlo.reduce_window`` over (operand, tangents) pairs."""
    params = _window_params("select_and_gather_add", get_aval(operand).shape,
                            window_dimensions, window_strides, padding, base_dilation,
                            window_dilation)
    return select_and_gather_add_p.bind(tangents, operand, select_prim=select_prim, **params)


select_and_gather_add_p = Primitive("select_and_gather_add")


def _check_select_prim(name, select_prim):
    if getattr(select_prim, "name", None) not in ("ge", "le"):
        raise XfrontValueError(f"{name}: select_prim must be lax.ge_p or lax.le_p, got "
                               f"{select_prim!r}")


@select_and_gather_add_p.def_abstract_eval
def _select_and_gather_add_abstract_eval(t: ShapedArray, x: ShapedArray, *, select_prim,
                                         **window):
    name = "select_and_gather_add"
    _check_select_prim(name, select_prim)
    check_dtype(name, x.dtype, FLOAT, "operand")
    if t.shape != x.shape or t.dtype != x.dtype:
        raise XfrontTypeError(
            f"{name}: tangents {t.str_short()} and operand {x.str_short()} must have one shape "
            "and dtype")
    return ShapedArray(_check_window(name, x, **window), t.dtype, t.weak_type)


def _select_and_gather_add_jvp(primals, tangents, *, select_prim, **window):
    (t, x), (tt, _) = primals, tangents
    out = select_and_gather_add_p.bind(t, x, select_prim=select_prim, **window)
    if type(tt) is ad.Zero:
        return out, ad.Zero(ad.tangent_aval(get_aval(out)))
    return out, select_and_gather_add_p.bind(tt, x, select_prim=select_prim, **window)


def _select_and_gather_add_transpose(ct, t, x, *, select_prim, window_dimensions,
                                     window_strides, padding, base_dilation, window_dilation):
    if not ad.is_undefined(t) or ad.is_undefined(x):
        raise NotImplementedError("select_and_gather_add is linear in its tangents only")
    if any(d != 1 for d in window_dilation):
        raise NotImplementedError(
            "reverse-mode differentiation of max/min pooling with window_dilation "
            f"{window_dilation} is not supported (as in JAX); use forward mode (jvp, jacfwd) "
            "or no window dilation")
    if type(ct) is ad.Zero:
        return [ad.Zero(t.aval), None]
    from xfront.lax.elementwise import _convert_element_type
    from xfront.lax.structural import pad, slice

    dilated = any(d != 1 for d in base_dilation)
    if dilated:  # the holes hold the identity: they are never selected
        ident = _max_identity if select_prim.name == "ge" else _min_identity
        dt = get_aval(x).dtype
        fill = _convert_element_type(ident(dt), dt)
        x = pad(x, fill, [(0, 0, d - 1) for d in base_dilation])
    out = select_and_scatter_add_p.bind(ct, x, select_prim=select_prim,
                                        window_dimensions=window_dimensions,
                                        window_strides=window_strides, padding=padding)
    if dilated:
        shape = get_aval(out).shape
        out = slice(out, (0,) * len(shape), shape, base_dilation)
    return [out, None]


def _select_and_gather_add_batch(args, dims, *, select_prim, **window):
    size = next(get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
    t, x = (batching.bdim_at_front(a, d, size) for a, d in zip(args, dims))
    return select_and_gather_add_p.bind(t, x, select_prim=select_prim,
                                        **_prepend_unit_window(window)), 0


ad.jvp_rules[select_and_gather_add_p] = _select_and_gather_add_jvp
ad.transpose_rules[select_and_gather_add_p] = _select_and_gather_add_transpose
batching.batch_rules[select_and_gather_add_p] = _select_and_gather_add_batch


# ----------------------------------------------------------------------------------------------
# select_and_scatter_add: each element of ``source`` added at the position its window of
# ``operand`` selects (the transpose of select_and_gather_add).


def _select_and_scatter_add(source, operand, select_prim, window_dimensions,
                            window_strides=None, padding="VALID"):
    """Adds each element of ``source`` into a zero array shaped like ``operand`` at the position
    ``select_prim`` picks in its window: ``stablehlo.select_and_scatter``."""
    params = _window_params("select_and_scatter_add", get_aval(operand).shape,
                            window_dimensions, window_strides, padding, None, None)
    del params["base_dilation"], params["window_dilation"]
    return select_and_scatter_add_p.bind(source, operand, select_prim=select_prim, **params)


select_and_scatter_add_p = Primitive("select_and_scatter_add")


@select_and_scatter_add_p.def_abstract_eval
def _select_and_scatter_add_abstract_eval(source: ShapedArray, x: ShapedArray, *, select_prim,
                                          window_dimensions, window_strides, padding):
    name = "select_and_scatter_add"
    _check_select_prim(name, select_prim)
    check_dtype(name, x.dtype, FLOAT, "operand")
    n = x.ndim
    shape = _check_window(name, x, window_dimensions, window_strides, padding, (1,) * n,
                          (1,) * n)
    if source.shape != shape or source.dtype != x.dtype:
        raise XfrontTypeError(
            f"{name}: source {source.str_short()} must have the windowed shape {shape} and the "
            f"dtype of operand {x.str_short()}")
    return ShapedArray(x.shape, source.dtype, source.weak_type)


def _select_and_scatter_add_jvp(primals, tangents, **params):
    (s, x), (ts, _) = primals, tangents
    out = select_and_scatter_add_p.bind(s, x, **params)
    if type(ts) is ad.Zero:
        return out, ad.Zero(ad.tangent_aval(get_aval(out)))
    return out, select_and_scatter_add_p.bind(ts, x, **params)


def _select_and_scatter_add_transpose(ct, s, x, *, select_prim, window_dimensions,
                                      window_strides, padding):
    if not ad.is_undefined(s) or ad.is_undefined(x):
        raise NotImplementedError("select_and_scatter_add is linear in its source only")
    if type(ct) is ad.Zero:
        return [ad.Zero(s.aval), None]
    n = len(window_dimensions)
    return [select_and_gather_add_p.bind(ct, x, select_prim=select_prim,
                                         window_dimensions=window_dimensions,
                                         window_strides=window_strides, padding=padding,
                                         base_dilation=(1,) * n, window_dilation=(1,) * n),
            None]


def _select_and_scatter_add_batch(args, dims, *, select_prim, window_dimensions,
                                  window_strides, padding):
    size = next(get_aval(a).shape[d] for a, d in zip(args, dims) if d is not None)
    s, x = (batching.bdim_at_front(a, d, size) for a, d in zip(args, dims))
    return select_and_scatter_add_p.bind(
        s, x, select_prim=select_prim, window_dimensions=(1, *window_dimensions),
        window_strides=(1, *window_strides), padding=((0, 0), *padding)), 0


ad.jvp_rules[select_and_scatter_add_p] = _select_and_scatter_add_jvp
ad.transpose_rules[select_and_scatter_add_p] = _select_and_scatter_add_transpose
batching.batch_rules[select_and_scatter_add_p] = _select_and_scatter_add_batch


# ----------------------------------------------------------------------------------------------
# Cumulative reductions.


def _prefix_scan(combine: Callable, elems: list, axis: int) -> list:
    """Inclusive prefix scan of the arrays ``elems`` along ``axis`` with the associative
    ``combine(list_a, list_b) -> list``, in O(log n) depth: scan the combined adjacent pairs,
    then fill in the even positions (built from lax ops, so it is differentiable)."""
    from xfront.lax.structural import concatenate, slice_in_dim

    n = get_aval(elems[0]).shape[axis]
    if n < 2:
        return list(elems)
    pairs = combine([slice_in_dim(e, 0, n - 1, 2, axis) for e in elems],
                    [slice_in_dim(e, 1, n, 2, axis) for e in elems])
    odd = _prefix_scan(combine, pairs, axis)  # results at positions 1, 3, 5, ...
    m = (n - 1) // 2  # even positions after the first: 2, 4, ...
    if m:
        rest = combine([slice_in_dim(o, 0, m, 1, axis) for o in odd],
                       [slice_in_dim(e, 2, n, 2, axis) for e in elems])
        even = [concatenate([slice_in_dim(e, 0, 1, 1, axis), r], axis)
                for e, r in zip(elems, rest)]
    else:
        even = [slice_in_dim(e, 0, 1, 1, axis) for e in elems]
    return [_interleave(a, b, axis) for a, b in zip(even, odd)]


def _interleave(a, b, axis: int):
    """``a[0], b[0], a[1], b[1], ...`` along ``axis`` (``a`` is as long as ``b`` or one
    longer)."""
    from xfront.lax.elementwise import _const
    from xfront.lax.structural import concatenate, expand_dims, pad, reshape, slice_in_dim

    shape = get_aval(a).shape
    p, q = shape[axis], get_aval(b).shape[axis]
    if p > q:
        config = [(0, 0, 0)] * len(shape)
        config[axis] = (0, 1, 0)
        b = pad(b, _const(b, 0), config)
    both = concatenate([expand_dims(a, (axis + 1,)), expand_dims(b, (axis + 1,))], axis + 1)
    out_shape = list(shape)
    out_shape[axis] = 2 * p
    out = reshape(both, tuple(out_shape))
    return slice_in_dim(out, 0, p + q, 1, axis) if p > q else out


def _logaddexp(a, b):
    """log(exp(a) + exp(b)) without overflow (NaN for NaN inputs; -inf for two -inf)."""
    from xfront.lax import elementwise as ew

    delta = ew.sub(a, b)
    out = ew.add(ew.max(a, b), ew.log1p(ew.exp(ew.neg(ew.abs(delta)))))
    return ew.select_n(ew.ne(delta, delta), out, ew.add(a, b))


def _cumulative(name: str, kinds: Kinds, combine: Callable | None) -> Primitive:
    """A cumulative-reduction primitive (params ``axis``, ``reverse``); its JVP (when
    ``combine`` is given) differentiates a prefix scan with ``combine``."""
    prim = Primitive(name)

    @prim.def_abstract_eval
    def _abstract_eval(x: ShapedArray, *, axis, reverse):
        check_dtype(name, x.dtype, kinds)
        if not 0 <= axis < x.ndim:
            raise XfrontValueError(f"{name}: axis {axis} is out of bounds for {x.str_short()}")
        return ShapedArray(x.shape, x.dtype, x.weak_type)

    def _batch(args, dims, *, axis, reverse):
        (x,), (d,) = args, dims
        return prim.bind(x, axis=axis + (1 if axis >= d else 0), reverse=reverse), d

    batching.batch_rules[prim] = _batch

    if combine is not None:
        def _jvp(primals, tangents, *, axis, reverse):
            from xfront.lax.structural import rev

            (x,), (t,) = primals, tangents
            out = prim.bind(x, axis=axis, reverse=reverse)

            def scan(x):
                x = rev(x, (axis,)) if reverse else x
                y = _prefix_scan(lambda a, b: [combine(a[0], b[0])], [x], axis)[0]
                return [rev(y, (axis,)) if reverse else y]

            _, (t_out,) = ad.jvp_flat(scan, [x], [t])
            return out, t_out

        ad.jvp_rules[prim] = _jvp
    return prim


def _cum_params(name, operand, axis, reverse) -> dict:
    ndim = get_aval(operand).ndim
    return dict(axis=canonical_axis(axis, ndim, name), reverse=bool(reverse))


def cumsum(operand, axis: int = 0, reverse: bool = False):
    """Cumulative sum along ``axis`` (from the end if ``reverse``): ``stablehlo.reduce_window``
    with ``add`` over a window spanning the axis."""
    return cumsum_p.bind(operand, **_cum_params("cumsum", operand, axis, reverse))


cumsum_p = _cumulative("cumsum", NUM, None)
ad.deflinear(cumsum_p, lambda ct, x, *, axis, reverse: [
    ad.Zero(x.aval) if type(ct) is ad.Zero else cumsum_p.bind(ct, axis=axis,
                                                             reverse=not reverse)])


def cumprod(operand, axis: int = 0, reverse: bool = False):
    """Cumulative product along ``axis``: ``stablehlo.reduce_window`` with ``multiply``."""
    return cumprod_p.bind(operand, **_cum_params("cumprod", operand, axis, reverse))


def _mul(a, b):
    from xfront.lax.elementwise import mul

    return mul(a, b)


cumprod_p = _cumulative("cumprod", NUM, _mul)


def cummax(operand, axis: int = 0, reverse: bool = False):
    """Cumulative maximum along ``axis``: ``stablehlo.reduce_window`` with ``maximum``."""
    return cummax_p.bind(operand, **_cum_params("cummax", operand, axis, reverse))


def _max(a, b):
    from xfront.lax.elementwise import max as max_

    return max_(a, b)


cummax_p = _cumulative("cummax", INT | FLOAT, _max)


def cummin(operand, axis: int = 0, reverse: bool = False):
    """Cumulative minimum along ``axis``: ``stablehlo.reduce_window`` with ``minimum``."""
    return cummin_p.bind(operand, **_cum_params("cummin", operand, axis, reverse))


def _min(a, b):
    from xfront.lax.elementwise import min as min_

    return min_(a, b)


cummin_p = _cumulative("cummin", INT | FLOAT, _min)


def cumlogsumexp(operand, axis: int = 0, reverse: bool = False):
    """Cumulative log-sum-exp along ``axis``: ``stablehlo.reduce_window`` with a stable
    ``log(exp(a) + exp(b))`` body."""
    return cumlogsumexp_p.bind(operand, **_cum_params("cumlogsumexp", operand, axis, reverse))


cumlogsumexp_p = _cumulative("cumlogsumexp", FLOAT, _logaddexp)
