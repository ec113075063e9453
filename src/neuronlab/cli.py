"""The ``neuronlab`` command line: a thin layer over the library.

Exit codes: 0 done; 1 a failure while working (a file that could not be written at the
end, say); 2 a bad argument, file or location, found before any work starts; 3
training diverged; 130 interrupted (Ctrl-C).  Every string that comes from a file or
the user is printed through ``_terminal`` (control characters shown as escape codes,
Rich markup escaped).
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

import numpy as np

from neuronlab import _paths
from neuronlab._terminal import markup, printable

EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_DIVERGED = 3
EXIT_INTERRUPTED = 130
EXIT_CODES = f"""exit codes:
  0    done
  {EXIT_FAILED}    a failure while working (a file that could not be written at the end)
  {EXIT_USAGE}    a bad argument, file or location, found before any work starts
  {EXIT_DIVERGED}    training diverged
  {EXIT_INTERRUPTED}  interrupted (Ctrl-C)"""


def _model_args(p: argparse.ArgumentParser) -> None:
    from neuronlab import activations, data, init, optim

    p.add_argument("--data", default="digits", choices=list(data.DATASETS),
                   help="bundled or generated dataset (default: digits)")
    p.add_argument("--hidden", default="128,128",
                   help="comma-separated hidden layer widths (default: 128,128)")
    p.add_argument("--activation", default="relu", metavar="NAME",
                   help=f"hidden activation, one of: "
                        f"{', '.join(activations.REGISTRY.standalone_names())}; or a "
                        f"formula in x, such as 'x * tanh(x)'")
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


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 1 to 65535 (0 or "
                                         f"no --port: a free one), got {text!r}")
    return port


def _hidden(text: str) -> list[int]:
    try:
        widths = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        raise ValueError(f"--hidden must be comma-separated integers, got {text!r}") from None
    if any(w < 1 for w in widths):
        raise ValueError(f"--hidden widths must be positive, got {text!r}")
    return widths


def cmd_train(args: argparse.Namespace) -> int:
    from rich.console import Console

    from neuronlab import data, diagnostics, io
    from neuronlab.network import MLP
    from neuronlab.train import accuracy, fit

    out = getattr(args, "out", None)
    if out:
        _paths.output_file(out, "--out")
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
    trained = len(history) > 0  # an epoch finished: the weights kept come from training
    if out and (trained or args.save_untrained):
        io.save(model, out, metadata={"data": args.data, "history": history.epochs,
                                      "stop_reason": history.stop_reason})
        kept = {"interrupted": "the best weights before the interrupt",
                "diverged": "the last finite weights"}.get(history.stop_reason, "the model")
        console.print(f"saved {kept if trained else 'the untrained weights'} to "
                      f"{markup(out)}")
    elif out:
        console.print(f"[bold]not saved[/]: no epoch finished, so the weights are the "
                      f"untrained ones (--save-untrained saves them anyway); {markup(out)} "
                      f"is unchanged")
    if history.stop_reason == "diverged":
        console.print("training diverged: try a smaller --lr")
        return EXIT_DIVERGED
    return EXIT_INTERRUPTED if history.stop_reason == "interrupted" else 0


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

    model = io.load(_paths.input_file(args.model, "model file"))
    dataset = data.load(args.data, seed=args.seed)
    if dataset.n_features != model.n_inputs:
        raise ValueError(f"the model expects {model.n_inputs} features but dataset "
                         f"{args.data!r} has {dataset.n_features}; pass the --data it was "
                         f"trained on")
    if args.samples is not None and args.samples < 1:
        raise ValueError(f"--samples must be a positive integer, got {args.samples}")
    X, y = dataset.X_test[:args.samples], dataset.y_test[:args.samples]
    console = Console()
    console.print(f"[bold]{markup(args.model)}[/] on {len(X)} test samples of {args.data}")
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
                   "cells already in it are skipped; one sweep at a time may run into it "
                   "(default: sweep-results)")
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

    if args.config is not None:
        _paths.input_file(args.config, "sweep file")
    spec = sweep.from_command_line(args.config, {k: getattr(args, k) for k in sweep.SETTINGS},
                                   sample=args.sample, sample_seed=args.sample_seed)
    scheduler = args.scheduler or os.environ.get(sweep.SCHEDULER_ENV) or None
    console = Console()
    console.print(f"sweep of {len(spec)} cells into {markup(args.out)}"
                  + (f" on {markup(scheduler)}" if scheduler not in (None, "local") else ""))
    try:
        rows = sweep.run(spec, args.out, jobs=args.jobs,
                         scheduler=None if scheduler == "local" else scheduler,
                         progress=not args.quiet, max_cells=args.max_cells)
    except KeyboardInterrupt:
        console.print("interrupted: the finished cells are in the table; run the same "
                      "command again to resume")
        return EXIT_INTERRUPTED
    sweep.print_summary(rows, top=args.top, console=console)
    console.print(f"results: {markup(os.path.join(args.out, 'results.csv'))}")
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
                   help="html: one self-contained file; md: Markdown with SVG figures "
                        "and $$ TeX formulas (default: html)")
    p.add_argument("--quiet", action="store_true", help="no progress bars")


def cmd_study(args: argparse.Namespace) -> int:
    import time

    from rich.console import Console

    from neuronlab import report, studies
    from neuronlab.parallel import SCHEDULER_ENV
    from neuronlab.progress import Bars

    _paths.output_dir(args.out, "--out")
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
            return EXIT_INTERRUPTED
        bars.plan({"report": 1})
        path = report.write(results, args.out, args.format, command=command, jobs=args.jobs)
        bars.progress("report", 1, 1)
    for result in results:
        held = sum(c.holds for c in result.claims)
        claims = f"{held}/{len(result.claims)} claims reproduced" if result.claims else ""
        console.print(f"  {result.name:<20} {claims}")
        for claim in result.claims:  # one claim, two lines: what, then the measurement
            console.print(f"    {claim.verdict:<15} {claim.text}", markup=False,
                          highlight=False, soft_wrap=True)
            console.print(f"    {'':<15} {report.claim_measure(claim.to_dict())}",
                          markup=False, highlight=False, soft_wrap=True)
    for line in report.tally(results):
        console.print(line, markup=False, highlight=False, soft_wrap=True)
    console.print(f"finished in {time.perf_counter() - start:.0f} s")
    print(f"report: {printable(path)}")
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
    _paths.output_dir(args.out, "--out")
    result = signal.activation_card(args.formula, label=args.name, params=params,
                                    learnable=args.learnable, quick=not args.full,
                                    seed=args.seed, jobs=args.jobs)
    console = Console(highlight=False)
    for line in signal.card_lines(result):
        console.print(printable(line), markup=False, soft_wrap=True)
    command = ["neuronlab", "activation", shlex.quote(args.formula)]
    command += ["--name", shlex.quote(args.name)] if args.name else []
    command += [f"--param {shlex.quote(p)}" for p in args.param]
    command += [f"--learnable {shlex.quote(n)}" for n in args.learnable]
    command += (["--full"] if args.full else []) + ["--seed", str(args.seed)]
    path = report.write([result], args.out, args.format, command=" ".join(command))
    print(f"page: {printable(path)}")
    return 0


def cmd_playground(args: argparse.Namespace) -> int:
    """Serve the playground page until Ctrl-C."""
    import webbrowser

    from neuronlab.playground import server

    try:
        sock = server.bind(args.host, args.port)
    except OSError as exc:  # in use, or an address this computer does not have
        hint = ("try another --port, or leave --port out for a free one" if args.port
                else "check --host, or leave it out to listen on 127.0.0.1")
        raise ValueError(f"{exc}; {hint}") from None
    url = server.url_of(sock)
    if args.host not in server.LOOPBACK:
        print(f"warning: listening on {printable(args.host)}, not only on this computer: "
              f"anyone who can reach it may use the playground", file=sys.stderr)
    print(f"neuronlab playground: {url}  (Ctrl-C to stop)", flush=True)
    if not args.no_browser:
        webbrowser.open(url)
    try:
        server.serve(sock, args.host)
    except KeyboardInterrupt:
        pass
    return 0


#: Each subcommand's one-line help, its description (``--help``) and examples (epilog).
COMMANDS = {
    "demo": ("train an MLP on the bundled digits and summarise it",
             "Train an MLP (default 64-128-128-10, ReLU, He init, Adam) on the bundled "
             "digits, then print its test accuracy and a per-layer diagnostics table.",
             ["neuronlab demo", "neuronlab demo --activation tanh --init glorot_uniform"]),
    "train": ("train an MLP on a dataset and save it",
              "Train an MLP on a bundled or generated dataset with the chosen activation, "
              "initializer and optimizer; print the test accuracy and per-layer diagnostics, "
              "and save the model (safetensors) with --out.",
              ["neuronlab train --data iris --hidden 16,16 --epochs 50",
               "neuronlab train --data digits --activation selu --init lecun_normal "
               "--out model.safetensors"]),
    "sweep": ("a grid of training runs with diagnostics, in parallel (joblib or Dask), "
              "resumable, into one table",
              "Run every combination of the settings given (several comma-separated values "
              "make an axis), in parallel, into one results table; cells already in the "
              "table are skipped, so an interrupted sweep resumes.",
              ["neuronlab sweep --activation relu,tanh --lr 0.001,0.01 --epochs 10",
               "neuronlab sweep grid.toml --out sweep-results --jobs 2"]),
    "diagnose": ("per-layer gradient-flow diagnostics (dead, saturated, vanishing, "
                 "exploding) of a saved model on a dataset",
                 "Load a model saved by 'neuronlab train --out', run it on a dataset's test "
                 "split and print, per layer, the activation and gradient statistics and a "
                 "verdict (healthy, dead, saturated, vanishing, exploding) with its remedy.",
                 ["neuronlab diagnose model.safetensors --data digits"]),
    "study": ("run the studies (the lectures' claims: backprop, losses, gradient descent, "
              "activations, initialization, classic results) and write a report",
              "Run the studies — each tests claims of the lecture notes (000-004) on real "
              "networks, over seeds — and write study-report/report.html (one file that "
              "travels: figures, formulas and small tables inside), results.json and one CSV "
              "per table. Ends with the tally of verdicts and names every claim that was "
              "not reproduced or was inconclusive.",
              ["neuronlab study", "neuronlab study --quick",
               "neuronlab study --only backprop,losses --seed 1 --out my-report"]),
    "activation": ("an activation from a formula: its derivative, measured properties, "
                   "auto gain and chi, and a page with its plots and signal propagation",
                   "Turn a formula in x (or a registered activation's name) into an "
                   "activation: its symbolic derivative, measured properties, the gain that "
                   "keeps the signal's variance, chi at the fixed point, and a page with "
                   "its plots and the signal's propagation through a deep network.",
                   ["neuronlab activation 'x * tanh(log(1 + exp(x)))' --name mish",
                    "neuronlab activation 'max(alpha * x, x)' --param alpha=0.1"]),
    "playground": ("a local web page where you watch backpropagation happen (train, step "
                   "through one sample)",
                   "Start a local web server (this computer only, unless --host says "
                   "otherwise) and open its page: pick a data set, layers, an activation per "
                   "layer, an initializer and an optimizer, press play and watch the "
                   "decision surface, the per-neuron delta and the per-layer gradients; "
                   "step through one sample to see z, a, delta, e and dJ/dW.",
                   ["neuronlab playground", "neuronlab playground --port 8000 --no-browser"]),
}


def _subparser(sub: argparse._SubParsersAction, name: str) -> argparse.ArgumentParser:
    """A subcommand with its help, description and examples (from ``COMMANDS``)."""
    summary, description, examples = COMMANDS[name]
    epilog = "examples:\n" + "\n".join(f"  {e}" for e in examples)
    return sub.add_parser(name, help=summary, description=description, epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def build_parser() -> argparse.ArgumentParser:
    """The ``neuronlab`` parser: one subcommand per task (the docs' CLI page is its help)."""
    import neuronlab

    parser = argparse.ArgumentParser(
        prog="neuronlab",
        description="Build, train and understand neural networks from first principles.",
        epilog="examples:\n  neuronlab demo\n  neuronlab study --quick\n"
               "  neuronlab COMMAND --help\n\n" + EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version",
                        version=f"neuronlab {neuronlab.__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = _subparser(sub, "demo")
    _model_args(demo)
    train = _subparser(sub, "train")
    _model_args(train)
    train.add_argument("--out", help="save the trained model here (.safetensors); its "
                       "folder is checked before training")
    train.add_argument("--save-untrained", action="store_true",
                       help="save the model even when no epoch finished (interrupted or "
                            "diverged in the first epoch); by default it is not saved")
    sweep = _subparser(sub, "sweep")
    _sweep_args(sweep)
    sweep.set_defaults(func=cmd_sweep)
    diagnose = _subparser(sub, "diagnose")
    _diagnose_args(diagnose)
    diagnose.set_defaults(func=cmd_diagnose)
    study = _subparser(sub, "study")
    _study_args(study)
    study.set_defaults(func=cmd_study)
    activation = _subparser(sub, "activation")
    _activation_args(activation)
    activation.set_defaults(func=cmd_activation)
    playground = _subparser(sub, "playground")
    playground.add_argument("--port", type=_port, default=0,
                            help="port to listen on, 1 to 65535 (default: a free one)")
    playground.add_argument("--host", default="127.0.0.1",
                            help="address to listen on (default: 127.0.0.1, this computer "
                                 "only)")
    playground.add_argument("--no-browser", action="store_true",
                            help="print the URL without opening a browser")
    playground.set_defaults(func=cmd_playground)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return getattr(args, "func", cmd_train)(args)
    except (ValueError, TypeError) as exc:
        _error(exc)
        return EXIT_USAGE
    except OSError as exc:  # a location checked before the work failed during it
        where = f"{exc.filename}: " if exc.filename is not None else ""
        _error(f"{where}{exc.strerror or exc}")
        return EXIT_FAILED
    except KeyboardInterrupt:
        _error("interrupted")
        return EXIT_INTERRUPTED


def _error(message: object) -> None:
    print(f"neuronlab: error: {printable(message, multiline=True)}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
