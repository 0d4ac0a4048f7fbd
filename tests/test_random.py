"""``xfront.random``: threefry2x32 known answers, keys, bit-exact agreement with jax.random,
reproducibility under jit and vmap, independence of split streams, distribution statistics
(moments and Kolmogorov-Smirnov against scipy.stats) and errors.

Every key here is fixed, so the statistical tests are deterministic: a KS p-value above 1e-3
for a fixed key is a property of the generator, not luck of the run.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats as st

import xfront as xf
import xfront.numpy as xnp
import xfront.random as xr

# ----------------------------------------------------------------------------------------------
# threefry2x32 known answers (Salmon et al., SC'11, Random123's kat_vectors for threefry2x32_20).

KAT = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


def _u32(*v):
    return np.array(v, np.uint32)


@pytest.mark.parametrize("key,ctr,want", KAT)
def test_threefry_known_answers_scalar(key, ctr, want):
    y1, y2 = xr.threefry2x32(_u32(key[0]), _u32(key[1]), _u32(ctr[0]), _u32(ctr[1]))
    assert (int(y1[0]), int(y2[0])) == want


def test_threefry_known_answers_vectorized_jit_and_vmap():
    k1, k2, c1, c2, w1, w2 = (_u32(*col) for col in zip(*(k + c + w for k, c, w in KAT)))
    want = np.stack([w1, w2])
    eager = np.stack(xr.threefry2x32(k1, k2, c1, c2))
    jitted = np.stack(xf.jit(xr.threefry2x32)(k1, k2, c1, c2))
    mapped = np.stack(xf.vmap(xr.threefry2x32)(k1, k2, c1, c2))
    for got in (eager, jitted, mapped):
        np.testing.assert_array_equal(got, want)
    # the rolled (fori_loop) form of the rounds gives the same words
    with xr._prng.rolled_threefry():
        rolled = np.stack(xf.jit(lambda *a: xr.threefry2x32(*a))(k1, k2, c1, c2))
    np.testing.assert_array_equal(rolled, want)


def test_threefry_2x32_layout():
    # JAX's layout: the flat count (padded to even length) is cut in halves that pair up.
    key = _u32(0x13198A2E, 0x03707344)
    count = np.arange(5, dtype=np.uint32)
    got = np.asarray(xr.threefry_2x32(key, count))
    y1, y2 = xr.threefry2x32(key[0], key[1], _u32(0, 1, 2), _u32(3, 4, 0))
    np.testing.assert_array_equal(got, np.concatenate([np.asarray(y1), np.asarray(y2)])[:5])


def test_threefry_2x32_matches_jax(jax_oracle):
    from jax.extend.random import threefry_2x32

    key = _u32(7, 0xDEADBEEF)
    count = np.arange(12, dtype=np.uint32).reshape(3, 4) * np.uint32(0x9E3779B9)
    np.testing.assert_array_equal(xr.threefry_2x32(key, count), threefry_2x32(key, count))


def test_threefry_rejects_non_uint32():
    with pytest.raises(TypeError, match="threefry2x32: keys and counters must be uint32"):
        xr.threefry2x32(np.int32(0), _u32(0), _u32(0), _u32(0))


# ----------------------------------------------------------------------------------------------
# Keys: seeds, typed and raw keys, split / fold_in / bits.


@pytest.mark.parametrize("seed,want", [
    (0, [0, 0]), (42, [0, 42]), (-1, [0, 0xFFFFFFFF]), (2**31, [0, 2**31]),
    (2**32 + 5, [0, 5]), (2**63 - 1, [0, 0xFFFFFFFF]), (np.uint32(7), [0, 7]),
    (np.int8(-1), [0, 0xFFFFFFFF]), (np.uint8(200), [0, 200]), (True, [0, 1]),
])
def test_seeds_x32(seed, want):
    np.testing.assert_array_equal(xr.PRNGKey(seed), _u32(*want))
    np.testing.assert_array_equal(xr.key_data(xr.key(seed)), _u32(*want))


@pytest.mark.parametrize("seed,want", [
    (-1, [0xFFFFFFFF, 0xFFFFFFFF]), (2**40 + 3, [256, 3]), (-(2**63), [2**31, 0]),
    (np.int64(-2), [0xFFFFFFFF, 0xFFFFFFFE]), (np.int8(-1), [0, 0xFFFFFFFF]),
])
def test_seeds_x64(x64, seed, want):
    np.testing.assert_array_equal(xr.PRNGKey(seed), _u32(*want))


def test_traced_seeds_match_concrete(x64):
    seeds = np.array([-3, 0, 5, 2**40 + 1], np.int64)
    jitted = xf.jit(xr.PRNGKey)
    for s in seeds:
        np.testing.assert_array_equal(jitted(s), xr.PRNGKey(s))
    mapped = xf.vmap(lambda s: xr.key_data(xr.key(s)))(seeds)
    np.testing.assert_array_equal(mapped, np.stack([xr.PRNGKey(s) for s in seeds]))


@pytest.mark.parametrize("x64_on", [False, True])
def test_seeds_match_jax(jax_oracle, x64_on):
    jax = jax_oracle
    seeds = [0, 1, -1, 2**31, -(2**31) - 1, 2**32 + 5, 2**62 + 2**33 + 9, -(2**63),
             np.int32(-5), np.uint32(4000000000), np.int16(-300)]
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", x64_on)
    try:
        with xf.config.override("enable_x64", x64_on):
            for s in seeds:
                np.testing.assert_array_equal(xr.PRNGKey(s), jax.random.PRNGKey(s),
                                              err_msg=f"seed {s!r}")
    finally:
        jax.config.update("jax_enable_x64", old)


# Values of jax.random for PRNGKey(0) (jax 0.10.2, default threefry2x32, partitionable).
KNOWN = {
    "split": [[1797259609, 2579123966], [928981903, 3453687069]],
    "fold_in_1": [928981903, 3453687069],
    "bits": [4070199207, 4202968722, 1427181096, 2012915765],
    "uniform": [0.9476670026779175, 0.9785798788070679, 0.33229148387908936],
    "normal": [1.622642159461975, 2.0252647399902344, -0.4335944354534149],
    "randint": [89, 0, 12, 73, 71],
    "permutation": [0, 1, 5, 6, 4, 3, 2, 7],
}


def test_known_values_without_oracle():
    k = xr.PRNGKey(0)
    np.testing.assert_array_equal(xr.split(k), np.array(KNOWN["split"], np.uint32))
    np.testing.assert_array_equal(xr.fold_in(k, 1), np.array(KNOWN["fold_in_1"], np.uint32))
    np.testing.assert_array_equal(xr.bits(k, (4,)), np.array(KNOWN["bits"], np.uint32))
    np.testing.assert_array_equal(xr.uniform(k, (3,)), np.array(KNOWN["uniform"], np.float32))
    np.testing.assert_array_equal(xr.normal(k, (3,)), np.array(KNOWN["normal"], np.float32))
    np.testing.assert_array_equal(xr.randint(k, (5,), 0, 100), KNOWN["randint"])
    np.testing.assert_array_equal(xr.permutation(k, 8), KNOWN["permutation"])


def test_split_and_fold_in_layout():
    # New key i of split is threefry(key, (0, i)), which is also fold_in(key, i).
    k = xr.PRNGKey(123)
    keys = np.asarray(xr.split(k, (2, 3)))
    assert keys.shape == (2, 3, 2) and keys.dtype == np.uint32
    for i in range(6):
        np.testing.assert_array_equal(keys.reshape(6, 2)[i], xr.fold_in(k, i))
        y = xr.threefry2x32(k[0], k[1], np.uint32(0), np.uint32(i))
        np.testing.assert_array_equal(keys.reshape(6, 2)[i], [int(y[0]), int(y[1])])
    assert len({tuple(r) for r in keys.reshape(6, 2)}) == 6


def test_typed_keys():
    k = xr.key(7)
    assert k.shape == () and k.ndim == 0 and str(k.dtype) == "key<fry>"
    assert k.dtype == xr.key_dtype("threefry2x32") and xr.key_impl(k) == "threefry2x32"
    np.testing.assert_array_equal(xr.key_data(k), xr.PRNGKey(7))
    ks = xr.split(k, 6)
    assert isinstance(ks, xr.PRNGKeyArray) and ks.shape == (6,) and len(ks) == 6
    np.testing.assert_array_equal(xr.key_data(ks), xr.split(xr.PRNGKey(7), 6))
    assert isinstance(xr.split(xr.PRNGKey(7)), xf.Array)  # raw in, raw out
    # indexing, reshaping and equality act on the key dimensions
    np.testing.assert_array_equal(xr.key_data(ks[2]), xr.key_data(ks)[2])
    grid = ks.reshape(2, 3)
    assert grid.shape == (2, 3) and grid.T.shape == (3, 2) and grid.ravel().shape == (6,)
    np.testing.assert_array_equal(xr.key_data(grid[1, 2]), xr.key_data(ks[5]))
    np.testing.assert_array_equal(xr.key_data(grid[..., 0]), xr.key_data(ks)[::3])
    assert [bool(e) for e in (ks == ks[::-1])] == [False] * 6
    assert bool(xr.wrap_key_data(xr.key_data(k)) == k)
    assert [bool(e) for e in (ks != ks)] == [False] * 6
    assert "key<fry>" in repr(k)
    assert xr.key_impl(xr.PRNGKey(0)) == "threefry2x32"
    assert xr.default_prng_impl().name == "threefry2x32"
    assert xr.clone(k) is k


def test_typed_keys_as_jit_and_vmap_arguments_and_results():
    ks = xr.split(xr.key(3), 4)
    out = xf.jit(lambda k: xr.split(k, 3))(ks[1])
    assert isinstance(out, xr.PRNGKeyArray) and out.shape == (3,)
    np.testing.assert_array_equal(xr.key_data(out), xr.key_data(xr.split(ks[1], 3)))
    mapped = xf.vmap(lambda k: xr.split(k, 3))(ks)
    assert isinstance(mapped, xr.PRNGKeyArray) and mapped.shape == (4, 3)
    np.testing.assert_array_equal(xr.key_data(mapped[2]), xr.key_data(xr.split(ks[2], 3)))
    grid = xr.split(xr.key(3), (2, 3))  # vmap over key axis 1
    vals = xf.vmap(lambda k: xr.uniform(k[1], (2,)), in_axes=1)(grid)
    assert vals.shape == (3, 2)
    np.testing.assert_array_equal(vals[2], xr.uniform(grid[1, 2], (2,)))


def test_typed_key_as_scan_carry():
    def body(k, _):
        k, sub = xr.split(k)
        return k, xr.normal(sub)

    last, ys = xf.lax.scan(body, xr.key(5), None, length=4)
    k, want = xr.key(5), []
    for _ in range(4):
        k, sub = xr.split(k)
        want.append(np.asarray(xr.normal(sub)))
    np.testing.assert_array_equal(ys, np.stack(want))
    assert isinstance(last, xr.PRNGKeyArray)
    np.testing.assert_array_equal(xr.key_data(last), xr.key_data(k))


def test_bits_dtypes_and_fold_in_data_kinds():
    k = xr.PRNGKey(5)
    b32 = np.asarray(xr.bits(k, (3, 4)))
    assert b32.dtype == np.uint32
    # narrower widths keep the low bits of the same words
    np.testing.assert_array_equal(xr.bits(k, (3, 4), "uint16"), b32.astype(np.uint16))
    np.testing.assert_array_equal(xr.bits(k, (3, 4), xnp.uint8), b32.astype(np.uint8))
    np.testing.assert_array_equal(xr.fold_in(k, np.uint32(9)), xr.fold_in(k, 9))
    np.testing.assert_array_equal(xr.fold_in(k, xnp.asarray(9)), xr.fold_in(k, 9))
    assert xr.bits(k, (2, 0)).shape == (2, 0) and xr.normal(k, (0,)).shape == (0,)


def test_bits_64_x64(x64):
    k = xr.PRNGKey(5)
    b64 = np.asarray(xr.bits(k))
    assert b64.dtype == np.uint64
    y1, y2 = xr.threefry2x32(k[0], k[1], np.uint32(0), np.uint32(0))
    assert int(b64) == (int(y1) << 32) | int(y2)


def test_keys_match_jax(jax_oracle):
    jr = jax_oracle.random
    k, jk = xr.key(2024), jr.key(2024)
    np.testing.assert_array_equal(xr.key_data(xr.split(k, (2, 5))),
                                  jr.key_data(jr.split(jk, (2, 5))))
    np.testing.assert_array_equal(xr.key_data(xr.fold_in(k, 2**32 - 1)),
                                  jr.key_data(jr.fold_in(jk, 2**32 - 1)))
    for dt in ("uint8", "uint16", "uint32"):
        np.testing.assert_array_equal(xr.bits(k, (7, 3), dt), jr.bits(jk, (7, 3), dt))
    np.testing.assert_array_equal(xr.key_data(xr.wrap_key_data(np.array([[1, 2]], np.uint32))),
                                  jr.key_data(jr.wrap_key_data(np.array([[1, 2]], np.uint32))))


# ----------------------------------------------------------------------------------------------
# Bit-exact agreement with jax.random, sampler by sampler.

LOGITS = np.log(np.array([[0.1, 0.2, 0.3, 0.4], [0.5, 0.25, 0.15, 0.1]], np.float32))
P4 = np.array([0.125, 0.25, 0.5, 0.125], np.float32)
X46 = np.arange(24.0, dtype=np.float32).reshape(4, 6)

# (id, function name, args after the key, kwargs)
ORACLE_CASES = [
    ("uniform_minmax", "uniform", ((3, 4),), dict(minval=-2.0, maxval=np.arange(1.0, 5.0))),
    ("uniform_f16", "uniform", ((300,), "float16"), {}),
    ("uniform_bf16", "uniform", ((300,), "bfloat16"), {}),
    ("normal_bf16", "normal", ((300,), "bfloat16"), {}),
    ("normal_c64", "normal", ((100,), "complex64"), {}),
    ("truncated_normal", "truncated_normal", (-1.0, 2.0, (500,)), {}),
    ("bernoulli", "bernoulli", (0.3, (500,)), {}),
    ("bernoulli_high", "bernoulli", (np.float32(1e-3), (500,)), dict(mode="high")),
    ("rademacher", "rademacher", ((200,),), {}),
    ("exponential", "exponential", ((500,),), {}),
    ("laplace", "laplace", ((500,),), {}),
    ("logistic", "logistic", ((500,),), {}),
    ("cauchy", "cauchy", ((500,),), {}),
    ("gumbel_high", "gumbel", ((500,),), dict(mode="high")),
    ("gumbel_highest", "gumbel", ((500,),), dict(mode="highest")),
    ("maxwell", "maxwell", ((500,),), {}),
    ("double_sided_maxwell", "double_sided_maxwell", (1.0, 2.0, (300,)), {}),
    ("pareto", "pareto", (3.0, (300,)), {}),
    ("weibull_min", "weibull_min", (2.0, 1.5, (300,)), {}),
    ("rayleigh", "rayleigh", (2.0, (300,)), {}),
    ("wald", "wald", (np.array([0.5, 2.0], np.float32), (150, 2)), {}),
    ("geometric", "geometric", (0.3, (300,)), {}),
    ("triangular", "triangular", (0.0, 1.0, 3.0, (300,)), {}),
    ("lognormal", "lognormal", (0.5, (300,)), {}),
    ("randint_bcast", "randint", ((4, 3), np.array([0, -5, 100]), 200), {}),
    ("randint_full_range", "randint", ((200,), -(2**31), 2**31 - 1), {}),
    ("randint_uint8_256", "randint", ((200,), 0, 256, "uint8"), {}),
    ("randint_int8", "randint", ((200,), -128, 127, "int8"), {}),
    ("randint_empty_range", "randint", ((10,), 5, 5), {}),
    ("categorical_shape", "categorical", (LOGITS,), dict(shape=(5, 2))),
    ("categorical_axis0", "categorical", (LOGITS.T,), dict(axis=0, shape=(3, 2))),
    ("categorical_norep", "categorical", (LOGITS,), dict(shape=(3, 2), replace=False)),
    ("permutation_large", "permutation", (3000,), {}),
    ("permutation_rows", "permutation", (X46,), {}),
    ("permutation_axis1", "permutation", (X46,), dict(axis=1)),
    ("permutation_independent", "permutation", (X46,), dict(axis=1, independent=True)),
    ("choice_array_axis1", "choice", (X46, (2, 3)), dict(axis=1)),
    ("choice_norep", "choice", (10, (6,)), dict(replace=False)),
    ("choice_norep_array", "choice", (X46, (3,)), dict(replace=False, axis=1)),
    ("choice_p", "choice", (4, (2, 40)), dict(p=P4)),
    ("choice_p_norep", "choice", (4, (3,)), dict(p=P4, replace=False)),
]


# Alternate cases use typed keys (key) and legacy raw keys (PRNGKey); both reach the same
# executables, so each case runs once.
@pytest.mark.parametrize("name,args,kwargs,typed",
                         [(*c[1:], i % 2 == 1) for i, c in enumerate(ORACLE_CASES)],
                         ids=[c[0] for c in ORACLE_CASES])
def test_matches_jax_bit_for_bit(jax_oracle, name, args, kwargs, typed):
    jr = jax_oracle.random
    seed = 1000 + sum(map(ord, name))
    k, jk = (xr.key(seed), jr.key(seed)) if typed else (xr.PRNGKey(seed), jr.PRNGKey(seed))
    got = np.asarray(getattr(xr, name)(k, *args, **kwargs))
    want = np.asarray(getattr(jr, name)(jk, *args, **kwargs))
    assert got.shape == want.shape and got.dtype == want.dtype, (got.shape, got.dtype,
                                                                 want.shape, want.dtype)
    np.testing.assert_array_equal(got, want)


def test_matches_jax_x64(jax_oracle, x64):
    jax = jax_oracle
    old = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", True)
    try:
        k, jk = xr.PRNGKey(-5), jax.random.PRNGKey(-5)
        for name, args, kwargs in [("bits", ((10,),), {}), ("normal", ((300,),), {}),
                                   ("randint", ((50,), -10, 2**40), {})]:
            got = np.asarray(getattr(xr, name)(k, *args, **kwargs))
            want = np.asarray(getattr(jax.random, name)(jk, *args, **kwargs))
            assert got.dtype == want.dtype, name
            np.testing.assert_array_equal(got, want, err_msg=name)
    finally:
        jax.config.update("jax_enable_x64", old)


def _linalg_or_skip(*names):
    for n in names:
        if not hasattr(xnp.linalg, n):
            pytest.skip(f"xfront.numpy.linalg.{n} is not available yet")


@pytest.mark.parametrize("method", ["cholesky", "eigh", "svd"])
def test_multivariate_normal_matches_jax(jax_oracle, method):
    _linalg_or_skip({"cholesky": "cholesky", "eigh": "eigh", "svd": "svd"}[method])
    jr = jax_oracle.random
    mean = np.array([1.0, -2.0, 0.5], np.float32)
    a = np.array([[2.0, 0.3, 0.1], [0.0, 1.0, -0.4], [0.0, 0.0, 0.5]], np.float32)
    cov = a @ a.T
    got = np.asarray(xr.multivariate_normal(xr.PRNGKey(8), mean, cov, (50,), method=method))
    want = np.asarray(jr.multivariate_normal(jr.PRNGKey(8), mean, cov, (50,), method=method))
    assert got.shape == want.shape == (50, 3)
    np.testing.assert_array_equal(got, want)


def test_orthogonal_matches_jax(jax_oracle):
    _linalg_or_skip("qr")
    jr = jax_oracle.random
    for n, m in [(4, None), (3, 5)]:
        got = np.asarray(xr.orthogonal(xr.PRNGKey(3), n, (2,), m=m))
        want = np.asarray(jr.orthogonal(jr.PRNGKey(3), n, (2,), m=m))
        np.testing.assert_array_equal(got, want)


# ----------------------------------------------------------------------------------------------
# Reproducibility under jit and vmap; independence of split streams.

REPRO_CASES = [
    ("normal", lambda k: xr.normal(k, (3, 2))),
    ("uniform", lambda k: xr.uniform(k, (4,), minval=-1.0, maxval=xnp.arange(1.0, 5.0))),
    ("randint", lambda k: xr.randint(k, (5,), -3, 7)),
    ("categorical", lambda k: xr.categorical(k, LOGITS, shape=(3, 2))),
    ("permutation", lambda k: xr.permutation(k, 6)),
    ("maxwell", lambda k: xr.maxwell(k, (3,))),
    ("split_bits", lambda k: xr.bits(xr.split(k)[1], (2,))),
    ("fold_in", lambda k: xr.key_data(xr.fold_in(k, 11))),
]


@pytest.mark.parametrize("fn,typed", [(c[1], i % 2 == 0) for i, c in enumerate(REPRO_CASES)],
                         ids=[c[0] for c in REPRO_CASES])
def test_eager_jit_vmap_agree(fn, typed):
    keys = xr.split(xr.key(99) if typed else xr.PRNGKey(99), 3)
    loop = np.stack([np.asarray(fn(keys[i])) for i in range(3)])
    jitted = np.stack([np.asarray(xf.jit(fn)(keys[i])) for i in range(3)])
    mapped = np.asarray(xf.vmap(fn)(keys))
    jit_of_vmap = np.asarray(xf.jit(xf.vmap(fn))(keys))
    for got in (jitted, mapped, jit_of_vmap):
        np.testing.assert_array_equal(got, loop)


def test_vmap_over_fold_in_data_and_seeds():
    k = xr.PRNGKey(4)
    mapped = xf.vmap(lambda i: xr.normal(xr.fold_in(k, i), (2,)))(xnp.arange(5))
    for i in range(5):
        np.testing.assert_array_equal(mapped[i], xr.normal(xr.fold_in(k, i), (2,)))
    per_seed = xf.vmap(lambda s: xr.uniform(xr.key(s), (3,)))(xnp.arange(4))
    np.testing.assert_array_equal(per_seed[3], xr.uniform(xr.key(3), (3,)))


def test_split_streams_are_independent():
    n = 20000
    k = xr.key(0)
    k1, k2 = xr.split(k)
    a, b = np.asarray(xr.normal(k1, (n,))), np.asarray(xr.normal(k2, (n,)))
    c = np.asarray(xr.normal(xr.fold_in(k, 1), (n,)))  # fold_in(k, 1) is split(k)[1]: same as b
    np.testing.assert_array_equal(b, c)
    d = np.asarray(xr.normal(xr.fold_in(k, 2), (n,)))
    e = np.asarray(xr.normal(k, (n,)))  # the parent's own stream
    bound = 4.5 / math.sqrt(n)  # 4.5 standard errors of a correlation coefficient
    for x, y in [(a, b), (a, d), (b, d), (a, e), (b, e)]:
        assert abs(np.corrcoef(x, y)[0, 1]) < bound
    # neighbouring elements of one stream are uncorrelated too
    assert abs(np.corrcoef(a[:-1], a[1:])[0, 1]) < bound
    # many sibling keys: the first value of each stream is uniform
    firsts = np.asarray(xf.vmap(lambda kk: xr.uniform(kk))(xr.split(k, 5000)))
    assert st.kstest(firsts, "uniform").pvalue > 1e-3


def test_bits_are_uniform_bytes():
    b = np.asarray(xr.bits(xr.PRNGKey(17), (50000,)))
    counts = np.bincount((b & 0xFF).astype(np.int64), minlength=256)
    assert st.chisquare(counts).pvalue > 1e-3
    bitmeans = ((b[:, None] >> np.arange(32, dtype=np.uint32)) & 1).mean(0)
    assert np.all(np.abs(bitmeans - 0.5) < 4.5 * 0.5 / math.sqrt(b.size))


def test_gradients_through_samplers():
    k = xr.key(1)
    mu_grad = xf.grad(lambda mu: xnp.mean(mu + 2.0 * xr.normal(k, (8,))))(1.5)
    np.testing.assert_allclose(mu_grad, 1.0, rtol=1e-6)
    sigma_grad = xf.grad(lambda s: xnp.sum(s * xr.normal(k, (8,))))(0.7)
    np.testing.assert_allclose(sigma_grad, np.sum(np.asarray(xr.normal(k, (8,)))), rtol=1e-5)
    # d/dminval of uniform(minval, 3) = 1 - u
    u = np.asarray(xr.uniform(k, (5,)))
    g = xf.grad(lambda a: xnp.sum(xr.uniform(k, (5,), minval=a, maxval=3.0)))(1.0)
    np.testing.assert_allclose(g, np.sum(1 - u), rtol=1e-5)


# ----------------------------------------------------------------------------------------------
# Distribution statistics: Kolmogorov-Smirnov against scipy.stats, and moments.

N = 20000
KS_CASES = [
    ("uniform", lambda k: xr.uniform(k, (N,), minval=-1.0, maxval=3.0), st.uniform(-1, 4)),
    ("normal", lambda k: xr.normal(k, (N,)), st.norm()),
    ("truncated_normal", lambda k: xr.truncated_normal(k, -0.5, 1.5, (N,)),
     st.truncnorm(-0.5, 1.5)),
    ("truncated_normal_tail", lambda k: xr.truncated_normal(k, 2.0, 4.0, (N,)),
     st.truncnorm(2.0, 4.0)),
    ("exponential", lambda k: xr.exponential(k, (N,)), st.expon()),
    ("laplace", lambda k: xr.laplace(k, (N,)), st.laplace()),
    ("logistic", lambda k: xr.logistic(k, (N,)), st.logistic()),
    ("cauchy", lambda k: xr.cauchy(k, (N,)), st.cauchy()),
    ("gumbel", lambda k: xr.gumbel(k, (N,)), st.gumbel_r()),
    ("gumbel_high", lambda k: xr.gumbel(k, (N,), mode="high"), st.gumbel_r()),
    ("gumbel_highest", lambda k: xr.gumbel(k, (N,), mode="highest"), st.gumbel_r()),
    ("maxwell", lambda k: xr.maxwell(k, (N,)), st.maxwell()),
    ("double_sided_maxwell", lambda k: xnp.abs(xr.double_sided_maxwell(k, 1.0, 2.0, (N,)) - 1),
     st.maxwell(scale=2.0)),
    ("pareto", lambda k: xr.pareto(k, 3.0, (N,)), st.pareto(3.0)),
    ("weibull_min", lambda k: xr.weibull_min(k, 2.0, 1.5, (N,)), st.weibull_min(1.5, scale=2.0)),
    ("rayleigh", lambda k: xr.rayleigh(k, 2.0, (N,)), st.rayleigh(scale=2.0)),
    ("wald", lambda k: xr.wald(k, 0.7, (N,)), st.invgauss(0.7)),
    ("triangular", lambda k: xr.triangular(k, -1.0, 0.5, 2.0, (N,)),
     st.triang(0.5, loc=-1.0, scale=3.0)),
    ("lognormal", lambda k: xr.lognormal(k, 0.6, (N,)), st.lognorm(0.6)),
]


@pytest.mark.parametrize("sample,dist", [c[1:] for c in KS_CASES], ids=[c[0] for c in KS_CASES])
def test_kolmogorov_smirnov(sample, dist):
    x = np.asarray(sample(xr.key(2718)), np.float64)
    assert x.shape == (N,) and np.all(np.isfinite(x))
    assert st.kstest(x, dist.cdf).pvalue > 1e-3
    # moments within 5 standard errors (where they exist)
    mean, var, kurt = (float(v) for v in dist.stats("mvk"))
    if np.isfinite(var):
        assert abs(x.mean() - mean) < 5 * math.sqrt(var / N)
        if np.isfinite(kurt):  # the sample variance's standard error needs the 4th moment
            m4 = (kurt + 3) * var**2
            assert abs(x.var() - var) < 5 * math.sqrt((m4 - var**2) / N)


def test_normal_float64_and_complex(x64):
    x = np.asarray(xr.normal(xr.key(5), (N,)))
    assert x.dtype == np.float64
    assert st.kstest(x, "norm").pvalue > 1e-3
    z = np.asarray(xr.normal(xr.key(5), (N,), np.complex64))
    assert z.dtype == np.complex64
    # independent real and imaginary parts, each of variance 1/2
    assert st.kstest(z.real * math.sqrt(2), "norm").pvalue > 1e-3
    assert st.kstest(z.imag * math.sqrt(2), "norm").pvalue > 1e-3
    assert abs(np.corrcoef(z.real, z.imag)[0, 1]) < 4.5 / math.sqrt(N)


def _chisquare_counts(samples, probs):
    counts = np.bincount(np.asarray(samples).ravel(), minlength=len(probs))
    assert counts.size == len(probs)
    probs = np.asarray(probs, np.float64) / np.sum(probs, dtype=np.float64)
    return st.chisquare(counts, probs * counts.sum()).pvalue


def test_discrete_distributions():
    k = xr.key(31)
    assert _chisquare_counts(xr.randint(k, (N,), 0, 7), np.full(7, 1 / 7)) > 1e-3
    shifted = np.asarray(xr.randint(k, (N,), -3, 2)) + 3
    assert shifted.min() == 0 and shifted.max() == 4
    assert _chisquare_counts(shifted, np.full(5, 0.2)) > 1e-3
    u8 = np.asarray(xr.randint(k, (N,), 0, 256, np.uint8))
    assert u8.dtype == np.uint8 and _chisquare_counts(u8, np.full(256, 1 / 256)) > 1e-3
    b = np.asarray(xr.bernoulli(k, 0.3, (N,)))
    assert b.dtype == np.bool_ and abs(b.mean() - 0.3) < 5 * math.sqrt(0.21 / N)
    bh = np.asarray(xr.bernoulli(k, np.float32(2e-9), (N,), mode="high"))
    assert bh.sum() == 0
    r = np.asarray(xr.rademacher(k, (N,)))
    assert set(np.unique(r)) == {-1, 1} and abs(r.mean()) < 5 / math.sqrt(N)
    g = np.asarray(xr.geometric(k, 0.4, (N,)))
    assert g.min() >= 1
    probs = st.geom(0.4).pmf(np.arange(1, 12))
    counts = np.bincount(np.minimum(g, 12), minlength=13)[1:]
    expected = np.append(probs, 1 - probs.sum()) * N
    assert st.chisquare(counts, expected).pvalue > 1e-3


def test_categorical_and_choice_frequencies():
    k = xr.key(8)
    p = np.exp(LOGITS[0])
    draws = np.asarray(xr.categorical(k, LOGITS[0], shape=(N,)))
    assert _chisquare_counts(draws, p) > 1e-3
    both = np.asarray(xr.categorical(k, LOGITS, shape=(N // 2, 2)))
    assert _chisquare_counts(both[:, 1], np.exp(LOGITS[1])) > 1e-3
    assert _chisquare_counts(xr.choice(k, 4, (N,), p=P4), P4) > 1e-3
    assert _chisquare_counts(xr.choice(k, 5, (N,)), np.full(5, 0.2)) > 1e-3
    # without replacement: distinct values; each first pick follows p (Gumbel top-k)
    picks = np.asarray(xf.vmap(lambda kk: xr.choice(kk, 4, (3,), replace=False, p=P4))(
        xr.split(k, 4000)))
    assert all(len(set(row)) == 3 for row in picks)
    assert _chisquare_counts(picks[:, 0], P4) > 1e-3
    cat = np.asarray(xr.categorical(k, LOGITS, shape=(4, 2), replace=False))
    assert all(sorted(cat[:, j]) == [0, 1, 2, 3] for j in range(2))


def test_permutation_properties():
    k = xr.key(12)
    p = np.asarray(xr.permutation(k, 1000))
    np.testing.assert_array_equal(np.sort(p), np.arange(1000))
    assert (p == np.arange(1000)).sum() < 10
    x = np.arange(24.0).reshape(4, 6)
    rows = np.asarray(xr.permutation(k, x))
    np.testing.assert_array_equal(np.sort(rows[:, 0]), x[:, 0])
    np.testing.assert_array_equal(rows[:, 1:] - rows[:, :1], x[:, 1:] - x[:, :1])  # rows intact
    indep = np.asarray(xr.permutation(k, x, axis=1, independent=True))
    np.testing.assert_array_equal(np.sort(indep, axis=1), x)
    assert len({tuple(np.argsort(r)) for r in indep}) > 1
    # position of element 0 over many keys is uniform
    pos = np.asarray(xf.vmap(lambda kk: xnp.argmin(xr.permutation(kk, 5)))(xr.split(k, 5000)))
    assert _chisquare_counts(pos, np.full(5, 0.2)) > 1e-3
    sub = np.asarray(xr.choice(k, x, (2,), replace=False, axis=1))
    assert sub.shape == (4, 2) and len(set(sub[0])) == 2


def test_multivariate_normal_statistics():
    _linalg_or_skip("cholesky", "eigh", "svd")
    mean = np.array([1.0, -2.0], np.float32)
    cov = np.array([[2.0, 0.6], [0.6, 0.5]], np.float32)
    for method in ("cholesky", "eigh", "svd"):
        x = np.asarray(xr.multivariate_normal(xr.key(6), mean, cov, (N,), method=method))
        assert x.shape == (N, 2)
        np.testing.assert_allclose(x.mean(0), mean, atol=5 * math.sqrt(2.0 / N))
        np.testing.assert_allclose(np.cov(x.T), cov, atol=0.05)


def test_orthogonal_properties():
    _linalg_or_skip("qr")
    q = np.asarray(xr.orthogonal(xr.key(2), 5, (3,)))
    assert q.shape == (3, 5, 5)
    np.testing.assert_allclose(np.einsum("bij,bik->bjk", q, q), np.broadcast_to(np.eye(5),
                               (3, 5, 5)), atol=1e-5)
    wide = np.asarray(xr.orthogonal(xr.key(2), 2, m=4))
    assert wide.shape == (2, 4)
    np.testing.assert_allclose(wide @ wide.T, np.eye(2), atol=1e-5)


# ----------------------------------------------------------------------------------------------
# Samplers built on rejection loops (lax.while_loop) and scans. One sample per case serves both
# checks (each such sampler costs a second or so to compile): bit-exact against jax.random when
# it is installed, and its distribution against scipy.stats always.

M = 4000


def _ks(x, cdf):
    assert st.kstest(np.asarray(x, np.float64).ravel(), cdf).pvalue > 1e-3


def _moments_ok(x, mean, var):
    x = np.asarray(x, np.float64).ravel()
    assert abs(x.mean() - mean) < 5 * math.sqrt(var / x.size)
    assert abs(x.var() / var - 1) < 5 * math.sqrt(2 / x.size) * 2


def _check_gamma(x):
    assert x.shape == (2, M)
    _ks(x[0], st.gamma(0.4).cdf)  # boosted branch (a < 1)
    _ks(x[1], st.gamma(3.0).cdf)


def _check_poisson(x):
    assert x.dtype == np.int32 and x.shape == (3, M)
    assert np.all(x[0] == 0)  # lam = 0
    for row, lam in ((x[1], 2.0), (x[2], 40.0)):  # Knuth (lam < 10) and rejection
        _moments_ok(row, lam, lam)
        ks = np.arange(row.max() + 1)
        counts = np.bincount(row)
        keep = st.poisson(lam).pmf(ks) * row.size > 5
        expected = st.poisson(lam).pmf(ks[keep]) * row.size
        obs = counts[keep]
        assert st.chisquare(np.append(obs, row.size - obs.sum()),
                            np.append(expected, row.size - expected.sum())).pvalue > 1e-3


def _check_binomial(x):
    assert x.shape == (2, M)
    for row, n, p in ((x[0], 10, 0.3), (x[1], 200, 0.7)):  # inversion and BTRS
        assert np.all(row == np.round(row)) and row.min() >= 0 and row.max() <= n
        _moments_ok(row, n * p, n * p * (1 - p))
        pmf = st.binom(n, p).pmf(np.arange(n + 1))
        keep = pmf * row.size > 5
        counts = np.bincount(row.astype(np.int64), minlength=n + 1)
        obs, expected = counts[keep], pmf[keep] * row.size
        assert st.chisquare(np.append(obs, row.size - obs.sum()),
                            np.append(expected, row.size - expected.sum())).pvalue > 1e-3


def _check_multinomial(x):
    assert x.shape == (M, 3)
    np.testing.assert_array_equal(x.sum(-1), 20)
    for j, p in enumerate((0.2, 0.3, 0.5)):
        _moments_ok(x[:, j], 20 * p, 20 * p * (1 - p))


def _check_dirichlet(x):
    assert x.shape == (M, 3)
    np.testing.assert_allclose(x.sum(-1), 1, rtol=1e-5)
    _ks(x[:, 0], st.beta(0.5, 3.0).cdf)
    _ks(x[:, 2], st.beta(2.0, 1.5).cdf)


def _check_ball(x):
    assert x.shape == (M, 3)
    _ks(np.linalg.norm(x.astype(np.float64), axis=-1) ** 3, "uniform")  # P(r <= s) = s**3
    assert abs(np.mean(x[:, 0] * x[:, 1])) < 0.02  # uncorrelated, mean zero


# beta runs loggamma, f runs chisquare and ball runs generalized_normal: their bits are checked
# through those.
A_GAMMA = np.array([[0.4], [3.0]], np.float32)
LAM = np.array([[0.0], [2.0], [40.0]], np.float32)
LOOP_CASES = [
    ("gamma", lambda r, k: r.gamma(k, A_GAMMA, (2, M)), _check_gamma),
    ("beta", lambda r, k: r.beta(k, 2.0, 3.5, (M,)), lambda x: _ks(x, st.beta(2.0, 3.5).cdf)),
    ("dirichlet", lambda r, k: r.dirichlet(k, np.array([0.5, 1.0, 2.0], np.float32), (M,)),
     _check_dirichlet),
    ("f", lambda r, k: r.f(k, 3.0, 7.0, (M,)), lambda x: _ks(x, st.f(3, 7).cdf)),
    ("t", lambda r, k: r.t(k, 4.0, (M,)), lambda x: _ks(x, st.t(4).cdf)),
    ("ball", lambda r, k: r.ball(k, 3, 2.0, (M,)), _check_ball),
    ("poisson", lambda r, k: r.poisson(k, LAM, (3, M)), _check_poisson),
    ("binomial", lambda r, k: r.binomial(k, np.array([[10.0], [200.0]], np.float32),
                                         np.array([[0.3], [0.7]], np.float32), (2, M)),
     _check_binomial),
    ("multinomial", lambda r, k: r.multinomial(k, 20.0, np.array([0.2, 0.3, 0.5], np.float32),
                                               shape=(M, 3)), _check_multinomial),
]


@pytest.mark.parametrize("sample,check", [c[1:] for c in LOOP_CASES],
                         ids=[c[0] for c in LOOP_CASES])
def test_loop_samplers(sample, check):
    seed = 77
    x = np.asarray(sample(xr, xr.PRNGKey(seed)))
    check(x)
    try:
        import jax.random as jr
    except ImportError:
        return
    want = np.asarray(sample(jr, jr.PRNGKey(seed)))
    assert x.dtype == want.dtype and x.shape == want.shape
    np.testing.assert_array_equal(x, want)


def test_loop_samplers_edge_values_match_jax(jax_oracle):
    jr = jax_oracle.random
    # invalid binomial parameters give nan, an infinite count inf; p > 1/2 uses the mirror
    n = np.array([5.0, -1.0, np.nan, np.inf, 30.0], np.float32)
    p = np.array([0.4, 0.4, 0.4, 0.4, 0.9], np.float32)
    got = np.asarray(xr.binomial(xr.key(1), n, p))
    np.testing.assert_array_equal(got, jr.binomial(jr.key(1), n, p))
    assert np.isnan(got[1]) and np.isnan(got[2]) and np.isinf(got[3])


def test_gamma_is_differentiable():
    # implicit reparameterization: d sample_i / d a_i, whose mean over samples is d E[X]/da = 1
    a = np.full((M,), 2.5, np.float32)
    g = np.asarray(xf.grad(lambda a: xnp.sum(xr.gamma(xr.PRNGKey(4), a)))(a))
    assert abs(g.mean() - 1.0) < 0.05 and np.all(g > 0)
    try:
        import jax
    except ImportError:
        return
    want = jax.grad(lambda a: jax.random.gamma(jax.random.PRNGKey(4), a).sum())(a)
    np.testing.assert_allclose(g, want, rtol=1e-5)


# ----------------------------------------------------------------------------------------------
# Errors.

_K = None


def _key():
    global _K
    if _K is None:
        _K = xr.key(0)
    return _K


ERROR_CASES = [
    ("float_key", lambda: xr.normal(np.zeros(2, np.float32)), TypeError, "expected dtype uint32"),
    ("short_key", lambda: xr.normal(np.zeros(3, np.uint32)), TypeError, r"shape \(\.\.\., 2\)"),
    ("list_key", lambda: xr.normal([0, 1]), TypeError, "expected a PRNG key"),
    ("batched_key", lambda: xr.uniform(xr.split(_key()), (2,)), ValueError,
     r"uniform accepts a single key, but was given a key array of shape \(2,\)"),
    ("int_shape", lambda: xr.normal(_key(), 3), TypeError, "shape must be a sequence"),
    ("negative_shape", lambda: xr.split(_key(), -1), ValueError, "must be non-negative"),
    ("uniform_int_dtype", lambda: xr.uniform(_key(), (2,), np.int32), ValueError,
     "must be a float dtype, got int32"),
    ("bits_signed", lambda: xr.bits(_key(), (2,), np.int32), ValueError,
     "must be an unsigned int dtype"),
    ("randint_float", lambda: xr.randint(_key(), (2,), 0, 5, np.float32), TypeError,
     "randint only accepts integer dtypes"),
    ("uniform_param_shape", lambda: xr.uniform(_key(), (2, 3), minval=np.zeros(4)), ValueError,
     r"parameter shapes \(4,\), \(\) must broadcast to the shape argument \(2, 3\)"),
    ("float_seed", lambda: xr.key(1.5), TypeError, "seed must be an integer"),
    ("array_seed", lambda: xr.PRNGKey(np.arange(2)), TypeError, "scalar seed"),
    ("huge_seed", lambda: xr.PRNGKey(2**64), OverflowError, "64-bit"),
    ("key_as_seed", lambda: xr.key(_key()), TypeError, "given a PRNG key"),
    ("fold_in_vector", lambda: xr.fold_in(_key(), np.arange(3)), TypeError, "accepts a scalar"),
    ("fold_in_negative", lambda: xr.fold_in(_key(), -1), OverflowError, "uint32"),
    ("wrap_bad", lambda: xr.wrap_key_data(np.zeros(3, np.uint32)), TypeError,
     "wrap_key_data: invalid PRNG key data"),
    ("unknown_impl", lambda: xr.key(0, impl="rbg"), ValueError, "unrecognized PRNG"),
    ("choice_too_many", lambda: xr.choice(_key(), 3, (5,), replace=False), ValueError,
     "larger sample"),
    ("choice_bad_p", lambda: xr.choice(_key(), 3, (2,), p=np.ones(4) / 4), ValueError,
     r"p has shape \(4,\)"),
    ("choice_shape_int", lambda: xr.choice(_key(), 3, 2), TypeError, "must be a sequence"),
    ("categorical_shape", lambda: xr.categorical(_key(), np.zeros((2, 3)), shape=(4,)),
     ValueError, r"\(2,\) must broadcast to the shape argument \(4,\)"),
    ("categorical_norep", lambda: xr.categorical(_key(), np.zeros(3), shape=(4,),
                                                 replace=False), ValueError, "cannot exceed"),
    ("bernoulli_int_p", lambda: xr.bernoulli(_key(), 1), TypeError, "floating dtype"),
    ("bernoulli_mode", lambda: xr.bernoulli(_key(), 0.5, mode="mid"), ValueError, "mode"),
    ("gumbel_mode", lambda: xr.gumbel(_key(), mode="foo"), ValueError, "mode"),
    ("permutation_float", lambda: xr.permutation(_key(), 2.5), TypeError, "integer"),
    ("permutation_axis", lambda: xr.permutation(_key(), np.zeros((2, 2)), axis=2), ValueError,
     "out of bounds"),
    ("key_index", lambda: xr.split(_key())[0, 0], IndexError, "too many indices"),
    ("pareto_complex_b", lambda: xr.pareto(_key(), np.complex64(1)), TypeError,
     "cannot safely cast"),
    ("mvn_cov_shape", lambda: xr.multivariate_normal(_key(), np.zeros(2), np.eye(3)), ValueError,
     r"cov.shape == \(\.\.\., n, n\) for n=2"),
    ("mvn_method", lambda: xr.multivariate_normal(_key(), np.zeros(2), np.eye(2), method="lu"),
     ValueError, "method must be one of"),
    ("gamma_int_dtype", lambda: xr.gamma(_key(), 1.0, dtype=np.int32), ValueError, "float dtype"),
    ("gamma_shape", lambda: xr.gamma(_key(), np.ones(3), (2,)), ValueError, "must broadcast"),
    ("dirichlet_scalar", lambda: xr.dirichlet(_key(), 1.0), ValueError, "alpha.ndim >= 1"),
    ("poisson_float_dtype", lambda: xr.poisson(_key(), 1.0, dtype=np.float32), ValueError,
     "int dtype"),
    ("loggamma_shape", lambda: xr.loggamma(_key(), np.ones(2), (3,)), ValueError,
     "must broadcast"),
    ("chisquare_complex", lambda: xr.chisquare(_key(), np.complex64(2)), TypeError,
     "cannot safely cast"),
    ("generalized_normal_shape", lambda: xr.generalized_normal(_key(), 2.0, 3), TypeError,
     "shape must be a sequence"),
]


@pytest.mark.parametrize("fn,exc,match", [c[1:] for c in ERROR_CASES],
                         ids=[c[0] for c in ERROR_CASES])
def test_errors(fn, exc, match):
    with pytest.raises(exc, match=match):
        fn()


def test_jit_traced_integer_argument_errors():
    with pytest.raises(TypeError, match="concrete"):
        xf.jit(lambda n: xr.permutation(xr.key(0), n))(5)
    with pytest.raises(TypeError, match="concrete"):
        xf.jit(lambda n: xr.choice(xr.key(0), n, (2,)))(5)
