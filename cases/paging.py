"""Paging again: an urgent case (priority 1) that nobody of its unit has acknowledged
CITYOPS_SMS_REPAGE_MINUTES after dispatch is paged to the unit again (``task.repage``, an
urgent notification: a text to the staff ``accounts.devices.staff_to_page`` names, and a
push), and again every as many minutes, at most CITYOPS_SMS_REPAGE_MAX times.

Acknowledged means the unit reacted: the case left ``dispatched``, someone of the staff
recorded a step on it since the dispatch (an extension or return request...), or a staff
member read the case's notification in the app's inbox. Each round has its own dedupe key,
so several workers, or a tick run twice, page once."""

from __future__ import annotations

import datetime as dt

from accounts import service as accounts
from cases.tables import Case, CaseEvent
from cases.workflow import DISPATCHED
from core import clock
from core.settings import get_settings
from notify.inbox import staff_read_case
from notify.service import enqueue


async def _acknowledged(case: Case, since: dt.datetime) -> bool:
    acted = await CaseEvent.exists().where(
        (CaseEvent.case == case.id)
        & (CaseEvent.actor_kind == "staff")
        & (CaseEvent.created_at > since)
    )
    return acted or await staff_read_case(case_id=case.id, since=since)


async def repage_unacknowledged(*, at: dt.datetime | None = None, batch: int = 200) -> int:
    """Queue the pages that are due (caller's transaction); returns how many were queued."""
    settings = get_settings()
    if settings.sms_repage_max <= 0 or settings.sms_repage_minutes <= 0:
        return 0
    now = at or clock.now()
    every = dt.timedelta(minutes=settings.sms_repage_minutes)
    window = every * (settings.sms_repage_max + 1)
    cases = (
        await Case.objects()
        .where(
            (Case.state == DISPATCHED)
            & (Case.priority == 1)
            & Case.unit_id.is_not_null()
            & (Case.dispatched_at <= now - every)
            & (Case.dispatched_at > now - window)
        )
        .order_by(Case.dispatched_at)
        .limit(batch)
    )
    queued = 0
    for case in cases:
        dispatched = clock.as_utc(case.dispatched_at)
        # The latest round due; a worker that was down pages once, not once per missed round.
        round_ = min(int((now - dispatched) / every), settings.sms_repage_max)
        if await _acknowledged(case, dispatched):
            continue
        stamp = int(dispatched.timestamp())
        for staff_id in await accounts.staff_ids_of_unit(unit_id=case.unit_id):
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
