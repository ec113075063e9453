"""Tests of neuronlab.io: safetensors round trips, validation of hostile files, atomic saves."""

from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest
import safetensors.numpy as st_numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open

import neuronlab
from neuronlab import activations
from neuronlab import io as nio
from neuronlab.layers import Activation, Dense, Dropout, Maxout, PReLU
from neuronlab.network import MLP, Sequential

FLOATS = [np.float16, np.float32, np.float64]
HIDDEN = [*activations.names(), "maxout"]


def _x(model: Sequential, n: int = 7, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n, model.n_inputs))


def _assert_same_predictions(a: Sequential, b: Sequential, x: np.ndarray) -> None:
    ya, yb = a.predict(x), b.predict(x)
    assert ya.dtype == yb.dtype
    assert ya.tobytes() == yb.tobytes()  # bit-identical, not merely close


def _assert_same_parameters(a: Sequential, b: Sequential) -> None:
    assert len(a.parameters()) == len(b.parameters())
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert p.name == q.name and p.value.shape == q.value.shape
        assert p.value.dtype.name == q.value.dtype.name
        assert np.ascontiguousarray(p.value, p.value.dtype.newbyteorder("=")).tobytes() \
            == q.value.tobytes()


def _round_trip(model: Sequential, path, **kwargs) -> Sequential:
    nio.save(model, path, **kwargs)
    loaded = nio.load(path)
    _assert_same_parameters(model, loaded)
    _assert_same_predictions(model, loaded, _x(model))
    assert loaded.get_config() == model.get_config()
    return loaded


def _randomize(model: Sequential, seed: int = 1) -> Sequential:
    """Give every parameter (biases and PReLU slopes too) distinct random values."""
    rng = np.random.default_rng(seed)
    for p in model.parameters():
        p.value[...] = rng.normal(scale=0.5, size=p.value.shape)
    return model


def _needs_activation(name: str) -> None:
    if name not in activations.names():
        pytest.skip(f"activation {name!r} is not registered yet")


# -- raw file helpers ------------------------------------------------------------------


def _parse(path) -> tuple[dict, bytes]:
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    return json.loads(raw[8:8 + n]), raw[8 + n:]


def _write(path, header: dict | bytes, data: bytes = b"") -> None:
    text = header if isinstance(header, bytes) else json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(len(text).to_bytes(8, "little") + text + data)


def _edit_architecture(path, edit) -> None:
    header, data = _parse(path)
    architecture = json.loads(header["__metadata__"]["architecture"])
    edit(architecture)
    header["__metadata__"]["architecture"] = json.dumps(architecture)
    _write(path, header, data)


@pytest.fixture
def saved(tmp_path):
    """A small float32 model saved to disk: (model, path)."""
    model = MLP([3, 4, 2], activation="tanh", output="softmax", seed=0)
    path = tmp_path / "model.safetensors"
    nio.save(model, path, metadata={"epochs": 3})
    return model, path


# -- round trips -------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
@pytest.mark.parametrize("hidden", HIDDEN)
def test_mlp_round_trip_is_bit_identical(tmp_path, hidden, dtype):
    model = MLP([5, 6, 4, 3], activation=hidden, output="softmax", dropout=0.25, dtype=dtype,
                seed=3, bias_init=0.01)
    loaded = _round_trip(_randomize(model), tmp_path / "m.safetensors")
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]
    assert loaded.dtype == np.dtype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_every_layer_type_round_trips(tmp_path, dtype):
    layers = [Maxout(4, 5, k=3, dtype=dtype, seed=0), Dropout(0.5, seed=1),
              Dense(5, 6, dtype=dtype, seed=2), Activation("relu"),
              Dense(6, 2, dtype=dtype, seed=3), Activation("sigmoid")]
    model = _randomize(Sequential(layers, dtype))
    loaded = _round_trip(model, tmp_path / "m.safetensors")
    assert isinstance(loaded.layers[0], Maxout) and loaded.layers[0].k == 3
    assert isinstance(loaded.layers[1], Dropout) and loaded.layers[1].rate == 0.5


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shared", [True, False])
def test_prelu_layer_round_trips_its_learned_slopes(tmp_path, dtype, shared):
    _needs_activation("prelu")
    prelu = PReLU(alpha=0.2, shared=shared)
    prelu.build(6, np.dtype(dtype))
    model = _randomize(Sequential([Dense(4, 6, dtype=dtype, seed=0), prelu,
                                   Dense(6, 3, dtype=dtype, seed=1)], dtype))
    assert prelu.parameters(), "PReLU must own its slope as a Parameter"
    loaded = _round_trip(model, tmp_path / "m.safetensors")
    assert isinstance(loaded.layers[1], PReLU)
    alpha = loaded.layers[1].parameters()[0].value
    assert alpha.size == (1 if shared else 6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_per_unit_prelu_activation_in_mlp_round_trips(tmp_path, dtype):
    _needs_activation("prelu")
    model = _randomize(MLP([4, 5, 5, 2], activation="prelu", shared=False, dtype=dtype, seed=0))
    _round_trip(model, tmp_path / "m.safetensors")


def test_activation_hyper_parameters_round_trip(tmp_path):
    _needs_activation("leaky_relu")
    model = _randomize(MLP([3, 5, 2], activation="leaky_relu", alpha=0.3, seed=0))
    loaded = _round_trip(model, tmp_path / "m.safetensors")
    assert loaded.layers[1].get_config() == model.layers[1].get_config()


def test_big_endian_weights_are_stored_little_endian(tmp_path):
    model = _randomize(MLP([3, 4, 2], activation="tanh", seed=0))
    for p in model.parameters():
        p.value = p.value.astype(">f4")
    loaded = _round_trip(model, tmp_path / "m.safetensors")
    for p in loaded.parameters():
        assert p.value.dtype.isnative and p.value.flags.writeable


def test_loaded_parameters_are_writable_and_independent(tmp_path, saved):
    _, path = saved
    a, b = nio.load(path), nio.load(path)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert p.value.flags.writeable and p.value.flags.c_contiguous
        assert p.grad.shape == p.value.shape
        p.value += 1
        assert not np.array_equal(p.value, q.value)


def test_tensors_are_named_by_layer_and_parameter_in_order(saved):
    model, path = saved
    header, _ = _parse(path)
    assert list(header)[0] == "__metadata__"
    assert list(header)[1:] == ["layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"]
    meta = header["__metadata__"]
    assert meta["neuronlab_format"] == str(nio.FORMAT_VERSION)
    assert meta["neuronlab_version"] == neuronlab.__version__
    assert json.loads(meta["architecture"]) == model.get_config()
    assert json.loads(meta["metadata"]) == {"epochs": 3}


def test_load_uses_no_pickle(monkeypatch, saved):
    model, path = saved

    def forbidden(*args, **kwargs):
        raise AssertionError("load must not unpickle anything")

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, forbidden)
    monkeypatch.setattr(np, "load", forbidden)
    _assert_same_predictions(model, nio.load(path), _x(model))


# -- interoperability with the safetensors library ----------------------------------------


@pytest.mark.parametrize("dtype", FLOATS)
def test_safetensors_library_reads_saved_file(tmp_path, dtype):
    # neuronlab writes the format itself (see benchmarks/README.md, "io"): the real
    # library, a test dependency only, checks that the files stay standard
    model = _randomize(MLP([3, 4, 2], activation="prelu", shared=False, dtype=dtype, seed=0))
    path = tmp_path / "model.safetensors"
    nio.save(model, path, metadata={"epochs": 3})
    tensors = st_numpy.load_file(path)
    names = ["layers.0.W", "layers.0.b", "layers.1.alpha", "layers.2.W", "layers.2.b"]
    assert sorted(tensors) == names
    for i, layer in enumerate(model.layers):
        for p in layer.parameters():
            stored = tensors[f"layers.{i}.{p.name}"]
            assert stored.dtype == np.dtype(dtype) and stored.tobytes() == p.value.tobytes()
    with safe_open(path, framework="numpy") as f:
        meta = f.metadata()
    assert json.loads(meta["metadata"]) == {"epochs": 3}
    assert json.loads(meta["architecture"]) == model.get_config()


@pytest.mark.parametrize("dtype", FLOATS)
def test_load_reads_file_written_by_safetensors_library(tmp_path, dtype):
    model = _randomize(MLP([4, 6, 3], activation="relu", dtype=dtype, seed=0))
    tensors = {f"layers.{i}.{p.name}": p.value for i, layer in enumerate(model.layers)
               for p in layer.parameters()}
    path = tmp_path / "external.safetensors"
    st_numpy.save_file(tensors, path, metadata={
        "neuronlab_format": "1", "architecture": json.dumps(model.get_config()),
        "metadata": json.dumps({"source": "safetensors"})})
    _assert_same_parameters(model, nio.load(path))
    _assert_same_predictions(model, nio.load(path), _x(model))
    assert nio.read_metadata(path) == {"source": "safetensors"}


def test_neuronlab_does_not_import_the_safetensors_library():
    # the runtime dependency was dropped: the package must work without it
    code = ("import sys; sys.modules['safetensors'] = None; import neuronlab, neuronlab.cli; "
            "from neuronlab import io; print('ok')")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-2000:]


def test_load_reads_tensors_into_the_network_without_a_copy(tmp_path, monkeypatch):
    # the bytes go straight into the parameters' buffers (readinto): a 2 MB weight
    # matrix used to pass through a 2 MB bytes object first.  What load allocates after
    # the network is built: the finite check's boolean mask (1 byte per element, 1/8 of
    # a float64 tensor) and small objects
    model = _randomize(MLP([512, 512, 2], dtype=np.float64, seed=0))
    path = tmp_path / "m.safetensors"
    nio.save(model, path)
    built = {}
    original = Sequential.from_config

    def from_config(config):
        network = original(config)
        built["traced"] = tracemalloc.get_traced_memory()[0]
        tracemalloc.reset_peak()
        return network

    monkeypatch.setattr(Sequential, "from_config", staticmethod(from_config))
    tracemalloc.start()
    try:
        loaded = nio.load(path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    _assert_same_parameters(model, loaded)
    assert peak - built["traced"] < model.layers[0].W.value.nbytes / 4


@pytest.mark.parametrize("contiguous", [True, False])
def test_reading_a_tensor_into_another_layout_converts_and_sees_truncation(tmp_path,
                                                                          contiguous):
    # the other path of _read_into (a big-endian machine's native arrays, or a target
    # that is not C-ordered): read, then converted into the target
    values = np.arange(12, dtype="<f4").reshape(3, 4)
    path = tmp_path / "raw"
    path.write_bytes(values.tobytes())
    entry = nio._Entry(np.dtype("<f4"), (3, 4), 0, values.nbytes)
    target = np.zeros((3, 4), ">f4") if contiguous else np.zeros((4, 3), "<f4").T
    with open(path, "rb") as f:
        assert nio._read_into(f, target, entry)
    np.testing.assert_array_equal(target, values)
    path.write_bytes(values.tobytes()[:-4])
    for target in (np.zeros((3, 4), "<f4"), np.zeros((3, 4), ">f4")):
        with open(path, "rb") as f:
            assert not nio._read_into(f, target, entry)


# -- metadata ----------------------------------------------------------------------------


def test_metadata_round_trips(tmp_path):
    model = MLP([2, 3, 1], activation="tanh", output="sigmoid", seed=0)
    metadata = {"optimizer": {"name": "adam", "lr": 1e-3, "betas": [0.9, 0.999]},
                "epochs": 20, "seed": 2**70, "early_stopping": None, "shuffle": True,
                "note": "épreuve ✓", "history": [0.7, 0.5, 0.31]}
    path = tmp_path / "m.safetensors"
    nio.save(model, path, metadata=metadata)
    assert nio.read_metadata(path) == metadata


def test_metadata_defaults_to_empty_and_tuples_become_lists(tmp_path):
    model = MLP([2, 3, 1], seed=0)
    nio.save(model, tmp_path / "a.safetensors")
    assert nio.read_metadata(tmp_path / "a.safetensors") == {}
    nio.save(model, tmp_path / "b.safetensors", metadata={"sizes": (2, 3, 1)})
    assert nio.read_metadata(tmp_path / "b.safetensors") == {"sizes": [2, 3, 1]}


def test_read_metadata_does_not_build_the_model(monkeypatch, saved):
    _, path = saved

    def forbidden(config):
        raise AssertionError("read_metadata must not rebuild the network")

    monkeypatch.setattr(Sequential, "from_config", staticmethod(forbidden))
    assert nio.read_metadata(path) == {"epochs": 3}


@pytest.mark.parametrize(("metadata", "message"), [
    ({"lr": np.float32(0.1)}, r"metadata\['lr'\] is not JSON-serialisable.*float32.*\.item\(\)"),
    ({"opt": {"decay": {0.1, 0.2}}}, r"metadata\['opt'\]\['decay'\] is not JSON-serialisable"),
    ({"hist": [1.0, float("nan")]}, r"metadata\['hist'\]\[1\] is nan"),
    ({"best": float("inf")}, r"metadata\['best'\] is inf"),
    ({"fn": print}, r"metadata\['fn'\] is not JSON-serialisable"),
    ({"by_epoch": {1: 0.5}}, r"metadata\['by_epoch'\] has key 1 of type int"),
    ([("a", 1)], r"metadata must be a dict"),
])
def test_non_json_metadata_is_refused_before_writing(tmp_path, saved, metadata, message):
    model, path = saved
    before = path.read_bytes()
    with pytest.raises(TypeError, match=message):
        nio.save(model, path, metadata=metadata)
    assert path.read_bytes() == before
    new = tmp_path / "new.safetensors"
    with pytest.raises(TypeError):
        nio.save(model, new, metadata=metadata)
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors"]


def test_save_refuses_non_model(tmp_path):
    with pytest.raises(TypeError, match="needs a neuronlab Sequential model, got dict"):
        nio.save({"W": np.zeros(3)}, tmp_path / "m.safetensors")


def test_save_refuses_unregistered_layer_and_activation_classes(tmp_path):
    class MyDense(Dense):
        pass

    class MyTanh(activations.Tanh):
        pass

    with pytest.raises(ValueError, match="MyDense, which is not registered"):
        nio.save(Sequential([MyDense(2, 2)]), tmp_path / "a.safetensors")
    with pytest.raises(ValueError, match="MyTanh, which is not registered"):
        nio.save(Sequential([Dense(2, 2), Activation(MyTanh())]), tmp_path / "b.safetensors")
    assert os.listdir(tmp_path) == []


# -- atomic writes -----------------------------------------------------------------------


def test_save_leaves_no_temporary_files(tmp_path, saved):
    model, path = saved
    nio.save(model, path)  # overwrite
    nio.save(model, str(tmp_path / "second.safetensors"))
    assert sorted(os.listdir(tmp_path)) == ["model.safetensors", "second.safetensors"]


@pytest.mark.parametrize("error", [KeyboardInterrupt(), OSError("disk full")])
def test_interrupted_save_keeps_old_file_and_removes_temp(monkeypatch, tmp_path, saved, error):
    _, path = saved
    before = path.read_bytes()
    other = _randomize(MLP([3, 8, 8, 2], seed=5))
    real, calls = nio._le_bytes, []

    def fail_on_second_tensor(value):
        calls.append(value)
        if len(calls) == 2:  # header and first tensor written, temp file exists
            assert len(os.listdir(tmp_path)) == 2
            raise error
        return real(value)

    monkeypatch.setattr(nio, "_le_bytes", fail_on_second_tensor)
    with pytest.raises(type(error)):
        nio.save(other, path)
    assert len(calls) == 2
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_failure_at_fsync_or_rename_keeps_old_file(monkeypatch, tmp_path, saved, step):
    _, path = saved
    before = path.read_bytes()

    def fail(*args, **kwargs):
        raise OSError(f"{step} failed")

    monkeypatch.setattr(os, step, fail)
    with pytest.raises(OSError, match=f"{step} failed"):
        nio.save(MLP([3, 5, 2], seed=9), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["model.safetensors"]


def test_save_into_missing_directory_fails_cleanly(tmp_path, saved):
    model, _ = saved
    with pytest.raises(FileNotFoundError):
        nio.save(model, tmp_path / "nowhere" / "m.safetensors")
    assert os.listdir(tmp_path) == ["model.safetensors"]


# -- malformed files ---------------------------------------------------------------------


def _corrupt(path, how: str) -> None:
    """Damage the safetensors structure of the saved file at ``path`` in one way."""
    header, data = _parse(path)
    names = [name for name in header if name != "__metadata__"]
    first, last = header[names[0]], header[names[-1]]
    raw = path.read_bytes()
    if how == "header longer than file":
        path.write_bytes((len(raw) + 100).to_bytes(8, "little") + raw[8:])
    elif how == "absurd header length":
        path.write_bytes((2**40).to_bytes(8, "little") + raw[8:])
    elif how == "too short":
        path.write_bytes(raw[:5])
    elif how == "truncated data":
        path.write_bytes(raw[:-4])
    elif how == "trailing garbage":
        path.write_bytes(raw + b"\x00garbage")
    elif how == "out-of-range offsets":
        span = last["data_offsets"][1] - last["data_offsets"][0]
        last["data_offsets"] = [len(data) + 64, len(data) + 64 + span]
        _write(path, header, data)
    elif how == "overlapping offsets":
        last["data_offsets"] = [o - 4 for o in last["data_offsets"]]
        _write(path, header, data)
    elif how == "gap between tensors":
        last["data_offsets"] = [o + 4 for o in last["data_offsets"]]
        _write(path, header, data + b"\x00" * 4)
    elif how == "offsets not matching shape":
        first["shape"] = [first["shape"][0] + 1, *first["shape"][1:]]
        _write(path, header, data)
    elif how == "negative shape":
        first["shape"] = [-1, *first["shape"][1:]]
        _write(path, header, data)
    elif how == "float shape":
        first["shape"] = [float(d) for d in first["shape"]]
        _write(path, header, data)
    elif how == "reversed offsets":
        first["data_offsets"] = first["data_offsets"][::-1]
        _write(path, header, data)
    elif how == "unknown dtype":
        first["dtype"] = "BF16"
        _write(path, header, data)
    elif how == "extra entry key":
        first["pickle"] = "cos\nsystem\n"
        _write(path, header, data)
    elif how == "bad JSON":
        _write(path, b'{"layers.0.W": {"dtype": "F32", ', data)
    elif how == "invalid UTF-8":
        _write(path, b'{"\xff\xfe": {}}', data)
    elif how == "duplicate key":
        text = json.dumps(header)
        _write(path, (text[:-1] + ', "__metadata__": {}}').encode(), data)
    elif how == "header not an object":
        _write(path, b"[1, 2, 3]", data)
    elif how == "metadata not strings":
        header["__metadata__"]["neuronlab_format"] = 1
        _write(path, header, data)
    else:  # pragma: no cover
        raise AssertionError(how)


@pytest.mark.parametrize(("how", "message"), [
    ("header longer than file", r"header length \d+ bytes is larger than the rest of the file"),
    ("absurd header length", r"header length 1099511627776 bytes is absurd"),
    ("too short", r"5 bytes long, too short for a safetensors file"),
    ("truncated data", r"tensor data is truncated: .* only \d+ bytes follow"),
    ("trailing garbage", r"8 bytes of trailing garbage after the last tensor"),
    ("out-of-range offsets", r"tensor 'layers.2.b' has data_offsets \[\d+, \d+\] out of range"),
    ("overlapping offsets", r"tensors 'layers.2.W' and 'layers.2.b' have overlapping"),
    ("gap between tensors", r"4 unused bytes between offset \d+ and tensor 'layers.2.b'"),
    ("offsets not matching shape", r"tensor 'layers.0.W': data_offsets \[0, 48\] span 48 "
                                   r"bytes, but dtype F32 with shape \[4, 4\] needs 64"),
    ("negative shape", r"tensor 'layers.0.W': shape must be a list of .* non-negative"),
    ("float shape", r"tensor 'layers.0.W': shape must be a list of .* integers"),
    ("reversed offsets", r"tensor 'layers.0.W': data_offsets must be \[begin, end\]"),
    ("unknown dtype", r"tensor 'layers.0.W': dtype 'BF16' is not allowed \(allowed: F16, F32"),
    ("extra entry key", r"tensor 'layers.0.W': an entry must be an object with exactly"),
    ("bad JSON", r"the header is not valid JSON"),
    ("invalid UTF-8", r"the header is not valid UTF-8"),
    ("duplicate key", r"not valid JSON: duplicate key '__metadata__'"),
    ("header not an object", r"the header must be a JSON object, got list"),
    ("metadata not strings", r"'__metadata__' must be a JSON object mapping strings to strings"),
])
def test_malformed_safetensors_is_refused(saved, how, message):
    _, path = saved
    _corrupt(path, how)
    for reader in (nio.load, nio.read_metadata):
        with pytest.raises(ValueError, match=message) as info:
            reader(path)
        assert str(path) in str(info.value), "the error must name the file"


def test_foreign_safetensors_file_is_not_a_neuronlab_model(tmp_path):
    path = tmp_path / "weights.safetensors"
    st_numpy.save_file({"w": np.zeros(3, np.float32)}, path)
    for reader in (nio.load, nio.read_metadata):
        with pytest.raises(ValueError, match="not a neuronlab model"):
            reader(path)


def test_newer_format_is_refused(saved):
    _, path = saved
    header, data = _parse(path)
    header["__metadata__"]["neuronlab_format"] = str(nio.FORMAT_VERSION + 1)
    _write(path, header, data)
    with pytest.raises(ValueError, match="newer than the format 1 this version reads"):
        nio.load(path)


def _dense(fan_in, fan_out, **extra):
    return {"type": "dense", "config": {"fan_in": fan_in, "fan_out": fan_out,
                                        "dtype": "float32", **extra}}


@pytest.mark.parametrize(("edit", "message"), [
    (lambda a: a["layers"].insert(1, {"type": "conv9", "config": {}}),
     r"cannot be rebuilt: unknown layer 'conv9'"),
    (lambda a: a["layers"][1]["config"].update(activation="os.system"),
     r"cannot be rebuilt: unknown activation 'os.system'"),
    (lambda a: a["layers"][1]["config"].update(activation="tahn"),
     r"unknown activation 'tahn'. Did you mean 'tanh'\?"),
    (lambda a: a["layers"][0]["config"].update(evil="__import__('os')"),
     r"cannot be rebuilt: .*unexpected keyword argument 'evil'"),
    (lambda a: a.pop("layers"), r"'architecture' must be a JSON object with a 'layers' list"),
    (lambda a: a["layers"].__setitem__(0, _dense(10**6, 10**6)),
     r"declares layers of more than \d+ elements .* refusing to allocate"),
    (lambda a: a["layers"][0]["config"].update(dtype="V1000000"),
     r"architecture asks for dtype 'V1000000'"),
    (lambda a: a.update(dtype="object"), r"architecture asks for dtype 'object'"),
])
def test_unbuildable_architecture_is_refused(saved, edit, message):
    _, path = saved
    _edit_architecture(path, edit)
    with pytest.raises(ValueError, match=message) as info:
        nio.load(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize(("expression", "message"), [
    ("exp(sin(exp(x)))", r"cannot be evaluated at x = 794.3.*sin of a number beyond"),
    ("exp(" * 7 + "x" + ")" * 7, r"nests 7 function calls inside each other"),
])
def test_model_file_with_a_hostile_formula_is_refused(tmp_path, expression, message):
    # a 1 KB file whose activation formula took SymPy minutes to evaluate: refused by the
    # formula's bounds (see test_formula's hostile list), naming the file
    model = MLP([3, 4, 2], activation="x * sigmoid(x)", seed=0)
    path = tmp_path / "hostile.safetensors"
    nio.save(model, path)
    _edit_architecture(path, lambda a: a["layers"][1]["config"].update(expression=expression))
    with pytest.raises(ValueError, match=message) as info:
        nio.load(path)
    assert str(path) in str(info.value) and "architecture cannot be rebuilt" in str(info.value)


@pytest.mark.parametrize(("value", "message"), [
    (50000.0, r"Maxout units must be an integer, got float 50000.0"),
    (1e9, r"Maxout units must be an integer, got float 1000000000.0"),
    (True, r"Maxout units must be an integer, got bool True"),
    (-4, r"Maxout units must be an integer >= 1, got -4"),
])
def test_every_size_in_a_file_is_an_integer_in_range_before_anything_is_allocated(
        tmp_path, monkeypatch, value, message):
    # a float size slipped past the allocation guard (which multiplies the integers)
    # and was int()-ed by Maxout: 613 MB from a 788-byte file, or a raw MemoryError
    model = MLP([3, 4, 2], activation="maxout", seed=0)
    path = tmp_path / "sizes.safetensors"
    nio.save(model, path)
    _edit_architecture(path, lambda a: a["layers"][0]["config"].update(units=value))
    allocated = []  # the Dense layers built (Maxout's pieces are one): none may be
    original = Dense.__init__
    monkeypatch.setattr(Dense, "__init__",
                        lambda self, *a, **k: allocated.append(a) or original(self, *a, **k))
    with pytest.raises(ValueError, match=message) as info:
        nio.load(path)
    assert str(path) in str(info.value) and not allocated


def _set_dtype(architecture, dtype):
    architecture["dtype"] = dtype
    for layer in architecture["layers"]:
        if "dtype" in layer["config"]:
            layer["config"]["dtype"] = dtype


@pytest.mark.parametrize(("edit", "message"), [
    (lambda a: a["layers"][0]["config"].update(fan_out=5),
     r"architecture cannot be rebuilt: layer Dense\(fan_in=4, .*\) expects 4 inputs but the "
     r"layer before it gives 5"),
    (lambda a: [a["layers"][0]["config"].update(fan_out=5),
                a["layers"][2]["config"].update(fan_in=5)],
     r"made for another architecture: tensor 'layers.0.W' has shape \[3, 4\], the network "
     r"needs \[3, 5\]; tensor 'layers.0.b' has shape \[4\], the network needs \[5\]"),
    (lambda a: a["layers"].append(_dense(2, 2)),
     r"made for another architecture: missing tensor 'layers.4.W'; missing tensor 'layers.4.b'"),
    (lambda a: a["layers"].insert(1, {"type": "dropout", "config": {"rate": 0.1}}),
     r"made for another architecture: missing tensor 'layers.3.W'; missing tensor "
     r"'layers.3.b'; unexpected tensor 'layers.2.W'; unexpected tensor 'layers.2.b'"),
    (lambda a: _set_dtype(a, "float64"),
     r"made for another architecture: tensor 'layers.0.W' is float32, the network needs "
     r"float64"),
])
def test_tensors_for_another_architecture_are_refused(saved, edit, message):
    _, path = saved
    _edit_architecture(path, edit)
    with pytest.raises(ValueError, match=message):
        nio.load(path)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_weights_are_never_saved_or_loaded_without_the_flag(tmp_path, saved, bad):
    model, path = saved
    before = path.read_bytes()
    model.layers[0].b.value[1] = bad
    with pytest.raises(ValueError, match=r"non-finite weights \(NaN or infinity\) in "
                                         r"'layers.0.b' \(1 of 4\).*allow_nonfinite=True"):
        nio.save(model, path)
    assert path.read_bytes() == before  # nothing written
    nio.save(model, path, allow_nonfinite=True)  # asked for explicitly: a diverged run
    with pytest.raises(ValueError, match=rf"cannot load '{path}': it holds non-finite "
                                         r"weights .* in 'layers.0.b'"):
        nio.load(path)
    loaded = nio.load(path, allow_nonfinite=True)
    np.testing.assert_array_equal(loaded.layers[0].b.value, model.layers[0].b.value)


def test_extra_tensor_is_refused(saved):
    _, path = saved
    header, data = _parse(path)
    header["layers.1.alpha"] = {"dtype": "F32", "shape": [1],
                                "data_offsets": [len(data), len(data) + 4]}
    _write(path, header, data + np.float32(0.25).tobytes())
    with pytest.raises(ValueError, match=r"another architecture: unexpected tensor "
                                         r"'layers.1.alpha'"):
        nio.load(path)


# -- property test -----------------------------------------------------------------------


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
       hidden=st.sampled_from(HIDDEN),
       output=st.sampled_from([None, "softmax", "sigmoid", "tanh"]),
       dtype=st.sampled_from([np.float32, np.float64]),
       dropout=st.sampled_from([0.0, 0.3]),
       seed=st.integers(0, 2**32 - 1))
def test_property_save_load_gives_identical_predictions(tmp_path_factory, sizes, hidden,
                                                        output, dtype, dropout, seed):
    model = _randomize(MLP(sizes, activation=hidden, output=output, dropout=dropout,
                           dtype=dtype, seed=seed), seed)
    directory = tmp_path_factory.mktemp("prop")
    path = directory / "m.safetensors"
    nio.save(model, path, metadata={"sizes": sizes, "seed": seed})
    loaded = nio.load(path)
    _assert_same_parameters(model, loaded)
    _assert_same_predictions(model, loaded, _x(model, seed=seed))
    assert nio.read_metadata(path) == {"sizes": sizes, "seed": seed}
    assert os.listdir(directory) == ["m.safetensors"]


def test_non_contiguous_weights_are_saved_in_their_logical_order(tmp_path):
    # safetensors 0.8's own numpy writer stores a Fortran-ordered or strided array's raw
    # memory (safetensors issue 825); neuronlab writes every tensor C-ordered
    model = _randomize(MLP([5, 4, 3], activation="tanh", seed=0))
    model.layers[0].W.value = np.asfortranarray(model.layers[0].W.value)
    model.layers[2].W.value = np.ascontiguousarray(
        np.repeat(model.layers[2].W.value, 2, axis=1))[:, ::2]
    assert not model.layers[0].W.value.flags.c_contiguous
    assert not model.layers[2].W.value.flags.c_contiguous
    path = tmp_path / "m.safetensors"
    _round_trip(model, path)
    np.testing.assert_array_equal(st_numpy.load_file(path)["layers.0.W"],
                                  model.layers[0].W.value)
