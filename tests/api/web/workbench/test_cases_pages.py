"""The queue and a case over HTTP: scoped like the API, partials for htmx, actions as forms
through the same services, the API's messages beside the fields."""

from __future__ import annotations

import re

import pytest

from tests.api.web.workbench.support import csrf_of, file_report, sign_in_as
from tests.cases_city import build_city


@pytest.fixture
async def city(api):
    return await build_city(api)


async def test_queue_lists_the_case_full_and_partial_in_both_locales(api, city):
    citizen = await api.citizen()
    case_id = await file_report(api, citizen)
    await sign_in_as(api, city.operator)
    full = await api.get("/workbench/queue")
    assert full.status_code == 200 and f'id="case-{case_id}"' in full.text
    assert full.text.startswith("<!doctype html>") and "<h1>案件队列</h1>" in full.text
    assert "HX-Request" in full.headers["vary"] and full.headers["cache-control"] == "no-store"
    partial = await api.get("/workbench/queue", headers={"HX-Request": "true"})
    assert partial.status_code == 200 and "<html" not in partial.text
    assert f'id="case-{case_id}"' in partial.text and "HX-Request" in partial.headers["vary"]
    boosted = await api.get(
        "/workbench/queue", headers={"HX-Request": "true", "HX-Boosted": "true"}
    )
    assert "<html" in boosted.text
    en = await api.get("/workbench/queue", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "<h1>Case queue</h1>" in en.text
    assert en.headers["content-language"] == "en"


async def test_queue_filters_and_bad_filters(api, city):
    citizen = await api.citizen()
    case_id = await file_report(api, citizen, seed=1)
    await sign_in_as(api, city.operator)
    by_state = await api.get("/workbench/queue", params={"state": "closed"})
    assert f'id="case-{case_id}"' not in by_state.text
    by_text = await api.get("/workbench/queue", params={"q": "workbench test 1"})
    assert f'id="case-{case_id}"' in by_text.text
    by_date = await api.get("/workbench/queue", params={"reportedFrom": "2031-01-01"})
    assert f'id="case-{case_id}"' not in by_date.text
    for bad in ({"unitId": "abc"}, {"light": "purple"}, {"reportedFrom": "yesterday"}, {"x": "1"}):
        response = await api.get("/workbench/queue", params=bad)
        assert response.status_code == 422, bad
        assert '<p class="error" role="alert"' in response.text


async def test_keyset_paging_links(api, city):
    citizen = await api.citizen()
    for seed in range(3):
        await file_report(api, citizen, seed=10 + seed)
    await sign_in_as(api, city.operator)
    import api.web.workbench.queue as queue_module

    old, queue_module.QUEUE_LIMIT = queue_module.QUEUE_LIMIT, 2
    try:
        first = await api.get("/workbench/queue")
        link = re.search(r'href="([^"]+)"[^>]*data-page="next"', first.text)
        assert link, first.text
        second = await api.get(link.group(1).replace("&amp;", "&"))
        assert second.status_code == 200 and 'data-page="prev"' in second.text
        rows = lambda html: set(re.findall(r'<tr id="case-([^"]+)"', html))  # noqa: E731
        assert rows(first.text).isdisjoint(rows(second.text))
    finally:
        queue_module.QUEUE_LIMIT = old


async def test_case_page_shows_the_case_and_dispatches_through_the_form(api, city):
    citizen = await api.citizen_by_phone("13812340002")
    case_id = await file_report(api, citizen, seed=2)
    await sign_in_as(api, city.operator)
    page = await api.get(f"/workbench/cases/{case_id}")
    assert page.status_code == 200 and 'id="case-state"' in page.text
    assert "13812340002" not in page.text and "138****0002" in page.text  # masked
    en = await api.get(f"/workbench/cases/{case_id}", headers={"Accept-Language": "en"})
    assert '<html lang="en">' in en.text and "Timeline" in en.text and "Accept" in en.text
    thumb = re.search(r'<img src="([^"]+)"', page.text).group(1)
    photo = await api.get(thumb)
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    csrf = csrf_of(page.text)
    accept = await api.post(
        f"/workbench/cases/{case_id}/act/accept",
        data={"_csrf_token": csrf, "autoDispatch": "false"},
    )
    assert accept.status_code == 303 and accept.headers["location"] == f"/workbench/cases/{case_id}"
    # a bad field: the API's message beside it, on the htmx partial with the API's status
    bad = await api.post(
        f"/workbench/cases/{case_id}/act/dispatch",
        data={"_csrf_token": csrf, "unitId": "not-a-number"},
        headers={"HX-Request": "true"},
    )
    assert bad.status_code == 422 and "<html" not in bad.text
    assert 'id="f-dispatch-unitId"' in bad.text and 'aria-invalid="true"' in bad.text
    missing = await api.post(
        f"/workbench/cases/{case_id}/act/dispatch",
        data={"_csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert missing.status_code == 422 and 'id="f-dispatch-unitId-err"' in missing.text
    done = await api.post(
        f"/workbench/cases/{case_id}/act/dispatch",
        data={"_csrf_token": csrf, "unitId": str(city.unit_ids["370202-HW"])},
        headers={"HX-Request": "true"},
    )
    assert done.status_code == 200, done.text
    view = (await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers)).json()
    assert view["case"]["state"] == "dispatched"
    again = await api.post(  # a second click of a step already taken: refused, not redone
        f"/workbench/cases/{case_id}/act/accept",
        data={"_csrf_token": csrf, "autoDispatch": "false"},
        headers={"HX-Request": "true"},
    )
    assert again.status_code == 409 and 'role="alert"' in again.text


async def test_reveal_is_recorded_and_notes_are_kept(api, city):
    citizen = await api.citizen_by_phone("13812340003")
    case_id = await file_report(api, citizen, seed=3)
    await sign_in_as(api, city.operator)
    page = await api.get(f"/workbench/cases/{case_id}")
    csrf = csrf_of(page.text)
    shown = await api.post(
        f"/workbench/cases/{case_id}/phone",
        data={"_csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert shown.status_code == 200 and "13812340003" in shown.text
    note = await api.post(
        f"/workbench/cases/{case_id}/notes",
        data={"_csrf_token": csrf, "text": "请尽快处理"},
        headers={"HX-Request": "true"},
    )
    assert note.status_code == 200
    view = (await api.get(f"/api/admin/cases/{case_id}", headers=city.operator.headers)).json()
    actions = [e["action"] for e in view["events"]]
    assert "reveal_phone" in actions and "note" in actions


async def test_out_of_scope_and_unknown_cases_are_the_same_404(api, city):
    await sign_in_as(api, city.operator)
    missing = await api.get("/workbench/cases/zz_0000000")
    assert missing.status_code == 404 and "<html" in missing.text
