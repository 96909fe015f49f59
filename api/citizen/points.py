"""The citizen's points: balance, history, this month's leaderboard."""

from __future__ import annotations

import datetime as dt

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromQuery

import points.hooks  # noqa: F401 - registers the awards on case moves with the app
from api.params import PageLimit
from core import clock
from core.actors import Actor
from points import service as points


class PointsOut(msgspec.Struct, frozen=True, rename="camel"):
    balance: int
    expiring_soon: int  # of the balance, lapsing within the "soon" window
    expiring_at: dt.datetime | None  # when the first of those lapse


class EntryOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    amount: int
    kind: str  # earn, redeem, refund, expire, adjust
    reason: str
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
    month: str
    leaders: list[LeaderOut]


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
        )

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
                    reason=e.reason,
                    at=e.created_at,
                    expires_at=e.expires_at,
                )
                for e in page.items
            ],
            next_cursor=page.next_cursor,
        )

    @get("/leaderboard", summary="This month's top reporters by accepted reports, names masked")
    async def leaderboard(
        self,
        actor: NamedDependency[Actor],
        limit: PageLimit = 20,
    ) -> LeaderboardOut:
        leaders = await points.leaderboard(limit=limit)
        month = points.month_start().astimezone(clock.city_zone()).strftime("%Y-%m")
        return LeaderboardOut(
            month=month,
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
