"""Differentiation API: jvp, linearize, vjp, grad, value_and_grad, jacfwd, jacrev, jacobian,
hessian, linear_transpose (``jax``'s names and semantics, over ``interpreters/ad.py``)."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

import numpy as np

from xfront import dispatch
from xfront.core import dtypes
from xfront.core.errors import (
    XfrontTypeError,
    XfrontValueError,
    api_boundary,
    drop_internal_frames,
)
from xfront.core.ir import ShapedArray
from xfront.core.trace import get_aval
from xfront.interpreters import ad

_flatten = dispatch.pytree_registry.flatten


def _leaf_aval(x, where: str) -> ShapedArray:
    if isinstance(x, np.ndarray) and x.dtype == dtypes.float0:
        return ShapedArray(x.shape, dtypes.float0)
    try:
        return get_aval(x)
    except TypeError:
        raise XfrontTypeError(
            f"{where}: {type(x).__name__} ({x!r:.60}) is not a valid array") from None


def _fun_name(fun) -> str:
    return getattr(fun, "__name__", None) or type(fun).__name__


def _flatten_fun(fun: Callable, in_tree, has_aux: bool, box: list):
    """``fun`` on pytrees -> a function on flat leaves returning flat leaves (aux leaves last).
    The output tree (and aux tree) are appended to ``box``."""

    def flat(*leaves):
        args = in_tree.unflatten(leaves)
        out = fun(*args)
        if has_aux:
            if not (isinstance(out, tuple) and len(out) == 2):
                raise XfrontTypeError(
                    f"{_fun_name(fun)} was differentiated with has_aux=True, so it must return "
                    f"a pair (output, auxiliary data); it returned {type(out).__name__}")
            out, aux = out
            out_leaves, out_tree = _flatten(out)
            aux_leaves, aux_tree = _flatten(aux)
            box.append((out_tree, aux_tree, len(out_leaves)))
            return out_leaves + aux_leaves
        out_leaves, out_tree = _flatten(out)
        box.append((out_tree, None, len(out_leaves)))
        return out_leaves

    return flat


def _split_aux(outs, info):
    out_tree, aux_tree, n = info
    if aux_tree is None:
        return outs, None
    return outs[:n], aux_tree.unflatten(outs[n:])


# ----------------------------------------------------------------------------------------------
# Forward mode.


@api_boundary
def jvp(fun: Callable, primals, tangents, has_aux: bool = False):
    """Evaluates ``fun(*primals)`` and its directional derivative along ``tangents``.

    Returns ``(primals_out, tangents_out)`` (and ``aux`` with has_aux). Integer and boolean
    primals take float0 tangents (``np.zeros(shape, xfront.float0)``).
    """
    if not isinstance(primals, tuple | list) or not isinstance(tangents, tuple | list):
        raise XfrontTypeError(
            "jvp: primals and tangents must be tuples or lists of arguments, got "
            f"{type(primals).__name__} and {type(tangents).__name__}")
    p_leaves, p_tree = _flatten(tuple(primals))
    t_leaves, t_tree = _flatten(tuple(tangents))
    if p_tree != t_tree:
        raise XfrontTypeError(
            f"jvp: primal and tangent arguments must have the same tree structure, got "
            f"{p_tree} and {t_tree}")
    tans = []
    for i, (p, t) in enumerate(zip(p_leaves, t_leaves)):
        pa, ta = _leaf_aval(p, "jvp primal"), _leaf_aval(t, "jvp tangent")
        want = ad.tangent_aval(pa)
        if ta.shape != pa.shape or ta.dtype != want.dtype:
            raise XfrontTypeError(
                f"jvp: tangent {i} has type {ta.str_short()} but the primal has type "
                f"{pa.str_short()}, whose tangents have type {want.str_short()}"
                + (" (integer and boolean primals take float0 tangents)"
                   if want.dtype == dtypes.float0 else ""))
        tans.append(ad.Zero(want) if want.dtype == dtypes.float0 else t)
    box: list = []
    flat = _flatten_fun(fun, p_tree, has_aux, box)
    out_p, out_t = ad.jvp_flat(flat, p_leaves, tans)
    info = box[0]
    out_p, aux = _split_aux(out_p, info)
    out_t = [ad.instantiate(t) for t in out_t[:len(out_p)]]
    out_tree = info[0]
    result = (out_tree.unflatten(out_p), out_tree.unflatten(out_t))
    return (*result, aux) if has_aux else result


@api_boundary
def linearize(fun: Callable, *primals, has_aux: bool = False):
    """Returns ``(fun(*primals), f_jvp)`` where ``f_jvp(*tangents)`` evaluates the JVP at
    ``primals`` without re-running ``fun``'s primal computation."""
    p_leaves, p_tree = _flatten(primals)
    box: list = []
    flat = _flatten_fun(fun, p_tree, has_aux, box)
    out_p, lin = ad.linearize_flat(flat, p_leaves, "linearize")
    info = box[0]
    out_p, aux = _split_aux(out_p, info)
    out_tree = info[0]
    n = len(out_p)

    def f_jvp(*tangents):
        try:
            t_leaves, t_tree = _flatten(tangents)
            if t_tree != p_tree:
                raise XfrontTypeError(f"linearize: tangents have structure {t_tree}, expected "
                                      f"{p_tree}")
            outs = lin.jvp(t_leaves)[:n]
            return out_tree.unflatten([ad.instantiate(t) for t in outs])
        except Exception as e:
            drop_internal_frames(e)
            raise

    result = (out_tree.unflatten(out_p), f_jvp)
    return (*result, aux) if has_aux else result


# ----------------------------------------------------------------------------------------------
# Reverse mode.


@api_boundary
def vjp(fun: Callable, *primals, has_aux: bool = False):
    """Returns ``(fun(*primals), vjp_fun)`` where ``vjp_fun(cotangent)`` returns a tuple of
    cotangents, one per primal (float0 zeros for integer and boolean primals)."""
    p_leaves, p_tree = _flatten(primals)
    box: list = []
    flat = _flatten_fun(fun, p_tree, has_aux, box)
    out_p, lin = ad.linearize_flat(flat, p_leaves, "vjp")
    info = box[0]
    out_p, aux = _split_aux(out_p, info)
    out_tree = info[0]
    out_avals = [get_aval(o) for o in out_p]
    n = len(out_p)
    name = _fun_name(fun)

    def vjp_fun(cotangent):
        try:
            ct_leaves, ct_tree = _flatten(cotangent)
            if ct_tree != out_tree:
                raise XfrontTypeError(
                    f"vjp of {name}: the cotangent has structure {ct_tree}, but the output has "
                    f"structure {out_tree}")
            cts = [ad.check_cotangent(c, a, f"vjp of {name}") for c, a in zip(ct_leaves, out_avals)]
            cts = [ad.Zero(ad.tangent_aval(a)) if isinstance(c, np.ndarray) and c.dtype ==
                   dtypes.float0 else c for c, a in zip(cts, out_avals)]
            in_cts = lin.transpose(cts + [ad.Zero(ad.tangent_aval(a)) for a in
                                          lin.out_avals[n:]])
            return p_tree.unflatten([ad.instantiate(c) for c in in_cts])
        except Exception as e:
            drop_internal_frames(e)
            raise

    result = (out_tree.unflatten(out_p), vjp_fun)
    return (*result, aux) if has_aux else result


def _normalize_argnums(argnums, nargs: int, what: str) -> tuple[int, ...]:
    nums = (argnums,) if isinstance(argnums, int | np.integer) else tuple(argnums)
    if not nums:
        raise XfrontValueError(f"{what}: argnums must not be empty")
    out = []
    for a in nums:
        if not isinstance(a, int | np.integer):
            raise XfrontTypeError(f"{what}: argnums must be ints, got {argnums!r}")
        if not -nargs <= a < nargs:
            raise XfrontValueError(
                f"{what}: argnums {argnums} is out of range for a function called with "
                f"{nargs} positional argument{'s' if nargs != 1 else ''}")
        out.append(int(a) % nargs)
    return tuple(out)


def _with_dyn(fun, args, kwargs, nums):
    """``fun`` as a function of the arguments at ``nums`` only (the others fixed)."""

    def partial(*dyn_args):
        full = list(args)
        for i, v in zip(nums, dyn_args):
            full[i] = v
        return fun(*full, **kwargs)

    return partial


def _check_input_dtypes(what: str, fun_name: str, args, argnums, holomorphic: bool,
                        allow_int: bool):
    for i in argnums:
        for leaf in _flatten(args[i])[0]:
            aval = _leaf_aval(leaf, what)
            dt = aval.dtype
            if holomorphic:
                if not dtypes.is_complex(dt):
                    raise XfrontTypeError(
                        f"{what}({fun_name}) with holomorphic=True requires complex inputs, but "
                        f"argument {i} has dtype {dt}")
            elif not dtypes.is_inexact(dt) and not allow_int:
                raise XfrontTypeError(
                    f"{what}({fun_name}) requires real- or complex-valued inputs (a floating "
                    f"or complex dtype), but argument {i} has dtype {dt}. To differentiate "
                    f"with respect to integer or boolean inputs use allow_int=True (their "
                    f"gradients are float0 zeros), or pass the argument as a non-differentiated "
                    f"one (leave it out of argnums).")


def value_and_grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
                   holomorphic: bool = False, allow_int: bool = False,
                   reduce_axes: tuple = ()) -> Callable:
    """A function returning ``(fun(*args), gradient)`` with respect to ``argnums``.

    ``fun`` must return a scalar (a float, or a complex number with ``holomorphic=True``).
    """
    name = _fun_name(fun)

    @functools.wraps(fun, updated=())
    def value_and_grad_f(*args, **kwargs):
        try:
            nums = _normalize_argnums(argnums, len(args), f"grad({name})")
            _check_input_dtypes("grad", name, args, nums, holomorphic, allow_int)
            dyn = [args[i] for i in nums]
            partial = _with_dyn(fun, args, kwargs, nums)

            if has_aux:
                ans, vjp_fun, aux = vjp(partial, *dyn, has_aux=True)
            else:
                ans, vjp_fun = vjp(partial, *dyn)
            _check_scalar_output(name, ans, holomorphic)
            grads = vjp_fun(_ones_like(ans))
            g = grads[0] if isinstance(argnums, int | np.integer) else tuple(grads)
            return ((ans, aux), g) if has_aux else (ans, g)
        except Exception as e:
            drop_internal_frames(e)
            raise

    return value_and_grad_f


def _ones_like(x):
    from xfront import lax

    aval = get_aval(x)
    return lax.full(aval.shape, 1, aval.dtype)


def _check_scalar_output(name: str, ans, holomorphic: bool):
    try:
        aval = get_aval(ans)
    except TypeError:
        raise XfrontTypeError(
            f"grad({name}): the function must return a scalar array, but it returned "
            f"{type(ans).__name__}") from None
    if aval.shape != ():
        raise XfrontTypeError(
            f"grad({name}) requires a scalar-output function, but the output has shape "
            f"{aval.shape} and dtype {aval.dtype} ({aval.str_short()}). Reduce it (e.g. "
            "with .sum()), or use vjp / jacrev for non-scalar outputs.")
    if holomorphic:
        if not dtypes.is_complex(aval.dtype):
            raise XfrontTypeError(f"grad({name}) with holomorphic=True requires a complex "
                                  f"output, got dtype {aval.dtype}")
    elif not dtypes.is_float(aval.dtype):
        kind = "complex" if dtypes.is_complex(aval.dtype) else "non-floating"
        raise XfrontTypeError(
            f"grad({name}) requires a real-valued (floating) scalar output, but the output has "
            f"{kind} dtype {aval.dtype}" + (
                "; use holomorphic=True for complex functions" if kind == "complex" else ""))


def grad(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
         holomorphic: bool = False, allow_int: bool = False, reduce_axes: tuple = ()) -> Callable:
    """The gradient of scalar-valued ``fun`` with respect to argument(s) ``argnums``."""
    vg = value_and_grad(fun, argnums, has_aux, holomorphic, allow_int)

    @functools.wraps(fun, updated=())
    def grad_f(*args, **kwargs):
        try:
            out, g = vg(*args, **kwargs)
            return (g, out[1]) if has_aux else g
        except Exception as e:
            drop_internal_frames(e)
            raise

    return grad_f


# ----------------------------------------------------------------------------------------------
# Jacobians.


def _std_basis(leaves):
    """The standard basis of the space of ``leaves``, one (N, *leaf.shape) array per leaf
    (N = total size): row k is the k-th unit vector, split across the leaves."""
    from xfront import numpy as xnp

    sizes = [get_aval(x).size for x in leaves]
    n = sum(sizes)
    dt = dtypes.result_type(*[get_aval(x).dtype for x in leaves]) if leaves else np.float32
    eye = xnp.eye(n, dtype=dt)
    out, start = [], 0
    for x, size in zip(leaves, sizes):
        aval = get_aval(x)
        block = eye[:, start:start + size].astype(aval.dtype)
        out.append(xnp.reshape(block, (n, *aval.shape)))
        start += size
    return out, n


def _split_rows(stacked, leaves, front: bool):
    """Splits a (N, *shape) stack by the input leaves' sizes: each part is reshaped to
    (*leaf.shape, *shape) if ``front`` else (*shape, *leaf.shape)."""
    from xfront import numpy as xnp

    out, start = [], 0
    shape = get_aval(stacked).shape[1:]
    for x in leaves:
        aval = get_aval(x)
        part = stacked[start:start + aval.size]
        start += aval.size
        part = xnp.reshape(part, (*aval.shape, *shape))
        if not front:
            nd = aval.ndim
            part = xnp.transpose(part, (*range(nd, nd + len(shape)), *range(nd)))
        out.append(part)
    return out


def jacfwd(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False) -> Callable:
    """The Jacobian by forward mode, one vmapped JVP over the input basis: out.shape +
    in.shape per (output leaf, input leaf)."""
    from xfront.vectorize import vmap

    name = _fun_name(fun)

    @functools.wraps(fun, updated=())
    def jac_f(*args, **kwargs):
        try:
            nums = _normalize_argnums(argnums, len(args), f"jacfwd({name})")
            _check_input_dtypes("jacfwd", name, args, nums, holomorphic, False)
            dyn = tuple(args[i] for i in nums)
            d_leaves, d_tree = _flatten(dyn)
            partial = _with_dyn(fun, args, kwargs, nums)

            basis, _ = _std_basis(d_leaves)

            def push(*tangent_leaves):
                res = jvp(partial, dyn, tuple(d_tree.unflatten(tangent_leaves)), has_aux=has_aux)
                return (res[1], res[2]) if has_aux else res[1]

            tans = vmap(push, out_axes=(0, None) if has_aux else 0)(*basis)
            aux_out = None
            if has_aux:
                tans, aux_out = tans
            t_leaves, out_tree = _flatten(tans)
            jac = []
            for t in t_leaves:  # (N, *out.shape) -> per input leaf (*out.shape, *in.shape)
                parts = _split_rows(t, d_leaves, front=False)
                jac.append(parts[0] if isinstance(argnums, int | np.integer)
                           else d_tree.unflatten(parts))
            result = out_tree.unflatten(jac)
            return (result, aux_out) if has_aux else result
        except Exception as e:
            drop_internal_frames(e)
            raise

    return jac_f


def jacrev(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
           holomorphic: bool = False, allow_int: bool = False) -> Callable:
    """The Jacobian by reverse mode, one vmapped VJP over the output basis: out.shape +
    in.shape per (output leaf, input leaf)."""
    from xfront.vectorize import vmap

    name = _fun_name(fun)

    @functools.wraps(fun, updated=())
    def jac_f(*args, **kwargs):
        try:
            nums = _normalize_argnums(argnums, len(args), f"jacrev({name})")
            _check_input_dtypes("jacrev", name, args, nums, holomorphic, allow_int)
            dyn = tuple(args[i] for i in nums)
            partial = _with_dyn(fun, args, kwargs, nums)

            res = vjp(partial, *dyn, has_aux=has_aux)
            out, vjp_fun = res[0], res[1]
            aux = res[2] if has_aux else None
            out_leaves, out_tree = _flatten(out)
            d_leaves, d_tree = _flatten(dyn)
            basis, _ = _std_basis(out_leaves)
            cts = vmap(lambda *cs: _flatten(vjp_fun(out_tree.unflatten(cs)))[0])(*basis)
            # cts: per input leaf, (M, *in.shape) with M the total output size.
            per_input = [_split_rows(c, out_leaves, front=True) for c in cts]
            jac = []
            for i in range(len(out_leaves)):
                parts = [per_input[j][i] for j in range(len(d_leaves))]
                jac.append(parts[0] if isinstance(argnums, int | np.integer)
                           else d_tree.unflatten(parts))
            result = out_tree.unflatten(jac)
            return (result, aux) if has_aux else result
        except Exception as e:
            drop_internal_frames(e)
            raise

    return jac_f


jacobian = jacrev


def hessian(fun: Callable, argnums: int | Sequence[int] = 0, has_aux: bool = False,
            holomorphic: bool = False) -> Callable:
    """The Hessian (forward-over-reverse): jacfwd(jacrev(fun))."""
    return jacfwd(jacrev(fun, argnums, has_aux=has_aux, holomorphic=holomorphic), argnums,
                  has_aux=has_aux, holomorphic=holomorphic)


@api_boundary
def linear_transpose(fun: Callable, *primals, reduce_axes=()) -> Callable:
    """The transpose of a linear function: ``primals`` give the input types (arrays or
    ShapeDtypeStructs); the returned function maps output cotangents to a tuple of input
    cotangents."""
    from xfront import numpy as xnp

    def example(p):  # an array of p's type: arrays, ShapeDtypeStructs and Python scalars
        if hasattr(p, "shape") and hasattr(p, "dtype"):
            return xnp.zeros(p.shape, p.dtype)
        return xnp.zeros_like(p)

    leaves, ptree = _flatten(tuple(primals))
    examples = ptree.unflatten([example(p) for p in leaves])
    for p in _flatten(examples)[0]:
        if not dtypes.is_inexact(get_aval(p).dtype):
            raise XfrontTypeError(
                f"linear_transpose only supports floating or complex inputs, got "
                f"{get_aval(p).dtype}")
    p_leaves, p_tree = _flatten(tuple(examples))
    box: list = []
    flat = _flatten_fun(fun, p_tree, False, box)
    out_p, lin = ad.linearize_flat(flat, p_leaves, "linear_transpose")
    out_tree = box[0][0]
    out_avals = [get_aval(o) for o in out_p]

    def transposed(*cotangents):
        try:
            ct = cotangents[0] if len(cotangents) == 1 else cotangents
            ct_leaves, ct_tree = _flatten(ct)
            if ct_tree != out_tree:
                raise XfrontTypeError(f"linear_transpose: cotangent structure {ct_tree} does not "
                                      f"match the output structure {out_tree}")
            cts = [ad.check_cotangent(c, a, "linear_transpose") for c, a in zip(ct_leaves,
                                                                                 out_avals)]
            return p_tree.unflatten([xnp.asarray(ad.instantiate(c)) for c in lin.transpose(cts)])
        except Exception as e:
            drop_internal_frames(e)
            raise

    return transposed
