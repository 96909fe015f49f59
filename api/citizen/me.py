from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from litestar import Controller, get, patch
from litestar.di import NamedDependency
from litestar.params import JSONBody

from accounts import service as accounts
from accounts.tables import Citizen
from core.actors import Actor
from core.db import transaction


class CitizenMe(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    nickname: str
    phone: str | None  # the owner's own view: unmasked
    wechat_linked: bool
    locale: str
    leaderboard_opt_out: bool  # not shown on the reporters' leaderboard
    created_at: dt.datetime

    @classmethod
    def of(cls, citizen: Citizen) -> CitizenMe:
        return cls(
            id=citizen.public_id,
            nickname=citizen.nickname,
            phone=citizen.phone,
            wechat_linked=citizen.wechat_openid is not None,
            locale=citizen.locale,
            leaderboard_opt_out=citizen.leaderboard_opt_out,
            created_at=citizen.created_at,
        )


class CitizenMeIn(msgspec.Struct, frozen=True, rename="camel"):
    nickname: Annotated[str, msgspec.Meta(min_length=1, max_length=32)] | None = None
    locale: Literal["zh-CN", "en"] | None = None
    leaderboard_opt_out: bool | None = None


class CitizenMeController(Controller):
    path = "/me"
    tags = ["citizen profile"]

    @get("/", summary="My account")
    async def me(self, actor: NamedDependency[Actor]) -> CitizenMe:
        return CitizenMe.of(await accounts.citizen_profile(actor=actor))

    @patch("/", summary="Change my nickname, language or leaderboard opt-out")
    async def update(self, actor: NamedDependency[Actor], data: JSONBody[CitizenMeIn]) -> CitizenMe:
        async with transaction():
            citizen = await accounts.update_citizen_profile(
                actor=actor,
                nickname=data.nickname,
                locale=data.locale,
                leaderboard_opt_out=data.leaderboard_opt_out,
            )
        return CitizenMe.of(citizen)
