"""A year's holiday arrangement imported in one request (POST /api/admin/calendar/import):
all or nothing, idempotent, audited; the deadlines, /readyz, /metrics and the city centre's
``calendar`` alert follow it. The rule of which years count as covered is in
org.calendar.coverage."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases.calendar_watch import calendar_tick
from core import clock
from org.calendar import package_knows_year
from org.calendar_import import MAX_ROWS
from tests.helpers import assert_problem
from tests.levels_city import admin_case, alerts_of, build_levels, file_report

A = "/api/admin"
IMPORT = f"{A}/calendar/import"
CST = ZoneInfo("Asia/Shanghai")
# A sample arrangement (not the State Council's notice): 3 March 2027 is a plain Wednesday
# the import makes a day off, 14 February a Sunday it makes a working day.
SAMPLE_2027 = [
    {"date": "2027-01-01", "kind": "holiday", "name": "元旦"},
    *({"date": f"2027-02-{day:02d}", "kind": "holiday", "name": "春节"} for day in range(5, 12)),
    {"date": "2027-02-14", "kind": "workday", "name": "春节", "note": "调休上班"},
    {"date": "2027-03-03", "kind": "holiday", "name": "试行假日"},
]
CSV_2027 = (
    "date,kind,name,note\n"
    + "".join(f"{d['date']},{d['kind']},{d['name']},{d.get('note', '')}\n" for d in SAMPLE_2027)
).encode()


def _first_unknown_year() -> int:
    """The first year from 2027 the installed holiday package has no data for: the tests
    of missing data stay true when a newer package knows 2027."""
    year = 2027
    while package_knows_year(year):
        year += 1
    return year


def travel_to(moment: dt.datetime) -> None:
    """Move the clock; sessions are signed in after it (a token issued in the clock's
    future is refused)."""
    clock.travel(moment - clock.now())


def _minute(text: str) -> dt.datetime:
    # The clock runs on while a test does: the deadline counts from the second it is filed.
    return dt.datetime.fromisoformat(text).replace(second=0, microsecond=0)


@pytest.fixture
def long_tokens(settings_env):
    # The tests move the clock by months; the sessions must outlast that.
    settings_env(CITYOPS_ACCESS_TOKEN_TTL_SECONDS=str(900 * 86400))


@pytest.fixture
async def lv(api, long_tokens):
    return await build_levels(api)


@pytest.fixture
async def admin(api, long_tokens):
    return await api.staff("admin")


async def _import(api, admin, *, year=2027, days=None, csv=None, status=200):
    if csv is not None:
        response = await api.post(
            IMPORT,
            params={"year": year},
            content=csv,
            headers={**admin.headers, "Content-Type": "text/csv; charset=utf-8"},
        )
    else:
        response = await api.post(
            IMPORT, params={"year": year}, json={"days": days}, headers=admin.headers
        )
    assert response.status_code == status, response.text
    return response.json()


async def _days(api, session, first, last):
    response = await api.get(
        f"{A}/calendar", params={"from": first, "to": last}, headers=session.headers
    )
    assert response.status_code == 200, response.text
    return {d["day"]: d for d in response.json()}


async def _imports_audited(api, admin):
    response = await api.get(
        f"{A}/audit", params={"action": "calendar.import"}, headers=admin.headers
    )
    return response.json()["items"]


async def test_a_json_import_stores_the_days_and_is_audited_once(api, admin):
    report = await _import(api, admin, days=SAMPLE_2027)
    assert report == {
        "year": 2027,
        "days": 10,
        "created": 10,
        "updated": 0,
        "removed": 0,
        "unchanged": 0,
        "coveredUntil": report["coveredUntil"],
    }
    days = await _days(api, admin, "2027-03-02", "2027-03-04")
    assert days["2027-03-03"]["isWorkday"] is False
    assert days["2027-03-03"]["imported"] is True and days["2027-03-03"]["name"] == "试行假日"
    assert days["2027-03-02"]["overridden"] is False
    sunday = (await _days(api, admin, "2027-02-14", "2027-02-14"))["2027-02-14"]
    assert sunday["isWorkday"] is True and sunday["note"] == "调休上班"
    (entry,) = await _imports_audited(api, admin)
    assert entry["targetKind"] == "calendar_year" and entry["targetId"] == "2027"
    assert entry["after"]["created"] == 10

    again = await _import(api, admin, days=SAMPLE_2027)
    assert (again["created"], again["updated"], again["removed"], again["unchanged"]) == (
        0,
        0,
        0,
        10,
    )
    assert len(await _imports_audited(api, admin)) == 1  # nothing changed, nothing recorded


async def test_csv_and_json_of_the_same_days_are_the_same_import(api, admin):
    first = await _import(api, admin, csv=CSV_2027)
    assert first["created"] == 10
    same = await _import(api, admin, days=SAMPLE_2027)
    assert same["unchanged"] == 10 and same["created"] == same["updated"] == 0
    # A spreadsheet's BOM, CRLF line ends, blank lines and a reordered header are fine.
    excel = "\ufeffkind,date\r\nholiday,2027-03-03\r\n\r\n".encode()
    corrected = await _import(api, admin, csv=excel)
    assert corrected["days"] == 1 and corrected["updated"] == 1  # its name and note went
    assert corrected["removed"] == 9


async def test_a_corrected_reimport_drops_what_it_no_longer_lists_and_keeps_hand_edits(api, admin):
    typhoon = await api.put(
        f"{A}/calendar/2027-07-20", headers=admin.headers, json={"isWorkday": False, "note": "台风"}
    )
    assert typhoon.status_code == 200, typhoon.text
    await _import(api, admin, days=SAMPLE_2027)
    corrected = [d for d in SAMPLE_2027 if d["date"] != "2027-03-03"]
    report = await _import(api, admin, days=corrected)
    assert report["removed"] == 1 and report["unchanged"] == 9
    days = await _days(api, admin, "2027-03-03", "2027-03-03")
    assert days["2027-03-03"] == {
        "day": "2027-03-03",
        "isWorkday": True,
        "overridden": False,
        "note": "",
    }
    kept = (await _days(api, admin, "2027-07-20", "2027-07-20"))["2027-07-20"]
    assert kept["isWorkday"] is False and kept["note"] == "台风" and "imported" not in kept


async def test_the_eve_of_the_year_may_join_its_import(api, admin):
    # 2024's New Year holiday began on Saturday 30 December 2023.
    report = await _import(
        api,
        admin,
        year=2028,
        days=[
            {"date": "2027-12-30", "kind": "holiday", "name": "元旦"},
            {"date": "2028-01-01", "kind": "holiday", "name": "元旦"},
        ],
    )
    assert report["created"] == 2


async def test_every_bad_row_is_named_and_nothing_is_stored(api, admin):
    days = [
        {"date": "2027-02-05", "kind": "holiday"},  # row 1: fine
        {"date": "2027-02-30", "kind": "holiday"},  # 2: no such day
        {"date": "27-3-1", "kind": "holiday"},  # 3: not YYYY-MM-DD
        {"date": "2027-02-05", "kind": "workday"},  # 4: listed on row 1
        {"date": "2027-05-01", "kind": "vacation"},  # 5: unknown kind
        {"date": "2026-10-01", "kind": "holiday"},  # 6: another year
        {"date": "2028-01-01", "kind": "holiday"},  # 7: another year
        {"date": "2027-05-02", "kind": "holiday", "name": "名" * 101},  # 8: too long
    ]
    response = await api.post(
        IMPORT, params={"year": 2027}, json={"days": days}, headers=admin.headers
    )
    body = assert_problem(response, 422, "calendar.import_invalid")
    assert [(e["row"], e["code"]) for e in body["errors"]] == [
        (2, "bad_date"),
        (3, "bad_date"),
        (4, "duplicate_date"),
        (5, "unknown_kind"),
        (6, "wrong_year"),
        (7, "wrong_year"),
        (8, "too_long"),
    ]
    assert "row 1" in body["errors"][2]["detail"]
    stored = await _days(api, admin, "2027-02-05", "2027-02-05")
    assert stored["2027-02-05"]["overridden"] is False  # the good row was not stored either
    assert await _imports_audited(api, admin) == []


async def test_csv_rows_are_numbered_by_their_line(api, admin):
    csv = b"date,kind\n2027-01-01,holiday\n\n2027-01-01,holiday\n2027-13-01,workday\n"
    body = assert_problem(
        await api.post(
            IMPORT,
            params={"year": 2027},
            content=csv,
            headers={**admin.headers, "Content-Type": "text/csv"},
        ),
        422,
        "calendar.import_invalid",
    )
    assert [(e["row"], e["code"]) for e in body["errors"]] == [
        (4, "duplicate_date"),
        (5, "bad_date"),
    ]


async def test_empty_oversized_and_malformed_files_are_refused(api, admin):
    csv_headers = {**admin.headers, "Content-Type": "text/csv"}
    for content, headers in ((b"", csv_headers), (b"date,kind\n\n", csv_headers)):
        assert_problem(
            await api.post(IMPORT, params={"year": 2027}, content=content, headers=headers),
            422,
            "calendar.import_empty",
        )
    assert_problem(
        await api.post(IMPORT, params={"year": 2027}, json={"days": []}, headers=admin.headers),
        422,
        "calendar.import_empty",
    )
    many = [
        {"date": (dt.date(2027, 1, 1) + dt.timedelta(days=i % 365)).isoformat(), "kind": "holiday"}
        for i in range(MAX_ROWS + 1)
    ]
    body = assert_problem(
        await api.post(IMPORT, params={"year": 2027}, json={"days": many}, headers=admin.headers),
        422,
        "calendar.import_too_many_rows",
    )
    assert str(MAX_ROWS) in body["detail"]
    for content in (b"day,kind\n2027-01-01,holiday\n", b"date,kind\n2027-01-01,holiday,x\n"):
        assert_problem(
            await api.post(IMPORT, params={"year": 2027}, content=content, headers=csv_headers),
            422,
            "calendar.import_malformed",
        )
    for body in ({"days": [{"date": "2027-01-01"}]}, {"rows": []}, [1, 2]):
        assert_problem(
            await api.post(IMPORT, params={"year": 2027}, json=body, headers=admin.headers),
            422,
            "calendar.import_malformed",
        )


async def test_the_request_itself_is_checked(api, admin):
    operator = await api.staff("operator")
    assert_problem(
        await api.post(
            IMPORT, params={"year": 2027}, json={"days": SAMPLE_2027}, headers=operator.headers
        ),
        403,
        "auth.role_forbidden",
    )
    assert_problem(
        await api.post(
            IMPORT,
            params={"year": 2027},
            content=b"<days/>",
            headers={**admin.headers, "Content-Type": "application/xml"},
        ),
        415,
        "request.unsupported_media_type",
    )
    for params in ({}, {"year": "1999"}, {"year": "next"}):
        response = await api.post(
            IMPORT, params=params, json={"days": SAMPLE_2027}, headers=admin.headers
        )
        assert response.status_code == 400, response.text


async def test_an_imported_2027_holiday_moves_a_deadline_past_it(api, long_tokens):
    travel_to(dt.datetime(2027, 3, 2, 15, 0, tzinfo=CST))
    lv, admin = await build_levels(api), await api.staff("admin")
    # E0502 cases are due after 8 working hours; filed on Tuesday 2 March 2027 at 16:00.
    patched = await api.patch(
        f"{A}/categories/E0502",
        json={"slaValue": 8, "slaUnit": "working_hours"},
        headers=admin.headers,
    )
    assert patched.status_code == 200, patched.text
    travel_to(dt.datetime(2027, 3, 2, 16, 0, tzinfo=CST))
    before, _ = await file_report(api, seed=1)
    await _import(api, admin, days=SAMPLE_2027)
    after, _ = await file_report(api, seed=2)
    due_before = (await admin_case(api, lv.street_op, before))["case"]["deadline"]
    due_after = (await admin_case(api, lv.street_op, after))["case"]["deadline"]
    # 1.5 h on Tuesday, then Wednesday until 16:30; with Wednesday off, Thursday 16:30.
    assert _minute(due_before) == dt.datetime(2027, 3, 3, 16, 30, tzinfo=CST)
    assert _minute(due_after) == dt.datetime(2027, 3, 4, 16, 30, tzinfo=CST)


async def test_readyz_and_metrics_say_degraded_until_the_year_ahead_is_imported(api, long_tokens):
    year = _first_unknown_year()
    travel_to(dt.datetime(year - 1, 11, 15, 10, 0, tzinfo=CST))
    admin = await api.staff("admin")
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["status"] == "ok"
    (degraded,) = ready.json()["degraded"]
    assert degraded["code"] == "calendar.missing" and degraded["missingYears"] == [year]
    assert degraded["daysWithoutData"] > 0
    assert str(year) in degraded["detail"]
    metrics = (await api.get("/metrics")).text
    assert f"cityops_calendar_days_without_data {float(degraded['daysWithoutData'])}" in metrics

    await _import(
        api, admin, year=year, days=[{"date": f"{year}-01-01", "kind": "holiday", "name": "元旦"}]
    )
    ready = await api.get("/readyz")
    assert ready.status_code == 200 and "degraded" not in ready.json()
    assert "cityops_calendar_days_without_data 0.0" in (await api.get("/metrics")).text


async def test_a_hand_override_does_not_cover_a_year(api, long_tokens):
    year = _first_unknown_year()
    travel_to(dt.datetime(year - 1, 12, 20, 10, 0, tzinfo=CST))
    admin = await api.staff("admin")
    typhoon = await api.put(
        f"{A}/calendar/{year}-01-04", headers=admin.headers, json={"isWorkday": False}
    )
    assert typhoon.status_code == 200, typhoon.text
    assert (await api.get("/readyz")).json()["degraded"][0]["missingYears"] == [year]


async def test_the_city_centre_is_alerted_until_the_year_is_imported(api, long_tokens):
    year = _first_unknown_year()
    travel_to(dt.datetime(year - 1, 11, 15, 10, 0, tzinfo=CST))
    lv, admin = await build_levels(api), await api.staff("admin")
    await calendar_tick()
    await calendar_tick()  # a second worker's check adds nothing
    (alert,) = await alerts_of(api, lv.city_op, kind="calendar")
    assert alert["centreId"] == lv.centres["city"] and alert["caseId"] is None
    assert alert["detail"]["missingYears"] == [year]
    assert await alerts_of(api, lv.street_op, kind="calendar") == []

    await _import(
        api, admin, year=year, days=[{"date": f"{year}-01-01", "kind": "holiday", "name": "元旦"}]
    )
    assert await alerts_of(api, lv.city_op, kind="calendar") == []
    (resolved,) = await alerts_of(api, lv.city_op, kind="calendar", status="all")
    assert resolved["resolvedAt"] is not None
    await calendar_tick()
    assert await alerts_of(api, lv.city_op, kind="calendar") == []


async def test_no_alert_while_the_package_knows_the_days_ahead(api, long_tokens):
    travel_to(dt.datetime(2026, 3, 2, 10, 0, tzinfo=CST))
    lv = await build_levels(api)
    coverage = await calendar_tick()
    assert coverage.missing_years == []
    assert await alerts_of(api, lv.city_op, kind="calendar", status="all") == []
    assert "degraded" not in (await api.get("/readyz")).json()


async def test_the_importing_process_forgets_its_cached_calendar_at_once(
    api, long_tokens, settings_env
):
    year = _first_unknown_year()
    travel_to(dt.datetime(year - 1, 12, 1, 10, 0, tzinfo=CST))
    admin = await api.staff("admin")
    # Caches trusted for an hour: only the import itself can make the change show.
    settings_env(CITYOPS_CACHE_CHECK_SECONDS="3600")
    assert (await _days(api, admin, "2027-03-01", "2027-03-05"))["2027-03-03"]["isWorkday"]
    assert (await api.get("/readyz")).json()["degraded"][0]["missingYears"] == [year]
    await _import(api, admin, days=SAMPLE_2027)
    if year != 2027:
        await _import(api, admin, year=year, days=[{"date": f"{year}-01-01", "kind": "holiday"}])
    days = await _days(api, admin, "2027-03-01", "2027-03-05")
    assert days["2027-03-03"]["isWorkday"] is False
    assert "degraded" not in (await api.get("/readyz")).json()
