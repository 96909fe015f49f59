"""Reading import files: CSV (a header row, UTF-8 or the GB18030 that Chinese Excel writes)
and GeoJSON FeatureCollections of Points. Each row comes with its line in the file, so an
import can report every bad row where the user can find it."""

from __future__ import annotations

import csv
import io
import json
from json.decoder import JSONDecodeError, scanstring
from typing import Any, Literal

from core.inputs import check_json
from places.errors import ImportMalformed

Format = Literal["csv", "geojson"]
_WS = " \t\r\n"


def detect_format(content_type: str | None, explicit: str | None) -> Format:
    if explicit in ("csv", "geojson"):
        return explicit  # type: ignore[return-value]
    if explicit:
        raise ImportMalformed(reason="format must be csv or geojson")
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in ("text/csv", "application/csv", "text/plain"):
        return "csv"
    if kind in ("application/geo+json", "application/json"):
        return "geojson"
    raise ImportMalformed(reason="send text/csv or application/geo+json, or ?format=")


def _text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("gb18030")
        except UnicodeDecodeError:
            raise ImportMalformed(reason="the file is neither UTF-8 nor GB18030 text") from None


def read_rows(data: bytes, fmt: Format, *, max_rows: int) -> list[tuple[int, dict[str, Any]]]:
    rows = _csv_rows(_text(data)) if fmt == "csv" else _geojson_rows(_text(data))
    if not rows:
        raise ImportMalformed(reason="the file has no rows")
    if len(rows) > max_rows:
        raise ImportMalformed(reason=f"more than {max_rows} rows; split the file")
    return rows


def _csv_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except StopIteration:
        raise ImportMalformed(reason="the file is empty") from None
    except csv.Error as exc:
        raise ImportMalformed(reason=f"CSV: {exc}") from None
    if len(set(header)) != len(header) or not all(header):
        raise ImportMalformed(reason="the header row has empty or repeated column names")
    rows = []
    start = reader.line_num + 1
    try:
        for values in reader:
            line, start = start, reader.line_num + 1
            if not any(value.strip() for value in values):
                continue  # blank line
            if len(values) != len(header):
                row = {"__error__": f"{len(values)} fields, the header has {len(header)}"}
            else:
                row = {
                    name: value.strip()
                    for name, value in zip(header, values, strict=True)
                    if value.strip() != ""
                }
            rows.append((line, row))
    except csv.Error as exc:
        raise ImportMalformed(reason=f"CSV line {reader.line_num}: {exc}") from None
    return rows


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _WS:
        at += 1
    return at


def _feature_offsets(text: str) -> list[tuple[int, Any]]:
    """The features of a FeatureCollection with the offset where each starts: a small walk
    over the top-level object, since json.loads keeps no positions."""
    decoder = json.JSONDecoder()
    at = _skip(text, 0)
    if text[at : at + 1] != "{":
        raise ImportMalformed(reason="GeoJSON: expected a FeatureCollection object")
    at = _skip(text, at + 1)
    found, kind = None, None
    while at < len(text) and text[at] != "}":
        if text[at] != '"':
            raise ImportMalformed(reason="GeoJSON: expected a member name")
        key, at = scanstring(text, at + 1)
        at = _skip(text, at)
        if text[at : at + 1] != ":":
            raise ImportMalformed(reason="GeoJSON: expected ':'")
        at = _skip(text, at + 1)
        if key == "features" and text[at : at + 1] == "[":
            found = []
            at = _skip(text, at + 1)
            while text[at : at + 1] != "]":
                value, end = decoder.raw_decode(text, at)
                found.append((at, value))
                at = _skip(text, end)
                if text[at : at + 1] == ",":
                    at = _skip(text, at + 1)
                elif text[at : at + 1] != "]":
                    raise ImportMalformed(reason="GeoJSON: expected ',' or ']' in features")
            at += 1
        else:
            value, at = decoder.raw_decode(text, at)
            if key == "type":
                kind = value
        at = _skip(text, at)
        if text[at : at + 1] == ",":
            at = _skip(text, at + 1)
    if kind != "FeatureCollection" or found is None:
        raise ImportMalformed(reason="GeoJSON: expected a FeatureCollection with features")
    return found


def _geojson_rows(text: str) -> list[tuple[int, dict[str, Any]]]:
    # The standard library decodes by recursion and takes lone surrogate escapes.
    check_json(text.encode())
    try:
        features = _feature_offsets(text)
    except (JSONDecodeError, IndexError, ValueError) as exc:
        if isinstance(exc, ImportMalformed):
            raise
        raise ImportMalformed(reason=f"GeoJSON: {exc}") from None
    rows = []
    line, previous = 1, 0
    for offset, feature in features:
        line += text.count("\n", previous, offset)
        previous = offset
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            rows.append((line, {"__error__": "not a GeoJSON Feature"}))
            continue
        properties = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        if not isinstance(properties, dict):
            rows.append((line, {"__error__": "properties must be an object"}))
            continue
        row = dict(properties)
        if not isinstance(geometry, dict) or geometry.get("type") != "Point":
            row["__error__"] = "the geometry must be a Point"
        else:
            position = geometry.get("coordinates")
            if (
                isinstance(position, list)
                and len(position) in (2, 3)
                and all(isinstance(v, int | float) and not isinstance(v, bool) for v in position)
            ):
                row["lon"], row["lat"] = position[0], position[1]
            else:
                row["__error__"] = "Point coordinates must be [longitude, latitude]"
        rows.append((line, row))
    return rows


def number(row: dict[str, Any], field: str) -> float:
    """A required finite number from a CSV string or JSON number; ValueError with reason."""
    value = row.get(field)
    if value is None or value == "":
        raise ValueError(f"{field} is missing")
    if isinstance(value, bool):
        raise ValueError(f"{field} must be a number")
    try:
        result = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{field} must be a number, got {value!r}") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise ValueError(f"{field} must be a finite number")
    return result


_TRUE = {"true", "1", "yes", "y", "是", "有"}
_FALSE = {"false", "0", "no", "n", "否", "无"}


def boolean(value: Any, field: str) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{field} must be true or false, got {value!r}")
