"""The category tree as pickers show it: kind > major class > subcategory, in one language.
Citizens get names and priorities; staff also the conditions and limits (org.stages)."""

from __future__ import annotations

import msgspec

from org.categories import CATEGORY_KINDS, KIND_NAMES, CategoryInfo, category_info
from org.tables import Category


class CategoryLeaf(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    urgent: bool
    default_priority: int
    needs_onsite_verification: bool
    # Staff only (the citizen tree leaves them out).
    filing_conditions: str = ""
    closing_conditions: str = ""
    info: CategoryInfo | None = None


class CategoryMajor(msgspec.Struct, frozen=True, kw_only=True):
    code: str
    name: str
    children: list[CategoryLeaf]


class CategoryKind(msgspec.Struct, frozen=True, kw_only=True):
    kind: str
    name: str
    children: list[CategoryMajor]


async def category_tree(*, locale: str) -> list[CategoryKind]:
    """Active categories as kind > major class > subcategory, names in ``locale``."""
    rows = (
        await Category.select()
        .where(Category.active.eq(True))
        .order_by(Category.kind)
        .order_by(Category.major)
        .order_by(Category.sort_order)
        .order_by(Category.minor)
    )
    infos = [category_info(row) for row in rows]
    leaves: dict[str, list[CategoryLeaf]] = {}
    for info in infos:
        if not info.is_major:
            leaves.setdefault(info.major_code, []).append(
                CategoryLeaf(
                    code=info.code,
                    name=info.name(locale),
                    urgent=info.urgent,
                    default_priority=info.default_priority,
                    needs_onsite_verification=info.needs_onsite_verification,
                    filing_conditions=info.filing_conditions(locale),
                    closing_conditions=info.closing_conditions(locale),
                    info=info,
                )
            )
    tree = []
    for kind in CATEGORY_KINDS:
        majors = [
            CategoryMajor(
                code=info.code, name=info.name(locale), children=leaves.get(info.code, [])
            )
            for info in infos
            if info.kind == kind and info.is_major
        ]
        if majors:
            tree.append(
                CategoryKind(kind=kind, name=KIND_NAMES[kind].render(locale), children=majors)
            )
    return tree
