"""xfront: a JAX-compatible array library that traces Python into its own IR and compiles it to
XLA through StableHLO.

    import xfront as xf, xfront.numpy as xnp
    f = xf.jit(lambda x, y: xnp.tanh(x @ y).sum(axis=0))
"""

from xfront import debug as debug
from xfront import dispatch as _dispatch  # noqa: F401  (installs eager execution)
from xfront import distributed as distributed
from xfront import experimental as experimental
from xfront import lax as lax
from xfront import nn as nn
from xfront import numpy as numpy
from xfront import optim as optim
from xfront import random as random
from xfront import scipy as scipy
from xfront import sharding as sharding
from xfront import tree_util as tree_util
from xfront.api import Compiled as Compiled
from xfront.api import JitFunction as JitFunction
from xfront.api import Lowered as Lowered
from xfront.api import ShapeDtypeStruct as ShapeDtypeStruct
from xfront.api import block_until_ready as block_until_ready
from xfront.api import clear_caches as clear_caches
from xfront.api import default_backend as default_backend
from xfront.api import device_count as device_count
from xfront.api import device_get as device_get
from xfront.api import device_put as device_put
from xfront.api import devices as devices
from xfront.api import eval_shape as eval_shape
from xfront.api import jit as jit
from xfront.api import local_device_count as local_device_count
from xfront.api import local_devices as local_devices
from xfront.api import make_array_from_callback as make_array_from_callback
from xfront.api import make_array_from_process_local_data as make_array_from_process_local_data
from xfront.api import make_array_from_single_device_arrays as make_array_from_single_device_arrays
from xfront.api import make_ir as make_ir
from xfront.api import process_count as process_count
from xfront.api import process_index as process_index
from xfront.array import Array as Array
from xfront.array import Shard as Shard
from xfront.autodiff import grad as grad
from xfront.autodiff import hessian as hessian
from xfront.autodiff import jacfwd as jacfwd
from xfront.autodiff import jacobian as jacobian
from xfront.autodiff import jacrev as jacrev
from xfront.autodiff import jvp as jvp
from xfront.autodiff import linear_transpose as linear_transpose
from xfront.autodiff import linearize as linearize
from xfront.autodiff import value_and_grad as value_and_grad
from xfront.autodiff import vjp as vjp
from xfront.callbacks import pure_callback as pure_callback
from xfront.core import errors as errors
from xfront.core.config import config as config
from xfront.core.dtypes import float0 as float0
from xfront.custom_derivatives import checkpoint as checkpoint
from xfront.custom_derivatives import checkpoint_policies as checkpoint_policies
from xfront.custom_derivatives import custom_gradient as custom_gradient
from xfront.custom_derivatives import custom_jvp as custom_jvp
from xfront.custom_derivatives import custom_vjp as custom_vjp
from xfront.custom_derivatives import remat as remat
from xfront.sharding import NamedSharding as NamedSharding
from xfront.sharding import PartitionSpec as P  # noqa: F401  (JAX exports it as jax.P)
from xfront.sharding import make_mesh as make_mesh
from xfront.spmd import pmap as pmap
from xfront.spmd import shard_map as shard_map
from xfront.toplevel import Device as Device
from xfront.toplevel import check_tracer_leaks as check_tracer_leaks
from xfront.toplevel import checking_leaks as checking_leaks
from xfront.toplevel import closure_convert as closure_convert
from xfront.toplevel import copy_to_host_async as copy_to_host_async
from xfront.toplevel import debug_infs as debug_infs
from xfront.toplevel import debug_nans as debug_nans
from xfront.toplevel import default_device as default_device
from xfront.toplevel import default_matmul_precision as default_matmul_precision
from xfront.toplevel import disable_jit as disable_jit
from xfront.toplevel import effects_barrier as effects_barrier
from xfront.toplevel import enable_x64 as enable_x64
from xfront.toplevel import ensure_compile_time_eval as ensure_compile_time_eval
from xfront.toplevel import host_count as host_count
from xfront.toplevel import host_id as host_id
from xfront.toplevel import host_ids as host_ids
from xfront.toplevel import live_arrays as live_arrays
from xfront.toplevel import log_compiles as log_compiles
from xfront.toplevel import make_jaxpr as make_jaxpr
from xfront.toplevel import named_call as named_call
from xfront.toplevel import named_scope as named_scope
from xfront.toplevel import numpy_dtype_promotion as numpy_dtype_promotion
from xfront.toplevel import numpy_rank_promotion as numpy_rank_promotion
from xfront.toplevel import print_environment_info as print_environment_info
from xfront.toplevel import process_indices as process_indices
from xfront.toplevel import transfer_guard as transfer_guard
from xfront.toplevel import transfer_guard_device_to_device as transfer_guard_device_to_device
from xfront.toplevel import transfer_guard_device_to_host as transfer_guard_device_to_host
from xfront.toplevel import transfer_guard_host_to_device as transfer_guard_host_to_device
from xfront.toplevel import typeof as typeof
from xfront.vectorize import vmap as vmap

__version__ = "0.1.0"
