"""The studies: experiments that show, on real networks, what the lectures explain.

============================  ===========================================================
study                         what it shows
============================  ===========================================================
``atlas``                     every registered activation and derivative; properties
                              measured beside the declared ones; cost per element
``depth``                     per-layer std of activations and deltas at initialization,
                              8 activations x 6 initializers, 50 layers of width 256
``training``                  each activation with its recommended initializer, 3 and 15
                              hidden layers, on digits and two spirals, over seeds
``he_vs_glorot``              a 30-layer ReLU net trains with He, stalls with Glorot
``sigmoid_saturation``        the old default init: top sigmoid layer saturates, lower
                              layers get vanishing gradients; tanh/ReLU train
``self_normalising``          SELU + LeCun normal keeps mean 0, variance 1 for 60 layers
``dying_relu``                dead ReLUs after training rise with the learning rate
``zero_centred``              after a sigmoid layer every neuron's incoming gradients
                              share one sign; the zig-zag path on a two-weight problem
``linear_collapse``           identity activations collapse to one linear map; two
                              ReLUs make a step
``backprop``                  lecture 002's network by hand, engine and finite
                              differences; backprop's cost against finite differences
``losses``                    MSE's slowdown on a saturated sigmoid; softmax Jacobian
``gradient_descent``          learning rate, batch size vs gradient noise, overfitting
``init_details``              the initializers' constants; σ = 1/fan_avg (a slip)
``dynamics``                  per-layer histograms, update ratios, dead/saturated units
``worked_numbers``            the lecture notes' worked numbers, recomputed
============================  ===========================================================

The six lecture studies (the last six) cite the lecture notes they test by number
(``Study.cites``, see ``LECTURE_NOTES``) and carry the lectures' formulas as MathML.

The six classic reproductions are also selected together as ``classics``.  Every
study is built from the public API only (networks, ``train.fit``,
``diagnostics.layer_statistics`` and ``Monitor``) and returns a
:class:`StudyResult` of tidy tables; :mod:`neuronlab.report` turns them into figures.

Examples
--------
>>> from neuronlab import studies
>>> result = studies.run(["self_normalising"], quick=True)[0]
>>> 0.8 <= result.numbers["SELU std at layer 50"] <= 1.2
True
"""

from neuronlab.studies._core import (
    Claim,
    Run,
    Study,
    StudyResult,
    Table,
    derive_seed,
    execute,
    run_studies,
)
from neuronlab.studies._runner import groups, names, registry, run, select

__all__ = ["Claim", "Run", "Study", "StudyResult", "Table", "derive_seed", "execute",
           "groups", "names", "registry", "run", "run_studies", "select"]
