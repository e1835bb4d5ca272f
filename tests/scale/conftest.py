"""Fixtures of the scale tests: gunicorn instances sharing the test session's database."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.scale.servers import (
    REDIS_URL,
    Server,
    forget_redis_keys,
    require_postgres_and_redis,
    running,
    unique_prefix,
)

# What the two-instance tests set on both instances.
LOCKOUT_THRESHOLD = 4
LOGIN_RATE_LIMIT = 6  # per client address per hour


@pytest.fixture(scope="session")
def two_instances(database: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
                  ) -> Iterator[list[Server]]:
    """Two gunicorn instances (two workers each) on different ports, as two hosts would run
    behind a proxy: one PostgreSQL schema, one Redis database for the rate limits. Started
    once per test session, since starting gunicorn is the slow part (with pytest-xdist,
    once per worker that runs one of these tests: each worker has its own database)."""
    require_postgres_and_redis()
    prefix = unique_prefix()
    with running(2, database, tmp_path_factory.mktemp("two-instances"), workers=2,
                 CASEMGR_RATELIMIT_STORAGE_URL=REDIS_URL,
                 CASEMGR_RATELIMIT_KEY_PREFIX=prefix,
                 CASEMGR_PROXY_COUNT="1",
                 CASEMGR_LOCKOUT_THRESHOLD=str(LOCKOUT_THRESHOLD),
                 CASEMGR_LOGIN_RATE_LIMIT=f"{LOGIN_RATE_LIMIT} per hour",
                 CASEMGR_API_RATE_LIMIT="100000 per minute") as servers:
        yield servers
    forget_redis_keys(prefix)
