"""Exclusive periodic tasks: each period of a task runs in one process, however many
`cityops worker` processes (and in-process schedulers) there are.

Periods are aligned to the epoch: period k of a task that runs every ``every`` seconds is
[k * every, (k + 1) * every). A process runs period k only if its one conditional UPDATE moves
the task's ``due_us`` from at most now to the start of period k + 1, so of two processes
asking for the same period exactly one is answered with a row. A worker killed during its
period loses at most the rest of that tick (every task resumes where a tick stopped); the
next period goes to whichever process asks first, at its start, since a process that was
refused sleeps until ``due_us``."""

from __future__ import annotations

import contextvars
import os
import socket
import time
from dataclasses import dataclass

from core.db import raw

_MICROS = 1_000_000

_CLAIM = (
    "UPDATE periodic_lease SET due_us = {}, holder = {}, runs = runs + 1 "
    "WHERE name = {} AND due_us <= {} RETURNING runs"
)
_CREATE = (
    "INSERT INTO periodic_lease (name, due_us, holder, runs) VALUES ({}, 0, '', 0) "
    "ON CONFLICT (name) DO NOTHING"
)

_period: contextvars.ContextVar[int | None] = contextvars.ContextVar("lease_period", default=None)


@dataclass(frozen=True)
class Claim:
    period: int | None  # the period this process runs now; None: another process has it
    due: float  # wall-clock seconds when the next period may be claimed


def current_period() -> int | None:
    """The period the running exclusive task was given (None outside one)."""
    return _period.get()


def holder() -> str:
    # Computed per call: a forked worker must not name itself after its parent.
    return f"{socket.gethostname()}:{os.getpid()}"


async def claim(name: str, every: float) -> Claim:
    now = int(time.time() * _MICROS)
    span = max(1, int(every * _MICROS))
    period = now // span
    due = (period + 1) * span
    for _ in range(2):
        if await raw(_CLAIM, due, holder(), name, now):
            _period.set(period)
            return Claim(period, due / _MICROS)
        rows = await raw("SELECT due_us FROM periodic_lease WHERE name = {}", name)
        if rows:
            return Claim(None, rows[0]["due_us"] / _MICROS)
        # The first claim ever (or after the table was emptied): create the row, ask again.
        await raw(_CREATE, name)
    return Claim(None, due / _MICROS)
