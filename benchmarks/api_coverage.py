"""Which of JAX's public names xfront provides, per module (issue 5's coverage target).

    python benchmarks/api_coverage.py            # the table
    python benchmarks/api_coverage.py --missing  # plus the missing names

The name lists (benchmarks/api_names/*.txt) are JAX 0.10.2's public names per module. Names that
make no sense for xfront are listed in EXCLUDED with a one-line reason and do not count.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HERE = os.path.dirname(os.path.abspath(__file__))

# (list file, xfront module path, target fraction)
TARGETS = [
    ("numpy", "xfront.numpy", 0.90),
    ("numpy_linalg", "xfront.numpy.linalg", 0.85),
    ("numpy_fft", "xfront.numpy.fft", 1.00),
    ("lax", "xfront.lax", 0.60),
    ("random", "xfront.random", 0.80),
    ("nn", "xfront.nn", 0.90),
    ("scipy_special", "xfront.scipy.special", 0.60),
    ("tree_util", "xfront.tree_util", None),
    ("top_level", "xfront", None),
]

# name -> reason, per list
EXCLUDED: dict[str, dict[str, str]] = {
    "top_level": {
        "Ref": "mutable array references (jax's Ref/state effects) are not part of xfront's IR",
        "new_ref": "mutable array references are not part of xfront's IR",
        "empty_ref": "mutable array references are not part of xfront's IR",
        "free_ref": "mutable array references are not part of xfront's IR",
        "freeze": "mutable array references are not part of xfront's IR",
        "ad": "jax's internal autodiff namespace (xfront.interpreters.ad is ours, not an API)",
        "memory": "memory kinds / host offloading are not supported",
        "ds": "a helper for Ref/Pallas slicing (no refs in xfront)",
        "auto_pcast": "explicit-sharding type system option (xfront has no sharding-in-types)",
        "remove_size_one_mesh_axis_from_type": "sharding-in-types option (not in xfront)",
        "reshard": "explicit-sharding mode (sharding in types) is not supported",
        "set_mesh": "explicit-sharding mode's ambient mesh is not supported",
        "smap": "experimental single-axis shard_map built on explicit sharding types",
        "make_user_context": "jit cache contexts keyed by user objects are not supported",
        "thread_guard": "a multi-thread misuse guard for jax's thread-local config (ours is "
                        "process-wide)",
        "array_garbage_collection_guard": "a jax-internal debug guard for cyclic Array garbage",
        "enable_checks": "jax's internal invariant checks (xfront verifies every module anyway)",
        "allow_f16_reductions": "a jax-internal precision switch for f16 reductions",
        "softmax_custom_jvp": "a transient jax flag (xfront.nn.softmax always has its "
                              "custom JVP)",
        "jax2tf_associative_scan_reductions": "a jax2tf (TensorFlow export) option",
        "debug_key_reuse": "PRNG key-reuse checking is not supported",
        "default_prng_impl": "one PRNG implementation (threefry2x32)",
        "enable_custom_prng": "custom PRNG implementations are not supported",
        "legacy_prng_key": "a switch to warn on raw uint32 keys; xfront accepts raw and typed keys",
        "threefry_partitionable": "xfront's threefry is bit-exact with jax's default only",
    },
    "numpy": {
        "character": "string dtypes are not supported",
        "flexible": "string/void dtypes are not supported",
        "object_": "object arrays are not supported",
        "float4_e2m1fn": "sub-byte float types are not supported by this frontend",
        "float6_e2m3fn": "sub-byte float types are not supported by this frontend",
        "float6_e3m2fn": "sub-byte float types are not supported by this frontend",
        "int1": "sub-byte int types are not supported by this frontend",
        "int2": "sub-byte int types are not supported by this frontend",
        "int4": "sub-byte int types are not supported by this frontend",
        "uint1": "sub-byte int types are not supported by this frontend",
        "uint2": "sub-byte int types are not supported by this frontend",
        "uint4": "sub-byte int types are not supported by this frontend",
    },
}


def load_names(list_name: str) -> list[str]:
    with open(os.path.join(HERE, "api_names", f"{list_name}.txt")) as f:
        return [line.strip() for line in f if line.strip()]


def coverage(list_name: str, module_path: str):
    import importlib

    mod = importlib.import_module(module_path)
    names = load_names(list_name)
    excluded = EXCLUDED.get(list_name, {})
    counted = [n for n in names if n not in excluded]
    have = [n for n in counted if hasattr(mod, n)]
    missing = [n for n in counted if not hasattr(mod, n)]
    return have, missing, excluded


def main(argv) -> int:
    show_missing = "--missing" in argv
    print(f"{'module':<16s} {'provided':>9s} {'of':>5s} {'fraction':>9s} {'target':>7s}")
    ok = True
    for list_name, module_path, target in TARGETS:
        have, missing, excluded = coverage(list_name, module_path)
        total = len(have) + len(missing)
        frac = len(have) / total if total else 1.0
        mark = "" if target is None else ("  ok" if frac >= target else "  BELOW")
        ok &= target is None or frac >= target
        tgt = "-" if target is None else f"{target:.0%}"
        print(f"{list_name:<16s} {len(have):>9d} {total:>5d} {frac:>9.1%} {tgt:>7s}{mark}"
              + (f"   ({len(excluded)} excluded)" if excluded else ""))
        if show_missing and missing:
            print("    missing: " + " ".join(missing))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
