"""The satisfaction survey (回访): when a citizen's case is first closed, its reporter gets one
survey ("is it fixed?" and 1-5 scores for speed, attitude and result) through the
notification outbox. It is sent once per case (a case closed again after a reopen keeps the
first survey) and answered once (409 ``survey.already_answered``). A "not fixed" answer
offers the existing reopen flow (cases.feedback.reopen) while its window is open; the
answers count in the evaluation (cases.evaluation: satisfaction per unit and area)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from cases.access import case_for_citizen
from cases.errors import ReporterOnly
from cases.feedback import REOPEN_WINDOW
from cases.public_errors import SurveyAnswered, SurveyNotFound
from cases.tables import Case, CaseSurvey
from cases.visibility import is_reporter
from cases.workflow import CLOSED, on_transition, record_event
from core import clock
from core.actors import Actor
from core.db import raw
from notify.service import enqueue

TEMPLATE = "case.survey"


@dataclass(frozen=True, slots=True)
class Answer:
    fixed: bool
    speed: int
    attitude: int
    result: int
    comment: str = ""


@dataclass(frozen=True, slots=True)
class SurveyView:
    case: Case
    survey: CaseSurvey
    # Until when the reporter may reopen the case ("not fixed"); None when they cannot.
    reopen_until: dt.datetime | None


async def send_survey(case: Case) -> bool:
    """Create the case's survey and tell its reporter, in the closing transaction; False if
    it had one already or no citizen reported it."""
    if case.reporter_kind != "citizen" or case.reporter_id is None:
        return False
    created = await raw(
        'INSERT INTO case_survey ("case", citizen_id, sent_at, comment) '
        "VALUES ({}, {}, {}, '') ON CONFLICT (\"case\") DO NOTHING RETURNING id",
        case.id,
        case.reporter_id,
        clock.now(),
    )
    if not created:
        return False
    await enqueue(
        recipient_kind="citizen",
        recipient_id=case.reporter_id,
        template=TEMPLATE,
        params={"caseId": case.public_id, "number": case.number},
        case_id=case.id,
        dedupe_key=f"survey:{case.id}",
    )
    return True


@on_transition
async def _on_case_moved(case: Case, action: str, actor: Actor) -> None:
    if action == "close":
        await send_survey(case)


def _reopen_until(case: Case, survey: CaseSurvey) -> dt.datetime | None:
    if survey.fixed is not False or case.state != CLOSED or case.closed_at is None:
        return None
    until = clock.as_utc(case.closed_at) + REOPEN_WINDOW
    return until if clock.now() <= until else None


async def _reporters_survey(actor: Actor, case_id: str) -> tuple[Case, CaseSurvey]:
    """The reporter's survey; a follower is told only the reporter answers (403), anyone
    else gets the 404 of a case that does not exist."""
    case = await case_for_citizen(actor, case_id)
    if not is_reporter(actor, case):
        raise ReporterOnly()
    survey = await CaseSurvey.objects().where(CaseSurvey.case == case.id).first()
    if survey is None:
        raise SurveyNotFound()
    return case, survey


async def get_survey(*, actor: Actor, case_id: str) -> SurveyView:
    case, survey = await _reporters_survey(actor, case_id)
    return SurveyView(case, survey, _reopen_until(case, survey))


async def answer_survey(*, actor: Actor, case_id: str, answer: Answer) -> SurveyView:
    case, survey = await _reporters_survey(actor, case_id)
    now = clock.now()
    values = {
        CaseSurvey.answered_at: now,
        CaseSurvey.fixed: answer.fixed,
        CaseSurvey.speed: answer.speed,
        CaseSurvey.attitude: answer.attitude,
        CaseSurvey.result: answer.result,
        CaseSurvey.comment: answer.comment.strip(),
    }
    # Conditional on no answer yet: two racing answers cannot both be stored.
    updated = (
        await CaseSurvey.update(values)
        .where((CaseSurvey.id == survey.id) & CaseSurvey.answered_at.is_null())
        .returning(CaseSurvey.id)
    )
    if not updated:
        raise SurveyAnswered()
    for column, value in values.items():
        setattr(survey, column._meta.name, value)
    await record_event(
        case,
        action="survey",
        from_state=case.state,
        to_state=case.state,
        actor=actor,
        note=answer.comment.strip(),
        data={
            "fixed": answer.fixed,
            "speed": answer.speed,
            "attitude": answer.attitude,
            "result": answer.result,
        },
    )
    return SurveyView(case, survey, _reopen_until(case, survey))
