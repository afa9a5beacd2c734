"""Shared by the builder's browser tests: open the page like a user, find fields, check accessibility."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

SERIOUS = ("serious", "critical")


@contextlib.contextmanager
def builder_page(browser: Any, served: Any, *, width: int = 1400, height: int = 900) -> Iterator[Any]:
    """A fresh browser context (nothing autosaved) on the builder page; fails on script errors and on any
    request that leaves the service (the page works offline)."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": width, "height": height}, accept_downloads=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "console",
        lambda m: (
            problems.append(f"console: {m.text}")
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on(
        "request",
        lambda r: (
            problems.append(f"external request: {r.url}")
            if not (r.url.startswith(served.url) or r.url.startswith(("blob:", "data:")))
            else None
        ),
    )
    page.goto(served.url + "/")
    expect(page.locator("body")).to_have_attribute("data-ready", "true", timeout=15_000)
    try:
        yield page
    finally:
        context.close()
    assert not problems, problems


def new_step_form(page: Any, operation: str) -> None:
    """Add a step, open its Properties tab and choose ``operation``; returns once the form is drawn."""
    from playwright.sync_api import expect

    page.get_by_role("button", name="Add ActiveCampaign step").click()
    page.locator("#tab-btn-properties").click()
    page.locator("#operation-select").select_option(operation)
    expect(page.locator("#input-form .schema-form")).to_be_visible()


def field(page: Any, pointer: str) -> Any:
    return page.locator(f'.field[data-pointer="{pointer}"]')


def focused(page: Any) -> dict[str, Any]:
    """What has the keyboard focus: tag, id, accessible-ish name, classes (read only: nothing is clicked)."""
    return page.evaluate("""() => { const e = document.activeElement; return { tag: e.tagName, id: e.id,
      name: e.getAttribute('aria-label') || e.textContent.trim().slice(0, 80), cls: e.className,
      pointer: e.closest('[data-pointer]') ? e.closest('[data-pointer]').dataset.pointer : null }; }""")


def tab_to(page: Any, matches: Any, *, limit: int = 80, backwards: bool = False) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until the focused element satisfies ``matches``; the keyboard alone."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        now = focused(page)
        if matches(now):
            return now
    raise AssertionError(f"Tab never reached the wanted control; last focus: {focused(page)}")


def named(text: str | re.Pattern[str]) -> Any:
    def check(now: dict[str, Any]) -> bool:
        return bool(re.search(text, now["name"])) if isinstance(text, re.Pattern) else now["name"] == text

    return check


def axe_violations(page: Any, context: Any = None) -> list[str]:
    """Serious and critical axe-core violations of the page as it is now (axe-core from axe-playwright-python)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, context=context)
    found = results.response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in found
        if v.get("impact") in SERIOUS
    ]


def fake_key_for(served: Any, prefix: str) -> str:
    """An obviously fake key, new for every run, that the leak checks of ``served`` look for too."""
    import secrets

    key = f"{prefix}-{secrets.token_hex(20)}"
    served.secrets.add(key)
    return key
