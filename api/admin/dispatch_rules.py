"""Dispatch rules: (category, area) -> handling unit."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from api.admin.audit import ADMIN_ONLY
from api.params import IdParam, Int32
from audit.service import record
from core.actors import Actor
from core.db import transaction
from org import admin_queries, dispatch

Priority = Annotated[int, msgspec.Meta(ge=1, le=4)]


class RuleIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    unit_id: Int32
    category_code: Annotated[str, msgspec.Meta(pattern=r"^([CE]\d{2}(\d{2})?)?$")] = ""
    area_kind: Literal["grid", "street", "district", "any"] = "any"
    area_id: Int32 | None = None
    priority: Priority | None = None
    # 一键到人: also assign to the unit's on-duty handler with the fewest open cases.
    assign_on_duty: bool = False


class RulePatch(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    unit_id: Int32 | None = None
    priority: Priority | None = None
    clear_priority: bool = False
    active: bool | None = None
    assign_on_duty: bool | None = None


class RuleOut(msgspec.Struct, frozen=True, rename="camel"):
    id: int
    category_code: str
    area_kind: str
    area_id: int | None
    unit_id: int
    priority: int | None
    active: bool
    assign_on_duty: bool


def rule_out(info: dispatch.RuleInfo) -> RuleOut:
    return RuleOut(**msgspec.structs.asdict(info))


class DispatchRuleController(Controller):
    path = "/dispatch-rules"
    tags = ["admin: configuration"]

    @get("/", summary="Every rule, by category then area")
    async def list_rules(self) -> list[RuleOut]:
        return [rule_out(r) for r in await dispatch.list_dispatch_rules()]

    @post("/", summary="Add a rule", opt=ADMIN_ONLY)
    async def create(self, actor: NamedDependency[Actor], data: JSONBody[RuleIn]) -> RuleOut:
        async with transaction():
            info = await dispatch.create_dispatch_rule(**msgspec.structs.asdict(data))
            await record(
                actor=actor,
                action="dispatch_rule.create",
                target_kind="dispatch_rule",
                target_id=info.id,
                after=info,
            )
        return rule_out(info)

    @patch("/{rule_id:int}", summary="Change unit or priority, (de)activate", opt=ADMIN_ONLY)
    async def update(
        self, actor: NamedDependency[Actor], rule_id: IdParam, data: JSONBody[RulePatch]
    ) -> RuleOut:
        async with transaction():
            before = await admin_queries.dispatch_rule(rule_id=rule_id)
            info = await dispatch.update_dispatch_rule(
                rule_id=rule_id, **msgspec.structs.asdict(data)
            )
            await record(
                actor=actor,
                action="dispatch_rule.update",
                target_kind="dispatch_rule",
                target_id=rule_id,
                before=before,
                after=info,
            )
        return rule_out(info)

    @delete("/{rule_id:int}", summary="Remove a rule", opt=ADMIN_ONLY)
    async def remove(self, actor: NamedDependency[Actor], rule_id: IdParam) -> None:
        async with transaction():
            before = await admin_queries.dispatch_rule(rule_id=rule_id)
            await dispatch.delete_dispatch_rule(rule_id=rule_id)
            await record(
                actor=actor,
                action="dispatch_rule.remove",
                target_kind="dispatch_rule",
                target_id=rule_id,
                before=before,
            )
