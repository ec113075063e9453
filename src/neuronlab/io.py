"""Saving and loading networks: weights in safetensors, architecture in JSON metadata.

A saved model is a standard safetensors file, so any safetensors reader (for
example ``safetensors.numpy.load_file``) can read its weights::

    8 bytes   N, the header length (unsigned 64-bit little-endian integer)
    N bytes   UTF-8 JSON header, padded with spaces to a multiple of 8 bytes:
              {"__metadata__": {str: str},
               "layers.0.W": {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]},
               ...}
    the rest  the raw little-endian tensor bytes; ``data_offsets`` count from here

Tensors are named ``layers.{i}.{name}``: ``i`` is the index of the layer in the
network and ``name`` the ``Parameter.name`` (``W``, ``b``, ``alpha``), in the order of
``model.parameters()``.  The ``__metadata__`` strings are:

===================== =========================================================
``neuronlab_format``  version of this layout (``"1"``)
``neuronlab_version`` the version of neuronlab that wrote the file
``architecture``      JSON of ``model.get_config()``
``metadata``          JSON of the user's ``metadata`` dict (training config ...)
===================== =========================================================

Loading never imports, evaluates or unpickles anything: the header is parsed and
checked (sizes, offsets, dtypes) before any tensor is read, the network is rebuilt
only through ``Sequential.from_config`` (registered layer and activation names), and
the tensors must match the rebuilt network exactly.  Every problem is a
``ValueError`` that names the file and what is wrong with it.

Every size in the architecture is an integer checked in range by the layer that uses
it before anything is allocated (``"units": 50000.0`` or ``true`` is refused), and
weights holding NaN or infinity are neither saved nor loaded unless asked for with
``allow_nonfinite=True`` (a model that predicts NaN is refused loudly, not carried on).

Saving is atomic: the file is written to a temporary file in the same directory,
flushed to disk and then renamed over ``path``, so an interrupted save leaves any
previous file at ``path`` intact; a symlink stays a symlink (its target is replaced)
and an existing file keeps its permissions.

The format is written and read here, without the ``safetensors`` library: measured
against it (``benchmarks/README.md``, "io"), this code saves a large model
about three times faster with no copy of the weights in memory, loads as fast, and
names what is wrong with a bad file; the library stays a test dependency that checks
the files are standard.

Examples
--------
>>> import os, tempfile
>>> import numpy as np
>>> from neuronlab.network import MLP
>>> net = MLP([4, 8, 3], activation="tanh", seed=0)
>>> path = os.path.join(tempfile.mkdtemp(), "net.safetensors")
>>> save(net, path, metadata={"epochs": 10, "lr": 0.1})
>>> read_metadata(path)
{'epochs': 10, 'lr': 0.1}
>>> x = np.ones((2, 4))
>>> bool(np.array_equal(load(path).predict(x), net.predict(x)))
True
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

import neuronlab
from neuronlab import activations
from neuronlab._files import atomic_open
from neuronlab.layers import LAYERS, Activation
from neuronlab.network import Sequential
from neuronlab.parameter import Parameter

__all__ = ["FORMAT_VERSION", "load", "read_metadata", "save"]

FORMAT_VERSION = 1
"""Version of the neuronlab layout inside the safetensors file."""

MAX_HEADER_BYTES = 100 * 2**20
"""Longest header accepted (100 MiB); longer ones are refused before being read."""

_MAX_NDIM = 32

# safetensors dtype code -> little-endian NumPy dtype.  Network parameters are floats,
# so only floating codes are read or written.
_DTYPES: dict[str, np.dtype] = {
    "F16": np.dtype("<f2"),
    "F32": np.dtype("<f4"),
    "F64": np.dtype("<f8"),
}
_CODES: dict[str, str] = {dtype.name: code for code, dtype in _DTYPES.items()}
_FLOAT_NAMES = frozenset(_CODES)

# Slack, in elements, that the size guard allows on top of the tensors in the file.
_SIZE_SLACK = 2**20


# -- saving -----------------------------------------------------------------------------


def save(model: Sequential, path: str | os.PathLike[str], *,
         metadata: dict[str, Any] | None = None, allow_nonfinite: bool = False) -> None:
    """Write ``model`` (architecture and weights) to a safetensors file at ``path``.

    Parameters
    ----------
    model : Sequential
        The network; every layer and activation must be a registered class, so that
        :func:`load` can rebuild it by name.
    path : str or path-like
        Destination.  An existing file is replaced atomically: a failed or interrupted
        save leaves it untouched and removes its temporary file.
    metadata : dict, optional
        Anything to keep with the weights (training configuration, scores ...).  It
        must be plain JSON: string keys; values ``None``, bool, int, finite float,
        str, and lists/tuples/dicts of those.  :func:`read_metadata` returns it.
    allow_nonfinite : bool, default False
        Write weights holding NaN or infinity (a diverged run kept for inspection).
        By default such a model is refused: it predicts NaN, and :func:`load` refuses
        it too unless given the same flag.

    Raises
    ------
    TypeError
        ``model`` is not a ``Sequential`` or ``metadata`` is not plain JSON (the
        message names the offending key); nothing is written then.
    ValueError
        The model cannot be rebuilt by :func:`load` (an unregistered layer or
        activation class, unnamed or duplicate parameter names), or holds NaN or
        infinite weights without ``allow_nonfinite=True``; nothing is written then.
    """
    metadata_strings, arrays = _checked_contents(model, metadata, allow_nonfinite)
    header: dict[str, Any] = {"__metadata__": metadata_strings}
    offset = 0
    for name, value in arrays.items():
        header[name] = {"dtype": _CODES[value.dtype.name], "shape": list(value.shape),
                        "data_offsets": [offset, offset + value.nbytes]}
        offset += value.nbytes
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)  # align the data, as safetensors does
    _atomic_write(path, [len(header_bytes).to_bytes(8, "little"), header_bytes],
                  arrays.values())


def _checked_contents(model: Sequential, metadata: dict[str, Any] | None,
                      allow_nonfinite: bool) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """What :func:`save` writes, checked: the ``__metadata__`` strings and the tensors
    by name (in parameter order).  Raises as :func:`save` documents."""
    if not isinstance(model, Sequential):
        raise TypeError(f"save() needs a neuronlab Sequential model, got {type(model).__name__}")
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise TypeError(f"metadata must be a dict, got {type(metadata).__name__}")
    _check_json(metadata, "metadata")
    _check_registered(model)
    architecture = model.get_config()
    try:
        architecture_json = json.dumps(architecture, allow_nan=False)
    except (TypeError, ValueError) as err:
        raise ValueError(f"the model's get_config() is not plain JSON ({err}); "
                         f"it cannot be saved") from err
    arrays = {name: np.asarray(p.value) for name, p in _named_parameters(model).items()}
    for name, value in arrays.items():
        if value.dtype.name not in _FLOAT_NAMES:
            raise ValueError(f"parameter {name!r} has dtype {value.dtype}; only "
                             f"{', '.join(sorted(_FLOAT_NAMES))} can be saved")
    if not allow_nonfinite:
        _check_finite_tensors(arrays, "the model holds", "save it anyway (a diverged run "
                              "kept for inspection) with save(..., allow_nonfinite=True)")
    metadata_strings = {
        "neuronlab_format": str(FORMAT_VERSION),
        "neuronlab_version": str(neuronlab.__version__),
        "architecture": architecture_json,
        "metadata": json.dumps(metadata, allow_nan=False),
    }
    return metadata_strings, arrays


def _check_finite_tensors(tensors: dict[str, np.ndarray], what: str, anyway: str) -> None:
    """Refuse tensors holding NaN or infinity, naming them (a ValueError: ``what`` they
    are, and how to go on ``anyway``)."""
    bad = {name: int(np.count_nonzero(~np.isfinite(value))) for name, value in tensors.items()
           if not np.isfinite(value).all()}
    if bad:
        listed = ", ".join(f"{name!r} ({count} of {tensors[name].size})"
                           for name, count in list(bad.items())[:5])
        more = f" and {len(bad) - 5} more" if len(bad) > 5 else ""
        raise ValueError(f"{what} non-finite weights (NaN or infinity) in {listed}{more}: "
                         f"such a model predicts NaN. Re-initialize or retrain it (a lower "
                         f"learning rate or gradient clipping avoids divergence), or "
                         f"{anyway}")


def _check_json(value: Any, where: str) -> None:
    """Raise TypeError naming ``where`` if ``value`` is not plain (round-trippable) JSON."""
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TypeError(f"{where} is {value!r}, which JSON cannot represent; "
                            f"store None or a string instead")
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"{where} has key {key!r} of type {type(key).__name__}; "
                                f"JSON keys must be strings")
            _check_json(item, f"{where}[{key!r}]")
        return
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            _check_json(item, f"{where}[{index}]")
        return
    hint = ""
    if isinstance(value, np.generic | np.ndarray):
        hint = " (convert NumPy values with .item() or .tolist())"
    raise TypeError(f"{where} is not JSON-serialisable: got {type(value).__name__} "
                    f"{value!r}{hint}")


def _check_registered(model: Sequential) -> None:
    """Refuse layers and activations that ``load`` could not rebuild by name."""
    for i, layer in enumerate(model.layers):
        name = getattr(type(layer), "name", None)
        if name not in LAYERS or LAYERS.cls(name) is not type(layer):
            raise ValueError(f"layer {i} is a {type(layer).__name__}, which is not registered "
                             f"in neuronlab.layers.LAYERS; load() could not rebuild it")
        if isinstance(layer, Activation):
            fn_name = getattr(type(layer.fn), "name", None)
            if (fn_name not in activations.REGISTRY
                    or activations.REGISTRY.cls(fn_name) is not type(layer.fn)):
                raise ValueError(f"layer {i} uses the activation {type(layer.fn).__name__}, "
                                 f"which is not registered in neuronlab.activations; "
                                 f"load() could not rebuild it")


def _named_parameters(model: Sequential) -> dict[str, Parameter]:
    """``{"layers.{i}.{name}": parameter}`` in parameter order."""
    named: dict[str, Parameter] = {}
    for i, layer in enumerate(model.layers):
        for parameter in layer.parameters():
            if not parameter.name:
                raise ValueError(f"layer {i} ({layer!r}) has a parameter without a name; "
                                 f"its tensor cannot be named")
            key = f"layers.{i}.{parameter.name}"
            if key in named:
                raise ValueError(f"layer {i} ({layer!r}) has two parameters named "
                                 f"{parameter.name!r}; tensor names must be unique")
            named[key] = parameter
    return named


def _le_bytes(value: np.ndarray) -> memoryview:
    """The raw bytes of ``value``, C-ordered and little-endian."""
    value = np.ascontiguousarray(value, dtype=value.dtype.newbyteorder("<"))
    return memoryview(value.reshape(-1).view(np.uint8))


def _atomic_write(path: str | os.PathLike[str], chunks: Iterable[bytes],
                  arrays: Iterable[np.ndarray]) -> None:
    """Write ``chunks`` then ``arrays`` to ``path`` atomically (:mod:`neuronlab._files`:
    a symlink stays a symlink, an existing file keeps its permissions, and on any
    exception whatever was at ``path`` is left as it was)."""
    with atomic_open(path) as f:
        for chunk in chunks:
            f.write(chunk)
        for value in arrays:
            if value.size:
                f.write(_le_bytes(value))


# -- loading ----------------------------------------------------------------------------


def load(path: str | os.PathLike[str], *, allow_nonfinite: bool = False) -> Sequential:
    """Rebuild the network saved at ``path`` by :func:`save`.

    The architecture is rebuilt through ``Sequential.from_config`` from registered
    names only, then every tensor is checked against it (names, shapes, dtypes)
    before the weights are read.  Nothing in the file is executed.  Weights holding
    NaN or infinity are refused (such a model predicts NaN) unless
    ``allow_nonfinite=True``, e.g. to inspect a diverged run saved with the same flag.

    Raises
    ------
    ValueError
        The file is not a valid safetensors file (bad header length, JSON, dtype,
        shape or offsets, truncated data, trailing bytes), not a neuronlab model,
        names an unknown layer or activation, holds tensors made for another
        architecture, or non-finite weights (without ``allow_nonfinite``).  The message
        names the file and the problem.
    """
    with open(path, "rb") as f:
        header = _read_header(f, path)
        model, parameters = _rebuild(header, path)
        for name, parameter in parameters.items():
            entry = header.tensors[name]
            f.seek(header.data_start + entry.begin)
            if not _read_into(f, parameter.value, entry):
                raise _bad(path, f"data is truncated inside tensor {name!r} "
                                 f"(the file changed while it was read?)")
    _check_loaded(parameters, path, allow_nonfinite)
    return model


def _read_into(f: BinaryIO, value: np.ndarray, entry: _Entry) -> bool:
    """Read the tensor ``entry`` from ``f``'s position into ``value`` (its shape, checked
    before); False when the file ends first.

    The bytes go straight into ``value``'s buffer when they are already its layout (C
    order, the same little-endian dtype): no temporary copy of the tensor.  Otherwise
    (a big-endian machine) they are read, then converted into ``value``."""
    nbytes = entry.end - entry.begin
    if value.dtype == entry.dtype and value.flags.c_contiguous:
        return f.readinto(memoryview(value.reshape(-1).view(np.uint8))) == nbytes
    raw = f.read(nbytes)
    if len(raw) != nbytes:
        return False
    np.copyto(value, np.frombuffer(raw, dtype=entry.dtype).reshape(entry.shape))
    return True


def _rebuild(header: _Header, path: str | os.PathLike[str]
             ) -> tuple[Sequential, dict[str, Parameter]]:
    """The network the validated ``header`` describes, its weights not yet read, and its
    parameters by tensor name (checked to match the header's names, shapes, dtypes).

    Its size is checked against the tensors in the file before ``from_config``
    allocates anything."""
    architecture = _architecture(header, path)
    _check_model_size(architecture, header, path)
    try:
        model = Sequential.from_config(architecture)
    except (TypeError, ValueError, KeyError, IndexError, AttributeError, OverflowError) as err:
        raise _bad(path, f"its architecture cannot be rebuilt: {err}") from err
    parameters = _named_parameters(model)
    _check_tensors_match(parameters, header, path)
    return model, parameters


def _check_loaded(parameters: dict[str, Parameter], path: str | os.PathLike[str],
                  allow_nonfinite: bool) -> None:
    """Refuse loaded weights holding NaN or infinity unless ``allow_nonfinite``."""
    if allow_nonfinite:
        return
    try:
        _check_finite_tensors({name: p.value for name, p in parameters.items()},
                              "it holds", "load it anyway with load(..., allow_nonfinite=True)")
    except ValueError as err:
        raise _bad(path, str(err)) from None


def read_metadata(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``metadata`` dict given to :func:`save`, read without loading any weights.

    The header is validated as in :func:`load` (so a damaged file is refused), but
    neither the network nor its tensors are built.
    """
    with open(path, "rb") as f:
        header = _read_header(f, path)
    _format_version(header, path)
    metadata = _json_field(header, "metadata", path)
    if not isinstance(metadata, dict):
        raise _bad(path, f"'metadata' must be a JSON object, got {type(metadata).__name__}")
    return metadata


@dataclass(frozen=True)
class _Entry:
    """One validated tensor entry of the header."""

    dtype: np.dtype
    shape: tuple[int, ...]
    begin: int
    end: int


@dataclass(frozen=True)
class _Header:
    tensors: dict[str, _Entry]
    metadata: dict[str, str]
    data_start: int
    data_length: int


def _bad(path: str | os.PathLike[str], problem: str) -> ValueError:
    return ValueError(f"cannot load {os.fspath(path)!r}: {problem}")


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key!r}")
        result[key] = value
    return result


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _read_header(f: BinaryIO, path: str | os.PathLike[str]) -> _Header:
    """Read and validate the header; no tensor data is read or allocated."""
    size = os.fstat(f.fileno()).st_size
    if size < 8:
        raise _bad(path, f"the file is {size} bytes long, too short for a safetensors file "
                         f"(which starts with an 8-byte header length)")
    n = int.from_bytes(f.read(8), "little")
    if n > MAX_HEADER_BYTES:
        raise _bad(path, f"header length {n} bytes is absurd (limit {MAX_HEADER_BYTES}); "
                         f"this is not a safetensors file")
    if n > size - 8:
        raise _bad(path, f"header length {n} bytes is larger than the rest of the file "
                         f"({size - 8} bytes); the file is truncated or not a safetensors file")
    raw = f.read(n)
    if len(raw) != n:
        raise _bad(path, "the header is truncated (the file changed while it was read?)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise _bad(path, f"the header is not valid UTF-8 ({err.reason} at byte "
                         f"{8 + err.start})") from err
    try:
        header = json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as err:
        raise _bad(path, f"the header is not valid JSON: {err}") from err
    if not isinstance(header, dict):
        raise _bad(path, f"the header must be a JSON object, got {type(header).__name__}")

    metadata = header.pop("__metadata__", {})
    if not isinstance(metadata, dict) or not all(
            isinstance(key, str) and isinstance(value, str) for key, value in metadata.items()):
        raise _bad(path, "'__metadata__' must be a JSON object mapping strings to strings")

    data_length = size - 8 - n
    tensors: dict[str, _Entry] = {}
    for name, info in header.items():
        tensors[name] = _entry(name, info, path)

    needed = sum(entry.end - entry.begin for entry in tensors.values())
    if needed > data_length:
        raise _bad(path, f"the tensor data is truncated: the header describes {needed} bytes "
                         f"of tensors but only {data_length} bytes follow it")
    for name, entry in tensors.items():
        if entry.end > data_length:
            raise _bad(path, f"tensor {name!r} has data_offsets [{entry.begin}, {entry.end}] "
                             f"out of range: the data section is {data_length} bytes long")
    position, previous = 0, None
    for name, entry in sorted(tensors.items(), key=lambda item: (item[1].begin, item[1].end)):
        if entry.begin < position:
            raise _bad(path, f"tensors {previous!r} and {name!r} have overlapping data_offsets "
                             f"(bytes {entry.begin} to {position} are claimed twice)")
        if entry.begin > position:
            raise _bad(path, f"{entry.begin - position} unused bytes between offset {position} "
                             f"and tensor {name!r}; safetensors data must be contiguous")
        position, previous = entry.end, name
    if position < data_length:
        raise _bad(path, f"{data_length - position} bytes of trailing garbage after the last "
                         f"tensor")
    return _Header(tensors, metadata, 8 + n, data_length)


def _entry(name: str, info: Any, path: str | os.PathLike[str]) -> _Entry:
    """Validate one ``{"dtype", "shape", "data_offsets"}`` header entry."""
    where = f"tensor {name!r}"
    if not isinstance(info, dict) or set(info) != {"dtype", "shape", "data_offsets"}:
        found = sorted(info) if isinstance(info, dict) else type(info).__name__
        raise _bad(path, f"{where}: an entry must be an object with exactly the keys "
                         f"'dtype', 'shape' and 'data_offsets', got {found}")
    code = info["dtype"]
    if code not in _DTYPES:
        raise _bad(path, f"{where}: dtype {code!r} is not allowed "
                         f"(allowed: {', '.join(_DTYPES)})")
    shape = info["shape"]
    if (not isinstance(shape, list) or len(shape) > _MAX_NDIM
            or not all(_is_int(dim) and dim >= 0 for dim in shape)):
        raise _bad(path, f"{where}: shape must be a list of at most {_MAX_NDIM} non-negative "
                         f"integers, got {shape!r}")
    offsets = info["data_offsets"]
    if (not isinstance(offsets, list) or len(offsets) != 2
            or not all(_is_int(offset) for offset in offsets)
            or not 0 <= offsets[0] <= offsets[1]):
        raise _bad(path, f"{where}: data_offsets must be [begin, end] with "
                         f"0 <= begin <= end, got {offsets!r}")
    dtype = _DTYPES[code]
    nbytes = dtype.itemsize * math.prod(shape)
    begin, end = offsets
    if end - begin != nbytes:
        raise _bad(path, f"{where}: data_offsets [{begin}, {end}] span {end - begin} bytes, "
                         f"but dtype {code} with shape {shape} needs {nbytes}")
    return _Entry(dtype, tuple(shape), begin, end)


def _format_version(header: _Header, path: str | os.PathLike[str]) -> int:
    version = header.metadata.get("neuronlab_format")
    if version is None:
        raise _bad(path, "it is a safetensors file but not a neuronlab model "
                         "('neuronlab_format' is missing from __metadata__)")
    if not version.isdigit():
        raise _bad(path, f"'neuronlab_format' must be an integer, got {version!r}")
    if int(version) > FORMAT_VERSION:
        raise _bad(path, f"it was written in neuronlab format {version}, newer than the "
                         f"format {FORMAT_VERSION} this version reads; upgrade neuronlab")
    return int(version)


def _json_field(header: _Header, key: str, path: str | os.PathLike[str]) -> Any:
    if key not in header.metadata:
        raise _bad(path, f"{key!r} is missing from __metadata__")
    try:
        return json.loads(header.metadata[key], object_pairs_hook=_no_duplicate_keys)
    except (ValueError, RecursionError) as err:
        raise _bad(path, f"{key!r} in __metadata__ is not valid JSON: {err}") from err


def _architecture(header: _Header, path: str | os.PathLike[str]) -> dict[str, Any]:
    _format_version(header, path)
    architecture = _json_field(header, "architecture", path)
    if not isinstance(architecture, dict) or not isinstance(architecture.get("layers"), list):
        raise _bad(path, "'architecture' must be a JSON object with a 'layers' list")
    return architecture


def _walk(value: Any) -> Iterable[tuple[Any, Any]]:
    """Every (key, value) pair of the dicts nested in ``value``; list items get key None."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                yield key, child
                stack.append(child)
        elif isinstance(item, list):
            for child in item:
                yield None, child
                stack.append(child)


def _check_model_size(architecture: dict[str, Any], header: _Header,
                      path: str | os.PathLike[str]) -> None:
    """Refuse architectures that would allocate far more than the file holds.

    ``from_config`` initializes every weight before the tensors are read, so a tiny
    file declaring ``Dense(10**6, 10**6)`` would otherwise exhaust memory.  Each layer
    may ask for about as many elements as the product of the integers in its config
    (``fan_in * fan_out`` for Dense); their sum must stay within the elements stored
    in the file (plus some slack), and every ``dtype`` must be a float type.
    """
    for key, value in _walk(architecture):
        if key == "dtype" and not (isinstance(value, str) and value in _FLOAT_NAMES):
            raise _bad(path, f"its architecture asks for dtype {value!r}; "
                             f"allowed: {', '.join(sorted(_FLOAT_NAMES))}")
    stored = sum(math.prod(entry.shape) for entry in header.tensors.values())
    limit = stored + _SIZE_SLACK
    requested = 0
    for layer in architecture["layers"]:
        size = 1
        for key, value in _walk(layer):
            if key != "seed" and _is_int(value) and value > 0:  # a seed is no size
                size *= value
                if size > limit:  # stop before the product grows huge
                    break
        requested += size
        if requested > limit:
            raise _bad(path, f"its architecture declares layers of more than {limit} elements "
                             f"but the file stores only {stored}; refusing to allocate them")


def _check_tensors_match(parameters: dict[str, Parameter], header: _Header,
                         path: str | os.PathLike[str]) -> None:
    problems = [f"missing tensor {name!r}" for name in parameters if name not in header.tensors]
    problems += [f"unexpected tensor {name!r}" for name in header.tensors
                 if name not in parameters]
    for name, parameter in parameters.items():
        entry = header.tensors.get(name)
        if entry is None:
            continue
        if entry.shape != parameter.value.shape:
            problems.append(f"tensor {name!r} has shape {list(entry.shape)}, the network "
                            f"needs {list(parameter.value.shape)}")
        if entry.dtype.name != parameter.value.dtype.name:
            problems.append(f"tensor {name!r} is {entry.dtype.name}, the network needs "
                            f"{parameter.value.dtype.name}")
    if problems:
        shown = "; ".join(problems[:5])
        more = f"; and {len(problems) - 5} more" if len(problems) > 5 else ""
        raise _bad(path, f"its tensors were made for another architecture: {shown}{more}")
