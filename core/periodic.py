"""A small scheduler for periodic tasks: in-process in the embedded default, in
`cityops worker` processes in production. Each period of a task runs in one process
(core.leases), except the tasks in SHARED, which every process runs for itself (the outbox
claims its own rows with SKIP LOCKED; scan counts live in each process's memory). Every task
is still written to be safe if run twice (a conditional update, a claimed row): a period's
lease does not outlive a killed worker.

Stopping is orderly: a stop (``stop_soon`` from a signal handler, or ``stop``) lets each
task finish the tick it is in and starts no new one; a tick still running when the stop's
budget is spent is cancelled (its transaction rolls back, and every task is written to be
resumed by the next tick). Long ticks ask ``stopping()`` between their steps."""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import signal
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

log = logging.getLogger(__name__)

Task = tuple[str, float, Callable[[], Awaitable[object]]]

# Tasks every process runs for itself, unleased: the notification outbox is claimed row by
# row (two workers sending at once send twice as much, not twice), and each API process
# writes the scans it counted in its own memory (qr.scans).
SHARED = frozenset({"notify", "scan-counts"})

# The stop event of the scheduler whose task is running (unset outside the scheduler).
_stop_event: contextvars.ContextVar[asyncio.Event] = contextvars.ContextVar("periodic_stop")
_schedulers: set[Scheduler] = set()
_stop_began: float | None = None  # monotonic time of this process's stop signal


@dataclass(eq=False)
class Scheduler:
    loop: asyncio.AbstractEventLoop
    stop_requested: asyncio.Event
    tasks: list[asyncio.Task] = field(default_factory=list)
    on_stop: Callable[[], Awaitable[None]] | None = None


def stopping() -> bool:
    """True inside a periodic task once its scheduler is stopping: a long tick ends early
    at a point the next tick resumes from."""
    event = _stop_event.get(None)
    return event is not None and event.is_set()


async def _loop(
    name: str, every: float, task: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> None:
    from core.db import is_unavailable

    _stop_event.set(stop)  # in this task's own context, for stopping()
    database_down = False
    while not stop.is_set():
        wait = every
        try:
            wait = await _tick(name, every, task)
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
        try:
            async with asyncio.timeout(wait):
                await stop.wait()
        except TimeoutError:
            pass


async def _tick(name: str, every: float, task: Callable[[], Awaitable[object]]) -> float:
    """Run one tick if this process has the period; the seconds until the next try."""
    from core import leases

    if name in SHARED or every <= 0:
        await task()
        return every
    claim = await leases.claim(name, every)
    if claim.period is not None:
        await task()
    # Until the period's end (or the holder's): the next one goes to the first to ask.
    return min(every, max(0.0, claim.due - time.time()))


def start(tasks: list[Task], *, on_stop: Callable[[], Awaitable[None]] | None = None) -> Scheduler:
    """Run ``tasks`` on the running loop; ``on_stop`` closes what they opened."""
    scheduler = Scheduler(asyncio.get_running_loop(), asyncio.Event(), on_stop=on_stop)
    # Each task has a context of its own: a shared one would share the database
    # transaction one task opens with all the others.
    scheduler.tasks = [
        asyncio.create_task(
            _loop(name, every, task, scheduler.stop_requested), name=f"periodic:{name}"
        )
        for name, every, task in tasks
    ]
    _schedulers.add(scheduler)
    if _stop_began is not None:  # the stop signal came while the process was starting
        scheduler.stop_requested.set()
    return scheduler


def stop_soon() -> None:
    """Tell every scheduler of this process to finish its ticks in flight and start no more;
    safe in a signal handler. The stop's budget counts from the first call."""
    global _stop_began
    if _stop_began is None:
        _stop_began = time.monotonic()
    for scheduler in list(_schedulers):
        scheduler.loop.call_soon_threadsafe(scheduler.stop_requested.set)


def stop_soon_on_signals() -> None:
    """Call ``stop_soon`` on SIGTERM and SIGINT before the handler already installed: the
    server's (uvicorn's), which drains the requests meanwhile, so the ticks stop when the
    stop begins rather than after the drain. The server puts its own handlers back when it
    has stopped. Only the main thread may set handlers (a test client runs the app on
    another); a signal nobody handles ends the process anyway."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGINT):
        previous = signal.getsignal(sig)
        if callable(previous):
            signal.signal(sig, functools.partial(_stop_then, previous))


def _stop_then(handler: Callable, signum: int, frame: object) -> None:
    stop_soon()
    handler(signum, frame)


def remaining(budget: float) -> float:
    """What is left of ``budget`` seconds counted from the stop signal (all of it without
    one)."""
    if _stop_began is None:
        return budget
    return max(0.0, budget - (time.monotonic() - _stop_began))


async def stop(scheduler: Scheduler, *, budget: float) -> None:
    """Let the ticks in flight finish within what is left of ``budget`` seconds, cancel the
    ones that do not, then close the tasks' clients."""
    scheduler.stop_requested.set()
    try:
        if scheduler.tasks:
            _, late = await asyncio.wait(scheduler.tasks, timeout=remaining(budget))
            for task in late:
                log.warning("periodic task %s: cancelled at shutdown", task.get_name())
                task.cancel()
            await asyncio.gather(*scheduler.tasks, return_exceptions=True)
        if scheduler.on_stop is not None:
            await scheduler.on_stop()
    finally:
        _schedulers.discard(scheduler)


def default_tasks() -> list[Task]:
    from cases.calendar_watch import calendar_tick
    from cases.tasks import sla_tick
    from core import idempotency, ratelimit
    from core.settings import get_settings
    from notify.worker import deliver_tick

    async def housekeeping() -> None:
        from core.db import transaction

        async with transaction():
            await idempotency.purge_expired()
            await ratelimit.purge_expired()

    import cases.survey  # noqa: F401 - a worker's closes send the survey too
    import cases.watch  # noqa: F401 - a worker's accepts tell watchers too
    import points.hooks  # noqa: F401 - a worker process must award points on its moves too
    from cases.watch_digest import send_digests
    from media.tasks import sweep_orphan_files, sweep_unattached
    from points.expiry import expire_points
    from privacy.retention import EVERY as RETENTION_EVERY
    from privacy.retention import retention_tick

    return [
        ("sla", get_settings().sla_check_seconds, sla_tick),
        ("calendar-data", 3600.0, calendar_tick),
        ("housekeeping", 3600.0, housekeeping),
        ("points-expiry", 3600.0, expire_points),
        ("media-unattached", 3600.0, sweep_unattached),
        ("media-orphans", 3600.0, sweep_orphan_files),
        ("retention", RETENTION_EVERY, retention_tick),
        ("watch-digest", 600.0, send_digests),
        ("notify", get_settings().notify_interval_seconds, deliver_tick),
    ]


def start_default(extra: list[Task] = ()) -> Scheduler:
    """The periodic tasks of the API process (in-process worker, with the API's own
    ``extra``) or `cityops worker`."""
    from notify.worker import close_outbox

    return start([*default_tasks(), *extra], on_stop=close_outbox)
