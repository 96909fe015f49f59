"""Errors of the notify package."""

from __future__ import annotations

from core.errors import DomainError
from core.i18n import Msg


class UnknownSubscriptionTemplate(DomainError):
    code = "notify.unknown_template"
    status = 422
    title = Msg(zh="未知的订阅消息模板", en="Unknown subscription template")
    message = Msg(
        zh="模板 {template_id} 不是本小程序的订阅消息模板",
        en="Template {template_id} is not a subscribe message template of this app",
    )


class QuietHoursInvalid(DomainError):
    code = "notify.quiet_hours_invalid"
    status = 422
    title = Msg(zh="免打扰时段无效", en="Invalid quiet hours")
    message = Msg(
        zh="请同时设置开始和结束时间（HH:MM），且二者不同",
        en="Set both start and end (HH:MM), and make them differ",
    )


class DeliveryNotFound(DomainError):
    code = "notify.delivery_not_found"
    status = 404
    title = Msg(zh="投递记录不存在", en="Delivery not found")
    message = Msg(
        zh="投递记录 {delivery_id} 不存在或不是死信",
        en="Delivery {delivery_id} does not exist or is not dead-lettered",
    )


class WebhookUrlRefused(DomainError):
    code = "webhook.url_refused"
    status = 422
    title = Msg(zh="回调地址不可用", en="Webhook URL refused")
    message = Msg(zh="回调地址须为 {reason}", en="The webhook URL must be {reason}")


class WebhookEventUnknown(DomainError):
    code = "webhook.event_unknown"
    status = 422
    title = Msg(zh="未知的事件类型", en="Unknown event type")
    message = Msg(zh="未知的事件类型：{event}", en="Unknown event type: {event}")


class WebhookNotFound(DomainError):
    code = "webhook.not_found"
    status = 404
    title = Msg(zh="未找到", en="Not found")
    message = Msg(zh="订阅不存在", en="No such webhook subscriber")
