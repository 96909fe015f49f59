"""A small scheduler for periodic tasks: in-process in the embedded default, in
`cityops worker` processes in production. Every task must be safe to run in several
processes at once (conditional updates, SKIP LOCKED): the scheduler does not coordinate."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)

Task = tuple[str, float, Callable[[], Awaitable[object]]]


async def _loop(name: str, every: float, task: Callable[[], Awaitable[object]]) -> None:
    from core.db import is_unavailable

    database_down = False
    while True:
        try:
            await task()
            if database_down:
                log.info("periodic task %s: the database is back", name)
                database_down = False
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a failing tick must not stop the next one
            if not is_unavailable(exc):
                log.exception("periodic task %s failed", name)
            elif not database_down:
                # An outage ends by itself (the pool reconnects on the next tick): say so
                # once, not with a traceback every tick.
                log.warning("periodic task %s: database unavailable (%r)", name, exc)
                database_down = True
        await asyncio.sleep(every)


def start(tasks: list[Task]) -> list[asyncio.Task]:
    return [
        asyncio.create_task(_loop(name, every, task), name=f"periodic:{name}")
        for name, every, task in tasks
    ]


async def stop(running: list[asyncio.Task]) -> None:
    for task in running:
        task.cancel()
    await asyncio.gather(*running, return_exceptions=True)


def default_tasks() -> list[Task]:
    from cases.tasks import sla_tick
    from core import idempotency, ratelimit
    from core.settings import get_settings
    from notify.worker import deliver_tick

    async def housekeeping() -> None:
        from core.db import transaction

        async with transaction():
            await idempotency.purge_expired()
            await ratelimit.purge_expired()

    import points.hooks  # noqa: F401 - a worker process must award points on its moves too
    from media.tasks import sweep_orphan_files, sweep_unattached
    from points.expiry import expire_points

    return [
        ("sla", 60.0, sla_tick),
        ("housekeeping", 3600.0, housekeeping),
        ("points-expiry", 3600.0, expire_points),
        ("media-unattached", 3600.0, sweep_unattached),
        ("media-orphans", 3600.0, sweep_orphan_files),
        ("notify", get_settings().notify_interval_seconds, deliver_tick),
    ]
