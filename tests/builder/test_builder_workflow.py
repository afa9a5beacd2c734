"""The workflow builder (issue 11.7) in headless Chromium against `serve` and its sandbox: a 4-step workflow
whose steps map fields of earlier steps, checked as it is typed, run through the service (NDJSON), its
statuses and outputs kept across selection and reload, the run history, and resuming a failed run."""

from __future__ import annotations

import json
import os
import re
import secrets
from pathlib import Path
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


def add_step(page, operation: str) -> None:
    page.get_by_role("button", name="Add ActiveCampaign step").click()
    page.locator("#tab-btn-properties").click()
    page.locator("#operation-select").select_option(operation)
    expect(page.locator(f'#input-form[data-operation="{operation}"] .schema-form')).to_be_visible()


def map_field(
    page, pointer: str, label: str, source: str, *, screenshot: str | None = None, check_access: bool = False
) -> None:
    """Open the field's Map picker and choose ``source`` (e.g. "Step 1 · New lead › contact › id")."""
    where = field(page, pointer)
    where.get_by_role("button", name=f"Map {label} from an earlier step").click()
    picker = where.get_by_role("dialog", name="Map a field from an earlier step")
    expect(picker).to_be_visible()
    option = picker.get_by_role("option", name=re.compile("^" + re.escape(source) + r"\b"))
    expect(option).to_have_count(1)
    if screenshot:
        Path(screenshot).parent.mkdir(parents=True, exist_ok=True)
        option.hover()
        page.screenshot(path=screenshot)
    if check_access:
        assert axe_violations(page) == []
    option.click()
    expect(picker).to_have_count(0)


def choose_first(page, pointer: str) -> tuple[str, str]:
    lookup = field(page, pointer)
    lookup.locator(".lookup-toggle").click()
    first = lookup.locator(".lookup-option").first
    expect(first).to_be_visible()
    text = first.text_content()
    first.click()
    return lookup.locator(".lookup").get_attribute("data-value"), text


def statuses(page) -> list[str]:
    return page.locator(".step .status-badge").evaluate_all("els => els.map(e => e.dataset.status)")


def test_a_four_step_workflow_with_mapped_fields_is_built_checked_run_kept_and_resumed(browser, served):
    sandbox = served.sandbox
    sandbox.reset()
    email = f"lead-{secrets.token_hex(4)}@example.com"
    with builder_page(browser, served) as page:
        page.get_by_label("Workflow name").fill("New lead from the builder")

        # Step 1: create the contact; renamed (its id, and so the references to it, stay).
        add_step(page, "create_contact")
        expect(page.locator("#step-id")).to_have_text("step_1")
        page.get_by_label("Step name").fill("New lead")
        expect(page.locator(".step .step-title").first).to_have_text("New lead")
        field(page, "/email").get_by_role("textbox", name="Email").fill(email)
        field(page, "/first_name").get_by_role("textbox", name="First name").fill("Ada")

        # Step 2: the contact comes from step 1 through the picker; the list from the DDL dropdown.
        add_step(page, "add_contact_to_list")
        map_field(
            page,
            "/contact_id",
            "Contact",
            "Step 1 · New lead › contact › id",
            screenshot=os.environ.get("AC_BUILDER_MAPPING_SCREENSHOT"),
            check_access=True,
        )
        expect(field(page, "/contact_id").locator(".ref-chip")).to_contain_text("Step 1 · New lead › contact › id")
        list_id, _ = choose_first(page, "/list_id")

        # Step 3: a deal for that contact, its title interpolating the contact's email.
        add_step(page, "create_deal")
        title = field(page, "/title").get_by_role("textbox", name="Title")
        title.fill("Deal for ")
        map_field(page, "/title", "Title", "Step 1 · New lead › contact › email")
        expect(title).to_have_value("Deal for {$.steps.step_1.contact.email}")
        field(page, "/value").get_by_role("spinbutton").fill("1250.5")
        field(page, "/currency").get_by_role("textbox", name="Currency").fill("eur")
        map_field(page, "/contact_id", "Contact", "Step 1 · New lead › contact › id")
        pipeline_id, _ = choose_first(page, "/pipeline_id")
        expect(field(page, "/currency").locator(".ref-chip")).to_be_hidden()  # only mapped fields show a chip
        expect(field(page, "/contact_id").locator(".lookup")).to_be_hidden()  # ... in place of their control

        # Step 4: a note on the deal of step 3.
        add_step(page, "create_deal_note")
        map_field(page, "/deal_id", "Deal", "Step 3 · Create deal › deal › id")
        field(page, "/note").get_by_role("textbox", name="Note").fill("First call booked")

        # Checked as it is typed: moved above step 3, the note refers to a later step; moved back, it is fine.
        page.get_by_role("button", name="Move step 4 up").click()
        page.locator(".step").nth(2).click()
        page.locator("#tab-btn-properties").click()
        deal = field(page, "/deal_id")
        expect(deal.locator(".field-error")).to_contain_text("later")
        expect(deal).to_have_class(re.compile("invalid"))
        expect(page.locator(".step").nth(2).locator(".problem-badge")).to_have_text("⚠ 1 problem")
        page.get_by_role("button", name="Move step 3 down").click()
        expect(deal.locator(".field-error")).to_be_hidden()
        expect(page.locator(".problem-badge")).to_have_count(0)
        assert sandbox.log.snapshot() == [] or all(r.method == "GET" for r in sandbox.log.snapshot())

        # Run workflow: each step's status and output as it arrives.
        page.get_by_role("button", name="Run workflow").click()
        expect(page.locator(".step .status-badge")).to_have_count(4)
        expect(page.locator(".step .status-badge").nth(3)).to_have_text(re.compile("Succeeded"))
        assert statuses(page) == ["succeeded"] * 4
        expect(page.locator("#notice")).to_contain_text("succeeded")
        expect(page.locator("#run-list .run-item")).to_have_count(1)
        assert axe_violations(page) == []  # statuses, the run history, a mapped field

        # The data in the sandbox is the data the references point to.
        page.locator(".step").nth(0).click()
        first_output = json.loads(page.locator("#run-output").text_content())
        contact_id = first_output["contact"]["id"]
        assert first_output["contact"]["email"] == email
        assert sandbox.log.matching("POST", "/api/3/contacts")[0].body["contact"]["email"] == email
        subscribed = sandbox.log.matching("POST", "/api/3/contactLists")[0].body["contactList"]
        assert (str(subscribed["contact"]), str(subscribed["list"])) == (contact_id, list_id)
        deal_body = sandbox.log.matching("POST", "/api/3/deals")[0].body["deal"]
        assert (str(deal_body["contact"]), deal_body["title"]) == (contact_id, f"Deal for {email}")
        assert str(deal_body["group"]) == pipeline_id and str(deal_body["value"]) == "125050"
        page.locator(".step").nth(2).click()
        deal_id = json.loads(page.locator("#run-output").text_content())["deal"]["id"]
        shot = os.environ.get("AC_BUILDER_SCREENSHOT")  # docs/builder.png: the run, step 3 and its output
        if shot:
            Path(shot).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=shot)
        notes = [r for r in sandbox.log.snapshot() if r.method == "POST" and r.path == f"/api/3/deals/{deal_id}/notes"]
        assert len(notes) == 1 and notes[0].body["note"]["note"] == "First call booked"

        # Outputs and statuses stay when another step is selected, and after a reload (from the run store).
        page.locator(".step").nth(3).click()
        assert json.loads(page.locator("#run-output").text_content())["note"]["relid"] in (deal_id, int(deal_id))
        page.reload()
        expect(page.locator("body")).to_have_attribute("data-ready", "true")
        expect(page.locator(".step .status-badge")).to_have_count(4)
        assert statuses(page) == ["succeeded"] * 4
        page.locator(".step").nth(2).click()
        page.locator("#tab-btn-properties").click()
        assert json.loads(page.locator("#run-output").text_content())["deal"]["id"] == deal_id
        expect(field(page, "/contact_id").locator(".ref-chip")).to_contain_text("Step 1 · New lead › contact › id")

        # A run that fails at step 3, listed in the history and resumed: steps 1-2 are not sent again.
        page.locator(".step").nth(0).click()
        field(page, "/email").get_by_role("textbox", name="Email").fill("second-" + email)
        sandbox.faults.add("POST /api/3/deals", statuses=[400])
        page.get_by_role("button", name="Run workflow").click()
        expect(page.locator(".step .status-badge").nth(2)).to_have_text(re.compile("Failed"))
        assert statuses(page)[:3] == ["succeeded", "succeeded", "failed"]
        expect(page.locator("#run-error")).to_be_visible()  # the failed step is selected, its error shown
        history = page.locator("#run-list .run-item")
        expect(history).to_have_count(2)
        expect(history.first.locator(".status-badge")).to_have_text(re.compile("Failed"))
        contacts_sent = sandbox.log.count("POST", "/api/3/contacts")
        history.first.get_by_role("button", name=re.compile("^Resume")).click()
        expect(page.locator(".step .status-badge").nth(3)).to_have_text(re.compile("Succeeded"))
        assert statuses(page) == ["skipped", "skipped", "succeeded", "succeeded"]
        expect(page.locator(".step .status-badge").first).to_have_text(re.compile("Reused"))
        assert sandbox.log.count("POST", "/api/3/contacts") == contacts_sent == 2
        assert sandbox.log.count("POST", "/api/3/contactLists") == 2 and sandbox.log.count("POST", "/api/3/deals") == 3
        expect(history).to_have_count(3)

        # Opening the first run shows its outputs again.
        history.last.get_by_role("button", name=re.compile("^Open")).click()
        expect(page.locator("#notice")).to_contain_text("Succeeded")
        page.locator(".step").nth(0).click()
        # The notice said "Succeeded" already (the resume): wait for the opened run's own document, which the
        # page loads after the run's outputs, before reading step 1's output.
        expect(field(page, "/email").get_by_role("textbox", name="Email")).to_have_value(email)
        assert json.loads(page.locator("#run-output").text_content())["contact"]["email"] == email
        assert served.sandbox.api_key not in page.content()


def test_a_run_stopped_on_an_unknown_outcome_is_resumed_only_when_the_person_says_so(browser, served):
    sandbox = served.sandbox
    sandbox.reset()
    with builder_page(browser, served) as page:
        page.get_by_label("Workflow name").fill(f"Note {secrets.token_hex(3)}")
        add_step(page, "create_deal_note")
        choose_first(page, "/deal_id")
        field(page, "/note").get_by_role("textbox", name="Note").fill("Called back")
        sandbox.faults.add("POST /api/3/deals/*/notes", drop_after_write=True)
        page.get_by_role("button", name="Run workflow").click()
        expect(page.locator(".step .status-badge").first).to_have_text(re.compile("Outcome unknown"))
        run = page.locator("#run-list .run-item").first
        expect(run.locator(".status-badge")).to_have_text(re.compile("Outcome unknown"))
        notes = lambda: len([r for r in sandbox.log.snapshot() if r.method == "POST" and r.path.endswith("/notes")])  # noqa: E731
        assert notes() == 1

        run.get_by_role("button", name=re.compile("^Resume")).click()
        ask = page.get_by_role("dialog", name="Send the unknown step again?")
        expect(ask).to_contain_text("Check the account first")
        ask.get_by_role("button", name="Not now").click()
        expect(ask).to_have_count(0)
        assert notes() == 1  # nothing sent without a yes

        page.locator("#run-list .run-item").first.get_by_role("button", name=re.compile("^Resume")).click()
        page.get_by_role("dialog", name="Send the unknown step again?").get_by_role("button", name="Send it again").click()
        expect(page.locator(".step .status-badge").first).to_have_text(re.compile("Succeeded"))
        assert notes() == 2


def test_a_workflow_saved_on_the_service_opens_in_another_browser_and_runs_by_name(browser, served):
    served.sandbox.reset()
    name = f"Saved {secrets.token_hex(3)}"
    with builder_page(browser, served) as page:
        page.get_by_label("Workflow name").fill(name)
        add_step(page, "get_contact")
        choose_first(page, "/contact_id")
        page.get_by_role("button", name="Save", exact=True).click()
        expect(page.locator("#notice")).to_have_text(f"Saved “{name}” on the service.")
    stored = served.service.runs.get_workflow(name)["document"]
    assert [s["operation"] for s in stored["steps"]] == ["get_contact"] and served.sandbox.api_key not in json.dumps(stored)

    with builder_page(browser, served) as page:  # another browser: nothing autosaved
        expect(page.locator(".step")).to_have_count(0)
        page.get_by_role("button", name="Open", exact=True).click()
        dialog = page.get_by_role("dialog", name="Workflows saved on the service")
        dialog.get_by_role("button", name=f"Open {name}").click()
        expect(page.locator(".step .step-title")).to_have_text(["Get contact"])
        expect(page.get_by_label("Workflow name")).to_have_value(name)
        page.get_by_role("button", name="Run workflow").click()
        expect(page.locator(".step .status-badge").first).to_have_text(re.compile("Succeeded"))

        page.get_by_role("button", name="Open", exact=True).click()
        dialog = page.get_by_role("dialog", name="Workflows saved on the service")
        dialog.get_by_role("button", name=f"Delete {name}").click()
        page.get_by_role("dialog", name=f"Delete “{name}” from the service?").get_by_role("button", name="Delete").click()
        expect(dialog.get_by_role("button", name=f"Open {name}")).to_have_count(0)
    assert name not in [w["name"] for w in served.service.runs.list_workflows()]
