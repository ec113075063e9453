"""Classic result (e): sigmoid outputs are not zero-centred, so the weight gradients of a
neuron all share one sign, and gradient descent has to zig-zag.

Part 1 — sign sharing.  For one sample, the gradient of a neuron j's incoming weights
is ``dW[:, j] = a_prev * delta_j``: if every input ``a_prev`` is positive (the
outputs of a sigmoid layer) all of them have the sign of ``delta_j``.  Per-sample
gradients from :func:`neuronlab.train.backprop` on a sigmoid and a tanh MLP count, per
layer, the fraction of neurons whose non-zero incoming weight gradients all have one
sign; a mini-batch of 32 sums 32 such gradients and mixes the signs.

Part 2 — the zig-zag.  The lecture's two-weight toy problem: one linear neuron
``y = w1 h1 + w2 h2`` fitted by SGD (one sample per step, MSE) from w = 0 to
w* = (2, -2), once with sigmoid-like inputs h = sigmoid(u) > 0 and once with
zero-centred inputs h = tanh(u).  With positive inputs every step moves both weights
the same way, but w* needs one up and one down.

Run alone: ``python -m neuronlab.studies.zero_centred [--quick]``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from neuronlab import losses, optim
from neuronlab.layers import Dense
from neuronlab.network import MLP
from neuronlab.studies import _train
from neuronlab.studies._core import Claim, Key, Run, Study, StudyResult, Table, mean_std, plan_runs
from neuronlab.train import backprop

NAME = "zero_centred"
TITLE = "Non-zero-centred sigmoid outputs: one-signed gradients and the zig-zag"
LECTURE = (
    "For one training example the gradient of neuron j's incoming weights is "
    "a_prev * delta_j. After a sigmoid layer every a_prev is positive, so all those "
    "partial derivatives have the sign of delta_j: the weights of a neuron can only all "
    "grow or all shrink together. When the best update needs some up and some down, "
    "gradient descent can only get there in a zig-zag of such moves, taking more steps. "
    "tanh outputs are centred on zero, so the signs are mixed."
)

HIDDEN = [32, 32, 32]
DATASET = "digits"
W_STAR = (2.0, -2.0)
LR = 0.2
TOLERANCE = 0.1
SIZES = {False: {"samples": 300, "steps": 1500, "seeds": 5},
         True: {"samples": 100, "steps": 600, "seeds": 3}}
GRID = np.linspace(-1.0, 3.0, 41), np.linspace(-3.0, 1.0, 41)


def _one_signed(G: np.ndarray) -> np.ndarray:
    """Per column: the non-zero entries all share one sign (and there is one)."""
    return ~((G > 0).any(axis=0) & (G < 0).any(axis=0)) & (G != 0).any(axis=0)


def sign_sharing(activation: str, samples: int, seed: int) -> list[dict[str, Any]]:
    """Per Dense layer: the fraction of neurons with one-signed incoming gradients,
    per sample (mean over samples) and for one mini-batch of 32."""
    d = _train.dataset(DATASET)
    model = MLP([d.n_features, *HIDDEN, d.n_classes], activation=activation,
                init="glorot_uniform", dtype=np.float64, seed=seed)
    loss = losses.get("cross_entropy")
    fused = losses.fused(model.output_activation, loss)
    X, Y = d.X_train[:samples], np.eye(d.n_classes)[d.y_train[:samples]]
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    inputs = ["pixels (≥ 0)"] + [f"{activation} outputs"] * len(HIDDEN)
    per_sample = np.zeros(len(dense))
    for i in range(samples):
        backprop(model, loss, X[i:i + 1], Y[i:i + 1], training=False, fused=fused)
        per_sample += [_one_signed(layer.W.grad).mean() for layer in dense]
    backprop(model, loss, X[:32], Y[:32], training=False, fused=fused)
    batch = [_one_signed(layer.W.grad).mean() for layer in dense]
    return [{"layer": k + 1, "input": inputs[k], "per_sample": per_sample[k] / samples,
             "batch_32": batch[k]} for k in range(len(dense))]


def zigzag(inputs: str, steps: int, seed: int) -> dict[str, Any]:
    """SGD path of the two weights; steps until within ``TOLERANCE`` of w*."""
    rng = np.random.default_rng(seed)
    u = rng.standard_normal((200, 2))
    h = 1 / (1 + np.exp(-u)) if inputs == "sigmoid" else np.tanh(u)
    y = h @ np.array(W_STAR)
    model = MLP([2, 1], output=None, init="zeros", dtype=np.float64)
    W = model.layers[0].W  # the bias is left out of the optimizer: two weights only
    loss = losses.get("mse")
    sgd = optim.get("sgd", params=[W], lr=LR)
    path, same_sign = [W.value[:, 0].copy()], []
    for _ in range(steps):
        i = rng.integers(len(h))
        backprop(model, loss, h[i:i + 1], y[i:i + 1, None], training=False)
        g = W.grad[:, 0]
        if np.linalg.norm(W.value[:, 0] - W_STAR) > TOLERANCE:
            same_sign.append(bool(g[0] * g[1] > 0))
        sgd.step()
        path.append(W.value[:, 0].copy())
    P = np.array(path)
    dist = np.linalg.norm(P - np.array(W_STAR), axis=1)
    reached = int(np.argmax(dist < TOLERANCE)) if (dist < TOLERANCE).any() else None
    w1, w2 = np.meshgrid(*GRID)
    residual = h @ np.stack([w1.ravel(), w2.ravel()]) - y[:, None]
    surface = (residual ** 2).mean(axis=0)
    return {"path": P[:(reached or steps) + 1].tolist(), "steps_to_reach": reached,
            "same_sign": float(np.mean(same_sign)) if same_sign else None,
            "input_mean": h.mean(axis=0).tolist(),
            "surface": [{"w1": a, "w2": b, "loss": c}
                        for a, b, c in zip(w1.ravel(), w2.ravel(), surface, strict=True)]}


def plan(quick: bool, seed: int) -> list[Run]:
    sizes = SIZES[quick]
    runs = plan_runs(NAME, seed, sign_sharing,
                     {("signs", act): {"activation": act, "samples": sizes["samples"]}
                      for act in ("sigmoid", "tanh")},
                     seed_key=lambda key: key[:1], cost=lambda key: 0.002 * sizes["samples"])
    runs += plan_runs(NAME, seed, zigzag,
                      {("zigzag", kind, rep): {"inputs": kind, "steps": sizes["steps"]}
                       for kind in ("sigmoid", "tanh") for rep in range(sizes["seeds"])},
                      seed_key=lambda key: (key[0], key[2]), cost=lambda key: 0.05)
    return runs


def assemble(outputs: dict[Key, Any], quick: bool, seed: int) -> StudyResult:
    signs = [{"activation": key[1], **row} for key, rows in outputs.items()
             if key[0] == "signs" for row in rows]
    zig = [{"inputs": key[1], "seed": key[2], "steps_to_reach": out["steps_to_reach"],
            "same_sign_steps": out["same_sign"], "input_mean_1": out["input_mean"][0],
            "input_mean_2": out["input_mean"][1]}
           for key, out in outputs.items() if key[0] == "zigzag"]
    paths = [{"inputs": key[1], "step": i, "w1": w[0], "w2": w[1]}
             for key, out in outputs.items() if key[0] == "zigzag" and key[2] == 0
             for i, w in enumerate(out["path"])]
    surface = [{"inputs": key[1], **row} for key, out in outputs.items()
               if key[0] == "zigzag" and key[2] == 0 for row in out["surface"]]
    summary = []
    for kind in ("sigmoid", "tanh"):
        mine = [r for r in zig if r["inputs"] == kind]
        steps, steps_sd = mean_std([r["steps_to_reach"] for r in mine])
        summary.append({"inputs": kind, "steps_to_reach": steps, "steps_to_reach_std": steps_sd,
                        "same_sign_steps": mean_std([r["same_sign_steps"] for r in mine])[0],
                        "reached": sum(r["steps_to_reach"] is not None for r in mine),
                        "seeds": len(mine)})

    def hidden(act: str, column: str = "per_sample") -> float:
        rows = [r[column] for r in signs if r["activation"] == act and r["layer"] > 1]
        return float(np.mean(rows))

    sig, tanh = hidden("sigmoid"), hidden("tanh")
    zs, zt = summary
    claims = [
        Claim.boolean("After a sigmoid layer ~100% of the neurons have incoming weight gradients of "  # noqa: E501 (transitional)
              "one sign (per sample); after tanh, not.",
              sig > 0.99 and tanh < 0.5,
              f"layers fed by sigmoid: {sig:.1%}; by tanh: {tanh:.1%} (mini-batch of 32: "
              f"{hidden('sigmoid', 'batch_32'):.1%} and {hidden('tanh', 'batch_32'):.1%})"),
        Claim.boolean("With positive inputs SGD zig-zags: every step moves both weights the same "
              "way and reaching w* takes more steps.",
              zs["same_sign_steps"] == 1.0 and zs["steps_to_reach"] > zt["steps_to_reach"],
              f"same-sign steps {zs['same_sign_steps']:.0%} (sigmoid inputs) vs "
              f"{zt['same_sign_steps']:.0%} (tanh inputs); steps to within {TOLERANCE} of "
              f"w*: {zs['steps_to_reach']:.0f} vs {zt['steps_to_reach']:.0f}"),
    ]
    notes = ["The input layer is fed raw pixel intensities, which are also never negative: "
             "its neurons show the same one-signed gradients for both activations. "
             "Standardizing the inputs removes it, as zero-centred activations do inside "
             "the network."]
    formats = {"per_sample": ".1%", "batch_32": ".1%", "same_sign_steps": ".0%",
               "steps_to_reach": ".0f", "steps_to_reach_std": ".0f", "input_mean_1": ".3f",
               "input_mean_2": ".3f"}
    return StudyResult(
        NAME, TITLE, {"quick": quick, "seed": seed, "hidden": HIDDEN, "dataset": DATASET,
                      "w_star": list(W_STAR), "lr": LR, "tolerance": TOLERANCE,
                      **SIZES[quick]},
        [Table("signs", "Neurons whose incoming weight gradients share one sign", signs,
               formats=formats),
         Table("zigzag", "Two-weight toy problem (mean over seeds)", summary, formats=formats),
         Table("zigzag_runs", "Every toy run", zig, shown=False),
         Table("paths", "SGD paths (first seed)", paths, shown=False),
         Table("surface", "Loss surface of the toy problem", surface, shown=False)],
        numbers={"one-signed after sigmoid (per sample)": sig,
                 "one-signed after tanh (per sample)": tanh,
                 "zig-zag steps, sigmoid inputs": zs["steps_to_reach"],
                 "zig-zag steps, tanh inputs": zt["steps_to_reach"]},
        number_formats={"one-signed after sigmoid (per sample)": ".0%",
                        "one-signed after tanh (per sample)": ".0%",
                        "zig-zag steps, sigmoid inputs": ".0f",
                        "zig-zag steps, tanh inputs": ".0f"},
        claims=claims, notes=notes)


STUDY = Study(NAME, TITLE, "classics", LECTURE, plan, assemble, cites=("001",))


run = STUDY.run  # run this study alone: run(quick=False, seed=0, jobs=1)


if __name__ == "__main__":
    from neuronlab.studies._runner import main

    raise SystemExit(main(NAME))
