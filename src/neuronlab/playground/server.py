"""The playground's web server: the page, its options, and one WebSocket per page.

Routes
------
``GET /``
    the page (``static/index.html``)
``GET /static/...``
    its script and style, shipped inside the package
``GET /api/options``
    the configuration fields, activations and caps (JSON)
``WS  /ws``
    the session: the page sends JSON messages (:mod:`neuronlab.playground.schema`),
    the server sends ``layout``, ``frame``, ``config``, ``trace``, ``csv`` and
    ``error`` messages (:mod:`neuronlab.playground.session`)

Safety
------
The server listens on the loopback address unless told otherwise.  Requests whose
``Host`` header names another host are refused (a web page elsewhere cannot reach
the server through DNS rebinding), and so are WebSocket connections whose ``Origin``
is another site (browsers let any page open a WebSocket to localhost).  Every
message is validated before use; a bad one is answered with an ``error`` message and
the session goes on.  Nothing is read from or written to the file system except the
page's own static files.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.websockets import WebSocket, WebSocketDisconnect

from neuronlab.playground import schema
from neuronlab.playground.session import Session

STATIC = Path(__file__).resolve().parent / "static"
LOOPBACK = ("127.0.0.1", "localhost", "::1", "[::1]")
MAX_SESSIONS = 8
"""Pages served at once (each trains in a thread of its own); more are refused."""

POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
          "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
"""The page's Content-Security-Policy: nothing but the server's own files and socket."""


def create_app(hosts: Sequence[str] = LOOPBACK) -> Starlette:
    """The ASGI application, accepting requests addressed to ``hosts`` only."""
    allowed = {h.strip("[]") for h in hosts} | {h for h in hosts}

    sessions = 0

    async def index(request: Request) -> FileResponse:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-store",
                                                            "Content-Security-Policy": POLICY})

    async def options(request: Request) -> JSONResponse:
        return JSONResponse(schema.options())

    async def session_socket(websocket: WebSocket) -> None:
        origin = websocket.headers.get("origin")
        if origin is not None and urlsplit(origin).hostname not in allowed:
            await websocket.close(code=1008, reason="connections from other sites are refused")
            return
        nonlocal sessions
        if sessions >= MAX_SESSIONS:  # accepted, to tell the page why it is closed
            await websocket.accept()
            await websocket.close(code=1013, reason=f"at most {MAX_SESSIONS} pages at once: "
                                                    f"close another one and reload")
            return
        sessions += 1
        try:
            await websocket.accept()
            await _serve_session(websocket)
        finally:
            sessions -= 1

    routes = [Route("/", index), Route("/api/options", options),
              WebSocketRoute("/ws", session_socket),
              Mount("/static", StaticFiles(directory=STATIC), name="static")]
    return Starlette(routes=routes,
                     middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=sorted(allowed))])


async def _serve_session(websocket: WebSocket) -> None:
    """Receive and check the page's messages; send the session's messages and frames."""
    loop = asyncio.get_running_loop()
    ready = asyncio.Event()

    def notify() -> None:  # called from the session's thread
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody is listening
            loop.call_soon_threadsafe(ready.set)

    session = Session(notify)

    async def send() -> None:
        while True:
            await ready.wait()
            ready.clear()
            messages, frame = session.take()
            for text in messages:
                await websocket.send_text(text)
            if frame is not None:  # only the latest: a slow page skips frames
                await websocket.send_text(frame)

    sender = asyncio.create_task(send())
    try:
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                break
            text = message.get("text")
            if text is None:
                session.error("binary messages are not accepted: send JSON text")
                continue
            try:
                session.submit(schema.parse_message(text))
            except schema.MessageError as exc:
                session.error(str(exc))
    except WebSocketDisconnect:
        pass
    finally:
        session.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender


def bind(host: str = "127.0.0.1", port: int = 0) -> socket.socket:
    """A listening socket on ``host:port`` (port 0: a free port the system picks)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)  # connections wait in the backlog until the server runs
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    except OverflowError:  # a port beyond 0-65535: the socket must not leak either
        sock.close()
        raise ValueError(f"port must be in 0-65535 (0: a free one), got {port}") from None
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def _server(sock: socket.socket, hosts: Sequence[str]):
    import uvicorn

    config = uvicorn.Config(create_app(hosts), log_level="warning", lifespan="off",
                            ws="websockets-sansio", ws_max_size=schema.MAX_MESSAGE_BYTES + 1024)
    return uvicorn.Server(config)


def hosts_for(host: str) -> tuple[str, ...]:
    """The Host names the server answers to: the loopback names and ``host``."""
    return (*LOOPBACK, host) if host not in LOOPBACK else LOOPBACK


def serve(sock: socket.socket, host: str) -> None:
    """Serve on ``sock`` until interrupted (Ctrl-C)."""
    _server(sock, hosts_for(host)).run(sockets=[sock])


@contextlib.contextmanager
def running(host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
    """A server in a background thread for the duration of the block; yields its URL.

    >>> import urllib.request
    >>> with running() as url:
    ...     urllib.request.urlopen(url + "api/options").status
    200
    """
    sock = bind(host, port)
    server = _server(sock, hosts_for(host))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        while not server.started:
            if not thread.is_alive():
                raise RuntimeError("the playground server failed to start")
            thread.join(0.01)
        yield url_of(sock)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()

