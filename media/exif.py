"""What a photo says about itself: capture time, GPS position and orientation from EXIF.

Only hints: EXIF is trivially forged, and a broken block is no reason to refuse the photo, so
every reader here gives up quietly (None) rather than raising.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import msgspec
from PIL import Image

from core import clock

# EXIF tags
_ORIENTATION = 0x0112
_DATETIME = 0x0132
_EXIF_IFD = 0x8769
_GPS_IFD = 0x8825
_DATETIME_ORIGINAL = 0x9003
_DATETIME_DIGITIZED = 0x9004
_OFFSET_TIME = 0x9010
_OFFSET_TIME_ORIGINAL = 0x9011
_OFFSET_TIME_DIGITIZED = 0x9012


class Hints(msgspec.Struct, frozen=True, kw_only=True):
    """What the photo says about itself. Only hints: EXIF is trivially forged."""

    taken_at: dt.datetime | None = None
    lat: float | None = None
    lon: float | None = None


def _text(value: object) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    if not isinstance(value, str):
        return None
    return value.strip("\x00 ").strip() or None


def _number(value: object) -> float:
    result = float(value)  # type: ignore[arg-type]  # IFDRational, int, float
    if not math.isfinite(result):
        raise ValueError("not finite")
    return result


def _degrees(value: object, ref: object) -> float | None:
    """EXIF GPS is (degrees, minutes, seconds) rationals plus an N/S or E/W reference."""
    try:
        parts = [_number(v) for v in value] if isinstance(value, tuple | list) else [_number(value)]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    if not 1 <= len(parts) <= 3 or any(p < 0 for p in parts):
        return None
    decimal = sum(p / 60**i for i, p in enumerate(parts))
    if (_text(ref) or "").upper() in ("S", "W"):
        decimal = -decimal
    return decimal


def _gps(exif: Image.Exif) -> tuple[float | None, float | None]:
    try:
        gps = exif.get_ifd(_GPS_IFD)
    except (KeyError, ValueError, TypeError, OSError):
        return None, None
    if not gps:
        return None, None
    lat = _degrees(gps.get(2), gps.get(1)) if 2 in gps else None
    lon = _degrees(gps.get(4), gps.get(3)) if 4 in gps else None
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None, None
    if lat == 0 and lon == 0:  # "no fix" written as zeros, not a photo from the Gulf of Guinea
        return None, None
    return round(lat, 7), round(lon, 7)


_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")


def _taken_at(exif: Image.Exif) -> dt.datetime | None:
    try:
        sub = exif.get_ifd(_EXIF_IFD)
    except (KeyError, ValueError, TypeError, OSError):
        sub = {}
    pairs = (
        (sub.get(_DATETIME_ORIGINAL), sub.get(_OFFSET_TIME_ORIGINAL)),
        (sub.get(_DATETIME_DIGITIZED), sub.get(_OFFSET_TIME_DIGITIZED)),
        (exif.get(_DATETIME), sub.get(_OFFSET_TIME)),
    )
    for stamp, offset in pairs:
        text = _text(stamp)
        if not text:
            continue
        try:
            naive = dt.datetime.strptime(text[:19].replace("-", ":"), "%Y:%m:%d %H:%M:%S")
        except ValueError:
            continue
        zone: dt.tzinfo = clock.city_zone()  # phones write local time without a zone
        if (match := _OFFSET.match(_text(offset) or "")) is not None:
            sign, hours, minutes = match.groups()
            delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
            zone = dt.timezone(-delta if sign == "-" else delta)
        moment = naive.replace(tzinfo=zone).astimezone(dt.UTC)
        if dt.datetime(1990, 1, 1, tzinfo=dt.UTC) <= moment <= clock.now() + dt.timedelta(days=1):
            return moment
        return None
    return None


def read_hints(exif: Image.Exif) -> tuple[Hints, int]:
    """(hints, EXIF orientation 1-8)."""
    lat, lon = _gps(exif)
    orientation = exif.get(_ORIENTATION, 1)
    if orientation not in range(1, 9):
        orientation = 1
    return Hints(taken_at=_taken_at(exif), lat=lat, lon=lon), orientation
