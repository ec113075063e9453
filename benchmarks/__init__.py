"""neuronlab's benchmark suite: side-by-side timings against PyTorch CPU and scikit-learn.

Run ``python -m benchmarks`` (``--quick`` for a smoke run, ``--only SECTION`` for one
section, ``--out FILE`` for the JSON).  Every section is measured in one process, with
the contenders interleaved repeat by repeat on the same synthetic data, so that a
machine getting slower or faster during the run affects all of them alike.

Sections (see ``benchmarks/README.md`` for the method behind each number):

training      samples/s of one epoch, neuronlab vs PyTorch eager vs scikit-learn
floor         the same epoch's matrix products alone; neuronlab's time as a multiple
inference     samples/s of predict
activations   forward + backward ns per element of every registered activation
diagnostics   training with ``diagnostics.Monitor`` on vs off
scaling       time per epoch vs width, depth and batch size, with fitted exponents
memory        peak memory of a training run, each framework in its own subprocess
allocations   tracemalloc per training step in steady state; arrays made anew each step
breakdown     where a training step's time goes (instrumented run, cProfile, threads)
playground    frames per second the playground sends (6 x 8 network, 50 x 50 maps)
io            save and load time and peak memory, neuronlab.io vs the safetensors library

Timings are never asserted anywhere: ``tests/test_benchmarks.py`` only checks that
``--quick`` runs and writes every section.
"""

SECTIONS = ("training", "floor", "inference", "activations", "diagnostics", "scaling",
            "memory", "allocations", "breakdown", "playground", "io")
