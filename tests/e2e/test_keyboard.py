"""The registration form completed with the keyboard alone: Tab to move, typing to fill and
choose, Space to tick, Enter to submit; no clicks. Every focused element must show where
the focus is."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.e2e.browsing import DEMO_PASSWORD, Journey

# The focus ring of casemgr.css: an outline at least 2px wide on whatever has the focus.
FOCUS_SHOWN = """() => {
  const style = getComputedStyle(document.activeElement);
  return style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2;
}"""
MATCHES = "selector => document.activeElement && document.activeElement.matches(selector)"


def tab_to(journey: Journey, selector: str, *, limit: int = 60) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    page = journey.page
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate("() => document.activeElement.outerHTML.slice(0, 120)")
        assert page.evaluate(FOCUS_SHOWN), f"no visible focus on {focused}"
        if page.evaluate(MATCHES, selector):
            return
    raise AssertionError(f"{selector} not reached with {limit} presses of Tab")


def test_registration_with_the_keyboard_alone(journey: Journey) -> None:
    page = journey.page
    journey.open("/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    expect(page.get_by_role("link", name="Skip to main content")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    tab_to(journey, "#username")
    page.keyboard.type("caseworker")
    page.keyboard.press("Tab")
    page.keyboard.type(DEMO_PASSWORD)
    journey.press("Enter")
    expect(page.get_by_role("heading", name="Dashboard", level=1)).to_be_visible()

    tab_to(journey, "nav a[href='/applicants']")
    journey.press("Enter")
    tab_to(journey, "a[href='/applicants/new']")
    journey.press("Enter")
    expect(page.get_by_role("heading", name="Register an applicant", level=1)).to_be_visible()

    tab_to(journey, "#family_name")
    page.keyboard.type("NAZARI")
    page.keyboard.press("Tab")
    page.keyboard.type("Sohrab")
    tab_to(journey, "#sex")
    page.keyboard.type("Male")
    page.keyboard.press("Tab")
    page.keyboard.type("1979-11-02")
    tab_to(journey, "#nationality")
    page.keyboard.type("Afghanistan")
    tab_to(journey, "#languages")
    page.keyboard.type("Pushto")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    tab_to(journey, "#lodged_at")
    page.keyboard.type("At a port")
    tab_to(journey, "#port_of_entry")
    page.keyboard.type("ICN")
    journey.press("Enter")

    expect(page.locator(".flash-messages")).to_contain_text("Registered 1 person(s)")
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", level=1)).to_contain_text("NAZARI Sohrab")
    for shown in ("Male", "Afghanistan", "Pushto", "needed", "ICN"):
        expect(main).to_contain_text(shown)
