"""The periodic scheduler's stop: the tick in flight finishes, no new one starts, a tick that
outlives the budget is cancelled, and the tasks never share a transaction."""

from __future__ import annotations

import asyncio

from core import db, periodic


async def test_stop_lets_the_tick_in_flight_finish_and_starts_no_other():
    started, finished, running, release = [], [], asyncio.Event(), asyncio.Event()

    async def tick():
        started.append(periodic.stopping())
        running.set()
        await release.wait()
        finished.append(periodic.stopping())

    scheduler = periodic.start([("slow", 0.0, tick)])
    await running.wait()
    stopping = asyncio.create_task(periodic.stop(scheduler, budget=30))
    await asyncio.sleep(0.05)
    assert not stopping.done()  # waiting for the tick
    release.set()
    await stopping
    # The tick saw the stop coming (a long tick ends early there), finished, and was the
    # last: with an interval of 0 another would have started at once.
    assert started == [False]
    assert finished == [True]
    assert all(task.done() and not task.cancelled() for task in scheduler.tasks)


async def test_stop_cancels_a_tick_that_outlives_the_budget_then_closes():
    cancelled, closed = [], []

    async def stuck():
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def close():
        closed.append(True)

    scheduler = periodic.start([("stuck", 60.0, stuck)], on_stop=close)
    await asyncio.sleep(0)
    await periodic.stop(scheduler, budget=0.05)
    assert cancelled == [True]
    assert closed == [True]
    assert scheduler.tasks[0].cancelled()


async def test_stopping_is_false_outside_a_periodic_task():
    assert periodic.stopping() is False


async def test_tasks_do_not_share_a_transaction(database, monkeypatch):
    # The context a task starts in is its own: a transaction one task has open must not be
    # the one another task's queries run in (they would write into each other's). Unleased:
    # on SQLite the other's claim would wait for the holder's write transaction.
    monkeypatch.setattr(periodic, "SHARED", frozenset({"holder", "other"}))
    inside, seen_by_other, release = asyncio.Event(), [], asyncio.Event()

    async def holder():
        async with db.transaction():
            await db.raw("SELECT 1")
            inside.set()
            await release.wait()

    async def other():
        await inside.wait()
        seen_by_other.append(db.in_transaction())
        release.set()

    scheduler = periodic.start([("holder", 60.0, holder), ("other", 60.0, other)])
    await asyncio.wait_for(release.wait(), 30)
    await periodic.stop(scheduler, budget=30)
    assert seen_by_other == [False]
