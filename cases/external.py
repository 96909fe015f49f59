"""Cases seen by other city systems through Open311 GeoReport v2: filing a service request
and the public listing, within the visibility policy (cases.visibility). Our states collapse
to Open311's two: open and closed (a rejected, merged or cancelled case, which only the
client that filed it sees, is closed too: nothing more will happen to it)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from accounts.phone import normalize_phone
from cases import hotline, reporting, visibility
from cases.tables import Case
from cases.workflow import OPEN, TERMINAL
from core.actors import Actor
from org.categories import private_location_codes

OPEN311_STATUS = {**dict.fromkeys(OPEN, "open"), **dict.fromkeys(TERMINAL, "closed")}


class RequestFilter(msgspec.Struct, frozen=True, kw_only=True):
    since: dt.datetime
    until: dt.datetime
    statuses: Sequence[str] = ()  # open, closed
    service_codes: Sequence[str] = ()
    ids: Sequence[str] = ()
    bbox: tuple[float, float, float, float] | None = None  # west, south, east, north


async def file_service_request(
    *, actor: Actor, trusted: bool, report: reporting.NewCase, caller: hotline.CallerIn | None
) -> Case:
    """A request from another city system (a 12345 hotline platform, a partner app). It is
    filed as a hotline report: verified like a citizen's unless the client is trusted. The
    caller's fields are kept (cases.hotline: masked to staff); their phone, when given,
    makes them a follower of the case (a phone-only citizen), so every later step reaches
    them by SMS (notify.sms_channel)."""
    if caller is not None and caller.phone:
        caller = msgspec.structs.replace(caller, phone=normalize_phone(caller.phone))
    case = await reporting._file(report=report, source="hotline", actor=actor, trusted=trusted)
    if caller is not None:
        await hotline.keep_caller(case, caller, taker=actor)
    return case


async def list_requests(
    *, filters: RequestFilter, limit: int, offset: int, viewer: Actor | None = None
) -> list[Case]:
    """Newest first (requested_datetime), offset pages as the GeoReport spec has them: the
    public cases, and the viewer's own (a client's requests) (cases.visibility). Asking for
    ids overrides every other filter (the spec's service_request_id)."""
    if filters.ids:
        found = await Case.objects().where(Case.public_id.is_in(list(filters.ids)))
        shown: dict[int, Case] = {}
        for case in found:
            if (seen := await visibility.visible_case(case, viewer)) is not None:
                shown[seen.id] = seen
        ordered = sorted(shown.values(), key=lambda c: (c.reported_at, c.id), reverse=True)
        return ordered[:limit]
    query = Case.objects().where(
        (Case.reported_at >= filters.since)
        & (Case.reported_at < filters.until)
        & visibility.visible_clause(viewer)
    )
    if filters.statuses:
        states = [s for s, status in OPEN311_STATUS.items() if status in filters.statuses]
        query = query.where(Case.state.is_in(states))
    if filters.service_codes:
        query = query.where(Case.category_code.is_in(list(filters.service_codes)))
    if filters.bbox:
        private = await private_location_codes()
        query = query.where(visibility.bbox_clause(filters.bbox, private))
    return (
        await query.order_by(Case.reported_at, ascending=False)
        .order_by(Case.id, ascending=False)
        .limit(limit)
        .offset(offset)
    )


async def get_request(*, public_id: str, viewer: Actor | None = None) -> Case | None:
    """The request as ``viewer`` may see it: their own, or what of it is public (a merged
    request is shown as the one it was merged into); None otherwise."""
    case = await Case.objects().where(Case.public_id == public_id).first()
    return None if case is None else await visibility.visible_case(case, viewer)
