"""The builder page in headless Chromium, driven like a user would, against `serve` and its sandbox."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from helpers.builder_pages import builder_page, field

expect: Any = None


@pytest.fixture(scope="module", autouse=True)
def _expect(browser) -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=10_000)
    expect = playwright_expect


@pytest.fixture
def page(browser, served) -> Iterator[Any]:
    """A fresh browser context (no autosaved workflow) on the builder page; fails on script errors and on any
    request that leaves the service (the page must work offline)."""
    with builder_page(browser, served) as opened:
        yield opened


def add_step_by_dragging(page) -> None:
    before = page.locator(".step").count()
    page.locator(".connector-card").drag_to(page.locator("#drop-zone"))
    expect(page.locator(".step")).to_have_count(before + 1)


def pick_operation(page, name: str) -> None:
    page.locator("#tab-btn-properties").click()
    page.locator("#operation-select").select_option(name)
    expect(page.locator("#input-form .schema-form")).to_be_visible()


def choose(page, pointer: str, option: str | re.Pattern[str], search: str | None = None) -> str:
    """Open a lookup dropdown, optionally search, pick an option; returns the chosen value."""
    lookup = field(page, pointer)
    lookup.locator(".lookup-toggle").click()
    if search is not None:
        lookup.locator(".lookup-search").fill(search)
    lookup.get_by_role("option", name=option).click()
    expect(lookup.locator(".lookup-panel")).to_be_hidden()
    return lookup.locator(".lookup").get_attribute("data-value")


def test_add_contact_to_list_with_dropdowns(page, served):
    served.sandbox.reset()
    served.sandbox.load_fixture(lists=150)

    add_step_by_dragging(page)
    expect(page.locator("#tab-authenticate")).to_be_visible()

    # Add new authentication: name and type, then URL and key, then select it.
    page.get_by_role("button", name="Add new authentication").click()
    dialog = page.locator("#auth-dialog")
    dialog.get_by_label("Authentication name").fill("My account")
    dialog.get_by_label("Organisational").check()
    dialog.get_by_role("button", name="Next").click()
    dialog.get_by_label("URL").fill(served.sandbox_url)
    dialog.get_by_label("API key").fill(served.sandbox.api_key)
    dialog.get_by_role("button", name="Create authentication").click()
    expect(dialog).to_be_hidden()
    page.locator("#auth-select").select_option("My account")
    expect(page.locator(".step").first).to_contain_text("My account")
    page.get_by_role("button", name="Test authentication").click()
    expect(page.locator("#auth-test-result")).to_contain_text("Works")
    assert served.sandbox.api_key not in page.content()

    pick_operation(page, "add_contact_to_list")
    expect(page.locator(".step-title")).to_have_text("Add contact to list")
    # The form: labels from titles, required marks, enums by label, advanced fields folded away.
    expect(field(page, "/contact_id").locator(".required")).to_be_visible()
    expect(field(page, "/status").locator(".required")).to_have_count(0)
    expect(field(page, "/status").locator("select option:checked")).to_have_text("Subscribed")
    expect(field(page, "/status").locator(".field-description")).to_have_text("Subscribe or unsubscribe the contact.")
    expect(field(page, "/resubscribe")).to_be_hidden()
    page.locator("details.advanced summary").click()
    expect(field(page, "/resubscribe")).to_be_visible()

    contact = choose(page, "/contact_id", re.compile("John Smith"), search="John")

    lists = field(page, "/list_id")
    lists.locator(".lookup-toggle").click()
    options = lists.locator(".lookup-option")
    expect(options).to_have_count(100)
    options.nth(99).scroll_into_view_if_needed()  # scrolling to the end loads the next page
    expect(options).to_have_count(152)
    lists.locator(".lookup-search").fill("-137")  # a list beyond the first 100, found by search
    expect(options).to_have_count(1)
    wanted = options.first.text_content()
    assert wanted.startswith("Fixture list") and wanted.endswith("-137")
    options.first.click()
    expect(lists.locator(".lookup-toggle")).to_have_text(wanted)
    list_id = lists.locator(".lookup").get_attribute("data-value")

    page.get_by_role("button", name="Run step").click()
    expect(page.locator("#output-section")).to_be_visible()
    output = json.loads(page.locator("#run-output").text_content())
    assert (output["contactList"]["contact"], output["contactList"]["list"]) == (contact, list_id)
    expect(page.locator(".step").first).to_have_class(re.compile("succeeded"))


def test_create_deal_stage_dropdown_follows_the_pipeline(page, served):
    served.sandbox.reset()
    created = httpx.post(
        served.url + "/api/operations/create_deal_pipeline/run",
        json={"input": {"title": "Partners", "currency": "eur"}, "authentication": "Sandbox"},
    )
    partner_stages = {s["id"] for s in created.json()["output"]["dealStages"]}

    page.get_by_role("button", name="Add ActiveCampaign step").click()  # the keyboard-friendly way to add
    page.locator("#auth-select").select_option("Sandbox")
    pick_operation(page, "create_deal")

    choose(page, "/pipeline_id", "Sales Pipeline")
    stage = field(page, "/stage_id")
    stage.locator(".lookup-toggle").click()
    expect(stage.locator(".lookup-option").first).to_be_visible()
    sales_stages = set(stage.locator(".lookup-option").evaluate_all("els => els.map(e => e.dataset.value)"))
    stage.get_by_role("option", name="In Contact").click()
    expect(stage.locator(".lookup-toggle")).to_have_text("In Contact")

    choose(page, "/pipeline_id", "Partners")
    expect(stage.locator(".lookup-toggle")).to_have_text("Choose…")  # the old stage no longer applies
    stage.locator(".lookup-toggle").click()
    expect(stage.locator(".lookup-option").first).to_be_visible()
    shown = set(stage.locator(".lookup-option").evaluate_all("els => els.map(e => e.dataset.value)"))
    assert shown == partner_stages and not shown & sales_stages


def test_invalid_email_shows_next_to_its_field_then_custom_fields_run(page, served):
    served.sandbox.reset()
    add_step_by_dragging(page)
    pick_operation(page, "create_contact")
    email = field(page, "/email")
    email.get_by_role("textbox", name="Email").fill("not-an-email")
    page.get_by_role("button", name="Run step").click()
    expect(email.locator(".field-error")).to_be_visible()
    expect(email.locator(".field-error")).to_contain_text("email")
    expect(email).to_have_class(re.compile("invalid"))
    expect(page.locator("#run-error")).to_contain_text("Fix the highlighted fields")
    expect(page.locator("#output-section")).to_be_hidden()

    # An array of objects, each with a dropdown of its own and a value that is one text or several options.
    page.locator("#tab-btn-authenticate").click()
    page.locator("#auth-select").select_option("Sandbox")
    page.locator("#tab-btn-properties").click()
    email.get_by_role("textbox", name="Email").fill("ada@example.com")
    values = field(page, "/field_values")
    values.get_by_role("button", name=re.compile("Add")).click()
    choose(page, "/field_values/0/field", "Company Size")
    # The value's widget follows the field's type: Company Size is a dropdown field, so its options.
    field(page, "/field_values/0/value").get_by_role("combobox", name="Value of Company Size").select_option("51-200")
    values.get_by_role("button", name=re.compile("Add")).click()
    choose(page, "/field_values/1/field", "Birthday")
    field(page, "/field_values/1/value").get_by_label("Value of Birthday (a date)").fill("1990-05-17")
    page.get_by_role("button", name="Run step").click()
    expect(page.locator("#output-section")).to_be_visible()
    expect(email.locator(".field-error")).to_be_hidden()
    output = json.loads(page.locator("#run-output").text_content())
    assert output["contact"]["email"] == "ada@example.com"
    assert [(v["field"], v["value"]) for v in output["fieldValues"]] == [("1", "51-200"), ("2", "1990-05-17")]


def test_steps_reorder_remove_and_the_workflow_saves_and_loads(page, browser, served, tmp_path):
    titles = page.locator(".step .step-title")
    for operation in ("get_contact", "create_contact", "create_deal"):
        add_step_by_dragging(page)
        pick_operation(page, operation)
    field(page, "/title").get_by_role("textbox", name="Title").fill("Renewal")
    expect(titles).to_have_text(["Get contact", "Create contact", "Create deal"])

    page.get_by_role("button", name="Move step 3 up").click()
    expect(titles).to_have_text(["Get contact", "Create deal", "Create contact"])
    page.locator(".step").first.drag_to(page.locator("#drop-zone"))  # drag a step to the end
    expect(titles).to_have_text(["Create deal", "Create contact", "Get contact"])
    page.get_by_role("button", name="Remove step 2").click()
    expect(titles).to_have_text(["Create deal", "Get contact"])

    page.get_by_label("Workflow name").fill("Deal follow-up")
    with page.expect_download() as download:
        page.get_by_role("button", name="Save JSON").click()
    saved = tmp_path / "workflow.json"
    download.value.save_as(saved)
    workflow = json.loads(saved.read_text())
    assert workflow["name"] == "Deal follow-up" and download.value.suggested_filename == "Deal-follow-up.json"
    assert [s["operation"] for s in workflow["steps"]] == ["create_deal", "get_contact"]
    assert workflow["steps"][0]["input"]["title"] == "Renewal"
    assert served.sandbox.api_key not in saved.read_text()

    other = browser.new_context()  # a different browser: nothing autosaved
    try:
        fresh = other.new_page()
        fresh.goto(served.url + "/")
        expect(fresh.locator("body")).to_have_attribute("data-ready", "true")
        expect(fresh.locator(".step")).to_have_count(0)
        fresh.locator("#load-workflow").set_input_files(str(saved))
        expect(fresh.locator(".step .step-title")).to_have_text(["Create deal", "Get contact"])
        expect(fresh.get_by_label("Workflow name")).to_have_value("Deal follow-up")
        fresh.locator("#tab-btn-properties").click()
        expect(field(fresh, "/title").get_by_role("textbox", name="Title")).to_have_value("Renewal")
    finally:
        other.close()
