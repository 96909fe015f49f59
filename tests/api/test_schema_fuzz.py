"""Schema fuzzing (schemathesis) of the running app against its own OpenAPI document: every
operation, as every role (anonymous, the intake API key, a citizen, inspector, handler,
merchant, operator, admin), positive and negative cases. No response may be a server error,
and every response must match the status codes, media types, schemas and headers the
document declares.

Three phases: hostile inputs on every operation (tests/fuzz_hostile.py: NUL and lone
surrogates, 2**63 and 2**70, edge date-times, crafted cursors, JSON nested 1,000 deep,
oversize bodies), linked operations (tests/fuzz_stateful.py: create, then act on what was
created), then random cases per role; the date-time and date strategies of the random phase
also draw the edge values.

The app runs as a uvicorn process: on SQLite with a file of its own, on PostgreSQL on the
suite's database (the in-process ASGI route would run it on another loop, where the
PostgreSQL pool cannot serve). The roles run in an order where the ones that can change
other accounts (operator, admin) come last; the other phases run before them.

Budget: ``CITYOPS_FUZZ_EXAMPLES`` cases per operation a role may use (default 12),
``CITYOPS_FUZZ_AWAY_EXAMPLES`` where it is refused (default 2), ``CITYOPS_FUZZ_SEQUENCES``
linked sequences of 40 steps (default 15); ``CITYOPS_FUZZ_SEED`` varies the generated data
(fixed by default so a run is repeatable)."""

from __future__ import annotations

import os

import pytest

from tests.conftest import ON_POSTGRES, WECHAT_SECRET
from tests.fuzz_hostile import fuzz_hostile, register_formats
from tests.fuzz_stateful import fuzz_linked
from tests.fuzz_support import FUZZ_SEED, ROLES, checks, fuzz_env, fuzz_role, prepare, seed_script
from tests.servers import app_env, free_port, running_apps, seed

HOME_EXAMPLES = int(os.environ.get("CITYOPS_FUZZ_EXAMPLES", "12"))
AWAY_EXAMPLES = int(os.environ.get("CITYOPS_FUZZ_AWAY_EXAMPLES", "2"))
SEQUENCES = int(os.environ.get("CITYOPS_FUZZ_SEQUENCES", "15"))
DATABASE = "postgresql" if ON_POSTGRES else "sqlite"
PG_URL = os.environ.get("CITYOPS_TEST_DATABASE_URL", "")


@pytest.fixture(scope="module")
async def fuzzed(client, wechat_fake, tmp_path_factory):
    import schemathesis

    root = tmp_path_factory.mktemp("fuzz")
    port = free_port()
    extra = fuzz_env(
        CITYOPS_WECHAT_BASE_URL=wechat_fake.url,
        CITYOPS_WECHAT_SECRET=WECHAT_SECRET,
    )
    if ON_POSTGRES:
        from core.schema import truncate_all

        # The suite's database, already migrated by the `schema` fixture: start it empty.
        await truncate_all()
        extra["CITYOPS_DATABASE_URL"] = PG_URL
    env = app_env(root, port, "fuzz.db", **extra)
    seed(env, seed_script())
    register_formats()
    with running_apps(env, port=port) as (base,):
        world = prepare(base, wechat_fake.url)
        schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
        yield schema, world, base


def test_hostile_inputs_on_every_operation(fuzzed, capsys):
    """Runs before the roles' phases, whose admin may revoke the keys it signs in with."""
    schema, world, base = fuzzed
    run = fuzz_hostile(schema, schema.raw_schema, world, base=base, checks=checks())
    with capsys.disabled():
        print(f"\n{run.summary(DATABASE)}")
    assert run.operations >= 150 and run.requests >= 1000
    if run.failures:
        pytest.fail("\n\n".join(run.failures), pytrace=False)


def test_linked_operations(fuzzed, capsys):
    """Create, then act on what was created (tests/fuzz_stateful.py)."""
    schema, world, base = fuzzed
    run = fuzz_linked(
        schema, world, base=base, checks=checks(), sequences=SEQUENCES, steps=40, seed=FUZZ_SEED
    )
    with capsys.disabled():
        print(f"\n{run.summary(DATABASE, SEQUENCES)}")
    # The links held: what was created was acted on.
    assert run.created["reports"] > 0 and run.created["redemptions"] > 0, run.created


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_as(role, fuzzed, capsys):
    schema, world, base = fuzzed
    run = fuzz_role(
        schema,
        world,
        role,
        base=base,
        home_examples=HOME_EXAMPLES,
        away_examples=AWAY_EXAMPLES,
    )
    with capsys.disabled():
        print(f"\n{run.summary(DATABASE)}")
    # Every operation of the document was sent something, and the role's credentials
    # worked where it may go (else every answer would be a conforming 401).
    assert run.operations >= 150
    assert not run.unexercised, run.unexercised
    assert run.home_successes > 0
    if run.failures:
        pytest.fail("\n\n".join(run.failures), pytrace=False)
