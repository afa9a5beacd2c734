"""The Start card's trigger picker (issue 12.7) in headless Chromium: an ActiveCampaign event as the trigger,
its fields mapped into a step, the trigger enabled on the service, a contact created in the sandbox
delivered as a webhook, the event and the run it started shown, then disabled."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from helpers.builder_pages import axe_violations, builder_page, field

expect: Any = None


@pytest.fixture(scope="module", autouse=True)
def _expect(browser) -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=15_000)
    expect = playwright_expect


def test_an_activecampaign_event_starts_the_workflow_built_in_the_page(browser, served):
    sandbox = served.sandbox
    sandbox.reset()
    with builder_page(browser, served) as page:
        page.get_by_label("Workflow name").fill(f"Welcome {secrets.token_hex(3)}")
        page.locator("#trigger-card").click()
        panel = page.locator("#trigger-props")
        panel.get_by_label("What starts the workflow").select_option("webhook")
        expect(panel.get_by_label("Authentication (the account)")).to_have_value("Sandbox")
        panel.get_by_label("Search events").fill("subscribed")
        panel.get_by_role("checkbox", name=re.compile("^Contact subscribed")).check()
        expect(page.locator("#trigger-card")).to_have_text(re.compile("Contact subscribed \\(ActiveCampaign event\\)"))
        assert axe_violations(page) == []

        # A step reads the contact of the event: the trigger's fields are offered like any step's.
        page.get_by_role("button", name="Add ActiveCampaign step").click()
        page.locator("#tab-btn-properties").click()
        page.locator("#operation-select").select_option("get_contact")
        where = field(page, "/contact_id")
        where.get_by_role("button", name="Map Contact from an earlier step").click()
        where.get_by_role("option", name=re.compile(r"^Trigger › contact › id\b")).click()
        expect(where.locator(".ref-chip")).to_contain_text("Trigger › contact › id")
        expect(page.locator(".problem-badge")).to_have_count(0)

        # Enable it on the service, with the address the account can reach.
        page.locator("#trigger-card").click()
        panel.get_by_label("This service's public address").fill(served.url)
        panel.get_by_role("button", name="Enable trigger").click()
        expect(panel.get_by_role("status")).to_contain_text("Enabled")
        assert len([h for h in sandbox.store["webhooks"] if "/hooks/" in h["url"]]) == 1

        # Something happens in the account: the event is received, a run started, and it can be opened.
        email = f"welcome-{secrets.token_hex(4)}@example.com"
        served.service.connector.run("create_contact", {"email": email}, served.service.registry.get("Sandbox"))
        assert sandbox.hooks.wait_idle(10)
        events = panel.locator(".trigger-events .run-item")
        for _ in range(40):
            panel.get_by_role("button", name="Refresh the trigger events").click()
            if events.count() and events.first.get_by_role("button", name="Open its run").count():
                break
            page.wait_for_timeout(250)
        expect(events.first).to_contain_text("subscribe")
        events.first.get_by_role("button", name="Open its run").click()
        expect(page.locator(".step .status-badge").first).to_have_text(re.compile("Succeeded"))
        page.locator(".step").first.click()
        expect(page.locator("#run-output")).to_contain_text(email)

        page.locator("#trigger-card").click()
        panel.get_by_role("button", name="Disable").click()
        expect(panel.get_by_role("status")).to_contain_text("Disabled")
        assert [h for h in sandbox.store["webhooks"] if "/hooks/" in h["url"]] == []
