"""8-device data-parallel MLP training step, xfront vs jax side by side in one process (both on
8 CPU devices): medians of interleaved rounds and the ratio xfront/jax.

    python benchmarks/sharding.py

Both use jit with in_shardings (params replicated, batch split over the 8 devices) and
out_shardings (replicated); XLA's SPMD partitioner inserts the gradient all-reduce.
"""

from __future__ import annotations

import os
import sys

os.environ["XFRONT_NUM_CPU_DEVICES"] = "8"
os.environ.setdefault("PJRT_NPROC", "16")  # both clients: no collective deadlock on 2 cores
os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                           + " --xla_force_host_platform_device_count=8")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from run import compare  # noqa: E402

import xfront as xf  # noqa: E402
import xfront.numpy as xnp  # noqa: E402

jax.config.update("jax_platforms", "cpu")


def _loss(np_mod):
    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = np_mod.tanh(h @ w + b)
        w, b = params[-1]
        logits = h @ w + b
        m = logits.max(axis=1, keepdims=True)
        logp = logits - m - np_mod.log(np_mod.sum(np_mod.exp(logits - m), axis=1,
                                                  keepdims=True))
        return -np_mod.mean(np_mod.sum(logp * y, axis=1))

    return loss


def _step(lib, np_mod):
    loss = _loss(np_mod)

    def step(params, x, y):
        g = lib.grad(loss)(params, x, y)
        return [(w - 0.05 * gw, b - 0.05 * gb) for (w, b), (gw, gb) in zip(params, g)]

    return step


def bench_dp_step(sizes=(256, 512, 512, 10), batch=512, inner=5, rounds=15):
    rng = np.random.default_rng(0)
    params = [(rng.standard_normal((a, b)).astype(np.float32) / np.sqrt(a),
               np.zeros(b, np.float32)) for a, b in zip(sizes[:-1], sizes[1:])]
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = np.eye(sizes[-1], dtype=np.float32)[rng.integers(0, sizes[-1], batch)]

    xm = xf.make_mesh((8,), ("data",))
    xrep = xf.NamedSharding(xm, xf.P())
    xbat = xf.NamedSharding(xm, xf.P("data"))
    fx = xf.jit(_step(xf, xnp), in_shardings=(xrep, xbat, xbat), out_shardings=xrep)

    jm = jax.make_mesh((8,), ("data",), axis_types=(jax.sharding.AxisType.Auto,))
    jrep = jax.sharding.NamedSharding(jm, jax.sharding.PartitionSpec())
    jbat = jax.sharding.NamedSharding(jm, jax.sharding.PartitionSpec("data"))
    fj = jax.jit(_step(jax, jnp), in_shardings=(jrep, jbat, jbat), out_shardings=jrep)

    px = xf.device_put(params, xrep)
    xx, yx = xf.device_put(x, xbat), xf.device_put(y, xbat)
    pj = jax.device_put(params, jrep)
    xj, yj = jax.device_put(x, jbat), jax.device_put(y, jbat)
    # same result after a few steps
    a, b = px, pj
    for _ in range(3):
        a, b = fx(a, xx, yx), fj(b, xj, yj)
    for (w1, b1), (w2, b2) in zip(a, b):
        np.testing.assert_allclose(np.asarray(w1), np.asarray(w2), rtol=2e-4, atol=2e-5)
        np.testing.assert_allclose(np.asarray(b1), np.asarray(b2), rtol=2e-4, atol=2e-5)
    state = {"x": px, "j": pj}

    def ours():
        state["x"] = fx(state["x"], xx, yx)
        xf.block_until_ready(state["x"])

    def theirs():
        state["j"] = fj(state["j"], xj, yj)
        jax.block_until_ready(state["j"])

    return compare(f"8-device data-parallel MLP step {sizes} b={batch}", ours, theirs,
                   inner=inner, rounds=rounds, unit="ms")


def bench_dp_step_small():
    """A small step: per-call overhead (dispatch of a sharded computation) dominates."""
    return bench_dp_step(sizes=(32, 64, 10), batch=64, inner=20, rounds=31)


def main():
    print(f"xfront {xf.__version__} vs jax {jax.__version__}, 8 CPU devices on "
          f"{os.cpu_count()} cores; medians of interleaved rounds")
    bench_dp_step()
    bench_dp_step_small()


if __name__ == "__main__":
    main()
