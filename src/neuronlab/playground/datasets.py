"""The playground's 2-D data: generated sets, the uploaded CSV, and the input features.

Every point lies in the square ``[-DOMAIN, DOMAIN]^2`` the page draws.  The
classification sets have labels 0 and 1; ``plane`` is a regression whose target is
a tilted plane, ``(x1 + x2) / (2 DOMAIN)``, in [-1, 1].  ``noise`` is in units of
the square's half-width.

Examples
--------
>>> points, labels = generate("xor", n=8, noise=0.0, seed=0)
>>> points.shape, sorted(set(labels.tolist()))
((8, 2), [0.0, 1.0])
>>> features(np.array([[1.0, 2.0]]), ["x1", "x1*x2"]).tolist()
[[1.0, 2.0]]
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from neuronlab import data
from neuronlab.playground.schema import MAX_CSV_ROWS, MessageError

DOMAIN = 3.0
"""Half-width of the square the points live in (and the page draws)."""

GRID = 50
"""Output maps are computed on a GRID x GRID lattice over the square."""


@dataclass(frozen=True)
class Points:
    """A data set split into train and test: points (n, 2), targets (n,)."""

    train: np.ndarray
    y_train: np.ndarray
    test: np.ndarray
    y_test: np.ndarray
    regression: bool


def _circles(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """An inner disc (label 1) inside a ring (label 0)."""
    inner = n // 2
    radius = np.concatenate([rng.uniform(0, 0.5, inner), rng.uniform(0.7, 1.0, n - inner)])
    angle = rng.uniform(0, 2 * np.pi, n)
    points = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return points + rng.normal(0, noise, (n, 2)), (np.arange(n) < inner).astype(float)


def _xor(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Four quadrants, label 1 where x1 x2 > 0 (the points keep off the axes a little)."""
    points = rng.uniform(0.05, 1.0, (n, 2)) * rng.choice([-1.0, 1.0], (n, 2))
    labels = (points[:, 0] * points[:, 1] > 0).astype(float)
    return points + rng.normal(0, noise, (n, 2)), labels


def _gaussian(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Two Gaussian blobs centred at (0.5, 0.5) (label 1) and (-0.5, -0.5)."""
    labels = (np.arange(n) < n // 2).astype(float)
    centres = np.where(labels[:, None] == 1, 0.5, -0.5)
    return centres + rng.normal(0, 0.15 + noise, (n, 2)), labels


def _spirals(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """neuronlab's two spirals (``data.spirals``), labels swapped so the first arm is 1."""
    points, labels = data.spirals(n - n % 2, noise=noise * 3, seed=int(rng.integers(2**31)))
    if n % 2:
        points, labels = np.vstack([points, [[0.0, 0.0]]]), np.append(labels, 0)
    return points, 1.0 - labels


def _moons(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's two moons, centred and scaled into the square."""
    from sklearn.datasets import make_moons

    points, labels = make_moons(n, noise=noise, random_state=int(rng.integers(2**31)))
    return (points - [0.5, 0.25]) / 1.6, labels.astype(float)


def _plane(n: int, noise: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Regression: uniform points, target (x1 + x2) / 2 plus noise."""
    points = rng.uniform(-1, 1, (n, 2))
    return points, points.sum(axis=1) / 2 + rng.normal(0, noise, n)


GENERATORS: dict[str, Callable[[int, float, np.random.Generator],
                               tuple[np.ndarray, np.ndarray]]] = {
    "circles": _circles, "xor": _xor, "gaussian": _gaussian, "spirals": _spirals,
    "moons": _moons, "plane": _plane,
}
"""The generated data sets, on the unit square (scaled to ``DOMAIN`` by :func:`generate`)."""


def generate(name: str, n: int, noise: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``n`` points of a generated set in the square, and their targets."""
    points, targets = GENERATORS[name](n, noise, np.random.default_rng(seed))
    return np.clip(points * DOMAIN, -DOMAIN, DOMAIN), np.asarray(targets, dtype=float)


def split(points: np.ndarray, targets: np.ndarray, train_ratio: float, seed: int,
          regression: bool) -> Points:
    """A seeded random split; at least one point on each side."""
    order = np.random.default_rng(seed + 1).permutation(len(points))
    n_train = min(max(1, round(train_ratio * len(points))), len(points) - 1)
    train, test = order[:n_train], order[n_train:]
    return Points(points[train], targets[train], points[test], targets[test], regression)


def features(points: np.ndarray, names: Sequence[str]) -> np.ndarray:
    """The network's input: one column per feature name, computed from (x1, x2)."""
    x1, x2 = points[:, 0], points[:, 1]
    columns = {"x1": x1, "x2": x2, "x1^2": x1 * x1, "x2^2": x2 * x2, "x1*x2": x1 * x2,
               "sin(x1)": np.sin(x1), "sin(x2)": np.sin(x2)}
    return np.column_stack([columns[name] for name in names]).astype(np.float32)


def grid() -> np.ndarray:
    """The GRID x GRID lattice over the square, row by row from the top (x2 = DOMAIN)
    as an image is drawn: shape (GRID * GRID, 2)."""
    axis = np.linspace(-DOMAIN, DOMAIN, GRID)
    x1, x2 = np.meshgrid(axis, axis[::-1])
    return np.column_stack([x1.ravel(), x2.ravel()])


def read_csv(text: str) -> tuple[np.ndarray, np.ndarray, bool]:
    """An uploaded CSV ``x1, x2, label`` as points in the square, targets and whether
    it is a regression.

    An optional header line is skipped.  Labels 0/1 (or -1/1) make a classification,
    other numbers a regression.  The points are scaled by one factor so that the
    largest coordinate reaches the square's edge.  Any other content is refused with
    a :class:`~neuronlab.playground.schema.MessageError` naming the line.

    >>> points, labels, regression = read_csv("x1,x2,label\\n0,1,1\\n2,0,0\\n1,1,1\\n0,0,0")
    >>> points[1].tolist(), labels.tolist(), regression
    ([3.0, 0.0], [1.0, 0.0, 1.0, 0.0], False)
    """
    rows: list[list[float]] = []
    try:
        reader = csv.reader(io.StringIO(text))
        for number, row in enumerate(reader, start=1):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(row) != 3:
                raise MessageError(f"CSV line {number} has {len(row)} columns: each line "
                                   f"must be x1, x2, label (3 numbers)")
            try:
                values = [float(cell) for cell in row]
            except ValueError:
                if number == 1 and not rows:
                    continue  # a header
                raise MessageError(f"CSV line {number} holds a value that is not a number: "
                                   f"{','.join(row)[:60]!r}") from None
            if not all(math.isfinite(v) for v in values):
                raise MessageError(f"CSV line {number} holds NaN or infinity")
            rows.append(values)
            if len(rows) > MAX_CSV_ROWS:
                raise MessageError(f"CSV has more than {MAX_CSV_ROWS} rows; keep at most "
                                   f"{MAX_CSV_ROWS}")
    except csv.Error as exc:
        raise MessageError(f"CSV could not be read: {exc}") from None
    if len(rows) < 4:
        raise MessageError(f"CSV has {len(rows)} data rows: at least 4 are needed (x1, x2, "
                           f"label per line)")
    table = np.array(rows)
    points, labels = table[:, :2], table[:, 2]
    scale = float(np.abs(points).max())
    points = points * (DOMAIN / scale) if scale > 0 else points
    values = set(np.unique(labels).tolist())
    if values <= {0.0, 1.0} or values <= {-1.0, 1.0}:
        return points, (labels > 0).astype(float), False
    return points, labels, True
