"""A journey through casemgr in Chromium: navigation helpers that run axe-core on every page
they reach, so no page of a journey escapes the accessibility check."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from axe_playwright_python.sync_playwright import Axe

CHROMIUM = Path("/usr/bin/chromium")
# Headless, and nothing that reaches out to the network or asks questions at first start.
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DEMO_PASSWORD = "casemgr-demo-2026"  # the published demo credential

# The WCAG 2.0/2.1 level A and AA rules of axe-core; a journey fails on any violation of
# these that axe rates serious or critical.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = {"serious", "critical"}
AXE = Axe()
# A label (or a description) pointing at an id that several elements carry names the wrong
# field for one of them; axe-core 4.x no longer reports duplicate ids, so this does.
AMBIGUOUS_REFERENCES = """() => {
  const count = {};
  for (const element of document.querySelectorAll("[id]")) {
    count[element.id] = (count[element.id] || 0) + 1;
  }
  const referenced = [...document.querySelectorAll("label[for]")].map(l => l.htmlFor);
  for (const element of document.querySelectorAll("[aria-describedby], [aria-labelledby]")) {
    for (const attribute of ["aria-describedby", "aria-labelledby"]) {
      referenced.push(...(element.getAttribute(attribute) || "").split(/\\s+/));
    }
  }
  return [...new Set(referenced.filter(id => count[id] > 1))];
}"""


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


class Journey:
    """One person's way through the app in a browser tab.

    The tab reports every document it loads; `check()` runs axe on the current one. A page
    that loaded and was left before being checked fails the test at the end.
    """

    def __init__(self, page: Any, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.checked: list[str] = []
        self._unchecked: list[str] = []
        self._skipped: list[str] = []
        page.on("load", self._loaded)

    def _loaded(self, page: Any) -> None:
        if self._unchecked:
            self._skipped.extend(self._unchecked)
        self._unchecked = [page.url]

    # -- accessibility --------------------------------------------------------------------

    def check(self) -> None:
        """axe-core on the page as it is now: no serious or critical WCAG A/AA violation."""
        results = AXE.run(self.page, options={
            "runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]})
        blocking = [v for v in results.response["violations"] if v["impact"] in BLOCKING]
        assert not blocking, f"axe on {self.page.url}:\n{describe(blocking)}"
        ambiguous = self.page.evaluate(AMBIGUOUS_REFERENCES)
        assert not ambiguous, f"ids on {self.page.url} that labels share: {ambiguous}"
        self.checked.append(self.page.url)
        self._unchecked = []

    def assert_every_page_checked(self) -> None:
        missed = self._skipped + self._unchecked
        assert not missed, f"pages loaded but not checked by axe: {missed}"

    # -- navigation (each ends with the accessibility check) --------------------------------

    def open(self, path: str) -> None:
        self.page.goto(path)
        self.check()

    def follow(self, locator: Any) -> None:
        """Click a link or a submit button and check the page it leads to."""
        with self.page.expect_navigation():
            locator.click()
        self.check()

    def press(self, key: str) -> None:
        """Press a key that loads a page (Enter on a link or in a form)."""
        with self.page.expect_navigation():
            self.page.keyboard.press(key)
        self.check()

    def link(self, name: str | re.Pattern[str], *, exact: bool = False) -> Any:
        return self.page.get_by_role("link", name=name, exact=exact)

    def button(self, name: str | re.Pattern[str], *, exact: bool = False) -> Any:
        return self.page.get_by_role("button", name=name, exact=exact)

    def log_in(self, username: str, password: str = DEMO_PASSWORD) -> None:
        self.open("/login")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(password)
        self.follow(self.button("Log in"))

    def log_out(self) -> None:
        self.follow(self.button("Log out"))

    def alert_text(self) -> str:
        """The text of the flash messages on the page."""
        return self.page.locator(".flash-messages").inner_text()

    @property
    def path(self) -> str:
        return self.page.url.removeprefix(self.base_url)
