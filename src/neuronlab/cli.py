"""The ``neuronlab`` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

import numpy as np


def _model_args(p: argparse.ArgumentParser) -> None:
    from neuronlab import activations, data, init, optim

    p.add_argument("--data", default="digits", choices=list(data.DATASETS),
                   help="bundled or generated dataset (default: digits)")
    p.add_argument("--hidden", default="128,128",
                   help="comma-separated hidden layer widths (default: 128,128)")
    p.add_argument("--activation", default="relu", metavar="NAME",
                   help=f"hidden activation, one of: {', '.join(activations.names())}")
    p.add_argument("--init", default="he_normal", metavar="NAME",
                   help=f"weight initializer, one of: {', '.join(init.names())}")
    p.add_argument("--optimizer", default="adam", metavar="NAME",
                   help=f"one of: {', '.join(optim.names())}")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: 1e-3)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _hidden(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise SystemExit(f"--hidden must be comma-separated integers, got {text!r}") from None
    if any(w < 1 for w in widths):
        raise SystemExit(f"--hidden widths must be positive, got {text!r}")
    return widths


def cmd_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from neuronlab import data, diagnostics, io
    from neuronlab.network import MLP
    from neuronlab.train import accuracy, fit

    console = Console()
    dataset = data.load(args.data, seed=args.seed)
    model = MLP([dataset.n_features, *_hidden(args.hidden), dataset.n_classes],
                activation=args.activation, output="softmax", init=args.init, seed=args.seed)
    console.print(f"[bold]{args.data}[/]: {len(dataset.X_train)} training and "
                  f"{len(dataset.X_test)} test samples, {dataset.n_classes} classes")
    history = fit(model, dataset.X_train, dataset.y_train, optimizer=args.optimizer, lr=args.lr,
                  epochs=args.epochs, batch_size=args.batch_size, seed=args.seed,
                  validation_split=0.1, verbose=not args.quiet)
    test_acc = accuracy(model.predict(dataset.X_test), np.eye(dataset.n_classes)[dataset.y_test])
    console.print(f"stopped: {history.stop_reason} after {len(history)} epochs")
    console.print(f"[bold]test accuracy: {test_acc:.2%}[/]")
    diagnostics.print_layer_table(model, dataset.X_test, console)
    if getattr(args, "out", None):
        io.save(model, args.out, metadata={"data": args.data, "history": history.epochs})
        console.print(f"saved model to {args.out}")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="neuronlab",
        description="Build, train and understand neural networks from first principles.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="train an MLP on the bundled digits and summarise it")
    _model_args(demo)
    train = sub.add_parser("train", help="train an MLP on a dataset and save it")
    _model_args(train)
    train.add_argument("--out", help="save the trained model here (.safetensors)")
    args = parser.parse_args(argv)
    try:
        return cmd_train(args)
    except (ValueError, TypeError) as exc:
        print(f"neuronlab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
