"""Photo upload and viewing, mounted in both the citizen and the inspector app."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE

from api.errors import domain_error_handler
from api.geo import CoordSys, CoordSysQuery, exif_position
from api.idempotent import IDEMPOTENCY_HEADER, REPLAYED_HEADER
from core.actors import Actor
from core.idempotency import StoredResponse, run_once
from core.settings import get_settings
from media import service as media
from media.errors import MediaTooLarge

# Litestar needs the limit when the route is built. Multipart framing (boundary, part
# headers) is a few hundred bytes; the slack keeps a file of exactly the limit acceptable,
# and the service checks the file itself against the exact limit.
_MAX_BYTES = get_settings().media_max_bytes
_BODY_LIMIT = _MAX_BYTES + 64 * 1024


@dataclass
class UploadForm:
    file: UploadFile


class HintsOut(msgspec.Struct, frozen=True, rename="camel"):
    taken_at: dt.datetime | None
    lat: float | None  # the EXIF position, in coordSys (as asked: ?coordSys or Coord-Sys)
    lon: float | None
    coord_sys: CoordSys = "wgs84"


class UrlsOut(msgspec.Struct, frozen=True, rename="camel"):
    display: str
    thumb: str


class SignedUrlsOut(msgspec.Struct, frozen=True, rename="camel"):
    display: str
    thumb: str
    expires_at: dt.datetime


class MediaOut(msgspec.Struct, frozen=True, rename="camel"):
    id: str
    width: int
    height: int
    format: str
    size_bytes: int
    hints: HintsOut
    # Through the API with the bearer token; always valid for those allowed to see it.
    urls: UrlsOut
    # No token needed, until expiresAt: for <image src> (object storage's presigned URLs, or
    # /media/signed/... on local storage).
    signed_urls: SignedUrlsOut

    @classmethod
    def of(cls, upload: media.MediaUpload, base: str, coord_sys: CoordSys) -> MediaOut:
        signed = SignedUrlsOut(
            display=upload.display_url, thumb=upload.thumb_url, expires_at=upload.urls_expire_at
        )
        lat, lon = exif_position(upload.hints.lat, upload.hints.lon, coord_sys)
        return cls(
            id=upload.id,
            width=upload.width,
            height=upload.height,
            format=upload.format,
            size_bytes=upload.size_bytes,
            hints=HintsOut(
                taken_at=upload.hints.taken_at,
                lat=lat,
                lon=lon,
                coord_sys=coord_sys,
            ),
            urls=UrlsOut(display=f"{base}/{upload.id}/display", thumb=f"{base}/{upload.id}/thumb"),
            signed_urls=signed,
        )


def photo_response(body: bytes, content_type: str) -> Response[bytes]:
    return Response(
        content=body,
        media_type=content_type,
        headers={
            # Content-addressed, so it never changes; private, as only some may see it.
            "Cache-Control": "private, max-age=86400",
            "X-Content-Type-Options": "nosniff",
        },
    )


def _too_large(request: Request, _: Exception) -> Response:
    """Litestar refuses an oversized body before the handler runs; answer with our code."""
    return domain_error_handler(
        request, MediaTooLarge(max_mb=_MAX_BYTES // (1024 * 1024), max_bytes=_MAX_BYTES)
    )


class MediaController(Controller):
    path = "/media"
    tags = ["media"]

    @post(
        "/",
        summary="Upload one photo (JPEG, PNG, WebP or HEIC, multipart field `file`)",
        description="Returns the photo id to reference in a report, with the EXIF position and "
        "capture time as hints. Stored copies carry no EXIF. Accepts Idempotency-Key.",
        request_max_body_size=_BODY_LIMIT,
        exception_handlers={HTTP_413_REQUEST_ENTITY_TOO_LARGE: _too_large},
        # A burst and a daily quota per account; an image format we do not decode.
        opt={"rate_limited": True, "errors": (415,)},
    )
    async def upload(
        self,
        request: Request,
        actor: NamedDependency[Actor],
        data: Annotated[UploadForm, Body(media_type=RequestEncodingType.MULTI_PART)],
        coord_sys: CoordSysQuery = "wgs84",
    ) -> Response[MediaOut]:
        upload = data.file
        try:
            content = await upload.read()
        finally:
            await upload.close()
        # Decoding happens before the transaction opens (see prepare_upload); only the
        # insert runs inside it, once per Idempotency-Key.
        prepared = await media.prepare_upload(
            actor=actor,
            filename=upload.filename,
            content_type=upload.content_type,
            data=content,
        )
        base = request.url.path.rstrip("/")

        async def action() -> StoredResponse:
            result = await media.record_upload(actor=actor, prepared=prepared)
            return StoredResponse(
                status_code=201, body=msgspec.json.encode(MediaOut.of(result, base, coord_sys))
            )

        stored = await run_once(
            key=request.headers.get(IDEMPOTENCY_HEADER.lower()),
            scope=actor.scope,
            route=f"POST {base}",
            # The multipart body was streamed into the form, so it is fingerprinted by the
            # photo's hash: the same key with another photo is a reused key.
            body=prepared.image.sha256.encode(),
            action=action,
        )
        headers = {REPLAYED_HEADER: "true"} if stored.replayed else {}
        return Response(
            content=stored.body,
            status_code=stored.status_code,
            media_type="application/json",
            headers=headers,
        )

    @get(
        "/{media_id:str}/{variant:str}",
        summary="A photo's display (<= 1600 px) or thumbnail (<= 400 px) JPEG",
        media_type="image/jpeg",
        opt={"skip_compression": True},  # JPEG does not shrink under gzip
    )
    async def content(
        self,
        actor: NamedDependency[Actor],
        media_id: FromPath[str],
        variant: FromPath[Literal["display", "thumb"]],
    ) -> Response[bytes]:
        body, content_type = await media.open_media(actor=actor, media_id=media_id, variant=variant)
        return photo_response(body, content_type)


class SignedMediaController(Controller):
    """Photos behind a signed URL (media.signing): no token, no cookie. The URL is the
    permission, minted only for a caller the photo's policy admits."""

    path = "/media/signed"
    tags = ["media"]
    opt = {"errors": (403,)}  # a bad or expired signature (media.url_invalid)

    @get(
        "/{media_id:str}/{variant:str}",
        summary="A photo by a signed, short-lived URL (the `signedUrl`s of photo views)",
        description="For <image src> in WeChat and <img> elsewhere, which cannot send a token. "
        "Expired: 403 media.url_expired; altered or for another photo or size: 403 "
        "media.url_invalid.",
        media_type="image/jpeg",
        opt={"skip_compression": True, "public": True},
    )
    async def content(
        self,
        media_id: FromPath[str],
        variant: FromPath[str],
        exp: FromQuery[str | None] = None,
        sig: FromQuery[str | None] = None,
    ) -> Response[bytes]:
        body, content_type, left = await media.open_signed(
            media_id=media_id, variant=variant, exp=exp, sig=sig
        )
        return Response(
            content=body,
            media_type=content_type,
            headers={
                # Never cached past the URL's own end; private, as only some may see it.
                # (nosniff comes with every response: api/security_headers.)
                "Cache-Control": f"private, max-age={left}",
            },
        )
