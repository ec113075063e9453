"""neuronlab: build, train and understand neural networks from first principles."""

from neuronlab.layers import Activation, Dense, Dropout, Maxout, PReLU
from neuronlab.network import MLP, Sequential
from neuronlab.parameter import Parameter

__all__ = ["MLP", "Activation", "Dense", "Dropout", "Maxout", "PReLU", "Parameter", "Sequential"]
__version__ = "0.1.0"
