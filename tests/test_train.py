"""xfront.train (the ``xfront-train`` job): config validation and its exit codes, the mesh check,
a short digits run and its outputs, resume equivalence, Ctrl-C, data parallelism (mlp) and
data x model parallelism (transformer) against one device, the console entry point, and the
bundled data."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import xfront as xf
from xfront.train import checkpoint, cli
from xfront.train.cli import TrainingInterrupted
from xfront.train.config import ConfigError, apply_overrides, load_config, parse_config
from xfront.train.data import DigitsData, TextData, load_digits, load_text
from xfront.tree_util import tree_leaves, tree_structure

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(REPO, "tpu_configs", "cpu-digits.toml")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A small character-level transformer: a few steps take well under a second.
SMALL_LM = ["model.kind=transformer", "data.dataset=text", "model.d_model=32",
            "model.num_heads=2", "model.d_ff=64", "model.num_layers=1", "model.seq_len=16",
            "train.batch_size=16", "train.log_every=5", "train.eval_every=0",
            "optimizer.learning_rate=0.01", "optimizer.schedule=constant"]


def _cfg(out, *overrides):
    return load_config(CONFIG, [f"train.output_dir={json.dumps(str(out))}", *overrides])


def _run(out, *overrides, **kwargs):
    kwargs.setdefault("progress", False)
    kwargs.setdefault("log", None)
    return cli.run(_cfg(out, *overrides), **kwargs)


def _leaves(tree):
    return [np.asarray(xf.device_get(x)) for x in tree_leaves(tree)]


def _assert_trees_equal(a, b, **tol):
    assert tree_structure(a) == tree_structure(b)
    for x, y in zip(_leaves(a), _leaves(b), strict=True):
        assert x.shape == y.shape and x.dtype == y.dtype
        if tol:
            np.testing.assert_allclose(x, y, **tol)
        else:
            np.testing.assert_array_equal(x, y)


def _stable(history):
    """Metrics records without the wall-clock fields."""
    return [{k: v for k, v in r.items() if k not in ("steps_per_sec", "time")} for r in history]


def _main_error(capsys, argv):
    """Runs ``main(argv)`` expecting exit code 2; returns the one-line message."""
    code = cli.main(argv)
    captured = capsys.readouterr()
    assert code == 2, captured
    assert "Traceback" not in captured.err
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert lines[0].startswith("xfront-train: error: ")
    return lines[0]


# ----------------------------------------------------------------------------------------------
# Config


def _write_toml(tmp_path, text):
    path = tmp_path / "job.toml"
    path.write_text(text)
    return str(path)


def test_config_file_loads_with_defaults_and_types():
    cfg = load_config(CONFIG)
    assert cfg.source == CONFIG
    assert cfg.model.kind == "mlp" and cfg.model.hidden == [128, 64]
    assert cfg.optimizer.learning_rate == 0.003 and cfg.optimizer.schedule == "cosine"
    assert cfg.train.steps == 600 and cfg.mesh.data == 1 and cfg.mesh.model == 1
    assert cfg.checkpoint_dir == os.path.join("runs/cpu-digits", "checkpoints")
    # A key the file leaves out keeps the dataclass default.
    assert cfg.model.d_model == 128 and cfg.distributed.enabled is False


def test_config_unknown_section(tmp_path):
    path = _write_toml(tmp_path, "[modle]\nkind = 'mlp'\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    msg = str(e.value)
    assert path in msg and "unknown section [modle]" in msg and "[model]" in msg


def test_config_unknown_key(tmp_path):
    path = _write_toml(tmp_path, "[optimizer]\nlearning_rte = 0.1\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    msg = str(e.value)
    assert path in msg and "[optimizer] learning_rte" in msg and "learning_rate" in msg


@pytest.mark.parametrize("line, key", [
    ("[optimizer]\nlearning_rate = 'abc'", "[optimizer] learning_rate"),
    ("[train]\nsteps = 1.5", "[train] steps"),
    ("[train]\nsteps = true", "[train] steps"),          # bool is not an int
    ("[model]\nhidden = [128, 'x']", "[model] hidden"),
    ("[model]\nkind = 3", "[model] kind"),
    ("[mesh]\ndata = '8'", "[mesh] data"),
])
def test_config_wrong_type(tmp_path, line, key):
    path = _write_toml(tmp_path, line + "\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    msg = str(e.value)
    assert msg.startswith(path + ": "), msg
    assert key in msg and "must be" in msg


def test_config_section_must_be_table(tmp_path):
    path = _write_toml(tmp_path, "model = 3\n")
    with pytest.raises(ConfigError, match=r"\[model\] must be a table"):
        load_config(path)


def test_config_missing_and_invalid_file(tmp_path):
    missing = str(tmp_path / "nope.toml")
    with pytest.raises(ConfigError, match="no such config file") as e:
        load_config(missing)
    assert missing in str(e.value)
    bad = _write_toml(tmp_path, "[train\nsteps = 1\n")
    with pytest.raises(ConfigError, match="invalid TOML") as e:
        load_config(bad)
    assert bad in str(e.value)


def test_config_int_accepted_for_float(tmp_path):
    cfg = load_config(_write_toml(tmp_path, "[optimizer]\nlearning_rate = 1\n"))
    assert cfg.optimizer.learning_rate == 1.0 and type(cfg.optimizer.learning_rate) is float
    cfg = load_config(CONFIG, ["optimizer.learning_rate=2"])
    assert cfg.optimizer.learning_rate == 2.0 and type(cfg.optimizer.learning_rate) is float


def test_config_overrides_parse_as_toml():
    cfg = load_config(CONFIG, ["model.hidden=[32, 16]", "train.steps=7", "data.seed=3",
                               'train.output_dir="some/where"', "distributed.enabled=false",
                               "optimizer.learning_rate=1e-2"])
    assert cfg.model.hidden == [32, 16] and cfg.train.steps == 7 and cfg.data.seed == 3
    assert cfg.train.output_dir == "some/where" and cfg.optimizer.learning_rate == 0.01
    assert cfg.checkpoint_dir == os.path.join("some/where", "checkpoints")


def test_config_bare_string_override():
    cfg = load_config(CONFIG, ["model.kind=cnn"])
    assert cfg.model.kind == "cnn"
    cfg = load_config(CONFIG, ['model.kind="cnn"'])
    assert cfg.model.kind == "cnn"
    cfg = load_config(CONFIG, ["model.kind=transformer", "data.dataset=text"])
    assert (cfg.model.kind, cfg.data.dataset) == ("transformer", "text")


def test_config_overrides_do_not_mutate_the_input():
    base = load_config(CONFIG)
    changed = apply_overrides(base, ["train.steps=5", "model.hidden=[8]"])
    assert changed.train.steps == 5 and changed.model.hidden == [8]
    assert base.train.steps == 600 and base.model.hidden == [128, 64]


@pytest.mark.parametrize("override, key", [
    ("train.steps=1.5", "[train] steps"),
    ("train.steps=true", "[train] steps"),
    ("optimizer.learning_rate=abc", "[optimizer] learning_rate"),
    ("model.hidden=64", "[model] hidden"),
    ("mesh.model=[2]", "[mesh] model"),
])
def test_config_override_type_checked(override, key):
    with pytest.raises(ConfigError) as e:
        load_config(CONFIG, [override])
    msg = str(e.value)
    assert msg.startswith(f"--set {override}: "), msg
    assert key in msg and "must be" in msg


@pytest.mark.parametrize("override, key", [
    ("train.steps", None), ("trainsteps=3", None), ("train.=3", None),
])
def test_config_override_malformed(override, key):
    with pytest.raises(ConfigError, match="expected section.key=value"):
        load_config(CONFIG, [override])


def test_config_override_unknown_section_and_key():
    with pytest.raises(ConfigError, match=r"unknown section \[trian\]"):
        load_config(CONFIG, ["trian.steps=3"])
    with pytest.raises(ConfigError, match=r"--set train.stepz=3: unknown key \[train\] stepz"):
        load_config(CONFIG, ["train.stepz=3"])


@pytest.mark.parametrize("override, fragment", [
    ("train.steps=0", "[train] steps must be at least 1"),
    ("train.batch_size=-4", "[train] batch_size must be at least 1"),
    ("data.test_fraction=0.95", "[data] test_fraction must be at most 0.9"),
    ("data.test_fraction=0", "[data] test_fraction must be at least 0.01"),
    ("optimizer.learning_rate=0", "[optimizer] learning_rate must be greater than 0"),
    ("optimizer.b1=1.5", "[optimizer] b1 must be at most 1"),
    ("model.kind=rnn", "[model] kind must be one of"),
    ("model.hidden=[]", "[model] hidden must not be empty"),
    ("model.hidden=[64, 0]", "[model] hidden must be at least 1"),
    ("mesh.data=-2", "[mesh] data must be at least -1"),
    ("optimizer.schedule=linear", "[optimizer] schedule must be one of"),
])
def test_config_out_of_range(override, fragment):
    with pytest.raises(ConfigError) as e:
        load_config(CONFIG, [override])
    assert fragment in str(e.value), str(e.value)


def test_config_out_of_range_in_file_names_the_file(tmp_path):
    path = _write_toml(tmp_path, "[train]\nsteps = 0\n")
    with pytest.raises(ConfigError) as e:
        load_config(path)
    assert str(e.value) == f"{path}: [train] steps must be at least 1, got 0"


def test_config_consistency_checks():
    with pytest.raises(ConfigError, match="needs \\[data\\] dataset = 'text'"):
        load_config(CONFIG, ["model.kind=transformer"])
    with pytest.raises(ConfigError, match="needs \\[data\\] dataset = 'digits'"):
        load_config(CONFIG, ["data.dataset=text"])
    with pytest.raises(ConfigError, match="d_model = 30 must be a multiple of num_heads = 4"):
        load_config(CONFIG, ["model.kind=transformer", "data.dataset=text", "model.d_model=30",
                             "model.num_heads=4"])
    with pytest.raises(ConfigError, match="num_heads = 3 must be a multiple of \\[mesh\\] model"):
        load_config(CONFIG, ["model.kind=transformer", "data.dataset=text", "model.num_heads=3",
                             "model.d_model=48", "mesh.model=2"])
    with pytest.raises(ConfigError, match="warmup_steps = 10 must be less than"):
        load_config(CONFIG, ["optimizer.schedule=warmup_cosine", "optimizer.warmup_steps=10",
                             "train.steps=10"])


def test_parse_config_from_dict():
    cfg = parse_config({"train": {"steps": 3}}, source="inline")
    assert cfg.train.steps == 3 and cfg.source == "inline"
    with pytest.raises(ConfigError, match=r"^inline: unknown key \[train\] stepz"):
        parse_config({"train": {"stepz": 3}}, source="inline")


@pytest.mark.parametrize("args, fragments", [
    (["--set", "train.steps=abc"], ["--set train.steps=abc", "[train] steps", "must be an int"]),
    (["--set", "optimizer.learning_rate=-1"], ["[optimizer] learning_rate", "greater than 0"]),
    (["--steps", "0"], ["--steps 0", "[train] steps must be at least 1"]),
    (["--set", "bogus.key=1"], ["unknown section [bogus]"]),
    (["--set", "model.kind=transformer"], ["(after the command-line overrides)"]),
])
def test_main_config_errors_exit_2_with_one_line(capsys, args, fragments):
    line = _main_error(capsys, ["--config", CONFIG, *args])
    for fragment in fragments:
        assert fragment in line, line


def test_main_bad_file_exits_2_naming_file_and_key(tmp_path, capsys):
    path = _write_toml(tmp_path, "[optimizer]\nlearning_rate = 'fast'\n")
    line = _main_error(capsys, ["--config", path])
    assert path in line and "[optimizer] learning_rate" in line and "'fast'" in line
    line = _main_error(capsys, ["--config", str(tmp_path / "missing.toml")])
    assert "missing.toml" in line and "no such config file" in line


def test_main_print_config(capsys):
    assert cli.main(["--config", CONFIG, "--print-config", "--set", "model.kind=cnn",
                     "--steps", "12"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["model"]["kind"] == "cnn" and printed["train"]["steps"] == 12
    assert set(printed) == {"model", "data", "optimizer", "train", "mesh", "checkpoint",
                            "distributed"}


def test_main_usage_error_exits_2(capsys):
    with pytest.raises(SystemExit) as e:
        cli.main([])  # --config is required: argparse exits 2
    assert e.value.code == 2
    assert "--config" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# Mesh


def test_mesh_that_does_not_fit(tmp_path):
    assert len(xf.devices()) == 8  # tests/conftest.py
    with pytest.raises(ConfigError) as e:
        _run(tmp_path, "mesh.data=4", "mesh.model=4")
    msg = str(e.value)
    assert msg.startswith(CONFIG + ": ")
    assert "[mesh] data = 4, model = 4" in msg and "needs 16 devices" in msg
    assert "found 8 cpu device(s)" in msg and "ids 0, 1, 2, 3, 4, 5, 6, 7" in msg
    # Nothing was written for a job that could not start.
    assert not (tmp_path / "metrics.jsonl").exists()


def test_mesh_does_not_fit_through_main(tmp_path, capsys):
    line = _main_error(capsys, ["--config", CONFIG, "--output-dir", str(tmp_path),
                                "--set", "mesh.data=16", "--no-progress"])
    assert "data = 16" in line and "found 8 cpu device(s)" in line


def test_mesh_all_devices_and_multiple_of_model():
    cfg = load_config(CONFIG, ["mesh.data=-1", "mesh.model=2"])
    mesh = cli.build_mesh(cfg)
    assert dict(mesh.shape) == {"data": 4, "model": 2}
    cfg = load_config(CONFIG, ["mesh.data=-1", "mesh.model=3"])
    with pytest.raises(ConfigError, match="a multiple of model"):
        cli.build_mesh(cfg)
    cfg = load_config(CONFIG, ["mesh.data=2"])
    assert dict(cli.build_mesh(cfg).shape) == {"data": 2, "model": 1}


def test_batch_size_must_divide_over_data_axis(tmp_path):
    with pytest.raises(ConfigError, match="batch_size = 60 must be a multiple of the mesh's "
                                          "data size 8"):
        _run(tmp_path, "mesh.data=8", "train.batch_size=60")


# ----------------------------------------------------------------------------------------------
# A short digits run


def test_digits_mlp_run_learns_and_writes_outputs(tmp_path):
    res = _run(tmp_path, "train.steps=150", "train.log_every=25", "train.eval_every=50")
    assert res.step == 150
    assert res.final["split"] == "test" and res.final["step"] == 150
    assert res.final["accuracy"] >= 0.9, res.final

    metrics = tmp_path / "metrics.jsonl"
    assert res.metrics_path == str(metrics)
    records = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert records == res.history
    train = [r for r in records if r["split"] == "train"]
    test = [r for r in records if r["split"] == "test"]
    assert [r["step"] for r in train] == [25, 50, 75, 100, 125, 150]
    assert [r["step"] for r in test] == [50, 100, 150]
    for r in records:
        assert isinstance(r["step"], int) and np.isfinite(r["loss"])
        assert 0.0 <= r["accuracy"] <= 1.0
    assert train[-1]["loss"] < 0.5 * train[0]["loss"]
    assert test[-1] == res.final

    png = tmp_path / "metrics.png"
    assert res.plot_path == str(png)
    assert png.read_bytes()[:8] == PNG_SIGNATURE and png.stat().st_size > 100

    ckpt_dir = tmp_path / "checkpoints"
    assert ckpt_dir.is_dir()
    assert checkpoint.all_steps(ckpt_dir) == [150]
    assert res.checkpoint_path == os.path.join(str(ckpt_dir), "step_150")
    step, state, meta = checkpoint.restore(ckpt_dir)
    assert step == 150 and meta["config"]["train"]["steps"] == 150
    _assert_trees_equal(state["params"], res.params)


def test_main_refuses_to_mix_with_existing_checkpoints(tmp_path, capsys):
    argv = ["--config", CONFIG, "--output-dir", str(tmp_path), "--steps", "4", "--no-progress"]
    assert cli.main(argv) == 0
    assert "final test accuracy" in capsys.readouterr().out
    line = _main_error(capsys, argv)
    assert "already holds checkpoints" in line and "--resume" in line
    assert cli.main(argv + ["--overwrite"]) == 0
    assert checkpoint.all_steps(tmp_path / "checkpoints") == [4]


def test_resume_refuses_different_data_settings(tmp_path, capsys):
    argv = ["--config", CONFIG, "--output-dir", str(tmp_path), "--steps", "4", "--no-progress"]
    assert cli.main(argv) == 0
    capsys.readouterr()
    line = _main_error(capsys, argv + ["--resume", "--steps", "6", "--set", "data.seed=1"])
    assert "[data] differs from the checkpoint's" in line and "step 4" in line


def test_resume_refuses_a_different_model_shape(tmp_path, capsys):
    argv = ["--config", CONFIG, "--output-dir", str(tmp_path), "--steps", "4", "--no-progress"]
    assert cli.main(argv) == 0
    capsys.readouterr()
    line = _main_error(capsys, argv + ["--resume", "--steps", "6", "--set", "model.hidden=[32]"])
    assert "[model] differs from the checkpoint's" in line


# ----------------------------------------------------------------------------------------------
# Resume and Ctrl-C

_RESUME = ("optimizer.schedule=constant", "train.log_every=10", "train.eval_every=20")


def test_resume_equals_uninterrupted_run(tmp_path):
    # A constant learning rate: with "cosine" the schedule's length is train.steps, so a run of
    # N/2 steps decays to 0 at N/2 and is not the first half of an N-step run.
    straight = _run(tmp_path / "straight", "train.steps=60", *_RESUME)
    half = _run(tmp_path / "split", "train.steps=30", *_RESUME)
    assert half.step == 30
    resumed = _run(tmp_path / "split", "train.steps=60", *_RESUME, resume=True)
    assert resumed.step == 60

    _assert_trees_equal(resumed.params, straight.params)
    _assert_trees_equal(resumed.opt_state, straight.opt_state)
    assert resumed.final == straight.final
    # The first half ends with an evaluation at step 30 that the straight run does not do
    # (it evaluates every 20 steps and at the end); everything else matches.
    split_records = [json.loads(x) for x in (tmp_path / "split" / "metrics.jsonl").open()]
    assert _stable(split_records) == _stable(resumed.history)
    extra = {"step": 30, "split": "test"}
    kept = [r for r in _stable(resumed.history)
            if not (r["step"], r["split"]) == (extra["step"], extra["split"])]
    assert kept == _stable(straight.history)
    assert checkpoint.all_steps(tmp_path / "split" / "checkpoints") == [30, 60]


def test_ctrl_c_saves_checkpoint_and_resume_continues(tmp_path, capsys):
    straight = _run(tmp_path / "straight", "train.steps=40", "train.log_every=10",
                    "train.eval_every=0")
    out = tmp_path / "run"
    argv = ["--config", CONFIG, "--output-dir", str(out), "--steps", "40", "--no-progress",
            "--set", "train.log_every=10", "--set", "train.eval_every=0"]
    seen = []

    def interrupt_at_20(step):
        seen.append(step)
        if step == 20:
            raise KeyboardInterrupt

    assert cli.main(argv, on_step=interrupt_at_20) == 130
    assert seen == list(range(1, 21))
    err = capsys.readouterr().err
    ckpt = os.path.join(str(out), "checkpoints", "step_20")
    assert f"interrupted at step 20: checkpoint saved to {ckpt}" in err
    assert "--resume" in err and "Traceback" not in err
    assert checkpoint.all_steps(out / "checkpoints") == [20]
    assert (out / "metrics.png").read_bytes()[:8] == PNG_SIGNATURE
    assert [r["step"] for r in map(json.loads, (out / "metrics.jsonl").open())] == [10, 20]

    # The cosine schedule spans the same 40 steps, so the resumed run is the straight one.
    resumed = _run(out, "train.steps=40", "train.log_every=10", "train.eval_every=0",
                   resume=True)
    assert resumed.step == 40
    _assert_trees_equal(resumed.params, straight.params)
    assert resumed.final == straight.final
    assert _stable(resumed.history) == _stable(straight.history)


def test_ctrl_c_anywhere_in_the_loop_raises_training_interrupted(tmp_path, monkeypatch):
    # A real Ctrl-C can land anywhere in the loop; here in the progress bar's update.
    original = cli.ProgressBar.update

    def update(self, step, loss=None):
        original(self, step, loss)
        if step == 7:
            raise KeyboardInterrupt

    monkeypatch.setattr(cli.ProgressBar, "update", update)
    with pytest.raises(TrainingInterrupted) as e:
        _run(tmp_path, "train.steps=30", "train.log_every=5", "train.eval_every=0")
    assert e.value.step == 7
    assert e.value.path == os.path.join(str(tmp_path), "checkpoints", "step_7")
    step, state, _ = checkpoint.restore(tmp_path / "checkpoints")
    assert step == 7
    monkeypatch.undo()

    resumed = _run(tmp_path, "train.steps=30", "train.log_every=5", "train.eval_every=0",
                   resume=True)
    assert resumed.step == 30
    straight = _run(tmp_path / "straight", "train.steps=30", "train.log_every=5",
                    "train.eval_every=0")
    _assert_trees_equal(resumed.params, straight.params)


def test_ctrl_c_at_first_step_checkpoints_step_1(tmp_path, capsys):
    def interrupt(step):
        raise KeyboardInterrupt

    argv = ["--config", CONFIG, "--output-dir", str(tmp_path), "--steps", "5", "--no-progress"]
    # on_step runs after step 1: the checkpoint is of step 1.
    assert cli.main(argv, on_step=interrupt) == 130
    assert checkpoint.all_steps(tmp_path / "checkpoints") == [1]
    assert "interrupted at step 1" in capsys.readouterr().err


# ----------------------------------------------------------------------------------------------
# Parallelism: the same numbers on one device and on a mesh


def test_data_parallel_matches_one_device(tmp_path):
    common = ("train.steps=40", "train.log_every=5", "train.eval_every=20")
    one = _run(tmp_path / "one", "mesh.data=1", *common)
    eight = _run(tmp_path / "eight", "mesh.data=8", *common)
    assert len(eight.history) == len(one.history) == 10
    for a, b in zip(one.history, eight.history, strict=True):
        assert (a["step"], a["split"]) == (b["step"], b["split"])
        np.testing.assert_allclose(b["loss"], a["loss"], rtol=1e-4)
        np.testing.assert_allclose(b["accuracy"], a["accuracy"], atol=1e-6)
    _assert_trees_equal(eight.params, one.params, rtol=1e-4, atol=1e-6)
    # The parameters really are spread over the 8 devices (replicated for the MLP).
    leaf = tree_leaves(eight.params)[0]
    assert len(leaf.sharding.device_set) == 8
    assert len(tree_leaves(one.params)[0].sharding.device_set) == 1


def test_transformer_lm_loss_decreases(tmp_path):
    res = _run(tmp_path, *SMALL_LM, "train.steps=20")
    train = [r for r in res.history if r["split"] == "train"]
    assert [r["step"] for r in train] == [5, 10, 15, 20]
    assert train[0]["loss"] > train[-1]["loss"] + 0.3, [r["loss"] for r in train]
    # Better than uniform over the vocabulary.
    vocab = len(set(load_text()))
    assert res.final["loss"] < np.log(vocab) - 0.3
    assert res.final["perplexity"] == pytest.approx(np.exp(res.final["loss"]))


def test_transformer_data_and_model_parallel_matches_one_device(tmp_path):
    one = _run(tmp_path / "one", *SMALL_LM, "train.steps=10", "mesh.data=1")
    mesh = _run(tmp_path / "mesh", *SMALL_LM, "train.steps=10", "mesh.data=4", "mesh.model=2")
    assert len(one.history) == len(mesh.history) == 3
    for a, b in zip(one.history, mesh.history, strict=True):
        assert (a["step"], a["split"]) == (b["step"], b["split"])
        np.testing.assert_allclose(b["loss"], a["loss"], rtol=1e-4)
    _assert_trees_equal(mesh.params, one.params, rtol=1e-4, atol=1e-5)
    # Some parameter is split over the model axis (not every device holds all of it).
    shardings = [x.sharding for x in tree_leaves(mesh.params)]
    assert all(len(s.device_set) == 8 for s in shardings)
    assert any(not s.is_fully_replicated for s in shardings)


# ----------------------------------------------------------------------------------------------
# The console entry point


def test_python_dash_m_entry_point(tmp_path):
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=REPO)
    proc = subprocess.run(
        [sys.executable, "-m", "xfront.train", "--config", CONFIG, "--steps", "20",
         "--set", f"train.output_dir={json.dumps(str(out))}"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "final test accuracy" in proc.stdout
    assert (out / "metrics.jsonl").is_file() and (out / "checkpoints").is_dir()


# ----------------------------------------------------------------------------------------------
# Bundled data


def test_bundled_digits():
    images, labels = load_digits()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    assert images.min() == 0 and images.max() == 16
    counts = np.bincount(labels, minlength=10)
    assert len(counts) == 10 and counts.sum() == 1797
    assert counts.min() >= 170 and counts.max() <= 190, counts
    # The images are not noise: every class's mean image differs from every other's.
    means = np.stack([images[labels == c].mean(0) for c in range(10)])
    dists = np.linalg.norm((means[:, None] - means[None]).reshape(10, 10, -1), axis=-1)
    assert dists[~np.eye(10, dtype=bool)].min() > 1.0

    data = DigitsData(test_fraction=0.2, seed=0)
    assert len(data.x_train) + len(data.x_test) == 1797
    assert abs(len(data.x_test) - 0.2 * 1797) <= 10
    assert data.x_train.dtype == np.float32 and data.x_train.max() <= 1.0
    test_counts = np.bincount(data.y_test, minlength=10)
    np.testing.assert_array_equal(test_counts, np.round(counts * 0.2).astype(int))
    # Batches are a function of (seed, step).
    b1, b2 = data.train_batch(3, 64, 0), DigitsData(0.2, 0).train_batch(3, 64, 0)
    np.testing.assert_array_equal(b1.inputs, b2.inputs)
    assert not np.array_equal(b1.inputs, data.train_batch(4, 64, 0).inputs)


def test_bundled_text():
    text = load_text()
    assert len(text) > 50_000
    assert "Midsummer" in text[:200] and "Puck" in text and "Lysander" in text.title()
    assert 30 <= len(set(text)) <= 120
    data = TextData(seq_len=16, test_fraction=0.1)
    assert data.decode(data.encode("Hermia")) == "Hermia"
    batch = data.train_batch(0, 4, 0)
    assert batch.inputs.shape == batch.targets.shape == (4, 16)
    np.testing.assert_array_equal(batch.inputs[:, 1:], batch.targets[:, :-1])
    assert len(data.test_tokens) == int(len(text) * 0.1)


# ----------------------------------------------------------------------------------------------
# Metrics bookkeeping across an interruption: parameters and records match an uninterrupted run

_SHORT = ("train.steps=20", "train.log_every=5", "train.eval_every=10")


def _interrupted_then_resumed(out, at, monkeypatch=None):
    def stop(step):
        if step == at:
            raise KeyboardInterrupt

    if monkeypatch is None:
        with pytest.raises(TrainingInterrupted):
            _run(out, *_SHORT, on_step=stop)
    else:  # in the progress bar's update: before that step's evaluation
        original = cli.ProgressBar.update

        def update(self, step, loss=None):
            original(self, step, loss)
            stop(step)

        monkeypatch.setattr(cli.ProgressBar, "update", update)
        with pytest.raises(TrainingInterrupted):
            _run(out, *_SHORT)
        monkeypatch.undo()
    return _run(out, *_SHORT, resume=True)


def test_interrupt_mid_log_window_resumes_to_same_parameters(tmp_path):
    straight = _run(tmp_path / "straight", *_SHORT)
    resumed = _interrupted_then_resumed(tmp_path / "run", at=7)
    _assert_trees_equal(resumed.params, straight.params)
    assert resumed.final == straight.final
    assert [(r["step"], r["split"]) for r in resumed.history] == \
        [(r["step"], r["split"]) for r in straight.history]


def test_interrupt_mid_log_window_same_train_records(tmp_path):
    straight = _run(tmp_path / "straight", *_SHORT)
    resumed = _interrupted_then_resumed(tmp_path / "run", at=7)
    np.testing.assert_allclose([r["loss"] for r in resumed.history],
                               [r["loss"] for r in straight.history], rtol=1e-6)


def test_interrupt_before_evaluation_keeps_test_record(tmp_path, monkeypatch):
    straight = _run(tmp_path / "straight", *_SHORT)
    resumed = _interrupted_then_resumed(tmp_path / "run", at=10, monkeypatch=monkeypatch)
    _assert_trees_equal(resumed.params, straight.params)
    assert [(r["step"], r["split"]) for r in resumed.history] == \
        [(r["step"], r["split"]) for r in straight.history]


def test_resume_of_finished_run_adds_no_duplicate_record(tmp_path):
    first = _run(tmp_path, *_SHORT)
    again = _run(tmp_path, *_SHORT, resume=True)
    assert again.step == 20 and again.final == first.final
    records = [json.loads(x) for x in (tmp_path / "metrics.jsonl").open()]
    keys = [(r["step"], r["split"]) for r in records]
    assert len(keys) == len(set(keys)), keys
