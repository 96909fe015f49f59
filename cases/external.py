"""Cases seen by other city systems through Open311 GeoReport v2: filing a service request
and the public listing. Our states collapse to Open311's two: open and closed (a rejected,
merged or cancelled case is closed too: nothing more will happen to it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from accounts import service as accounts
from cases import feedback, reporting
from cases.tables import Case
from cases.workflow import FEEDBACK_TEMPLATES, OPEN, TERMINAL
from core.actors import Actor
from notify.service import enqueue

OPEN311_STATUS = {**dict.fromkeys(OPEN, "open"), **dict.fromkeys(TERMINAL, "closed")}


class RequestFilter(msgspec.Struct, frozen=True, kw_only=True):
    since: dt.datetime
    until: dt.datetime
    statuses: Sequence[str] = ()  # open, closed
    service_codes: Sequence[str] = ()
    ids: Sequence[str] = ()
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north


async def file_service_request(
    *, actor: Actor, trusted: bool, report: reporting.NewCase, caller_phone: str | None = None
) -> Case:
    """A request from another city system (a 12345 hotline platform, a partner app). It is
    filed as a hotline report: verified like a citizen's unless the client is trusted. The
    caller's phone, when given, makes them a follower of the case (a phone-only citizen), so
    every later step reaches them by SMS (notify.sms_channel)."""
    follower = await accounts.citizen_for_phone(phone=caller_phone) if caller_phone else None
    case = await reporting._file(report=report, source="hotline", actor=actor, trusted=trusted)
    if follower is not None:
        await feedback.add_follower(case, citizen_id=follower)
        await enqueue(
            recipient_kind="citizen",
            recipient_id=follower,
            template=FEEDBACK_TEMPLATES["report"],
            params={"caseId": case.public_id, "number": case.number},
            case_id=case.id,
        )
    return case


async def list_requests(*, filters: RequestFilter, limit: int, offset: int) -> list[Case]:
    """Newest first (requested_datetime), offset pages as the GeoReport spec has them.
    Asking for ids overrides every other filter (the spec's service_request_id)."""
    if filters.ids:
        return (
            await Case.objects()
            .where(Case.public_id.is_in(list(filters.ids)))
            .order_by(Case.reported_at, ascending=False)
            .limit(limit)
        )
    query = Case.objects().where(
        (Case.reported_at >= filters.since) & (Case.reported_at < filters.until)
    )
    if filters.statuses:
        states = [s for s, status in OPEN311_STATUS.items() if status in filters.statuses]
        query = query.where(Case.state.is_in(states))
    if filters.service_codes:
        query = query.where(Case.category_code.is_in(list(filters.service_codes)))
    if filters.bbox:
        west, south, east, north = filters.bbox
        query = query.where(
            (Case.lon >= west) & (Case.lon <= east) & (Case.lat >= south) & (Case.lat <= north)
        )
    return (
        await query.order_by(Case.reported_at, ascending=False)
        .order_by(Case.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )


async def get_request(*, public_id: str) -> Case | None:
    return await Case.objects().where(Case.public_id == public_id).first()
