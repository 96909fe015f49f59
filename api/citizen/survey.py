"""The satisfaction survey (回访) of a closed case, for its reporter (cases.survey)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from api.citizen.reports import CaseId
from api.idempotent import run_idempotent
from cases import survey
from core.actors import Actor

Score = Annotated[int, msgspec.Meta(ge=1, le=5)]


class SurveyIn(msgspec.Struct, frozen=True, rename="camel"):
    fixed: bool  # 问题解决了吗
    speed: Score  # 处置速度
    attitude: Score  # 服务态度
    result: Score  # 处置效果
    comment: Annotated[str, msgspec.Meta(max_length=500)] = ""


class ReopenOffer(msgspec.Struct, frozen=True, rename="camel"):
    """ "Not fixed": the reporter may reopen the case through the reopen route until then."""

    href: str
    method: str
    until: dt.datetime


class SurveyOut(msgspec.Struct, frozen=True, rename="camel"):
    case_id: str
    sent_at: dt.datetime
    answered: bool
    answered_at: dt.datetime | None
    fixed: bool | None
    speed: int | None
    attitude: int | None
    result: int | None
    comment: str
    reopen: ReopenOffer | None = None


def survey_out(view: survey.SurveyView) -> SurveyOut:
    row = view.survey
    reopen = None
    if view.reopen_until is not None:
        reopen = ReopenOffer(
            href=f"/api/citizen/reports/{view.case.public_id}/reopen",
            method="POST",
            until=view.reopen_until,
        )
    return SurveyOut(
        case_id=view.case.public_id,
        sent_at=row.sent_at,
        answered=row.answered_at is not None,
        answered_at=row.answered_at,
        fixed=row.fixed,
        speed=row.speed,
        attitude=row.attitude,
        result=row.result,
        comment=row.comment,
        reopen=reopen,
    )


class CitizenSurveyController(Controller):
    path = "/reports/{case_id:str}/survey"
    tags = ["reports"]

    @get(
        summary="The satisfaction survey of my closed report",
        description="404 `survey.not_found` before the case is closed; 403 "
        "`case.reporter_only` for a follower.",
    )
    async def one(self, actor: NamedDependency[Actor], case_id: FromPath[CaseId]) -> SurveyOut:
        return survey_out(await survey.get_survey(actor=actor, case_id=case_id))

    @post(
        status_code=200,
        summary="Answer the satisfaction survey once (is it fixed? speed, attitude, result 1-5)",
        description="409 `survey.already_answered` on a second answer. When not fixed, "
        "`reopen` links the reopen route while the case may still be reopened.",
    )
    async def answer(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        case_id: FromPath[CaseId],
        data: JSONBody[SurveyIn],
    ) -> Response[SurveyOut]:
        async def action() -> SurveyOut:
            answer = survey.Answer(
                fixed=data.fixed,
                speed=data.speed,
                attitude=data.attitude,
                result=data.result,
                comment=data.comment,
            )
            view = await survey.answer_survey(actor=actor, case_id=case_id, answer=answer)
            return survey_out(view)

        return await run_idempotent(request, actor, action, status_code=200)
