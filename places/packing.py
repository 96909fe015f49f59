"""Places read from the database and packed into a Segment's columns and records: what
both an index built in this process (places.index) and one built in a child process
(places.index_process) are made of, and what the overlay of changed places is made of."""

from __future__ import annotations

import msgspec
import numpy as np

from core.db import raw
from places.segment import Segment, _flags, pack_record, schedule_id

CHUNK = 20_000
COLUMNS = "id, kind, lat, lon, name, address, hours, status, attributes, deleted"


def _record(row: dict) -> tuple[bytes, tuple, int, int]:
    attributes = row["attributes"]
    if isinstance(attributes, str):
        attributes = msgspec.json.decode(attributes)
    record, cuts = pack_record(row["name"], row["address"], row["status"], attributes)
    return record, cuts, _flags(row["status"], attributes), schedule_id(row["hours"])


class Packer:
    """Places' columns and records as they are read, before they become a Segment."""

    def __init__(self, kind_ids: dict[str, int]) -> None:
        self.kind_ids = kind_ids
        self.blob = bytearray()
        self.columns: dict[str, list[np.ndarray]] = {
            k: [] for k in ("ids", "kinds", "lat", "lon", "flags", "sched", "bounds", "cuts")
        }

    def add(self, rows: list[dict]) -> None:
        n, blob = len(rows), self.blob
        bounds, cuts, flags, sched = [], [], [], []
        for row in rows:
            record, cut, flag, schedule = _record(row)
            bounds.append((len(blob), len(blob) + len(record)))
            blob += record
            cuts.append(cut)
            flags.append(flag)
            sched.append(schedule)
        columns = self.columns
        columns["ids"].append(np.fromiter((r["id"] for r in rows), np.int64, n))
        columns["kinds"].append(
            np.fromiter((kind_id(self.kind_ids, r["kind"]) for r in rows), np.int16, n)
        )
        columns["lat"].append(np.fromiter((r["lat"] for r in rows), np.float64, n))
        columns["lon"].append(np.fromiter((r["lon"] for r in rows), np.float64, n))
        columns["flags"].append(np.asarray(flags, dtype=np.uint8))
        columns["sched"].append(np.asarray(sched, dtype=np.int32))
        columns["bounds"].append(np.asarray(bounds, dtype=np.uint64).reshape(n, 2))
        columns["cuts"].append(np.asarray(cuts, dtype=np.uint16).reshape(n, 3))

    def segment(self) -> Segment:
        # Column by column, each chunk list freed as soon as it is joined: the peak of a
        # rebuild is what the process must be sized for.
        columns: dict[str, np.ndarray | list] = {}
        for name, parts in self.columns.items():
            columns[name] = np.concatenate(parts) if parts else []
            parts.clear()
        bounds = np.asarray(columns.pop("bounds"), np.uint64).reshape(-1, 2)
        columns["bounds"] = bounds.astype(np.uint32) if len(self.blob) < 2**32 else bounds
        del bounds
        columns["cuts"] = np.asarray(columns["cuts"], np.uint16).reshape(-1, 3)
        return Segment(columns, self.blob)


def kind_id(kind_ids: dict[str, int], code: str) -> int:
    if code not in kind_ids:
        kind_ids[code] = len(kind_ids)
    return kind_ids[code]


def segment_of(rows: list[dict], kind_ids: dict[str, int]) -> Segment:
    packer = Packer(kind_ids)
    if rows:
        packer.add(rows)
    return packer.segment()


async def read_live() -> tuple[Segment, list[str]]:
    """The live places' segment and kind codes, streamed in chunks so the peak stays near
    the final size."""
    kind_rows = await raw("SELECT code FROM place_kinds ORDER BY sort_order, code")
    kind_ids: dict[str, int] = {}
    for row in kind_rows:
        kind_id(kind_ids, row["code"])
    packer = Packer(kind_ids)
    last = 0
    while True:
        rows = await raw(
            f"SELECT {COLUMNS} FROM place WHERE NOT deleted AND id > {{}} "  # noqa: S608
            "ORDER BY id LIMIT {}",
            last,
            CHUNK,
        )
        if not rows:
            break
        packer.add(rows)
        last = rows[-1]["id"]
        del rows
    return packer.segment(), list(kind_ids)
