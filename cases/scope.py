"""Where staff act: a command centre's operators and supervisors see and act on the cases of
its area (the city, a district or a street, and everything below); handlers the cases of
their unit and its sub-units (led or assisted) and those assigned to them; inspectors the
cases of their grids and their own reports. Admins configure the whole city and see all.

A case outside someone's scope is a 404 to them, as another citizen's case is to a citizen.
The same scope filters lists (``clause``) and single cases (``contains``), so a list can
never show what its detail would refuse.

An operator whose account names no unit acts for the city, as every operator did before
centres had levels; the admin API gives new operators a centre.
"""

from __future__ import annotations

import msgspec

from accounts import service as accounts
from cases.tables import Case, CaseAssist
from core.actors import Actor
from org import grids
from org.centres import Tree, unit_tree

CENTRE_ROLES = ("operator", "supervisor")


class Scope(msgspec.Struct, frozen=True, kw_only=True):
    everything: bool = False
    district_ids: frozenset[int] = frozenset()
    street_ids: frozenset[int] = frozenset()
    unit_ids: frozenset[int] = frozenset()  # cases led or assisted by these units
    grid_ids: frozenset[int] = frozenset()
    staff_id: int | None = None  # cases assigned to or reported by this staff member
    # The command centre the actor sits in (None: none, or an operator of no unit).
    centre_id: int | None = None

    @property
    def areas(self) -> tuple[frozenset[int], frozenset[int]]:
        return self.district_ids, self.street_ids


EVERYTHING = Scope(everything=True)


def _centre_scope(tree: Tree, unit_id: int | None) -> Scope:
    if unit_id is None:
        return Scope(everything=True, centre_id=tree.centre_of_area.get(tree.city() or -1))
    covered = tree.area_of_centre(unit_id)
    level, area = covered if covered else (tree.kind(unit_id), unit_id)
    if level == "city":
        return Scope(everything=True, centre_id=unit_id)
    if level == "district":
        return Scope(district_ids=frozenset({area}), centre_id=unit_id)
    if level == "street":
        return Scope(street_ids=frozenset({area}), centre_id=unit_id)
    # An operator placed in a work unit or department acts for that unit's cases.
    return Scope(unit_ids=tree.subtree(unit_id))


async def scope_of(actor: Actor) -> Scope:
    if actor.kind != "staff":
        return Scope()
    if actor.role == "admin":
        return EVERYTHING
    tree = await unit_tree()
    unit_id = await accounts.staff_unit_id(staff_id=actor.id)
    if actor.role in CENTRE_ROLES:
        return _centre_scope(tree, unit_id)
    if actor.role == "inspector":
        grid_ids = frozenset(await grids.inspector_grid_ids(staff_id=actor.id))
        return Scope(grid_ids=grid_ids, staff_id=actor.id)
    units = tree.subtree(unit_id) if unit_id is not None else frozenset()
    return Scope(unit_ids=units, staff_id=actor.id)


def units_within(scope: Scope, tree: Tree) -> frozenset[int] | None:
    """The org units inside the scope's areas (each area's unit and everything below it)
    and the scope's own units; None when the scope is everything."""
    if scope.everything:
        return None
    units: set[int] = set(scope.unit_ids)
    for area in scope.district_ids | scope.street_ids:
        units |= tree.subtree(area)
    return frozenset(units)


def clause(scope: Scope):
    """The WHERE clause of the cases in scope, or None for every case."""
    if scope.everything:
        return None
    parts = []
    if scope.district_ids:
        parts.append(Case.district_id.is_in(sorted(scope.district_ids)))
    if scope.street_ids:
        parts.append(Case.street_id.is_in(sorted(scope.street_ids)))
    if scope.unit_ids:
        units = sorted(scope.unit_ids)
        parts.append(Case.unit_id.is_in(units))
        parts.append(
            Case.id.is_in(CaseAssist.select(CaseAssist.case).where(CaseAssist.unit_id.is_in(units)))
        )
    if scope.grid_ids:
        parts.append(Case.grid_id.is_in(sorted(scope.grid_ids)))
    if scope.staff_id is not None:
        parts.append(Case.assignee_id == scope.staff_id)
        parts.append((Case.reporter_kind == "staff") & (Case.reporter_id == scope.staff_id))
    if not parts:
        return Case.id < 0  # sees nothing
    combined = parts[0]
    for part in parts[1:]:
        combined = combined | part
    return combined


async def contains(scope: Scope, case: Case) -> bool:
    if scope.everything:
        return True
    if case.district_id in scope.district_ids or case.street_id in scope.street_ids:
        return True
    if case.unit_id in scope.unit_ids or case.grid_id in scope.grid_ids:
        return True
    if scope.staff_id is not None and (
        case.assignee_id == scope.staff_id
        or (case.reporter_kind == "staff" and case.reporter_id == scope.staff_id)
    ):
        return True
    if scope.unit_ids:
        return await CaseAssist.exists().where(
            (CaseAssist.case == case.id) & CaseAssist.unit_id.is_in(sorted(scope.unit_ids))
        )
    return False


def sees_grid(scope: Scope, grid: grids.GridInfo) -> bool:
    """Whether the scope's map shows this grid: a grid of its areas, units or own grids."""
    return (
        scope.everything
        or grid.id in scope.grid_ids
        or grid.district_id in scope.district_ids
        or grid.street_id in scope.street_ids
        or grid.area_id in scope.district_ids | scope.street_ids
        or grid.unit_id in scope.unit_ids
    )
