"""neuronlab: build, train and understand neural networks from first principles.

The public API is small: the catalogues (``activations``, ``losses``, ``init``,
``optim``), the layers and networks, ``fit``, ``save``/``load`` and ``gradcheck``.

>>> import neuronlab as nl
>>> net = nl.MLP([4, 8, 3], activation="tanh", seed=0)
>>> net.n_outputs
3
"""

from neuronlab import activations, data, gradcheck, init, losses, meanfield, optim
from neuronlab.formula import from_formula  # also lets activations.get read formulas
from neuronlab.io import load, save
from neuronlab.layers import Activation, Dense, Dropout, Maxout, PReLU
from neuronlab.network import MLP, Sequential
from neuronlab.parameter import Parameter
from neuronlab.train import Callback, History, fit

__all__ = [
    "MLP", "Activation", "Callback", "Dense", "Dropout", "History", "Maxout", "PReLU",
    "Parameter", "Sequential", "activations", "data", "fit", "from_formula", "gradcheck",
    "init", "load", "losses", "meanfield", "optim", "save",
]
__version__ = "0.1.0"
