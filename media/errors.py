from typing import Any

from core.errors import DomainError
from core.i18n import Msg


class MediaTooLarge(DomainError):
    code = "media.too_large"
    status = 413
    title = Msg(zh="照片文件过大", en="Photo too large")
    message = Msg(zh="照片不能超过 {max_mb} MB", en="A photo may be at most {max_mb} MB")

    def extra(self) -> dict[str, Any]:
        return {"maxBytes": self.params.get("max_bytes")}


class UploadQuotaExceeded(DomainError):
    code = "media.quota_exceeded"
    status = 429
    title = Msg(zh="今日上传照片已达上限", en="Daily photo upload limit reached")
    message = Msg(
        zh="每个账户每天最多上传 {quota} 张照片，请在 {retry_after} 秒后再试",
        en="An account may upload {quota} photos a day; try again in {retry_after} seconds",
    )

    def extra(self) -> dict[str, Any]:
        return {"retryAfter": self.params.get("retry_after")}


class MediaEmpty(DomainError):
    code = "media.empty"
    status = 422
    title = Msg(zh="照片文件为空", en="Empty file")
    message = Msg(zh="上传的文件没有内容", en="The uploaded file has no content")


class UnsupportedFormat(DomainError):
    code = "media.unsupported_format"
    status = 415
    title = Msg(zh="不支持的图片格式", en="Unsupported image format")
    message = Msg(
        zh="仅支持 JPEG、PNG、WebP 和 HEIC 格式的照片",
        en="Only JPEG, PNG, WebP and HEIC photos are accepted",
    )


class DecompressionBomb(DomainError):
    code = "media.decompression_bomb"
    status = 422
    title = Msg(zh="图片像素过多", en="Image has too many pixels")
    message = Msg(
        zh="图片声明了 {pixels} 像素，最多允许 {max_pixels} 像素",
        en="The image declares {pixels} pixels; at most {max_pixels} are accepted",
    )


class TooManyScans(DecompressionBomb):
    """A bomb by CPU rather than memory: each progressive JPEG scan passes over the whole
    picture again, so a few bytes a scan can cost minutes of decoding."""

    message = Msg(
        zh="JPEG 图片的扫描段超过 {max_scans} 个",
        en="The JPEG has more than {max_scans} scans",
    )


class DimensionsTooLarge(DomainError):
    code = "media.dimensions_too_large"
    status = 422
    title = Msg(zh="图片尺寸过大", en="Image too wide or too tall")
    message = Msg(
        zh="图片宽和高均不能超过 {max_side} 像素（当前 {width}×{height}）",
        en="Width and height may be at most {max_side} px each (got {width}x{height})",
    )


class Truncated(DomainError):
    code = "media.truncated"
    status = 422
    title = Msg(zh="图片文件不完整", en="Truncated image")
    message = Msg(
        zh="图片文件不完整，请重新上传", en="The image file is incomplete; upload it again"
    )


class Corrupt(DomainError):
    code = "media.corrupt"
    status = 422
    title = Msg(zh="图片无法解码", en="Image cannot be decoded")
    message = Msg(zh="图片数据已损坏，无法读取", en="The image data is damaged and cannot be read")


class MediaNotFound(DomainError):
    """Also raised for media that exist but are not the actor's to see or use: the answer
    must not tell another citizen which ids exist."""

    code = "media.not_found"
    status = 404
    title = Msg(zh="照片不存在", en="Photo not found")
    message = Msg(
        zh="照片 {media_id} 不存在或无权使用", en="Photo {media_id} does not exist or is not yours"
    )


class MediaAlreadyAttached(DomainError):
    code = "media.already_attached"
    status = 409
    title = Msg(zh="照片已被使用", en="Photo already used")
    message = Msg(
        zh="照片 {media_id} 已附加到其他记录，请重新上传",
        en="Photo {media_id} is already attached to another record; upload it again",
    )


class StorageUnavailable(DomainError):
    code = "media.storage_unavailable"
    status = 503
    title = Msg(zh="照片存储暂时不可用", en="Photo storage unavailable")
    message = Msg(zh="请稍后重试", en="Please try again shortly")


class StorageObjectMissing(Exception):
    """A storage key that should exist does not (internal: the service turns it into 404)."""


class MediaUrlInvalid(DomainError):
    """A signed photo URL we did not write: altered, truncated, or for another photo or size."""

    code = "media.url_invalid"
    status = 403
    title = Msg(zh="照片链接无效", en="Invalid photo link")
    message = Msg(
        zh="照片链接无效，请重新打开页面", en="This photo link is not valid; reload the page"
    )


class MediaUrlExpired(DomainError):
    code = "media.url_expired"
    status = 403
    title = Msg(zh="照片链接已过期", en="Photo link expired")
    message = Msg(
        zh="照片链接已过期，请重新打开页面", en="This photo link has expired; reload the page"
    )
