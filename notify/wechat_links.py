"""URL Links (``wxa/generate_urllink``) that open a mini-program page from a browser or a
phone's own camera, where a ``cityops://`` link goes nowhere: the signpost page's "report
here" button. One link per signpost, cached in the database with its expiry (WeChat lets a
link live at most 30 days and limits how many an app may generate a day); a link with less
than a day left is replaced. When WeChat cannot be reached the caller falls back to the
app's own link."""

from __future__ import annotations

import datetime as dt
import logging

import httpx
import msgspec

from core import clock
from core.db import raw
from core.settings import Settings
from notify.providers.wechat import TokenUnavailable, wechat_from_settings

log = logging.getLogger(__name__)
RENEW_BEFORE = dt.timedelta(days=1)


class _Answer(msgspec.Struct):
    errcode: int = 0
    errmsg: str = ""
    url_link: str = ""


def _as_utc(value) -> dt.datetime:
    return clock.as_utc(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)


# Links this process has read or made, until they are due for renewal: a signpost page
# then reads nothing from the database for its button. (A link only changes on renewal,
# which waits for the same moment, so no other process's edit can be missed.)
_known: dict[str, tuple[str, dt.datetime]] = {}
_KNOWN_MAX = 100_000


def _remember(key: str, url: str, expires_at: dt.datetime) -> str:
    if len(_known) >= _KNOWN_MAX:
        _known.clear()
    _known[key] = (url, expires_at - RENEW_BEFORE)
    return url


# After WeChat could not be reached, pages use the app link for a while instead of each
# waiting for the timeout again (a person at a crossing waits for the page).
UNREACHABLE_PAUSE = dt.timedelta(seconds=60)
_unreachable_until = dt.datetime.min.replace(tzinfo=dt.UTC)
_failed = _probing = False


def forget() -> None:
    """Forget the links and the pause (tests, after the tables were emptied)."""
    global _unreachable_until, _failed, _probing
    _known.clear()
    _failed = _probing = False
    _unreachable_until = dt.datetime.min.replace(tzinfo=dt.UTC)


async def url_link(*, key: str, page: str, query: str, settings: Settings) -> str | None:
    """The cached link for ``key``, or a new one; None if WeChat did not give one."""
    global _unreachable_until, _failed, _probing
    known = _known.get(key)
    if known is not None and known[1] > clock.now():
        return known[0]
    rows = await raw("SELECT url, expires_at FROM wechat_url_link WHERE key = {}", key)
    if rows and _as_utc(rows[0]["expires_at"]) - RENEW_BEFORE > clock.now():
        return _remember(key, rows[0]["url"], _as_utc(rows[0]["expires_at"]))
    if clock.now() < _unreachable_until or (_failed and _probing):
        return None  # the app link; after a failure one page at a time tries WeChat again
    days = max(1, min(settings.wechat_urllink_days, 30))
    provider = wechat_from_settings(settings)
    _probing = True
    try:
        token = await provider.access_token()
        response = await provider.client.post(
            "/wxa/generate_urllink",
            params={"access_token": token},
            json={
                "path": page,
                "query": query,
                "is_expire": True,
                "expire_type": 1,
                "expire_interval": days,
                "env_version": "release"
                if settings.wechat_miniprogram_state == "formal"
                else "trial",
            },
        )
        answer = msgspec.json.decode(response.content, type=_Answer)
    except (TokenUnavailable, httpx.HTTPError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        log.warning("wechat url link for %s unavailable: %s", key, type(exc).__name__)
        _unreachable_until = clock.now() + UNREACHABLE_PAUSE
        _failed = True
        return None
    finally:
        _probing = False
        await provider.aclose()
    _failed = False  # WeChat answered
    if answer.errcode or not answer.url_link:
        log.warning("wechat url link for %s refused: errcode %s", key, answer.errcode)
        return None
    now = clock.now()
    await raw(
        "INSERT INTO wechat_url_link (key, url, expires_at, created_at) VALUES ({}, {}, {}, {}) "
        "ON CONFLICT (key) DO UPDATE SET url = excluded.url, expires_at = excluded.expires_at, "
        "created_at = excluded.created_at",
        key,
        answer.url_link,
        now + dt.timedelta(days=days),
        now,
    )
    return _remember(key, answer.url_link, now + dt.timedelta(days=days))
