"""SMS as a notification channel: which outbox jobs become a text, to which phone, and when.

- Citizens who can be reached no other way (a phone, no app device, no WeChat: hotline and
  phone-only reporters) get their case's progress (``case.*``) as a ``case_update`` text,
  never during the city's SMS quiet hours (CITYOPS_SMS_QUIET_HOURS) nor their own.
- Citizens with WeChat whose urgent case update WeChat could not carry (no subscription grant
  left) get it as a ``case_update`` text: the fan-out passes those jobs as ``wechat_missed``.
  Urgent case updates go at once, quiet hours or not.
- Staff get urgent cases paged (``task.new`` and ``task.repage`` of an urgent case) as an
  ``urgent_case`` text at once, quiet hours or not; who is paged is decided by
  ``accounts.devices.staff_to_page`` alone.
- Nobody gets more than CITYOPS_SMS_DAILY_LIMIT_PER_PERSON texts a city day: the count is
  taken under a lock on the phone in the fan-out's transaction, so two workers planning for
  the same person cannot both take the last one. The inbox gets every notification anyway.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Collection
from typing import Any

from accounts import devices as accounts_devices
from accounts.phone import mask_phone
from core import clock
from core.db import lock, raw
from core.settings import Settings, quiet_hours
from notify.preferences import Preferences
from notify.templates import PHRASES, render

log = logging.getLogger(__name__)

PAGED_TEMPLATES = frozenset({"task.new", "task.repage"})


def sms_kind(recipient_kind: str, template: str, urgent: bool) -> str | None:
    if recipient_kind == "citizen" and template in PHRASES:
        return "case_update"
    if recipient_kind == "staff" and urgent and template in PAGED_TEMPLATES:
        return "urgent_case"
    return None


def city_quiet_until(moment: dt.datetime, settings: Settings) -> dt.datetime | None:
    """The end of the city's SMS quiet hours ``moment`` falls in, or None."""
    hours = quiet_hours(settings)
    if hours is None:
        return None
    return Preferences(quiet_start=hours[0], quiet_end=hours[1]).quiet_until(moment)


def _sms_fields(kind: str, template: str, params: dict[str, Any]) -> dict[str, str]:
    number = str(params.get("number") or params.get("caseId") or "-")
    if kind == "case_update":
        return {"number": number, "status": PHRASES[template]}
    return {"number": number}


async def _texts_today(phones: list[str], now: dt.datetime) -> dict[str, int]:
    if not phones:
        return {}
    marks = ", ".join("{}" for _ in phones)
    rows = await raw(
        "SELECT target, COUNT(*) AS n FROM notification_delivery WHERE channel = 'sms' "  # noqa: S608
        f"AND target IN ({marks}) AND created_at >= {{}} AND status <> 'dead' GROUP BY target",
        *phones,
        clock.start_of_city_day(now),
    )
    return {row["target"]: row["n"] for row in rows}


async def plan(
    jobs: list,
    *,
    prefs: Callable[[tuple[str, int]], Preferences],
    settings: Settings,
    now: dt.datetime,
    wechat_missed: Collection[int] = frozenset(),
) -> list[tuple]:
    """Delivery rows ``(job, "sms", phone, None, payload, available_at)`` for ``jobs``."""
    wanted = []
    for job in jobs:
        kind = sms_kind(job.recipient_kind, job.template, job.urgent)
        owner = (job.recipient_kind, job.recipient_id)
        if kind and not prefs(owner).mutes("sms"):
            wanted.append((job, kind))
    if not wanted:
        return []
    updates = [j for j, k in wanted if k == "case_update"]
    citizens = await accounts_devices.phone_only_citizens(
        citizen_ids=sorted({j.recipient_id for j in updates if j.id not in wechat_missed})
    )
    missed = await accounts_devices.citizen_phones(
        citizen_ids=sorted({j.recipient_id for j in updates if j.id in wechat_missed})
    )
    staff = await accounts_devices.staff_to_page(
        staff_ids=sorted({j.recipient_id for j, k in wanted if k == "urgent_case"})
    )
    phones = {("citizen", i): p for i, p in citizens.items()}
    phones |= {("staff", i): p for i, p in staff.items()}
    every_phone = sorted(set(phones.values()) | set(missed.values()))
    for phone in every_phone:  # one order everywhere: no deadlock
        await lock(f"sms-notify:{phone}")
    sent = await _texts_today(every_phone, now)
    rows = []
    for job, kind in wanted:
        owner = (job.recipient_kind, job.recipient_id)
        phone = missed.get(job.recipient_id) if job.id in wechat_missed else phones.get(owner)
        if phone is None:
            continue
        if sent.get(phone, 0) >= settings.sms_daily_limit_per_person:
            log.info("sms to %s over today's limit: notification %s", mask_phone(phone), job.id)
            continue
        sent[phone] = sent.get(phone, 0) + 1
        at = now
        if kind == "case_update" and not job.urgent:
            at = city_quiet_until(now, settings) or now
            at = prefs(owner).quiet_until(at) or at
        text = render(job.template, job.params, "zh-CN", audience=owner[0], settings=settings)
        payload = {
            "title": text.title,
            "body": text.body,
            "templateId": kind,
            "fields": _sms_fields(kind, job.template, job.params),
            "data": {"template": job.template, "notificationId": str(job.id)},
        }
        rows.append((job, "sms", phone, None, payload, at))
    return rows
