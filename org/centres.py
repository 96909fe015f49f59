"""Command centres (指挥中心) at city, district and street level, and what each covers.

A centre is an org unit of kind ``centre`` whose parent is the city, a district or a street:
it covers that area and everything below it. A case belongs to the areas of its grid (the
case's ``street_id`` and ``district_id``); a case outside every grid belongs to the city
alone. The tree is read once per CITYOPS_CACHE_CHECK_SECONDS and forgotten at once when
this process edits a unit.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from core.ttlcache import TtlCache
from org.tables import OrgUnit

Level = Literal["city", "district", "street"]
LEVELS: tuple[Level, ...] = ("street", "district", "city")  # lowest first


class Tree(msgspec.Struct, frozen=True):
    # id -> (kind, parent id, active)
    units: dict[int, tuple[str, int | None, bool]]
    children: dict[int, list[int]]
    # the area a centre covers (city, district or street unit) -> the centre's id
    centre_of_area: dict[int, int]

    def kind(self, unit_id: int | None) -> str | None:
        found = self.units.get(unit_id) if unit_id is not None else None
        return found[0] if found else None

    def parent(self, unit_id: int) -> int | None:
        found = self.units.get(unit_id)
        return found[1] if found else None

    def subtree(self, unit_id: int) -> frozenset[int]:
        """The unit and every unit below it."""
        found, todo = set(), [unit_id]
        while todo:
            current = todo.pop()
            if current not in found:
                found.add(current)
                todo.extend(self.children.get(current, ()))
        return frozenset(found)

    def city(self) -> int | None:
        return next((uid for uid, (kind, _, _) in self.units.items() if kind == "city"), None)

    def area_of_centre(self, centre_id: int) -> tuple[Level, int] | None:
        """The level and area a centre covers, or None for a unit that is no centre."""
        if self.kind(centre_id) != "centre":
            return None
        area = self.parent(centre_id)
        kind = self.kind(area)
        if area is None or kind not in LEVELS:
            return None
        return kind, area  # type: ignore[return-value]

    def centres_over(self, *, street_id: int | None, district_id: int | None) -> list[int]:
        """The centres a case in these areas answers to, lowest first (street station,
        district centre, city centre), each only where it exists."""
        areas = [street_id, district_id, self.city()]
        return [self.centre_of_area[a] for a in areas if a is not None and a in self.centre_of_area]


_cache: TtlCache[Tree] = TtlCache(max_entries=1)


async def _load() -> Tree:
    rows = await OrgUnit.select(OrgUnit.id, OrgUnit.kind, OrgUnit.parent, OrgUnit.active)
    units = {row["id"]: (row["kind"], row["parent"], bool(row["active"])) for row in rows}
    centres: dict[int, int] = {}
    children: dict[int, list[int]] = {}
    for unit_id, (kind, parent, active) in sorted(units.items()):
        if parent is not None:
            children.setdefault(parent, []).append(unit_id)
        if kind == "centre" and active and parent is not None:
            centres.setdefault(parent, unit_id)
    return Tree(units=units, children=children, centre_of_area=centres)


async def unit_tree() -> Tree:
    return await _cache.get("tree", _load)


def forget_unit_tree() -> None:
    _cache.clear()
