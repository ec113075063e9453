"""Loading and validating data: bundled and generated datasets, and input checks.

Datasets never come from the network: they ship inside scikit-learn (digits, iris,
wine, breast cancer) or are generated (circles, moons, spirals, xor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from neuronlab._suggest import did_you_mean
from neuronlab._validate import check_integer, check_real, check_seed, first_non_finite


@dataclass(frozen=True)
class Dataset:
    """A train/test split with its name; classification labels are 0 .. n_classes - 1."""

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]


def check_X(X: object, n_features: int | None = None, name: str = "X",
            dtype: np.dtype | type | None = None) -> np.ndarray:
    """``X`` as a finite 2-D array of shape (n_samples, n_features), or a clear error.

    With ``dtype`` (the network's) ``X`` is cast first and checked after the cast, so
    that a float64 value beyond float32's range (3.4e38), which the cast turns into
    inf, is refused by its row and column rather than reported later as a divergence.
    Complex, string and object arrays are refused (TypeError).

    Examples
    --------
    >>> check_X([[1.0, 2.0]], dtype=np.float32).dtype
    dtype('float32')
    >>> check_X([[1.0, 1e39]], dtype=np.float32)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: X[0, 1] = 1e+39 is beyond the range of float32 (largest 3.4e+38), ...
    """
    try:
        X = np.asarray(X)
    except (ValueError, TypeError) as exc:  # ragged lists and the like
        raise ValueError(f"{name} could not be read as an array: {exc}") from None
    if X.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {X.dtype}")
    if X.ndim != 2:
        hint = " (reshape a single feature with X.reshape(-1, 1))" if X.ndim == 1 else ""
        raise ValueError(f"{name} must be 2-D (n_samples, n_features), got shape {X.shape}{hint}")
    if X.shape[0] == 0:
        raise ValueError(f"{name} is empty: it has 0 samples")
    if X.shape[1] == 0:
        raise ValueError(f"{name} has 0 features")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features but the model expects {n_features}")
    return _cast_finite(X, name, dtype)


def _cast_finite(X: np.ndarray, name: str, dtype: np.dtype | type | None) -> np.ndarray:
    """``X`` cast to ``dtype`` (if given), then refused if it holds NaN or infinity."""
    original = X
    if dtype is not None and X.dtype != dtype:
        with np.errstate(over="ignore"):  # an overflow is reported below, by its place
            X = X.astype(dtype)
    if X.dtype.kind == "f":
        _check_finite(X, name, original)
    return X


def _check_finite(X: np.ndarray, name: str, original: np.ndarray | None = None) -> None:
    """Refuse NaN/inf in the 2-D ``X``; ``original``: X before a cast, to tell an
    overflow of the cast from a NaN given."""
    bad = first_non_finite(X)
    if bad is None:
        return
    row, column = bad
    given = (original if original is not None else X)[row, column]
    if np.isfinite(given):
        info = np.finfo(X.dtype)
        raise ValueError(f"{name}[{row}, {column}] = {float(given):g} is beyond the "
                         f"range of {X.dtype} (largest {float(info.max):.2g}), the "
                         f"network's dtype: rescale that column (feature {column}) "
                         f"or use a float64 network")
    raise ValueError(f"{name} contains NaN or infinity (first at row {row}, column "
                     f"{column}); remove or impute those values")


def check_labels(y: object, n_samples: int, n_classes: int, name: str = "y",
                 dtype: np.dtype | type = np.float64) -> np.ndarray:
    """Integer class labels 0 .. n_classes - 1 as one-hot rows, or one-hot rows as given."""
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == n_classes and y.dtype.kind == "f":
        return check_targets(y, n_samples, n_classes, name, dtype)
    if y.ndim == 2 and y.shape[1] == 1:
        y = y[:, 0]
    if y.ndim != 1:
        raise ValueError(f"{name} must be 1-D class labels or one-hot of shape "
                         f"(n_samples, {n_classes}), got shape {y.shape}")
    _check_count(y, n_samples, name)
    if y.dtype.kind == "f":
        if not np.isfinite(y).all():
            raise ValueError(f"{name} contains NaN or infinity")
        if not np.all(y == np.round(y)):
            raise ValueError(f"{name} must hold integer class labels, got fractional values")
    elif y.dtype.kind not in "iub":
        raise TypeError(f"{name} must hold integer class labels 0..{n_classes - 1}, got dtype "
                        f"{y.dtype} (encode string labels first, or use neuronlab.sklearn)")
    # the range is checked on the values as given: a cast first would wrap 1e30 or a
    # uint64 2**64 - 1 into some other integer and report that
    unseen = y[(y < 0) | (y >= n_classes)]
    if unseen.size:
        label = unseen[0].item()
        shown = f"{label:g}" if isinstance(label, float) else str(label)
        raise ValueError(f"{name} has label {shown} that the model never saw: it has "
                         f"{n_classes} outputs, so labels must be in 0..{n_classes - 1}")
    labels = y.astype(np.int64)
    one_hot = np.zeros((len(labels), n_classes), dtype=dtype)
    one_hot[np.arange(len(labels)), labels] = 1
    return one_hot


def check_targets(y: object, n_samples: int, n_outputs: int, name: str = "y",
                  dtype: np.dtype | type | None = None) -> np.ndarray:
    """Real-valued targets as a finite (n_samples, n_outputs) array, cast to ``dtype``
    (if given) before the check, as in :func:`check_X`: a target of 1e39 for a float32
    network is refused by its row and column."""
    y = np.asarray(y)
    if y.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {y.dtype}")
    if y.ndim == 1:
        y = y[:, None]
    if y.ndim != 2 or y.shape[1] != n_outputs:
        raise ValueError(f"{name} must have shape (n_samples, {n_outputs}) to match the model's "
                         f"{n_outputs} outputs, got {y.shape}")
    _check_count(y, n_samples, name)
    return _cast_finite(y, name, dtype)


def check_sample_weight(sample_weight: object, n_samples: int,
                        name: str = "sample_weight") -> np.ndarray:
    """Weights of the samples as a float64 array of shape (n_samples,), or a clear error.

    Each weight must be a finite number >= 0 and at least one must be positive: the
    cost is the weighted mean ``sum_i w_i J_i / sum_i w_i`` (see :mod:`neuronlab.losses`),
    so a weight of 2 counts a sample twice and a weight of 0 leaves it out.

    Examples
    --------
    >>> check_sample_weight([1, 2, 0], 3)
    array([1., 2., 0.])
    """
    w = np.asarray(sample_weight)
    if w.dtype.kind not in "fiub":
        raise TypeError(f"{name} must be numeric, got dtype {w.dtype}")
    if w.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one weight per sample, got shape {w.shape}")
    _check_count(w, n_samples, name)
    w = w.astype(np.float64)
    if not np.isfinite(w).all():
        raise ValueError(f"{name} contains NaN or infinity (first at index "
                         f"{np.flatnonzero(~np.isfinite(w))[0]})")
    if (w < 0).any():
        first = np.flatnonzero(w < 0)[0]
        raise ValueError(f"{name} must be >= 0, got {float(w[first])} at index {first}")
    if not w.any():
        raise ValueError(f"{name} is all zero: at least one sample must have a positive "
                         "weight")
    with np.errstate(over="ignore"):
        total = w.sum()
    if not np.isfinite(total):
        raise ValueError(f"{name} sums to infinity in float64; divide the weights by a "
                         "common factor (only their ratios matter)")
    return w


def _check_count(y: np.ndarray, n_samples: int, name: str) -> None:
    if len(y) != n_samples:
        raise ValueError(f"X and {name} have different numbers of samples: {n_samples} vs "
                         f"{len(y)}")


# -- datasets ---------------------------------------------------------------------------

def _split(name: str, X: np.ndarray, y: np.ndarray, test_size: float, seed: int) -> Dataset:
    from sklearn.model_selection import train_test_split

    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y)
    return Dataset(name, X_train, y_train, X_test, y_test, int(y.max()) + 1)


def _standardise(X: np.ndarray) -> np.ndarray:
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def _bundled(loader_name: str, scale: Callable[[np.ndarray], np.ndarray]):
    def load(seed: int = 0, test_size: float = 0.25) -> Dataset:
        import sklearn.datasets

        X, y = getattr(sklearn.datasets, loader_name)(return_X_y=True)
        return _split(loader_name.removeprefix("load_"), scale(X.astype(np.float64)), y,
                      test_size, seed)

    return load


def spirals(n_samples: int = 600, noise: float = 0.2, seed: int = 0) -> tuple[np.ndarray,
                                                                               np.ndarray]:
    """Two interleaved spirals in the plane (a classic for non-linear decision boundaries)."""
    n_samples = check_integer(n_samples, "spirals n_samples", low=2)
    noise = check_real(noise, "spirals noise", 0)
    rng = np.random.default_rng(check_seed(seed))
    n = n_samples // 2
    t = np.sqrt(rng.uniform(0, 1, n)) * 3 * np.pi
    arm = np.column_stack([t * np.cos(t), t * np.sin(t)]) / (3 * np.pi)
    X = np.vstack([arm, -arm]) + rng.normal(0, noise / (3 * np.pi) * 3, (2 * n, 2))
    return X, np.repeat([0, 1], n)


def _generated(name: str) -> Callable[..., Dataset]:
    def load(seed: int = 0, test_size: float = 0.25, n_samples: int = 1000) -> Dataset:
        from sklearn import datasets

        make = {
            "circles": lambda: datasets.make_circles(n_samples, noise=0.08, factor=0.5,
                                                     random_state=seed),
            "moons": lambda: datasets.make_moons(n_samples, noise=0.15, random_state=seed),
            "spirals": lambda: spirals(n_samples, seed=seed),
            "xor": lambda: _xor(n_samples, seed),
        }[name]
        X, y = make()
        return _split(name, X, y, test_size, seed)

    return load


def _xor(n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    X = np.random.default_rng(seed).uniform(-1, 1, (n_samples, 2))
    return X, ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(int)


DATASETS: dict[str, Callable[..., Dataset]] = {
    "digits": _bundled("load_digits", lambda X: X / 16.0),
    "iris": _bundled("load_iris", _standardise),
    "wine": _bundled("load_wine", _standardise),
    "breast_cancer": _bundled("load_breast_cancer", _standardise),
    "circles": _generated("circles"),
    "moons": _generated("moons"),
    "spirals": _generated("spirals"),
    "xor": _generated("xor"),
}


def check_dataset(name: object) -> str:
    """``name`` if it names a dataset of :data:`DATASETS`, else an error with the closest.

    Examples
    --------
    >>> check_dataset("iris")
    'iris'
    >>> check_dataset("irsi")
    Traceback (most recent call last):
    ...
    ValueError: unknown dataset 'irsi'. Did you mean 'iris'? Known: digits, iris, wine, \
breast_cancer, circles, moons, spirals, xor.
    """
    if not isinstance(name, str):
        raise TypeError(f"dataset must be a name (one of {', '.join(DATASETS)}), got "
                        f"{type(name).__name__} {name!r}")
    if name not in DATASETS:
        raise ValueError(f"unknown dataset {name!r}.{did_you_mean(name, list(DATASETS))} Known: "
                         f"{', '.join(DATASETS)}.")
    return name


def load(name: str, seed: int = 0, test_size: float = 0.25, **kwargs: int) -> Dataset:
    """A dataset by name, split into train and test with a seeded, stratified split.

    ``test_size`` is the fraction of the samples held out for the test set, in (0, 1);
    the generated datasets also take ``n_samples`` (default 1000).

    Examples
    --------
    >>> d = load("digits")
    >>> d.X_train.shape, d.n_classes
    ((1347, 64), 10)
    """
    name = check_dataset(name)
    test_size = check_real(test_size, "test_size", 0, 1, low_open=True, high_open=True)
    if "n_samples" in kwargs:
        kwargs["n_samples"] = check_integer(kwargs["n_samples"], "n_samples", low=2)
    return DATASETS[name](seed=check_seed(seed), test_size=test_size, **kwargs)
