"""Password hashing and the password rules."""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

MIN_LENGTH = 12
MAX_LENGTH = 256
# werkzeug's scrypt with its default cost (N=2^15, r=8, p=1). The test suite lowers it.
HASH_METHOD = "scrypt"
_TRAILING_NOISE = re.compile(r"[\d\W_]+$")


@cache
def _dummy_hash(method: str) -> str:
    """Checked against when the username is unknown, so both failures cost the same time."""
    return generate_password_hash("casemgr-timing-equaliser", method=method)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def verify_password(password_hash: str | None, password: str) -> bool:
    return check_password_hash(password_hash or _dummy_hash(HASH_METHOD), password) and bool(
        password_hash)


@cache
def common_passwords() -> frozenset[str]:
    text = files("casemgr.auth").joinpath("common_passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line and not line.startswith("#")
    )


def password_problems(password: str, username: str) -> list[str]:
    """Why a password may not be used; empty when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(_("Use at least %(n)d characters.", n=MIN_LENGTH))
    if len(password) > MAX_LENGTH:
        problems.append(_("Use at most %(n)d characters.", n=MAX_LENGTH))
    lowered = password.lower()
    if username and username.lower() in lowered:
        problems.append(_("The password must not contain the username."))
    stem = _TRAILING_NOISE.sub("", lowered)
    if lowered in common_passwords() or stem in common_passwords():
        problems.append(_("This password is too common; choose another."))
    return problems
