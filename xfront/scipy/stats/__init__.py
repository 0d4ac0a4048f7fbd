"""``xfront.scipy.stats``: probability distributions over xfront arrays
(``jax.scipy.stats``'s counterpart)."""

from xfront.scipy.stats import bernoulli as bernoulli  # noqa: F401
from xfront.scipy.stats import beta as beta  # noqa: F401
from xfront.scipy.stats import cauchy as cauchy  # noqa: F401
from xfront.scipy.stats import expon as expon  # noqa: F401
from xfront.scipy.stats import gamma as gamma  # noqa: F401
from xfront.scipy.stats import laplace as laplace  # noqa: F401
from xfront.scipy.stats import logistic as logistic  # noqa: F401
from xfront.scipy.stats import multivariate_normal as multivariate_normal  # noqa: F401
from xfront.scipy.stats import norm as norm  # noqa: F401
from xfront.scipy.stats import poisson as poisson  # noqa: F401
from xfront.scipy.stats import t as t  # noqa: F401
from xfront.scipy.stats import uniform as uniform  # noqa: F401
