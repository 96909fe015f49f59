"""The satisfaction survey (回访, cases.survey): sent once to the reporter when their case
closes, answered once, offering the reopen flow when not fixed, and counted in the
evaluation (satisfaction per unit and area)."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from cases.feedback import REOPEN_WINDOW
from core import clock
from core.db import is_sqlite
from notify.worker import Outbox
from tests.api.citizen.test_reports import REPORTS, _act, _report
from tests.cases_city import build_city
from tests.helpers import assert_problem

INBOX = "/api/citizen/notifications"
FIXED = {"fixed": True, "speed": 5, "attitude": 4, "result": 5, "comment": "很快"}
NOT_FIXED = {"fixed": False, "speed": 2, "attitude": 3, "result": 1}


@pytest.fixture
async def city(api):
    return await build_city(api)


async def _closed(api, city, who=None):
    who = who or await api.citizen()
    case_id = (await _report(api, who, category="C0301")).json()["id"]
    await _act(api, city, case_id, "accept")
    await _act(api, city, case_id, "resolve", note="已修复")
    await _act(api, city, case_id, "close")
    return who, case_id


async def _surveys(api, who) -> list[dict]:
    await Outbox(providers={}).drain()
    items = (await api.get(INBOX, headers=who.headers)).json()["items"]
    return [item for item in items if item["type"] == "case.survey"]


async def test_sent_once_answered_once(api, city):
    alice, case_id = await _closed(api, city)
    url = f"{REPORTS}/{case_id}/survey"
    (sent,) = await _surveys(api, alice)
    assert sent["caseId"] == case_id and "问题解决了吗" in sent["body"]
    survey = (await api.get(url, headers=alice.headers)).json()
    assert survey["answered"] is False and survey["fixed"] is None and survey["reopen"] is None

    answered = await api.post(url, json=FIXED, headers=alice.headers)
    assert answered.status_code == 200, answered.text
    body = answered.json()
    assert body["answered"] is True and body["fixed"] is True and body["reopen"] is None
    assert (body["speed"], body["attitude"], body["result"]) == (5, 4, 5)
    assert_problem(
        await api.post(url, json=FIXED, headers=alice.headers), 409, "survey.already_answered"
    )
    again = await api.post(url, json=NOT_FIXED, headers=alice.headers)
    assert_problem(again, 409, "survey.already_answered")
    assert (await api.get(url, headers=alice.headers)).json()["fixed"] is True  # the first stays
    timeline = (await api.get(f"{REPORTS}/{case_id}", headers=alice.headers)).json()
    assert "您已完成满意度回访" in str(timeline)

    # Reopened and closed again: still the one survey, sent once.
    await api.post(f"{REPORTS}/{case_id}/reopen", json={"reason": "又坏了"}, headers=alice.headers)
    await _act(api, city, case_id, "resolve", note="再修")
    await _act(api, city, case_id, "close")
    assert len(await _surveys(api, alice)) == 1


async def test_racing_answers_store_one(api, city):
    alice, case_id = await _closed(api, city)
    url = f"{REPORTS}/{case_id}/survey"
    if is_sqlite():
        answers = [await api.post(url, json=b, headers=alice.headers) for b in (FIXED, NOT_FIXED)]
    else:
        answers = await asyncio.gather(
            *(api.post(url, json=b, headers=alice.headers) for b in (FIXED, NOT_FIXED, FIXED))
        )
    assert sorted(r.status_code for r in answers).count(200) == 1
    assert all(r.status_code in (200, 409) for r in answers)


async def test_not_fixed_offers_the_reopen_flow(api, city):
    alice, case_id = await _closed(api, city)
    url = f"{REPORTS}/{case_id}/survey"
    body = (await api.post(url, json=NOT_FIXED, headers=alice.headers)).json()
    offer = body["reopen"]
    assert offer["href"] == f"{REPORTS}/{case_id}/reopen" and offer["method"] == "POST"
    until = dt.datetime.fromisoformat(offer["until"])
    assert abs(until - (clock.now() + REOPEN_WINDOW)) < dt.timedelta(minutes=1)
    reopened = await api.post(offer["href"], json={"reason": "没修好"}, headers=alice.headers)
    assert reopened.status_code == 200 and reopened.json()["state"] == "dispatched"
    # Reopened: nothing more to offer.
    assert (await api.get(url, headers=alice.headers)).json()["reopen"] is None


async def test_the_offer_ends_with_the_reopen_window(api, settings_env):
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(30 * 86400))
    alice, case_id = await _closed(api, await build_city(api))
    clock.travel(REOPEN_WINDOW + dt.timedelta(hours=1))
    url = f"{REPORTS}/{case_id}/survey"
    response = await api.post(url, json=NOT_FIXED, headers=alice.headers)
    assert response.status_code == 200 and response.json()["reopen"] is None
    assert_problem(
        await api.post(f"{REPORTS}/{case_id}/reopen", json={"reason": "x"}, headers=alice.headers),
        409,
        "case.reopen_window_passed",
    )


async def test_who_may_see_and_answer(api, city):
    alice, case_id = await _closed(api, city)
    url = f"{REPORTS}/{case_id}/survey"
    stranger = await api.citizen()
    assert_problem(await api.get(url, headers=stranger.headers), 404, "case.not_found")
    assert_problem(await api.post(url, json=FIXED, headers=stranger.headers), 404, "case.not_found")
    open_id = (await _report(api, alice, category="C0301")).json()["id"]
    assert_problem(
        await api.get(f"{REPORTS}/{open_id}/survey", headers=alice.headers), 404, "survey.not_found"
    )


BAD = [
    {},
    {**FIXED, "speed": 0},
    {**FIXED, "result": 6},
    {**FIXED, "fixed": "yes"},
    {**FIXED, "comment": "x" * 501},
    {"fixed": True, "speed": 5, "attitude": 5},
]


async def test_bad_answers_are_problems(api, city):
    alice, case_id = await _closed(api, city)
    for body in BAD:
        response = await api.post(f"{REPORTS}/{case_id}/survey", json=body, headers=alice.headers)
        assert_problem(response, 400, "request.invalid")
    assert (await api.get(f"{REPORTS}/{case_id}/survey", headers=alice.headers)).json()[
        "answered"
    ] is False
