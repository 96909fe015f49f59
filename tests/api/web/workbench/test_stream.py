"""The queue's live updates: the poller sees new events once, a stream sends only rows the
actor's list shows, and a reconnect replays what it missed (the browser test watches the
same thing in a second Chromium context)."""

from __future__ import annotations

from api.web.workbench import stream
from api.web.workbench.queue import QueueQuery
from cases.access import load_case
from tests.api.web.workbench.support import file_report
from tests.cases_city import build_city


async def test_poller_passes_each_new_event_once(api):
    await build_city(api)
    poller = stream.Poller()
    await poller.poll()  # the first tick only sets the starting point
    citizen = await api.citizen()
    case_id = await file_report(api, citizen, seed=30)
    case = await load_case(case_id)
    change = await poller.poll()
    assert case.id in change.case_ids and change.last_id > 0
    again = await poller.poll()
    assert case.id not in again.case_ids  # re-read, not re-sent


async def test_rows_follow_the_actors_scope_and_filter(api):
    city = await build_city(api)
    citizen = await api.citizen()
    case_id = await file_report(api, citizen, seed=31)
    case = await load_case(case_id)
    from core.actors import Actor

    operator = Actor(kind="staff", id=city.operator.subject_id, role="operator")
    html = await stream.rows_message(operator, QueueQuery(), {case.id})
    assert f'<tr id="case-{case_id}" hx-swap-oob="true">' in html and "<template>" in html
    assert html.startswith("<span>1 件案件有更新</span>")
    closed_only = QueueQuery(state="closed")
    assert await stream.rows_message(operator, closed_only, {case.id}) is None
    handler = Actor(kind="staff", id=city.handler_gas.subject_id, role="handler")
    assert await stream.rows_message(handler, QueueQuery(), {case.id}) is None


async def test_a_reconnect_gets_the_cases_changed_after_its_last_event(api):
    await build_city(api)
    citizen = await api.citizen()
    poller = stream.Poller()
    await poller.poll()
    last = poller.last_id
    case_id = await file_report(api, citizen, seed=32)
    case = await load_case(case_id)
    assert await stream.changed_after(last) == {case.id}
    assert await stream.changed_after((await poller.poll()).last_id) == set()
