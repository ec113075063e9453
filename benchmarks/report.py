"""Rich tables of the suite's results, and the issue's targets checked against them.

Ratios read "neuronlab / peer": ``×torch`` on a throughput is neuronlab's samples/s
over PyTorch's (above 1: neuronlab is faster); ``time ×torch`` on a cost is
neuronlab's time over PyTorch's (below 1: neuronlab is cheaper).
"""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

WIDE = ("wide_b32", "wide_b128", "wide_b512")


def _ok(section: Any) -> bool:
    return isinstance(section, dict) and "skipped" not in section and \
        "unavailable" not in section


def targets(results: dict[str, Any]) -> list[dict[str, Any]]:
    """The issue's targets, each with the measured value and whether it is met."""
    rows: list[dict[str, Any]] = []

    def add(target: str, value: float | None, met: bool | None) -> None:
        rows.append({"target": target, "value": value, "met": met})

    floor = results.get("floor")
    if _ok(floor):
        for name, row in floor.items():
            limit = 1.15 if name in WIDE else 1.3 if name.startswith("deep") else None
            if limit is not None:
                add(f"{name}: step time <= {limit} x matrix-product floor", row["multiple"],
                    row["multiple"] <= limit)
    training = results.get("training")
    if _ok(training):
        for name, row in training.items():
            if "speed_vs_torch" in row:
                need = 1.5 if name == "digits_b32" else 1.0
                add(f"{name}: >= {need} x PyTorch eager throughput", row["speed_vs_torch"],
                    row["speed_vs_torch"] >= need)
            if "speed_vs_sklearn" in row:
                add(f"{name}: >= 1.3 x scikit-learn throughput", row["speed_vs_sklearn"],
                    row["speed_vs_sklearn"] >= 1.3)
    memory = results.get("memory")
    if _ok(memory):
        for name, row in memory.items():
            if "train_peak_vs_torch" in row:
                add(f"{name}: training peak memory <= PyTorch's (ratio)",
                    row["train_peak_vs_torch"], row["train_peak_vs_torch"] <= 1.0)
    diagnostics = results.get("diagnostics")
    if _ok(diagnostics):
        for name, row in diagnostics.items():
            add(f"{name}: Monitor on costs <= 15% extra time", row["overhead"],
                row["overhead"] <= 0.15)
            if "per_step" in row:  # the same, measured per step (far less noise)
                add(f"{name}: Monitor on costs <= 15% extra time (per-step measurement)",
                    row["per_step"]["overhead"], row["per_step"]["overhead"] <= 0.15)
    allocations = results.get("allocations")
    if _ok(allocations):
        for name, row in allocations.items():
            add(f"{name}: no array of known size allocated per step (fresh arrays)",
                row["fresh_arrays_per_step"], row["fresh_arrays_per_step"] == 0)
    playground = results.get("playground")
    if _ok(playground):
        fps = playground["end_to_end"]["fps"]
        add("playground: >= 30 frames/s of state (6 x 8 network, 50 x 50 maps)", fps,
            fps >= 30)
    return rows


# ----------------------------------------------------------------------------- printing


def _rate(stats: dict[str, Any]) -> str:
    if "unavailable" in stats:
        return "n/a"
    return f"{stats['samples_per_s']:,.0f} ±{100 * stats['spread']:.0f}%"


def _x(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}x"


def _training(results: dict[str, Any], console: Console) -> None:
    table = Table(title="training throughput: samples/s of one epoch (median ±half-range)")
    for col in ("config", "architecture", "batch", "neuronlab", "torch", "sklearn",
                "×torch", "×sklearn", "parity"):
        table.add_column(col, justify="left" if col in ("config", "architecture") else "right")
    for name, row in results.items():
        cfg = row["config"]
        parity = row.get("parity_vs_torch")
        table.add_row(name, cfg["architecture"], str(cfg["batch_size"]), _rate(row["neuronlab"]),
                      _rate(row["torch"]), _rate(row["sklearn"]), _x(row.get("speed_vs_torch")),
                      _x(row.get("speed_vs_sklearn")),
                      "n/a" if parity is None else f"{parity:.0e}")
    console.print(table)
    console.print("[dim]×peer = neuronlab samples/s / peer samples/s; parity = max |W_nl - "
                  "W_torch| / max |W| after the same warm-up epoch[/dim]")


def _floor(results: dict[str, Any], console: Console) -> None:
    table = Table(title="the floor: the epoch's matrix products alone (NumPy, same dtype "
                  "and threads)")
    for col in ("config", "floor s", "floor ms/step", "neuronlab s", "multiple",
                "loop only", "plain NumPy s", "plain / floor", "neuronlab / plain"):
        table.add_column(col, justify="left" if col == "config" else "right")
    for name, row in results.items():
        table.add_row(name, f"{row['floor']['median']:.3f}", f"{row['floor']['step_ms']:.3f}",
                      f"{row['neuronlab']['median']:.3f}", _x(row["multiple"]),
                      _x(row["multiple_loop"]), *_plain(row))
    console.print(table)


def _plain(row: dict[str, Any]) -> list[str]:
    """The plain-NumPy columns of a floor row ("-" in files from before they existed)."""
    if "plain_numpy" not in row:
        return ["-", "-", "-"]
    return [f"{row['plain_numpy']['median']:.3f}", _x(row["plain_multiple"]),
            _x(row["multiple_of_plain"])]


def _inference(results: dict[str, Any], console: Console) -> None:
    table = Table(title="inference: predict, samples/s")
    for col in ("model", "architecture", "neuronlab", "torch", "sklearn", "×torch",
                "×sklearn"):
        table.add_column(col, justify="left" if col in ("model", "architecture") else "right")
    for name, row in results.items():
        table.add_row(name, row["architecture"], _rate(row["neuronlab"]), _rate(row["torch"]),
                      _rate(row["sklearn"]), _x(row.get("speed_vs_torch")),
                      _x(row.get("speed_vs_sklearn")))
    console.print(table)


def _activations(results: dict[str, Any], console: Console) -> None:
    table = Table(title=f"activations: ns per element, batch {tuple(results['shape'])} "
                  f"float32")
    for col in ("activation", "fwd", "bwd", "torch fwd", "torch bwd", "time ×torch"):
        table.add_column(col, justify="left" if col == "activation" else "right")
    for name, row in results["activations"].items():
        if "error" in row:
            table.add_row(name, f"[red]{row['error'][:60]}[/red]", "", "", "", "")
            continue
        nl, tr = row["neuronlab"], row.get("torch")
        table.add_row(name, f"{nl['forward_ns']:.2f}", f"{nl['backward_ns']:.2f}",
                      f"{tr['forward_ns']:.2f}" if tr else "-",
                      f"{tr['backward_ns']:.2f}" if tr else "-",
                      _x(row.get("ratio_vs_torch")) if tr else "-")
    console.print(table)


def _diagnostics(results: dict[str, Any], console: Console) -> None:
    table = Table(title="diagnostics: one epoch with the Monitor off / on")
    for col in ("config", "off s", "on s", "overhead", "step µs", "Monitor µs/step",
                "per-step overhead"):
        table.add_column(col, justify="left" if col == "config" else "right")
    for name, row in results.items():
        table.add_row(name, f"{row['off']['median']:.3f}", f"{row['on']['median']:.3f}",
                      f"{100 * row['overhead']:+.1f}%", *_per_step(row))
    console.print(table)


def _per_step(row: dict[str, Any]) -> list[str]:
    """The per-step Monitor columns ("-" in files from before they existed)."""
    p = row.get("per_step")
    if p is None:
        return ["-", "-", "-"]
    return [f"{1e6 * p['step_s']:.1f}", f"{1e6 * p['monitor_s']:.1f}",
            f"{100 * p['overhead']:+.1f}%"]


def _scaling(results: dict[str, Any], console: Console) -> None:
    table = Table(title="scaling: seconds per epoch (neuronlab, and its floor)")
    for col in ("sweep", "value", "architecture", "batch", "neuronlab s", "floor s",
                "multiple"):
        table.add_column(col, justify="left" if col in ("sweep", "architecture") else "right")
    for sweep, res in results.items():
        for p in res["points"]:
            table.add_row(sweep, str(p["value"]), p["config"]["architecture"],
                          str(p["config"]["batch_size"]), f"{p['neuronlab']['median']:.4f}",
                          f"{p['floor']['median']:.4f}", _x(p["multiple"]))
        table.add_row(f"[bold]{sweep}[/bold]", "exponent", "time ~ x^k", "",
                      f"[bold]{res['exponent']:.2f}[/bold]", f"{res['floor_exponent']:.2f}", "",
                      end_section=True)
    console.print(table)


def _memory(results: dict[str, Any], console: Console) -> None:
    table = Table(title="memory: one training epoch, each framework in its own process (MB)")
    for col in ("config", "framework", "training peak", "process peak", "tracemalloc peak",
                "method"):
        table.add_column(col, justify="left" if col in ("config", "framework", "method")
                         else "right")
    for name, row in results.items():
        for fw in ("neuronlab", "torch", "sklearn"):
            r = row.get(fw, {})
            if "train_peak_mb" not in r:
                table.add_row(name, fw, r.get("unavailable", r.get("error", "?")), "", "", "")
                continue
            tm = r.get("tracemalloc", {}).get("tracemalloc_peak_mb")
            table.add_row(name, fw, f"{r['train_peak_mb']:.1f}", f"{r['process_peak_mb']:.1f}",
                          "-" if tm is None else f"{tm:.1f}", r["method"])
    console.print(table)


def _allocations(results: dict[str, Any], console: Console) -> None:
    table = Table(title="allocations per training step in steady state")
    for col in ("config", "transient KB", "fresh arrays", "fresh KB", "cached KB",
                "page faults", "float64 arrays"):
        table.add_column(col, justify="left" if col == "config" else "right")
    for name, row in results.items():
        table.add_row(name, f"{row['transient_bytes_per_step'] / 1024:.1f}",
                      str(row["fresh_arrays_per_step"]),
                      f"{row['fresh_bytes_per_step'] / 1024:.1f}",
                      f"{row['cached_bytes'] / 1024:.1f}", f"{row['page_faults_per_step']:.1f}",
                      str(len(row["float64_arrays"])))
    console.print(table)


def _breakdown(results: dict[str, Any], console: Console) -> None:
    for name, row in results.items():
        table = Table(title=f"where the time goes: {name} ({row['config']['architecture']}, "
                      f"batch {row['config']['batch_size']}), plain epoch "
                      f"{row['plain_wall']:.3f} s")
        for col in ("phase", "µs/step", "share"):
            table.add_column(col, justify="left" if col == "phase" else "right")
        for p in row["phases"]:
            table.add_row(p["phase"], f"{p['us_per_step']:.1f}", f"{100 * p['share']:.1f}%")
        table.add_row("[dim](timers' own overhead)[/dim]",
                      f"{1e6 * row['instrumentation'] / row['config']['n_steps']:.1f}", "")
        console.print(table)
        cand = Table(title=f"candidate changes: {name} (prototypes, estimated gain per epoch)")
        for col in ("candidate", "now µs/step", "prototype µs/step", "gain"):
            cand.add_column(col, justify="left" if col == "candidate" else "right")
        for c in sorted(row["candidates"], key=lambda c: -c["gain_share"]):
            cand.add_row(c["candidate"], f"{c['now_us_per_step']:.1f}",
                         f"{c['prototype_us_per_step']:.1f}", f"{100 * c['gain_share']:.1f}%")
        th = row["threads"]
        for n, t in th.items():
            cand.add_row(f"[dim]BLAS at {n} thread(s): neuronlab / floor epoch[/dim]",
                         f"{t['neuronlab']['median']:.3f} s", f"{t['floor']['median']:.3f} s",
                         "")
        console.print(cand)


def _targets(rows: list[dict[str, Any]], console: Console) -> None:
    if not rows:
        return
    table = Table(title="targets (issue 5)")
    for col in ("target", "value", "met"):
        table.add_column(col, justify="left" if col == "target" else "right")
    for r in rows:
        value = r["value"]
        shown = f"{value:.3g}" if isinstance(value, float) else str(value)
        table.add_row(r["target"], shown, "[green]yes[/green]" if r["met"] else "[red]no[/red]")
    console.print(table)


def _playground(results: dict[str, Any], console: Console) -> None:
    table = Table(title=f"playground: {results['config']}")
    for col in ("frame ms", "step µs", "frame share of 1/30 s", "frames/s received",
                "× target 30", "frames/s built", "kB/frame", "steps/s"):
        table.add_column(col, justify="right")
    p, e = results["in_process"], results["end_to_end"]
    table.add_row(f"{1e3 * p['frame_s']['median']:.2f}", f"{1e6 * p['step_s']['median']:.0f}",
                  f"{100 * p['frame_share_of_budget']:.0f}%", f"{e['fps']:.1f}",
                  _x(e["fps_vs_target"]), f"{e.get('built_fps') or 0:.1f}",
                  f"{(e['frame_bytes'] or 0) / 1e3:.0f}",
                  f"{e['steps_per_s'] or 0:.0f}")
    console.print(table)


IO_CONTENDERS = ("neuronlab", "library", "library_file")


def io_rows(results: dict[str, Any]) -> list[list[str]]:
    """One row per model and operation: ms per call (median ±half-range) of each
    contender, neuronlab's time over the library's, and each one's peak memory."""
    rows = []
    for name, row in results["models"].items():
        for operation in ("save", "load"):
            times, memory = row["time"][operation], row.get("memory", {}).get(operation, {})
            cells = [name, operation, f"{row['time']['model_mb']:.3g}"]
            for c in IO_CONTENDERS:
                t = times.get(c)
                cells.append(f"{1e3 * t['median']:.3g} ±{100 * t['spread']:.0f}%" if t else "-")
            cells.append(_x(times.get("time_ratio_vs_library")))
            for key in ("rss_peak_mb", "traced_peak_mb"):
                cells.append(" / ".join(f"{memory[c][key]:.1f}" if key in memory.get(c, {})
                                        else "-" for c in IO_CONTENDERS if c in times))
            rows.append(cells)
    return rows


IO_COLUMNS = ["model", "op", "model MB", "neuronlab ms", "library ms", "library_file ms",
              "time ×library", "RSS peak MB", "traced peak MB"]


def _io(results: dict[str, Any], console: Console) -> None:
    table = Table(title=f"io: save and load, neuronlab.io vs safetensors "
                        f"{results['safetensors']} (peaks: neuronlab / library "
                        f"(/ library_file), MB above the level before)")
    for col in IO_COLUMNS:
        table.add_column(col, justify="left" if col in ("model", "op") else "right")
    for cells in io_rows(results):
        table.add_row(*cells)
    console.print(table)


PRINTERS = {"training": _training, "floor": _floor, "inference": _inference,
            "activations": _activations, "diagnostics": _diagnostics, "scaling": _scaling,
            "memory": _memory, "allocations": _allocations, "breakdown": _breakdown,
            "playground": _playground, "io": _io}


def print_all(results: dict[str, Any], console: Console | None = None) -> None:
    console = console or Console()
    m = results["machine"]
    console.rule("neuronlab benchmarks")
    console.print(f"{m['cpu']}, {m['usable_cpus']} usable CPUs, {m['threads']} threads; "
                  f"numpy {m['versions']['numpy']}, torch {m['versions']['torch']}, "
                  f"scikit-learn {m['versions']['scikit-learn']}; git {m['git']}")
    for section, printer in PRINTERS.items():
        data = results.get(section)
        if isinstance(data, dict) and "skipped" in data:
            continue
        if isinstance(data, dict) and "unavailable" in data:
            console.print(f"[yellow]{section}: {data['unavailable']}[/yellow]")
            continue
        if data:
            printer(data, console)
    _targets(targets(results), console)
    runs = results.get("runs", {})
    busy = [k for k, v in runs.items() if k in PRINTERS and results.get(k, {}).get("skipped")
            is None and (v.get("others_busy") or 0) > 0.1
            or v.get("load_before", [0])[0] > m["usable_cpus"]]
    if busy:
        console.print(f"[yellow]other processes competed for the CPUs at the start of "
                      f"{', '.join(busy)} (see 'runs' in the JSON): those timings are "
                      f"pessimistic; --wait-quiet 0.1 waits for a quiet machine[/yellow]")


# ----------------------------------------------------------------------------- markdown


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---" if i == 0 else "---:" for i in range(len(header))) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def _md_rate(stats: dict[str, Any]) -> str:
    if "unavailable" in stats:
        return "n/a"
    return f"{stats['samples_per_s']:,.0f} ±{100 * stats['spread']:.0f}%"


def markdown(results: dict[str, Any]) -> str:
    """The README's tables of the latest figures, from a results JSON."""
    out: list[str] = []
    m = results["machine"]
    blas = (m.get("numpy_blas") or {}).get("openblas configuration") or \
        (m.get("numpy_blas") or {}).get("name")
    d = m.get("cpu_details") or {}
    cpu = m["cpu"] + (f" (family {d['family']} model {d['model']} stepping {d['stepping']}, "
                      f"{d['cache']} L2, {', '.join(d['simd'])})" if d.get("family") else "")
    out.append(f"Machine: {cpu}, {m['usable_cpus']} usable CPUs ({m['logical_cpus']} "
               f"logical), {m['threads']} threads; Python {m['python']}, "
               + ", ".join(f"{k} {v}" for k, v in m["versions"].items() if v)
               + f"; NumPy's BLAS: {blas}; PyTorch's: {m.get('torch_blas', '?')}; "
               f"git {m['git']}.")
    env = m.get("inherited_env")
    if env:
        out.append("\nInherited environment: "
                   + ", ".join(f"`{k}={v}`" for k, v in sorted(env.items())) + ".")
    runs = results.get("runs", {})
    out.append("\nRuns: " + "; ".join(
        f"{k} {v['started']} ({v.get('repeats', '?')} repeats, others busy "
        f"{100 * (v.get('others_busy') or 0):.0f}%)" for k, v in runs.items()) + ".")
    tr = results.get("training")
    if _ok(tr):
        out.append("\n#### Training throughput (samples/s, one epoch, median ±half-range)\n")
        out.append(_md_table(
            ["config", "architecture", "batch", "neuronlab", "PyTorch", "scikit-learn",
             "×PyTorch", "×sklearn"],
            [[k, r["config"]["architecture"], str(r["config"]["batch_size"]),
              _md_rate(r["neuronlab"]), _md_rate(r["torch"]), _md_rate(r["sklearn"]),
              _x(r.get("speed_vs_torch")), _x(r.get("speed_vs_sklearn"))]
             for k, r in tr.items()]))
    fl = results.get("floor")
    if _ok(fl):
        out.append("\n#### The floor (the epoch's matrix products alone)\n")
        out.append(_md_table(
            ["config", "floor s/epoch", "floor ms/step", "neuronlab s/epoch", "multiple",
             "loop only", "plain NumPy s/epoch", "plain / floor", "neuronlab / plain"],
            [[k, f"{r['floor']['median']:.3f}", f"{r['floor']['step_ms']:.3f}",
              f"{r['neuronlab']['median']:.3f}", _x(r["multiple"]), _x(r["multiple_loop"]),
              *_plain(r)]
             for k, r in fl.items()]))
    inf = results.get("inference")
    if _ok(inf):
        out.append("\n#### Inference (predict, samples/s)\n")
        out.append(_md_table(
            ["model", "architecture", "neuronlab", "PyTorch", "scikit-learn", "×PyTorch",
             "×sklearn"],
            [[k, r["architecture"], _md_rate(r["neuronlab"]), _md_rate(r["torch"]),
              _md_rate(r["sklearn"]), _x(r.get("speed_vs_torch")),
              _x(r.get("speed_vs_sklearn"))] for k, r in inf.items()]))
    act = results.get("activations")
    if _ok(act):
        out.append(f"\n#### Activations (ns per element, {act['shape'][0]} × "
                   f"{act['shape'][1]} float32; time ×PyTorch below 1: neuronlab cheaper)\n")
        rows = []
        for k, r in act["activations"].items():
            if "error" in r:
                rows.append([k, r["error"][:40], "", "", "", ""])
                continue
            t = r.get("torch")
            rows.append([k, f"{r['neuronlab']['forward_ns']:.2f}",
                         f"{r['neuronlab']['backward_ns']:.2f}",
                         f"{t['forward_ns']:.2f}" if t else "-",
                         f"{t['backward_ns']:.2f}" if t else "-",
                         _x(r.get("ratio_vs_torch")) if t else "-"])
        out.append(_md_table(["activation", "forward", "backward", "PyTorch forward",
                              "PyTorch backward", "time ×PyTorch"], rows))
    dg = results.get("diagnostics")
    if _ok(dg):
        out.append("\n#### Diagnostics (one epoch, Monitor off / on; and per step)\n")
        out.append(_md_table(["config", "off s", "on s", "overhead", "step µs",
                              "Monitor µs/step", "per-step overhead"],
                             [[k, f"{r['off']['median']:.3f}", f"{r['on']['median']:.3f}",
                               f"{100 * r['overhead']:+.1f}%", *_per_step(r)]
                              for k, r in dg.items()]))
    sc = results.get("scaling")
    if _ok(sc):
        out.append("\n#### Scaling (s per epoch; neuronlab / floor)\n")
        rows = []
        for k, r in sc.items():
            cells = ", ".join(f"{p['value']}: {p['neuronlab']['median']:.4f} / "
                              f"{p['floor']['median']:.4f}" for p in r["points"])
            rows.append([k, cells, f"{r['exponent']:.2f}", f"{r['floor_exponent']:.2f}"])
        out.append(_md_table(["sweep", "value: neuronlab / floor", "exponent",
                              "floor exponent"], rows))
    mem = results.get("memory")
    if _ok(mem):
        out.append("\n#### Memory (MB; training peak = VmHWM − RSS before training)\n")
        rows = []
        for k, r in mem.items():
            for fw in ("neuronlab", "torch", "sklearn"):
                x = r.get(fw, {})
                if "train_peak_mb" in x:
                    tm = x.get("tracemalloc", {}).get("tracemalloc_peak_mb")
                    rows.append([k, fw, f"{x['train_peak_mb']:.1f}", f"{x['process_peak_mb']:.1f}",
                                 "-" if tm is None else f"{tm:.1f}"])
        out.append(_md_table(["config", "framework", "training peak", "process peak",
                              "tracemalloc peak"], rows))
    al = results.get("allocations")
    if _ok(al):
        out.append("\n#### Allocations per step (steady state)\n")
        out.append(_md_table(
            ["config", "transient KB", "fresh arrays", "fresh KB", "cached KB", "page faults",
             "float64 arrays"],
            [[k, f"{r['transient_bytes_per_step'] / 1024:.1f}",
              str(r["fresh_arrays_per_step"]), f"{r['fresh_bytes_per_step'] / 1024:.1f}",
              f"{r['cached_bytes'] / 1024:.1f}", f"{r['page_faults_per_step']:.1f}",
              str(len(r["float64_arrays"]))] for k, r in al.items()]))
    pg = results.get("playground")
    if _ok(pg):
        p, e = pg["in_process"], pg["end_to_end"]
        out.append(f"\n#### Playground ({pg['config']})\n")
        out.append(_md_table(
            ["frame ms", "step µs", "frame share of 1/30 s", "frames/s received",
             "frames/s built", "kB/frame", "steps/s"],
            [[f"{1e3 * p['frame_s']['median']:.2f}", f"{1e6 * p['step_s']['median']:.0f}",
              f"{100 * p['frame_share_of_budget']:.0f}%", f"{e['fps']:.1f}",
              f"{e.get('built_fps') or 0:.1f}",
              f"{(e['frame_bytes'] or 0) / 1e3:.0f}", f"{e['steps_per_s'] or 0:.0f}"]]))
    io = results.get("io")
    if _ok(io):
        out.append(f"\n#### Save and load (neuronlab.io vs safetensors {io['safetensors']}; "
                   f"peaks: neuronlab / library (/ library_file))\n")
        out.append(_md_table(IO_COLUMNS, io_rows(io)))
    bd = results.get("breakdown")
    if _ok(bd):
        for k, r in bd.items():
            out.append(f"\n#### Where the time goes: {k} (instrumented epoch "
                       f"{r['instrumented_wall']:.3f} s, plain {r['plain_wall']:.3f} s)\n")
            out.append(_md_table(["phase", "µs/step", "share"],
                                 [[p["phase"], f"{p['us_per_step']:.1f}",
                                   f"{100 * p['share']:.1f}%"] for p in r["phases"]]))
            out.append("")
            out.append(_md_table(
                ["candidate", "now µs/step", "prototype µs/step", "gain"],
                [[c["candidate"], f"{c['now_us_per_step']:.1f}",
                  f"{c['prototype_us_per_step']:.1f}", f"{100 * c['gain_share']:+.1f}%"]
                 for c in sorted(r["candidates"], key=lambda c: -c["gain_share"])]))
    tg = targets(results)  # the current rules, applied to the stored numbers
    if tg:
        out.append("\n#### Targets\n")
        out.append(_md_table(["target", "value", "met"],
                             [[t["target"], f"{t['value']:.3g}" if isinstance(t["value"], float)
                               else str(t["value"]), "yes" if t["met"] else "**no**"]
                              for t in tg]))
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> None:
    """``python -m benchmarks.report [FILE] [--markdown]``: show a saved run again."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m benchmarks.report")
    parser.add_argument("file", nargs="?", type=Path,
                        default=Path(__file__).resolve().parent / "latest.json")
    parser.add_argument("--markdown", action="store_true",
                        help="print the README's tables instead of the rich ones")
    args = parser.parse_args(argv)
    results = json.loads(args.file.read_text())
    if args.markdown:
        print(markdown(results), end="")
    else:
        print_all(results)


if __name__ == "__main__":
    main()
