"""Which address is the client's: X-Forwarded-For counts only from a trusted proxy
(CITYOPS_TRUSTED_PROXIES). Per-address limits are measured with the staff sign-in's cap on
failures per address, whose audit entries also record the address."""

from __future__ import annotations

import contextlib

import httpx
import msgspec
import pytest

from core.settings import get_settings

LOGIN = "/api/inspector/auth/login"
CAP = 20  # CITYOPS_LOGIN_MAX_FAILURES_PER_IP's default


@contextlib.asynccontextmanager
async def _app(peer: str, trusted: str):
    """The app as served, with its own settings, reached from ``peer``."""
    from api.app import create_asgi_app

    settings = msgspec.structs.replace(get_settings(), trusted_proxies=trusted)
    transport = httpx.ASGITransport(app=create_asgi_app(settings), client=(peer, 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def _fail(client, n: int, forwarded=lambda i: f"203.0.113.{i}") -> list[str]:
    codes = []
    for i in range(n):
        response = await client.post(
            LOGIN,
            json={"username": f"nobody{i}", "password": "wrong"},
            headers={"X-Forwarded-For": forwarded(i)},
        )
        codes.append(response.json()["code"])
    return codes


async def _audited_addresses(api) -> set[str]:
    admin = await api.staff("admin")
    entries = (
        await api.get(
            "/api/admin/audit",
            params={"targetKind": "sign_in", "limit": 100},
            headers=admin.headers,
        )
    ).json()["items"]
    return {e["after"]["ip"] for e in entries if e["targetId"].startswith("nobody")}


async def test_a_forged_header_from_an_untrusted_peer_changes_nothing(api):
    async with _app("198.51.100.7", trusted="") as client:
        codes = await _fail(client, CAP + 1)
    assert codes == ["auth.invalid_credentials"] * CAP + ["auth.locked"]
    assert await _audited_addresses(api) == {"198.51.100.7"}


async def test_a_peer_outside_the_trusted_networks_is_not_believed(api):
    async with _app("198.51.100.7", trusted="10.0.0.0/8,127.0.0.1") as client:
        codes = await _fail(client, CAP + 1)
    assert codes[-1] == "auth.locked"


async def test_a_trusted_proxy_names_the_client(api):
    async with _app("10.1.2.3", trusted="10.0.0.0/8") as client:
        codes = await _fail(client, CAP + 5)
        assert set(codes) == {"auth.invalid_credentials"}  # each from its own address
        # The client cannot smuggle an address in front of what the proxy appended.
        chained = await _fail(client, CAP + 1, forwarded=lambda i: f"192.0.2.{i}, 203.0.113.99")
        assert chained[-1] == "auth.locked"
    addresses = await _audited_addresses(api)
    assert "203.0.113.0" in addresses and "10.1.2.3" not in addresses
    assert not any(a.startswith("192.0.2.") for a in addresses)


@pytest.mark.parametrize("trusted", ["", "10.0.0.0/8"])
def test_cityops_serve_does_not_trust_its_local_peer(tmp_path, trusted):
    """uvicorn on its own would take X-Forwarded-For from any loopback peer."""
    import subprocess
    import sys

    from tests.servers import ROOT, _wait_until_healthy, app_env, free_port

    port = free_port()
    env = app_env(tmp_path, port, "serve.db", CITYOPS_TRUSTED_PROXIES=trusted)
    subprocess.run(
        [sys.executable, "-m", "api.cli", "migrate"], cwd=ROOT, env=env, check=True, timeout=120
    )
    server = subprocess.Popen(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "api.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_healthy(server, base)
        with httpx.Client(base_url=base, timeout=30) as client:
            codes = [
                client.post(
                    LOGIN,
                    json={"username": f"nobody{i}", "password": "wrong"},
                    headers={"X-Forwarded-For": f"203.0.113.{i}"},
                ).json()["code"]
                for i in range(CAP + 1)
            ]
        assert codes[-1] == "auth.locked", codes
    finally:
        server.terminate()
        server.wait(timeout=20)
