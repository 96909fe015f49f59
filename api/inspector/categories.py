"""The staff category tree: what the citizen's picker shows, plus each subcategory's filing and
closing conditions (立案条件, 结案条件) and the limits of its timed stages, so an inspector
knows in the field whether a report is a case and whether a fix may be closed."""

from __future__ import annotations

import msgspec
from litestar import Controller, get
from litestar.di import NamedDependency

from core.actors import Actor
from org import service as org
from org.stages import STAGES


class StageLimitOut(msgspec.Struct, frozen=True, rename="camel"):
    stage: str
    value: int
    unit: str


class StaffCategoryLeafOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    name: str
    urgent: bool
    default_priority: int
    needs_onsite_verification: bool
    filing_conditions: str
    closing_conditions: str
    # Handling at the category's default priority; SLA policies may differ per priority.
    stage_limits: list[StageLimitOut]


class StaffCategoryMajorOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    name: str
    children: list[StaffCategoryLeafOut]


class StaffCategoryKindOut(msgspec.Struct, frozen=True, rename="camel"):
    kind: str
    name: str
    children: list[StaffCategoryMajorOut]


class StaffCategoryTreeOut(msgspec.Struct, frozen=True, rename="camel"):
    locale: str
    kinds: list[StaffCategoryKindOut]


def _limits(info: org.CategoryInfo) -> list[StageLimitOut]:
    out = []
    for stage in STAGES:
        if stage == "handle":
            value, unit = info.sla_value, info.sla_unit
        else:
            value, unit = info.stage_limit(stage)
        out.append(StageLimitOut(stage=stage, value=value, unit=unit))
    return out


def _leaf(leaf) -> StaffCategoryLeafOut:
    return StaffCategoryLeafOut(
        code=leaf.code,
        name=leaf.name,
        urgent=leaf.urgent,
        default_priority=leaf.default_priority,
        needs_onsite_verification=leaf.needs_onsite_verification,
        filing_conditions=leaf.filing_conditions,
        closing_conditions=leaf.closing_conditions,
        stage_limits=_limits(leaf.info),
    )


class StaffCategoryController(Controller):
    path = "/categories"
    tags = ["inspector cases"]

    @get("/", summary="Category tree with filing and closing conditions and stage limits")
    async def tree(self, actor: NamedDependency[Actor]) -> StaffCategoryTreeOut:
        tree = await org.category_tree(locale=actor.locale)
        return StaffCategoryTreeOut(
            locale=actor.locale,
            kinds=[
                StaffCategoryKindOut(
                    kind=kind.kind,
                    name=kind.name,
                    children=[
                        StaffCategoryMajorOut(
                            code=major.code,
                            name=major.name,
                            children=[_leaf(leaf) for leaf in major.children],
                        )
                        for major in kind.children
                    ],
                )
                for kind in tree
            ],
        )
