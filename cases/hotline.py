"""12345 hotline calls: a call-taker (接线员) files a case for a caller who phoned in. The
caller's name and number are kept with the case (HotlineCall); the number is shown in full
only to the call-taker who took the call, masked to every other viewer, and revealed to
staff who must act on the case through the audited reporter-phone step (cases.field). A
caller with a mobile number follows the case as a phone-only citizen, so every later step
reaches them by SMS (notify.sms_channel)."""

from __future__ import annotations

import msgspec

from accounts import service as accounts
from accounts.phone import mask_phone, normalize_phone
from cases import feedback, reporting
from cases.access import case_for_staff
from cases.errors import CaseNotFound
from cases.tables import Case, HotlineCall
from cases.workflow import FEEDBACK_TEMPLATES
from core import clock
from core.actors import SYSTEM, Actor
from notify.service import enqueue

# Who takes calls: the hotline's call-takers, and command-centre staff standing in for them.
TAKER_ROLES = ("call_taker", "operator", "admin")


class Caller(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    phone: str | None
    masked: bool  # the name and number are shown masked to this viewer


class CallerIn(msgspec.Struct, frozen=True, kw_only=True):
    """A caller as a sender gives them: a name, a number, and what else it knows (Open311:
    email, device_id, account_id, media_url)."""

    name: str = ""
    phone: str | None = None
    details: dict[str, str] = {}


class Call(msgspec.Struct, frozen=True, kw_only=True):
    case: Case
    caller: Caller
    taker_id: int


def mask_name(name: str) -> str:
    """张三丰 -> 张**: the family name only, as 12345 centres show callers to other staff."""
    return name[:1] + "*" * (len(name) - 1) if name else ""


async def caller_follows(case: Case, phone: str) -> int:
    """The caller follows ``case`` as the phone-only citizen of ``phone`` and is told it was
    received; later steps reach them as any follower's do. Returns the citizen's id."""
    citizen = await accounts.citizen_for_phone(phone=phone)
    await feedback.add_follower(case, citizen_id=citizen)
    await enqueue(
        recipient_kind="citizen",
        recipient_id=citizen,
        template=FEEDBACK_TEMPLATES["report"],
        params={"caseId": case.public_id, "number": case.number},
        case_id=case.id,
    )
    return citizen


async def file_call(
    *, actor: Actor, report: reporting.NewCase, caller_name: str, caller_phone: str | None
) -> Call:
    """Filed as a hotline report by the call-taker (its reporter, so it sees the case): a
    caller's word is verified like a citizen's, never trusted."""
    phone = normalize_phone(caller_phone) if caller_phone else None
    case = await reporting._file(report=report, source="hotline", actor=actor, trusted=False)
    await keep_caller(case, CallerIn(name=caller_name, phone=phone), taker=actor)
    return Call(
        case=case, caller=Caller(name=caller_name, phone=phone, masked=False), taker_id=actor.id
    )


async def keep_caller(case: Case, caller: CallerIn, *, taker: Actor) -> None:
    """Keep who called (``caller.phone`` normalized already); a caller with a number follows
    the case by SMS."""
    await HotlineCall.insert(
        HotlineCall(
            case=case.id,
            caller_name=caller.name,
            caller_phone=caller.phone,
            taker_kind=taker.kind,
            taker_id=taker.id,
            details=msgspec.json.encode(caller.details).decode(),
            created_at=clock.now(),
        )
    )
    if caller.phone is not None:
        await caller_follows(case, caller.phone)


def _caller(row: dict, viewer: Actor) -> Caller:
    own = viewer.kind == row["taker_kind"] and viewer.id == row["taker_id"]
    if own:
        return Caller(name=row["caller_name"], phone=row["caller_phone"], masked=False)
    return Caller(
        name=mask_name(row["caller_name"]), phone=mask_phone(row["caller_phone"]), masked=True
    )


async def masked_callers(case_ids: list[int]) -> dict[int, Caller]:
    """The callers of these cases, masked: what the staff views of cases show everyone (the
    call-taker sees its calls in full through its own routes)."""
    if not case_ids:
        return {}
    rows = await HotlineCall.select(
        HotlineCall.case,
        HotlineCall.caller_name,
        HotlineCall.caller_phone,
        HotlineCall.taker_kind,
        HotlineCall.taker_id,
    ).where(HotlineCall.case.is_in(case_ids))
    return {row["case"]: _caller({**row, "taker_id": None}, SYSTEM) for row in rows}


async def caller_phone(case: Case) -> str | None:
    """The full number, for cases.field's audited reveal only."""
    row = await HotlineCall.select(HotlineCall.caller_phone).where(HotlineCall.case == case.id)
    return row[0]["caller_phone"] if row else None


async def sender_details(case_ids: list[int]) -> dict[int, dict[str, str]]:
    """What the senders gave beyond name and number (Open311's own view of its requests)."""
    if not case_ids:
        return {}
    rows = await HotlineCall.select(HotlineCall.case, HotlineCall.details).where(
        HotlineCall.case.is_in(case_ids)
    )
    return {row["case"]: msgspec.json.decode(row["details"]) for row in rows}


async def my_calls(*, actor: Actor, limit: int = 50, before_id: int | None = None) -> list[Call]:
    """The calls this call-taker took, newest first."""
    query = HotlineCall.select(
        HotlineCall.id,
        HotlineCall.case,
        HotlineCall.caller_name,
        HotlineCall.caller_phone,
        HotlineCall.taker_kind,
        HotlineCall.taker_id,
    ).where((HotlineCall.taker_id == actor.id) & (HotlineCall.taker_kind == actor.kind))
    if before_id is not None:
        query = query.where(HotlineCall.case < before_id)
    rows = await query.order_by(HotlineCall.case, ascending=False).limit(limit)
    cases = {
        c.id: c for c in await Case.objects().where(Case.id.is_in([r["case"] for r in rows] or [0]))
    }
    return [
        Call(case=cases[r["case"]], caller=_caller(r, actor), taker_id=r["taker_id"])
        for r in rows
        if r["case"] in cases
    ]


async def get_call(*, actor: Actor, case_id: str) -> Call:
    """One call: for the call-taker who took it, or staff who may see its case (masked)."""
    case = await case_for_staff(actor, case_id)
    rows = await HotlineCall.select(
        HotlineCall.case,
        HotlineCall.caller_name,
        HotlineCall.caller_phone,
        HotlineCall.taker_kind,
        HotlineCall.taker_id,
    ).where(HotlineCall.case == case.id)
    if not rows:
        raise CaseNotFound()
    return Call(case=case, caller=_caller(rows[0], actor), taker_id=rows[0]["taker_id"])
