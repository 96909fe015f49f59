"""GeoReport v2 speaks XML (the spec's default) and JSON, chosen by the path's extension
(``requests.xml``, ``requests/{id}.json``). XML is written with the standard library's
ElementTree: we only write XML, never parse it (requests come form-encoded)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal
from xml.etree import ElementTree as ET

import msgspec
from litestar import Request, Response

from api.open311.errors import Open311NotFound

Format = Literal["json", "xml"]
XML_MEDIA_TYPE = "text/xml"  # Litestar adds "; charset=utf-8"
# The element of one item of each list, as the spec's XML examples name them.
ITEMS = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}


def split_format(segment: str) -> tuple[str, Format]:
    """``k_abc.xml`` -> (``k_abc``, ``xml``); no known extension: a 404 like an unknown id."""
    stem, dot, ext = segment.rpartition(".")
    if not dot or ext not in ("json", "xml"):
        raise Open311NotFound(what=segment)
    return stem, ext  # type: ignore[return-value]


def path_format(request: Request) -> Format:
    return "xml" if request.url.path.endswith(".xml") else "json"


# Characters XML 1.0 cannot carry at all, even escaped: a stored text holding one (a tab is
# fine, a vertical tab is not) would otherwise make the whole document unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return "" if value is None else _NOT_XML.sub("", str(value))


def _fill(parent: ET.Element, value: Any, tag: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _fill(ET.SubElement(parent, key), item, key)
    elif isinstance(value, list):
        for item in value:
            _fill(ET.SubElement(parent, ITEMS.get(tag, "item")), item, "item")
    else:
        parent.text = _text(value)


def to_xml(root: str, item: str | None, data: Any) -> bytes:
    """``data`` (Structs, lists of them) under ``<root>``; a list's entries as ``<item>``."""
    tree = ET.Element(root)
    plain = msgspec.to_builtins(data, builtin_types=(dt.datetime,))
    if item is not None:
        for entry in plain:
            _fill(ET.SubElement(tree, item), entry, item)
    else:
        _fill(tree, plain, root)
    return ET.tostring(tree, encoding="utf-8", xml_declaration=True)


def respond(data: Any, fmt: Format, *, root: str, item: str | None, status: int = 200) -> Response:
    if fmt == "xml":
        return Response(to_xml(root, item, data), status_code=status, media_type=XML_MEDIA_TYPE)
    return Response(data, status_code=status)
