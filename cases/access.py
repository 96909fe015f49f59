"""Object-level authorization: who may see a case, decided from the case and the actor.
What those outside the staff side see of it is the visibility policy's (cases.visibility)."""

from __future__ import annotations

from cases import scope
from cases.errors import CaseNotFound
from cases.tables import Case, CaseFollower, CaseMedia
from cases.visibility import is_public, is_reporter, photo_is_public, public_target
from core.actors import Actor
from media import service as media


async def load_case(public_id: str) -> Case:
    case = await Case.objects().where(Case.public_id == public_id).first()
    if case is None:
        raise CaseNotFound()
    return case


async def is_follower(actor: Actor, case: Case) -> bool:
    return actor.is_citizen and await CaseFollower.exists().where(
        CaseFollower.slot == f"{case.id}:{actor.id}"
    )


async def staff_may_see(actor: Actor, case: Case) -> bool:
    """Within the actor's scope (cases.scope: a centre's area, a unit's cases, an
    inspector's grids), or filed by them."""
    if is_reporter(actor, case):
        return True
    return actor.kind == "staff" and await scope.contains(await scope.scope_of(actor), case)


async def case_for_staff(actor: Actor, public_id: str) -> Case:
    case = await load_case(public_id)
    if not await staff_may_see(actor, case):
        raise CaseNotFound()  # 404, not 403: do not confirm that the case exists
    return case


async def case_for_citizen(actor: Actor, public_id: str, *, followers_too: bool = True) -> Case:
    """The reporter's own case; for its followers (``followers_too``) the public case it is
    now (itself, or the case it was merged into), and only while that is public."""
    case = await load_case(public_id)
    if is_reporter(actor, case):
        return case
    if followers_too:
        target = await public_target(case)
        if target is not None and (
            is_reporter(actor, target)
            or await is_follower(actor, target)
            or await is_follower(actor, case)
        ):
            return target
    raise CaseNotFound()


async def may_see_case_photos(actor: Actor, case_ref: str, media_id: str) -> bool:
    """Photos attached to a case: its reporter, staff who may see the case, and the
    followers of a public case (only the photos the visibility policy makes public)."""
    case = await Case.objects().where(Case.id == int(case_ref)).first()
    if case is None:
        return False
    if actor.is_citizen:
        if is_reporter(actor, case):
            return True
        if not is_public(case) or not await is_follower(actor, case):
            return False
        link = (
            await CaseMedia.objects()
            .where((CaseMedia.media_id == media_id) & (CaseMedia.case == case.id))
            .first()
        )
        return link is not None and photo_is_public(case, link)
    return actor.kind == "staff" and await staff_may_see(actor, case)


media.register_viewer("case", may_see_case_photos)
