"""Form helpers shared by every package."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property, lru_cache
from typing import Any

from flask import flash
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import SelectField, ValidationError, widgets
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from casemgr.exceptions import InvalidTransition, PermissionDenied, StaleRecord, ValidationFailed


def show_errors(form: FlaskForm, error: ValidationFailed) -> None:
    """Attach a service's field errors to the form; unknown fields go to the form as a whole."""
    for field_name, messages in error.errors.items():
        field = form._fields.get(field_name)
        if field is not None:
            field.errors = [*field.errors, *messages]
        else:
            form.form_errors.extend(messages)


def show_stale(form: FlaskForm, error: StaleRecord) -> list[dict[str, Any]]:
    """Keep the user's entries, move the form to the current version, and return what
    changed meanwhile, so saving again is a deliberate choice."""
    flash(_("Not saved: someone changed this record after you opened it. Their changes are "
            "listed below; the form shows your entries against the current version. "
            "Save again to keep yours."), "warning")
    form.version.data = error.current.version
    form.version.raw_data = [str(error.current.version)]
    return error.changes


class Options(list[SelectChoice]):
    """Select options whose HTML (for CachedSelect) is built once per list: a list kept for
    a locale (the countries) renders on every page view without building it again."""

    @cached_property
    def html(self) -> str:
        return _options_html(tuple((str(c.value), str(c.label)) for c in self))


def options(pairs: Iterable[tuple[Any, Any]], *, blank: Any = None) -> Options:
    """Select options from (value, label) pairs, optionally led by an empty "any" option."""
    choices = Options([SelectChoice("", str(blank))] if blank is not None else [])
    choices.extend(SelectChoice(value, str(label)) for value, label in pairs)
    return choices


def submit(form: FlaskForm, operation: Callable[[], Any]) -> bool:
    """Run a service call for a validated form; turn its domain errors into form messages.

    Returns True when the operation succeeded (the caller commits). A refusal by the
    policy becomes an audited 403; a stale version keeps the user's entries and puts
    what changed meanwhile on `form.stale_changes`.
    """
    from casemgr.auth.policy import deny

    try:
        operation()
    except ValidationFailed as error:
        show_errors(form, error)
    except StaleRecord as error:
        form.stale_changes = show_stale(form, error)  # type: ignore[attr-defined]
    except InvalidTransition as error:
        form.form_errors.append(error.message)
    except PermissionDenied as error:
        deny(error.message)
    else:
        return True
    return False


@lru_cache(maxsize=256)
def _options_html(pairs: tuple[tuple[str, str], ...]) -> str:
    return "".join(f'<option value="{escape(value)}">{escape(label)}</option>'
                   for value, label in pairs)


class CachedSelect(widgets.Select):
    """A select whose options' HTML is built once per distinct list of options.

    The chosen values are marked on a copy, instead of rendering every option through
    WTForms on every page view: worth it for hundreds of fixed options (countries,
    languages) and for the filters above every list, which render on each view of it.
    """

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        kwargs.setdefault("id", field.id)
        if self.multiple:
            kwargs["multiple"] = True
        choices = field.choices
        options = (choices.html if isinstance(choices, Options) else
                   _options_html(tuple((str(c.value), str(c.label)) for c in choices)))
        chosen = field.data if isinstance(field.data, list) else [field.data]
        for value in chosen:
            if value not in (None, ""):
                marker = f'<option value="{escape(value)}">'
                options = options.replace(marker, marker[:-1] + " selected>", 1)
        params = widgets.html_params(name=field.name, **kwargs)  # escapes its values
        return Markup(f"<select {params}>{options}</select>")  # noqa: S704 - every part escaped above # nosec B704


class FilterForm(FlaskForm):
    """The filters of a list page: sent by GET, so bookmarkable, and without a CSRF token
    (they change nothing)."""

    class Meta:
        csrf = False


# SelectField's own message, kept word for word so that WTForms' catalogue (which Flask-WTF
# loads for the request's locale) translates it; a name, not a literal, so that
# `make messages` does not copy it into ours.
WTFORMS_INVALID_CHOICE = "Not a valid choice."


class FilterSelectField(SelectField):
    """A filter's select: optional (no value, no filter), its options rendered from cache
    (CachedSelect) and a value given checked against the options' values alone.

    WTForms' own check copies every option into a new Choice to find the chosen one, and
    for a filter left empty it fails and loads the WTForms message catalogue before
    Optional clears the error: about 0.5 ms for the list of countries, on every view of a
    list.
    """

    widget = CachedSelect()

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        super().__init__(label, validators=[Optional(strip_whitespace=False)], **kwargs)

    def pre_validate(self, form: Any) -> None:
        if self.data in (None, ""):
            return
        if not any(self.coerce(choice.value) == self.data for choice in self.choices or ()):
            raise ValidationError(self.gettext(WTFORMS_INVALID_CHOICE))
