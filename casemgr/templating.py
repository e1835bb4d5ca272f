"""What every template can use: navigation by role, the policy, locale-aware formatting."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from babel import Locale
from flask import Flask, request, url_for
from flask_babel import (
    force_locale,
    format_date,
    format_datetime,
    format_time,
    get_locale,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casemgr.applicants.fields import country_names, language_names
from casemgr.audit.services import AuditAction
from casemgr.auth.policy import Action, can
from casemgr.database import utcnow
from casemgr.i18n import interface_languages, locale_for_languages, number


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: Any
    action: Action


NAVIGATION = (
    NavItem("dashboard.index", _l("Dashboard"), Action.VIEW_DASHBOARD),
    NavItem("applicants.index", _l("Applicants"), Action.VIEW_APPLICANTS),
    NavItem("hearings.agenda", _l("Hearings"), Action.VIEW_HEARINGS),
    NavItem("needs.index", _l("Needs"), Action.VIEW_NEEDS),
    NavItem("statistics.index", _l("Statistics"), Action.VIEW_INTERNAL_STATISTICS),
    NavItem("admin.users", _l("Users"), Action.MANAGE_USERS),
    NavItem("admin.organisations", _l("Organisations"), Action.MANAGE_ORGANISATIONS),
    NavItem("audit.index", _l("Audit log"), Action.READ_AUDIT),
)


def _navigation() -> list[dict[str, Any]]:
    blueprint = request.blueprint
    return [
        {"url": url_for(item.endpoint), "label": item.label,
         "current": request.endpoint == item.endpoint
         or (blueprint is not None and item.endpoint.startswith(f"{blueprint}."))}
        for item in NAVIGATION if can(current_user, item.action)
    ]


# The style of a date (and date-time) when a template names none: CLDR's "medium" (Nov 28,
# 2026; 2026. 11. 28.), except where that spells the month out in an abbreviation
# ("28 нояб. 2026 г."); there the numeric "short" form people write (28.11.2026).
DEFAULT_STYLE = {"ru": "short"}


def _default_style(locale: Locale | None = None) -> str:
    locale = locale or get_locale()
    return DEFAULT_STYLE.get(locale.language if locale else "", "medium")


def _format_datetime(value: datetime | None, style: str | None = None) -> str:
    return "" if value is None else format_datetime(value, style or _default_style())


def _format_date(value: date | None, style: str | None = None) -> str:
    if value is None:
        return ""
    locale = get_locale()  # once: each look-up of the request's locale costs ~10 µs
    return _cached_date(value, style or _default_style(locale), locale)


@lru_cache(maxsize=4096)
def _cached_date(value: date, style: str, _locale: Locale | None) -> str:
    """Lists show the same few hundred dates again and again; Babel is slow per call."""
    return format_date(value, style)


def _format_time(value: datetime | None, style: str = "short") -> str:
    """A time of day in the configured time zone (14:30, 오후 2:30, 2:30 PM)."""
    return "" if value is None else format_time(value, style)


def _format_number(value: float | int | None) -> str:
    """Digits grouped as the locale groups them (1,234 or 1 234)."""
    return "" if value is None else number(value)


def in_locale(locale: str, caller: Callable[[], str]) -> str:
    """Part of a page in another interface language, for a document printed for someone
    else (the hearing notice in the applicant's language):
    {% call in_locale("ko") %}…{% endcall %}."""
    with force_locale(locale):
        return caller()


def url_with(**changes: Any) -> str:
    """The current page's URL with some query arguments replaced (for sort and paging links)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)


# An id no record has, to find where an id goes in a URL rule.
_ID_MARKER = 918_273_645_546_372_819


def id_url(endpoint: str, key: str) -> Callable[[int], str]:
    """The URLs of one endpoint for many ids, as url_for(endpoint, key=id) gives them:
    the rule is built once and each id put in its place ({% set case_url =
    id_url("cases.detail", "case_id") %} … {{ case_url(case.id) }}). A list of 50 rows
    otherwise builds every link through the URL map."""
    prefix, suffix = url_for(endpoint, **{key: _ID_MARKER}).split(str(_ID_MARKER))
    return lambda value: f"{prefix}{int(value)}{suffix}"


def country_name(code: str) -> str:
    return country_names().get(code, code)


def language_list(codes: list[str]) -> str:
    names = language_names()
    return ", ".join(names.get(code, code) for code in codes)


def action_label(action: str) -> str:
    try:
        return AuditAction(action).label
    except ValueError:
        return action


def init_templating(app: Flask) -> None:
    app.jinja_env.add_extension("jinja2.ext.do")
    app.jinja_env.filters["datetime"] = _format_datetime
    app.jinja_env.filters["date"] = _format_date
    app.jinja_env.filters["time"] = _format_time
    app.jinja_env.filters["number"] = _format_number
    app.jinja_env.globals.update(can=can, Action=Action, url_with=url_with, id_url=id_url,
                                 action_label=action_label, country_name=country_name,
                                 country_names=country_names,
                                 language_list=language_list, in_locale=in_locale,
                                 locale_for_languages=locale_for_languages)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "navigation": _navigation() if current_user.is_authenticated else [],
            "current_locale": str(get_locale() or app.config["DEFAULT_LOCALE"]),
            "interface_languages": interface_languages(),
            "now": utcnow(),
        }
