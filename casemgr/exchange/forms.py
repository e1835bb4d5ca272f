"""Forms of the import pages: the upload, and the one-click confirm and cancel."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired


class UploadForm(FlaskForm):
    file = FileField(_l("File (.csv or .xlsx)"), validators=[
        FileRequired(_l("Choose a file to import.")),
        FileAllowed(["csv", "xlsx"], _l("Use a .csv or .xlsx file."))],
        description=_l("The columns of the record format; the header is the first row."))


class ConfirmImportForm(FlaskForm):
    """A POST carrying only the CSRF token: import the checked file, or cancel it."""
