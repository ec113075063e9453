"""``neuronlab playground``: a local web page where you watch backpropagation happen.

Pick a 2-D data set, input features, hidden layers (each with its own activation, a
registered one or a formula), initializer, optimizer, learning rate, batch size, L2,
dropout and seed; press play and watch the decision surface form, every unit's output
map, the weights and their gradients on the links, each unit's delta weakening or
growing with depth, dead and saturated units with the diagnostics' verdict and
remedy, each layer's activation and derivative with its pre-activations drawn on
it, and the loss and gradient-norm curves.  Step through one sample to see the
lecture's numbers (z, a, e, delta, dJ/dW) on every unit and link.

The engine does the computing (:mod:`neuronlab.network`, :mod:`neuronlab.train`,
:mod:`neuronlab.diagnostics`); this package only runs it in a thread per page
(:mod:`~neuronlab.playground.session`), checks what the page sends
(:mod:`~neuronlab.playground.schema`), makes the 2-D data
(:mod:`~neuronlab.playground.datasets`) and serves the page
(:mod:`~neuronlab.playground.server`, Starlette + uvicorn; plain HTML, CSS and
JavaScript in ``static/``, no build step, nothing fetched from the internet).
Only ``neuronlab.cli`` imports it.  The package itself imports nothing: its modules
are used by their names (``neuronlab.playground.server.running``), so that none of
them depends on the package that holds them.
"""
