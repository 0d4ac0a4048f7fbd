"""User-defined derivatives: ``custom_jvp``, ``custom_vjp``, ``custom_gradient``, and
``checkpoint``/``remat`` with saving policies (``jax``'s names and semantics).

A decorated function is traced to a graph and bound as one call primitive carrying the user's
rule (``xfront/lax/call.py``); outside of any transformation it simply runs the function.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import numpy as np

from xfront import dispatch
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError
from xfront.core.trace import eval_graph, get_aval, is_eager
from xfront.interpreters import ad
from xfront.interpreters.partial_eval import hoist, pe_rules
from xfront.interpreters.staging import DebugInfo, trace_to_graph
from xfront.lax.call import _call_transpose, checkpoint_p, custom_jvp_call_p, custom_vjp_call_p

_flatten = dispatch.pytree_registry.flatten


def _name(fun) -> str:
    return getattr(fun, "__name__", None) or type(fun).__name__


def _resolve_kwargs(fun, args, kwargs):
    if not kwargs:
        return tuple(args)
    try:
        bound = inspect.signature(fun).bind(*args, **kwargs)
    except (TypeError, ValueError) as e:
        raise XfrontTypeError(f"{_name(fun)}: {e}") from None
    bound.apply_defaults()
    if bound.kwargs:
        raise XfrontTypeError(f"{_name(fun)}: keyword-only arguments are not supported by "
                              "custom derivative rules; pass them positionally")
    return bound.args


def _split_nondiff(args, nondiff_argnums):
    nondiff = tuple(args[i] for i in nondiff_argnums)
    dyn = tuple(a for i, a in enumerate(args) if i not in nondiff_argnums)
    return nondiff, dyn


def _merge(nondiff_argnums, nondiff, dyn):
    out, it_n, it_d = [], iter(nondiff), iter(dyn)
    for i in range(len(nondiff) + len(dyn)):
        out.append(next(it_n) if i in nondiff_argnums else next(it_d))
    return out


def _trace_fun(fun, nondiff_argnums, nondiff, dyn_leaves, in_tree, what: str):
    box = []

    def flat(*leaves):
        dyn = in_tree.unflatten(leaves)
        out = fun(*_merge(nondiff_argnums, nondiff, dyn))
        out_leaves, out_tree = _flatten(out)
        box.append(out_tree)
        return out_leaves

    avals = [get_aval(x) for x in dyn_leaves]
    closed = trace_to_graph(flat, avals, DebugInfo.of(what, fun))
    graph, consts = hoist(closed)
    return graph, consts, box[0]


def _describe(avals) -> str:
    return "(" + ", ".join(a.str_short() for a in avals) + ")"


def _avals_of(leaves, where: str):
    out = []
    for x in leaves:
        if isinstance(x, np.ndarray) and x.dtype == dtypes.float0:
            from xfront.core.ir import ShapedArray

            out.append(ShapedArray(x.shape, dtypes.float0))
            continue
        try:
            out.append(get_aval(x))
        except TypeError:
            raise XfrontTypeError(f"{where}: returned a {type(x).__name__}, not an array") \
                from None
    return out


# ----------------------------------------------------------------------------------------------
# custom_jvp


class _JVPRule:
    """The user's JVP rule for one traced signature (compared by identity)."""

    __slots__ = ("fn", "name", "nondiff_argnums", "nondiff", "in_tree", "out_tree")

    def __init__(self, fn, name, nondiff_argnums, nondiff, in_tree, out_tree):
        self.fn, self.name = fn, name
        self.nondiff_argnums, self.nondiff = nondiff_argnums, nondiff
        self.in_tree, self.out_tree = in_tree, out_tree

    def apply(self, args, arg_tangents, out_avals):
        primals = tuple(self.in_tree.unflatten(args))
        tangents = tuple(self.in_tree.unflatten(arg_tangents))
        res = self.fn(*self.nondiff, primals, tangents)
        if not (isinstance(res, tuple | list) and len(res) == 2):
            raise XfrontTypeError(
                f"the custom_jvp rule of {self.name} must return a pair (primal_out, "
                f"tangent_out), got {type(res).__name__}")
        p_leaves, p_tree = _flatten(res[0])
        t_leaves, t_tree = _flatten(res[1])
        if p_tree != self.out_tree or t_tree != self.out_tree:
            raise XfrontTypeError(
                f"the custom_jvp rule of {self.name} returned primal output structure {p_tree} "
                f"and tangent output structure {t_tree}, but {self.name} returns "
                f"{self.out_tree}")
        p_avals = _avals_of(p_leaves, f"custom_jvp rule of {self.name}")
        t_avals = _avals_of(t_leaves, f"custom_jvp rule of {self.name}")
        want_t = [ad.tangent_aval(a) for a in out_avals]
        if ([(a.shape, a.dtype) for a in p_avals] != [(a.shape, a.dtype) for a in out_avals]
                or [(a.shape, a.dtype) for a in t_avals] != [(a.shape, a.dtype) for a in want_t]):
            raise XfrontTypeError(
                f"the custom_jvp rule of {self.name} returned primal outputs "
                f"{_describe(p_avals)} and tangents {_describe(t_avals)}, but {self.name} "
                f"returns {_describe(out_avals)} (tangents {_describe(want_t)})")
        t_leaves = [ad.Zero(a) if isinstance(t, np.ndarray) and t.dtype == dtypes.float0 else t
                    for t, a in zip(t_leaves, want_t)]
        return list(p_leaves), t_leaves


class custom_jvp:
    """A function with a user-defined JVP (``jax.custom_jvp``).

    ::

        @custom_jvp
        def f(x): ...

        @f.defjvp
        def f_jvp(primals, tangents):
            (x,), (t,) = primals, tangents
            return f(x), ...
    """

    def __init__(self, fun: Callable, nondiff_argnums: tuple = ()):
        functools.update_wrapper(self, fun, updated=())
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.jvp = None

    def defjvp(self, jvp: Callable, symbolic_zeros: bool = False) -> Callable:
        if symbolic_zeros:
            raise XfrontTypeError("custom_jvp.defjvp: symbolic_zeros=True is not supported")
        self.jvp = jvp
        return jvp

    def defjvps(self, *jvps: Callable | None) -> None:
        """One function per argument: ``jvp_i(tangent_i, primal_out, *primals)``; the output
        tangent is their sum."""
        from xfront.tree_util import tree_map

        def jvp(primals, tangents):
            out = self(*primals)
            acc = None
            for fn, t in zip(jvps, tangents):
                if fn is None:
                    continue
                contrib = fn(t, out, *primals)
                acc = contrib if acc is None else tree_map(lambda a, b: a + b, acc, contrib)
            if acc is None:
                acc = tree_map(lambda o: o * 0, out)
            return out, acc

        self.defjvp(jvp)

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        name = _name(self.fun)
        if self.jvp is None:
            raise AttributeError(f"No JVP defined for custom_jvp function {name} using defjvp.")
        return _bind_custom(
            self.fun, self.nondiff_argnums, args, kwargs, "custom_jvp",
            lambda graph, consts, leaves, nondiff, in_tree, out_tree: custom_jvp_call_p.bind(
                *consts, *leaves, call=graph, num_consts=len(consts),
                jvp=_JVPRule(self.jvp, name, self.nondiff_argnums, nondiff, in_tree, out_tree)))


# Reverse mode of a custom_jvp function applied to tangent-dependent values (a JVP rule that
# calls another custom_jvp function, or custom_jvp functions nested in a JVP rule under grad of
# grad). Partial evaluation only builds linear maps, and the custom rule has already been applied
# by the JVP above it, so such a call is inlined as its plain function (JAX does the same); the
# equations it stages are ordinary linear primitives that transpose one by one. A call that is
# staged whole anyway (under checkpoint, which stages unknown equations unsplit) transposes
# through its function's graph.


def _custom_jvp_call_partial_eval(trace, args, params):
    return eval_graph(params["call"], *args)


def _custom_jvp_call_transpose(cts, *args, call, jvp, num_consts):
    return _call_transpose(call, cts, args, f"transpose(custom_jvp({jvp.name}))")


pe_rules[custom_jvp_call_p] = _custom_jvp_call_partial_eval
ad.transpose_rules[custom_jvp_call_p] = _custom_jvp_call_transpose


def _bind_custom(fun, nondiff_argnums, args, kwargs, kind: str, bind):
    """Shared ``__call__`` of custom_jvp/custom_vjp: runs ``fun`` outside transformations,
    otherwise traces it and binds its call primitive through ``bind``."""
    args = _resolve_kwargs(fun, args, kwargs)
    if is_eager():
        return fun(*args)
    nondiff, dyn = _split_nondiff(args, nondiff_argnums)
    leaves, in_tree = _flatten(dyn)
    graph, consts, out_tree = _trace_fun(fun, nondiff_argnums, nondiff, leaves, in_tree,
                                         f"{kind}({_name(fun)})")
    outs = bind(graph, consts, leaves, nondiff, in_tree, out_tree)
    return out_tree.unflatten(outs)


# ----------------------------------------------------------------------------------------------
# custom_vjp


class _VJPRule:
    """The user's fwd/bwd pair for one traced signature (compared by identity)."""

    __slots__ = ("fwd", "bwd", "name", "nondiff_argnums", "nondiff", "in_tree", "out_tree")

    def __init__(self, fwd, bwd, name, nondiff_argnums, nondiff, in_tree, out_tree):
        self.fwd, self.bwd, self.name = fwd, bwd, name
        self.nondiff_argnums, self.nondiff = nondiff_argnums, nondiff
        self.in_tree, self.out_tree = in_tree, out_tree

    def forward(self, args, out_avals):
        primals = self.in_tree.unflatten(args)
        res = self.fwd(*_merge(self.nondiff_argnums, self.nondiff, primals))
        if not (isinstance(res, tuple | list) and len(res) == 2):
            raise XfrontTypeError(
                f"the custom_vjp fwd function of {self.name} must return a pair (output, "
                f"residuals), got {type(res).__name__}")
        out_leaves, out_tree = _flatten(res[0])
        if out_tree != self.out_tree:
            raise XfrontTypeError(
                f"the custom_vjp fwd function of {self.name} returned output structure "
                f"{out_tree}, but {self.name} returns {self.out_tree}")
        avals = _avals_of(out_leaves, f"custom_vjp fwd of {self.name}")
        if [(a.shape, a.dtype) for a in avals] != [(a.shape, a.dtype) for a in out_avals]:
            raise XfrontTypeError(
                f"the custom_vjp fwd function of {self.name} returned outputs "
                f"{_describe(avals)}, but {self.name} returns {_describe(out_avals)}")
        res_leaves, res_tree = _flatten(res[1])
        _avals_of(res_leaves, f"custom_vjp fwd of {self.name} (residuals)")
        return list(out_leaves), list(res_leaves), _Backward(self, res_tree)


class _Backward:
    __slots__ = ("rule", "res_tree", "name")

    def __init__(self, rule: _VJPRule, res_tree):
        self.rule, self.res_tree, self.name = rule, res_tree, rule.name

    def backward(self, residuals, cts, arg_avals):
        rule = self.rule
        res = self.res_tree.unflatten(residuals)
        ct = rule.out_tree.unflatten([ad.instantiate(c) for c in cts])
        out = rule.bwd(*rule.nondiff, res, ct)
        n_dyn = rule.in_tree.num_leaves
        primals_struct = rule.in_tree  # a tuple of the differentiable arguments
        if not isinstance(out, tuple | list):
            raise XfrontTypeError(
                f"the custom_vjp bwd function of {self.name} must return a tuple with one "
                f"cotangent per differentiable argument ({len(primals_struct.children())}), "
                f"got {type(out).__name__}")
        if len(out) != len(primals_struct.children()):
            raise XfrontTypeError(
                f"the custom_vjp bwd function of {self.name} returned {len(out)} cotangents, "
                f"but {self.name} has {len(primals_struct.children())} differentiable "
                f"arguments (structure {primals_struct})")
        leaves = []
        for i, (ct_i, sub) in enumerate(zip(out, primals_struct.children())):
            if ct_i is None:
                leaves.extend([None] * sub.num_leaves)
                continue
            l_i, t_i = _flatten(ct_i)
            if t_i != sub:
                raise XfrontTypeError(
                    f"the custom_vjp bwd function of {self.name} returned a cotangent with "
                    f"structure {t_i} for argument {i}, whose structure is {sub}")
            leaves.extend(l_i)
        result = []
        for leaf, aval in zip(leaves, arg_avals):
            if leaf is None or aval is None:
                result.append(None if aval is None else ad.Zero(ad.tangent_aval(aval)))
                continue
            got = _avals_of([leaf], f"custom_vjp bwd of {self.name}")[0]
            want = ad.tangent_aval(aval)
            if got.shape != want.shape or (got.dtype != want.dtype and
                                           want.dtype != dtypes.float0):
                raise XfrontTypeError(
                    f"the custom_vjp bwd function of {self.name} returned a cotangent of type "
                    f"{got.str_short()} for an input of type {aval.str_short()} (expected "
                    f"{want.str_short()})")
            result.append(ad.Zero(want) if want.dtype == dtypes.float0 else leaf)
        assert len(result) == n_dyn
        return result


class custom_vjp:
    """A function with a user-defined VJP (``jax.custom_vjp``): ``f.defvjp(fwd, bwd)`` where
    ``fwd(*args) -> (out, residuals)`` and ``bwd(residuals, cotangent) -> tuple of input
    cotangents`` (with nondiff_argnums, those arguments come first in ``bwd``)."""

    def __init__(self, fun: Callable, nondiff_argnums: tuple = ()):
        functools.update_wrapper(self, fun, updated=())
        self.fun = fun
        self.nondiff_argnums = tuple(nondiff_argnums)
        self.fwd = self.bwd = None

    def defvjp(self, fwd: Callable, bwd: Callable, symbolic_zeros: bool = False) -> None:
        if symbolic_zeros:
            raise XfrontTypeError("custom_vjp.defvjp: symbolic_zeros=True is not supported")
        self.fwd, self.bwd = fwd, bwd

    def __get__(self, obj, objtype=None):
        return self if obj is None else functools.partial(self, obj)

    def __call__(self, *args, **kwargs):
        name = _name(self.fun)
        if self.fwd is None:
            raise AttributeError(f"No VJP defined for custom_vjp function {name} using defvjp.")
        return _bind_custom(
            self.fun, self.nondiff_argnums, args, kwargs, "custom_vjp",
            lambda graph, consts, leaves, nondiff, in_tree, out_tree: custom_vjp_call_p.bind(
                *consts, *leaves, call=graph, num_consts=len(consts),
                rule=_VJPRule(self.fwd, self.bwd, name, self.nondiff_argnums, nondiff, in_tree,
                              out_tree)))


def custom_gradient(fun: Callable) -> Callable:
    """``fun(*args) -> (out, vjp_fn)`` becomes a function whose VJP is ``vjp_fn``
    (``jax.custom_gradient``). ``vjp_fn`` is re-derived by running ``fun`` again in the
    backward pass."""

    @custom_vjp
    def wrapped(*args):
        return fun(*args)[0]

    def fwd(*args):
        return fun(*args)[0], args

    def bwd(args, ct):
        _, vjp_fn = fun(*args)
        cts = vjp_fn(ct)
        return tuple(cts) if isinstance(cts, tuple | list) else (cts,)

    wrapped.defvjp(fwd, bwd)
    functools.update_wrapper(wrapped, fun, updated=())
    return wrapped


# ----------------------------------------------------------------------------------------------
# checkpoint / remat


class checkpoint_policies:
    """Which intermediates reverse mode may save under ``checkpoint`` (the rest are
    recomputed). A policy is ``policy(prim, *avals, **params) -> bool``."""

    @staticmethod
    def nothing_saveable(prim, *avals, **params) -> bool:
        return False

    @staticmethod
    def everything_saveable(prim, *avals, **params) -> bool:
        return True

    @staticmethod
    def dots_saveable(prim, *avals, **params) -> bool:
        return prim.name == "dot_general"

    @staticmethod
    def dots_with_no_batch_dims_saveable(prim, *avals, **params) -> bool:
        if prim.name != "dot_general":
            return False
        (_, _), (lb, rb) = params["dimension_numbers"]
        return not lb and not rb

    checkpoint_dots = dots_saveable
    checkpoint_dots_with_no_batch_dims = dots_with_no_batch_dims_saveable


def checkpoint(fun: Callable | None = None, *, prevent_cse: bool = True,
               policy: Callable | None = None, static_argnums: int | tuple = ()):
    """Marks ``fun`` for rematerialization: reverse mode recomputes its intermediates (except
    those ``policy`` saves) instead of keeping them from the forward pass."""
    if fun is None:
        return lambda f: checkpoint(f, prevent_cse=prevent_cse, policy=policy,
                                    static_argnums=static_argnums)
    statics = (static_argnums,) if isinstance(static_argnums, int) else tuple(static_argnums)
    policy = policy or checkpoint_policies.nothing_saveable
    name = _name(fun)

    @functools.wraps(fun, updated=())
    def remat_f(*args, **kwargs):
        if is_eager():
            return fun(*args, **kwargs)
        static_vals = tuple(args[i] for i in statics)
        dyn = tuple(a for i, a in enumerate(args) if i not in statics)
        leaves, in_tree = _flatten((dyn, kwargs))
        box = []

        def flat(*ls):
            d, kw = in_tree.unflatten(ls)
            full, it_s, it_d = [], iter(static_vals), iter(d)
            for i in range(len(args)):
                full.append(next(it_s) if i in statics else next(it_d))
            out_leaves, out_tree = _flatten(fun(*full, **kw))
            box.append(out_tree)
            return out_leaves

        closed = trace_to_graph(flat, [get_aval(x) for x in leaves],
                                DebugInfo.of(f"checkpoint({name})", fun))
        graph, consts = hoist(closed)
        outs = checkpoint_p.bind(*consts, *leaves, graph=graph, policy=policy,
                                 prevent_cse=prevent_cse)
        return box[0].unflatten(outs)

    return remat_f


remat = checkpoint
