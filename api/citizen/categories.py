from __future__ import annotations

import msgspec
from litestar import Controller, Request, get

from cases import routing
from cases.reporting import CITIZEN_TRUSTED
from core.i18n import negotiate_locale
from core.settings import get_settings
from org import service as org


class CategoryLeafOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    name: str
    urgent: bool
    default_priority: int
    # A report of it waits for a grid inspector to verify it on site (核实) before it is
    # accepted (and becomes visible to others, and earns points); else accepted at once.
    verified_on_site_first: bool


class CategoryMajorOut(msgspec.Struct, frozen=True, rename="camel"):
    code: str
    name: str
    children: list[CategoryLeafOut]


class CategoryKindOut(msgspec.Struct, frozen=True, rename="camel"):
    kind: str
    name: str
    children: list[CategoryMajorOut]


class CategoryTreeOut(msgspec.Struct, frozen=True, rename="camel"):
    locale: str
    kinds: list[CategoryKindOut]

    @classmethod
    def of(cls, locale: str, tree: list[org.CategoryKind]) -> CategoryTreeOut:
        return cls(
            locale=locale,
            kinds=[
                CategoryKindOut(
                    kind=kind.kind,
                    name=kind.name,
                    children=[
                        CategoryMajorOut(
                            code=major.code,
                            name=major.name,
                            children=[
                                CategoryLeafOut(
                                    code=leaf.code,
                                    name=leaf.name,
                                    urgent=leaf.urgent,
                                    default_priority=leaf.default_priority,
                                    verified_on_site_first=routing.verified_first(
                                        leaf, trusted=CITIZEN_TRUSTED
                                    ),
                                )
                                for leaf in major.children
                            ],
                        )
                        for major in kind.children
                    ],
                )
                for kind in tree
            ],
        )


class CategoryController(Controller):
    """The category picker of the report form: 部件 (components) and 事件 (events), each
    major class with its subcategories. Report with a subcategory code ("E0505")."""

    path = "/categories"
    tags = ["categories"]
    opt = {"public": True}

    @get("/", summary="Category tree in the request's language")
    async def tree(self, request: Request) -> CategoryTreeOut:
        locale = negotiate_locale(
            request.headers.get("accept-language"), get_settings().default_locale
        )
        return CategoryTreeOut.of(locale, await org.category_tree(locale=locale))
