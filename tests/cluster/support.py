"""What the cluster tests share: an admin made with the CLI, as an operator would."""

from __future__ import annotations

import subprocess
import sys

import httpx

from tests.helpers import bearer
from tests.servers import ROOT

ADMIN = "cluster.admin"
ADMIN_PASSWORD = "cluster-admin-password-1"


def create_admin(env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "api.cli", "create-staff", "--username", ADMIN,
         "--role", "admin", "--password", ADMIN_PASSWORD],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


async def admin_headers(client: httpx.AsyncClient) -> dict[str, str]:
    response = await client.post(
        "/api/inspector/auth/login", json={"username": ADMIN, "password": ADMIN_PASSWORD}
    )
    assert response.status_code == 201, response.text
    return bearer(response.json()["accessToken"])
