"""A wheel of casemgr carries everything the app needs outside a source checkout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from casemgr import ROOT


def test_wheel_carries_templates_migrations_static_and_data(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps",
                    "--no-build-isolation", "--quiet", "--wheel-dir", str(tmp_path)],
                   check=True, capture_output=True)
    wheel = next(tmp_path.glob("casemgr-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "casemgr/_bundled/templates/base.html",
        "casemgr/_bundled/templates/_macros.html",
        "casemgr/_bundled/migrations/env.py",
        "casemgr/_bundled/migrations/alembic.ini",
        "casemgr/static/css/casemgr.css",
        "casemgr/auth/common_passwords.txt",
        "casemgr/translations/ko/LC_MESSAGES/messages.mo",
        "casemgr/translations/ru/LC_MESSAGES/messages.mo",
    }
    assert expected <= names
    assert any(n.startswith("casemgr/_bundled/migrations/versions/0001_") for n in names)
    assert not any(n.startswith("instance/") or n.startswith("tests/") for n in names)
