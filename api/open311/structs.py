"""What Open311 GeoReport v2 answers, field for field as the spec names them."""

from __future__ import annotations

import datetime as dt

import msgspec


class ServiceOut(msgspec.Struct, frozen=True):
    service_code: str
    service_name: str
    description: str
    metadata: bool
    type: str
    keywords: str
    group: str


class ValueOut(msgspec.Struct, frozen=True):
    key: str
    name: str


class AttributeOut(msgspec.Struct, frozen=True):
    variable: bool
    code: str
    datatype: str
    required: bool
    datatype_description: str
    order: int
    description: str
    # The choices of a singlevaluelist or multivaluelist attribute.
    values: list[ValueOut] = []


class DefinitionOut(msgspec.Struct, frozen=True):
    service_code: str
    attributes: list[AttributeOut]


class RequestOut(msgspec.Struct, frozen=True):
    service_request_id: str
    status: str
    status_notes: str
    service_name: str
    service_code: str
    description: str
    agency_responsible: str
    service_notice: str
    requested_datetime: dt.datetime
    updated_datetime: dt.datetime
    expected_datetime: dt.datetime | None
    address: str
    address_id: str
    zipcode: str
    lat: float
    long: float
    media_url: str


class CreatedOut(msgspec.Struct, frozen=True):
    service_request_id: str
    service_notice: str
    account_id: str | None


class EndpointOut(msgspec.Struct, frozen=True):
    specification: str
    url: str
    changeset: str
    type: str
    formats: list[str]


class DiscoveryOut(msgspec.Struct, frozen=True):
    changeset: str
    contact: str
    key_service: str
    endpoints: list[EndpointOut]


# The questions every service asks beyond location and description: categories carry no
# questions of their own, so these are the fields our report intake takes.
ATTRIBUTES = [
    AttributeOut(
        variable=True,
        code="occurred_at",
        datatype="datetime",
        required=False,
        datatype_description="ISO 8601, e.g. 2026-11-28T08:30:00+08:00",
        order=1,
        description="When was the problem seen? 发现时间",
    ),
    AttributeOut(
        variable=True,
        code="anonymous",
        datatype="singlevaluelist",
        required=False,
        datatype_description="true or false",
        order=2,
        description="Keep the reporter anonymous 匿名上报",
        values=[
            ValueOut(key="true", name="匿名 anonymous"),
            ValueOut(key="false", name="署名 named"),
        ],
    ),
]
