"""Every user-visible string is marked for translation.

Templates: the literal text between tags, and the text of attributes people read or hear
(aria-label, title, placeholder, alt, button values), must contain no letters once the
Jinja expressions are taken out; string literals inside expressions that look like prose
must be arguments of _() / ngettext(). Python: flash messages, form labels, descriptions,
choices, placeholders and validator messages must not be bare string literals.
"""

from __future__ import annotations

import ast
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment

from casemgr import PACKAGE_DIR, ROOT

TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))
PYTHON_FILES = sorted(PACKAGE_DIR.rglob("*.py"))

# Text that is the same in every language.
ALLOWED_TEXT = {
    "casemgr",  # the product's name
    "[c]",  # the statistical symbol for a confidential (suppressed) cell
}
READ_ATTRIBUTES = {"aria-label", "aria-description", "aria-roledescription", "aria-valuetext",
                   "alt", "placeholder", "title"}
BUTTON_TYPES = {"submit", "button", "reset"}
GETTEXT_NAMES = {"_", "gettext", "ngettext", "pgettext", "npgettext"}
LETTER = re.compile(r"[^\W\d_]")
HOLE = "\ufffc"  # stands in for a Jinja expression or statement

jinja = Environment(extensions=["jinja2.ext.do", "jinja2.ext.i18n"], autoescape=True)


def _skeleton(source: str) -> str:
    """The template with every {{ … }} and {% … %} replaced by HOLE (line breaks kept) and
    comments dropped: the HTML a translator never sees through _()."""
    parts: list[str] = []
    for _line, kind, value in jinja.lex(source):
        if kind == "data":
            parts.append(value)
        elif kind in {"variable_begin", "block_begin"}:
            parts.append(HOLE)
        else:
            parts.append("\n" * value.count("\n"))
    return "".join(parts)


def _visible(text: str) -> str:
    text = " ".join(text.replace(HOLE, " ").split())
    for allowed in ALLOWED_TEXT:
        text = text.replace(allowed, "")
    return text if LETTER.search(text) else ""


class _TextFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[int, str]] = []
        self._raw = 0  # inside <script> or <style>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self._raw += 1
        values = dict(attrs)
        for name, value in attrs:
            read = name in READ_ATTRIBUTES or (
                name == "value" and (tag == "button" or values.get("type") in BUTTON_TYPES))
            if read and value and _visible(value):
                self.found.append((self.getpos()[0], f'{name}="{value}"'))

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"}:
            self._raw -= 1

    def handle_data(self, data: str) -> None:
        if not self._raw and _visible(data):
            self.found.append((self.getpos()[0], _visible(data)))


def unmarked_text(source: str) -> list[tuple[int, str]]:
    """(line, text) of the visible text in a template that is not inside _()."""
    finder = _TextFinder()
    finder.feed(_skeleton(source))
    finder.close()
    return finder.found


# A literal in an expression is prose (and must be translated) when it has a capitalised
# word or several words; CSS classes, endpoints, field types and format codes are not.
_CODE_WORD = re.compile(r"^[a-z0-9_.:/%-]*$|^[A-Z][A-Za-z]*Field$|^%[A-Za-z:%-]+$")


def _is_prose(literal: str) -> bool:
    words = literal.split()
    if not any(LETTER.search(word) for word in words):
        return False
    return not all(_CODE_WORD.match(word) for word in words)


def unmarked_literals(source: str) -> list[tuple[int, str]]:
    """(line, literal) of prose string literals in expressions outside _() / ngettext()."""
    found: list[tuple[int, str]] = []
    calls: list[bool] = []  # for each open parenthesis: is it a gettext call?
    previous: tuple[str, str] = ("", "")
    for line, kind, value in jinja.lex(source):
        if kind == "whitespace":
            continue
        if kind == "operator" and value == "(":
            calls.append(previous[0] == "name" and previous[1] in GETTEXT_NAMES)
        elif kind == "operator" and value == ")" and calls:
            calls.pop()
        elif kind == "string" and not any(calls) and value not in ALLOWED_TEXT:
            text = value.strip("'\"")
            if _is_prose(text):
                found.append((line, text))
        previous = (kind, value)
    return found


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_template_text_is_marked_for_translation(template: Path) -> None:
    source = template.read_text(encoding="utf-8")
    problems = unmarked_text(source) + unmarked_literals(source)
    assert not problems, "wrap in {{ _(\"…\") }}: " + "; ".join(
        f"line {line}: {text!r}" for line, text in problems)


def test_the_template_check_finds_what_it_should() -> None:
    """The checker itself: text, attributes and prose literals are found; marked text,
    markup, entities, numbers, comments and code-like literals are not."""
    source = """{# A comment with words #}
<p class="lead">Plain words</p>
<button type="button" aria-label="Close">&times;</button>
<input type="submit" value="Save">
<input placeholder="{{ _('Search') }}" title="{{ name }}">
<td>{{ count|number }} &middot; 12</td><span>casemgr</span>
{{ submit("Save changes", "outline-danger") }} {{ _("Marked %(x)s", x="form-control") }}
{% set cls = "form-select form-select-sm" %}{{ f.type == "SelectField" }}
"""
    assert [text for _line, text in unmarked_text(source)] == [
        "Plain words", 'aria-label="Close"', 'value="Save"']
    assert unmarked_literals(source) == [(7, "Save changes")]


# --- Python ---------------------------------------------------------------------------------

VALIDATORS = {"DataRequired", "InputRequired", "Length", "EqualTo", "Regexp", "Email",
              "NumberRange", "AnyOf", "NoneOf", "Optional", "URL"}
EXCEPTIONS_SHOWN_TO_USERS = {"ValidationError", "ValidationFailed", "InvalidTransition",
                             "ImportRejected", "StaleRecord"}
READ_RENDER_KW = {"placeholder", "title", "aria-label"}


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _is_bare_text(node: ast.expr | None) -> bool:
    """A literal (or f-string, or concatenation of them) with words in it."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and bool(re.search(r"[^\W\d_]{2}", node.value))
    if isinstance(node, ast.JoinedStr):
        return True
    if isinstance(node, ast.BinOp):
        return _is_bare_text(node.left) or _is_bare_text(node.right)
    return False


def _user_facing_arguments(call: ast.Call) -> list[ast.expr]:
    """The arguments of a call whose text reaches a page."""
    name = _name(call.func)
    keywords = {k.arg: k.value for k in call.keywords if k.arg}
    if name == "flash":
        return call.args[:1]
    if name.endswith("Field") and name != "Field":  # WTForms fields (pydantic's is API docs)
        found = [*call.args[:1], *(keywords[k] for k in ("label", "description") if k in keywords)]
        choices = keywords.get("choices")
        if isinstance(choices, ast.List | ast.Tuple):
            found += [item.elts[1] for item in choices.elts
                      if isinstance(item, ast.Tuple) and len(item.elts) == 2]
        render_kw = keywords.get("render_kw")
        if isinstance(render_kw, ast.Dict):
            found += [value for key, value in zip(render_kw.keys, render_kw.values, strict=True)
                      if isinstance(key, ast.Constant) and key.value in READ_RENDER_KW]
        return found
    if name in VALIDATORS:
        return [keywords["message"]] if "message" in keywords else []
    if name in EXCEPTIONS_SHOWN_TO_USERS:
        return call.args[:1]
    if name == "single":  # ValidationFailed.single(field, message)
        return call.args[1:2]
    return []


def _error_list_items(node: ast.Assign) -> list[ast.expr]:
    """The messages of `errors[field] = [...]`, as services collect them."""
    target = node.targets[0]
    if (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name)
            and target.value.id == "errors" and isinstance(node.value, ast.List)):
        return node.value.elts
    return []


def unmarked_python(source: str) -> list[tuple[int, str]]:
    found = []
    for node in ast.walk(ast.parse(source)):
        arguments = (_user_facing_arguments(node) if isinstance(node, ast.Call)
                     else _error_list_items(node) if isinstance(node, ast.Assign) else [])
        found += [(arg.lineno, ast.unparse(arg)) for arg in arguments if _is_bare_text(arg)]
    return sorted(found)


@pytest.mark.parametrize("module", PYTHON_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_python_messages_are_marked_for_translation(module: Path) -> None:
    problems = unmarked_python(module.read_text(encoding="utf-8"))
    assert not problems, "wrap in _() or _l(): " + "; ".join(
        f"line {line}: {text}" for line, text in problems)


def test_the_python_check_finds_what_it_should() -> None:
    source = '''
flash("Saved.", "success")
flash(_("Saved."), "success")
name = StringField("Name", validators=[Length(max=5, message="Too long")])
kind = SelectField(_l("Kind"), choices=[("a", "Agency"), ("b", _l("Bank"))],
                   render_kw={"placeholder": "e.g. ICN", "autocomplete": "off"})
raise ValidationError(f"No {x}")
schema = Field(description="API documentation stays English")
raise ValidationFailed.single("name", "Taken.")
errors["name"] = ["Too short.", _("Marked.")]
'''
    assert [text for _line, text in unmarked_python(source)] == [
        "'Saved.'", "'Name'", "'Too long'", "'Agency'", "'e.g. ICN'", "f'No {x}'", "'Taken.'",
        "'Too short.'"]
