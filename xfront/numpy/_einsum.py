"""``einsum`` and ``einsum_path`` in ``xfront.numpy``, with a contraction-path optimizer.

An einsum is evaluated in three stages:

1. *Parse* the subscripts (string or interleaved operand/sublist form, ``...``, implicit
   output) into one label string per operand and the output labels; size-1 dimensions
   broadcast against larger ones.
2. *Simplify* each operand on its own: repeated labels take a diagonal, labels that appear
   nowhere else are summed away.
3. *Contract* pairs in the order of a path (``optimize``): each pair is one ``dot_general``
   whose batch dimensions are the shared labels still needed later and whose contracting
   dimensions are the shared labels needed nowhere else. Intermediates keep the dimension
   order ``dot_general`` produces (batch, lhs free, rhs free): the only transpose is the one
   that puts the final result in output order.

Paths use NumPy's convention: each step lists positions in the current operand list; those
operands are removed and their result appended. ``optimize`` is False (left to right), True or
'greedy' (cheapest next pair), 'optimal' (exhaustive search over contraction trees, up to
``_OPTIMAL_LIMIT`` operands), 'auto' (optimal for few operands, greedy otherwise) or an
explicit path.
"""

from __future__ import annotations

import itertools
import math
import string

import numpy as np

from xfront import lax
from xfront.core import dtypes
from xfront.core.errors import XfrontTypeError, XfrontValueError
from xfront.core.trace import get_aval
from xfront.numpy._util import as_traced as _traced
from xfront.numpy._util import check_arraylike, promote_dtypes

__all__ = [
    "einsum",
    "einsum_path",
]

_LETTERS = string.ascii_letters
_OPTIMAL_LIMIT = 8


# ----------------------------------------------------------------------------------------------
# Parsing.


def _sublist_to_str(sub, where: str) -> str:
    out = []
    for s in sub:
        if s is Ellipsis:
            out.append("...")
            continue
        try:
            i = int(s)
        except (TypeError, ValueError):
            raise XfrontTypeError(
                f"einsum: subscript lists hold ints in [0, 52) or Ellipsis, got {s!r} in "
                f"{where}") from None
        if not 0 <= i < len(_LETTERS):
            raise XfrontValueError(f"einsum: subscript {i} in {where} is outside [0, 52)")
        out.append(_LETTERS[i])
    return "".join(out)


def _split_args(subscripts, operands):
    """The subscript string and operands of either calling convention."""
    if isinstance(subscripts, str):
        return subscripts, list(operands)
    # Interleaved: op0, sublist0, op1, sublist1, ..., [output sublist].
    args = [subscripts, *operands]
    ops, subs = args[0::2], args[1::2]
    out = None
    if len(args) % 2 == 1:
        out = ops.pop()
        if not isinstance(out, list | tuple):
            raise XfrontTypeError(
                "einsum: in the interleaved form the last argument must be an output sublist")
    terms = [_sublist_to_str(s, f"sublist {i}") for i, s in enumerate(subs)]
    spec = ",".join(terms)
    if out is not None:
        spec += "->" + _sublist_to_str(out, "the output sublist")
    return spec, ops


class _Spec:
    """Parsed subscripts: per-operand labels (ellipsis expanded to private labels), output
    labels, label sizes, and the text form with ellipses for reports."""

    def __init__(self, inputs, output, sizes, text):
        self.inputs = inputs
        self.output = output
        self.sizes = sizes
        self.text = text


def _parse(spec: str, shapes) -> _Spec:
    text = spec.replace(" ", "")
    if text.count("->") > 1 or ("-" in text.replace("->", "")) or (
            ">" in text.replace("->", "")):
        raise XfrontValueError(f"einsum: subscripts {spec!r} contain a misplaced '-' or '>'")
    explicit = "->" in text
    lhs, out = text.split("->") if explicit else (text, None)
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise XfrontValueError(
            f"einsum: subscripts {spec!r} name {len(terms)} operand(s), but {len(shapes)} "
            f"were given (shapes {', '.join(str(s) for s in shapes)})")
    for t in [*terms, out or ""]:
        bad = set(t.replace("...", "")) - set(_LETTERS)
        if bad or t.replace("...", "").count(".") or t.count("...") > 1:
            raise XfrontValueError(
                f"einsum: invalid subscript term {t!r} in {spec!r}: use letters and at most "
                "one '...'")
    used = set(lhs.replace("...", "").replace(",", "")) | set((out or "").replace("...", ""))
    spare = [c for c in _LETTERS if c not in used] + [chr(0x3B1 + i) for i in range(25)]
    # Ellipsis dimensions broadcast right-aligned; their labels are spare letters.
    ell_ranks = []
    for t, shape in zip(terms, shapes):
        named = len(t.replace("...", ""))
        if "..." in t:
            if len(shape) < named:
                raise XfrontValueError(
                    f"einsum: operand of shape {shape} has fewer dimensions than its "
                    f"subscripts {t!r} name")
            ell_ranks.append(len(shape) - named)
        else:
            if len(shape) != named:
                raise XfrontValueError(
                    f"einsum: subscripts {t!r} name {named} dimension(s), but the operand has "
                    f"shape {shape}")
            ell_ranks.append(0)
    n_ell = max(ell_ranks, default=0)
    ell = "".join(spare[:n_ell])
    inputs = []
    for t, k in zip(terms, ell_ranks):
        inputs.append(t.replace("...", ell[n_ell - k:]) if "..." in t else t)
    sizes: dict[str, int] = {}
    for i, (labels, shape) in enumerate(zip(inputs, shapes)):
        for lab, d in zip(labels, shape):
            prev = sizes.get(lab)
            if prev is None or prev == 1:
                sizes[lab] = d
            elif d != 1 and d != prev:
                name = "an ellipsis dimension" if lab in ell else f"label {lab!r}"
                raise XfrontValueError(
                    f"einsum: size of {name} does not match: {prev} vs {d} (operand {i} has "
                    f"shape {shape}, subscripts {spec!r})")
    if explicit:
        output = out.replace("...", ell)
        for c in output:
            if c not in sizes:
                raise XfrontValueError(
                    f"einsum: output subscript {c!r} does not appear in the inputs of {spec!r}")
        if len(set(output)) != len(output):
            raise XfrontValueError(f"einsum: output subscripts repeat a label in {spec!r}")
    else:
        counts: dict[str, int] = {}
        for labels in inputs:
            for c in labels:
                counts[c] = counts.get(c, 0) + 1
        output = ell + "".join(sorted(c for c, k in counts.items() if k == 1 and c not in ell))
        out = "..." * bool(n_ell) + output[n_ell:]
    display = text if explicit else f"{lhs}->{out}"
    return _Spec(inputs, output, sizes, display)


# ----------------------------------------------------------------------------------------------
# Path optimization. Operands are label sets; costs follow NumPy's FLOP model.


def _size(labels, sizes) -> int:
    return math.prod(sizes[c] for c in labels)


def _flops(labels, inner: bool, num_terms: int, sizes) -> int:
    factor = max(1, num_terms - 1) + (1 if inner else 0)
    return _size(labels, sizes) * factor


def _contract_sets(sets, positions, output: frozenset):
    """Result labels, all involved labels, and whether labels are summed, when the operands
    at ``positions`` are contracted."""
    involved = frozenset().union(*(sets[i] for i in positions))
    rest = frozenset().union(*(s for i, s in enumerate(sets) if i not in positions))
    keep = involved & (output | rest)
    return keep, involved, bool(involved - keep)


def _greedy_path(sets, output, sizes):
    sets = list(sets)
    path = []
    while len(sets) > 1:
        best = None
        for i, j in itertools.combinations(range(len(sets)), 2):
            shares = bool(sets[i] & sets[j])
            keep, involved, inner = _contract_sets(sets, (i, j), output)
            removed = _size(keep, sizes) - _size(sets[i], sizes) - _size(sets[j], sizes)
            cost = _flops(involved, inner, 2, sizes)
            # Pairs sharing labels first; then the largest reduction in memory; then FLOPs.
            key = (not shares, removed, cost, i, j)
            if best is None or key < best[0]:
                best = (key, i, j, keep)
        _, i, j, keep = best
        path.append((i, j))
        sets = [s for k, s in enumerate(sets) if k not in (i, j)] + [keep]
    return path


def _optimal_path(sets, output, sizes):
    """Exhaustive search over contraction trees (dynamic programming over subsets)."""
    n = len(sets)
    full = (1 << n) - 1
    members = {}
    labels_of = {}
    for mask in range(1, full + 1):
        idx = [i for i in range(n) if mask >> i & 1]
        members[mask] = idx
        labels_of[mask] = frozenset().union(*(sets[i] for i in idx))
    # The labels a sub-result keeps: those needed by the output or outside the subset.
    result = {}
    for mask in range(1, full + 1):
        outside = labels_of[full & ~mask] if mask != full else frozenset()
        result[mask] = labels_of[mask] & (output | outside)
    best = {1 << i: (0, None) for i in range(n)}
    for mask in sorted(range(1, full + 1), key=lambda m: bin(m).count("1")):
        if mask in best:
            continue
        choice = None
        sub = (mask - 1) & mask
        while sub:
            other = mask ^ sub
            if sub < other:  # each split once
                involved = result[sub] | result[other]
                inner = bool(involved - result[mask])
                cost = best[sub][0] + best[other][0] + _flops(involved, inner, 2, sizes)
                if choice is None or cost < choice[0]:
                    choice = (cost, (sub, other))
            sub = (sub - 1) & mask
        best[mask] = choice
    # Turn the tree into a NumPy-style path (positions in a shrinking list).
    order = []

    def visit(mask):
        split = best[mask][1]
        if split is None:
            return
        visit(split[0])
        visit(split[1])
        order.append((split[0], split[1], mask))

    visit(full)
    current = [1 << i for i in range(n)]
    path = []
    for a, b, m in order:
        i, j = current.index(a), current.index(b)
        path.append(tuple(sorted((i, j))))
        current = [c for c in current if c not in (a, b)] + [m]
    return path


def _check_path(path, n: int):
    path = list(path)
    if path and path[0] == "einsum_path":
        path = path[1:]
    count = n
    out = []
    for step in path:
        try:
            step = tuple(int(i) for i in step)
        except (TypeError, ValueError):
            raise XfrontTypeError(f"einsum: invalid path step {step!r}") from None
        if not step or len(set(step)) != len(step) or min(step) < 0 or max(step) >= count:
            raise XfrontValueError(
                f"einsum: path step {step} is invalid with {count} operand(s) left")
        count -= len(step) - 1
        out.append(step)
    if count != 1 and n > 0:
        raise XfrontValueError(
            f"einsum: path {path} leaves {count} operands uncontracted (it must reduce the "
            f"{n} operands to one)")
    return out


def _choose_path(optimize, sets, output, sizes):
    n = len(sets)
    if isinstance(optimize, str) and optimize not in ("greedy", "optimal", "auto"):
        raise XfrontValueError(
            f"einsum: optimize must be a bool, 'greedy', 'optimal', 'auto' or a path, got "
            f"{optimize!r}")
    if n <= 1:
        return [(0,)] if n else []
    if optimize is False or optimize is None:
        return [tuple(range(n))]
    if isinstance(optimize, tuple) and optimize and isinstance(optimize[0], str) and (
            optimize[0] != "einsum_path"):
        optimize = optimize[0]  # NumPy's (strategy, memory_limit)
    elif isinstance(optimize, list | tuple):
        return _check_path(optimize, n)
    if optimize is True or optimize == "greedy":
        return _greedy_path(sets, output, sizes)
    if optimize == "optimal":
        if n > _OPTIMAL_LIMIT:
            return _greedy_path(sets, output, sizes)
        return _optimal_path(sets, output, sizes)
    if optimize == "auto":
        if n <= 4:
            return _optimal_path(sets, output, sizes)
        return _greedy_path(sets, output, sizes)
    raise XfrontValueError(
        f"einsum: optimize must be a bool, 'greedy', 'optimal', 'auto' or a path, got "
        f"{optimize!r}")


def _simplified_sets(spec: _Spec):
    """Label sets after each operand's own diagonals and sums (what the path works on)."""
    out = []
    for i, labels in enumerate(spec.inputs):
        others = set(spec.output)
        for j, other in enumerate(spec.inputs):
            if j != i:
                others |= set(other)
        out.append(frozenset(c for c in labels if c in others))
    return out


# ----------------------------------------------------------------------------------------------
# Evaluation.


def _sum_labels(x, labels: str, drop) -> tuple:
    axes = tuple(i for i, c in enumerate(labels) if c in drop)
    if not axes:
        return x, labels
    return lax.reduce_sum(x, axes), "".join(c for c in labels if c not in drop)


def _diagonal(x, labels: str):
    """Merges repeated labels by taking diagonals; returns (array, unique labels)."""
    from xfront.numpy._manipulation import _last_two_diagonal

    while True:
        dup = next((c for c in labels if labels.count(c) > 1), None)
        if dup is None:
            return x, labels
        i = labels.index(dup)
        j = labels.index(dup, i + 1)
        n = get_aval(x).ndim
        rest = [d for d in range(n) if d not in (i, j)]
        x = _last_two_diagonal(lax.transpose(x, (*rest, i, j)), 0)
        labels = "".join(labels[d] for d in rest) + dup


def _prepare_operand(x, labels: str, spec: _Spec, others: set):
    shape = get_aval(x).shape
    # Size-1 dimensions broadcasting against larger ones drop out (the value is constant
    # along them).
    drop = [d for d, c in enumerate(labels) if shape[d] == 1 and spec.sizes[c] != 1]
    if drop:
        x = lax.squeeze(x, tuple(drop))
        labels = "".join(c for d, c in enumerate(labels) if d not in drop)
    x, labels = _diagonal(x, labels)
    x, labels = _sum_labels(x, labels, {c for c in labels if c not in others})
    return x, labels


def _pair_order(la: str, lb: str, keep) -> str:
    """The labels ``_contract_pair`` produces for (la, lb), without computing anything."""
    la = "".join(c for c in la if c in lb or c in keep)
    lb = "".join(c for c in lb if c in la or c in keep)
    shared = [c for c in la if c in lb]
    return ("".join(c for c in shared if c in keep) + "".join(c for c in la if c not in shared)
            + "".join(c for c in lb if c not in shared))


def _contract_pair(a, la, b, lb, keep, precision, pet):
    a, la = _sum_labels(a, la, {c for c in la if c not in lb and c not in keep})
    b, lb = _sum_labels(b, lb, {c for c in lb if c not in la and c not in keep})
    shared = [c for c in la if c in lb]
    batch = [c for c in shared if c in keep]
    contract = [c for c in shared if c not in keep]
    dn = ((tuple(la.index(c) for c in contract), tuple(lb.index(c) for c in contract)),
          (tuple(la.index(c) for c in batch), tuple(lb.index(c) for c in batch)))
    out = lax.dot_general(a, b, dn, precision, pet)
    labels = ("".join(batch) + "".join(c for c in la if c not in shared)
              + "".join(c for c in lb if c not in shared))
    return out, labels


def einsum(subscripts, /, *operands, out=None, optimize="auto", precision=None,
           preferred_element_type=None, _dot_general=None, out_sharding=None):
    """Einstein summation (``numpy.einsum``).

    Args:
        subscripts: e.g. ``'ij,jk->ik'`` (``...`` broadcasts; without ``->`` the output is
            the ellipsis dimensions followed by the labels used once, sorted), or the
            interleaved form ``einsum(x, [0, 1], y, [1, 2], [0, 2])``.
        operands: the arrays.
        optimize: contraction order: False (left to right), True/'greedy', 'optimal', 'auto'
            (default) or an explicit path such as one returned by ``einsum_path``.
        precision: passed to every ``dot_general``.
        preferred_element_type: the accumulation and result dtype.
    """
    from xfront.numpy._util import check_no_out

    check_no_out("einsum", out)
    spec_str, ops = _split_args(subscripts, operands)
    if not ops:
        raise XfrontValueError("einsum: at least one operand is required")
    check_arraylike("einsum", *ops)
    ops = [_traced(x) for x in promote_dtypes(*ops)]
    spec = _parse(spec_str, [get_aval(x).shape for x in ops])
    dt = get_aval(ops[0]).dtype
    pet = None
    if preferred_element_type is not None:
        pet = dtypes.canonicalize_dtype(dtypes.dtype(preferred_element_type))
    is_bool = dt == dtypes.bool_
    if is_bool:  # XLA has no boolean dot: count in ints, then test for nonzero
        ops = [lax.convert_element_type(x, dtypes.int32) for x in ops]
    dot_pet = None if is_bool else pet
    sets = _simplified_sets(spec)
    path = _choose_path(optimize, sets, frozenset(spec.output), spec.sizes)

    items = []
    for i, (x, labels) in enumerate(zip(ops, spec.inputs)):
        others = set(spec.output)
        for j, other in enumerate(spec.inputs):
            if j != i:
                others |= set(other)
        items.append(_prepare_operand(x, labels, spec, others))
    output = spec.output
    for step in path:
        chosen = [items[i] for i in step]
        items = [it for k, it in enumerate(items) if k not in step]
        needed = set(output)
        for _, labels in items:
            needed |= set(labels)
        x, lx = chosen[0]
        for k, (y, ly) in enumerate(chosen[1:]):
            keep = set(needed)
            for _, labels in chosen[k + 2:]:
                keep |= set(labels)
            if not items and k == len(chosen) - 2 and _pair_order(ly, lx, keep) == output:
                x, lx, y, ly = y, ly, x, lx  # the result comes out in output order
            x, lx = _contract_pair(x, lx, y, ly, keep, precision, dot_pet)
        items.append((x, lx))
    (x, lx), = items
    x, lx = _sum_labels(x, lx, {c for c in lx if c not in output})
    if lx != output:
        x = lax.transpose(x, tuple(lx.index(c) for c in output))
    if is_bool:
        if pet is None:
            return lax.ne(x, lax.full((), 0, get_aval(x).dtype))
        return lax.convert_element_type(x, pet)
    if pet is not None and get_aval(x).dtype != pet:
        x = lax.convert_element_type(x, pet)
    return x


# ----------------------------------------------------------------------------------------------
# einsum_path.


class EinsumPathInfo:
    """What ``einsum_path`` found: the path, NumPy's cost figures and a printable report
    (``str(info)``)."""

    def __init__(self, path, spec_text, naive_flops, opt_flops, naive_scaling, opt_scaling,
                 largest, steps):
        self.path = path
        self.eq = spec_text
        self.naive_cost = naive_flops
        self.opt_cost = opt_flops
        self.speedup = naive_flops / max(opt_flops, 1)
        self.naive_scaling = naive_scaling
        self.opt_scaling = opt_scaling
        self.largest_intermediate = largest
        self.steps = steps  # (scaling, contraction text, remaining text) per step

    def __str__(self):
        width = 74
        head = [
            f"  Complete contraction:  {self.eq}",
            f"         Naive scaling:  {self.naive_scaling}",
            f"     Optimized scaling:  {self.opt_scaling}",
            f"      Naive FLOP count:  {self.naive_cost:.3e}",
            f"  Optimized FLOP count:  {self.opt_cost:.3e}",
            f"   Theoretical speedup:  {self.speedup:.3f}",
            f"  Largest intermediate:  {self.largest_intermediate:.3e} elements",
            "-" * width,
            f"{'scaling':>7}{'current':>26}{'remaining':>41}",
            "-" * width,
        ]
        rows = [f"{s:>4}{cur:>30}{rem:>40}" for s, cur, rem in self.steps]
        return "\n".join(head + rows)

    __repr__ = __str__


def einsum_path(subscripts, /, *operands, optimize="auto"):
    """The contraction path ``einsum`` would use and a report of its cost
    (``numpy.einsum_path``). Returns ``(path, info)``: ``path`` is a list of position tuples
    (accepted by ``einsum(..., optimize=path)``) and ``str(info)`` is a NumPy-style report.
    Operands may be arrays or anything with a ``shape``."""
    spec_str, ops = _split_args(subscripts, operands)
    shapes = [tuple(np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape) for x in ops]
    spec = _parse(spec_str, shapes)
    if optimize is True:
        optimize = "greedy"
    sets = _simplified_sets(spec)
    output = frozenset(spec.output)
    path = _choose_path(optimize, sets, output, spec.sizes)
    # Costs of the path, on the original label strings (as NumPy reports them).
    all_labels = frozenset(spec.sizes)
    naive = _flops(all_labels, bool(all_labels - output), len(ops), spec.sizes)
    current = [frozenset(s) for s in spec.inputs]
    texts = list(spec.inputs)
    opt, largest, scaling, steps = 0, 0, 0, []
    for step in path:
        keep, involved, inner = _contract_sets(current, step, output)
        opt += _flops(involved, inner, len(step), spec.sizes)
        scaling = max(scaling, len(involved))
        res = "".join(c for c in spec.output if c in keep) + "".join(
            sorted(c for c in keep if c not in spec.output))
        last = len(current) == len(step)
        if last:
            res = spec.output
        else:
            largest = max(largest, _size(keep, spec.sizes))
        cur_text = ",".join(texts[i] for i in step) + "->" + res
        current = [s for k, s in enumerate(current) if k not in step] + [frozenset(res)]
        texts = [t for k, t in enumerate(texts) if k not in step] + [res]
        remaining = ",".join(texts) + "->" + spec.output
        steps.append((len(involved), cur_text, remaining))
    if not path:
        largest = _size(spec.output, spec.sizes)
    largest = max(largest, _size(spec.output, spec.sizes))
    info = EinsumPathInfo(path, spec.text, naive, max(opt, 1), len(all_labels), scaling,
                          largest, steps)
    return path, info
