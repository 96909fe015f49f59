"""Where photo derivatives live: local disk (the embedded default) or S3-compatible storage.

S3 client choice: a small hand-rolled AWS Signature V4 over httpx, not boto3/aiobotocore.
We need five operations (PUT, GET, HEAD, DELETE object and a presigned GET); httpx is already a
dependency and async; boto3 is sync (a thread per call) and ~80 MB installed, and aiobotocore
pins exact botocore versions, which breaks installs regularly. SigV4 is a stable, fully
documented algorithm; tests check it against AWS's published example signature and run every
operation against moto's S3 server.
"""

from __future__ import annotations

import abc
import datetime as dt
import email.utils
import hashlib
import hmac
import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from stat import S_ISREG
from urllib.parse import parse_qsl, quote, urlsplit
from xml.etree import ElementTree

import anyio
import httpx

from core import clock
from core.settings import Settings, get_settings
from media.errors import StorageObjectMissing, StorageUnavailable

_KEY = re.compile(r"^[0-9a-z][0-9a-z._/-]{0,250}$")


def check_key(key: str) -> str:
    """Keys are ours (content hashes), but a traversal must be impossible anyway."""
    if not _KEY.match(key) or ".." in key or "//" in key:
        raise ValueError(f"invalid storage key {key!r}")
    return key


class MediaStorage(abc.ABC):
    @abc.abstractmethod
    async def put(self, key: str, data: bytes, content_type: str) -> None:
        """Store atomically: a reader sees the whole object or none."""

    @abc.abstractmethod
    async def get(self, key: str) -> bytes:
        """The object's bytes; StorageObjectMissing if there is none."""

    @abc.abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abc.abstractmethod
    async def delete(self, key: str) -> None:
        """Remove; a missing key is not an error."""

    def url(self, key: str, ttl: int) -> str | None:
        """A URL that lets anyone holding it GET the object for ``ttl`` seconds, or None if
        this backend has none (then the authorised API route serves the bytes)."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        pass

    async def written_before(self, moment: dt.datetime) -> list[str]:
        """Keys of objects last written before ``moment``, for the orphan sweep
        (media/tasks.py). A backend that cannot list returns none."""
        return []

    async def delete_if_written_before(self, key: str, moment: dt.datetime) -> bool:
        """Delete unless the object was (re)written since ``moment``: an upload of the same
        photo may have stored it again while the sweep was deciding."""
        return False

    async def discard_partial_writes(self, moment: dt.datetime) -> int:
        """Remove leftovers of writes a crash interrupted before ``moment``."""
        return 0


class LocalMediaStorage(MediaStorage):
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                # The database row that points here commits after this returns; a crash must
                # not leave it pointing at an empty file.
                os.fsync(handle.fileno())
            os.chmod(temp, 0o644)
            os.replace(temp, path)  # atomic on POSIX: never a half-written file under `path`
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await anyio.to_thread.run_sync(self._write, self._path(key), data)

    async def get(self, key: str) -> bytes:
        try:
            return await anyio.to_thread.run_sync(self._path(key).read_bytes)
        except FileNotFoundError:
            raise StorageObjectMissing(key) from None

    async def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    async def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def _files(self, moment: dt.datetime, temporary: bool) -> list[Path]:
        if not self.root.is_dir():
            return []
        limit, found = moment.timestamp(), []
        for path in self.root.rglob(".tmp-*" if temporary else "*"):
            if path.name.startswith(".tmp-") != temporary:
                continue
            try:
                stat = path.stat()
            except FileNotFoundError:  # renamed or removed by a write or another sweep
                continue
            if S_ISREG(stat.st_mode) and stat.st_mtime < limit:
                found.append(path)
        return found

    async def written_before(self, moment: dt.datetime) -> list[str]:
        files = await anyio.to_thread.run_sync(self._files, moment, False)
        keys = (path.relative_to(self.root).as_posix() for path in files)
        return [key for key in keys if _KEY.match(key) and ".." not in key and "//" not in key]

    async def delete_if_written_before(self, key: str, moment: dt.datetime) -> bool:
        path = self._path(key)
        try:
            if path.stat().st_mtime >= moment.timestamp():
                return False
        except FileNotFoundError:
            return False
        path.unlink(missing_ok=True)
        return True

    async def discard_partial_writes(self, moment: dt.datetime) -> int:
        # _write's temporary files: a process killed between mkstemp and os.replace.
        files = await anyio.to_thread.run_sync(self._files, moment, True)
        for path in files:
            path.unlink(missing_ok=True)
        return len(files)


# --- S3 -------------------------------------------------------------------------------------

_EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def _uri_encode(text: str, safe: str = "-_.~") -> str:
    return quote(text, safe=safe)


class SigV4:
    """AWS Signature Version 4 for the S3 service."""

    def __init__(self, *, access_key: str, secret_key: str, region: str) -> None:
        self.access_key = access_key
        self.secret_key = secret_key
        self.region = region

    def _scope(self, day: str) -> str:
        return f"{day}/{self.region}/s3/aws4_request"

    def _signature(self, day: str, string_to_sign: str) -> str:
        key = _hmac(f"AWS4{self.secret_key}".encode(), day)
        for part in (self.region, "s3", "aws4_request"):
            key = _hmac(key, part)
        return hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()

    def _sign(
        self,
        *,
        method: str,
        path: str,
        query: dict[str, str],
        headers: dict[str, str],
        payload_hash: str,
        stamp: str,
    ) -> str:
        canonical_query = "&".join(
            f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(query.items())
        )
        names = sorted(headers)
        canonical_headers = "".join(f"{n}:{' '.join(headers[n].split())}\n" for n in names)
        canonical = "\n".join(
            [
                # ``path`` is already percent-encoded once, as S3 expects (object_url does it).
                method,
                path,
                canonical_query,
                canonical_headers,
                ";".join(names),
                payload_hash,
            ]
        )
        string_to_sign = "\n".join(
            [
                "AWS4-HMAC-SHA256",
                stamp,
                self._scope(stamp[:8]),
                hashlib.sha256(canonical.encode()).hexdigest(),
            ]
        )
        return self._signature(stamp[:8], string_to_sign)

    def sign_headers(
        self, *, method: str, url: str, headers: dict[str, str], payload_hash: str, now: dt.datetime
    ) -> dict[str, str]:
        """Headers (with Authorization) for a request to ``url``. ``headers`` must be
        lower-case and include every header to sign besides host and x-amz-*."""
        parts = urlsplit(url)
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        signed = {
            **headers,
            "host": parts.netloc,
            "x-amz-content-sha256": payload_hash,
            "x-amz-date": stamp,
        }
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        signature = self._sign(
            method=method,
            path=parts.path or "/",
            query=query,
            headers=signed,
            payload_hash=payload_hash,
            stamp=stamp,
        )
        credential = f"{self.access_key}/{self._scope(stamp[:8])}"
        signed["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={credential}, "
            f"SignedHeaders={';'.join(sorted(signed))}, Signature={signature}"
        )
        del signed["host"]  # httpx sends it from the URL, byte for byte what we signed
        return signed

    def presign(self, *, method: str, url: str, ttl: int, now: dt.datetime) -> str:
        parts = urlsplit(url)
        stamp = now.astimezone(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        query = {
            "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
            "X-Amz-Credential": f"{self.access_key}/{self._scope(stamp[:8])}",
            "X-Amz-Date": stamp,
            "X-Amz-Expires": str(ttl),
            "X-Amz-SignedHeaders": "host",
        }
        signature = self._sign(
            method=method,
            path=parts.path or "/",
            query=query,
            headers={"host": parts.netloc},
            payload_hash="UNSIGNED-PAYLOAD",
            stamp=stamp,
        )
        encoded = "&".join(f"{_uri_encode(k)}={_uri_encode(v)}" for k, v in sorted(query.items()))
        return f"{parts.scheme}://{parts.netloc}{parts.path}?{encoded}&X-Amz-Signature={signature}"


class S3MediaStorage(MediaStorage):
    def __init__(
        self,
        *,
        endpoint_url: str,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        addressing_style: str = "path",
        timeout: float = 10.0,
    ) -> None:
        if not endpoint_url or not bucket:
            raise SystemExit(
                "invalid configuration: CITYOPS_S3_ENDPOINT_URL and "
                "CITYOPS_S3_BUCKET are required for CITYOPS_MEDIA_STORAGE=s3"
            )
        self.endpoint = urlsplit(endpoint_url.rstrip("/"))
        self.bucket = bucket
        self.addressing_style = addressing_style
        self.signer = SigV4(access_key=access_key, secret_key=secret_key, region=region)
        self.timeout = timeout
        self._client: httpx.AsyncClient | None = None

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(
                timeout=self.timeout, transport=httpx.AsyncHTTPTransport(retries=2)
            )
        return self._client

    def object_url(self, key: str = "") -> str:
        path = _uri_encode(check_key(key), safe="/-_.~") if key else ""
        scheme, netloc = self.endpoint.scheme, self.endpoint.netloc
        if self.addressing_style == "virtual":
            return f"{scheme}://{self.bucket}.{netloc}/{path}"
        return f"{scheme}://{netloc}/{self.bucket}/{path}".rstrip("/")

    async def _request(
        self, method: str, url: str, *, data: bytes = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        payload_hash = hashlib.sha256(data).hexdigest() if data else _EMPTY_SHA256
        signed = self.signer.sign_headers(
            method=method,
            url=url,
            headers=headers or {},
            payload_hash=payload_hash,
            now=clock.now(),
        )
        try:
            response = await self.client.request(method, url, content=data or None, headers=signed)
        except httpx.HTTPError as exc:
            raise StorageUnavailable() from exc
        if response.status_code >= 500 or response.status_code in (401, 403):
            # Misconfigured credentials or an outage: either way the client should retry later
            # and an operator should look; the S3 error body goes to the log via the cause.
            raise StorageUnavailable() from RuntimeError(
                f"S3 {method} {response.status_code}: {response.text[:300]}"
            )
        return response

    async def create_bucket(self) -> None:
        """For setup scripts and tests; production buckets are made by operators."""
        response = await self._request("PUT", self.object_url())
        if response.status_code not in (200, 409):
            raise StorageUnavailable() from RuntimeError(response.text[:300])

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        # A single PUT is atomic in S3: the object appears whole or not at all.
        response = await self._request(
            "PUT", self.object_url(key), data=data, headers={"content-type": content_type}
        )
        if response.status_code != 200:
            raise StorageUnavailable() from RuntimeError(response.text[:300])

    async def get(self, key: str) -> bytes:
        response = await self._request("GET", self.object_url(key))
        if response.status_code == 404:
            raise StorageObjectMissing(key)
        if response.status_code != 200:
            raise StorageUnavailable() from RuntimeError(response.text[:300])
        return response.content

    async def exists(self, key: str) -> bool:
        response = await self._request("HEAD", self.object_url(key))
        return response.status_code == 200

    async def delete(self, key: str) -> None:
        response = await self._request("DELETE", self.object_url(key))
        if response.status_code not in (200, 204, 404):
            raise StorageUnavailable() from RuntimeError(response.text[:300])

    def url(self, key: str, ttl: int) -> str | None:
        return self.signer.presign(method="GET", url=self.object_url(key), ttl=ttl, now=clock.now())

    async def written_before(self, moment: dt.datetime) -> list[str]:
        # ListObjectsV2, a page of up to 1,000 keys at a time.
        keys: list[str] = []
        token: str | None = None
        while True:
            query = {"list-type": "2", **({"continuation-token": token} if token else {})}
            encoded = "&".join(f"{k}={_uri_encode(v)}" for k, v in sorted(query.items()))
            response = await self._request("GET", f"{self.object_url()}?{encoded}")
            if response.status_code != 200:
                raise StorageUnavailable() from RuntimeError(response.text[:300])
            # Our own bucket's answer, not user input.
            page = ElementTree.fromstring(response.content)  # noqa: S314
            for item in _children(page, "Contents"):
                key, modified = _text(item, "Key"), _text(item, "LastModified")
                old = modified is not None and dt.datetime.fromisoformat(modified) < moment
                if key and old and _KEY.match(key) and ".." not in key:
                    keys.append(key)
            token = _text(page, "NextContinuationToken")
            if _text(page, "IsTruncated") != "true" or not token:
                return keys

    async def delete_if_written_before(self, key: str, moment: dt.datetime) -> bool:
        response = await self._request("HEAD", self.object_url(key))
        modified = response.headers.get("last-modified")
        if response.status_code != 200 or not modified:
            return False
        if email.utils.parsedate_to_datetime(modified) >= moment:
            return False
        await self.delete(key)
        return True

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def _children(element: ElementTree.Element, name: str) -> list[ElementTree.Element]:
    # S3 and its look-alikes namespace their XML differently; match local names.
    return [child for child in element if child.tag.rsplit("}", 1)[-1] == name]


def _text(element: ElementTree.Element, name: str) -> str | None:
    found = _children(element, name)
    return found[0].text if found else None


def storage_from_settings(settings: Settings) -> MediaStorage:
    if settings.media_storage == "s3":
        return S3MediaStorage(
            endpoint_url=settings.s3_endpoint_url,
            bucket=settings.s3_bucket,
            access_key=settings.s3_access_key,
            secret_key=settings.s3_secret_key,
            region=settings.s3_region,
            addressing_style=settings.s3_addressing_style,
        )
    return LocalMediaStorage(settings.media_path)


@lru_cache(maxsize=1)
def get_storage() -> MediaStorage:
    return storage_from_settings(get_settings())
