"""``xfront.random``: JAX's random API with the same bits (``jax.random``'s counterpart).

    import xfront.random as xr
    k = xr.key(0)                      # or the legacy raw key xr.PRNGKey(0): uint32[2]
    k, sub = xr.split(k)
    x = xr.normal(sub, (3, 4))         # the numbers jax.random.normal gives for the same key

Keys use the threefry2x32 counter-based generator (JAX's default, with its default
``jax_threefry_partitionable=True`` counter layout), built from ``xfront.lax`` ops: results are
identical eagerly, under ``jit`` and under ``vmap`` (a vmap over split keys gives the same
numbers as a loop). Samplers follow JAX's algorithms, so a JAX program gets the same numbers;
those that need rejection loops (gamma and its relatives, poisson, binomial, multinomial) run
them with ``lax.while_loop`` / ``lax.scan``. See ``README.md`` beside this file for the design.
"""

from xfront.random._loops import ball as ball
from xfront.random._loops import beta as beta
from xfront.random._loops import binomial as binomial
from xfront.random._loops import chisquare as chisquare
from xfront.random._loops import dirichlet as dirichlet
from xfront.random._loops import f as f
from xfront.random._loops import gamma as gamma
from xfront.random._loops import generalized_normal as generalized_normal
from xfront.random._loops import loggamma as loggamma
from xfront.random._loops import multinomial as multinomial
from xfront.random._loops import poisson as poisson
from xfront.random._loops import t as t
from xfront.random._prng import KeyTy as KeyTy
from xfront.random._prng import PRNGImpl as PRNGImpl
from xfront.random._prng import PRNGKey as PRNGKey
from xfront.random._prng import PRNGKeyArray as PRNGKeyArray
from xfront.random._prng import bits as bits
from xfront.random._prng import clone as clone
from xfront.random._prng import default_prng_impl as default_prng_impl
from xfront.random._prng import fold_in as fold_in
from xfront.random._prng import key as key
from xfront.random._prng import key_data as key_data
from xfront.random._prng import key_dtype as key_dtype
from xfront.random._prng import key_impl as key_impl
from xfront.random._prng import split as split
from xfront.random._prng import threefry2x32 as threefry2x32
from xfront.random._prng import threefry_2x32 as threefry_2x32
from xfront.random._prng import wrap_key_data as wrap_key_data
from xfront.random._samplers import bernoulli as bernoulli
from xfront.random._samplers import categorical as categorical
from xfront.random._samplers import cauchy as cauchy
from xfront.random._samplers import choice as choice
from xfront.random._samplers import double_sided_maxwell as double_sided_maxwell
from xfront.random._samplers import exponential as exponential
from xfront.random._samplers import geometric as geometric
from xfront.random._samplers import gumbel as gumbel
from xfront.random._samplers import laplace as laplace
from xfront.random._samplers import logistic as logistic
from xfront.random._samplers import lognormal as lognormal
from xfront.random._samplers import maxwell as maxwell
from xfront.random._samplers import multivariate_normal as multivariate_normal
from xfront.random._samplers import normal as normal
from xfront.random._samplers import orthogonal as orthogonal
from xfront.random._samplers import pareto as pareto
from xfront.random._samplers import permutation as permutation
from xfront.random._samplers import rademacher as rademacher
from xfront.random._samplers import randint as randint
from xfront.random._samplers import rayleigh as rayleigh
from xfront.random._samplers import triangular as triangular
from xfront.random._samplers import truncated_normal as truncated_normal
from xfront.random._samplers import uniform as uniform
from xfront.random._samplers import wald as wald
from xfront.random._samplers import weibull_min as weibull_min
