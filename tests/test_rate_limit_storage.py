"""The rate-limit storage: Redis gets short timeouts, and a Redis that cannot be reached
does not turn logins into errors (each worker counts in memory until it is back). Sharing
one Redis between workers and hosts is tested in tests/scale/test_two_instances.py."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import log_in
from tests.scale.servers import free_port


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    # Nothing listens on this port: every attempt to reach "Redis" is refused.
    return {"RATELIMIT_STORAGE_URL": f"redis://127.0.0.1:{free_port()}/0",
            "LOGIN_RATE_LIMIT": "3 per hour"}


def test_redis_gets_short_timeouts(app) -> None:
    assert app.config["RATELIMIT_STORAGE_OPTIONS"] == {"socket_timeout": 2,
                                                       "socket_connect_timeout": 2}


def test_logins_are_limited_in_memory_while_redis_is_unreachable(client) -> None:
    statuses = [log_in(client, f"nobody{n}", "wrong password").status_code for n in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
