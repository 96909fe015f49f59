"""The case states (GB/T 30428), in a module of their own so that the workflow and the
visibility policy can both name them without importing each other."""

from __future__ import annotations

REPORTED, ACCEPTED, DISPATCHED, RESOLVED, CLOSED = (
    "reported",
    "accepted",
    "dispatched",
    "resolved",
    "closed",
)
RETURNED, SUSPENDED = "returned", "suspended"
REJECTED, MERGED, CANCELLED = "rejected", "merged", "cancelled"
TERMINAL = frozenset({CLOSED, REJECTED, MERGED, CANCELLED})
OPEN = frozenset({REPORTED, ACCEPTED, DISPATCHED, RESOLVED, RETURNED, SUSPENDED})
