"""Earning rules (有奖举报): points when a citizen's report is accepted (立案), more when it is
closed, a few for rating it; per-category amounts come from the category.

- Only the first reporter earns: the citizen who filed the case, not followers ("me too"),
  and never staff or machines.
- Rejected, merged and duplicate reports earn nothing; a photo matching a photo of another
  report of the last N days makes the report a duplicate and flags it.
- A daily cap per citizen (city day) bounds what rules can pay out.
- A later report merged into an accepted case (the same problem) pays the first reporter a
  first-found bonus; closing after the fix was verified pays the category's close points.
- Nothing is written for zero points (a category paying nothing, a cap already reached).
- If an accepted case is later rejected or merged, its awards are reversed by an adjusting
  entry (the earn entries stay: the ledger is append-only).
Every award's reference is "case:{id}:{stage}", so an award cannot be paid twice, even when a
case is closed again after a reopen.
- A report whose photos fail the evidence checks (cases.evidence: old, far, no EXIF) files
  but its awards are held (points.holds) until a person accepts it: a staff member's accept,
  or a release of the held awards (audited); held awards of a rejected report are forfeited.
"""

from __future__ import annotations

import datetime as dt
import logging

import msgspec

from audit import service as audit
from cases.evidence import REPORT_FLAGS
from cases.flags import add_flag
from cases.tables import Case
from core import clock
from core.actors import SYSTEM, Actor
from core.db import raw
from core.errors import DomainError
from core.settings import get_settings
from media import service as media
from notify.service import enqueue
from org.categories import get_category
from points import holds, reasons, review
from points import service as ledger
from points.errors import NothingHeld

log = logging.getLogger("cityops.points")

DUPLICATE_FLAG = "duplicate_photo"


def _reporter(case: Case) -> int | None:
    if case.reporter_kind == "citizen" and case.reporter_id is not None:
        return case.reporter_id
    return None


async def duplicate_photo(case: Case) -> bool:
    """True if one of the reporter's photos of this case matches an earlier photo of another
    case of the last N days. Found once, it is remembered as a flag on the case."""
    if DUPLICATE_FLAG in (case.flags or ""):
        return True
    settings = get_settings()
    since = clock.now() - dt.timedelta(days=settings.points_duplicate_window_days)
    own_ref = f"case:{case.id}"
    for photo in await media.media_of(owner_ref=own_ref):
        if photo.owner_kind != "citizen" or photo.owner_id != case.reporter_id:
            continue  # a handler's after-photo says nothing about the report
        matches = await media.find_similar(
            phash=photo.phash,
            since=since,
            max_distance=settings.points_duplicate_max_distance,
            limit=50,
        )
        # Mirrored, flipped, turned or cropped copies: by the photo's probes (media.transforms).
        matches += await media.find_turned(
            probes=[p for p in photo.probe_hashes.split(",") if p],
            since=since,
            max_distance=settings.points_duplicate_turned_max_distance,
            limit=50,
        )
        for other, _distance in matches:
            attached = other.attached_to or ""
            # Earlier photos of other cases only: the first report is the original.
            if attached.startswith("case:") and attached != own_ref and other.id < photo.id:
                if other.owner_kind == "citizen" and other.owner_id != case.reporter_id:
                    await review.flag(
                        account_id=case.reporter_id,
                        signal={"signal": "same_photo", "caseId": case.public_id},
                    )
                flags = await add_flag(case_id=case.id, flag=DUPLICATE_FLAG)
                case.flags = msgspec.json.encode(flags).decode()
                log.info(
                    "case %s: photo %s duplicates %s", case.id, photo.public_id, other.public_id
                )
                return True
    return False


async def _earned_today(account_id: int) -> int:
    rows = await raw(
        "SELECT COALESCE(SUM(amount), 0) AS total FROM points_entry "
        "WHERE account_id = {} AND kind = 'earn' AND created_at >= {}",
        account_id,
        clock.start_of_city_day(),
    )
    return int(rows[0]["total"])


async def _award(*, account_id: int, case: Case, stage: str, points: int) -> None:
    """Write the award, cut to what is left of today's cap; nothing when that is zero (an
    accepted report still counts on the leaderboard, which reads the cases)."""
    if points <= 0:
        return
    await ledger.lock_account(account_id)
    left = max(get_settings().points_daily_cap - await _earned_today(account_id), 0)
    amount = min(points, left)
    entry = await ledger.post(
        account_id=account_id,
        amount=amount,
        kind="earn",
        reference=f"case:{case.id}:{stage}",
        subject=f"case:{case.id}",
        code=reasons.STAGE_CODES[stage],
        reason="" if amount == points else reasons.CAPPED_NOTE,
        expires_at=ledger.expiry_for(clock.now()),
    )
    if entry is not None:
        await enqueue(
            recipient_kind="citizen",
            recipient_id=account_id,
            template="points.earned",
            params={"points": amount, "caseId": case.public_id, "number": case.number},
            case_id=case.id,
        )


def _suspect_photos(case: Case) -> bool:
    return bool(REPORT_FLAGS.intersection(msgspec.json.decode(case.flags or "[]")))


async def _held(*, account_id: int, case: Case, stage: str, points: int, by: Actor) -> bool:
    """Hold the award instead of paying it if the report's photos failed the evidence checks
    and no person has accepted it yet (a staff accept is that person; a held earlier stage
    says nobody has)."""
    subject = f"case:{case.id}"
    if points <= 0:
        return False
    if await review.under_review(account_id):  # farming suspected: hold whatever it earns
        return await _hold(account_id, case, stage, points, holds.REVIEW)
    if not _suspect_photos(case):
        return False
    if stage == "accept" and by.kind == "staff":
        return False
    if stage != "accept" and not await holds.pending(subject=subject):
        return False
    return await _hold(account_id, case, stage, points, holds.EVIDENCE)


async def _hold(account_id: int, case: Case, stage: str, points: int, reason: str) -> bool:
    await holds.hold(
        account_id=account_id,
        subject=f"case:{case.id}",
        reference=f"case:{case.id}:{stage}",
        stage=stage,
        amount=points,
        reason=reason,
    )
    return True


async def pay_released(rows: list[dict]) -> int:
    """Pay held awards just released (holds.decide), as they would have been paid."""
    paid = 0
    for row in rows:
        case = await Case.objects().where(Case.id == int(row["subject"].split(":")[1])).first()
        if case is None:
            continue
        await _award(
            account_id=row["account_id"],
            case=case,
            stage=row["stage"],
            points=row["amount"],
        )
        paid += row["amount"]
    return paid


async def release_case(*, case: Case, actor: Actor) -> int:
    """A person accepts the report's photos: pay its held awards (under the daily cap, as
    they would have been), audited; what this call released. Nothing held: NothingHeld."""
    released = await holds.decide(
        actor=actor, to=holds.RELEASED, subject=f"case:{case.id}", reason=holds.EVIDENCE
    )
    if not released:
        raise NothingHeld(case_id=case.public_id)
    paid = await pay_released(released)
    await audit.record(
        actor=actor,
        action="points.release",
        target_kind="case",
        target_id=case.public_id,
        after={"stages": [row["stage"] for row in released], "points": paid},
    )
    return paid


async def award_case(*, case: Case, stage: str, actor: Actor = SYSTEM) -> None:
    """Points for an accepted ("accept") or closed ("close") report."""
    account_id = _reporter(case)
    if account_id is None or case.merged_into_id is not None:
        return
    try:
        category = await get_category(code=case.category_code)
    except DomainError:
        return  # the category was retired since: no rule to pay by
    if await duplicate_photo(case):
        return
    points = category.points_on_accept if stage == "accept" else category.points_on_close
    if await _held(account_id=account_id, case=case, stage=stage, points=points, by=actor):
        return
    await _award(account_id=account_id, case=case, stage=stage, points=points)


async def award_first_found(*, merged: Case) -> None:
    """A later report of the same problem was merged into an accepted case: its reporter
    found the problem first and earns the bonus, once per case (the award's reference)."""
    if merged.merged_into_id is None:
        return
    original = await Case.objects().where(Case.id == merged.merged_into_id).first()
    if original is None or original.accepted_at is None or original.merged_into_id is not None:
        return
    account_id = _reporter(original)
    if account_id is None or account_id == _reporter(merged):
        return  # a citizen's own second report finds nothing new
    if await duplicate_photo(original) or await review.under_review(account_id):
        return
    await _award(
        account_id=account_id,
        case=original,
        stage=reasons.FIRST_FOUND,
        points=get_settings().points_first_found_bonus,
    )


async def award_rating(*, case: Case, actor: Actor) -> None:
    account_id = _reporter(case)
    if account_id is None or actor.kind != "citizen" or actor.id != account_id:
        return
    if await duplicate_photo(case):
        return
    points = get_settings().points_on_rating
    if await _held(account_id=account_id, case=case, stage="rate", points=points, by=actor):
        return
    await _award(account_id=account_id, case=case, stage="rate", points=points)


async def reverse_case(*, case: Case, actor: Actor = SYSTEM) -> int:
    """Take back what a case earned, once, by one adjusting entry; what was already spent
    cannot be taken below zero, so the reversal is capped at the balance."""
    account_id = _reporter(case)
    if account_id is None:
        return 0
    await holds.decide(actor=actor, to=holds.FORFEITED, subject=f"case:{case.id}")
    earned = [e for e in await ledger.entries_of(subject=f"case:{case.id}") if e.kind == "earn"]
    if not earned:
        return 0
    await ledger.lock_account(account_id)
    total = sum(e.amount for e in earned)
    amount = min(total, await ledger.balance(account_id=account_id))
    await ledger.post(
        account_id=account_id,
        amount=-amount,
        kind="adjust",
        reference=f"case:{case.id}:reversal",
        subject=f"case:{case.id}",
        code=reasons.CASE_REVERSED if amount == total else reasons.CASE_REVERSED_PARTLY,
        reason="" if amount == total else str(total - amount),
        actor=actor,
    )
    return amount
