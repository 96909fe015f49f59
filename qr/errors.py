"""Errors of the signpost domain."""

from __future__ import annotations

from core.errors import DomainError
from core.i18n import Msg


class SignpostNotFound(DomainError):
    code = "signpost.not_found"
    status = 404
    title = Msg(zh="路牌不存在", en="Signpost not found")
    message = Msg(zh="路牌 {code} 不存在", en="Signpost {code} does not exist")


class MalformedCode(DomainError):
    code = "signpost.malformed_code"
    status = 422
    title = Msg(zh="路牌编码格式无效", en="Malformed signpost code")
    message = Msg(
        zh="路牌编码由 10 位字母和数字组成", en="A signpost code is 10 letters and digits"
    )


class CounterfeitCode(DomainError):
    code = "signpost.counterfeit"
    status = 422
    title = Msg(zh="路牌编码校验失败，可能是伪造的二维码", en="Counterfeit signpost code")
    message = Msg(
        zh="编码 {code} 不是本平台签发的路牌编码", en="Code {code} was not issued by this platform"
    )


class InvalidSignpost(DomainError):
    code = "signpost.invalid"
    status = 422
    title = Msg(zh="路牌信息无效", en="Invalid signpost")
    message = Msg(zh="路牌信息无效：{reason}", en="Invalid signpost: {reason}")


class SignpostCodeTaken(DomainError):
    code = "signpost.code_taken"
    status = 409
    title = Msg(zh="路牌编码已存在", en="Signpost code already exists")
    message = Msg(zh="路牌编码 {code} 已存在", en="Signpost code {code} already exists")


class SheetTooLarge(DomainError):
    code = "signpost.sheet_too_large"
    status = 422
    title = Msg(zh="打印数量过多", en="Too many codes for one sheet")
    message = Msg(zh="一次最多打印 {max} 个路牌", en="At most {max} signposts per sheet")


class SheetEmpty(DomainError):
    code = "signpost.sheet_empty"
    status = 422
    title = Msg(zh="未选择路牌", en="No signposts chosen")
    message = Msg(zh="请先勾选要打印的路牌", en="Tick the signposts to print first")
