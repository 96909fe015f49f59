"""Run an ASGI fake on a loopback port over HTTP/2 cleartext (h2c with prior knowledge).

APNs speaks only HTTP/2. uvicorn has no HTTP/2, so the APNs fake is served by hypercorn,
which recognises the HTTP/2 connection preface on a plain TCP socket; the client (httpx with
``http1=False, http2=True``) then speaks HTTP/2 from the first byte, as it does over TLS to
Apple. The fake answers 505 to anything that is not HTTP/2, so a client that silently fell
back to HTTP/1.1 fails the tests instead of passing them. Stop it (``stop()``) before the
interpreter exits, like ``fakes.server.BackgroundServer``.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time

from hypercorn.asyncio import serve
from hypercorn.config import Config

from fakes.server import STOP_TIMEOUT


class BackgroundH2Server:
    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._app = app
        self._config = Config()
        self._config.bind = [f"fd://{self._socket.fileno()}"]
        self._config.loglevel = "WARNING"
        self._config.accesslog = None
        self._config.errorlog = None
        # hypercorn keeps the task of a connection whose client reset a stream the app was
        # still answering (the APNs fake's delay outlasting a client timeout) until the stop
        # cancels it, so waiting longer only delays the stop.
        self._config.graceful_timeout = 1.0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        async def main() -> None:
            self._loop = asyncio.get_running_loop()
            self._loop.set_exception_handler(_quiet_about_cancelled_connections)
            self._stop = asyncio.Event()
            self._loop.call_soon(self._started.set)
            await serve(self._app, self._config, shutdown_trigger=self._stop.wait)

        # asyncio.run also closes the loop and its default executor when serve() returns.
        asyncio.run(main())

    def start(self) -> BackgroundH2Server:
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("h2 fake server did not start")
        deadline = time.monotonic() + 10
        # serve() binds asynchronously: wait until the port accepts connections.
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("h2 fake server did not start") from None
                time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving and wait for the thread (its loop closed)."""
        if self._loop and self._stop:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=STOP_TIMEOUT)
        if self._thread.is_alive():
            raise RuntimeError(f"h2 fake server {self.url} did not stop")
        # hypercorn served (and has closed) the descriptor through a socket of its own:
        # closing ours too could close whatever has reused the number since.
        self._socket.detach()


def _quiet_about_cancelled_connections(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    # Python 3.11's asyncio.streams reports a connection task cancelled at the stop (above)
    # as an error ("Exception in callback ... CancelledError"); 3.12 no longer does.
    if not isinstance(context.get("exception"), asyncio.CancelledError):
        loop.default_exception_handler(context)
