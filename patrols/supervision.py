"""Patrols as supervisors and admins see them: the patrols of the inspectors in their scope,
and a patrol's track for replay on the workbench map."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection

from core import clock
from patrols import errors, track
from patrols.service import patrol_fixes
from patrols.tables import Patrol

MAX_PATROLS = 200


async def patrols_of(
    *, staff_ids: Collection[int] | None, since: dt.datetime, until: dt.datetime
) -> list[Patrol]:
    """Patrols started in [since, until), newest first; ``staff_ids`` None means everyone's."""
    query = Patrol.objects().where(
        (Patrol.started_at >= clock.as_utc(since)) & (Patrol.started_at < clock.as_utc(until))
    )
    if staff_ids is not None:
        if not staff_ids:
            return []
        query = query.where(Patrol.staff_id.is_in(sorted(staff_ids)))
    return await query.order_by(Patrol.started_at, ascending=False).limit(MAX_PATROLS)


async def patrol_track(
    *, public_id: str, staff_ids: Collection[int] | None
) -> tuple[Patrol, list[list[track.Fix]]]:
    """A patrol and its track as the summary counts it (implausible jumps dropped), in runs
    split at gaps; PatrolNotFound when it is not one of ``staff_ids``' patrols."""
    patrol = await Patrol.objects().where(Patrol.public_id == public_id).first()
    if patrol is None or (staff_ids is not None and patrol.staff_id not in staff_ids):
        raise errors.PatrolNotFound()
    runs, _dropped = track.segments(await patrol_fixes(patrol))
    return patrol, runs
