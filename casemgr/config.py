"""Configuration: defaults, then instance/config.py, then CASEMGR_* environment, then overrides.

Each setting is declared once in SETTINGS, which drives parsing, the Flask keys it feeds
and the README's configuration table (a test checks the README mentions every one).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Config, Flask

from casemgr import TRANSLATIONS_DIR
from casemgr.logs import parse_format

ENV_PREFIX = "CASEMGR_"


def parse_level(value: Any) -> str:
    """A logging level name (DEBUG, INFO, WARNING, ERROR)."""
    text = str(value).strip().upper()
    if text not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError(f"not a log level: {value!r}")
    return text


def parse_bool(value: Any) -> bool:
    """Accept the spellings people put in environment files."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    parse: Callable[[Any], Any]
    help: str
    flask_keys: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting("DATABASE_URL", None, str,
            "SQLAlchemy URL; default sqlite:///<instance>/casemgr.sqlite3",
            ("SQLALCHEMY_DATABASE_URI",)),
    Setting("SECRET_KEY", None, str,
            "session signing key; default generated once into instance/secret_key (0600)"),
    Setting("RATELIMIT_STORAGE_URL", "memory://", str,
            "Flask-Limiter storage; use redis://… when several workers or hosts run",
            ("RATELIMIT_STORAGE_URI",)),
    Setting("RATELIMIT_KEY_PREFIX", "casemgr", str,
            "prefix of the rate-limit keys, so that several deployments can share one Redis",
            ("RATELIMIT_KEY_PREFIX",)),
    Setting("PUBLIC_STATISTICS", True, parse_bool,
            "serve the protected (public) statistics without login"),
    Setting("SESSION_COOKIE_SECURE", False, parse_bool,
            "mark cookies Secure; set 1 behind HTTPS", ("SESSION_COOKIE_SECURE",)),
    Setting("LOGIN_RATE_LIMIT", "20 per minute;200 per hour", str,
            "login attempts allowed per client address (Flask-Limiter syntax)"),
    Setting("API_RATE_LIMIT", "300 per minute", str,
            "JSON API requests allowed per token (per client address without one)"),
    Setting("SESSION_IDLE_MINUTES", 30, int,
            "a browser session ends after this many minutes without a request"),
    Setting("SESSION_MAX_HOURS", 12, int,
            "a browser session ends this many hours after login, however active"),
    Setting("TWO_FACTOR_ROLES", "admin,supervisor", str,
            "roles that must use two-factor login (comma-separated; empty: none)"),
    Setting("LOCKOUT_THRESHOLD", 10, int,
            "failed logins in a row that lock an account"),
    Setting("LOCKOUT_MINUTES", 15, int, "how long a locked account stays locked"),
    Setting("TIMEZONE", "UTC", str,
            "time zone for displayed date-times (IANA name, e.g. Asia/Seoul)"),
    Setting("DEFAULT_LOCALE", "en", str,
            "interface language when the browser asks for none we have (en, ko, ru)"),
    Setting("PROXY_COUNT", 0, int,
            "number of trusted reverse proxies in front of the app (X-Forwarded-For/Proto)"),
    Setting("LOG_FORMAT", "text", parse_format,
            "logs on stdout: `text` (one readable line) or `json` (one object per line, "
            "what gunicorn.conf.py sets)"),
    Setting("LOG_LEVEL", "INFO", parse_level,
            "the least important log records written (DEBUG, INFO, WARNING, ERROR)"),
    Setting("RETENTION_YEARS", 10, int,
            "`casemgr retention run` anonymises people whose every case closed this many "
            "years ago or more"),
)


class Defaults:
    """Framework settings that are not meant to be changed per deployment."""

    SQLALCHEMY_ENGINE_OPTIONS: dict[str, Any] = {"pool_pre_ping": True}
    SQLALCHEMY_RECORD_QUERIES = False
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_NAME = "casemgr_session"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    BOOTSTRAP_SERVE_LOCAL = True
    BABEL_TRANSLATION_DIRECTORIES = str(TRANSLATIONS_DIR)
    SUPPORTED_LOCALES = ("en", "ko", "ru")
    RATELIMIT_HEADERS_ENABLED = True
    # If Redis cannot be reached, each worker counts in its own memory until it answers
    # again, rather than every rate-limited request failing; the lockout (in the database)
    # still holds across workers.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = True
    PAGE_SIZE = 50
    MAX_CONTENT_LENGTH = 10 * 1024 * 1024  # views marked @accepts_upload (imports)
    MAX_FORM_BYTES = 100 * 1024  # every other request body


REDIS_OPTIONS = {"socket_timeout": 2, "socket_connect_timeout": 2}


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Fill app.config from every source, later sources winning."""
    app.config.from_object(Defaults)
    values: dict[str, Any] = {s.name: s.default for s in SETTINGS}

    instance_config = Config(app.instance_path)
    instance_config.from_pyfile("config.py", silent=True)
    values.update(_known(instance_config))
    values.update(_known({k[len(ENV_PREFIX):]: v for k, v in os.environ.items()
                          if k.startswith(ENV_PREFIX)}))
    passthrough = {}
    for key, value in (overrides or {}).items():
        if key in values:
            values[key] = value
        else:
            passthrough[key] = value

    for setting in SETTINGS:
        raw = values[setting.name]
        value = setting.parse(raw) if raw is not None else None
        app.config[setting.name] = value
        for flask_key in setting.flask_keys:
            app.config[flask_key] = value

    if app.config["RATELIMIT_STORAGE_URI"].startswith(("redis://", "rediss://")):
        # A Redis that hangs must not hang every login with it.
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", dict(REDIS_OPTIONS))
    if not app.config["SQLALCHEMY_DATABASE_URI"]:
        database = Path(app.instance_path) / "casemgr.sqlite3"
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{database}"
        app.config["DATABASE_URL"] = app.config["SQLALCHEMY_DATABASE_URI"]
    app.config.update(passthrough)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(Path(app.instance_path))


def _known(namespace: dict[str, Any]) -> dict[str, Any]:
    """The entries of a namespace that name a setting, with or without the CASEMGR_ prefix."""
    names = {s.name for s in SETTINGS}
    found: dict[str, Any] = {}
    for key, value in namespace.items():
        name = key[len(ENV_PREFIX):] if key.startswith(ENV_PREFIX) else key
        if name in names:
            found[name] = value
    return found


def _instance_secret_key(instance: Path) -> str:
    """Read the instance's secret key, creating it (mode 0600) the first time.

    The key is written to a private draft and hard-linked into place, so several
    workers starting at once agree on one complete key.
    """
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if path.is_file():
        return path.read_text().strip()
    draft = instance / f".secret_key.{os.getpid()}"
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32))
    try:
        os.link(draft, path)  # atomic: fails if another worker got there first
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
