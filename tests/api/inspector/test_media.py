"""The same photo routes in the inspector app: staff upload evidence photos."""

from __future__ import annotations

from tests.helpers import assert_problem
from tests.media import samples

URL = "/api/inspector/media"


async def test_inspector_uploads_and_reads_back_an_evidence_photo(api):
    inspector = await api.staff("inspector")
    data = samples.jpeg(
        (2400, 1800),
        exif=samples.exif_block(orientation=8, lat=samples.BOZHOU[0], lon=samples.BOZHOU[1]),
    )
    response = await api.post(
        URL, files={"file": ("after.jpg", data, "image/jpeg")}, headers=inspector.headers
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["width"], body["height"]) == (1800, 2400)
    assert body["urls"]["display"] == f"{URL}/{body['id']}/display"
    fetched = await api.get(body["urls"]["display"], headers=inspector.headers)
    assert fetched.status_code == 200
    assert samples.assert_clean(fetched.content).size == (1200, 1600)


async def test_citizen_token_is_refused_by_the_inspector_app(api):
    citizen = await api.citizen()
    response = await api.post(
        URL,
        files={"file": ("a.jpg", samples.jpeg((64, 64)), "image/jpeg")},
        headers=citizen.headers,
    )
    assert_problem(response, 403, "auth.wrong_audience")
    assert_problem(
        await api.get(f"{URL}/m_0000000000000000/thumb", headers=citizen.headers),
        403,
        "auth.wrong_audience",
    )


async def test_staff_and_citizens_do_not_see_each_others_photos(api):
    citizen, inspector, other = (
        await api.citizen(),
        await api.staff("inspector"),
        await api.staff("inspector"),
    )
    photo = samples.jpeg((320, 240))
    mine = (
        await api.post(
            "/api/citizen/media",
            files={"file": ("a.jpg", photo, "image/jpeg")},
            headers=citizen.headers,
        )
    ).json()
    theirs = (
        await api.post(
            URL, files={"file": ("b.jpg", photo, "image/jpeg")}, headers=inspector.headers
        )
    ).json()
    # Not attached to any case yet: nobody but the uploader may look.
    assert_problem(
        await api.get(f"{URL}/{mine['id']}/thumb", headers=inspector.headers),
        404,
        "media.not_found",
    )
    assert_problem(
        await api.get(f"{URL}/{theirs['id']}/thumb", headers=other.headers), 404, "media.not_found"
    )
    assert_problem(
        await api.get(f"/api/citizen/media/{theirs['id']}/thumb", headers=citizen.headers),
        404,
        "media.not_found",
    )
