"""Query parameter types shared by the routers.

Bounds go on ``QueryParameter``: a ``msgspec.Meta`` inside ``FromQuery[...]`` documents them
but Litestar does not enforce it for query strings, so ``?limit=0`` would slip through."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import Parameter, QueryParameter

MAX_PAGE = 100

PageLimit = Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)]

# Row ids and integer columns are 32-bit on PostgreSQL (SERIAL, INTEGER). A larger number
# names nothing, and neither driver can even send it (SQLite raises OverflowError, asyncpg
# a DataError), so it is refused as bad input at the edge rather than failing as a 500.
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
Int32 = Annotated[int, msgspec.Meta(ge=INT32_MIN, le=INT32_MAX)]  # in a request body
IdParam = Annotated[int, Parameter(ge=INT32_MIN, le=INT32_MAX)]  # a path parameter


def id_query(name: str) -> QueryParameter:
    """An optional integer query parameter: ``Annotated[int | None, id_query("unitId")]``."""
    return QueryParameter(name=name, ge=INT32_MIN, le=INT32_MAX)
