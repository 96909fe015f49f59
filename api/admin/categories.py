"""Categories (the 部件/事件 tree), their SLA, points and on-site verification, the limits
of their accept, dispatch and verify stages and their filing and closing conditions
(GB/T 30428), and the SLA policies per priority."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from api.admin.audit import ADMIN_ONLY
from api.params import Int32
from audit.service import record
from core.actors import Actor
from core.db import transaction
from org import admin_queries, categories, sla, stages
from org.categories import CategoryInfo

Code = Annotated[str, msgspec.Meta(pattern=r"^[CE]\d{2}(\d{2})?$")]
SlaUnit = Literal["hours", "working_hours", "working_days"]
Priority = Annotated[int, msgspec.Meta(ge=1, le=4)]
Points = Annotated[int, msgspec.Meta(ge=0, le=100_000)]
# A camera detection below it waits for a person (cases.machines).
Confidence = Annotated[float, msgspec.Meta(ge=0, le=1)]
# Checked by the domain (org.stages) for a 422 naming the stage; only absurd sizes stop here.
Conditions = Annotated[str, msgspec.Meta(max_length=10_000)]
StageUnit = Annotated[str, msgspec.Meta(max_length=32)]
StageName = Annotated[str, msgspec.Meta(max_length=16)]


class StageSettingsIn(
    msgspec.Struct, frozen=True, kw_only=True, rename="camel", forbid_unknown_fields=True
):
    """Filing and closing conditions ("" puts the generic text back) and the limits of the
    accept, dispatch and verify stages (handle is slaValue/slaUnit); a value or a unit alone
    keeps the other as in force."""

    filing_conditions_zh: Conditions | None = None
    filing_conditions_en: Conditions | None = None
    closing_conditions_zh: Conditions | None = None
    closing_conditions_en: Conditions | None = None
    accept_limit_value: int | None = None
    accept_limit_unit: StageUnit | None = None
    dispatch_limit_value: int | None = None
    dispatch_limit_unit: StageUnit | None = None
    verify_limit_value: int | None = None
    verify_limit_unit: StageUnit | None = None


FollowerThreshold = Annotated[int, msgspec.Meta(ge=0, le=100_000)]


class CategoryIn(StageSettingsIn, frozen=True, rename="camel", forbid_unknown_fields=True):
    code: Code
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=128)]
    default_priority: Priority = 3
    needs_onsite_verification: bool = True
    sla_value: Annotated[int, msgspec.Meta(ge=0, le=10_000)] = 0
    sla_unit: SlaUnit = "working_hours"
    urgent: bool = False
    points_on_accept: Points = 0
    points_on_close: Points = 0
    sort_order: Int32 = 0
    # Cases of it concern people or their homes: the public sees their position coarsened.
    private_location: bool = False
    # Followers at which an open case is raised one priority step, once; 0: never.
    follower_threshold: FollowerThreshold = 10
    min_confidence: Confidence = 0.8


class CategoryPatch(StageSettingsIn, frozen=True, rename="camel", forbid_unknown_fields=True):
    name_zh: Annotated[str, msgspec.Meta(min_length=1, max_length=64)] | None = None
    name_en: Annotated[str, msgspec.Meta(min_length=1, max_length=128)] | None = None
    default_priority: Priority | None = None
    needs_onsite_verification: bool | None = None
    sla_value: Annotated[int, msgspec.Meta(ge=0, le=10_000)] | None = None
    sla_unit: SlaUnit | None = None
    urgent: bool | None = None
    points_on_accept: Points | None = None
    points_on_close: Points | None = None
    active: bool | None = None
    private_location: bool | None = None
    follower_threshold: FollowerThreshold | None = None
    # Minutes to acknowledge (签收) a dispatched case before it is paged again and alerted.
    ack_minutes: Annotated[int, msgspec.Meta(ge=1, le=10_080)] | None = None
    clear_ack_minutes: bool = False
    min_confidence: Confidence | None = None
    # Stages (accept, dispatch, verify) back on their defaults.
    reset_stage_limits: Annotated[list[StageName], msgspec.Meta(max_length=3)] = []


class CategoryOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    kind: str
    major: str
    minor: str
    name_zh: str
    name_en: str
    default_priority: int
    needs_onsite_verification: bool
    sla_value: int
    sla_unit: str
    urgent: bool
    points_on_accept: int
    points_on_close: int
    active: bool
    private_location: bool
    follower_threshold: int
    ack_minutes: int | None
    # In force: the category's own, or the generic text and the default limits.
    filing_conditions_zh: str
    filing_conditions_en: str
    closing_conditions_zh: str
    closing_conditions_en: str
    accept_limit_value: int
    accept_limit_unit: str
    dispatch_limit_value: int
    dispatch_limit_unit: str
    verify_limit_value: int
    verify_limit_unit: str
    min_confidence: float


class CategoryNode(msgspec.Struct, frozen=True, rename="camel"):
    category: CategoryOut
    children: list[CategoryOut]


class PolicyIn(msgspec.Struct, frozen=True, rename="camel", forbid_unknown_fields=True):
    priority: Priority
    limit_value: Annotated[int, msgspec.Meta(ge=1, le=10_000)]
    limit_unit: SlaUnit
    category_code: Code | None = None  # none: every category at this priority


class PolicyOut(msgspec.Struct, frozen=True, rename="camel"):
    category_code: str | None
    priority: int
    limit_value: int
    limit_unit: str


def category_out(info: CategoryInfo) -> CategoryOut:
    values = msgspec.structs.asdict(info)
    for name in ("id", "parent_id", *stages.CONDITION_FIELDS, *stages.LIMIT_FIELDS):
        values.pop(name)
    for kind in ("filing", "closing"):
        text = getattr(info, f"{kind}_conditions")
        values[f"{kind}_conditions_zh"] = text("zh-CN")
        values[f"{kind}_conditions_en"] = text("en")
    for stage in stages.OWN_LIMIT_STAGES:
        values[f"{stage}_limit_value"], values[f"{stage}_limit_unit"] = info.stage_limit(stage)
    return CategoryOut(**values)


class AdminCategoryController(Controller):
    path = "/categories"
    tags = ["admin: configuration"]

    @get("/", summary="The category tree: major classes with their subcategories")
    async def tree(
        self,
        include_inactive: Annotated[bool, QueryParameter(name="includeInactive")] = False,
    ) -> list[CategoryNode]:
        rows = await admin_queries.list_categories(include_inactive=include_inactive)
        children: dict[int, list[CategoryOut]] = {}
        for info in rows:
            if info.parent_id is not None:
                children.setdefault(info.parent_id, []).append(category_out(info))
        return [
            CategoryNode(category=category_out(info), children=children.get(info.id, []))
            for info in rows
            if info.is_major
        ]

    @get("/{code:str}", summary="One category")
    async def one(self, code: FromPath[Code]) -> CategoryOut:
        return category_out(await admin_queries.category_by_code(code=code))

    @post("/", summary="Add a city's own category or a national one", opt=ADMIN_ONLY)
    async def create(
        self, actor: NamedDependency[Actor], data: JSONBody[CategoryIn]
    ) -> CategoryOut:
        async with transaction():
            info = await categories.create_category(**msgspec.structs.asdict(data))
            await record(
                actor=actor,
                action="category.create",
                target_kind="category",
                target_id=info.code,
                after=info,
            )
        return category_out(info)

    @patch(
        "/{code:str}",
        summary="Names, priority, SLA, points, verification, private location, active",
        opt=ADMIN_ONLY,
    )
    async def update(
        self, actor: NamedDependency[Actor], code: FromPath[Code], data: JSONBody[CategoryPatch]
    ) -> CategoryOut:
        async with transaction():
            before = await admin_queries.category_by_code(code=code)
            info = await categories.update_category(code=code, **msgspec.structs.asdict(data))
            await record(
                actor=actor,
                action="category.update",
                target_kind="category",
                target_id=code,
                before=before,
                after=info,
            )
        return category_out(info)


class SlaPolicyController(Controller):
    path = "/sla-policies"
    tags = ["admin: configuration"]

    @get("/", summary="Time limits per (category, priority)")
    async def list_policies(self) -> list[PolicyOut]:
        return [
            PolicyOut(**msgspec.structs.asdict(p)) for p in await admin_queries.list_sla_policies()
        ]

    @put("/", summary="Create or replace the limit of (category or all, priority)", opt=ADMIN_ONLY)
    async def set_policy(
        self, actor: NamedDependency[Actor], data: JSONBody[PolicyIn]
    ) -> PolicyOut:
        target = f"{data.category_code or '*'}:{data.priority}"
        async with transaction():
            before = {
                p.category_code: p
                for p in await admin_queries.list_sla_policies()
                if p.priority == data.priority
            }.get(data.category_code)
            await sla.set_sla_policy(
                category_code=data.category_code,
                priority=data.priority,
                limit_value=data.limit_value,
                limit_unit=data.limit_unit,
            )
            after = admin_queries.PolicyInfo(**msgspec.structs.asdict(data))
            await record(
                actor=actor,
                action="sla_policy.set",
                target_kind="sla_policy",
                target_id=target,
                before=before,
                after=after,
            )
        return PolicyOut(**msgspec.structs.asdict(after))

    @delete("/", summary="Remove a limit", opt=ADMIN_ONLY)
    async def remove(
        self,
        actor: NamedDependency[Actor],
        priority: Annotated[int, QueryParameter(ge=1, le=4)],
        category_code: Annotated[
            str | None, QueryParameter(name="categoryCode", pattern=r"^[CE]\d{2}(\d{2})?$")
        ] = None,
    ) -> None:
        async with transaction():
            before = {
                p.category_code: p
                for p in await admin_queries.list_sla_policies()
                if p.priority == priority
            }.get(category_code)
            await sla.remove_sla_policy(category_code=category_code, priority=priority)
            if before is not None:
                await record(
                    actor=actor,
                    action="sla_policy.remove",
                    target_kind="sla_policy",
                    target_id=f"{category_code or '*'}:{priority}",
                    before=before,
                )
