"""The demo city and an Open311 client's key, for the GeoReport tests."""

import pytest

from accounts.api_keys import create_api_client
from core.db import transaction
from tests.cases_city import build_city


@pytest.fixture
async def city(api):
    return await build_city(api)


@pytest.fixture
async def key(city):
    async with transaction():
        return (await create_api_client(name="hotline-12345", kind="system")).key
