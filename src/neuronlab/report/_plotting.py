"""What every figure of the report shares: the palette, the style, the page layout of a
figure, the axes' look, reading a study's tables, and rendering to SVG or PNG."""

from __future__ import annotations

import io
import math
from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from neuronlab.studies import StudyResult

PALETTE = ("#4C72B0", "#DD8452", "#55A868", "#C44E52", "#8172B3", "#937860", "#DA8BC3",
           "#8C8C8C", "#CCB974", "#64B5CD")
DPI = 100


STYLE = {
    "svg.fonttype": "none",  # text stays text: smaller files, the reader's own font
    "svg.hashsalt": "neuronlab",  # the same figure gives the same bytes every run
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Arial", "Helvetica"],
    "path.simplify": True,
}
"""Shared matplotlib settings of every figure of the report."""


def png(fig: Figure, dpi: int = 2 * DPI) -> bytes:
    """The figure as PNG bytes (Agg canvas, no metadata that changes run to run), at
    twice the screen resolution by default so that it stays sharp on dense screens."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def svg(fig: Figure) -> bytes:
    """The figure as SVG bytes: vector graphics, no date or version in the file (the
    same results give the same bytes).  Text is kept as text, not outlined."""
    import matplotlib
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    FigureCanvasSVG(fig)
    buffer = io.BytesIO()
    with matplotlib.rc_context(STYLE):
        fig.savefig(buffer, format="svg", dpi=DPI,
                    metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    return buffer.getvalue()


def _figure(width: float, height: float, grid: tuple[float, float] | None = None) -> Figure:
    """A figure; with ``grid = (bottom, top)`` margins in inches, a manual layout for
    many small panels (the constrained layout engine is slow there)."""
    from matplotlib.figure import Figure

    if grid is None:
        return Figure(figsize=(width, height), layout="constrained")
    fig = Figure(figsize=(width, height))
    bottom, top = grid
    fig.subplots_adjust(left=0.06, right=0.985, bottom=bottom / height, top=1 - top / height,
                        hspace=0.55, wspace=0.28)
    return fig


def _style(ax: Axes, title: str | None = None, xlabel: str | None = None,
           ylabel: str | None = None) -> None:
    if xlabel in ("epoch", "layer"):
        from matplotlib.ticker import MaxNLocator

        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if title:
        ax.set_title(title, fontsize=10)
    if xlabel:
        ax.set_xlabel(xlabel, fontsize=9)
    if ylabel:
        ax.set_ylabel(ylabel, fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, color="#e6e6e6", linewidth=0.6)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def _rows(result: StudyResult, table: str) -> list[dict[str, Any]]:
    return result.table(table).rows


def _num(value: Any) -> float:
    return math.nan if value is None else float(value)


def _log10(values: Iterable[Any]) -> np.ndarray:
    v = np.array([_num(x) for x in values], dtype=float)
    out = np.full_like(v, np.nan)
    positive = v > 0
    out[positive] = np.log10(v[positive])
    return out


def _colors(names: Iterable[str]) -> dict[str, str]:
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def _grid(n: int, columns: int) -> tuple[int, int]:
    return math.ceil(n / columns), min(n, columns)


def _grouped(rows: list[dict[str, Any]], keys: tuple[str, ...]) -> dict[tuple, list]:
    out: dict[tuple, list] = defaultdict(list)
    for r in rows:
        out[tuple(r[k] for k in keys)].append(r)
    return out




SVG_LIMIT = 250_000
"""Bytes above which a figure's SVG (thousands of markers or contour paths) is compared
with a PNG at twice the screen resolution, and the smaller kept: the report stays under
5 MB and every figure stays sharp (vector, or a bitmap twice its displayed size)."""


def sharp(fig: Figure) -> bytes:
    """The figure as SVG, or as a PNG at twice the screen resolution when that is smaller
    than an SVG heavier than ``SVG_LIMIT``."""
    vector = svg(fig)
    if len(vector) <= SVG_LIMIT:
        return vector
    bitmap = png(fig, dpi=2 * DPI)
    return bitmap if len(bitmap) < len(vector) else vector
