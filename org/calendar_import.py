"""A year's official holiday arrangement (国务院办公厅 放假安排), imported in one go.

The holiday package knows the years up to its release; for a later year an admin imports
the State Council's notice as a list of days, each a holiday (a day off, weekend days of a
holiday included) or a workday (a make-up working day, 调休). The days are stored as
CalendarDay overrides with source "import", and the year is recorded (CalendarYear), so
org.calendar.coverage counts it as covered.

Rules of an import for year Y, checked as a whole before anything is written:
- at least one row and at most MAX_ROWS;
- every date is YYYY-MM-DD and lies in Y, or in the last week of Y-1 (some years' New
  Year holiday begins on 30 December, as 2024's did); any other year is refused;
- no date appears twice; the kind is "holiday" or "workday"; name and note fit.
Row numbers in errors: a CSV file's line number (the header is line 1), a JSON array's
1-based position.

Applying it: every row is written as an imported override (it replaces a hand-made one on
the same day: the notice is the authority); days of Y that an earlier import of Y set and
this file no longer lists are dropped (a corrected notice); hand-made overrides on other
days stay. Re-importing the same file finds every row as stored and changes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import msgspec

from core import clock
from core.db import raw
from org.calendar import forget_cached_overrides
from org.errors import (
    CalendarImportEmpty,
    CalendarImportInvalid,
    CalendarImportMalformed,
    CalendarImportTooManyRows,
)
from org.tables import CalendarDay, CalendarYear

KINDS = {"holiday": False, "workday": True}
# A year has at most 366 days, and the week before it may join in.
MAX_ROWS = 373
MAX_ERRORS = 50
BRIDGE_DAYS = 7
NAME_MAX, NOTE_MAX = 100, 200
CSV_COLUMNS = ("date", "kind", "name", "note")


class RawRow(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    date: str
    kind: str
    name: str = ""
    note: str = ""


class RawFile(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    days: list[RawRow]


class NumberedRow(msgspec.Struct, frozen=True, kw_only=True):
    row: int
    date: str
    kind: str
    name: str
    note: str


class ImportedDay(msgspec.Struct, frozen=True, kw_only=True):
    day: dt.date
    is_workday: bool
    name: str
    note: str


class ImportReport(msgspec.Struct, frozen=True, kw_only=True):
    year: int
    days: int
    created: int
    updated: int
    removed: int
    unchanged: int

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def parse_json(body: bytes) -> list[NumberedRow]:
    """``{"days": [{"date": "2027-02-06", "kind": "holiday", "name": "春节", "note": ""}]}``"""
    try:
        parsed = msgspec.json.decode(body, type=RawFile)
    except msgspec.DecodeError as exc:
        raise CalendarImportMalformed(reason=str(exc)) from None
    return [
        NumberedRow(row=number, date=r.date, kind=r.kind, name=r.name, note=r.note)
        for number, r in enumerate(parsed.days, start=1)
    ]


def parse_csv(body: bytes) -> list[NumberedRow]:
    """A header line naming the columns (date and kind required, name and note optional,
    any order), then one day a line; blank lines are skipped."""
    try:
        text = body.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError:
        raise CalendarImportMalformed(reason="the file is not UTF-8 text") from None
    lines = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(lines, None)
        if header is None:
            return []
        columns = [name.strip().lower() for name in header]
        unknown = [name for name in columns if name not in CSV_COLUMNS]
        if unknown or "date" not in columns or "kind" not in columns:
            raise CalendarImportMalformed(
                reason="the first line must name the columns date,kind[,name][,note]"
            )
        if len(set(columns)) != len(columns):
            raise CalendarImportMalformed(reason="a column is named twice in the header")
        rows = []
        for cells in lines:
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) > len(columns):
                raise CalendarImportMalformed(
                    reason=f"line {lines.line_num} has more cells than the header"
                )
            values = dict(zip(columns, (cell.strip() for cell in cells), strict=False))
            rows.append(
                NumberedRow(
                    row=lines.line_num,
                    date=values.get("date", ""),
                    kind=values.get("kind", ""),
                    name=values.get("name", ""),
                    note=values.get("note", ""),
                )
            )
    except csv.Error as exc:
        raise CalendarImportMalformed(reason=f"line {lines.line_num}: {exc}") from None
    return rows


def _date(text: str) -> dt.date | None:
    if len(text) != 10:
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def validate(rows: list[NumberedRow], *, year: int) -> list[ImportedDay]:
    """The rows as days, or CalendarImport* naming every bad row (up to MAX_ERRORS)."""
    if not rows:
        raise CalendarImportEmpty()
    if len(rows) > MAX_ROWS:
        raise CalendarImportTooManyRows(count=len(rows), limit=MAX_ROWS)
    earliest = dt.date(year, 1, 1) - dt.timedelta(days=BRIDGE_DAYS)
    latest = dt.date(year, 12, 31)
    errors: list[dict[str, Any]] = []
    seen: dict[dt.date, int] = {}
    days = []
    for row in rows:
        problems = []
        day = _date(row.date.strip())
        if day is None:
            problems.append(("bad_date", f"{row.date!r} is not a date like {year}-02-06"))
        elif not earliest <= day <= latest:
            problems.append(("wrong_year", f"{day} is not in {year} (nor its eve)"))
        elif day in seen:
            problems.append(("duplicate_date", f"{day} is listed on row {seen[day]} already"))
        else:
            seen[day] = row.row
        kind = row.kind.strip().lower()
        if kind not in KINDS:
            problems.append(("unknown_kind", f"kind {row.kind!r} must be holiday or workday"))
        if len(row.name) > NAME_MAX or len(row.note) > NOTE_MAX:
            problems.append(("too_long", f"name at most {NAME_MAX}, note {NOTE_MAX} characters"))
        errors += [{"row": row.row, "code": code, "detail": text} for code, text in problems]
        if not problems:
            days.append(
                ImportedDay(
                    day=day, is_workday=KINDS[kind], name=row.name.strip(), note=row.note.strip()
                )
            )
    if errors:
        raise CalendarImportInvalid(
            count=len({e["row"] for e in errors}), errors=errors[:MAX_ERRORS]
        )
    return days


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)


async def import_year(*, year: int, days: list[ImportedDay], staff_id: int | None) -> ImportReport:
    """Store a validated year (see the module's rules); runs in the caller's transaction,
    so a failure leaves nothing half-imported."""
    earliest = dt.date(year, 1, 1) - dt.timedelta(days=BRIDGE_DAYS)
    stored = {
        _as_date(row["day"]): row
        for row in await CalendarDay.select().where(
            (CalendarDay.day >= earliest) & (CalendarDay.day <= dt.date(year, 12, 31))
        )
    }
    now = clock.now()
    created = updated = 0
    for day in days:
        old = stored.get(day.day)
        if old is not None and (
            bool(old["is_workday"]),
            old["name"],
            old["note"],
            old["source"],
        ) == (day.is_workday, day.name, day.note, "import"):
            continue
        await raw(
            "INSERT INTO calendar_day (day, is_workday, name, note, source, updated_at) "
            "VALUES ({}, {}, {}, {}, 'import', {}) ON CONFLICT (day) DO UPDATE SET "
            "is_workday = EXCLUDED.is_workday, name = EXCLUDED.name, note = EXCLUDED.note, "
            "source = EXCLUDED.source, updated_at = EXCLUDED.updated_at",
            day.day,
            day.is_workday,
            day.name,
            day.note,
            now,
        )
        if old is None:
            created += 1
        else:
            updated += 1
    listed = {day.day for day in days}
    dropped = [
        day
        for day, row in stored.items()
        if row["source"] == "import" and day.year == year and day not in listed
    ]
    if dropped:
        await CalendarDay.delete().where(CalendarDay.day.is_in(dropped))
    report = ImportReport(
        year=year,
        days=len(days),
        created=created,
        updated=updated,
        removed=len(dropped),
        unchanged=len(days) - created - updated,
    )
    known = await CalendarYear.exists().where(CalendarYear.year == year)
    if report.changed or not known:
        await raw(
            "INSERT INTO calendar_year (year, days, imported_by, imported_at) "
            "VALUES ({}, {}, {}, {}) ON CONFLICT (year) DO UPDATE SET days = EXCLUDED.days, "
            "imported_by = EXCLUDED.imported_by, imported_at = EXCLUDED.imported_at",
            year,
            len(days),
            staff_id,
            now,
        )
        forget_cached_overrides()
    return report
