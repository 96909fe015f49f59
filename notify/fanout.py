"""Turn outbox jobs into an inbox message each and one delivery per channel and device.

All database work, in one transaction per batch: a crash leaves either the jobs pending or
everything planned, never half. No provider is called here, so the row locks are held for
milliseconds.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import msgspec

from accounts import devices as accounts_devices
from core import clock
from core.db import is_sqlite, is_unavailable, raw, transaction
from core.settings import Settings
from notify import inbox, preferences, sms_channel
from notify.templates import PHRASES, cut_thing, render, wechat_page

log = logging.getLogger(__name__)

# Push channels that reach devices; WeChat goes to the openid instead.
DEVICE_CHANNELS = frozenset(
    {"apns", "fcm", "harmony", "huawei", "honor", "xiaomi", "oppo", "vivo", "jpush"}
)
# Which kind of message a template is: picks the Android channel and the vendor category.
KINDS = {"case": "case", "points": "account", "redemption": "account"}


def push_channel(platform: str, vendor: str) -> str | None:
    """The provider that reaches a device: APNs for iPhones, Push Kit v3 for HarmonyOS NEXT,
    and for Android the vendor the phone registered with (rows from before vendors: FCM)."""
    if platform == "ios":
        return "apns"
    if platform == "harmony":
        return "harmony"
    if platform == "android":
        return vendor if vendor and vendor != "fcm" else "fcm"
    return None


def message_kind(template: str) -> str:
    return KINDS.get(template.split(".", 1)[0], "task")


class Job(msgspec.Struct, frozen=True):
    id: int
    recipient_kind: str
    recipient_id: int
    template: str
    params: dict[str, Any]
    urgent: bool
    case_id: int | None
    created_at: dt.datetime


async def _claim_jobs(limit: int, now: dt.datetime) -> list[Job]:
    lock = "" if is_sqlite() else " FOR UPDATE SKIP LOCKED"
    rows = await raw(
        "SELECT id, recipient_kind, recipient_id, template, params, urgent, case_id, created_at "
        "FROM notification_job WHERE status = 'pending' AND available_at <= {} "
        "ORDER BY id LIMIT {}" + lock,
        now,
        limit,
    )
    return [
        Job(
            id=r["id"],
            recipient_kind=r["recipient_kind"],
            recipient_id=r["recipient_id"],
            template=r["template"],
            params=_params(r["params"]),
            urgent=bool(r["urgent"]),
            case_id=r["case_id"],
            created_at=_as_datetime(r["created_at"]),
        )
        for r in rows
    ]


def _params(text: str) -> dict[str, Any]:
    try:
        value = msgspec.json.decode(text or "{}")
    except msgspec.DecodeError:
        return {}
    return value if isinstance(value, dict) else {}


def _as_datetime(value) -> dt.datetime:
    return clock.as_utc(dt.datetime.fromisoformat(value) if isinstance(value, str) else value)


def _wechat_fields(job: Job, title: str, body: str, when: dt.datetime) -> dict[str, str]:
    """The 案件进度通知 template: case number, status word, what happened, when."""
    number = str(job.params.get("number") or job.params.get("caseId") or "-")
    return {
        "character_string1": number[:32],
        "phrase2": PHRASES.get(job.template, "有进展")[:5],
        "thing3": cut_thing(body or title) or "-",
        "time4": when.astimezone(clock.city_zone()).strftime("%Y-%m-%d %H:%M"),
    }


async def expand(
    jobs: list[Job], *, channels: set[str], settings: Settings, now: dt.datetime
) -> int:
    """Plan inbox messages and deliveries for ``jobs`` (caller's transaction); returns the
    number of deliveries planned."""
    owners = sorted({(j.recipient_kind, j.recipient_id) for j in jobs})
    prefs = await preferences.preferences_of(owners=owners)
    devices: dict[tuple[str, int], list] = {}
    if channels & DEVICE_CHANNELS:
        for device in await accounts_devices.devices_of_owners(owners=owners):
            devices.setdefault((device.owner_kind, device.owner_id), []).append(device)
    openids: dict[int, str] = {}
    if "wechat" in channels:
        openids = await accounts_devices.wechat_openids(
            citizen_ids=[i for kind, i in owners if kind == "citizen"]
        )
    # The inbox first: the badge a push carries is the unread count including this message.
    await _insert_inbox(
        [
            (
                job.recipient_kind,
                job.recipient_id,
                job.id,
                job.template,
                msgspec.json.encode(job.params).decode(),
                job.case_id,
                job.created_at,
            )
            for job in jobs
        ]
    )
    unread = await inbox.unread_counts(owners=owners)
    delivery_rows = []
    wechat_missed: set[int] = set()  # urgent jobs WeChat could not carry: SMS takes them
    for job in jobs:
        owner = (job.recipient_kind, job.recipient_id)
        pref = prefs.get(owner, preferences.Preferences())
        # Quiet hours hold back non-urgent pushes; the inbox above gets everything at once.
        at = now if job.urgent else (pref.quiet_until(now) or now)
        data = {
            "template": job.template,
            "notificationId": str(job.id),
            "caseId": str(job.params.get("caseId", "")),
        }
        case_key = str(job.params.get("caseId") or "")
        if not pref.mutes("push"):
            for device in devices.get(owner, []):
                channel = push_channel(device.platform, device.vendor)
                if channel not in channels:
                    continue
                text = render(
                    job.template,
                    job.params,
                    device.locale,
                    audience=job.recipient_kind,
                    settings=settings,
                )
                payload = {
                    "title": text.title,
                    "body": text.body,
                    "link": text.link,
                    "data": data,
                    "badge": unread.get(owner, 0),
                    "thread": f"case-{case_key}" if case_key else "",
                    "kind": message_kind(job.template),
                }
                delivery_rows.append((job, channel, device.token, device.id, payload, at))
        openid = openids.get(job.recipient_id) if job.recipient_kind == "citizen" else None
        if openid and not pref.mutes("wechat") and job.template.startswith("case."):
            row = await _wechat_delivery(job, openid, data, at, settings)
            if row:
                delivery_rows.append(row)
            elif job.urgent:
                # No grant left: the inbox has it; an urgent one must still reach the person.
                wechat_missed.add(job.id)
    if "sms" in channels:
        delivery_rows += await sms_channel.plan(
            jobs,
            prefs=lambda owner: prefs.get(owner, preferences.Preferences()),
            settings=settings,
            now=now,
            wechat_missed=wechat_missed,
        )
    await _insert_deliveries(delivery_rows, now)
    ids = [job.id for job in jobs]
    await raw(
        f"UPDATE notification_job SET status = 'done', attempts = attempts + 1 "  # noqa: S608
        f"WHERE id IN ({', '.join('{}' for _ in ids)})",
        *ids,
    )
    return len(delivery_rows)


async def _wechat_delivery(
    job: Job, openid: str, data: dict[str, str], at: dt.datetime, settings: Settings
) -> tuple | None:
    """A subscribe message if the citizen has a grant for the case template (long-term
    grants stand, one-time grants are used up one per message); None otherwise."""
    template_id = preferences.case_template()
    if not await preferences.take_subscription(
        citizen_id=job.recipient_id, template_id=template_id
    ):
        return None
    text = render(job.template, job.params, "zh-CN", audience="citizen", settings=settings)
    payload = {
        "title": text.title,
        "body": text.body,
        "link": text.link,
        "data": data,
        "templateId": template_id,
        "page": wechat_page(job.params, settings),
        "fields": _wechat_fields(job, text.title, text.body, job.created_at),
    }
    return (job, "wechat", openid, None, payload, at)


async def _insert_inbox(rows: list[tuple]) -> None:
    for chunk in _chunks(rows, 200):
        values = ", ".join("({}, {}, {}, {}, {}, {}, {})" for _ in chunk)
        await raw(
            "INSERT INTO inbox_message (owner_kind, owner_id, job_id, template, params, case_id, "  # noqa: S608
            f"created_at) VALUES {values} ON CONFLICT (job_id) DO NOTHING",
            *[value for row in chunk for value in row],
        )


async def _insert_deliveries(rows: list[tuple], now: dt.datetime) -> None:
    for chunk in _chunks(rows, 200):
        values = ", ".join(
            "({}, {}, {}, {}, {}, {}, {}, {}, {}, 'pending', 0, {}, {}, '')" for _ in chunk
        )
        args: list[Any] = []
        for job, channel, target, device_id, payload, at in chunk:
            args += [
                job.id,
                channel,
                target,
                device_id,
                job.recipient_kind,
                job.recipient_id,
                job.template,
                msgspec.json.encode(payload).decode(),
                1 if job.urgent else 0,
                at,
                now,
            ]
        await raw(
            "INSERT INTO notification_delivery (job_id, channel, target, device_id, "  # noqa: S608
            "recipient_kind, recipient_id, template, payload, urgent, status, attempts, "
            f"available_at, created_at, last_error) VALUES {values}",
            *args,
        )


def _chunks(rows: list, size: int):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def fan_out(*, channels: set[str], settings: Settings, batch: int) -> int:
    """Expand one batch of due jobs; returns how many jobs were taken."""
    now = clock.now()
    try:
        async with transaction():
            jobs = await _claim_jobs(batch, now)
            if jobs:
                await expand(jobs, channels=channels, settings=settings, now=now)
        return len(jobs)
    except Exception as exc:
        if is_unavailable(exc) or batch == 1:
            raise
        # One bad job must not hold back the others: find it by going one at a time.
        log.exception("notification fan-out failed; retrying the batch job by job")
    taken = 0
    for _ in range(batch):
        try:
            got = await fan_out(channels=channels, settings=settings, batch=1)
        except Exception as exc:
            if is_unavailable(exc):
                raise
            await _set_aside_first_due(now, settings, repr(exc))
            got = 1
        if not got:
            break
        taken += got
    return taken


async def _set_aside_first_due(now: dt.datetime, settings: Settings, error: str) -> None:
    async with transaction():
        jobs = await _claim_jobs(1, now)
        if not jobs:
            return
        delay = dt.timedelta(seconds=settings.notify_retry_base_seconds)
        await raw(
            "UPDATE notification_job SET attempts = attempts + 1, last_error = {}, "
            "available_at = {}, status = CASE WHEN attempts + 1 >= {} THEN 'dead' "
            "ELSE 'pending' END WHERE id = {}",
            error[:500],
            now + delay,
            settings.notify_max_attempts,
            jobs[0].id,
        )
