"""No silent queues: every kind of waiting case raises an alert in the right centre's queue,
pushed to its operators; escalation climbs the tree; urgent cases nobody acknowledges are
alerted and paged again."""

import datetime as dt

import pytest

from accounts.api_keys import create_api_client
from cases.sla import escalation_due
from cases.tables import Case
from core import clock
from core.db import transaction
from notify.tables import NotificationJob
from tests.cases_city import OUTSIDE
from tests.helpers import assert_problem
from tests.levels_city import (
    IN_GRID,
    IN_GRID_NE,
    NORTH_PARENT_ONLY,
    NORTH_UNIT_GRID,
    alerts_of,
    build_levels,
    file_report,
    tick_at,
)


@pytest.fixture
async def lv(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(90 * 86400))
    return await build_levels(api)


async def _row(case_id: str) -> Case:
    return await Case.objects().where(Case.public_id == case_id).first()


async def _pushed(template: str) -> list[int]:
    jobs = await NotificationJob.objects().where(NotificationJob.template == template)
    return sorted(j.recipient_id for j in jobs)


def _kinds(items: list[dict], case_id: str | None = None) -> list[tuple[str, int]]:
    return [(a["kind"], a["centreId"]) for a in items if case_id in (None, a["caseId"])]


async def test_escalation_climbs_from_the_street_to_the_city(api, lv):
    case_id, _ = await file_report(api, at=IN_GRID)
    case = await _row(case_id)
    assert case.state == "dispatched" and case.street_id == lv.units["street"]
    await tick_at(clock.as_utc(case.sla_yellow_at) + dt.timedelta(minutes=1))
    assert _kinds(await alerts_of(api, lv.street_op), case_id) == [
        ("sla_yellow", lv.centres["street"])
    ]
    assert await _pushed("alert.sla_yellow") == [lv.street_op.subject_id]
    await tick_at(clock.as_utc(case.deadline_at) + dt.timedelta(minutes=1))
    assert ("sla_red", lv.centres["district"]) in _kinds(await alerts_of(api, lv.district_op))
    # The street station keeps its own alert and does not see what climbed past it.
    assert _kinds(await alerts_of(api, lv.street_op), case_id) == [
        ("sla_yellow", lv.centres["street"])
    ]
    assert await _pushed("alert.sla_red") == [lv.district_op.subject_id]
    case = await _row(case_id)
    await tick_at(escalation_due(case, 3) + dt.timedelta(minutes=1))
    assert ("sla_red", lv.centres["city"]) in _kinds(await alerts_of(api, lv.city_op), case_id)
    assert await _pushed("alert.sla_red") == sorted(
        [lv.district_op.subject_id, lv.city_op.subject_id]
    )
    # The top reached: later ticks add nothing.
    counts = await tick_at(clock.now() + dt.timedelta(days=3))
    assert counts["higher"] == 0 and counts["red"] == 0
    assert len(await alerts_of(api, lv.city_op, kind="sla_red")) == 2


async def test_an_urgent_case_nobody_acknowledges_is_alerted_and_paged(api, lv):
    gas = lv.city.handler_gas
    case_id, _ = await file_report(api, at=IN_GRID, category="E0403")
    case = await _row(case_id)
    assert case.priority == 1 and case.unit_id == lv.units["370200-GAS"]
    await tick_at(clock.as_utc(case.dispatched_at) + dt.timedelta(minutes=14))
    assert await alerts_of(api, lv.street_op, kind="unacknowledged") == []
    await tick_at(clock.as_utc(case.dispatched_at) + dt.timedelta(minutes=16))
    (alert,) = await alerts_of(api, lv.street_op, kind="unacknowledged")
    assert alert["severity"] == 1 and alert["caseId"] == case_id
    assert await _pushed("task.repage") == [gas.subject_id]
    assert_problem(
        await api.post(f"/api/inspector/cases/{case_id}/acknowledge", headers=lv.squad_a.headers),
        404,
        "case.not_found",
    )
    acked = await api.post(f"/api/inspector/cases/{case_id}/acknowledge", headers=gas.headers)
    assert acked.status_code == 200, acked.text
    assert acked.json()["case"]["acknowledgedAt"] is not None
    assert "acknowledge" not in acked.json()["actions"]
    assert await alerts_of(api, lv.street_op, kind="unacknowledged") == []
    await tick_at(clock.now() + dt.timedelta(minutes=30))
    assert await _pushed("task.repage") == [gas.subject_id]  # no page after 签收


async def test_every_silent_queue_raises_an_alert(api, lv):
    unstaffed, _ = await file_report(api, at=IN_GRID_NE, seed=1)  # 江苏路's squad: nobody
    undispatched, _ = await file_report(api, at=NORTH_UNIT_GRID, seed=2)  # no rule, no unit
    parent_only, _ = await file_report(api, at=NORTH_PARENT_ONLY, seed=3)
    async with transaction():
        camera = (await create_api_client(name="cam-1", kind="camera", trusted=True)).key
    events = {}
    for external, at, level in (("gas-1", IN_GRID, 1), ("far-1", OUTSIDE, 3)):
        response = await api.post(
            "/api/intake/events",
            json={
                "externalId": external,
                "category": "C0111",
                "location": {"lat": at[0], "lon": at[1]},
                "level": level,
            },
            headers={"X-Api-Key": camera},
        )
        assert response.status_code == 201, response.text
        events[external] = response.json()["id"]
    assert _kinds(await alerts_of(api, lv.district_op), unstaffed) == [
        ("unit_unstaffed", lv.centres["district"])
    ]
    north = await alerts_of(api, lv.north_op)
    assert _kinds(north, undispatched) == [("undispatched", lv.centres["north"])]
    assert sorted(_kinds(north, parent_only)) == [
        ("outside_grid", lv.centres["north"]),
        ("undispatched", lv.centres["north"]),
    ]
    assert _kinds(await alerts_of(api, lv.street_op), events["gas-1"]) == [
        ("machine_alarm", lv.centres["street"])
    ]
    assert _kinds(await alerts_of(api, lv.city_op), events["far-1"]) == [
        ("outside_city", lv.centres["city"])
    ]
    assert await alerts_of(api, lv.district_op, kind="outside_city") == []
    everything = await alerts_of(api, lv.city_op)
    assert [a["severity"] for a in everything] == sorted(a["severity"] for a in everything)
    assert everything[0]["kind"] == "machine_alarm"


async def test_alerts_are_acknowledged_and_close_with_their_cause(api, lv):
    case_id, _ = await file_report(api, at=IN_GRID_NE)
    (alert,) = await alerts_of(api, lv.district_op)
    assert_problem(
        await api.post(f"/api/admin/alerts/{alert['id']}/acknowledge", headers=lv.north_op.headers),
        404,
        "alert.not_found",
    )
    seen = await api.post(
        f"/api/admin/alerts/{alert['id']}/acknowledge", headers=lv.supervisor.headers
    )
    assert seen.status_code == 200 and seen.json()["acknowledgedBy"] == lv.supervisor.subject_id
    assert await alerts_of(api, lv.district_op, status="unacknowledged") == []
    assert len(await alerts_of(api, lv.district_op)) == 1  # seen, still open
    moved = await api.post(
        f"/api/admin/cases/{case_id}/redispatch",
        json={"unitId": lv.units["370202-HW"]},
        headers=lv.district_op.headers,
    )
    assert moved.status_code == 200, moved.text
    assert await alerts_of(api, lv.district_op) == []
    (closed,) = await alerts_of(api, lv.district_op, status="all")
    assert closed["resolvedAt"] is not None
