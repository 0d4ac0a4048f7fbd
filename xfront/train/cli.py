"""``xfront-train``: the training job (also ``python -m xfront.train``).

    xfront-train --config tpu_configs/cpu-digits.toml
    xfront-train --config tpu_configs/cpu-digits.toml --steps 2000 --resume
    xfront-train --config tpu_configs/v5e-8.toml --set optimizer.learning_rate=3e-4

One code path for a laptop CPU and a TPU slice: the config's ``[mesh]`` names a
``("data", "model")`` device mesh; the global batch is split over ``data`` (and over processes),
parameters are replicated over ``data`` and, for the transformer, split over ``model``. The train
step is one ``xf.jit`` with ``in_shardings``/``out_shardings`` (loss and gradient, optimizer
update); XLA's SPMD partitioner inserts the collectives.

Output (under ``[train] output_dir``): ``metrics.jsonl``, ``metrics.png`` and ``checkpoints/``
(``xfront.train.checkpoint``: parameters and optimizer state). ``--resume`` continues from the
newest checkpoint; because batches are a function of the step, a resumed run computes exactly
what an uninterrupted one does. Ctrl-C saves a checkpoint, says where, and exits with 130.

Exit codes: 0 done, 1 runtime error (e.g. an unreadable checkpoint), 2 bad configuration or
command line (a one-line message, no traceback), 130 interrupted.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable

import numpy as np

import xfront as xf
import xfront.numpy as xnp
from xfront import optim
from xfront.core.errors import XfrontValueError
from xfront.sharding import NamedSharding
from xfront.sharding import PartitionSpec as P
from xfront.train import checkpoint
from xfront.train.config import Config, ConfigError, config_to_dict, load_config
from xfront.train.data import build_dataset, local_rows
from xfront.train.metrics import MetricsWriter, ProgressBar, plot_metrics, read_metrics
from xfront.train.models import build_model, count_params, cross_entropy
from xfront.tree_util import tree_map, tree_structure

__all__ = ["main", "run", "RunResult", "TrainingInterrupted", "build_mesh", "build_optimizer",
           "make_train_step", "make_eval_step"]


class TrainingInterrupted(Exception):
    """Ctrl-C (KeyboardInterrupt) during training; a checkpoint of ``step`` is at ``path``."""

    def __init__(self, step: int, path: str | None):
        super().__init__(f"interrupted at step {step}")
        self.step, self.path = step, path


@dataclasses.dataclass
class RunResult:
    """What :func:`run` returns."""

    step: int                      # completed steps
    params: object                 # the trained parameters (Arrays)
    opt_state: object
    final: dict                    # the last evaluation: loss, accuracy (and perplexity)
    history: list[dict]            # every metrics record of this run, resumed part included
    metrics_path: str
    plot_path: str | None
    checkpoint_path: str | None


# ----------------------------------------------------------------------------------------------
# Setup: processes, mesh, optimizer


def setup_distributed(cfg: Config) -> None:
    """Joins the multi-process job when ``[distributed] enabled`` (before any device use)."""
    d = cfg.distributed
    if not d.enabled or xf.distributed.is_initialized():
        return
    try:
        xf.distributed.initialize(d.coordinator_address or None, d.num_processes or None,
                                  d.process_id if d.process_id >= 0 else None)
    except XfrontValueError as e:
        raise cfg.error(f"[distributed] {e}") from None


def _describe_devices(devices) -> str:
    kinds = "/".join(sorted({d.platform for d in devices}))
    ids = ", ".join(str(d.id) for d in devices[:16]) + (", ..." if len(devices) > 16 else "")
    procs = len({d.process_index for d in devices})
    return f"{len(devices)} {kinds} device(s) (ids {ids}) in {procs} process(es)"


def build_mesh(cfg: Config):
    """The ``("data", "model")`` mesh of ``[mesh]`` over the devices present.

    ``data = -1`` takes every device not used by ``model``. A mesh smaller than the devices
    present uses the first ones (single process only); a larger one is a ConfigError that lists
    the mesh shape and the devices found.
    """
    devices = sorted(xf.devices(), key=lambda d: (d.process_index, d.id))
    n, model = len(devices), cfg.mesh.model
    data = cfg.mesh.data if cfg.mesh.data != -1 else n // model
    need = data * model
    asked = f"[mesh] data = {cfg.mesh.data}, model = {model}"
    if data < 1 or need > n or (cfg.mesh.data == -1 and n % model):
        raise cfg.error(
            f"{asked} does not fit the devices: the mesh (data={data}, model={model}) needs "
            f"{max(need, model)} devices{'' if cfg.mesh.data != -1 else ' (a multiple of model)'}"
            f", found {_describe_devices(devices)}. On CPU, XFRONT_NUM_CPU_DEVICES="
            f"{max(need, model)} gives that many devices")
    if need < n and xf.process_count() > 1:
        raise cfg.error(f"{asked}: with several processes the mesh must use every device "
                        f"(data * model = {need}, found {_describe_devices(devices)})")
    return xf.make_mesh((data, model), ("data", "model"), devices=devices[:need])


def build_optimizer(cfg: Config):
    """``(optimizer, learning_rate_fn)`` from ``[optimizer]``."""
    o, steps = cfg.optimizer, cfg.train.steps
    if o.schedule == "constant":
        lr = o.learning_rate
        lr_fn = lambda step: lr
    else:
        if o.schedule == "cosine":
            lr = optim.cosine_decay_schedule(o.learning_rate, steps)
        else:
            lr = optim.warmup_cosine_decay_schedule(0.0, o.learning_rate, o.warmup_steps, steps)
        lr_fn = lambda step: float(lr(step))
    if o.name == "adam":
        tx = optim.adam(lr, o.b1, o.b2, o.eps)
    elif o.name == "adamw":
        tx = optim.adamw(lr, o.b1, o.b2, o.eps, weight_decay=o.weight_decay)
    else:
        tx = optim.sgd(lr, o.momentum or None)
    if o.grad_clip > 0:
        tx = optim.chain(optim.clip_by_global_norm(o.grad_clip), tx)
    return tx, lr_fn


def _describe_optimizer(cfg: Config) -> str:
    o = cfg.optimizer
    extra = {"adamw": f", weight_decay={o.weight_decay:g}",
             "sgd": f", momentum={o.momentum:g}"}.get(o.name, "")
    clip = f", clip {o.grad_clip:g}" if o.grad_clip else ""
    return f"{o.name}(lr={o.learning_rate:g}{extra}, {o.schedule}{clip})"


# ----------------------------------------------------------------------------------------------
# Steps


def _loss_and_accuracy(model, params, inputs, targets):
    logits = model.apply(params, inputs)
    loss = xnp.mean(cross_entropy(logits, targets))
    accuracy = xnp.mean((xnp.argmax(logits, axis=-1) == targets).astype(xnp.float32))
    return loss, accuracy


def make_train_step(model, optimizer, shardings=None) -> Callable:
    """The jitted ``(params, opt_state, inputs, targets) -> (params, opt_state, metrics)``.

    Args:
      model: a model of ``xfront.train.models``.
      optimizer: an ``xfront.optim`` GradientTransformation.
      shardings: None (default placement), or ``(params, opt_state, batch, replicated)``
        shardings: parameters and optimizer state keep theirs, the batch is split over the
        data axis, the metrics are replicated.
    """

    def train_step(params, opt_state, inputs, targets):
        (loss, accuracy), grads = xf.value_and_grad(
            lambda p: _loss_and_accuracy(model, p, inputs, targets), has_aux=True)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optim.apply_updates(params, updates)
        return params, opt_state, {"loss": loss, "accuracy": accuracy}

    if shardings is None:
        return xf.jit(train_step)
    ps, ss, bs, rep = shardings
    return xf.jit(train_step, in_shardings=(ps, ss, bs, bs), out_shardings=(ps, ss, rep))


def make_eval_step(model, shardings=None) -> Callable:
    """The jitted ``(params, inputs, targets, mask) -> {"loss_sum", "correct", "count"}``
    (sums over the rows with ``mask`` 1, and over the tokens of each row for the LM)."""

    def eval_step(params, inputs, targets, mask):
        logits = model.apply(params, inputs)
        losses = cross_entropy(logits, targets)
        correct = (xnp.argmax(logits, axis=-1) == targets).astype(xnp.float32)
        m = xnp.broadcast_to(mask.reshape(mask.shape + (1,) * (losses.ndim - 1)), losses.shape)
        return {"loss_sum": xnp.sum(losses * m), "correct": xnp.sum(correct * m),
                "count": xnp.sum(m)}

    if shardings is None:
        return xf.jit(eval_step)
    ps, bs, rep = shardings
    return xf.jit(eval_step, in_shardings=(ps, bs, bs, bs), out_shardings=rep)


def _state_shardings(state_shapes, params, param_shardings, replicated):
    """Optimizer-state shardings: sub-trees shaped like the parameters (Adam's moments) get the
    parameters' shardings, everything else (step counts) is replicated."""
    treedef = tree_structure(params)
    like_params = lambda node: tree_structure(node) == treedef
    return tree_map(lambda node: param_shardings if like_params(node) else replicated,
                    state_shapes, is_leaf=like_params)


def _global_array(host, sharding):
    """A global Array from a host array every process holds in full."""
    host = np.asarray(host)
    return xf.make_array_from_callback(host.shape, sharding, lambda index: host[index])


def _batch_array(host, sharding):
    """A global batch Array from the global host batch (each process feeds its own rows);
    ``sharding`` may also be one device."""
    nproc = xf.process_count()
    if nproc == 1 or not isinstance(sharding, NamedSharding):
        return xf.device_put(host, sharding)
    rows = local_rows(len(host), xf.process_index(), nproc)
    return xf.make_array_from_process_local_data(sharding, host[rows], host.shape)


# ----------------------------------------------------------------------------------------------
# The run


def _evaluate(eval_step, params, batches) -> dict:
    sums = {"loss_sum": 0.0, "correct": 0.0, "count": 0.0}
    for inputs, targets, mask in batches:
        out = xf.device_get(eval_step(params, inputs, targets, mask))
        for k in sums:
            sums[k] += float(out[k])
    loss = sums["loss_sum"] / sums["count"]
    return {"loss": loss, "accuracy": sums["correct"] / sums["count"]}


def _remove_checkpoints(directory: str) -> None:
    if not os.path.isdir(directory):
        return
    for name in os.listdir(directory):
        if name.startswith("step_"):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def run(cfg: Config, *, resume: bool = False, overwrite: bool = False, progress: bool = True,
        log: Callable[[str], None] | None = print,
        on_step: Callable[[int], None] | None = None) -> RunResult:
    """Trains as ``cfg`` says (see the module docstring).

    Args:
      cfg: the configuration.
      resume: continue from the newest checkpoint in the checkpoint directory (if any).
      overwrite: start over even if the checkpoint directory has checkpoints (they are
        removed). Without it (and without ``resume``) existing checkpoints are an error.
      progress: show the progress bar (stderr).
      log: called with each line of the report (process 0 only); None for silence.
      on_step: called with the number of completed steps after each step (a hook for tests
        and tools; raising KeyboardInterrupt there acts like Ctrl-C).

    Returns:
      A :class:`RunResult`.

    Raises:
      ConfigError: the config does not fit the devices or the data.
      TrainingInterrupted: Ctrl-C; a checkpoint was saved first.
    """
    setup_distributed(cfg)
    lead = xf.process_index() == 0
    say = (log or (lambda line: None)) if lead else (lambda line: None)
    t, out_dir, ckpt_dir = cfg.train, cfg.train.output_dir, cfg.checkpoint_dir

    mesh = build_mesh(cfg)
    n_data = mesh.shape["data"]
    if t.batch_size % n_data:
        raise cfg.error(f"[train] batch_size = {t.batch_size} must be a multiple of the mesh's "
                        f"data size {n_data}")
    if t.batch_size % xf.process_count():
        raise cfg.error(f"[train] batch_size = {t.batch_size} must be a multiple of the number "
                        f"of processes {xf.process_count()}")
    try:
        data = build_dataset(cfg)
    except (OSError, ValueError) as e:
        raise cfg.error(f"[data] {e}") from None
    if data.name == "digits" and t.batch_size > len(data.x_train):
        raise cfg.error(f"[train] batch_size = {t.batch_size} is larger than the training set "
                        f"({len(data.x_train)} images)")
    model = build_model(cfg, data)
    optimizer, lr_fn = build_optimizer(cfg)

    # A one-device mesh runs as a plain jit on that device: there is nothing to partition.
    sharded = mesh.size > 1
    replicated = NamedSharding(mesh, P())
    batch_sharding = NamedSharding(mesh, P("data")) if sharded else mesh.flat_devices[0]
    host_params = xf.device_get(model.init(xf.random.key(t.seed)))
    if sharded:
        param_shardings = tree_map(lambda _, spec: NamedSharding(mesh, spec), host_params,
                                   model.param_specs(host_params))
        params = tree_map(_global_array, host_params, param_shardings)
        state_shardings = _state_shardings(xf.eval_shape(optimizer.init, params), params,
                                           param_shardings, replicated)
        opt_state = xf.jit(optimizer.init, in_shardings=(param_shardings,),
                           out_shardings=state_shardings)(params)
        train_step = make_train_step(
            model, optimizer, (param_shardings, state_shardings, batch_sharding, replicated))
        eval_step = make_eval_step(model, (param_shardings, batch_sharding, replicated))
        restore_shardings = {"params": param_shardings, "opt_state": state_shardings}
    else:
        params = xf.device_put(host_params, batch_sharding)
        opt_state = xf.jit(optimizer.init)(params)
        train_step = make_train_step(model, optimizer)
        eval_step = make_eval_step(model)
        restore_shardings = None

    # Checkpoints: resume, or refuse to mix with an older run's.
    start, ckpt_path, meta_config = 0, None, config_to_dict(cfg)
    existing = checkpoint.all_steps(ckpt_dir) if os.path.isdir(ckpt_dir) else []
    resumed_meta: dict = {}

    def check_saved_config(step: int, meta: dict) -> None:
        saved = meta.get("config", {})
        for section in ("model", "data"):
            if saved.get(section, meta_config[section]) != meta_config[section]:
                raise cfg.error(
                    f"[{section}] differs from the checkpoint's ({ckpt_dir}, step {step}): "
                    f"{saved[section]} there, {meta_config[section]} here; use another "
                    "checkpoint directory or the same settings")

    if resume and existing:
        try:
            start, state, resumed_meta = checkpoint.restore(
                ckpt_dir, target={"params": params, "opt_state": opt_state},
                shardings=restore_shardings)
        except checkpoint.CorruptCheckpointError:
            raise
        except checkpoint.CheckpointError:
            # A model of another shape does not fit the saved tree: name the setting that
            # changed rather than the tree path where the shapes first differ.
            saved_step, _, saved_meta = checkpoint.restore(ckpt_dir)
            check_saved_config(saved_step, saved_meta)
            raise
        check_saved_config(start, resumed_meta)
        params, opt_state = state["params"], state["opt_state"]
        ckpt_path = os.path.join(ckpt_dir, f"step_{start}")
        say(f"resuming from {ckpt_path}")
    elif resume:
        say(f"no checkpoint in {ckpt_dir}: starting from step 0")
    elif existing:
        if not overwrite:
            raise cfg.error(
                f"[checkpoint] {ckpt_dir} already holds checkpoints (steps {existing[0]}.."
                f"{existing[-1]}) of an earlier run: pass --resume to continue it, --overwrite "
                "to start over (removes them), or another --checkpoint-dir")
        if lead:
            _remove_checkpoints(ckpt_dir)

    metrics_path = os.path.join(out_dir, "metrics.jsonl")
    plot_path = os.path.join(out_dir, "metrics.png")
    writer = MetricsWriter(metrics_path, resume_step=start if resume else None, enabled=lead)
    history = read_metrics(metrics_path) if lead and resume else []

    say(f"xfront {xf.__version__} on {xf.default_backend()}: mesh data={n_data} x "
        f"model={mesh.shape['model']} ({_describe_devices(list(mesh.flat_devices))})")
    say(f"{data.describe()}")
    say(f"{model.describe()}, {count_params(host_params):,} parameters; "
        f"{_describe_optimizer(cfg)}; batch {t.batch_size}; steps {start}..{t.steps}")

    eval_batches = [tuple(_batch_array(a, batch_sharding) for a in (b.inputs, b.targets, b.mask))
                    for b in data.eval_batches(t.batch_size)]
    last_saved = start if ckpt_path else -1

    def save(step: int, eval_pending: bool = False) -> str:
        nonlocal last_saved, ckpt_path
        if step != last_saved or eval_pending:
            # The metrics of the steps since the last train record, and whether this step's
            # evaluation is still owed, travel with the checkpoint: a resumed run writes the
            # records an uninterrupted one would.
            window = [{k: float(v) for k, v in rec.items()} for rec in xf.device_get(pending)]
            ckpt_path = checkpoint.save(
                ckpt_dir, step, {"params": params, "opt_state": opt_state},
                keep=cfg.checkpoint.keep, overwrite=True,
                metadata={"config": meta_config, "model": model.describe(),
                          "pending_train_metrics": window, "eval_pending": eval_pending})
            last_saved = step
        return ckpt_path

    def record(rec: dict) -> None:
        history.append(rec)
        writer.write(rec)

    def evaluate(step: int) -> dict:
        ev = _evaluate(eval_step, params, eval_batches)
        rec = {"step": step, "split": "test", **ev}
        if data.name == "text":
            rec["perplexity"] = math.exp(min(ev["loss"], 700.0))
        record(rec)
        return rec

    def is_eval_step(step: int) -> bool:
        return bool(t.eval_every and step % t.eval_every == 0) or step == t.steps

    def test_record(step: int) -> dict | None:
        return next((r for r in reversed(history)
                     if r.get("step") == step and r.get("split") == "test"), None)

    bar = ProgressBar(t.steps, start, enabled=progress and lead)
    final = None
    done = start
    pending = list(resumed_meta.get("pending_train_metrics", []))
    if resumed_meta.get("eval_pending") and test_record(start) is None:
        final = evaluate(start)  # interrupted between the step and its evaluation
    t_start = t_log = time.perf_counter()
    try:
        for step in range(start, t.steps):
            batch = data.train_batch(step, t.batch_size, t.seed)
            inputs = _batch_array(batch.inputs, batch_sharding)
            targets = _batch_array(batch.targets, batch_sharding)
            out = train_step(params, opt_state, inputs, targets)
            done, params, opt_state = step + 1, out[0], out[1]  # one assignment: Ctrl-C safe
            pending.append(out[2])
            loss = None
            if done % t.log_every == 0 or done == t.steps:
                values = xf.device_get(pending)
                now = time.perf_counter()
                loss = float(np.mean([v["loss"] for v in values]))
                record({"step": done, "split": "train", "loss": loss,
                        "accuracy": float(np.mean([v["accuracy"] for v in values])),
                        "steps_per_sec": len(values) / (now - t_log),
                        "learning_rate": lr_fn(done - 1), "time": now - t_start})
                pending, t_log = [], now
            bar.update(done, loss)
            if is_eval_step(done):
                final = evaluate(done)
            if cfg.checkpoint.every and done % cfg.checkpoint.every == 0:
                save(done)
            if on_step is not None:
                on_step(done)
    except KeyboardInterrupt:
        bar.close()
        owed = is_eval_step(done) and done > start and test_record(done) is None
        path = save(done, eval_pending=owed) if done > 0 else None
        if lead and history:
            _plot(history, plot_path, say)
        raise TrainingInterrupted(done, path) from None
    bar.close()

    if final is None:  # resumed at (or past) the last step: nothing trained
        final = test_record(done) or evaluate(done)
    path = save(done)
    plotted = _plot(history, plot_path, say) if lead else None
    elapsed = time.perf_counter() - t_start
    if data.name == "text":
        say(f"final held-out loss {final['loss']:.4f}, perplexity {final['perplexity']:.2f}, "
            f"character accuracy {final['accuracy']:.4f}")
    else:
        say(f"final test accuracy {final['accuracy']:.4f} (loss {final['loss']:.4f})")
    say(f"{done - start} steps in {elapsed:.1f} s; metrics {metrics_path}"
        f"{'; plot ' + plotted if plotted else ''}; checkpoint {path}")
    return RunResult(done, params, opt_state, final, history, metrics_path, plotted, path)


def _plot(history, path: str, say) -> str | None:
    try:
        backend = plot_metrics(history, path)
    except Exception as e:  # a plot must never lose a finished run
        say(f"note: could not draw {path}: {type(e).__name__}: {e}")
        return None
    if backend == "builtin":
        say("note: matplotlib is not installed; drew the plot with the built-in rasterizer")
    return path


# ----------------------------------------------------------------------------------------------
# Command line


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="xfront-train",
        description="Train a model with xfront as a TOML config says (tpu_configs/*.toml).")
    p.add_argument("--config", required=True, help="the TOML config file")
    p.add_argument("--set", action="append", default=[], metavar="SECTION.KEY=VALUE",
                   help="override a config key, e.g. --set optimizer.learning_rate=0.01 "
                        "(repeatable; values are TOML)")
    p.add_argument("--steps", help="shorthand for --set train.steps=N")
    p.add_argument("--batch-size", help="shorthand for --set train.batch_size=N")
    p.add_argument("--checkpoint-dir", help="shorthand for --set checkpoint.dir=PATH")
    p.add_argument("--output-dir", help="shorthand for --set train.output_dir=PATH")
    p.add_argument("--resume", action="store_true",
                   help="continue from the newest checkpoint in the checkpoint directory")
    p.add_argument("--overwrite", action="store_true",
                   help="start over, removing the checkpoint directory's checkpoints")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--print-config", action="store_true",
                   help="print the resolved config as JSON and exit")
    return p


def main(argv: list[str] | None = None, *,
         on_step: Callable[[int], None] | None = None) -> int:
    """The console script. Returns the exit code (see the module docstring)."""
    args = _parser().parse_args(argv)
    overrides = [(item, f"--set {item}") for item in args.set]
    for flag, key in (("steps", "train.steps"), ("batch_size", "train.batch_size"),
                      ("checkpoint_dir", "checkpoint.dir"), ("output_dir", "train.output_dir")):
        value = getattr(args, flag)
        if value is not None:
            text = value if flag in ("steps", "batch_size") else json.dumps(value)
            overrides.append((f"{key}={text}", f"--{flag.replace('_', '-')} {value}"))
    try:
        cfg = load_config(args.config, overrides)
        if args.print_config:
            print(json.dumps(config_to_dict(cfg), indent=2))
            return 0
        run(cfg, resume=args.resume, overwrite=args.overwrite, progress=not args.no_progress,
            on_step=on_step)
    except ConfigError as e:
        print(f"xfront-train: error: {e}", file=sys.stderr)
        return 2
    except TrainingInterrupted as e:
        where = f"checkpoint saved to {e.path}" if e.path else "no checkpoint (no step done)"
        print(f"\ninterrupted at step {e.step}: {where}; continue with --resume",
              file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("\ninterrupted before training started", file=sys.stderr)
        return 130
    except checkpoint.CheckpointError as e:
        print(f"xfront-train: error: {e}", file=sys.stderr)
        return 1
    return 0
