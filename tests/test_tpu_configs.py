"""The shipped configs (tpu_configs/*.toml) parse, and each runs its own mesh shape on CPU devices
(the suite has 8): the real model sizes are shrunk through overrides, the mesh is not."""

from __future__ import annotations

import glob
import os

import numpy as np
import pytest

import xfront as xf
from xfront.train.cli import run
from xfront.train.config import load_config

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIGS = sorted(glob.glob(os.path.join(ROOT, "tpu_configs", "*.toml")))
SHRINK = ["model.d_model=32", "model.num_heads=4", "model.num_layers=1", "model.d_ff=64",
          "model.seq_len=16", "model.hidden=[32]", "model.channels=[4]",
          "train.batch_size=16", "train.steps=3", "train.eval_every=0", "train.log_every=1",
          "optimizer.warmup_steps=1", "checkpoint.every=0", "distributed.enabled=false"]


def test_the_four_issue_configs_exist():
    names = {os.path.basename(c) for c in CONFIGS}
    assert {"cpu-digits.toml", "v4-8.toml", "v5e-8.toml", "v5p-16.toml"} <= names


@pytest.mark.parametrize("path", CONFIGS, ids=[os.path.basename(c) for c in CONFIGS])
def test_config_runs_its_mesh_on_cpu_devices(path, tmp_path):
    cfg = load_config(path)  # as shipped: must parse and validate
    mesh = (cfg.mesh.data, cfg.mesh.model)
    if os.path.basename(path) == "v5p-16.toml":
        assert cfg.distributed.enabled  # two hosts: initialize the distributed runtime
    overrides = [(o, "test") for o in SHRINK + [f'train.output_dir="{tmp_path}"']]
    small = load_config(path, overrides)
    assert (small.mesh.data, small.mesh.model) == mesh
    need = max(1, mesh[0]) * mesh[1]
    assert need <= len(xf.devices()), f"{path}: mesh {mesh} needs {need} devices"
    result = run(small, progress=False, log=None)
    assert result.step == 3
    losses = [r["loss"] for r in result.history if "loss" in r]
    assert losses and np.all(np.isfinite(losses))
    assert os.path.exists(result.metrics_path)
    # Parameters live on the mesh's devices: replicated over "data" (and for the transformer,
    # some split over "model").
    leaves = xf.tree_util.tree_leaves(result.params)
    used = set().union(*(set(x.sharding.device_set) for x in leaves))
    assert len(used) == (len(xf.devices()) if mesh[0] == -1 else need)
