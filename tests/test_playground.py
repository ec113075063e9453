"""The playground: message schema, data, the session's numbers against the engine,
the server over HTTP and WebSocket, and the page in a real headless browser."""

from __future__ import annotations

import contextlib
import json
import socket
import time

import numpy as np
import pytest

from neuronlab import train as training
from neuronlab.layers import Activation, Dense
from neuronlab.playground import datasets, schema
from neuronlab.playground.schema import MessageError, parse_message, validate_config
from neuronlab.playground.session import Session

# -- the schema -------------------------------------------------------------------------


def test_a_config_gets_defaults_and_keeps_what_was_given():
    config = validate_config({"dataset": "moons", "lr": 0.1,
                              "layers": [{"width": 3, "activation": "x * tanh(x)"}]})
    assert config["dataset"] == "moons" and config["lr"] == 0.1
    assert config["layers"] == [{"width": 3, "activation": "x * tanh(x)"}]
    assert set(config) == set(schema.FIELDS)


@pytest.mark.parametrize("message, says", [
    ("{not json", "not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ('{"type": "fly"}', "unknown message type 'fly'"),
    ('{"type": "play", "speed": 3}', "unknown field 'speed' in a 'play' message"),
    ('{"type": "trace"}', "needs the field 'sample'"),
    ('{"type": "trace", "sample": "3"}', "sample must be an integer"),
    ('{"type": "trace", "sample": true}', "sample must be an integer"),
    ('{"type": "config", "config": {"dataset": "mnist"}}', "dataset must be one of"),
    ('{"type": "config", "config": {"colour": 1}}', "unknown field 'colour' in config"),
    ('{"type": "config", "config": {"lr": NaN}}', "lr must be between"),
    ('{"type": "config", "config": {"lr": -1}}', "lr must be between"),
    ('{"type": "config", "config": {"features": []}}', "features must be a non-empty"),
    ('{"type": "config", "config": {"features": ["x1", "x1"]}}', "must not repeat"),
    ('{"type": "config", "config": {"features": ["x3"]}}', "unknown feature 'x3'"),
    ('{"type": "config", "config": {"layers": [{"width": 99, "activation": "relu"}]}}',
     "width of hidden layer 1 must be between 1 and 16"),
    ('{"type": "config", "config": {"layers": [{"width": 2}]}}', "activation of hidden layer 1"),
    ('{"type": "config", "config": {"layers": [{"width": 2, "activation": "relu", "k": 2}]}}',
     "unknown field 'k' in hidden layer 1"),
    (json.dumps({"type": "config", "config": {"layers": [{"width": 2, "activation": "relu"}]
                                              * (schema.MAX_LAYERS + 1)}}),
     f"at most {schema.MAX_LAYERS} hidden layers"),
    (json.dumps({"type": "config", "config": {"layers": [
        {"width": 2, "activation": "x+" * schema.MAX_FORMULA_LENGTH + "x"}]}}),
     f"at most {schema.MAX_FORMULA_LENGTH}"),
    ('{"type": "config", "config": {"layers": [{"width": 2, "activation": "softmax"}]}}',
     "hidden layer 1: softmax couples the units of a layer"),
    ('{"type": "config", "config": {"output": "relu"}}', "output must be one of sigmoid, "
                                                          "softmax"),
    ('{"type": "csv", "text": 3}', "csv text must be a string"),
    (json.dumps({"type": "csv", "text": "1,2,0\n" * (schema.MAX_CSV_BYTES // 6 + 1)}),
     "bytes refused"),
    ("x" * (schema.MAX_MESSAGE_BYTES + 1), "bytes refused"),
])
def test_bad_messages_are_refused_with_what_to_change(message, says):
    with pytest.raises(MessageError) as info:
        parse_message(message)
    assert says in str(info.value)


def test_every_message_type_has_a_handler_in_the_session():
    handled = {"config", "csv", "play", "pause", "step", "reset", "trace"}
    assert set(schema.MESSAGES) == handled


# -- the data ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(datasets.GENERATORS))
def test_generated_sets_fill_the_square_with_their_targets(name):
    points, targets = datasets.generate(name, 201, 0.1, seed=3)
    assert points.shape == (201, 2) and targets.shape == (201,)
    assert np.abs(points).max() <= datasets.DOMAIN
    if name == "plane":
        assert len(np.unique(targets)) > 2
    else:
        assert set(np.unique(targets).tolist()) == {0.0, 1.0}
    again, _ = datasets.generate(name, 201, 0.1, seed=3)
    np.testing.assert_array_equal(points, again)  # seeded


def test_features_are_computed_from_the_point():
    point = np.array([[0.5, -2.0]])
    row = datasets.features(point, list(schema.FEATURES))[0]
    expected = [0.5, -2.0, 0.25, 4.0, -1.0, np.sin(0.5), np.sin(-2.0)]
    np.testing.assert_allclose(row, expected, rtol=1e-6)  # float32 of float64 values


def test_a_csv_is_read_scaled_and_typed():
    points, labels, regression = datasets.read_csv("x1,x2,y\n1,0,-1\n0,2,1\n-1,1,1\n0,0,-1\n")
    assert not regression and labels.tolist() == [0.0, 1.0, 1.0, 0.0]
    assert np.abs(points).max() == datasets.DOMAIN
    _, targets, regression = datasets.read_csv("0,0,0.5\n1,1,2\n2,0,1\n0,2,3\n")
    assert regression and targets.tolist() == [0.5, 2.0, 1.0, 3.0]


@pytest.mark.parametrize("text, says", [
    ("1,2\n3,4\n", "line 1 has 2 columns"),
    ("x1,x2,y\n1,2,0\n1,b,1\n", "line 3 holds a value that is not a number"),
    ("1,2,0\n1,nan,1\n1,1,1\n2,2,0\n", "line 2 holds NaN"),
    ("1,2,0\n", "at least 4"),
    ("", "at least 4"),
    ("1,1,0\n" * (schema.MAX_CSV_ROWS + 1), f"more than {schema.MAX_CSV_ROWS} rows"),
])
def test_a_bad_csv_says_which_line_is_wrong(text, says):
    with pytest.raises(MessageError) as info:
        datasets.read_csv(text)
    assert says in str(info.value)


# -- the session: its numbers are the engine's ------------------------------------------

DEEP = {"dataset": "circles", "seed": 4, "features": ["x1", "x2", "x1*x2"],
        "layers": [{"width": 5, "activation": "tanh"}, {"width": 4, "activation": "elu"},
                   {"width": 3, "activation": "x * sigmoid(x)"}]}


@pytest.fixture
def session():
    s = Session(lambda: None)  # its thread idles: the test drives it from outside
    yield s
    s.close()


def engine_pass(model, loss, x, y):
    """What fit computes for one sample: train.backprop (forward, fused loss, backward)."""
    fused = training.Trainer(model, loss, None, training.History()).fused
    value, _ = training.backprop(model, loss, x, y, training=False, fused=fused)
    dense = [layer for layer in model.layers if isinstance(layer, Dense)]
    return value, dense


@pytest.mark.parametrize("dataset, output", [("circles", "sigmoid"), ("circles", "softmax"),
                                             ("plane", "sigmoid")])  # the last: regression
def test_the_step_through_shows_the_engine_numbers(session, dataset, output):
    session.build(validate_config({**DEEP, "dataset": dataset, "output": output}))
    for _ in range(5):
        session._train_step()
    sample = 7
    trace = session.trace(sample)
    x, y = session.X_train[sample:sample + 1], session.Y_train[sample:sample + 1]
    value, dense = engine_pass(session.model, session.loss, x, y)
    # the same model, sample and arithmetic: equal up to float32 rounding of the same
    # operations (the trace's backward runs layer by layer as Sequential.backward does)
    assert trace["loss"] == pytest.approx(value, rel=1e-6)
    for shown, layer in zip(trace["layers"], dense, strict=True):
        np.testing.assert_allclose(shown["delta"], layer.delta[0], rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(shown["dW"], layer.W.grad, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(shown["a_prev"], layer.a_prev[0], rtol=1e-6)
    # the lecture's relations hold between the shown numbers
    layers = trace["layers"]
    for below, above in zip(layers[:-1], layers[1:], strict=True):
        e = np.array(above["delta"]) @ np.array(above["W"]).T  # e = delta_next W^T
        np.testing.assert_allclose(below["e"], e, rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(above["a_prev"], below["a"], rtol=1e-6)
    for layer in layers:
        dW = np.outer(layer["a_prev"], layer["delta"])  # dJ/dW = a_prev^T delta
        np.testing.assert_allclose(layer["dW"], dW, rtol=1e-5, atol=1e-8)


def test_a_frame_reports_flags_verdicts_and_maps(session):
    session.build(validate_config({"layers": [{"width": 3, "activation": "relu"}] * 2,
                                   "seed": 1}))
    frame = json.loads(json.dumps(session.frame()))
    assert len(frame["layers"]) == 3 and len(frame["maps"]) == 2
    grid = datasets.GRID * datasets.GRID
    import base64
    assert len(base64.b64decode(frame["maps"][0])) == 3 * grid
    layer = frame["layers"][0]
    assert layer["status"] in ("dead", "saturated", "exploding", "vanishing", "healthy")
    assert len(layer["dead"]) == 3 and len(layer["z_hist"]) > 0
    assert len(base64.b64decode(layer["dW"])) == 4 * 2 * 3  # float32, fan_in x fan_out


def test_softmax_is_offered_at_the_output_and_refused_in_hidden_layers_with_why(session):
    options = schema.options()
    assert "softmax" not in options["activations"]
    assert "no curve g′(z) per unit" in options["output_only"]["softmax"]
    assert options["fields"]["output"]["choices"] == ["sigmoid", "softmax"]
    session.build(validate_config({"output": "softmax", "seed": 2,
                                   "layers": [{"width": 3, "activation": "tanh"}]}))
    layout = session.layout()
    assert layout["output"] == "softmax" and layout["widths"] == [3, 2]  # p of each class
    assert session.loss.name == "cross_entropy" and session.trainer.fused is not None
    for _ in range(20):
        session._train_step()
    frame = json.loads(json.dumps(session.frame()))
    import base64
    grid = datasets.GRID * datasets.GRID
    units = np.frombuffer(base64.b64decode(frame["output_units"]), np.uint8).reshape(2, grid)
    # 2p - 1 coloured on 0..255: p0 + p1 = 1 puts the two maps' codes 255 apart (± rounding)
    assert np.abs(units.astype(int).sum(axis=0) - 255).max() <= 1
    surface = np.frombuffer(base64.b64decode(frame["output"]), np.uint8)
    np.testing.assert_array_equal(surface, units[1])  # the surface shows p of class 1
    # a regression's output is linear whatever the field says
    session.build(validate_config({"output": "softmax", "dataset": "plane"}))
    assert session.layout()["output"] == "identity" and session.layout()["widths"][-1] == 1


def test_a_new_csv_replaces_the_one_being_trained_on(session):
    def rows(n, seed):
        points = np.random.default_rng(seed).uniform(-1, 1, (n, 2))
        return "\n".join(f"{x},{y},{int(x * y > 0)}" for x, y in points)

    session._handle({"type": "csv", "text": rows(40, 0)})
    session.build(validate_config({"dataset": "csv"}))
    assert len(session.split.y_train) + len(session.split.y_test) == 40
    session._handle({"type": "csv", "text": rows(60, 1)})  # the same config, new data
    assert len(session.split.y_train) + len(session.split.y_test) == 60
    assert session.steps == 0


def test_a_diverging_run_stops_with_a_message(session):
    session.build(validate_config({"dataset": "plane", "lr": 10.0, "optimizer": "sgd",
                                   "layers": [{"width": 8, "activation": "relu"}] * 3,
                                   "features": ["x1", "x2", "x1^2", "x2^2"]}))
    with pytest.raises(MessageError, match="diverged"):
        with np.errstate(all="ignore"):
            for _ in range(500):
                session._train_step()


# -- the server -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def url():
    """A real server on a free loopback port, in a thread."""
    from neuronlab.playground.server import running

    with running() as address:
        yield address


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}),
                                    timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def connect(url: str, **kwargs):
    from websockets.sync.client import connect

    return connect(url.replace("http", "ws", 1) + "ws", open_timeout=10, **kwargs)


def test_http_serves_the_page_its_files_and_options(url):
    status, page = get(url)
    assert status == 200 and "neuronlab playground" in page
    assert "http" not in page  # no script or style from the internet
    assert get(url + "static/app.js")[0] == 200
    options = json.loads(get(url + "api/options")[1])
    assert "relu" in options["activations"] and options["limits"]["width"] == schema.MAX_WIDTH
    assert get(url + "static/%2e%2e/__init__.py")[0] == 404
    assert get(url + "static/..%2f__init__.py")[0] == 404


def test_the_page_may_load_nothing_from_elsewhere(url):
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as response:
        policy = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy


def test_sessions_are_capped(url):
    from websockets.exceptions import ConnectionClosed

    from neuronlab.playground.server import MAX_SESSIONS

    with contextlib.ExitStack() as stack:
        pages = [stack.enter_context(connect(url)) for _ in range(MAX_SESSIONS)]
        for ws in pages:
            ws.send('{"type": "step"}')
            receive(ws, "frame")
        with pytest.raises(ConnectionClosed) as info, connect(url) as extra:
            extra.recv(timeout=10)
        assert info.value.rcvd.code == 1013 and "pages at once" in info.value.rcvd.reason
    with connect(url) as again:  # a closed page frees its place
        again.send('{"type": "step"}')
        receive(again, "frame")


def test_http_refuses_other_host_names(url):
    assert get(url, {"Host": "evil.example"})[0] == 400  # DNS rebinding


def receive(ws, kind, limit=200):
    for _ in range(limit):
        message = json.loads(ws.recv(timeout=20))
        if message["type"] == kind:
            return message
    raise AssertionError(f"no {kind!r} message")


def test_websocket_session_survives_bad_messages(url):
    with connect(url) as ws:
        ws.send(json.dumps({"type": "config", "config": {"dataset": "xor", "seed": 2}}))
        layout = receive(ws, "layout")
        assert layout["config"]["dataset"] == "xor"
        assert receive(ws, "frame")["step"] == 0
        for bad in ("{", '{"type": "nope"}', '{"type": "config", "config": {"lr": "fast"}}',
                    json.dumps({"type": "config", "config": {"layers": [
                        {"width": 2, "activation": "__import__('os').system('ls')"}]}}),
                    json.dumps({"type": "csv", "text": "not,a\ncsv"}),
                    json.dumps({"type": "trace", "sample": 10**5})):
            ws.send(bad)
            assert receive(ws, "error")["message"]
        ws.send(b"\x00\x01")
        assert "binary" in receive(ws, "error")["message"]
        ws.send('{"type": "step"}')
        assert receive(ws, "frame")["step"] == 1  # still serving, the same network
        ws.send('{"type": "trace", "sample": 0}')
        assert receive(ws, "trace")["layers"]
        # the learning rate changes while training goes on; the data set starts over
        ws.send(json.dumps({"type": "config", "config": {**layout["config"], "lr": 0.3}}))
        assert receive(ws, "config")["config"]["lr"] == 0.3
        ws.send('{"type": "step"}')
        assert receive(ws, "frame")["step"] == 2
        ws.send(json.dumps({"type": "config", "config": {**layout["config"], "noise": 0.2}}))
        assert receive(ws, "layout")["config"]["noise"] == 0.2
        assert receive(ws, "frame")["step"] == 0


def test_websocket_a_diverging_run_pauses_with_a_message(url):
    diverging = {"dataset": "plane", "lr": 10.0, "features": ["x1", "x2", "x1^2", "x2^2"],
                 "layers": [{"width": 8, "activation": "relu"}] * 3}
    with connect(url) as ws:
        ws.send(json.dumps({"type": "config", "config": diverging}))
        receive(ws, "layout")
        ws.send('{"type": "play"}')
        assert "lower the learning rate" in receive(ws, "error", limit=2000)["message"]
        ws.send('{"type": "reset"}')
        receive(ws, "layout")
        assert receive(ws, "frame")["step"] == 0  # the session goes on


def test_websocket_reports_an_unsafe_formula_by_layer(url):
    with connect(url) as ws:
        ws.send(json.dumps({"type": "config", "config": {"layers": [
            {"width": 2, "activation": "relu"}, {"width": 2, "activation": "x.__class__"}]}}))
        message = receive(ws, "error")["message"]
        assert message.startswith("hidden layer 2:") and "not allowed" in message


def test_the_bare_name_formula_is_not_offered_and_refused_by_layer(url):
    # before, "formula" was in the page's list of activations and built the identity
    assert "formula" not in schema.options()["activations"]
    assert "relu" in schema.options()["activations"]
    with connect(url) as ws:
        ws.send(json.dumps({"type": "config", "config": {"layers": [
            {"width": 2, "activation": "relu"}, {"width": 2, "activation": "formula"}]}}))
        message = receive(ws, "error")["message"]
        assert message.startswith("hidden layer 2: 'formula' names no activation")


def test_websocket_takes_a_csv_and_trains_on_it(url):
    rows = "\n".join(f"{x},{y},{int(x * y > 0)}" for x, y in
                     np.random.default_rng(0).uniform(-1, 1, (40, 2)))
    with connect(url) as ws:
        ws.send(json.dumps({"type": "config", "config": {"dataset": "csv"}}))
        assert "no CSV uploaded" in receive(ws, "error")["message"]
        ws.send(json.dumps({"type": "csv", "text": rows}))
        loaded = receive(ws, "csv")
        assert loaded["rows"] == 40 and not loaded["regression"]
        ws.send(json.dumps({"type": "config", "config": {"dataset": "csv"}}))
        assert receive(ws, "layout")["config"]["dataset"] == "csv"


def test_websocket_refuses_other_origins(url):
    from websockets.exceptions import ConnectionClosed, InvalidStatus

    with pytest.raises((ConnectionClosed, InvalidStatus)) as info:
        with connect(url, origin="http://evil.example") as ws:
            ws.recv(timeout=10)
    if isinstance(info.value, InvalidStatus):  # refused before the handshake completed
        assert info.value.response.status_code == 403
    else:
        assert info.value.rcvd.code == 1008


def test_a_page_that_never_reads_does_not_hold_up_the_server(url):
    with connect(url, close_timeout=1) as slow:
        slow.send(json.dumps({"type": "play"}))
        time.sleep(0.5)  # frames pile up unread
        assert get(url + "api/options")[0] == 200
        with connect(url) as other:
            other.send('{"type": "step"}')
            while receive(other, "frame")["step"] != 1:  # the first frame may show step 0
                pass


# -- the page in a real browser ---------------------------------------------------------


def _pixels_of(page, selector: str, rgb: tuple[int, int, int]) -> int:
    """Pixels of a canvas painted in exactly ``rgb`` (a bar's colour, not the axes')."""
    return page.evaluate("""([sel, rgb]) => {
        const c = document.querySelector(sel);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4)
            if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]
                && d[i + 3] === 255) n++;
        return n; }""", [selector, list(rgb)])


DELTA_BAR = (0x6a, 0x1b, 0x9a)  # app.js: the delta view's bars
FIRST_LAYER_BAR = (0x1b, 0x9e, 0x77)  # app.js: LAYER_COLOURS[0], layer 1's gradient bar


def _open(browser, address: str, errors: list[str]):
    """A 1400 px page at ``address`` whose console errors and uncaught exceptions go to
    ``errors`` (each test ends asserting it is empty)."""
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(address)
    return page


def test_the_page_trains_steps_through_and_reports_errors(browser, tmp_path):
    from neuronlab.playground.server import running

    errors: list[str] = []
    with running() as url:
        page = _open(browser, url + "#layers=6:tanh|4:tanh&seed=3", errors)
        page.wait_for_selector("#node-2-3")  # the layout arrived
        page.select_option("#activation-1", "elu")  # an activation ...
        page.wait_for_function("() => window.playground.config.layers[0].activation === 'elu'"
                               " && window.playground.frame")
        page.click("#dataset-xor")  # ... and a data set
        page.wait_for_function("() => window.playground.layout.config.dataset === 'xor'")
        assert "dataset=xor" in page.url and "6%3Aelu" in page.url  # the state is in the URL
        page.click("#play")
        page.wait_for_function("() => Number(document.querySelector('#step-count').dataset.step)"
                               " >= 50", timeout=20000)
        page.click("#play")  # pause
        page.wait_for_function("() => !window.playground.frame.playing")
        curve = page.evaluate("window.playground.frame.curve")
        assert curve[-1][0] >= 50 and curve[-1][1] < curve[0][1]  # the training loss fell
        assert _pixels_of(page, "#delta-view", DELTA_BAR) > 200  # 6 + 4 + 1 unit bars
        assert _pixels_of(page, "#grad-bars", FIRST_LAYER_BAR) > 200
        assert page.locator("#status-1").text_content() in schema_statuses()
        page.screenshot(path=str(tmp_path / "playground.png"))  # the README's picture

        # step through one sample of a fresh network and compare with the engine
        page.click("#reset")
        page.wait_for_function("() => window.playground.frame"
                               " && window.playground.frame.step === 0")
        page.fill("#trace-sample", "5")
        page.click("#trace")
        page.wait_for_selector("#trace-layer-3")
        for _ in range(4):
            page.click("#trace-next")
        assert "backward" in page.text_content("#trace-phase")
        config = page.evaluate("window.playground.layout.config")
        check_trace_table(page, config, sample=5)
        page.screenshot(path=str(tmp_path / "step-through.png"), full_page=True)

        # a bad CSV and an unsafe formula: clear messages, and the server keeps serving
        page.set_input_files("#csv-file", files=[{"name": "bad.csv", "mimeType": "text/csv",
                                                  "buffer": b"x1,x2,label\n1,2\n"}])
        page.wait_for_function("() => document.querySelector('#message').className === 'error'")
        assert "CSV line 2 has 2 columns" in page.text_content("#message")
        page.select_option("#activation-2", "formula…")
        page.fill("#formula-2", "__import__('os').system('touch /tmp/x')")
        page.press("#formula-2", "Enter")
        page.wait_for_function("() => document.querySelector('#message').textContent"
                               ".includes('hidden layer 2')")
        assert "not allowed" in page.text_content("#message")
        page.click("#step")
        page.wait_for_function("() => window.playground.frame.step === 1")
        page.screenshot(path=str(tmp_path / "errors.png"))
        page.close()
    assert errors == []


LINKS = """() => [...document.querySelectorAll('#links line:not(.hovered)')]
    .map(l => [Number(l.getAttribute('stroke-width')), l.getAttribute('stroke')])"""


def _shown(page, value: float) -> str:
    """``value`` as the page writes it (3 significant digits, JavaScript's toPrecision)."""
    return page.evaluate(f"Number({value!r}).toPrecision(3)")


def test_the_page_draws_gradients_on_the_links(browser):
    from neuronlab.playground.server import running

    errors: list[str] = []
    with running() as url:
        page = _open(browser, url + "#layers=3:tanh|2:tanh&seed=1", errors)
        page.wait_for_selector("#node-2-1")
        page.wait_for_function("() => window.playground.frame")
        weights = page.evaluate(LINKS)
        assert len(weights) == 2 * 3 + 3 * 2 + 2 * 1
        page.check("#show-gradients")
        page.wait_for_function("() => document.querySelector('#links-hint').textContent"
                               ".includes('∂J/∂W')")
        links = page.evaluate(LINKS)
        dW = np.concatenate(page.evaluate(
            "window.playground.frame.layers.map(l => Array.from(l.dWv))"))
        assert len(links) == len(dW) and links != weights
        # width: 0.5 + 5 x (1 + log10(|dW| / largest |dW| of the whole network) / 4), in
        # [0, 1]: one log scale over every layer, 4 decades (app.js: GRAD_DECADES)
        size = np.clip(1 + np.log10(np.abs(dW) / np.abs(dW).max()) / 4, 0, 1)
        np.testing.assert_allclose([w for w, _ in links], 0.5 + 5 * size, atol=0.006)
        for (_, colour), g in zip(links, dW, strict=True):  # blue positive, orange negative
            r, _, b = (int(c) for c in colour[4:-1].split(","))
            assert (b > r) == (g >= 0), (colour, g)

        # hovering a link shows its weight and gradient, as the frame holds them
        box = page.locator("#links").bounding_box()
        ends = page.evaluate("linkEnds(0, 1, 2)")  # layer 1: from x2 to unit 3
        page.mouse.move(box["x"] + (ends[0] + ends[2]) / 2, box["y"] + (ends[1] + ends[3]) / 2)
        page.wait_for_selector("#link-tip:not([hidden])")
        w, g = page.evaluate("[window.playground.frame.layers[0].Wv[1 * 3 + 2], "
                             "window.playground.frame.layers[0].dWv[1 * 3 + 2]]")
        tip = page.text_content("#link-tip")
        assert tip.startswith("x2 → unit 3 of layer 1\n")
        assert f"\nw = {_shown(page, w)}\n∂J/∂w = {_shown(page, g)} (training set)" in tip
        page.mouse.move(box["x"] + 2, box["y"] + 2)  # the features' heading: no link there
        page.wait_for_selector("#link-tip", state="hidden")

        # the step-through writes dJ/dw on the links of the layer it is at
        page.fill("#trace-sample", "4")
        page.click("#trace")
        page.wait_for_selector("#trace-layer-3")
        for _ in range(5):  # forward 1, 2, 3, the loss, backward 3, backward 2
            page.click("#trace-next")
        assert "backward, layer 2" in page.text_content("#trace-phase")
        written = page.evaluate("""() => [...document.querySelectorAll('#links text')]
            .map(t => [Number(t.dataset.layer), Number(t.dataset.in), Number(t.dataset.unit),
                       t.textContent])""")
        trace = page.evaluate("window.playground.trace.layers[1].dW")
        assert len(written) == 3 * 2
        for layer, i, j, text in written:
            assert layer == 2 and text == _shown(page, trace[i][j])
        page.close()
    assert errors == []


def test_the_page_offers_softmax_at_the_output_and_says_why_not_in_hidden_layers(browser):
    from neuronlab.playground.server import running

    errors: list[str] = []
    with running() as url:
        page = _open(browser, url + "#layers=3:relu&seed=2", errors)
        page.wait_for_selector("#output-activation")
        assert "no curve g′(z) per unit" in page.text_content("#output-only-note")
        hidden = page.evaluate("""() => [...document.querySelectorAll('#activation-1 option')]
            .filter(o => o.value === 'softmax').map(o => [o.disabled, o.title])""")
        assert hidden == [[True, schema.output_only()["softmax"]]]
        page.select_option("#output-activation", "softmax")
        page.wait_for_function("() => window.playground.layout.output === 'softmax'")
        assert "output=softmax" in page.url
        assert page.locator("#node-2-1").count() == 1  # two output units: p of each class
        page.click("#step")
        page.wait_for_function("() => window.playground.frame.step === 1")
        page.click("#dataset-plane")  # a regression: its output is linear
        page.wait_for_function("() => window.playground.layout.config.dataset === 'plane'")
        assert page.is_disabled("#output-activation")
        assert page.text_content("#output-activation") == "linear (regression)"
        assert page.locator("#node-2-1").count() == 0
        page.close()
    assert errors == []


def _csv(rows: int, digits: int, seed: int = 0) -> bytes:
    points = np.random.default_rng(seed).uniform(-1, 1, (rows, 2))
    return "\n".join(f"{x:.{digits}f},{y:.{digits}f},{int(x * y > 0)}"
                     for x, y in points).encode()


def test_an_uploaded_csv_travels_in_the_link_when_it_fits(browser):
    from neuronlab.playground.server import running

    errors: list[str] = []
    with running() as url:
        def open_page(address):
            page = _open(browser, address, errors)
            page.wait_for_function("() => window.playground.layout")
            return page

        small = open_page(url + "#seed=5")
        small.set_input_files("#csv-file", files=[{"name": "small.csv", "mimeType": "text/csv",
                                                   "buffer": _csv(300, 4)}])
        # the layout of the CSV's 300 points, not only the hash: the page marks the data
        # set "csv" (in the config it shares with the previous layout) before the new
        # layout arrives, and reading the points then would read the previous data set's
        csv_layout = ("() => window.playground.layout.trainY.length"
                      " + window.playground.layout.testY.length === 300")
        small.wait_for_function(csv_layout)
        small.wait_for_function("() => location.hash.includes('csv=')")
        assert small.text_content("#csv-link").startswith("In the link: this CSV")
        points = small.evaluate("Array.from(window.playground.layout.trainPoints)")
        shared = open_page(small.url)  # the link alone: a new page, a new session
        shared.wait_for_function(csv_layout)
        assert shared.evaluate("window.playground.layout.config.dataset") == "csv"
        assert shared.evaluate("Array.from(window.playground.layout.trainPoints)") == points
        assert shared.text_content("#csv-link").startswith("In the link: this CSV")

        # too large for a link: the settings travel, the data does not, and both pages say so
        limit = schema.MAX_CSV_LINK_CHARS
        large = _csv(3000, 9)
        assert len(large) < schema.MAX_CSV_BYTES
        small.set_input_files("#csv-file", files=[{"name": "large.csv", "mimeType": "text/csv",
                                                   "buffer": large}])
        small.wait_for_function("() => window.playground.layout.trainY.length"
                                " + window.playground.layout.testY.length === 3000")
        assert "csv=" not in small.url and "dataset=csv" in small.url
        note = small.text_content("#csv-link")
        assert note.startswith("Not in the link") and f"{limit / 1024:.1f} kB" in note
        missing = open_page(small.url)
        assert "does not carry" in missing.text_content("#csv-link")
        assert missing.evaluate("window.playground.layout.config.dataset") == "circles"
        damaged = open_page(url + "#dataset=csv&csv=AAAA")
        assert "cannot be read" in damaged.text_content("#csv-link")
        for page in (small, shared, missing, damaged):
            page.close()
    assert errors == []


def schema_statuses() -> tuple[str, ...]:
    from neuronlab import diagnostics

    return diagnostics.STATUSES


def check_trace_table(page, config: dict, sample: int) -> None:
    """The numbers the page shows for ``sample`` are those of train.backprop on the same
    freshly built network (the page prints 6 significant digits: rtol 1e-5)."""
    reference = Session(lambda: None)
    try:
        reference.build(validate_config(config))
        x = reference.X_train[sample:sample + 1]
        y = reference.Y_train[sample:sample + 1]
        value, dense = engine_pass(reference.model, reference.loss, x, y)
        activations = [layer for layer in reference.model.layers if isinstance(layer, Activation)]
        shown = page.evaluate("""() => [...document.querySelectorAll('#trace-table td[data-q]')]
            .map(td => [td.dataset.q, Number(td.dataset.layer), Number(td.dataset.unit),
                        td.dataset.in === undefined ? -1 : Number(td.dataset.in),
                        td.textContent])""")
        assert float(page.text_content("#trace-loss")) == pytest.approx(value, rel=1e-5)
        arrays = []  # per layer: what fit's backprop left in the caches, by quantity
        for i, d in enumerate(dense):
            act = activations[i] if i < len(activations) else None
            below_output = i + 1 < len(dense)
            arrays.append({
                "z": act.z[0] if act is not None else None,
                "a": act.a[0] if act is not None else None,
                "delta": d.delta[0], "db": d.b.grad, "dW": d.W.grad,
                # e = dJ/da = delta_next W_next^T (none at a fused output)
                "e": (dense[i + 1].delta @ dense[i + 1].W.value.T)[0] if below_output else None,
            })
        checked = 0
        for q, layer, unit, row, text in shown:
            expected = arrays[layer - 1][q]
            if expected is None:
                assert text == ""
                continue
            value = expected[row, unit] if q == "dW" else expected[unit]
            # 6 significant digits shown; e is recomputed here by a product: float32 rounding
            assert float(text) == pytest.approx(float(value), rel=1e-5, abs=1e-7), (q, layer,
                                                                                    unit)
            checked += 1
        assert checked > 40
    finally:
        reference.close()


# -- the command and the package's place -------------------------------------------------


def test_the_command_prints_the_url_and_serves_it():
    import subprocess
    import sys

    proc = subprocess.Popen([sys.executable, "-m", "neuronlab.cli", "playground", "--no-browser",
                             "--host", "0.0.0.0"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("neuronlab playground: http://0.0.0.0:"), line
        port = int(line.split(":")[3].split("/")[0])
        assert get(f"http://127.0.0.1:{port}/api/options")[0] == 200
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    assert "warning: listening on 0.0.0.0" in err


def test_a_port_in_use_is_a_usage_error_naming_the_port(capsys):
    from neuronlab.cli import EXIT_USAGE, main

    # the port is taken by a listening socket of the test's own (before: exit 1, as a
    # failure during work, with no hint)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        assert main(["playground", "--no-browser", "--port", str(port)]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert f"cannot listen on 127.0.0.1:{port}" in err
    assert "try another --port, or leave --port out" in err


@pytest.mark.parametrize("port", ["70000", "-1", "eighty"])
def test_a_port_out_of_range_is_refused_by_the_parser(port, capsys):
    from neuronlab.cli import EXIT_USAGE, main

    # before: 70000 and -1 reached bind() and ended in an OverflowError traceback
    with pytest.raises(SystemExit) as exit_:
        main(["playground", "--no-browser", "--port", port])
    assert exit_.value.code == EXIT_USAGE
    assert f"expected a port number from 1 to 65535 (0 or no --port: a free one), got " \
           f"'{port}'" in capsys.readouterr().err


def test_bind_refuses_a_port_out_of_range_without_leaking_its_socket():
    from neuronlab.playground import server

    # before: an OverflowError, and the socket left open (a ResourceWarning, an error here)
    with pytest.raises(ValueError, match="port must be in 0-65535"):
        server.bind("127.0.0.1", 70000)


def test_only_the_command_line_imports_the_playground():
    from pathlib import Path

    import neuronlab

    root = Path(neuronlab.__file__).parent
    importers = sorted(str(path.relative_to(root)) for path in root.rglob("*.py")
                       if "neuronlab.playground" in path.read_text()
                       and path.parent.name != "playground")
    assert importers == ["cli.py"]
