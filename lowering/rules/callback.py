"""StableHLO emission of the host-callback primitives (mirrors ``xfront/lax/callback.py``).

Each becomes a custom call to jaxlib's Python-callback target (shared/docs/jaxlib-runtime.md,
section 6): ``mhlo.backend_config = {index = i}`` where ``i`` is the callback's position in the
module attribute ``xfront.host_callbacks`` (process-wide ids from ``runtime``; the compile step
turns that list into ``compile_and_load``'s ``host_callbacks``). The ids are part of the module
text, so two programs that differ only in their Python callbacks never share an executable.

Effectful callbacks (``io_callback``, ``debug_callback``) have ``has_side_effect`` and thread a
token: each takes the token of the previous effectful callback in the same block (or a fresh
``after_all``), so XLA keeps them in program order. The module then carries
``xfront.host_effects``, and ``xfront.dispatch`` waits for such programs to finish before the
call returns (prints are out before the next line of the user's program runs).
"""

from __future__ import annotations

import weakref

from lowering import runtime
from lowering.builder import register_lowering
from lowering.mlir import hlo, ir

EFFECTS_ATTR = "xfront.host_effects"
_TARGETS = ("xla_ffi_python_cpu_callback", "xla_ffi_python_gpu_callback")
_ids: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # HostCallback -> runtime id


def _callback_index(module: ir.Module, callback) -> int:
    """``callback``'s position in the module's host-callback list (appended)."""
    gid = _ids.get(callback)
    if gid is None:
        gid = _ids[callback] = runtime.register_host_callback(callback)
    attrs = module.operation.attributes
    i64 = ir.IntegerType.get_signless(64)
    ids = []
    if runtime.HOST_CALLBACKS_ATTR in attrs:
        ids = [int(a.value) for a in attrs[runtime.HOST_CALLBACKS_ATTR]]
    ids.append(gid)
    attrs[runtime.HOST_CALLBACKS_ATTR] = ir.ArrayAttr.get([ir.IntegerAttr.get(i64, i)
                                                           for i in ids])
    return len(ids) - 1


def _last_token() -> ir.Value:
    """The token of the last effectful callback in the current block, or a new one."""
    ops = ir.InsertionPoint.current.block.operations
    for k in range(len(ops) - 1, -1, -1):
        op = ops[k]
        if op.name != "stablehlo.custom_call" or not len(op.results):
            continue
        target = ir.StringAttr(op.attributes["call_target_name"]).value
        if target in _TARGETS and hlo.TokenType.isinstance(op.results[0].type):
            return op.results[0]
    return hlo.AfterAllOp([]).result


def _emit(ctx, args, callback, effectful: bool):
    mctx = ctx.module_ctx
    target = runtime.host_callback_target(mctx.platform)
    index = _callback_index(mctx.module, callback)
    results = ctx.out_types()
    operands = list(args)
    if effectful:
        operands.insert(0, _last_token())
        results.insert(0, hlo.TokenType.get())
        mctx.module.operation.attributes[EFFECTS_ATTR] = ir.BoolAttr.get(True)
    op = hlo.CustomCallOp(results, operands, target, has_side_effect=True if effectful else None)
    ui64 = ir.IntegerType.get_unsigned(64)
    op.attributes["mhlo.backend_config"] = ir.DictAttr.get(
        {"index": ir.IntegerAttr.get(ui64, index)})
    outs = list(op.results)
    return outs[1:] if effectful else outs


def module_has_effects(module) -> bool:
    """Whether a module calls effectful host callbacks (its run must be waited for)."""
    attrs = getattr(getattr(module, "operation", None), "attributes", None)
    return attrs is not None and EFFECTS_ATTR in attrs


def _pure_callback_lowering(ctx, *args, callback, result_avals, vmap_method):
    return _emit(ctx, args, callback, effectful=False)


def _io_callback_lowering(ctx, *args, callback, result_avals, vmap_method):
    return _emit(ctx, args, callback, effectful=True)


def _debug_callback_lowering(ctx, *args, callback, ordered):
    return _emit(ctx, args, callback, effectful=True)


register_lowering("pure_callback", _pure_callback_lowering)
register_lowering("io_callback", _io_callback_lowering)
register_lowering("debug_callback", _debug_callback_lowering)
