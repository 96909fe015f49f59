"""Open311 beyond JSON: the XML format (the spec's default), jurisdiction_id, the caller's
fields kept and masked, media_url kept as a link and never fetched, status_notes in a
citizen's words, extended attributes; hostile inputs are 4xx in the format asked for."""

from __future__ import annotations

from xml.etree import ElementTree as ET

from cases.tables import HotlineCall
from tests.api.open311.test_georeport import V2, _form

XML = "text/xml; charset=utf-8"  # Litestar adds the charset to text/* types


def _xml(response, status=200) -> ET.Element:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == XML
    return ET.fromstring(response.content)


async def test_every_read_comes_as_xml_too(api, city, key):
    discovery = _xml(await api.get(f"{V2}/discovery.xml"))
    assert [f.text for f in discovery.iter("format")] == ["text/xml", "application/json"]
    services = _xml(await api.get(f"{V2}/services.xml"))
    assert services.tag == "services"
    assert "E0102" in [s.findtext("service_code") for s in services.findall("service")]
    definition = _xml(await api.get(f"{V2}/services/E0102.xml"))
    anonymous = [a for a in definition.iter("attribute") if a.findtext("code") == "anonymous"]
    assert [v.findtext("key") for v in anonymous[0].iter("value")] == ["true", "false"]
    created = _xml(await api.post(f"{V2}/requests.xml", data=_form(key)), 201)
    request_id = created.findtext("request/service_request_id")
    mine = {"X-Api-Key": key}
    one = _xml(await api.get(f"{V2}/requests/{request_id}.xml", headers=mine))
    assert one.tag == "service_requests"
    assert one.findtext("request/status") == "open"
    assert one.findtext("request/status_notes") == "已上报"  # a citizen's words, not "reported"
    listed = _xml(await api.get(f"{V2}/requests.xml", headers=mine))
    assert [r.findtext("service_request_id") for r in listed] == [request_id]
    english = await api.get(
        f"{V2}/requests/{request_id}.json", headers={**mine, "Accept-Language": "en"}
    )
    assert english.json()[0]["status_notes"] == "Reported"


async def test_errors_come_in_the_format_asked_for(api, city, key):
    missing = _xml(await api.get(f"{V2}/requests/k_nothere.xml"), 404)
    assert missing.tag == "errors" and missing.findtext("error/code") == "404"
    bad = _xml(await api.post(f"{V2}/requests.xml", data=_form(key, lat="north")), 400)
    assert "lat" in bad.findtext("error/description")
    assert (await api.get(f"{V2}/requests/k_abc.yaml")).status_code == 404
    assert (await api.get(f"{V2}/services.yaml")).status_code == 404


async def test_jurisdiction_id_is_accepted_and_checked(api, city, key, settings_env):
    settings_env(CITYOPS_OPEN311_JURISDICTION_ID="qingdao.gov.cn")
    ok = await api.get(f"{V2}/services.json", params={"jurisdiction_id": "qingdao.gov.cn"})
    assert ok.status_code == 200, ok.text
    other = await api.get(f"{V2}/services.json", params={"jurisdiction_id": "jinan.gov.cn"})
    assert other.status_code == 404 and other.json()[0]["code"] == 404
    refused = await api.post(f"{V2}/requests.json", data=_form(key, jurisdiction_id="jinan.gov.cn"))
    assert refused.status_code == 404
    filed = await api.post(f"{V2}/requests.json", data=_form(key, jurisdiction_id="qingdao.gov.cn"))
    assert filed.status_code == 201, filed.text
    assert await HotlineCall.count() == 0  # no caller fields were sent: nothing to keep


async def test_the_callers_fields_are_kept_and_masked_to_staff(api, city, key):
    fields = {
        "first_name": "三丰",
        "last_name": "张",
        "email": "zhang@example.cn",
        "phone": "13800138500",
        "device_id": "dev-42",
        "account_id": "acct-7",
        "media_url": "https://photos.hotline.example/a/1.jpg",
    }
    created = await api.post(f"{V2}/requests.json", data=_form(key, **fields))
    assert created.status_code == 201, created.text
    assert created.json()[0]["account_id"] == "acct-7"
    request_id = created.json()[0]["service_request_id"]
    [row] = await HotlineCall.select()
    assert (row["caller_name"], row["caller_phone"], row["taker_kind"]) == (
        "张 三丰",
        "+8613800138500",
        "machine",
    )
    assert "zhang@example.cn" in row["details"] and "dev-42" in row["details"]
    staff = await api.get(f"/api/admin/cases/{request_id}", headers=city.operator.headers)
    assert staff.json()["case"]["caller"] == {
        "name": "张***",
        "phone": "138****8500",
        "masked": True,
    }
    assert "13800138500" not in staff.text and "zhang@example.cn" not in staff.text
    # The link comes back to the client that sent it, to nobody else.
    mine = await api.get(f"{V2}/requests/{request_id}.json", headers={"X-Api-Key": key})
    assert mine.json()[0]["media_url"] == fields["media_url"]


HOSTILE = [
    ("media_url", "file:///etc/passwd"),
    ("media_url", "javascript:alert(1)"),
    ("media_url", "http://user:pw@10.0.0.1/x.jpg"),
    ("media_url", "https://" + "a" * 1000 + ".cn/x.jpg"),
    ("media_url", "http:///no-host"),
    ("email", "not-an-address"),
    ("email", "a@" + "b" * 260 + ".cn"),
    ("first_name", "名" * 41),
    ("device_id", "d" * 101),
    ("jurisdiction_id", "j" * 101),
]


async def test_hostile_caller_fields_are_400_and_file_nothing(api, city, key):
    # One city for all of them: each city costs seconds to build.
    for field, value in HOSTILE:
        response = await api.post(f"{V2}/requests.json", data=_form(key, **{field: value}))
        assert response.status_code == 400, (field, value, response.text)
        assert response.json()[0]["code"] == 400
    listed = await api.get(f"{V2}/requests.json", headers={"X-Api-Key": key})
    assert listed.json() == []
