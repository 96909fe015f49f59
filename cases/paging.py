"""Acknowledgement (签收) and paging again: a dispatched case its unit has not acknowledged
within its limit (the category's ``ack_minutes``, else CITYOPS_URGENT_ACK_MINUTES for an
urgent case) raises an ``unacknowledged`` alert in its centre's queue and is paged again
(``task.repage``, urgent: a push and, with the SMS channel on, a text) to its assignee or the
unit's on-duty handlers, then every CITYOPS_SMS_REPAGE_MINUTES, at most CITYOPS_SMS_REPAGE_MAX
times.

Acknowledged means 签收 was recorded, or the unit's staff took a step on the case since it
was dispatched (a request, a resolve). Each round has its own dedupe key, so several
workers, or a tick run twice, page once."""

from __future__ import annotations

import datetime as dt

from cases import alerts
from cases.tables import Case, CaseEvent
from cases.workflow import DISPATCHED
from core import clock
from core.settings import get_settings
from notify.service import enqueue
from org import duty
from org.categories import ack_limits


async def _acted(case: Case, since: dt.datetime) -> bool:
    return await CaseEvent.exists().where(
        (CaseEvent.case == case.id)
        & (CaseEvent.actor_kind == "staff")
        & (CaseEvent.created_at > since)
        & CaseEvent.action.not_in(["note", "assign"])
    )


def _limit(case: Case, limits: dict[str, int]) -> dt.timedelta | None:
    minutes = limits.get(case.category_code)
    if minutes is None and case.priority == 1:
        minutes = get_settings().urgent_ack_minutes
    return dt.timedelta(minutes=minutes) if minutes else None


async def _recipients(case: Case) -> list[int]:
    if case.assignee_id is not None:
        return [case.assignee_id]
    return await duty.who_to_tell(unit_id=case.unit_id, roles=("handler", "operator"))


async def repage_unacknowledged(*, at: dt.datetime | None = None, batch: int = 200) -> int:
    """Alert and page what is due (caller's transaction); returns how many pages went out."""
    settings = get_settings()
    now = at or clock.now()
    limits = await ack_limits()
    watched = Case.priority == 1
    if limits:
        watched = watched | Case.category_code.is_in(sorted(limits))
    cases = (
        await Case.objects()
        .where(
            (Case.state == DISPATCHED)
            & Case.acknowledged_at.is_null()
            & Case.unit_id.is_not_null()
            & watched
        )
        .order_by(Case.dispatched_at)
        .limit(batch)
    )
    every = dt.timedelta(minutes=max(settings.sms_repage_minutes, 1))
    queued = 0
    for case in cases:
        limit = _limit(case, limits)
        dispatched = clock.as_utc(case.dispatched_at)
        if limit is None or now < dispatched + limit or await _acted(case, dispatched):
            continue
        await alerts.raise_alert(
            "unacknowledged", case=case, detail={"minutes": int(limit.total_seconds() // 60)}
        )
        if settings.sms_repage_max <= 0:
            continue
        # The latest round due (0 at the limit); a worker that was down pages once, not once
        # per missed round; CITYOPS_SMS_REPAGE_MAX pages in all.
        round_ = min(int((now - dispatched - limit) / every), settings.sms_repage_max - 1)
        stamp = int(dispatched.timestamp())
        for staff_id in await _recipients(case):
            queued += await enqueue(
                recipient_kind="staff",
                recipient_id=staff_id,
                template="task.repage",
                params={"caseId": case.public_id, "number": case.number, "round": round_},
                case_id=case.id,
                urgent=True,
                dedupe_key=f"repage:{case.id}:{stamp}:{round_}:{staff_id}",
            )
    return queued
