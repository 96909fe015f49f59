"""Domain gauges on /metrics: outbox backlog and age per provider, failed pushes by reason,
cases by SLA light and level, overdue cases, the nearby index's freshness and the calendar's
days of coverage; read at most once per CITYOPS_METRICS_CACHE_SECONDS."""

import datetime as dt

import pytest
from prometheus_client.parser import text_string_to_metric_families

from api.domain_metrics import forget_refresh
from cases.sla import check_sla
from core import clock
from core.db import transaction
from core.settings import get_settings
from notify.fanout import fan_out
from notify.service import enqueue
from notify.tables import NotificationDelivery
from org.calendar import days_covered_ahead
from tests.api.citizen.test_reports import _report
from tests.cases_city import AUTO_CATEGORY, build_city
from tests.places.util import add_place, fresh_index, nearby  # noqa: F401


@pytest.fixture(autouse=True)
def every_scrape_reads(settings_env):
    settings_env(CITYOPS_METRICS_CACHE_SECONDS="0")
    forget_refresh()
    yield
    forget_refresh()


async def _gauges(api) -> dict[tuple[str, tuple], float]:
    text = (await api.get("/metrics")).text
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
        if sample.name.startswith(
            (
                "cityops_outbox",
                "cityops_push",
                "cityops_cases",
                "cityops_places",
                "cityops_calendar_coverage",
            )
        )
    }


def _g(gauges, name, **labels) -> float | None:
    return gauges.get((name, tuple(sorted(labels.items()))))


async def test_outbox_backlog_age_and_failures_per_provider(api):
    citizen = await api.citizen()
    device = {"platform": "ios", "token": "a" * 64}
    assert (
        await api.post("/api/citizen/devices", json=device, headers=citizen.headers)
    ).status_code in (200, 201)
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_outbox_backlog", channel="fanout") == 0
    assert _g(gauges, "cityops_outbox_backlog", channel="apns") is None
    me = (await api.get("/api/citizen/me", headers=citizen.headers)).json()["id"]
    from accounts.service import citizen_id_of

    citizen_id = await citizen_id_of(public_id=me)
    async with transaction():
        for n in range(3):
            await enqueue(
                recipient_kind="citizen",
                recipient_id=citizen_id,
                template="case.accepted",
                params={"n": n},
            )
    clock.travel(dt.timedelta(minutes=5))
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_outbox_backlog", channel="fanout") == 3
    assert _g(gauges, "cityops_outbox_oldest_age_seconds", channel="fanout") >= 300
    async with transaction():
        await fan_out(channels={"apns"}, settings=get_settings(), batch=100)
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_outbox_backlog", channel="fanout") == 0
    assert _g(gauges, "cityops_outbox_backlog", channel="apns") == 3
    # Two end unsent, each for its reason (as the sender records them).
    ids = [r["id"] for r in await NotificationDelivery.select(NotificationDelivery.id)]
    await NotificationDelivery.update({NotificationDelivery.status: "dead"}).where(
        NotificationDelivery.id == ids[0]
    )
    await NotificationDelivery.update({NotificationDelivery.status: "dead_token"}).where(
        NotificationDelivery.id == ids[1]
    )
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_outbox_backlog", channel="apns") == 1
    assert _g(gauges, "cityops_push_failed", channel="apns", reason="dead") == 1
    assert _g(gauges, "cityops_push_failed", channel="apns", reason="dead_token") == 1
    # A day later the failures leave the window; the drained backlog reads 0 or absent.
    clock.travel(dt.timedelta(days=2))
    await NotificationDelivery.update({NotificationDelivery.status: "sent"}).where(
        NotificationDelivery.id == ids[2]
    )
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_push_failed", channel="apns", reason="dead") is None
    assert _g(gauges, "cityops_outbox_backlog", channel="apns") is None


async def test_cases_by_light_and_level_and_overdue(api):
    await build_city(api)
    citizen = await api.citizen()
    response = await _report(api, citizen, category=AUTO_CATEGORY)
    assert response.status_code == 201, response.text
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_cases_sla", light="green", level="0") == 1
    assert _g(gauges, "cityops_cases_overdue", state="dispatched") is None
    clock.travel(dt.timedelta(days=30))  # far past any limit
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_cases_sla", light="red", level="0") == 1
    async with transaction():
        await check_sla()
    gauges = await _gauges(api)
    escalated = {k[1]: v for k, v in gauges.items() if k[0] == "cityops_cases_sla"}
    assert [(dict(labels)["light"], int(dict(labels)["level"]) >= 2) for labels in escalated] == [
        ("red", True)
    ]
    assert _g(gauges, "cityops_cases_sla", light="red", level="0") is None
    assert _g(gauges, "cityops_cases_overdue", state="dispatched") == 1


async def test_index_freshness_and_calendar_days_left(api):
    admin = await api.staff("admin")
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_places_index_revisions_behind") == -1  # nothing loaded yet
    await add_place(api, admin)
    await nearby(api)
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_places_index_revisions_behind") == 0
    await add_place(api, admin, north=50.0)
    await add_place(api, admin, north=90.0)
    gauges = await _gauges(api)
    assert _g(gauges, "cityops_places_index_revisions_behind") == 2
    assert _g(gauges, "cityops_places_index_check_age_seconds") >= 0
    assert _g(gauges, "cityops_calendar_coverage_days_left") == await days_covered_ahead() > 0


async def test_figures_are_read_once_per_cache_period(api, settings_env):
    settings_env(CITYOPS_METRICS_CACHE_SECONDS="3600")
    forget_refresh()
    citizen = await api.citizen()
    assert _g(await _gauges(api), "cityops_outbox_backlog", channel="fanout") == 0
    me = (await api.get("/api/citizen/me", headers=citizen.headers)).json()["id"]
    from accounts.service import citizen_id_of

    async with transaction():
        await enqueue(
            recipient_kind="citizen",
            recipient_id=await citizen_id_of(public_id=me),
            template="case.accepted",
            params={},
        )
    assert _g(await _gauges(api), "cityops_outbox_backlog", channel="fanout") == 0  # cached
    forget_refresh()
    assert _g(await _gauges(api), "cityops_outbox_backlog", channel="fanout") == 1
