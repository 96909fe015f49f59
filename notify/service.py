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


# Well under SQLite's 32,766 parameters a statement (8 a row).
_ROWS_PER_INSERT = 500


async def enqueue_each(
    *,
    recipient_kind: str,
    recipient_ids: list[int],
    template: str,
    params: dict[str, Any],
    case_id: int | None = None,
    urgent: bool = False,
) -> None:
    """The same notification to each recipient, queued in one statement: a case landing on a
    unit tells all its staff, and a round trip per person was most of filing a report."""
    if not recipient_ids:
        return
    now = clock.now()
    encoded = msgspec.json.encode(params).decode()
    row = "({}, {}, {}, {}, {}, {}, NULL, 'pending', 0, {}, {})"
    for start in range(0, len(recipient_ids), _ROWS_PER_INSERT):
        chunk = recipient_ids[start : start + _ROWS_PER_INSERT]
        values: list[Any] = []
        for recipient_id in chunk:
            values += [recipient_kind, recipient_id, template, encoded, case_id, int(urgent)]
            values += [now, now]
        await raw(
            "INSERT INTO notification_job (recipient_kind, recipient_id, template, params, "  # noqa: S608 - placeholders only
            "case_id, urgent, dedupe_key, status, attempts, available_at, created_at) VALUES "
            + ", ".join([row] * len(chunk)),
            *values,
        )
