from tests.faults.conftest import private_pg  # noqa: F401 - the clusters' own PostgreSQL
