"""Query parameter types shared by the routers.

Bounds go on ``QueryParameter``: a ``msgspec.Meta`` inside ``FromQuery[...]`` documents them
but Litestar does not enforce it for query strings, so ``?limit=0`` would slip through."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

MAX_PAGE = 100

PageLimit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]
