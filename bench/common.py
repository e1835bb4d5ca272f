"""Shared helpers for the benchmark scripts: the app on a given database, a logged-in
test client, timing with medians, and a description of this machine."""

from __future__ import annotations

import os
import platform
import re
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from casemgr import create_app
from casemgr.demo import DEMO_PASSWORD

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def make_app(database_url: str) -> Any:
    instance = Path(tempfile.gettempdir()) / "casemgr-bench-instance"
    os.environ.setdefault("CASEMGR_INSTANCE_PATH", str(instance))
    return create_app({"DATABASE_URL": database_url, "LOGIN_RATE_LIMIT": "1000 per minute"})


def logged_in(app: Any, username: str) -> Any:
    client = app.test_client()
    token = CSRF.search(client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"username": username, "password": DEMO_PASSWORD,
                                           "csrf_token": token})
    if response.status_code != 302:
        raise SystemExit(f"log in as {username} failed: load the demo data first")
    return client


def get_ok(client: Any, url: str, **kwargs: Any) -> None:
    """GET a page and stop the benchmark if it did not answer 200 (a timing of an error
    page would be meaningless)."""
    response = client.get(url, **kwargs)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}")


def timed(call: Callable[[], Any], repeat: int) -> list[float]:
    """Wall-clock milliseconds of `repeat` calls."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"median": statistics.median(ordered), "min": ordered[0], "max": ordered[-1],
            "p90": ordered[max(0, int(len(ordered) * 0.9) - 1)]}


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"
