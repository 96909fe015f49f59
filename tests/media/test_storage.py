"""Storage backends: local disk and S3 (against moto, which checks our signatures)."""

from __future__ import annotations

import datetime as dt
import os
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core import clock
from core.actors import Actor
from media import errors, service
from media.storage import LocalMediaStorage, SigV4, check_key
from tests.media import samples

AWS_EXAMPLE = SigV4(
    access_key="AKIAIOSFODNN7EXAMPLE",
    secret_key="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    region="us-east-1",
)
AWS_EXAMPLE_TIME = dt.datetime(2013, 5, 24, tzinfo=dt.UTC)
CITIZEN = Actor(kind="citizen", id=7, role="citizen")


# --- local ------------------------------------------------------------------------------------


async def test_local_storage_round_trip_is_atomic(tmp_path):
    storage = LocalMediaStorage(tmp_path)
    await storage.put("ab/abcd/display.jpg", b"one", "image/jpeg")
    await storage.put("ab/abcd/display.jpg", b"two", "image/jpeg")  # replaces, never appends
    assert await storage.get("ab/abcd/display.jpg") == b"two"
    assert await storage.exists("ab/abcd/display.jpg")
    assert storage.url("ab/abcd/display.jpg", 60) is None
    # Written through a temporary file that was renamed into place: none is left behind.
    assert sorted(os.listdir(tmp_path / "ab" / "abcd")) == ["display.jpg"]
    await storage.delete("ab/abcd/display.jpg")
    await storage.delete("ab/abcd/display.jpg")  # missing is fine
    assert not await storage.exists("ab/abcd/display.jpg")
    with pytest.raises(errors.StorageObjectMissing):
        await storage.get("ab/abcd/display.jpg")


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs/path", "a/../../b", "A/B", "a//b", ""])
def test_storage_keys_cannot_escape(key):
    with pytest.raises(ValueError):
        check_key(key)


# --- SigV4 ------------------------------------------------------------------------------------


def test_sigv4_matches_the_aws_documentation_examples():
    # "Authenticating Requests: Using Query Parameters" and "... Authorization Header" (GET
    # Object) in the Amazon S3 API reference.
    url = AWS_EXAMPLE.presign(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        ttl=86400,
        now=AWS_EXAMPLE_TIME,
    )
    assert url.endswith(
        "X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404"
    )
    headers = AWS_EXAMPLE.sign_headers(
        method="GET",
        url="https://examplebucket.s3.amazonaws.com/test.txt",
        headers={"range": "bytes=0-9"},
        payload_hash="e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        now=AWS_EXAMPLE_TIME,
    )
    assert headers["authorization"].endswith(
        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"
    )


def test_presigned_url_matches_botocore(monkeypatch):
    """moto does not check presigned URLs, so compare with AWS's own SDK signer."""
    import botocore.auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    now = dt.datetime(2026, 3, 1, 8, 30, 0, tzinfo=dt.UTC)
    monkeypatch.setattr(botocore.auth, "get_current_datetime", lambda: now.replace(tzinfo=None))
    url = "http://127.0.0.1:9000/cityops/ab/abcdef/display.jpg"
    request = AWSRequest(method="GET", url=url)
    botocore.auth.S3SigV4QueryAuth(
        Credentials("AK", "SK"), "s3", "cn-north-1", expires=300
    ).add_auth(request)
    theirs = parse_qs(urlsplit(request.url).query)
    ours = parse_qs(
        urlsplit(
            SigV4(access_key="AK", secret_key="SK", region="cn-north-1").presign(
                method="GET", url=url, ttl=300, now=now
            )
        ).query
    )
    assert ours == theirs


# --- S3 against moto --------------------------------------------------------------------------


async def test_s3_put_get_exists_delete(s3_server):
    storage = s3_server.storage()
    await storage.create_bucket()
    try:
        await storage.put("ab/abcd/thumb.jpg", b"\xff\xd8 jpeg bytes", "image/jpeg")
        assert await storage.get("ab/abcd/thumb.jpg") == b"\xff\xd8 jpeg bytes"
        assert await storage.exists("ab/abcd/thumb.jpg")
        assert not await storage.exists("ab/abcd/other.jpg")
        with pytest.raises(errors.StorageObjectMissing):
            await storage.get("ab/abcd/other.jpg")
        await storage.delete("ab/abcd/thumb.jpg")
        assert not await storage.exists("ab/abcd/thumb.jpg")
    finally:
        await storage.aclose()


async def test_s3_wrong_secret_is_refused_by_the_server(s3_server):
    from media.storage import S3MediaStorage

    good = s3_server.storage()
    await good.create_bucket()
    bad = S3MediaStorage(
        endpoint_url=s3_server.url,
        bucket=good.bucket,
        access_key=s3_server.access_key,
        secret_key="not-the-secret",
    )
    try:
        with pytest.raises(errors.StorageUnavailable):
            await bad.put("ab/abcd/display.jpg", b"x", "image/jpeg")
    finally:
        await good.aclose()
        await bad.aclose()


async def test_s3_unreachable_is_a_503_error():
    from media.storage import S3MediaStorage

    storage = S3MediaStorage(
        endpoint_url="http://127.0.0.1:9", bucket="b", access_key="a", secret_key="s", timeout=1
    )
    with pytest.raises(errors.StorageUnavailable):
        await storage.get("ab/abcd/display.jpg")
    await storage.aclose()


async def test_upload_to_s3_through_the_service(s3_server, database):
    storage = s3_server.storage()
    await storage.create_bucket()
    data = samples.jpeg(
        (2000, 1500),
        exif=samples.exif_block(orientation=6, lat=samples.BOZHOU[0], lon=samples.BOZHOU[1]),
    )
    try:
        from core.db import transaction

        async with transaction():
            result = await service.upload(
                actor=CITIZEN,
                filename="a.jpg",
                content_type="image/jpeg",
                data=data,
                storage=storage,
            )
        assert (result.width, result.height) == (1500, 2000)
        assert result.hints.lat == pytest.approx(samples.BOZHOU_DECIMAL[0], abs=1e-6)
        display, _ = await service.open_media(
            actor=CITIZEN, media_id=result.id, variant="display", storage=storage
        )
        assert samples.assert_clean(display).size == (1200, 1600)

        # The presigned URL works without credentials, and says when it stops working.
        assert result.display_url and result.thumb_url and result.urls_expire_at
        from moto.core.authorization import disable_iam_authentication

        with disable_iam_authentication():  # moto's IAM check needs an Authorization header
            response = httpx.get(result.thumb_url)
        assert response.status_code == 200
        assert samples.assert_clean(response.content).size == (300, 400)
        query = parse_qs(urlsplit(result.thumb_url).query)
        signed_at = dt.datetime.strptime(query["X-Amz-Date"][0], "%Y%m%dT%H%M%SZ").replace(
            tzinfo=dt.UTC
        )
        ttl = int(query["X-Amz-Expires"][0])
        assert ttl == 300 and abs((signed_at - clock.now()).total_seconds()) < 5
        assert result.urls_expire_at == pytest.approx(
            signed_at + dt.timedelta(seconds=ttl), abs=dt.timedelta(seconds=5)
        )
        # The expiry is part of what is signed: a URL edited to live longer no longer
        # matches its signature (S3 then refuses it; moto does not check presigned URLs).
        resigned = storage.signer.presign(
            method="GET",
            url=storage.object_url(service.storage_keys(result.sha256)[1]),
            ttl=999999,
            now=signed_at,
        )
        assert parse_qs(urlsplit(resigned).query)["X-Amz-Signature"] != query["X-Amz-Signature"]
    finally:
        await storage.aclose()


async def test_sweep_on_s3_storage(s3_server, database):
    """The orphan sweep (media/tasks.py, tested on local storage in tests/faults) on S3:
    ListObjectsV2 gives the keys and their times."""
    import datetime as dt
    import hashlib

    from core.db import transaction
    from media.service import storage_keys
    from media.tables import Media
    from media.tasks import sweep_orphan_files
    from tests.helpers import jpeg_bytes

    storage = s3_server.storage()
    await storage.create_bucket()
    try:
        async with transaction():
            photo = await service.upload(
                actor=CITIZEN,
                filename="a.jpg",
                content_type="image/jpeg",
                data=jpeg_bytes(size=(320, 240), seed=3),
                storage=storage,
            )
        row = await Media.objects().where(Media.public_id == photo.id).first()
        orphan = storage_keys(hashlib.sha256(b"s3 orphan").hexdigest())
        for key in orphan:
            await storage.put(key, jpeg_bytes(size=(64, 48)), "image/jpeg")

        # Everything is younger than the grace: nothing goes.
        assert await sweep_orphan_files(storage=storage) == 0
        # S3 keeps its own times, so "old" is "before a moment in the future" here.
        assert await sweep_orphan_files(grace=-dt.timedelta(minutes=5), storage=storage) == 2
        assert not any([await storage.exists(key) for key in orphan])
        assert await storage.exists(row.display_key) and await storage.exists(row.thumb_key)
    finally:
        await storage.aclose()
