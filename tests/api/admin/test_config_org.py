"""Configuration API: org units, staff, categories and SLA, dispatch rules, calendar. Every
write needs an admin, is audited with before and after, and bad input is a clear 4xx."""

import pytest

from core.db import transaction
from org.demo import load_org_demo
from tests.helpers import assert_problem

A = "/api/admin"


@pytest.fixture
async def people(api):
    admin = await api.staff("admin")
    operator = await api.staff("operator")
    return admin, operator


@pytest.fixture
async def city(api):
    async with transaction():
        await load_org_demo()


async def _audit(api, admin, **params):
    """The trail of writes (the test's own staff signing in is recorded too)."""
    response = await api.get(f"{A}/audit", params=params, headers=admin.headers)
    assert response.status_code == 200, response.text
    return [e for e in response.json()["items"] if e["targetKind"] != "sign_in"]


async def test_org_units_create_update_and_audit(api, people):
    admin, operator = people
    body = {"kind": "city", "code": "370200", "nameZh": "青岛市", "nameEn": "Qingdao"}
    created = await api.post(f"{A}/org-units", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    city = created.json()
    assert city["code"] == "370200" and city["parentId"] is None
    district = await api.post(
        f"{A}/org-units",
        headers=admin.headers,
        json={"kind": "district", "code": "370202", "nameZh": "市南区", "parentId": city["id"]},
    )
    assert district.status_code == 201
    assert_problem(
        await api.post(f"{A}/org-units", json=body, headers=admin.headers), 409, "org.code_taken"
    )
    assert_problem(
        await api.post(
            f"{A}/org-units",
            headers=admin.headers,
            json={"kind": "street", "code": "S1", "nameZh": "街道"},
        ),
        422,
        "org.invalid_unit",
    )
    assert_problem(
        await api.post(
            f"{A}/org-units",
            headers=admin.headers,
            json={"kind": "city", "code": "X", "nameZh": "x", "colour": "red"},
        ),
        400,
        "request.invalid",
    )

    patched = await api.patch(
        f"{A}/org-units/{city['id']}",
        headers=admin.headers,
        json={"phone": "0532-12345", "active": False},
    )
    assert patched.json()["phone"] == "0532-12345" and patched.json()["active"] is False
    listed = await api.get(f"{A}/org-units", headers=operator.headers)
    assert [u["code"] for u in listed.json()] == ["370202"]
    listed = await api.get(
        f"{A}/org-units", params={"includeInactive": "true"}, headers=operator.headers
    )
    assert [u["code"] for u in listed.json()] == ["370200", "370202"]

    entries = await _audit(api, admin, targetKind="org_unit")
    assert [e["action"] for e in entries] == [
        "org_unit.update",
        "org_unit.create",
        "org_unit.create",
    ]
    update = entries[0]
    assert update["actorId"] == admin.subject_id and update["actorRole"] == "admin"
    assert update["before"]["active"] is True and update["after"]["active"] is False
    assert update["changed"] == ["active", "phone"]
    assert entries[2]["before"] is None and entries[2]["after"]["code"] == "370200"


async def test_operator_reads_but_cannot_write_and_others_are_refused(api, people):
    _, operator = people
    body = {"kind": "city", "code": "370200", "nameZh": "青岛市"}
    assert_problem(
        await api.post(f"{A}/org-units", json=body, headers=operator.headers),
        403,
        "auth.role_forbidden",
    )
    writes = [
        ("put", f"{A}/calendar/2026-10-10", {"isWorkday": True}),
        ("post", f"{A}/api-clients", {"name": "cam", "kind": "camera"}),
        ("post", f"{A}/categories", {"code": "E0199", "nameZh": "x", "nameEn": "x"}),
        ("post", f"{A}/dispatch-rules", {"unitId": 1}),
        ("post", f"{A}/staff", {"username": "abc", "password": "x" * 12, "role": "inspector"}),
    ]
    for method, path, body in writes:
        response = await getattr(api, method)(path, json=body, headers=operator.headers)
        assert_problem(response, 403, "auth.role_forbidden")
    assert (await api.get(f"{A}/audit", headers=operator.headers)).status_code == 200
    inspector = await api.staff("inspector")
    citizen = await api.citizen()
    for who, code, status in (
        (inspector, "auth.role_forbidden", 403),
        (citizen, "auth.wrong_audience", 403),
    ):
        for path in (f"{A}/org-units", f"{A}/audit", f"{A}/staff"):
            assert_problem(await api.get(path, headers=who.headers), status, code)
    assert_problem(await api.get(f"{A}/grids"), 401, "auth.required")
    assert await _audit(api, (await api.staff("admin"))) == []


async def test_staff_create_disable_role_and_grids(api, people, city):
    admin, operator = people
    body = {
        "username": "wang.wei",
        "password": "long-enough-pw",
        "role": "inspector",
        "displayName": "王伟",
        "phone": "13812345678",
    }
    created = await api.post(f"{A}/staff", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    staff = created.json()
    assert staff["phone"] == "+8613812345678" and staff["active"] is True
    assert "password" not in staff
    assert_problem(
        await api.post(f"{A}/staff", json=body, headers=admin.headers), 409, "staff.username_taken"
    )
    assert_problem(
        await api.post(f"{A}/staff", headers=admin.headers, json={**body, "username": "x y"}),
        422,
        "staff.invalid",
    )
    assert_problem(
        await api.post(f"{A}/staff", headers=admin.headers, json={**body, "role": "mayor"}),
        400,
        "request.invalid",
    )
    login = await api.post(
        "/api/inspector/auth/login", json={"username": "wang.wei", "password": "long-enough-pw"}
    )
    assert login.status_code == 201

    grids = await api.put(
        f"{A}/staff/{staff['id']}/grids",
        headers=admin.headers,
        json={"gridCodes": ["370202001001", "370202001002"]},
    )
    assert grids.json()["gridCodes"] == ["370202001001", "370202001002"], grids.text
    grids = await api.put(
        f"{A}/staff/{staff['id']}/grids",
        headers=admin.headers,
        json={"gridCodes": ["370202001002"]},
    )
    assert grids.json()["gridCodes"] == ["370202001002"]
    assert_problem(
        await api.put(
            f"{A}/staff/{staff['id']}/grids",
            headers=admin.headers,
            json={"gridCodes": ["99999999"]},
        ),
        422,
        "grid.unknown",
    )
    assert_problem(
        await api.put(
            f"{A}/staff/{operator.subject_id}/grids",
            headers=admin.headers,
            json={"gridCodes": ["370202001002"]},
        ),
        422,
        "staff.invalid",
    )
    listed = await api.get(f"{A}/grids", headers=operator.headers)
    grid = next(g for g in listed.json() if g["code"] == "370202001002")
    assert staff["id"] in grid["inspectorIds"]

    disabled = await api.patch(
        f"{A}/staff/{staff['id']}", headers=admin.headers, json={"active": False}
    )
    assert disabled.json()["active"] is False
    refused = await api.post(
        "/api/inspector/auth/login", json={"username": "wang.wei", "password": "long-enough-pw"}
    )
    assert_problem(refused, 403, "auth.account_disabled")
    refresh = await api.post(
        "/api/auth/refresh", json={"refreshToken": login.json()["refreshToken"]}
    )
    assert refresh.status_code in (401, 403), refresh.text
    promoted = await api.patch(
        f"{A}/staff/{staff['id']}", headers=admin.headers, json={"role": "handler", "active": True}
    )
    assert promoted.json()["role"] == "handler"
    assert_problem(
        await api.patch(
            f"{A}/staff/{admin.subject_id}", headers=admin.headers, json={"active": False}
        ),
        422,
        "staff.invalid",
    )
    assert_problem(await api.get(f"{A}/staff/999999", headers=admin.headers), 404, "staff.unknown")

    page = await api.get(f"{A}/staff", params={"limit": 2}, headers=operator.headers)
    assert len(page.json()["items"]) == 2 and page.json()["nextCursor"]
    rest = await api.get(
        f"{A}/staff",
        params={"limit": 2, "afterId": page.json()["nextCursor"]},
        headers=operator.headers,
    )
    ids = [s["id"] for s in page.json()["items"] + rest.json()["items"]]
    assert ids == sorted(set(ids)) and staff["id"] in ids
    actions = [e["action"] for e in await _audit(api, admin, targetKind="staff")]
    assert actions == ["staff.update", "staff.update", "staff.grids", "staff.grids", "staff.create"]


async def test_categories_sla_and_points(api, people, city):
    admin, operator = people
    tree = (await api.get(f"{A}/categories", headers=operator.headers)).json()
    e01 = next(node for node in tree if node["category"]["code"] == "E01")
    assert e01["children"] and all(c["code"].startswith("E01") for c in e01["children"])
    body = {
        "code": "E0199",
        "nameZh": "共享单车乱停放",
        "nameEn": "Bike parking",
        "slaValue": 4,
        "slaUnit": "working_hours",
        "pointsOnAccept": 5,
        "pointsOnClose": 10,
        "needsOnsiteVerification": False,
    }
    created = await api.post(f"{A}/categories", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    assert created.json()["pointsOnClose"] == 10
    assert_problem(
        await api.post(f"{A}/categories", json=body, headers=admin.headers),
        409,
        "category.code_taken",
    )
    assert_problem(
        await api.post(f"{A}/categories", headers=admin.headers, json={**body, "code": "E9901"}),
        422,
        "category.invalid",
    )
    assert_problem(
        await api.post(f"{A}/categories", headers=admin.headers, json={**body, "code": "X01"}),
        400,
        "request.invalid",
    )
    patched = await api.patch(
        f"{A}/categories/E0199",
        headers=admin.headers,
        json={"needsOnsiteVerification": True, "slaValue": 8},
    )
    assert patched.json()["needsOnsiteVerification"] is True and patched.json()["slaValue"] == 8
    assert_problem(
        await api.patch(f"{A}/categories/E0198", headers=admin.headers, json={"slaValue": 8}),
        422,
        "category.unknown",
    )

    policy = {"categoryCode": "E0199", "priority": 1, "limitValue": 2, "limitUnit": "hours"}
    assert (
        await api.put(f"{A}/sla-policies", json=policy, headers=admin.headers)
    ).status_code == 200
    assert (
        await api.put(f"{A}/sla-policies", headers=admin.headers, json={**policy, "limitValue": 3})
    ).json()["limitValue"] == 3
    assert_problem(
        await api.put(f"{A}/sla-policies", headers=admin.headers, json={**policy, "limitValue": 0}),
        400,
        "request.invalid",
    )
    policies = (await api.get(f"{A}/sla-policies", headers=operator.headers)).json()
    assert [p for p in policies if p["categoryCode"] == "E0199"] == [{**policy, "limitValue": 3}]
    assert {
        "categoryCode": None,
        "priority": 1,
        "limitValue": 2,
        "limitUnit": "hours",
    } in policies  # the seeded policy for every category
    removed = await api.delete(
        f"{A}/sla-policies", headers=admin.headers, params={"priority": 1, "categoryCode": "E0199"}
    )
    assert removed.status_code == 204
    assert not [
        p
        for p in (await api.get(f"{A}/sla-policies", headers=operator.headers)).json()
        if p["categoryCode"] == "E0199"
    ]
    entries = await _audit(api, admin, action="sla_policy.")
    assert [e["action"] for e in entries] == [
        "sla_policy.remove",
        "sla_policy.set",
        "sla_policy.set",
    ]
    assert entries[1]["before"]["limit_value"] == 2 and entries[1]["after"]["limit_value"] == 3


async def test_dispatch_rules(api, people, city):
    admin, operator = people
    units = (await api.get(f"{A}/org-units", headers=operator.headers)).json()
    hw = next(u for u in units if u["code"] == "370202-HW")
    district = next(u for u in units if u["code"] == "370202")
    body = {
        "unitId": hw["id"],
        "categoryCode": "E0199",
        "areaKind": "district",
        "areaId": district["id"],
    }
    assert_problem(
        await api.post(f"{A}/dispatch-rules", json=body, headers=admin.headers),
        422,
        "dispatch.invalid_rule",
    )  # no such category yet
    body["categoryCode"] = "E0102"
    created = await api.post(f"{A}/dispatch-rules", json=body, headers=admin.headers)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert_problem(
        await api.post(f"{A}/dispatch-rules", json=body, headers=admin.headers),
        409,
        "dispatch.rule_exists",
    )
    assert_problem(
        await api.post(
            f"{A}/dispatch-rules", headers=admin.headers, json={**body, "areaKind": "street"}
        ),
        422,
        "dispatch.invalid_rule",
    )
    patched = await api.patch(
        f"{A}/dispatch-rules/{rule['id']}",
        headers=admin.headers,
        json={"priority": 2, "active": False},
    )
    assert patched.json()["priority"] == 2 and patched.json()["active"] is False
    assert any(
        r["id"] == rule["id"]
        for r in (await api.get(f"{A}/dispatch-rules", headers=operator.headers)).json()
    )
    assert (
        await api.delete(f"{A}/dispatch-rules/{rule['id']}", headers=admin.headers)
    ).status_code == 204
    assert_problem(
        await api.delete(f"{A}/dispatch-rules/{rule['id']}", headers=admin.headers),
        422,
        "dispatch.invalid_rule",
    )
    entries = await _audit(api, admin, targetKind="dispatch_rule", targetId=str(rule["id"]))
    assert [e["action"] for e in entries] == [
        "dispatch_rule.remove",
        "dispatch_rule.update",
        "dispatch_rule.create",
    ]
    assert entries[0]["after"] is None and entries[0]["before"]["active"] is False


async def test_working_calendar(api, people):
    admin, operator = people
    # 2026-10-01 is National Day (holiday); 2026-10-10 is a Saturday.
    days = await api.get(
        f"{A}/calendar", params={"from": "2026-10-01", "to": "2026-10-11"}, headers=operator.headers
    )
    assert days.status_code == 200, days.text
    by_day = {d["day"]: d for d in days.json()}
    assert len(by_day) == 11 and by_day["2026-10-01"]["isWorkday"] is False
    typhoon = await api.put(
        f"{A}/calendar/2026-10-12",
        headers=admin.headers,
        json={"isWorkday": False, "note": "台风停工"},
    )
    assert typhoon.json() == {
        "day": "2026-10-12",
        "isWorkday": False,
        "overridden": True,
        "note": "台风停工",
    }
    assert (await api.delete(f"{A}/calendar/2026-10-12", headers=admin.headers)).status_code == 204
    day = (
        await api.get(
            f"{A}/calendar",
            params={"from": "2026-10-12", "to": "2026-10-12"},
            headers=admin.headers,
        )
    ).json()[0]
    assert day["overridden"] is False and day["isWorkday"] is True
    assert_problem(
        await api.get(
            f"{A}/calendar",
            params={"from": "2026-10-12", "to": "2026-10-01"},
            headers=admin.headers,
        ),
        422,
        "request.invalid_range",
    )
    not_a_day = assert_problem(
        await api.put(f"{A}/calendar/2026-13-01", json={"isWorkday": True}, headers=admin.headers),
        400,
        "request.invalid",
    )
    assert [e["field"] for e in not_a_day["errors"]] == ["day"]
    entries = await _audit(api, admin, targetKind="calendar_day")
    assert [e["action"] for e in entries] == ["calendar.clear", "calendar.set"]
    assert entries[1]["before"]["is_workday"] is True


async def test_audit_filters_and_keyset_pages(api, people):
    admin, _ = people
    for i in range(5):
        response = await api.put(
            f"{A}/calendar/2026-11-{10 + i}", headers=admin.headers, json={"isWorkday": False}
        )
        assert response.status_code == 200
    first = await api.get(
        f"{A}/audit", params={"limit": 2, "action": "calendar."}, headers=admin.headers
    )
    body = first.json()
    seen = [e["targetId"] for e in body["items"]]
    while body["nextCursor"]:
        body = (
            await api.get(
                f"{A}/audit",
                params={"limit": 2, "cursor": body["nextCursor"], "action": "calendar."},
                headers=admin.headers,
            )
        ).json()
        seen += [e["targetId"] for e in body["items"]]
    assert seen == [f"2026-11-{10 + i}" for i in reversed(range(5))]
    assert await _audit(api, admin, actorId=admin.subject_id + 1000) == []
    assert len(await _audit(api, admin, targetId="2026-11-12")) == 1
    assert_problem(
        await api.get(f"{A}/audit", params={"cursor": "garbage!"}, headers=admin.headers),
        400,
        "request.invalid_cursor",
    )
    assert_problem(
        await api.get(f"{A}/audit", params={"limit": 0}, headers=admin.headers),
        400,
        "request.invalid",
    )
