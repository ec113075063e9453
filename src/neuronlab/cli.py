"""The ``neuronlab`` command line: a thin layer over the library."""

from __future__ import annotations

import argparse
import shlex
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
                   help=f"weight initializer: 'auto' (the gain of the activation that "
                        f"follows each layer) or one of: {', '.join(init.names())}")
    p.add_argument("--optimizer", default="adam", metavar="NAME",
                   help=f"one of: {', '.join(optim.names())}")
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate (default: 1e-3)")
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--threads", type=_threads, default="auto", metavar="N",
                   help="BLAS threads for training: a number, or auto (default: one "
                        "thread for small networks, else one per core; 1 on a busy "
                        "machine)")


def _threads(text: str) -> int | str:
    if text == "auto":
        return text
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer or auto, got {text!r}")
    return n


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
                  validation_split=0.1, verbose=not args.quiet, threads=args.threads)
    test_acc = accuracy(model.predict(dataset.X_test), np.eye(dataset.n_classes)[dataset.y_test])
    console.print(f"stopped: {history.stop_reason} after {len(history)} epochs")
    console.print(f"[bold]test accuracy: {test_acc:.2%}[/]")
    diagnostics.print_layer_table(model, dataset.X_test, dataset.y_test, console=console)
    if getattr(args, "out", None):
        io.save(model, args.out, metadata={"data": args.data, "history": history.epochs})
        console.print(f"saved model to {args.out}")
    return 0


def _diagnose_args(p: argparse.ArgumentParser) -> None:
    from neuronlab import data

    p.add_argument("model", help="a model saved by 'neuronlab train --out' (.safetensors)")
    p.add_argument("--data", required=True, choices=list(data.DATASETS),
                   help="dataset whose test split to run the model on")
    p.add_argument("--samples", type=int, metavar="N",
                   help="use the first N test samples (default: all)")
    p.add_argument("--seed", type=int, default=0,
                   help="seed of the train/test split (default: 0, as 'train' uses)")


def cmd_diagnose(args: argparse.Namespace) -> int:
    from rich.console import Console

    from neuronlab import data, diagnostics, io

    try:
        model = io.load(args.model)
    except OSError as exc:
        raise ValueError(f"cannot read model file {args.model!r}: "
                         f"{exc.strerror or exc}") from None
    dataset = data.load(args.data, seed=args.seed)
    if dataset.n_features != model.n_inputs:
        raise ValueError(f"the model expects {model.n_inputs} features but dataset "
                         f"{args.data!r} has {dataset.n_features}; pass the --data it was "
                         f"trained on")
    if args.samples is not None and args.samples < 1:
        raise ValueError(f"--samples must be a positive integer, got {args.samples}")
    X, y = dataset.X_test[:args.samples], dataset.y_test[:args.samples]
    console = Console()
    console.print(f"[bold]{args.model}[/] on {len(X)} test samples of {args.data}")
    diagnostics.print_layer_table(model, X, y, console=console)
    return 0


def _sweep_args(p: argparse.ArgumentParser) -> None:
    from neuronlab import sweep

    p.add_argument("config", nargs="?", help="sweep file (.toml; .yaml with PyYAML) with "
                   "[grid], [fixed] and [sample] sections; options below override it")
    for setting in sweep.SETTINGS.values():
        p.add_argument(setting.flag, dest=setting.name, metavar="V[,V...]",
                       help=setting.describe() + " (several values make an axis)")
    p.add_argument("--sample", type=int, metavar="N", help="run N cells drawn at random "
                   "(seeded by --sample-seed) from the grid")
    p.add_argument("--sample-seed", type=int, metavar="S")
    p.add_argument("--out", default="sweep-results", help="folder of the results table; "
                   "cells already in it are skipped (default: sweep-results)")
    p.add_argument("--jobs", type=int, default=-1,
                   help="parallel local processes (default: -1, every core)")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help=f"run on this Dask scheduler (default: ${sweep.SCHEDULER_ENV} if set; "
                        "'local' forces local cores)")
    p.add_argument("--max-cells", type=int, metavar="N",
                   help="run at most N unfinished cells, then stop (resume later)")
    p.add_argument("--top", type=int, default=10, help="best configurations to print")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def cmd_sweep(args: argparse.Namespace) -> int:
    import os

    from rich.console import Console

    from neuronlab import sweep

    spec = sweep.from_command_line(args.config, {k: getattr(args, k) for k in sweep.SETTINGS},
                                   sample=args.sample, sample_seed=args.sample_seed)
    scheduler = args.scheduler or os.environ.get(sweep.SCHEDULER_ENV) or None
    console = Console()
    console.print(f"sweep of {len(spec)} cells into {args.out}"
                  + (f" on {scheduler}" if scheduler not in (None, "local") else ""))
    try:
        rows = sweep.run(spec, args.out, jobs=args.jobs,
                         scheduler=None if scheduler == "local" else scheduler,
                         progress=not args.quiet, max_cells=args.max_cells)
    except KeyboardInterrupt:
        console.print("interrupted: the finished cells are in the table; run the same "
                      "command again to resume")
        return 130
    sweep.print_summary(rows, top=args.top, console=console)
    console.print(f"results: {os.path.join(args.out, 'results.csv')}")
    return 0


def _scheduler(option: str | None, variable: str) -> str | None:
    """The Dask scheduler: the option, else the environment variable; 'local': none."""
    import os

    scheduler = option or os.environ.get(variable) or None
    return None if scheduler == "local" else scheduler


def _study_args(p: argparse.ArgumentParser) -> None:
    from neuronlab.parallel import SCHEDULER_ENV
    from neuronlab.report import FORMATS
    from neuronlab.studies._runner import MODULES

    p.add_argument("--only", metavar="NAMES",
                   help=f"comma-separated studies to run (default: all): {', '.join(MODULES)}; "
                        f"'classics' selects the six classic results")
    p.add_argument("--out", default="study-report",
                   help="folder for the report, results.json and tables/ "
                        "(default: study-report)")
    p.add_argument("--jobs", type=int, default=-1,
                   help="parallel processes (default: -1, every core); the results do not "
                        "depend on it")
    p.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                   help=f"run on this Dask scheduler, with the same results (default: "
                        f"${SCHEDULER_ENV} if set; 'local' forces local cores)")
    p.add_argument("--seed", type=int, default=0,
                   help="every run's seed is derived from it and the run's identity "
                        "(default: 0)")
    p.add_argument("--quick", action="store_true",
                   help="small sizes: the whole study in under a minute (CI)")
    p.add_argument("--format", default="html", choices=FORMATS,
                   help="html: one self-contained file; md: Markdown with PNG figures "
                        "(default: html)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def cmd_study(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from neuronlab import report, studies
    from neuronlab.parallel import SCHEDULER_ENV
    from neuronlab.progress import Bars

    console = Console()
    scheduler = _scheduler(args.scheduler, SCHEDULER_ENV)
    selected = [s.name for s in studies.select(args.only)]  # unknown names fail here
    command = " ".join(["neuronlab", "study"]
                       + (["--only", ",".join(selected)] if args.only else [])
                       + ["--seed", str(args.seed)] + (["--quick"] if args.quick else [])
                       + (["--format", args.format] if args.format != "html" else []))
    start = time.perf_counter()
    with Bars(enabled=not args.quiet, console=console) as bars:
        try:
            results = studies.run(selected, quick=args.quick, seed=args.seed, jobs=args.jobs,
                                  scheduler=scheduler, progress=bars.progress,
                                  on_plan=bars.plan)
        except KeyboardInterrupt:
            console.print("interrupted: nothing was written")
            return 130
        bars.plan({"report": 1})
        path = report.write(results, args.out, args.format, command=command, jobs=args.jobs)
        bars.progress("report", 1, 1)
    for result in results:
        held = sum(c.holds for c in result.claims)
        claims = f"{held}/{len(result.claims)} claims reproduced" if result.claims else ""
        console.print(f"  {result.name:<20} {claims}")
    console.print(f"finished in {time.perf_counter() - start:.0f} s")
    print(f"report: {path}")
    return 0


def _activation_args(p: argparse.ArgumentParser) -> None:
    from neuronlab.formula import FUNCTIONS
    from neuronlab.report import FORMATS

    p.add_argument("formula", help="a formula in x, such as 'x * tanh(log(1 + exp(x)))' "
                   f"(functions: {', '.join(FUNCTIONS)}), or a registered activation name")
    p.add_argument("--name", help="a display name for the formula")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE",
                   help="value of a parameter of the formula (repeat for several)")
    p.add_argument("--learnable", action="append", default=[], metavar="NAME",
                   help="make a parameter learnable (repeat for several)")
    p.add_argument("--out", default="activation-report",
                   help="folder for the page (report.html), results.json and tables/ "
                        "(default: activation-report)")
    p.add_argument("--full", action="store_true",
                   help="the study's full sizes (50 layers of width 512) instead of 20 of "
                        "128 for the propagation plot")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--jobs", type=int, default=1, help="parallel processes (default: 1)")
    p.add_argument("--format", default="html", choices=FORMATS)


def _parameters(items: Sequence[str]) -> dict[str, float]:
    params: dict[str, float] = {}
    for item in items:
        name, sep, value = item.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep or not name.strip():
            raise ValueError(f"--param must look like NAME=VALUE (such as alpha=0.1), "
                             f"got {item!r}")
    return params


def cmd_activation(args: argparse.Namespace) -> int:
    from rich.console import Console

    from neuronlab import report
    from neuronlab.studies import signal

    params = _parameters(args.param)
    result = signal.activation_card(args.formula, label=args.name, params=params,
                                    learnable=args.learnable, quick=not args.full,
                                    seed=args.seed, jobs=args.jobs)
    console = Console(highlight=False)
    for line in signal.card_lines(result):
        console.print(line, markup=False, soft_wrap=True)
    command = ["neuronlab", "activation", shlex.quote(args.formula)]
    command += ["--name", shlex.quote(args.name)] if args.name else []
    command += [f"--param {shlex.quote(p)}" for p in args.param]
    command += [f"--learnable {shlex.quote(n)}" for n in args.learnable]
    command += (["--full"] if args.full else []) + ["--seed", str(args.seed)]
    path = report.write([result], args.out, args.format, command=" ".join(command))
    print(f"page: {path}")
    return 0


def cmd_playground(args: argparse.Namespace) -> int:
    """Serve the playground page until Ctrl-C."""
    import webbrowser

    from neuronlab.playground import server

    sock = server.bind(args.host, args.port)
    url = server.url_of(sock)
    if args.host not in server.LOOPBACK:
        print(f"warning: listening on {args.host}, not only on this computer: anyone who "
              f"can reach it may use the playground", file=sys.stderr)
    print(f"neuronlab playground: {url}  (Ctrl-C to stop)", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    try:
        server.serve(sock, args.host)
    except KeyboardInterrupt:
        pass
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
    sweep = sub.add_parser("sweep", help="a grid of training runs with diagnostics, in "
                           "parallel (joblib or Dask), resumable, into one table")
    _sweep_args(sweep)
    sweep.set_defaults(func=cmd_sweep)
    diagnose = sub.add_parser("diagnose", help="per-layer gradient-flow diagnostics (dead, "
                              "saturated, vanishing, exploding) of a saved model on a dataset")
    _diagnose_args(diagnose)
    diagnose.set_defaults(func=cmd_diagnose)
    study = sub.add_parser("study", help="run the studies (activations, initialization, "
                           "vanishing/exploding gradients, classic results) and write a report")
    _study_args(study)
    study.set_defaults(func=cmd_study)
    activation = sub.add_parser("activation", help="an activation from a formula: its "
                                "derivative, measured properties, auto gain and chi, and "
                                "a page with its plots and signal propagation")
    _activation_args(activation)
    activation.set_defaults(func=cmd_activation)
    playground = sub.add_parser("playground", help="a local web page where you watch "
                                "backpropagation happen (train, step through one sample)")
    playground.add_argument("--port", type=int, default=0,
                            help="port to listen on (default: a free one)")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default: 127.0.0.1, this computer "
                                 "only)")
    playground.add_argument("--no-browser", action="store_true",
                            help="print the URL without opening a browser")
    playground.set_defaults(func=cmd_playground)
    args = parser.parse_args(argv)
    try:
        return getattr(args, "func", cmd_train)(args)
    except (ValueError, TypeError) as exc:
        print(f"neuronlab: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
