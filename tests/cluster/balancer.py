"""nginx from Debian in front of the test's API processes: a config of the test's own in a
temp directory (its pid, logs and temp files there), started and stopped by the test."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

CONFIG = """
worker_processes 1;
daemon off;
pid {root}/nginx.pid;
error_log {root}/error.log warn;
{user}
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {root}/body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    client_max_body_size 20m;
    upstream api {{
        {servers}
        keepalive 32;
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://api;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $remote_addr;
            # A dead or warming upstream (503 until its nearby index is built): the next one
            # takes idempotent requests (nginx never resends a POST it has sent: the phone
            # retries it with its Idempotency-Key), as deploy/nginx/cityops.conf does.
            proxy_next_upstream error timeout http_502 http_503;
            proxy_connect_timeout 1s;
            proxy_read_timeout 30s;
        }}
    }}
}}
"""


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None
    )


@contextlib.contextmanager
def balancer(root: Path, port: int, upstreams: list[int]) -> Iterator[str]:
    binary = nginx_binary()
    assert binary is not None
    root.mkdir(parents=True, exist_ok=True)
    servers = "\n        ".join(
        f"server 127.0.0.1:{p} max_fails=1 fail_timeout=2s;" for p in upstreams
    )
    user = "user root;" if os.geteuid() == 0 else ""
    (root / "nginx.conf").write_text(
        CONFIG.format(root=root, user=user, servers=servers, port=port)
    )
    process = subprocess.Popen(
        [binary, "-p", str(root), "-c", str(root / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, (root / "error.log").read_text()
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            assert time.monotonic() < deadline, "nginx did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
