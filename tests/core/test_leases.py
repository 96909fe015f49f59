"""Exclusive periodic tasks run each period once however many schedulers ask for it; the
tasks in SHARED run everywhere. Several schedulers in one process stand in for several
workers here (each asks through its own connection); tests/cluster/ kills real workers."""

from __future__ import annotations

import asyncio
import collections
import time

from core import leases, periodic


async def _run_schedulers(count: int, tasks_of, until) -> None:
    schedulers = [periodic.start(tasks_of(index)) for index in range(count)]
    try:
        await asyncio.wait_for(until(), 60)
    finally:
        for scheduler in schedulers:
            await periodic.stop(scheduler, budget=10)


async def test_each_period_runs_once_across_schedulers(database):
    runs: list[tuple[int, int | None]] = []
    enough = asyncio.Event()

    def tasks_of(index: int):
        async def probe() -> None:
            runs.append((index, leases.current_period()))
            if len(runs) >= 6:
                enough.set()

        return [("probe", 0.2, probe)]

    await _run_schedulers(3, tasks_of, enough.wait)
    periods = collections.Counter(period for _, period in runs)
    assert None not in periods
    assert all(count == 1 for count in periods.values()), periods
    # Consecutive periods with none lost while all three schedulers were asking.
    ordered = sorted(periods)
    assert ordered[-1] - ordered[0] <= len(ordered) + 1, ordered


async def test_a_shared_task_runs_in_every_scheduler(database):
    seen: set[int] = set()
    everywhere = asyncio.Event()

    def tasks_of(index: int):
        async def deliver() -> None:
            seen.add(index)
            if len(seen) == 3:
                everywhere.set()

        return [("notify", 0.2, deliver)]

    await _run_schedulers(3, tasks_of, everywhere.wait)
    assert seen == {0, 1, 2}


async def test_a_refused_process_takes_the_next_period_when_the_holder_is_gone(database):
    first = await leases.claim("sweep", 0.3)
    assert first.period is not None
    # The holder dies right after claiming: another process is refused for this period...
    assert (await leases.claim("sweep", 0.3)).period is None
    # ...and gets the next one at its start, without waiting for anyone.
    await asyncio.sleep(max(0.0, first.due - time.time()) + 0.01)
    second = await leases.claim("sweep", 0.3)
    assert second.period is not None and second.period > first.period
