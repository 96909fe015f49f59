"""Object-level authorization: who may see a case, decided from the case and the actor."""

from __future__ import annotations

from accounts import service as accounts
from cases.errors import CaseNotFound
from cases.tables import Case, CaseFollower, CaseMedia
from core.actors import Actor
from media import service as media
from org import grids


async def load_case(public_id: str) -> Case:
    case = await Case.objects().where(Case.public_id == public_id).first()
    if case is None:
        raise CaseNotFound()
    return case


def is_reporter(actor: Actor, case: Case) -> bool:
    return actor.kind == case.reporter_kind and actor.id == case.reporter_id


async def is_follower(actor: Actor, case: Case) -> bool:
    return actor.is_citizen and await CaseFollower.exists().where(
        CaseFollower.slot == f"{case.id}:{actor.id}"
    )


async def staff_may_see(actor: Actor, case: Case) -> bool:
    """Command centre: every case. Inspectors: cases in their grids or filed by them.
    Handlers: cases of their unit."""
    if actor.has_role("operator", "admin"):
        return True
    if is_reporter(actor, case):
        return True
    in_my_grids = (
        actor.has_role("inspector")
        and case.grid_id is not None
        and (case.grid_id in await grids.inspector_grid_ids(staff_id=actor.id))
    )
    if in_my_grids:
        return True
    if case.unit_id is not None:
        return case.unit_id == await accounts.staff_unit_id(staff_id=actor.id)
    return False


async def case_for_staff(actor: Actor, public_id: str) -> Case:
    case = await load_case(public_id)
    if not await staff_may_see(actor, case):
        raise CaseNotFound()  # 404, not 403: do not confirm that the case exists
    return case


async def case_for_citizen(actor: Actor, public_id: str, *, followers_too: bool = True) -> Case:
    case = await load_case(public_id)
    if is_reporter(actor, case) or (followers_too and await is_follower(actor, case)):
        return case
    raise CaseNotFound()


def followers_see_photo(role: str) -> bool:
    """Followers are strangers to the reporter: they see the report's own photos and the
    unit's after-photos, not the inspector's verification evidence."""
    return role != "evidence"


async def may_see_case_photos(actor: Actor, case_ref: str, media_id: str) -> bool:
    """Photos attached to a case are visible to whoever may see the case (followers: only
    those ``followers_see_photo`` admits, by id as in their view of the case)."""
    case = await Case.objects().where(Case.id == int(case_ref)).first()
    if case is None:
        return False
    if actor.is_citizen:
        if is_reporter(actor, case):
            return True
        if not await is_follower(actor, case):
            return False
        row = await CaseMedia.select(CaseMedia.role).where(CaseMedia.media_id == media_id).first()
        return row is not None and followers_see_photo(row["role"])
    return actor.kind == "staff" and await staff_may_see(actor, case)


media.register_viewer("case", may_see_case_photos)
