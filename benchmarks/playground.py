"""The playground's frame rate: can it send 30 frames of state per second?

The issue's case: a network of 6 hidden layers x 8 units on the circles data, every
unit's output map at 50 x 50.  Two measurements, each repeated:

in-process   the cost of building one frame (a backward pass over the training set,
             the test loss, the 50 x 50 maps of every unit, JSON, and every fifth frame
             the diagnosis: two more passes), averaged over whole cycles, and of one training
             step, on the session object directly: the frame's share of a 1/30 s
             budget says how much time training keeps between frames.
end to end   a real server (uvicorn, a thread) and a WebSocket client that reads
             every frame it is sent while the session trains as fast as it can:
             frames received per second, bytes per frame and training steps per
             second.  The target is 30 frames per second; ``fps_vs_target`` is the
             measured rate over 30.  ``built_fps`` counts the frames the session made
             (received or skipped because the client was still reading the last one).

The client here only receives (it does not draw); the page's own drawing runs in the
browser, on another core when there is one.
"""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable
from typing import Any

from benchmarks._common import summary

TARGET_FPS = 30.0
CONFIG = {"dataset": "circles", "layers": [{"width": 8, "activation": "tanh"}] * 6,
          "speed": 0, "seed": 0}


def _in_process(repeats: int, inner: int) -> dict[str, Any]:
    from neuronlab.playground.schema import validate_config
    from neuronlab.playground.session import DIAGNOSE_EVERY, Session

    session = Session(lambda: None)  # its thread idles; we drive it here
    try:
        session.build(validate_config(CONFIG))
        frame_s, step_s, size = [], [], 0
        for _ in range(repeats):
            start = time.perf_counter()
            for i in range(inner):  # the diagnosis renewed every DIAGNOSE_EVERY frames
                size = len(json.dumps(session.frame(diagnose=i % DIAGNOSE_EVERY == 0)))
            frame_s.append((time.perf_counter() - start) / inner)
            start = time.perf_counter()
            for _ in range(inner):
                session._train_step()
            step_s.append((time.perf_counter() - start) / inner)
    finally:
        session.close()
    frame = summary(frame_s)
    return {"frame_s": frame, "step_s": summary(step_s), "frame_bytes": size,
            "frame_share_of_budget": frame["median"] * TARGET_FPS}


def _end_to_end(seconds: float) -> dict[str, Any]:
    from websockets.sync.client import connect

    from neuronlab.playground.server import running

    with running() as url, connect(url.replace("http", "ws", 1) + "ws") as ws:
        ws.send(json.dumps({"type": "config", "config": CONFIG}))
        while json.loads(ws.recv(timeout=30))["type"] != "frame":
            pass
        ws.send('{"type": "play"}')
        frames, sizes, steps, built = 0, [], [], []
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            text = ws.recv(timeout=30)
            message = json.loads(text)
            if message["type"] == "frame" and message["playing"]:
                frames += 1
                sizes.append(len(text))
                steps.append(message["step"])
                built.append(message["frame"])
        elapsed = time.perf_counter() - start
        ws.send('{"type": "pause"}')
    fps = frames / elapsed
    return {"seconds": elapsed, "frames": frames, "fps": fps,
            "built_fps": (built[-1] - built[0] + 1) / elapsed if built else None,
            "fps_vs_target": fps / TARGET_FPS,
            "frame_bytes": statistics.median(sizes) if sizes else None,
            "steps_per_s": (steps[-1] - steps[0]) / elapsed if len(steps) > 1 else None}


def run_playground(quick: bool, repeats: int, log: Callable[[str], None]) -> dict[str, Any]:
    log("playground: frame cost in process")
    out = {"in_process": _in_process(repeats, 5 if quick else 20)}
    log("playground: frames per second over a WebSocket")
    runs = [_end_to_end(1.0 if quick else 5.0) for _ in range(1 if quick else repeats)]
    best = max(runs, key=lambda r: r["fps"])
    out["end_to_end"] = {**best, "fps_runs": [r["fps"] for r in runs]}
    out["config"] = "circles, 6 hidden layers x 8 tanh units, 50 x 50 maps"
    return out
