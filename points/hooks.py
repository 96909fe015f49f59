"""Points react to cases: awards on accept and close, reversal when an accepted case turns
out invalid, a few points for rating. Importing this module registers the listeners; the
app and the worker import it (cases never imports points)."""

from __future__ import annotations

from accounts.devices import on_device_registered
from accounts.signins import on_citizen_signed_in
from cases.feedback import on_rated
from cases.reporting import on_citizen_report
from cases.tables import Case
from cases.workflow import on_transition
from core.actors import Actor
from points import decisions, earning, review

# Moves that make an earlier award invalid (a rejected case was never a valid report; a
# merged one duplicates another report; a withdrawn one its reporter took back).
REVERSING = frozenset({"reject", "merge", "withdraw"})


@on_transition
async def on_case_moved(case: Case, action: str, actor: Actor) -> None:
    if action in ("accept", "close"):
        await earning.award_case(case=case, stage=action, actor=actor)
    elif action in REVERSING:
        await earning.reverse_case(case=case, actor=actor)
    if action == "merge":
        await earning.award_first_found(merged=case)
    if action == "reject":
        await decisions.after_rejection(case)


@on_rated
async def on_case_rated(case: Case, actor: Actor) -> None:
    await earning.award_rating(case=case, actor=actor)


@on_device_registered
async def on_device(actor: Actor, platform_token: str) -> None:
    if actor.kind == "citizen":
        await review.note(kind="device", key=platform_token, account_id=actor.id)


@on_citizen_report
async def on_report(case: Case, actor: Actor, ip: str | None) -> None:
    await _note_ip(actor, ip)


@on_citizen_signed_in
async def on_sign_in(actor: Actor, ip: str | None) -> None:
    await _note_ip(actor, ip)


async def _note_ip(actor: Actor, ip: str | None) -> None:
    network = review.ip_range(ip) if ip else None
    if network is not None:
        await review.note(kind="ip_range", key=network, account_id=actor.id)
