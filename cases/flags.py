"""Flags on a case (``Case.flags``, a JSON list) that other packages may add, e.g. points
flags a report whose photo duplicates another report's."""

from __future__ import annotations

import msgspec

from cases.tables import Case


async def add_flag(*, case_id: int, flag: str) -> list[str]:
    """Add ``flag`` once; the case's flags afterwards. The UPDATE is conditional on the value
    read, so a concurrent change of the flags is retried instead of overwritten."""
    for _ in range(5):
        row = await Case.select(Case.flags).where(Case.id == case_id).first()
        if row is None:
            return []
        flags = msgspec.json.decode(row["flags"] or "[]", type=list[str])
        if flag in flags:
            return flags
        updated = (
            await Case.update({Case.flags: msgspec.json.encode([*flags, flag]).decode()})
            .where((Case.id == case_id) & (Case.flags == row["flags"]))
            .returning(Case.id)
        )
        if updated:
            return [*flags, flag]
    raise RuntimeError(f"could not flag case {case_id}: flags keep changing")
