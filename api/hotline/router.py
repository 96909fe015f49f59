"""The 12345 hotline desk: call-takers file cases for callers and follow the calls they
took. The caller's number is shown in full here, to the call-taker who took the call only;
everywhere else it is masked (cases.hotline)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, Request, Response, Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter

from api.auth import audience_guard, provide_actor
from api.case_views import CallerOut, caller_out
from api.citizen.reports import CaseId
from api.geo import Location
from api.idempotent import run_idempotent
from api.inspector.cases import MediaIds, Note, new_case_of
from api.params import INT32_MAX
from api.types import UtcDateTime
from cases import hotline
from cases.reporting import NewCase
from core.actors import Actor

# A caller may give a name and no number (a pay phone, a withheld number): then only the
# call-taker can tell them how their case went, by the case number read out on the call.
CallerName = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
CallerPhone = Annotated[str, msgspec.Meta(min_length=5, max_length=20)]


class CallIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    caller_name: CallerName
    category: Annotated[str, msgspec.Meta(min_length=3, max_length=8)]
    location: Location
    caller_phone: CallerPhone | None = None
    description: Note = ""
    address: Annotated[str, msgspec.Meta(max_length=200)] = ""
    anonymous: bool = False  # the caller asked not to be named to the public
    media_ids: MediaIds = []
    occurred_at: UtcDateTime | None = None

    def new_case(self) -> NewCase:
        return new_case_of(self, anonymous=self.anonymous)


class CallOut(msgspec.Struct, frozen=True, rename="camel"):
    case_id: str
    number: str  # read out to the caller: how they ask about it later
    state: str
    category_code: str
    reported_at: dt.datetime
    caller: CallerOut | None


class CallPage(msgspec.Struct, frozen=True, rename="camel"):
    items: list[CallOut]
    next_before: str | None  # pass as ?before= for the next page


def _out(call: hotline.Call) -> CallOut:
    case = call.case
    return CallOut(
        case_id=case.public_id,
        number=case.number,
        state=case.state,
        category_code=case.category_code,
        reported_at=case.reported_at,
        caller=caller_out(call.caller),
    )


class HotlineCallController(Controller):
    path = "/calls"
    tags = ["hotline"]

    @post("/", summary="File a case for a caller (12345 受理): idempotent")
    async def file(
        self, request: Request, actor: NamedDependency[Actor], data: JSONBody[CallIn]
    ) -> Response[CallOut]:
        async def action() -> CallOut:
            return _out(
                await hotline.file_call(
                    actor=actor,
                    report=data.new_case(),
                    caller_name=data.caller_name.strip(),
                    caller_phone=data.caller_phone,
                )
            )

        return await run_idempotent(request, actor, action, status_code=201)

    @get("/", summary="The calls I took, newest first (caller's number in full)")
    async def mine(
        self,
        actor: NamedDependency[Actor],
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 50,
        before: Annotated[int | None, QueryParameter(ge=1, le=INT32_MAX)] = None,
    ) -> CallPage:
        calls = await hotline.my_calls(actor=actor, limit=limit, before_id=before)
        last = calls[-1].case.id if len(calls) == limit else None
        return CallPage(items=[_out(c) for c in calls], next_before=str(last) if last else None)

    @get(
        "/{case_id:str}",
        summary="One call: in full for the call-taker who took it, masked for other staff",
    )
    async def one(self, actor: NamedDependency[Actor], case_id: FromPath[CaseId]) -> CallOut:
        return _out(await hotline.get_call(actor=actor, case_id=case_id))


hotline_router = Router(
    path="/api/hotline",
    guards=[audience_guard("staff", hotline.TAKER_ROLES)],
    dependencies={"actor": Provide(provide_actor)},
    route_handlers=[HotlineCallController],
    security=[{"BearerAuth": []}],
)
