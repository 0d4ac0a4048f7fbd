"""Training-step throughput, xfront vs jax side by side in one process (CPU): medians of
interleaved rounds, steps/s and the ratio xfront/jax (time per step; < 1 means xfront is faster).

    python benchmarks/train.py                 # both benchmarks
    python benchmarks/train.py digits          # the MLP of tpu_configs/cpu-digits.toml
    python benchmarks/train.py transformer     # the character transformer LM
    python benchmarks/train.py --hlo           # also: optimized-HLO opcode counts that differ

xfront runs its own training step (``xfront.train.cli.make_train_step`` with ``xfront.optim.adam``
and the cosine schedule, on ``xfront.train.models``); jax runs an equivalent program written
below in plain jax + ``jax.numpy`` (the same architecture, ``jax.nn`` attention / GELU /
log-softmax, and Adam written by hand with the same math). Both start from the same parameters
(numpy copies of ``model.init``) and see the same batches; the losses of the first steps must
agree before anything is timed.

Each timed call is one full step (forward, backward, Adam update) on the state the previous call
returned, blocked until every output is ready.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from run import compare  # noqa: E402

import xfront as xf  # noqa: E402
import xfront.numpy as xnp  # noqa: E402
from xfront import optim, random  # noqa: E402
from xfront.train.cli import make_train_step  # noqa: E402
from xfront.train.data import DigitsData, TextData  # noqa: E402
from xfront.train.models import MLP, TransformerLM  # noqa: E402

jax.config.update("jax_platforms", "cpu")

LR, TOTAL_STEPS, B1, B2, EPS = 0.003, 600, 0.9, 0.999, 1e-8  # tpu_configs/cpu-digits.toml
BATCH = 64
N_BATCHES = 8  # distinct batches, cycled while timing
CHECK_STEPS = 3


# -- the jax side --------------------------------------------------------------------------------


def _j_cross_entropy(logits, targets):
    log_probs = jax.nn.log_softmax(logits.astype(jnp.float32), axis=-1)
    return -jnp.take_along_axis(log_probs, targets[..., None].astype(jnp.int32), axis=-1)[..., 0]


def _j_layer_norm(x, scale, bias, eps=1e-5):
    mean = jnp.mean(x, axis=-1, keepdims=True)
    var = jnp.mean(jnp.square(x - mean), axis=-1, keepdims=True)
    return (x - mean) * jax.lax.rsqrt(var + eps) * scale + bias


def _j_mlp_apply(params, inputs):
    h = inputs.reshape(inputs.shape[0], -1)
    for layer in params[:-1]:
        h = jax.nn.relu(h @ layer["w"] + layer["b"])
    return h @ params[-1]["w"] + params[-1]["b"]


def _j_transformer_apply(params, tokens):
    x = jnp.take(params["embed"], tokens, axis=0) + params["pos"][:tokens.shape[1]]
    for blk in params["blocks"]:
        h = _j_layer_norm(x, blk["ln1"]["scale"], blk["ln1"]["bias"])
        a = blk["attn"]
        q = jnp.einsum("btd,dhk->bthk", h, a["wq"])
        k = jnp.einsum("btd,dhk->bthk", h, a["wk"])
        v = jnp.einsum("btd,dhk->bthk", h, a["wv"])
        o = jax.nn.dot_product_attention(q, k, v, is_causal=True, implementation="xla")
        x = x + jnp.einsum("bthk,hkd->btd", o, a["wo"])
        h = _j_layer_norm(x, blk["ln2"]["scale"], blk["ln2"]["bias"])
        m = blk["mlp"]
        x = x + jax.nn.gelu(h @ m["w1"] + m["b1"]) @ m["w2"] + m["b2"]
    x = _j_layer_norm(x, params["ln_f"]["scale"], params["ln_f"]["bias"])
    return x @ params["unembed"]


def _j_adam_init(params):
    zeros = jax.tree_util.tree_map(jnp.zeros_like, params)
    return {"count": jnp.zeros([], jnp.int32), "mu": zeros, "nu": zeros}


def _j_train_step(apply):
    """jit((params, opt_state, inputs, targets) -> (params, opt_state, {loss, accuracy})): Adam
    with cosine decay, the math of ``xfront.optim.adam(cosine_decay_schedule(LR, STEPS))``."""

    def loss_fn(params, inputs, targets):
        logits = apply(params, inputs)
        loss = jnp.mean(_j_cross_entropy(logits, targets))
        accuracy = jnp.mean((jnp.argmax(logits, axis=-1) == targets).astype(jnp.float32))
        return loss, accuracy

    def step(params, state, inputs, targets):
        (loss, accuracy), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, inputs,
                                                                            targets)
        tm = jax.tree_util.tree_map
        mu = tm(lambda g, m: (1 - B1) * g + B1 * m, grads, state["mu"])
        nu = tm(lambda g, v: (1 - B2) * g * g + B2 * v, grads, state["nu"])
        count = state["count"] + 1
        c1, c2 = 1 - B1 ** count, 1 - B2 ** count
        s = jnp.minimum(state["count"], TOTAL_STEPS)
        lr = LR * (0.5 * (1 + jnp.cos(np.pi * s / TOTAL_STEPS)))
        params = tm(lambda p, m, v: p - lr * ((m / c1) / (jnp.sqrt(v / c2) + EPS)),
                    params, mu, nu)
        return params, {"count": count, "mu": mu, "nu": nu}, {"loss": loss,
                                                                "accuracy": accuracy}

    return jax.jit(step)


# -- harness --------------------------------------------------------------------------------------


def _bench(name, model, j_apply, batches, *, inner, rounds):
    host = jax.tree_util.tree_map(lambda a: np.array(a), model.init(random.key(0)))

    tx = optim.adam(optim.cosine_decay_schedule(LR, TOTAL_STEPS), B1, B2, EPS)
    x_step = make_train_step(model, tx)
    x_params = xf.tree_util.tree_map(xnp.asarray, host)
    x_state = tx.init(x_params)
    x_batches = [(xnp.asarray(i), xnp.asarray(t)) for i, t in batches]

    j_step = _j_train_step(j_apply)
    j_params = jax.tree_util.tree_map(jnp.asarray, host)
    j_state = _j_adam_init(j_params)
    j_batches = [(jnp.asarray(i), jnp.asarray(t)) for i, t in batches]

    # the same losses over the first steps (and the same parameters after them)
    xs, js = (x_params, x_state), (j_params, j_state)
    for i in range(CHECK_STEPS):
        *xs, xm = x_step(*xs, *x_batches[i])
        *js, jm = j_step(*js, *j_batches[i])
        lx, lj = float(xm["loss"]), float(jm["loss"])
        print(f"  {name} step {i}: loss xfront {lx:.6f}  jax {lj:.6f}  "
              f"rel diff {abs(lx - lj) / abs(lj):.1e}")
        np.testing.assert_allclose(lx, lj, rtol=1e-4)
    for a, b in zip(xf.tree_util.tree_leaves(xs[0]), jax.tree_util.tree_leaves(js[0])):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-3, atol=1e-5)

    x_carry, j_carry = [x_params, x_state], [j_params, j_state]
    x_i, j_i = [0], [0]

    def ours():
        b = x_batches[x_i[0] % N_BATCHES]
        x_i[0] += 1
        p, s, m = x_step(*x_carry, *b)
        xf.block_until_ready((p, s, m))
        x_carry[:] = p, s

    def theirs():
        b = j_batches[j_i[0] % N_BATCHES]
        j_i[0] += 1
        p, s, m = j_step(*j_carry, *b)
        jax.block_until_ready((p, s, m))
        j_carry[:] = p, s

    for _ in range(3):  # warm up
        ours(), theirs()
    ma, mb = compare(f"{name}: train step", ours, theirs, inner=inner, rounds=rounds,
                     unit="ms")
    print(f"{'':<44s} xfront {1e3 / ma:8.1f} steps/s    jax {1e3 / mb:8.1f} steps/s")
    return x_step, (x_params, x_state, *x_batches[0]), j_step, (j_params, j_state,
                                                                *j_batches[0])


def bench_digits():
    data = DigitsData(0.2, 0)
    model = MLP(int(np.prod(data.input_shape)), [128, 64], data.num_classes)
    batches = [(b.inputs, b.targets) for b in
               (data.train_batch(i, BATCH, 0) for i in range(N_BATCHES))]
    print(f"(1) {model.describe()}, batch {BATCH}, Adam")
    return _bench("(1) digits MLP 64-128-64-10", model, _j_mlp_apply, batches, inner=50,
                  rounds=15)


def bench_transformer():
    data = TextData(64)
    model = TransformerLM(data.num_classes, 128, 2, 4, 512, 64)
    batches = [(b.inputs, b.targets) for b in
               (data.train_batch(i, BATCH, 0) for i in range(N_BATCHES))]
    print(f"(2) {model.describe()}, batch {BATCH}, Adam")
    return _bench("(2) transformer LM", model, _j_transformer_apply, batches, inner=3,
                  rounds=11)


def hlo_op_counts(x_step, x_args, j_step, j_args, top: int = 25):
    """Per-opcode counts of the optimized HLO of both steps (where they differ)."""
    import collections
    import re

    def counts(text):
        c = collections.Counter()
        for line in text.splitlines():
            m = re.match(r"\s*(?:ROOT )?%?[\w.\-]+ = [^=]*?\s([a-z][\w\-]*)\(", line)
            if m:
                c[m.group(1)] += 1
        return c

    cx = counts(x_step.lower(*x_args).compile().as_text())
    cj = counts(j_step.lower(*j_args).compile().as_text())
    print(f"  optimized HLO instructions: xfront {sum(cx.values())}  jax {sum(cj.values())}")
    diff = sorted(set(cx) | set(cj), key=lambda k: -abs(cx[k] - cj[k]))
    for k in diff[:top]:
        if cx[k] != cj[k]:
            print(f"    {k:<24s} xfront {cx[k]:5d}  jax {cj[k]:5d}")


BENCHES = {"digits": bench_digits, "transformer": bench_transformer}


def main(argv):
    hlo = "--hlo" in argv
    names = [a for a in argv if a != "--hlo"] or list(BENCHES)
    print(f"xfront {xf.__version__} vs jax {jax.__version__}, {os.cpu_count()} cores; "
          f"medians of interleaved rounds")
    for n in names:
        out = BENCHES[n]()
        if hlo:
            hlo_op_counts(*out)


if __name__ == "__main__":
    main(sys.argv[1:])
