"""xfront-train as a two-host job: two processes on 127.0.0.1 with 2 CPU devices each, joined by
the config's [distributed] section, train data-parallel over the 4 devices and finish with the
same loss as one process with 4 devices. Processes are killed even when the test fails."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "tpu_configs", "cpu-digits.toml")
COMMON = ["--steps", "30", "--no-progress", "--set", "optimizer.schedule=\"constant\"",
          "--set", "train.eval_every=0", "--set", "mesh.data=-1"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args, devices: int):
    env = dict(os.environ, PYTHONUNBUFFERED="1", XFRONT_NUM_CPU_DEVICES=str(devices),
               PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("PJRT_NPROC", None)
    return subprocess.Popen([sys.executable, "-m", "xfront.train", "--config", CONFIG, *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env, text=True,
                            start_new_session=True, cwd=ROOT)


def _wait(procs, timeout=150):
    deadline = time.monotonic() + timeout
    out = []
    try:
        for p in procs:
            try:
                o, e = p.communicate(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                o, e = "", "TIMEOUT"
            out.append((p.returncode, o, e))
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
    return out


def _final(stdout: str) -> tuple[float, float]:
    m = re.search(r"final test accuracy ([0-9.]+) \(loss ([0-9.]+)\)", stdout)
    assert m, stdout[-2000:]
    return float(m.group(1)), float(m.group(2))


@pytest.mark.skipif(sys.platform != "linux", reason="uses 127.0.0.1 ports and process groups")
def test_two_process_training_matches_one_process(tmp_path):
    port = _free_port()
    shared = tmp_path / "two"
    procs = [_start(COMMON + ["--output-dir", str(shared),
                              "--set", "distributed.enabled=true",
                              "--set", f'distributed.coordinator_address="127.0.0.1:{port}"',
                              "--set", "distributed.num_processes=2",
                              "--set", f"distributed.process_id={i}"], devices=2)
             for i in (0, 1)]
    outs = _wait(procs)
    for rc, _, e in outs:
        assert rc == 0, e[-3000:]
    (rc, single_out, e), = _wait([_start(COMMON + ["--output-dir", str(tmp_path / "one")],
                                         devices=4)])
    assert rc == 0, e[-3000:]
    two_out = outs[0][1]
    assert "mesh data=4 x model=1 (4 cpu device(s)" in two_out and "in 2 process(es)" in two_out
    assert "final test accuracy" not in outs[1][1]  # only process 0 reports
    acc2, loss2 = _final(two_out)
    acc1, loss1 = _final(single_out)
    assert abs(loss2 - loss1) <= 1e-3 * max(1.0, loss1) and abs(acc2 - acc1) <= 1e-3
    # One checkpoint written by both processes (a part per process, one index).
    steps = sorted(os.listdir(shared / "checkpoints"))
    assert steps == ["step_30"]
