"""PyTorch counterparts of neuronlab's activations (test-only reference).

Every registered activation has an entry: a function ``(torch_tensor, activation) ->
torch_tensor`` using the activation's own hyper-parameters, or None where PyTorch has
no such function.  ``tests/test_activations.py`` asserts the keys equal the registry.
"""
