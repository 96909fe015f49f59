"""The notification outbox. Other packages enqueue; delivery is the notifications issue's."""

from __future__ import annotations

from typing import Any

import msgspec

from core import clock
from core.db import raw


async def enqueue(
    *,
    recipient_kind: str,
    recipient_id: int,
    template: str,
    params: dict[str, Any],
    case_id: int | None = None,
    urgent: bool = False,
    dedupe_key: str | None = None,
) -> bool:
    """Queue one notification in the caller's transaction; False if ``dedupe_key`` was
    already used (a reminder that was sent once must not be sent again)."""
    rows = await raw(
        "INSERT INTO notification_job (recipient_kind, recipient_id, template, params, case_id, "
        "urgent, dedupe_key, status, attempts, available_at, created_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, 'pending', 0, {}, {}) "
        "ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
        recipient_kind,
        recipient_id,
        template,
        msgspec.json.encode(params).decode(),
        case_id,
        1 if urgent else 0,
        dedupe_key,
        clock.now(),
        clock.now(),
    )
    return bool(rows)
