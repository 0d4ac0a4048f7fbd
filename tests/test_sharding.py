"""Many devices: Mesh / PartitionSpec / NamedSharding, device_put with shardings, jit with
in/out shardings and with_sharding_constraint (Shardy annotations partitioned by XLA),
shard_map with collectives (values, grads, vmap), pmap, and the error messages.

The suite runs with XFRONT_NUM_CPU_DEVICES=8 (tests/conftest.py)."""

import numpy as np
import pytest

import xfront as xf
import xfront.numpy as jnp
from xfront import lax
from xfront.sharding import NamedSharding, SingleDeviceSharding, make_mesh
from xfront.sharding import PartitionSpec as P
from xfront.test_util import check_grads

N = 8


@pytest.fixture(scope="module")
def mesh8():
    if xf.device_count() < N:
        pytest.skip(f"needs {N} devices")
    return make_mesh((N,), ("x",))


@pytest.fixture(scope="module")
def mesh42():
    if xf.device_count() < N:
        pytest.skip(f"needs {N} devices")
    return make_mesh((4, 2), ("data", "model"))


def _f32(rng, *shape):
    return rng.standard_normal(shape).astype(np.float32)


def _close(a, b, tol=1e-5):
    np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=tol, atol=tol)


# ---------------------------------------------------------------------------------------------
# Mesh, PartitionSpec, NamedSharding


def test_mesh_basics(mesh42):
    assert mesh42.shape == {"data": 4, "model": 2}
    assert mesh42.size == 8 and mesh42.axis_names == ("data", "model")
    assert mesh42.devices.shape == (4, 2)
    assert mesh42 == make_mesh((4, 2), ("data", "model"))
    assert hash(mesh42) == hash(make_mesh((4, 2), ("data", "model")))
    assert mesh42 != make_mesh((2, 4), ("data", "model"))
    assert "data" in repr(mesh42)


def test_make_mesh_wrong_size_lists_devices():
    with pytest.raises(ValueError, match=r"needs 6 devices but 8 are available"):
        make_mesh((3, 2), ("a", "b"))


def test_named_sharding_blocks(mesh42):
    s = NamedSharding(mesh42, P("data", "model"))
    idx = s.devices_indices_map((8, 6))
    assert len(idx) == 8
    assert s.shard_shape((8, 6)) == (2, 3)
    # device at mesh position (i, j) holds rows 2i:2i+2, cols 3j:3j+3
    for i in range(4):
        for j in range(2):
            r, c = idx[mesh42.devices[i, j]]
            assert (r.start, r.stop, c.start, c.stop) == (2 * i, 2 * i + 2, 3 * j, 3 * j + 3)
    rep = NamedSharding(mesh42, P())
    assert rep.is_fully_replicated and not s.is_fully_replicated
    assert NamedSharding(mesh42, P("data")) == NamedSharding(mesh42, P("data", None))
    part = NamedSharding(mesh42, P(None, "model"))
    assert part.shard_shape((8, 6)) == (8, 3)


def test_partition_spec_errors(mesh42):
    with pytest.raises(ValueError, match=r"names axis 'batch'.*Mesh\('data': 4, 'model': 2\)"):
        NamedSharding(mesh42, P("batch"))
    with pytest.raises(ValueError, match="more than once"):
        NamedSharding(mesh42, P("data", "data"))
    with pytest.raises(TypeError, match="PartitionSpec entries"):
        P(3)


# ---------------------------------------------------------------------------------------------
# device_put, Array.sharding, addressable_shards, visualization


def test_device_put_sharded_roundtrip(mesh42, rng):
    x = _f32(rng, 8, 6)
    for spec in [P(), P("data"), P(None, "model"), P("data", "model"), P(("data", "model"))]:
        s = NamedSharding(mesh42, spec)
        a = xf.device_put(x, s)
        assert a.sharding == s
        _close(a, x)
        shards = a.addressable_shards
        assert len(shards) == 8
        for sh in shards:
            _close(sh.data, x[sh.index])
            assert sh.data.devices() == {sh.device}
        assert a.is_fully_replicated == (spec == P())


def test_device_put_uneven_split_is_an_error(mesh42):
    s = NamedSharding(mesh42, P("data"))
    with pytest.raises(ValueError) as e:
        xf.device_put(np.zeros((6, 2), np.float32), s)
    msg = str(e.value)
    assert "(6, 2)" in msg and "divisible by 4" in msg and "'data'" in msg


def test_single_device_sharding_of_plain_arrays():
    a = jnp.ones(3)
    assert isinstance(a.sharding, SingleDeviceSharding)
    assert a.sharding.device == xf.devices()[0]
    assert a.is_fully_replicated


def test_visualize_array_sharding(mesh42, capsys):
    a = xf.device_put(np.zeros((8, 6), np.float32), NamedSharding(mesh42, P("data", "model")))
    xf.debug.visualize_array_sharding(a)
    out = capsys.readouterr().out
    for d in xf.devices():
        assert f"CPU {d.id}" in out
    b = xf.device_put(np.zeros((8,), np.float32), NamedSharding(mesh42, P()))
    xf.debug.visualize_array_sharding(b)
    assert "CPU 0,1,2,3,4,5,6,7" in capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# jit with shardings


def test_jit_in_out_shardings_values_and_layout(mesh42, rng):
    x, w = _f32(rng, 16, 6), _f32(rng, 6, 4)
    xs = NamedSharding(mesh42, P("data"))
    ws = NamedSharding(mesh42, P(None, "model"))
    out_s = NamedSharding(mesh42, P("data", "model"))
    f = xf.jit(lambda x, w: jnp.tanh(x @ w), in_shardings=(xs, ws), out_shardings=out_s)
    y = f(x, w)
    _close(y, np.tanh(x @ w))
    assert y.sharding == out_s
    text = xf.jit(lambda x, w: jnp.tanh(x @ w), in_shardings=(xs, ws),
                  out_shardings=out_s).lower(x, w).as_text()
    assert "sdy.mesh @mesh" in text and '#sdy.sharding<@mesh, [{"data"}, {}]>' in text
    assert "mhlo.num_partitions = 8" in text


def test_sharded_inputs_keep_their_sharding(mesh42, rng):
    x = xf.device_put(_f32(rng, 8, 6), NamedSharding(mesh42, P("data")))
    y = xf.jit(lambda a: a * 2 + 1)(x)
    assert y.sharding == x.sharding
    _close(y, np.asarray(x) * 2 + 1)
    z = jnp.sin(x)  # eager ops on sharded arrays stay sharded
    assert z.sharding == x.sharding
    _close(z, np.sin(np.asarray(x)))


def test_out_shardings_left_to_the_partitioner_are_reported(mesh42, rng):
    x = xf.device_put(_f32(rng, 8, 6), NamedSharding(mesh42, P("data", "model")))
    y = xf.jit(lambda a: jnp.sum(a, axis=1))(x)
    _close(y, np.asarray(x).sum(1), 1e-5)
    assert isinstance(y.sharding, NamedSharding)
    for sh in y.addressable_shards:
        _close(sh.data, np.asarray(x).sum(1)[sh.index], 1e-5)


def test_with_sharding_constraint(mesh42, rng):
    x = _f32(rng, 8, 6)

    def f(a):
        b = lax.with_sharding_constraint(a * 2, NamedSharding(mesh42, P("data", "model")))
        return b + 1

    ir = xf.jit(f, in_shardings=NamedSharding(mesh42, P())).lower(x).as_text()
    assert "sdy.sharding_constraint" in ir
    _close(xf.jit(f, in_shardings=NamedSharding(mesh42, P()))(x), x * 2 + 1)
    # under `with mesh:` a bare PartitionSpec works; outside jit it moves the data
    with mesh42:
        a = lax.with_sharding_constraint(jnp.asarray(x), P("data"))
    assert a.sharding == NamedSharding(mesh42, P("data"))
    # differentiable and vmappable
    g = xf.grad(lambda a: jnp.sum(f(a) ** 2))(x)
    _close(g, 4 * (2 * x + 1), 1e-4)
    v = xf.vmap(f)(np.stack([x, x]))
    _close(v[1], x * 2 + 1)


def test_jit_sharding_errors(mesh42):
    f = xf.jit(lambda a: a, in_shardings=NamedSharding(mesh42, P("data")))
    with pytest.raises(ValueError) as e:
        f(np.zeros((6,), np.float32))
    assert "(6,)" in str(e.value) and "divisible by 4" in str(e.value)
    with pytest.raises(ValueError, match="bare PartitionSpec"):
        xf.jit(lambda a: a, in_shardings=P("data"))(np.zeros(8, np.float32))


def _mlp_init(rng, sizes):
    return [(_f32(rng, a, b) * (1 / np.sqrt(a)), np.zeros(b, np.float32))
            for a, b in zip(sizes[:-1], sizes[1:])]


def _mlp_loss(params, x, y):
    h = x
    for w, b in params[:-1]:
        h = jnp.tanh(h @ w + b)
    w, b = params[-1]
    logits = h @ w + b
    logp = logits - jnp.log(jnp.sum(jnp.exp(logits - logits.max(1, keepdims=True)), 1,
                                    keepdims=True)) - logits.max(1, keepdims=True)
    return -jnp.mean(jnp.sum(logp * y, 1))


def _sgd(params, grads, lr=0.1):
    return [(w - lr * gw, b - lr * gb) for (w, b), (gw, gb) in zip(params, grads)]


def _data(rng, n=64, d=12, k=5):
    x = _f32(rng, n, d)
    y = np.eye(k, dtype=np.float32)[rng.integers(0, k, n)]
    return x, y


def test_data_parallel_step_matches_single_device(mesh8, rng):
    params = _mlp_init(rng, [12, 32, 5])
    x, y = _data(rng)

    def step(params, x, y):
        return _sgd(params, xf.grad(_mlp_loss)(params, x, y))

    ref = params
    for _ in range(3):
        ref = xf.jit(step)(ref, x, y)
    rep = NamedSharding(mesh8, P())
    batch = NamedSharding(mesh8, P("x"))
    dp = xf.jit(step, in_shardings=(rep, batch, batch), out_shardings=rep)
    p = params
    for _ in range(3):
        p = dp(p, x, y)
    for (a, b), (c, d) in zip(p, ref):
        _close(a, c, 1e-5)
        _close(b, d, 1e-5)
    assert p[0][0].sharding == rep

    # the same step with shard_map + pmean, and with pmap
    def local_step(params, x, y):
        g = lax.pmean(xf.grad(_mlp_loss)(params, x, y), "x")
        return _sgd(params, g)

    sm = xf.jit(xf.shard_map(local_step, mesh=mesh8, in_specs=(P(), P("x"), P("x")),
                             out_specs=P()))
    p = params
    for _ in range(3):
        p = sm(p, x, y)
    for (a, b), (c, d) in zip(p, ref):
        _close(a, c, 1e-5)
        _close(b, d, 1e-5)

    pm = xf.pmap(local_step, axis_name="x", in_axes=(None, 0, 0), out_axes=None)
    xs, ys = x.reshape(N, -1, 12), y.reshape(N, -1, 5)
    p = params
    for _ in range(3):
        p = pm(p, xs, ys)
    for (a, b), (c, d) in zip(p, ref):
        _close(a, c, 1e-5)
        _close(b, d, 1e-5)


# ---------------------------------------------------------------------------------------------
# shard_map


def test_shard_map_collectives_values(mesh8, rng):
    x = _f32(rng, 16)
    blocks = x.reshape(N, 2)

    def run(f, in_spec=P("x"), out_spec=P("x"), **kw):
        return np.asarray(xf.shard_map(f, mesh=mesh8, in_specs=in_spec, out_specs=out_spec,
                                       **kw)(x))

    _close(run(lambda b: lax.psum(b, "x"), out_spec=P()), blocks.sum(0))
    _close(run(lambda b: lax.pmean(b, "x"), out_spec=P()), blocks.mean(0))
    _close(run(lambda b: lax.pmax(b, "x"), out_spec=P()), blocks.max(0))
    _close(run(lambda b: lax.pmin(b, "x"), out_spec=P()), blocks.min(0))
    _close(run(lambda b: lax.all_gather(b, "x"), out_spec=P()), blocks)
    _close(run(lambda b: lax.all_gather(b, "x", tiled=True), out_spec=P()), x)
    _close(run(lambda b: b * lax.axis_index("x")), (blocks * np.arange(N)[:, None]).ravel())
    perm = [(i, (i + 3) % N) for i in range(N)]
    _close(run(lambda b: lax.ppermute(b, "x", perm)), np.roll(blocks, 3, 0).ravel())
    _close(run(lambda b: lax.psum_scatter(b, "x", tiled=True), in_spec=P()),
           (x * N).reshape(-1))
    # all_to_all: each device's block of N rows is exchanged row by row
    m = _f32(rng, N * N, 3)
    got = xf.shard_map(lambda b: lax.all_to_all(b, "x", 0, 0, tiled=True), mesh=mesh8,
                       in_specs=P("x"), out_specs=P("x"))(m)
    want = m.reshape(N, N, 3).transpose(1, 0, 2).reshape(N * N, 3)
    _close(got, want)


def test_shard_map_matches_vmap_collectives(mesh8, rng):
    # The same per-member program under vmap (named axis) and over devices agrees.
    x = _f32(rng, N, 3, 4)

    def f(b):
        g = lax.all_gather(b, "x", axis=1)
        s = lax.psum_scatter(g, "x", scatter_dimension=1, tiled=True)
        t = lax.all_to_all(b, "x", 0, 1, tiled=True) if b.shape[0] % N == 0 else b
        return s + jnp.sum(t) + lax.ppermute(b, "x", [(i, (i + 1) % N) for i in range(N)])

    via_vmap = xf.vmap(f, axis_name="x")(x)
    via_devices = xf.shard_map(lambda b: f(b[0])[None], mesh=mesh8, in_specs=P("x"),
                               out_specs=P("x"))(x)
    _close(via_devices, via_vmap, 1e-5)


def test_shard_map_grads(mesh8, rng):
    w, x = np.float32(1.3), _f32(rng, 16)

    def f(w, x):
        return lax.psum(jnp.sum(jnp.sin(w * x)), "x")

    sm = xf.shard_map(f, mesh=mesh8, in_specs=(P(), P("x")), out_specs=P())
    _close(sm(w, x), np.sin(w * x).sum(), 1e-5)
    _close(xf.grad(sm)(w, x), (x * np.cos(w * x)).sum(), 1e-4)
    _close(xf.grad(sm, argnums=1)(w, x), w * np.cos(w * x), 1e-5)
    check_grads(lambda w, x: sm(w, x), (w, x), order=2, atol=2e-2, rtol=2e-2)

    def g(x):  # all_gather / ppermute / psum_scatter transposes
        a = lax.all_gather(x, "x", tiled=True)
        b = lax.ppermute(x * x, "x", [(i, (i + 1) % N) for i in range(N)])
        return jnp.sum(a * a) * 0 + b + lax.psum_scatter(jnp.concatenate([x] * N), "x", tiled=True)

    sg = xf.shard_map(g, mesh=mesh8, in_specs=P("x"), out_specs=P("x"))
    check_grads(sg, (x,), order=1, atol=2e-2, rtol=2e-2)


def test_shard_map_vmap_and_jit(mesh8, rng):
    xs = _f32(rng, 3, 16)
    sm = xf.shard_map(lambda b: lax.psum(jnp.sum(b * b), "x"), mesh=mesh8, in_specs=P("x"),
                      out_specs=P())
    _close(xf.vmap(sm)(xs), (xs * xs).sum(1), 1e-5)
    _close(xf.jit(xf.vmap(sm))(xs), (xs * xs).sum(1), 1e-5)


def test_shard_map_2d_mesh_partial_reductions(mesh42, rng):
    x = _f32(rng, 8, 6)

    def f(b):  # b: (2, 3) block; sum over "model" only
        return lax.psum(b, "model")

    got = xf.shard_map(f, mesh=mesh42, in_specs=P("data", "model"),
                       out_specs=P("data"))(x)
    want = x.reshape(8, 2, 3).sum(1)
    _close(got, want, 1e-5)
    idx = xf.shard_map(lambda b: b * 0 + lax.axis_index("model") * 10
                       + lax.axis_index("data"), mesh=mesh42,
                       in_specs=P("data", "model"), out_specs=P("data", "model"))(x)
    want_idx = np.add.outer(np.repeat(np.arange(4), 2), np.repeat(np.arange(2), 3) * 10)
    _close(idx, want_idx)


def test_shard_map_check_vma(mesh8):
    x = np.zeros(16, np.float32)
    bad = xf.shard_map(lambda b: b * 2, mesh=mesh8, in_specs=P("x"), out_specs=P())
    with pytest.raises(ValueError, match=r"may vary along it.*psum"):
        bad(x)
    ok = xf.shard_map(lambda b: b[:2] * 2, mesh=mesh8, in_specs=P("x"), out_specs=P(),
                      check_vma=False)
    assert np.asarray(ok(x)).shape == (2,)


def test_shard_map_errors(mesh8):
    with pytest.raises(ValueError) as e:
        xf.shard_map(lambda b: b, mesh=mesh8, in_specs=P("x"), out_specs=P("x"))(
            np.zeros(12, np.float32))
    assert "args[0]" in str(e.value) and "(12,)" in str(e.value)
    with pytest.raises(ValueError, match="'y'"):
        xf.shard_map(lambda b: b, mesh=mesh8, in_specs=P("y"), out_specs=P("x"))(
            np.zeros(16, np.float32))
    with pytest.raises(NameError, match="unbound axis name: 'z'"):
        xf.shard_map(lambda b: lax.psum(b, "z"), mesh=mesh8, in_specs=P("x"),
                     out_specs=P("x"))(np.zeros(16, np.float32))


# ---------------------------------------------------------------------------------------------
# pmap


def test_pmap_values_axes_and_chaining(rng):
    n = 4
    x = _f32(rng, n, 3)
    f = xf.pmap(lambda a: a - lax.pmean(a, "i"), axis_name="i")
    y = f(x)
    _close(y, x - x.mean(0))
    assert isinstance(y.sharding, NamedSharding) and y.sharding.spec == P("i")
    z = f(y)  # results feed the next call in place
    assert z.sharding == y.sharding
    _close(z, x - x.mean(0), 1e-5)
    # in_axes / out_axes / unmapped arguments / static arguments
    g = xf.pmap(lambda a, b, k: a * b + k, axis_name="i", in_axes=(1, None, None),
                out_axes=1, static_broadcasted_argnums=(2,))
    xt = _f32(rng, 3, n)
    _close(g(xt, np.float32(2), 5), xt * 2 + 5)


def test_pmap_nested_vmap_axis_names(rng):
    x = _f32(rng, 2, 3, 4)

    def f(a):  # a: (3, 4) per device; vmap over rows with its own axis name
        return xf.vmap(lambda r: lax.psum(r, ("i", "j")), axis_name="j")(a)

    got = xf.pmap(f, axis_name="i")(x)
    _close(got, np.broadcast_to(x.sum((0, 1)), x.shape), 1e-5)


def test_pmap_grad_and_errors(rng):
    x = _f32(rng, 4, 3)
    g = xf.pmap(xf.grad(lambda a: jnp.sum(lax.psum(a, "i") ** 2)), axis_name="i")(x)
    _close(g, np.broadcast_to(2 * x.sum(0) * 4, x.shape), 1e-4)
    with pytest.raises(ValueError, match=r"different sizes: args\[0\] has 4, args\[1\] has 3"):
        xf.pmap(lambda a, b: a)(np.zeros((4, 2)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="only 8 devices"):
        xf.pmap(lambda a: a)(np.zeros((16, 2)))


# ---------------------------------------------------------------------------------------------
# Small hosts: collective programs dispatched faster than 2 cores run them


def test_many_async_collective_steps_do_not_deadlock(mesh8):
    f = xf.jit(xf.shard_map(lambda b: b + lax.psum(b, "x") * 1e-3, mesh=mesh8,
                            in_specs=P("x"), out_specs=P("x")))
    x = xf.device_put(np.ones(N, np.float32), NamedSharding(mesh8, P("x")))
    for _ in range(10_000):
        x = f(x)
    x.block_until_ready()
    # each step adds 1e-3 * (sum of the 8 values): x_k = 1.008 ** k exactly in float32 steps
    want = np.float32(1.0)
    for _ in range(10_000):
        want = want + np.float32(8e-3) * want
    _close(x, np.full(N, want), 1e-3)


def test_small_worker_pool_falls_back_to_blocking(tmp_path):
    # A user-set PJRT_NPROC below 2 x devices: executables with collectives wait for their
    # results instead of deadlocking XLA's worker pool.
    import subprocess
    import sys

    code = (
        "import numpy as np, xfront as xf\n"
        "from xfront import lax\n"
        "from xfront.sharding import NamedSharding, PartitionSpec as P\n"
        "from lowering import runtime\n"
        "assert runtime.collectives_may_deadlock()\n"
        "m = xf.make_mesh((8,), ('x',))\n"
        "f = xf.jit(xf.shard_map(lambda b: b + lax.psum(b, 'x') * 1e-3, mesh=m,"
        " in_specs=P('x'), out_specs=P('x')))\n"
        "x = xf.device_put(np.ones(8, np.float32), NamedSharding(m, P('x')))\n"
        "for _ in range(3000):\n"
        "    x = f(x)\n"
        "print('OK', float(np.asarray(x)[0]))\n")
    import os

    env = dict(os.environ, XFRONT_NUM_CPU_DEVICES="8", PJRT_NPROC="8",
               PYTHONPATH=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, env=env)
    assert p.returncode == 0, p.stderr[-3000:]
    assert "OK" in p.stdout



# ---------------------------------------------------------------------------------------------
# Ahead of time: jit(...).lower(...).compile() with shardings, ShapeDtypeStruct arguments


def test_lower_compile_with_shardings_runs_the_spmd_program(mesh42, rng):
    x, w = _f32(rng, 16, 6), _f32(rng, 6, 4)
    xs = NamedSharding(mesh42, P("data"))
    ws = NamedSharding(mesh42, P(None, "model"))
    out_s = NamedSharding(mesh42, P("data", "model"))
    f = xf.jit(lambda x, w: jnp.tanh(x @ w), in_shardings=(xs, ws), out_shardings=out_s)
    lowered = f.lower(x, w)
    text = lowered.as_text()
    assert '#sdy.sharding<@mesh, [{"data"}, {}]>' in text
    assert '#sdy.sharding<@mesh, [{}, {"model"}]>' in text
    assert '#sdy.sharding<@mesh, [{"data"}, {"model"}]>' in text
    compiled = lowered.compile()
    y = compiled(x, w)
    assert y.sharding == out_s
    assert len(y.addressable_shards) == 8
    _close(y, np.tanh(x @ w))
    for s in y.addressable_shards:
        assert s.data.shape == (4, 2)
        _close(s.data, np.tanh(x @ w)[s.index])
    assert compiled.input_shardings == ((xs, ws), {})
    assert compiled.output_shardings == out_s
    # the optimized HLO is the per-device program: blocks of (4, 6) and (6, 2)
    hlo = compiled.as_text()
    assert "f32[4,6]" in hlo and "f32[6,2]" in hlo
    # arguments already laid out differently are moved, as in a call
    y2 = compiled(xf.device_put(x, NamedSharding(mesh42, P(None, "model"))), w)
    _close(y2, np.tanh(x @ w))
    with pytest.raises(TypeError, match=r"compiled for f32\[16,6\]"):
        compiled(x[:8], w)


def test_lower_accepts_shape_dtype_structs_with_shardings(mesh42, rng):
    x = _f32(rng, 8, 6)
    xs = NamedSharding(mesh42, P("data", "model"))
    rep = NamedSharding(mesh42, P())
    sds = xf.ShapeDtypeStruct((8, 6), np.float32, sharding=xs)
    assert "sharding=" in repr(sds)
    # the struct's sharding places the argument when jit has no in_shardings
    lowered = xf.jit(lambda a: jnp.sin(a) * 2).lower(sds)
    text = lowered.as_text()
    assert "sdy.mesh @mesh" in text and "mhlo.num_partitions = 8" in text
    assert '#sdy.sharding<@mesh, [{"data"}, {"model"}]>' in text
    y = lowered.compile()(x)
    assert y.sharding == xs
    _close(y, np.sin(x) * 2)
    # with out_shardings
    c = xf.jit(lambda a: a.sum(0), out_shardings=rep).lower(sds).compile()
    z = c(xf.device_put(x, xs))
    assert z.sharding == rep and z.shape == (6,)
    _close(z, x.sum(0), 1e-5)
    # jit's in_shardings with plain structs; a bare PartitionSpec under `with mesh:`
    c = xf.jit(lambda a: a + 1, in_shardings=xs).lower(
        xf.ShapeDtypeStruct((8, 6), np.float32)).compile()
    assert c.input_shardings == ((xs,), {})
    _close(c(x), x + 1)
    with mesh42:
        t = xf.jit(lambda a: a + 1).lower(
            xf.ShapeDtypeStruct((8, 6), np.float32, sharding=P("data"))).as_text()
    assert '#sdy.sharding<@mesh, [{"data"}, {}]>' in t
    # a struct on one device: the executable runs there
    dev = xf.devices()[2]
    c = xf.jit(lambda a: a * 3).lower(
        xf.ShapeDtypeStruct((8, 6), np.float32, sharding=SingleDeviceSharding(dev))).compile()
    r = c(xf.device_put(x, dev))
    assert r.devices() == {dev}
    _close(r, x * 3)
    # a struct whose sharding does not divide its shape
    with pytest.raises(ValueError, match=r"divisible by 4"):
        xf.jit(lambda a: a).lower(xf.ShapeDtypeStruct((6, 6), np.float32, sharding=xs))


def test_lower_text_matches_jax_sharding_annotations(mesh42, jax_oracle):
    # jax sees one CPU device in this process: ask a subprocess with 8 for its lowering.
    import os
    import subprocess
    import sys

    code = (
        "import numpy as np, jax\n"
        "m = jax.make_mesh((4, 2), ('data', 'model'),"
        " axis_types=(jax.sharding.AxisType.Auto,) * 2)\n"
        "s = jax.sharding.NamedSharding(m, jax.sharding.PartitionSpec('data', 'model'))\n"
        "print(jax.jit(lambda a: a * 2).lower("
        "jax.ShapeDtypeStruct((8, 6), np.float32, sharding=s)).as_text())\n")
    env = dict(os.environ, JAX_PLATFORMS="cpu",
               XLA_FLAGS="--xla_force_host_platform_device_count=8")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=300, env=env)
    assert p.returncode == 0, p.stderr[-3000:]
    jt = p.stdout
    xt = xf.jit(lambda a: a * 2).lower(xf.ShapeDtypeStruct(
        (8, 6), np.float32, sharding=NamedSharding(mesh42, P("data", "model")))).as_text()
    for want in ['#sdy.sharding<@mesh, [{"data"}, {"model"}]>',
                 'sdy.mesh @mesh = <["data"=4, "model"=2]>', "mhlo.num_partitions = 8"]:
        assert want in jt and want in xt, want


# ---------------------------------------------------------------------------------------------
# Transfers of bfloat16 / float8 arrays, 0-d arrays, make_array_from_callback, replica ids


@pytest.mark.parametrize("dtype", ["bfloat16", "float8_e4m3fn", "float8_e5m2"])
def test_ml_dtypes_move_between_devices_exactly(mesh42, dtype):
    import ml_dtypes

    dt = np.dtype(getattr(ml_dtypes, dtype))
    host = np.array([0.5, -1.25, 3.0, 0.0, -0.0, 448 if "e4m3" in dtype else 1024, 2.0, -4.0],
                    np.float32).astype(dt)
    bits = host.view(f"uint{8 * dt.itemsize}")

    def same(a):
        got = np.asarray(a)
        assert got.dtype == dt
        np.testing.assert_array_equal(got.view(bits.dtype), bits)

    dev3 = xf.devices()[3]
    a = xf.device_put(host, dev3)
    assert a.devices() == {dev3} and a.dtype == dt
    same(a)
    same(a * jnp.ones((), dt))  # computes on device 3: the buffer is really there
    b = xf.device_put(xf.device_put(host), xf.devices()[5])  # Array -> another device
    assert b.devices() == {xf.devices()[5]}
    same(b)
    for spec in [P(), P("data"), P(("data", "model"))]:
        s = xf.device_put(host, NamedSharding(mesh42, spec))
        assert s.sharding == NamedSharding(mesh42, spec)
        same(s)
        for sh in s.addressable_shards:
            np.testing.assert_array_equal(np.asarray(sh.data).view(bits.dtype), bits[sh.index])
        same(xf.device_put(s, xf.devices()[1]))
    cb = xf.make_array_from_callback((8,), NamedSharding(mesh42, P("data")),
                                     lambda idx: host[idx])
    same(cb)


def test_replicated_0d_arrays_keep_their_shape(mesh42):
    rep = NamedSharding(mesh42, P())
    a = xf.device_put(np.float32(3), rep)
    assert a.shape == () and np.asarray(a).shape == ()
    assert float(a) == 3.0 and a.sharding == rep
    for s in a.addressable_shards:
        assert s.index == () and np.asarray(s.data).shape == () and float(s.data) == 3.0
    b = xf.jit(lambda v: v.sum(), out_shardings=rep)(np.arange(8, dtype=np.float32))
    assert b.shape == () and np.asarray(b).shape == () and float(b) == 28.0
    assert b.sharding == rep
    c = xf.jit(lambda v: v * 2, in_shardings=rep, out_shardings=rep)(np.float32(4))
    assert c.shape == () and np.asarray(c).shape == () and float(c) == 8.0
    d = xf.make_array_from_callback((), rep, lambda idx: np.float32(5))
    assert d.shape == () and np.asarray(d).shape == () and float(d) == 5.0


def test_make_array_from_callback_checks_each_block(mesh42, rng):
    s = NamedSharding(mesh42, P("data"))
    x = _f32(rng, 8, 6)
    a = xf.make_array_from_callback((8, 6), s, lambda idx: x[idx])
    assert a.sharding == s
    _close(a, x)
    with pytest.raises(ValueError) as e:
        xf.make_array_from_callback((8, 6), s, lambda idx: np.zeros((3, 6), np.float32))
    msg = str(e.value)
    assert "index=[0:2, :]" in msg and "(3, 6)" in msg and "(2, 6)" in msg
    assert "test_sharding.py" in msg  # the user's line
    # a block of the wrong shape only for one device is named by its index
    with pytest.raises(ValueError, match=r"index=\[4:6, :\].*shape \(2, 5\).*\(2, 6\)"):
        xf.make_array_from_callback(
            (8, 6), s, lambda idx: x[idx] if idx[0].start != 4 else x[idx][:, :5])
    with pytest.raises(ValueError, match=r"dtype int32 but earlier blocks had dtype float32"):
        xf.make_array_from_callback(
            (8, 6), s, lambda idx: x[idx] if idx[0].start == 0 else x[idx].astype(np.int32))
    with pytest.raises(ValueError, match="divisible by 4"):
        xf.make_array_from_callback((6, 6), s, lambda idx: x[:6][idx])


def test_replica_ids_are_global(mesh42):
    x = np.arange(48, dtype=np.float32).reshape(8, 6)
    for spec, copies in [(P("data"), 2), (P(None, "model"), 4), (P(), 8),
                         (P("data", "model"), 1)]:
        a = xf.device_put(x, NamedSharding(mesh42, spec))
        by_block: dict = {}
        for s in a.addressable_shards:
            key = tuple((i.start, i.stop) for i in s.index)
            by_block.setdefault(key, []).append(s.replica_id)
        assert all(sorted(r) == list(range(copies)) for r in by_block.values()), by_block
        _close(a, x)

    # Two processes of 4 devices, replicated over "model" which spans both: the ids count
    # over all devices of the sharding, not per process (the second process's copies of a
    # block are replicas 1, not 0).
    from xfront.dispatch import replica_ids
    from xfront.sharding import Mesh

    class FakeDevice:
        def __init__(self, i):
            self.id, self.process_index, self.platform = i, i // 4, "cpu"

        def __repr__(self):
            return f"fake:{self.id}"

    devs = [FakeDevice(i) for i in range(8)]
    mesh = Mesh(np.array([[devs[i], devs[i + 4]] for i in range(4)], dtype=object),
                ("data", "model"))
    ids = replica_ids(NamedSharding(mesh, P("data")), (8, 6))
    assert [ids[d] for d in devs] == [0, 0, 0, 0, 1, 1, 1, 1]
    ids = replica_ids(NamedSharding(mesh, P()), (8, 6))
    assert sorted(ids.values()) == list(range(8))
    assert [ids[d] for d in devs[4:]] == [1, 3, 5, 7]


# ---------------------------------------------------------------------------------------------
# Dispatch of SPMD calls


def test_spmd_results_fed_back_are_not_moved(mesh8, rng, monkeypatch):
    from xfront import dispatch

    rep, batch = NamedSharding(mesh8, P()), NamedSharding(mesh8, P("x"))
    step = xf.jit(lambda w, x: w - 0.1 * jnp.mean(x, 0), in_shardings=(rep, batch),
                  out_shardings=rep)
    w, x = _f32(rng, 4), _f32(rng, 16, 4)
    xb = xf.device_put(x, batch)
    w1 = step(w, xb)  # the first call moves the host value
    moved = []
    real = dispatch.device_put_sharded
    monkeypatch.setattr(dispatch, "device_put_sharded",
                        lambda a, s: moved.append(s) or real(a, s))
    w2 = step(w1, xb)
    assert moved == []
    w2 = xf.device_put(w2, NamedSharding(mesh8, P(None)))  # an equal spelling: not moved
    x_rep = xf.device_put(x, rep)
    moved.clear()
    w3 = step(w2, xb)
    assert moved == []
    assert w3.sharding is rep and w1.sharding is rep  # the same object: identity checks
    _close(w3, w - 0.3 * x.mean(0), 1e-5)
    # a differently laid out argument is still moved
    _close(step(w3, x_rep), w - 0.4 * x.mean(0), 1e-5)
    assert moved == [batch]


def test_named_sharding_equality_ignores_spelling(mesh42):
    a = NamedSharding(mesh42, P("data"))
    for b in [P("data", None), P(("data",)), P("data", ())]:
        assert a == NamedSharding(mesh42, b) and hash(a) == hash(NamedSharding(mesh42, b))
    assert a != NamedSharding(mesh42, P(None, "data"))
    assert a != NamedSharding(mesh42, P(("data", "model")))
    assert NamedSharding(mesh42, P()) == NamedSharding(mesh42, P(None, None))


# ---------------------------------------------------------------------------------------------
# Runtime facts


def test_jaxlib_version_is_the_release():
    import importlib.metadata
    import re

    from jaxlib import xla_client

    from lowering import runtime

    assert runtime.jaxlib_version == importlib.metadata.version("jaxlib")
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", runtime.jaxlib_version)
    assert runtime.xla_client_api_version == xla_client._version
    assert isinstance(runtime.xla_client_api_version, int)


def test_jit_with_shardings_on_a_one_device_mesh():
    # One partition: XLA reports no output shardings; results live on the mesh's device.
    dev = xf.devices()[3]
    mesh = xf.make_mesh((1,), ("data",), devices=[dev])
    rep, split = NamedSharding(mesh, P()), NamedSharding(mesh, P("data"))
    x = np.arange(4, dtype=np.float32)
    y, t = xf.jit(lambda x: (x * 2, x.sum()), in_shardings=(split,),
                  out_shardings=(split, rep))(x)
    np.testing.assert_array_equal(y, x * 2)
    assert float(t) == 6.0 and t.shape == ()
    assert y.devices() == {dev} and t.devices() == {dev}
    assert y.sharding == split
    g = xf.jit(xf.grad(lambda x: (x ** 2).sum()), in_shardings=(split,), out_shardings=split)(x)
    np.testing.assert_array_equal(g, 2 * x)
