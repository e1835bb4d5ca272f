"""What every template can use: navigation by role, the policy, locale-aware formatting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, format_decimal, get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from casemgr.applicants.fields import country_names, language_names
from casemgr.audit.services import AuditAction
from casemgr.auth.policy import Action, can
from casemgr.database import utcnow


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


def _format_datetime(value: datetime | None, style: str = "medium") -> str:
    return "" if value is None else format_datetime(value, style)


def _format_date(value: date | None, style: str = "medium") -> str:
    return "" if value is None else _cached_date(value, style, str(get_locale()))


@lru_cache(maxsize=4096)
def _cached_date(value: date, style: str, _locale: str) -> str:
    """Lists show the same few hundred dates again and again; Babel is slow per call."""
    return format_date(value, style)


def _format_number(value: float | int | None) -> str:
    return "" if value is None else format_decimal(value)


def url_with(**changes: Any) -> str:
    """The current page's URL with some query arguments replaced (for sort and paging links)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint or "", **(request.view_args or {}), **args)


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
    app.jinja_env.filters["number"] = _format_number
    app.jinja_env.globals.update(can=can, Action=Action, url_with=url_with,
                                 action_label=action_label, country_name=country_name,
                                 language_list=language_list)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {
            "navigation": _navigation() if current_user.is_authenticated else [],
            "current_locale": str(get_locale() or app.config["DEFAULT_LOCALE"]),
            "now": utcnow(),
        }
