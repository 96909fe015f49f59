from typing import Any

from core.errors import DomainError
from core.i18n import Msg


class InvalidToken(DomainError):
    code = "auth.invalid_token"
    status = 401
    title = Msg(zh="身份凭证无效", en="Invalid credentials")
    message = Msg(zh="访问令牌无效，请重新登录", en="The access token is not valid; sign in again")


class TokenExpired(DomainError):
    code = "auth.token_expired"
    status = 401
    title = Msg(zh="登录已过期", en="Token expired")
    message = Msg(zh="访问令牌已过期，请刷新", en="The access token has expired; refresh it")


class WrongAudience(DomainError):
    code = "auth.wrong_audience"
    status = 403
    title = Msg(zh="无权访问", en="Wrong audience")
    message = Msg(zh="该令牌不能用于此应用", en="This token is not valid for this app")


class RoleNotAllowed(DomainError):
    code = "auth.role_forbidden"
    status = 403
    title = Msg(zh="无权访问", en="Forbidden")
    message = Msg(zh="您的角色无权执行此操作", en="Your role may not do this")


class AuthRequired(DomainError):
    code = "auth.required"
    status = 401
    title = Msg(zh="需要登录", en="Authentication required")
    message = Msg(zh="请先登录", en="Send a Bearer access token")


class InvalidCredentials(DomainError):
    code = "auth.invalid_credentials"
    status = 401
    keeps_changes = True
    title = Msg(zh="用户名或密码错误", en="Wrong username or password")


class LoginLocked(DomainError):
    code = "auth.locked"
    status = 429
    title = Msg(zh="登录失败次数过多", en="Too many failed sign-ins")
    message = Msg(
        zh="失败次数过多，请在 {retry_after} 秒后重试",
        en="Too many failed attempts; try again in {retry_after} seconds",
    )

    def extra(self) -> dict[str, Any]:
        return {"retryAfter": self.params.get("retry_after")}


class RefreshTokenInvalid(DomainError):
    code = "auth.refresh_invalid"
    status = 401
    title = Msg(zh="刷新令牌无效", en="Invalid refresh token")
    message = Msg(
        zh="刷新令牌无效或已过期，请重新登录", en="The refresh token is invalid or expired"
    )


class RefreshTokenReused(DomainError):
    code = "auth.refresh_reused"
    status = 401
    keeps_changes = True  # the family revocation must stick
    title = Msg(zh="刷新令牌已被使用", en="Refresh token reused")
    message = Msg(
        zh="该刷新令牌已使用过，为安全起见相关登录已全部注销",
        en="This refresh token was already used; every session of its family was signed out",
    )


class AccountDisabled(DomainError):
    code = "auth.account_disabled"
    status = 403
    title = Msg(zh="账号已停用", en="Account disabled")


class InvalidPhone(DomainError):
    code = "accounts.invalid_phone"
    status = 422
    title = Msg(zh="手机号无效", en="Invalid phone number")
    message = Msg(zh="请输入中国大陆 11 位手机号", en="Enter a mainland China mobile number")


class PhoneTaken(DomainError):
    code = "accounts.phone_taken"
    status = 409
    title = Msg(zh="手机号已绑定其他账号", en="Phone number already linked")


class WeChatTaken(DomainError):
    code = "accounts.wechat_taken"
    status = 409
    title = Msg(zh="微信已绑定其他账号", en="WeChat account already linked")


class SmsTooSoon(DomainError):
    code = "sms.too_soon"
    status = 429
    title = Msg(zh="验证码发送过于频繁", en="Code requested too soon")
    message = Msg(zh="请在 {retry_after} 秒后再获取验证码", en="Ask again in {retry_after} seconds")

    def extra(self) -> dict[str, Any]:
        return {"retryAfter": self.params.get("retry_after")}


class SmsDailyCap(DomainError):
    code = "sms.daily_cap"
    status = 429
    title = Msg(zh="今日验证码次数已用完", en="Daily limit reached")
    message = Msg(zh="今天获取验证码的次数已达上限", en="Too many codes requested today")


class SmsCodeInvalid(DomainError):
    code = "sms.code_invalid"
    status = 400
    keeps_changes = True  # the failed attempt must count
    title = Msg(zh="验证码错误", en="Wrong code")
    message = Msg(zh="验证码错误，还可尝试 {left} 次", en="Wrong code; {left} tries left")


class SmsCodeExpired(DomainError):
    code = "sms.code_expired"
    status = 400
    title = Msg(zh="验证码已失效", en="Code expired")
    message = Msg(zh="验证码不存在或已过期，请重新获取", en="No valid code; request a new one")


class SmsLocked(DomainError):
    code = "sms.locked"
    status = 429
    title = Msg(zh="验证码已锁定", en="Code locked")
    message = Msg(
        zh="错误次数过多，该验证码已失效，请重新获取",
        en="Too many wrong tries; this code is locked, request a new one",
    )


class WeChatCodeInvalid(DomainError):
    code = "wechat.invalid_code"
    status = 400
    title = Msg(zh="微信登录凭证无效", en="Invalid WeChat login code")


class WeChatCodeUsed(DomainError):
    code = "wechat.code_used"
    status = 409
    title = Msg(zh="微信登录凭证已使用", en="WeChat login code already used")
    message = Msg(
        zh="该登录凭证已被使用，请重新调用 wx.login", en="Call wx.login again for a new code"
    )


class WeChatRateLimited(DomainError):
    code = "wechat.rate_limited"
    status = 429
    title = Msg(zh="微信接口调用过于频繁", en="WeChat rate limit")
    message = Msg(zh="请稍后重试", en="Please try again shortly")


class WeChatBusy(DomainError):
    code = "wechat.busy"
    status = 503
    title = Msg(zh="微信服务繁忙", en="WeChat is busy")
    message = Msg(zh="微信服务繁忙，请稍后重试", en="WeChat is busy; try again shortly")


class WeChatUnavailable(DomainError):
    code = "wechat.unavailable"
    status = 503
    title = Msg(zh="微信服务暂时不可用", en="WeChat unreachable")
    message = Msg(
        zh="暂时无法连接微信，请稍后重试", en="WeChat cannot be reached; try again shortly"
    )


class WeChatError(DomainError):
    code = "wechat.error"
    status = 502
    title = Msg(zh="微信服务返回错误", en="WeChat returned an error")
    message = Msg(zh="微信返回错误码 {errcode}", en="WeChat answered with error code {errcode}")


class DeviceNotFound(DomainError):
    code = "device.not_found"
    status = 404
    title = Msg(zh="设备不存在", en="Device not found")


class DeviceVendorInvalid(DomainError):
    code = "device.vendor_invalid"
    status = 422
    title = Msg(zh="推送通道与平台不符", en="Push vendor does not fit the platform")
    message = Msg(
        zh="厂商推送通道（vendor）只适用于 Android 设备；{platform} 设备请不要填写 vendor",
        en="A push vendor applies to Android devices only; leave vendor out for {platform}",
    )


class UnknownStaff(DomainError):
    code = "staff.unknown"
    status = 404
    title = Msg(zh="员工不存在", en="Unknown staff member")
    message = Msg(zh="员工 {staff_id} 不存在", en="Staff member {staff_id} does not exist")


class UsernameTaken(DomainError):
    code = "staff.username_taken"
    status = 409
    title = Msg(zh="用户名已存在", en="Username already taken")
    message = Msg(zh="用户名 {username} 已被使用", en="The username {username} is taken")


class InvalidStaff(DomainError):
    code = "staff.invalid"
    status = 422
    title = Msg(zh="员工信息无效", en="Invalid staff member")
    message = Msg(zh="员工信息无效：{reason}", en="Invalid staff member: {reason}")


class UnknownApiClient(DomainError):
    code = "api_client.unknown"
    status = 404
    title = Msg(zh="接入方不存在", en="Unknown API client")
    message = Msg(zh="接入方 {client_id} 不存在", en="API client {client_id} does not exist")


class ApiClientNameTaken(DomainError):
    code = "api_client.name_taken"
    status = 409
    title = Msg(zh="接入方名称已存在", en="API client name taken")
    message = Msg(zh="名称 {name} 已被使用", en="The name {name} is taken")


class RoleChanged(DomainError):
    code = "auth.role_changed"
    status = 401
    title = Msg(zh="账号权限已变更", en="Your role changed")
    message = Msg(zh="账号权限已变更，请重新登录", en="Your role changed; sign in again")


class SmsInvalidPhone(DomainError):
    code = "sms.invalid_phone"
    status = 400
    title = Msg(zh="该号码无法接收短信", en="This number cannot receive texts")
    message = Msg(
        zh="短信服务商拒绝了该号码，请检查后重试",
        en="The SMS provider refused this number; check it and try again",
    )


class SmsProviderRateLimited(DomainError):
    code = "sms.provider_rate_limited"
    status = 429
    title = Msg(zh="短信发送过于频繁", en="Texts sent too often")
    message = Msg(
        zh="短信服务商限制了该号码的发送频率，请在 {retry_after} 秒后重试",
        en="The SMS provider limits texts to this number; try again in {retry_after} seconds",
    )

    def extra(self) -> dict[str, Any]:
        return {"retryAfter": self.params.get("retry_after")}


class SmsProviderUnavailable(DomainError):
    code = "sms.provider_unavailable"
    status = 503
    title = Msg(zh="短信服务暂时不可用", en="SMS temporarily unavailable")
    message = Msg(
        zh="暂时无法发送短信，请稍后重试或使用微信登录",
        en="Texts cannot be sent right now; try again later or sign in with WeChat",
    )

    def extra(self) -> dict[str, Any]:
        return {"retryAfter": self.params.get("retry_after")}


class SmsProviderFailed(DomainError):
    code = "sms.provider_failed"
    status = 502
    title = Msg(zh="短信发送失败", en="The text could not be sent")
    message = Msg(
        zh="短信服务商返回错误（{vendor_code}），请稍后重试或使用微信登录",
        en="The SMS provider answered with an error ({vendor_code}); try again later "
        "or sign in with WeChat",
    )
