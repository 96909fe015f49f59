import pytest

from tests.faults.private_postgres import PrivatePostgres, availability
from tests.helpers import require_system


@pytest.fixture(scope="module")
def private_pg():
    """A PostgreSQL cluster of this test module's own, to restart or to fill at will."""
    require_system("PostgreSQL server binaries", *availability())
    pg = PrivatePostgres().init()
    pg.start()
    try:
        yield pg
    finally:
        pg.destroy()
