"""How a webhook is signed, and which URLs may receive one.

Signature (documented in the README): header ``X-Cityops-Signature: t=<unix seconds>,
v1=<hex HMAC-SHA256 of "<t>.<body>" under the subscriber's secret>``; a receiver recomputes
it, compares in constant time and refuses an old ``t`` (replays). The same scheme as
Stripe's, so receivers have code for it already.

URLs: https, no credentials, and a host that does not resolve to a private, loopback,
link-local or reserved address, unless the host is named in
``CITYOPS_WEBHOOK_ALLOWED_HOSTS`` (a 12345 platform inside the government network, or a
test receiver on loopback): a webhook must not become a way to reach inside the city
network (SSRF). Checked when a subscriber registers and again before each delivery (a
name may resolve elsewhere later)."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import socket
import time
from urllib.parse import urlsplit

SIGNATURE_HEADER = "X-Cityops-Signature"
TOLERANCE_SECONDS = 300


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{t}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={t},v1={mac}"


def verify(secret: str, body: bytes, header: str, now: float | None = None) -> bool:
    """What a receiver does (the loopback fake in fakes/webhook_receiver.py does this)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        t = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((time.time() if now is None else now) - t) > TOLERANCE_SECONDS:
        return False
    return hmac.compare_digest(sign(secret, body, t), f"t={t},v1={parts.get('v1', '')}")


def allowed_hosts(setting: str) -> frozenset[str]:
    return frozenset(h.strip().lower() for h in setting.split(",") if h.strip())


def url_problem(url: str, allowed: frozenset[str]) -> str | None:
    """Why ``url`` may not receive webhooks, or None."""
    parts = urlsplit(url) if len(url) <= 500 else None
    if parts is None or not parts.hostname:
        return "a URL of at most 500 characters with a host"
    if parts.username or parts.password:
        return "no user name or password in the URL"
    host = parts.hostname.lower()
    if host in allowed:
        return None if parts.scheme in ("http", "https") else "http or https"
    if parts.scheme != "https":
        return "https (http only for hosts in CITYOPS_WEBHOOK_ALLOWED_HOSTS)"
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return "a host name that resolves"
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            return "a public address (this host is private, loopback or reserved)"
    return None
