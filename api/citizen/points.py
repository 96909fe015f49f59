"""The citizen's points: balance, history, this month's leaderboard."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery, QueryParameter

import points.hooks  # noqa: F401 - registers the awards on case moves with the app
from api.params import PageLimit
from core import clock
from core.actors import Actor
from points import holds
from points import leaderboard as board
from points import service as points
from points.reasons import CAPPED_NOTE, HELD_FOR, STAGE_CODES, describe


class PointsOut(msgspec.Struct, frozen=True, rename="camel"):
    balance: int
    expiring_soon: int  # of the balance, lapsing within the "soon" window
    expiring_at: dt.datetime | None  # when the first of those lapse
    held: int  # not in the balance: awards waiting for a person (GET /points/held says why)


class HeldOut(msgspec.Struct, frozen=True, rename="camel"):
    case_id: str
    case_number: str
    amount: int
    code: str  # what it is for, as the ledger entry it becomes: case_accepted, ...
    description: str
    held_for: str  # evidence (the photos need a check) | review (the account is reviewed)
    held_description: str
    since: dt.datetime


class HeldListOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[HeldOut]


class EntryOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    amount: int
    kind: str  # earn, redeem, refund, expire, adjust
    code: str  # why, stable (points.reasons): case_accepted, redeemed, admin_adjustment, ...
    description: str  # built from the code, in the request's language
    note: str  # free text: an administrator's words, the reward's name; often ""
    at: dt.datetime
    expires_at: dt.datetime | None


class EntryPageOut(msgspec.Struct, frozen=True, rename="camel"):
    items: list[EntryOut]
    next_cursor: str | None


class LeaderOut(msgspec.Struct, frozen=True, rename="camel"):
    rank: int
    name: str  # masked
    accepted_reports: int
    me: bool


class LeaderboardOut(msgspec.Struct, frozen=True, rename="camel"):
    month: str | None  # "YYYY-MM"; null for a year's board
    year: int
    district: str | None  # the district's code, null: citywide
    leaders: list[LeaderOut]


MonthParam = Annotated[str | None, QueryParameter(pattern=r"^20\d\d-(0[1-9]|1[0-2])$")]
YearParam = Annotated[int | None, QueryParameter(ge=2000, le=2099)]
DistrictParam = Annotated[str | None, QueryParameter(min_length=1, max_length=32)]


class CitizenPointsController(Controller):
    path = "/points"
    tags = ["citizen points"]

    @get("/", summary="My balance and what expires soon")
    async def mine(self, actor: NamedDependency[Actor]) -> PointsOut:
        summary = await points.summary(account_id=actor.id)
        return PointsOut(
            balance=summary.balance,
            expiring_soon=summary.expiring_points,
            expiring_at=summary.expiring_at,
            held=await holds.held_total(actor.id),
        )

    @get(
        "/held",
        summary="Awards my reports earned that wait for a person (a check of the photos, a "
        "review of the account), newest 100; paid into the ledger when released",
    )
    async def held(self, actor: NamedDependency[Actor]) -> HeldListOut:
        rows = await holds.held_for(actor.id)
        return HeldListOut(items=[_held_out(row, actor.locale) for row in rows])

    @get("/history", summary="My ledger entries, newest first, keyset pages")
    async def history(
        self,
        actor: NamedDependency[Actor],
        cursor: FromQuery[str | None] = None,
        limit: PageLimit = 20,
    ) -> EntryPageOut:
        page = await points.history(account_id=actor.id, cursor=cursor, limit=limit)
        return EntryPageOut(
            items=[
                EntryOut(
                    id=e.id,
                    amount=e.amount,
                    kind=e.kind,
                    code=e.code,
                    description=describe(e.code, e.reason, actor.locale),
                    note="" if e.reason == CAPPED_NOTE else e.reason,
                    at=e.created_at,
                    expires_at=e.expires_at,
                )
                for e in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @get(
        "/leaderboard",
        summary="Top reporters by accepted reports: a city month (default this one) or year, "
        "citywide or one district; names masked, opted-out citizens left out",
    )
    async def leaderboard(
        self,
        actor: NamedDependency[Actor],
        month: MonthParam = None,
        year: YearParam = None,
        district: DistrictParam = None,
        limit: PageLimit = 20,
    ) -> LeaderboardOut:
        period = board.period_of(month=month, year=year)
        leaders = await board.leaderboard(
            since=period.since,
            until=period.until,
            district_id=await board.district_id_of(district),
            limit=limit,
        )
        return LeaderboardOut(
            month=f"{period.year}-{period.month:02d}" if period.month else None,
            year=period.year,
            district=district,
            leaders=[
                LeaderOut(
                    rank=x.rank,
                    name=x.name,
                    accepted_reports=x.reports,
                    me=x.account_id == actor.id,
                )
                for x in leaders
            ],
        )


def _held_out(row: dict, locale: str) -> HeldOut:
    code = STAGE_CODES.get(row["stage"], row["stage"])
    return HeldOut(
        case_id=row["case_id"],
        case_number=row["case_number"],
        amount=row["amount"],
        code=code,
        description=describe(code, "", locale),
        held_for=row["reason"],
        held_description=HELD_FOR[row["reason"]].render(locale),
        since=clock.as_utc(row["created_at"]),
    )
