"""Run an ASGI fake on a loopback port in a background thread (tests) or in the foreground.

The thread must be stopped (``stop()``, or ``with``) before the interpreter exits: uvicorn
runs it on uvloop, whose callbacks take the GIL with PyGILState_Ensure from libuv; a
callback that fires after the interpreter has been finalized crashes the process (SIGSEGV
in PyThreadState_New on a NULL interpreter), where a plain Python daemon thread would just
be stopped."""

from __future__ import annotations

import socket
import threading
import time

import uvicorn

# A delayed answer (the fakes' ``delay``, a few seconds in tests) still in flight at the stop
# is waited for: cancelling it would only log an error.
GRACEFUL_SECONDS = 5.0
STOP_TIMEOUT = GRACEFUL_SECONDS + 5.0


class BackgroundServer:
    def __init__(self, app, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._socket.bind((host, port))
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=GRACEFUL_SECONDS
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    def start(self) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("fake server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        """Stop serving and wait for the thread (its loop closed, its socket too)."""
        self._server.should_exit = True
        self._thread.join(timeout=STOP_TIMEOUT)
        if self._thread.is_alive():
            raise RuntimeError(f"fake server {self.url} did not stop")
        self._socket.close()

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
