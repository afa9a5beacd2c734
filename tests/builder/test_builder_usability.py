"""The builder page a person can use all day (issue 16): keyboard alone, axe-core, phone size,
authentications, undo and confirmations, dependent dropdowns. Headless Chromium against `serve`."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from helpers.builder_pages import (
    axe_violations,
    builder_page,
    fake_key_for,
    field,
    focused,
    named,
    new_step_form,
    tab_to,
)

expect: Any = None


@pytest.fixture(scope="module", autouse=True)
def _expect(browser) -> None:
    global expect
    from playwright.sync_api import expect as playwright_expect

    playwright_expect.set_options(timeout=10_000)
    expect = playwright_expect


def test_keyboard_alone_builds_runs_saves_and_loads_a_step(browser, served, tmp_path):
    served.sandbox.reset()
    with builder_page(browser, served) as page:
        page.on("filechooser", lambda chooser: None)  # file chooser interception on before any key is pressed
        keys = page.keyboard
        tab_to(page, named("Add ActiveCampaign step"))
        keys.press("Enter")
        expect(page.locator(".step")).to_have_count(1)

        # The Authenticate tab: the only authentication is already chosen; arrows move between tabs.
        tab_to(page, lambda f: f["id"] == "auth-select")
        assert page.locator("#auth-select").input_value() == "Sandbox"
        tab_to(page, lambda f: f["id"] == "tab-btn-authenticate", backwards=True)
        keys.press("ArrowRight")
        assert focused(page)["id"] == "tab-btn-properties"
        expect(page.locator("#tab-properties")).to_be_visible()

        # The operation picker: type-ahead on the focused select.
        tab_to(page, lambda f: f["id"] == "operation-select")
        keys.type("Get contact")
        expect(page.locator("#input-form .schema-form")).to_be_visible()
        assert page.locator("#operation-select").input_value() == "get_contact"
        assert focused(page)["id"] == "operation-select"

        # The dropdown: open with Enter, search, arrows, Enter; focus comes back to the field.
        tab_to(page, lambda f: "lookup-toggle" in f["cls"] and f["pointer"] == "/contact_id")
        keys.press("Enter")
        assert "lookup-search" in focused(page)["cls"]
        keys.type("John")
        options = field(page, "/contact_id").get_by_role("option")
        expect(options.first).to_contain_text("John Smith")  # the server's search has answered
        expect(field(page, "/contact_id").get_by_role("option", name=re.compile("Jane"))).to_have_count(0)
        keys.press("ArrowDown")
        keys.press("Enter")
        expect(field(page, "/contact_id").locator(".lookup-panel")).to_be_hidden()
        now = focused(page)
        assert "lookup-toggle" in now["cls"] and "John Smith" in page.locator("#" + now["id"]).text_content()
        # Tab closes an open list and moves on.
        keys.press("Enter")
        expect(field(page, "/contact_id").locator(".lookup-panel")).to_be_visible()
        keys.press("Tab")
        expect(field(page, "/contact_id").locator(".lookup-panel")).to_be_hidden()

        tab_to(page, named("Run step"))
        keys.press("Enter")
        expect(page.locator("#output-section")).to_be_visible()
        assert json.loads(page.locator("#run-output").text_content())["contact"]["firstName"] == "John"
        assert focused(page)["name"] == "Run step"  # focus returns to Run after the run

        # A second step maps its contact from the first one, by keyboard: Map, type, arrows, Enter.
        tab_to(page, named("Add ActiveCampaign step"), backwards=True)
        keys.press("Enter")
        expect(page.locator(".step")).to_have_count(2)
        tab_to(page, lambda f: f["id"] == "tab-btn-authenticate")
        keys.press("ArrowRight")
        tab_to(page, lambda f: f["id"] == "operation-select")
        keys.type("Get contact")
        expect(page.locator('#input-form[data-operation="get_contact"]')).to_be_visible()
        tab_to(page, named("Map Contact from an earlier step"))
        keys.press("Enter")
        picker = page.get_by_role("dialog", name="Map a field from an earlier step")
        expect(picker).to_be_visible()
        assert "ref-search" in focused(page)["cls"]
        keys.type("contact id")
        keys.press("ArrowDown")
        keys.press("Enter")
        expect(picker).to_have_count(0)
        expect(field(page, "/contact_id").locator(".ref-chip")).to_contain_text("Step 1 · Get contact › contact › id")
        assert focused(page)["name"] == "Map Contact from an earlier step"

        # Save JSON and Load JSON from the keyboard.
        tab_to(page, named("Save JSON"), backwards=True)
        with page.expect_download() as download:
            keys.press("Enter")
        saved = tmp_path / "keyboard.json"
        download.value.save_as(saved)
        document = json.loads(saved.read_text())
        assert document["version"] == 1 and document["steps"][0]["operation"] == "get_contact"
        assert document["steps"][1]["input"] == {"contact_id": "$.steps.step_1.contact.id"}
        keys.press("Tab")
        assert focused(page)["name"] == "Load JSON"
        with page.expect_file_chooser() as chooser:
            keys.press("Enter")
        document["name"] = "Loaded by keyboard"
        saved.write_text(json.dumps(document))
        chooser.value.set_files(str(saved))
        expect(page.get_by_label("Workflow name")).to_have_value("Loaded by keyboard")


def test_no_serious_or_critical_accessibility_violation_over_the_main_views(browser, served):
    served.sandbox.reset()
    with builder_page(browser, served) as page:
        seen: dict[str, list[str]] = {"empty page": axe_violations(page)}

        new_step_form(page, "create_deal")
        seen["a step with its form"] = axe_violations(page)

        field(page, "/contact_id").locator(".lookup-toggle").click()
        expect(field(page, "/contact_id").locator(".lookup-option").first).to_be_visible()
        seen["a dropdown open"] = axe_violations(page)
        page.keyboard.press("Escape")

        page.get_by_role("button", name="Run step").click()
        expect(page.locator("#run-error")).to_be_visible()
        title = field(page, "/title")
        expect(title.locator(".field-error")).to_be_visible()
        control = title.get_by_role("textbox", name="Title")
        expect(control).to_have_attribute("aria-invalid", "true")
        described = control.get_attribute("aria-describedby")
        assert described and page.locator(f"#{described}").text_content()  # the error is linked to its field
        seen["errors shown"] = axe_violations(page)

        page.locator("#tab-btn-authenticate").click()
        page.get_by_role("button", name="Add new authentication").click()
        expect(page.locator("#auth-dialog")).to_be_visible()
        seen["the authentication dialog"] = axe_violations(page)
    assert not any(seen.values()), seen


def test_phone_layout_has_no_sideways_scroll_and_every_control_is_reachable(browser, served, tmp_path):
    served.sandbox.reset()
    with builder_page(browser, served, width=390, height=844) as page:
        new_step_form(page, "create_deal")
        width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
        assert width[0] <= width[1], f"horizontal scroll: content {width[0]}px in a {width[1]}px window"
        for name in ("Run workflow", "Save JSON", "Load JSON", "Run step", "Add ActiveCampaign step", "Remove step 1"):
            control = page.get_by_role("button", name=name, exact=True).first
            expect(control).to_be_visible()
            control.scroll_into_view_if_needed()
            box = control.bounding_box()
            assert box and box["x"] >= 0 and box["x"] + box["width"] <= 390, (name, box)
        shot = tmp_path / "phone.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        wanted = os.environ.get("AC_BUILDER_PHONE_SCREENSHOT")
        if wanted:
            Path(wanted).parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=wanted)


KEEP_CONTROLS = """() => { window.keptControls = [...document.querySelectorAll(
  '#steps .step, #steps .step button, #input-form input, #input-form select, #input-form textarea, #input-form button')]; }"""
ALL_KEPT = "() => window.keptControls.length > 0 && window.keptControls.every((el) => el.isConnected)"


def test_the_check_as_you_type_updates_nodes_in_place_and_keeps_focus(browser, served):
    served.sandbox.reset()
    with builder_page(browser, served) as page:
        new_step_form(page, "create_deal")
        card = page.locator(".step").first
        expect(card.locator(".problem-badge")).to_be_visible()  # the check has answered for this form
        page.evaluate(KEEP_CONTROLS)

        # Typing: the answer marks the field on the same nodes, and the focus stays in it.
        currency = field(page, "/currency")
        currency.get_by_role("textbox", name="Currency").press_sequentially("USD")
        expect(currency.locator(".field-error")).to_have_text("Use 3 lowercase letters, e.g. usd")
        before = card.get_attribute("aria-label")
        assert focused(page)["pointer"] == "/currency"
        assert page.evaluate(ALL_KEPT), "the check's answer replaced a control"

        # The user moves to a card's button before the answer comes: the answer leaves them there.
        currency.get_by_role("textbox", name="Currency").fill("usd")
        remove = page.get_by_role("button", name="Remove step 1")
        remove.focus()
        expect(currency.locator(".field-error")).to_be_hidden()
        expect(card).not_to_have_attribute("aria-label", before)  # one problem fewer, said on the same card
        assert focused(page)["name"] == "Remove step 1"
        assert page.evaluate(
            "() => document.activeElement === window.keptControls.find((el) => "
            "el.getAttribute('aria-label') === 'Remove step 1')"
        )
        assert page.evaluate(ALL_KEPT), "the check's answer replaced a control"


def test_an_operation_passed_by_while_typing_ahead_does_not_pull_the_focus_back(browser, served):
    served.sandbox.reset()
    with builder_page(browser, served) as page:
        held: list[Any] = []
        page.route("**/api/operations/get_account", lambda route: held.append(route))  # its description is slow to come
        page.get_by_role("button", name="Add ActiveCampaign step").click()
        page.locator("#tab-btn-properties").click()
        picker = page.locator("#operation-select")
        picker.select_option("get_account")  # passed by on the way, as type-ahead does
        picker.select_option("get_contact")
        expect(page.locator('#input-form[data-operation="get_contact"]')).to_be_visible()
        field(page, "/contact_id").locator(".lookup-toggle").focus()
        page.keyboard.press("Enter")
        assert "lookup-search" in focused(page)["cls"]

        assert len(held) == 1
        with page.expect_response("**/api/operations/get_account") as answer:
            held[0].continue_()
        answer.value.finished()
        page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        assert "lookup-search" in focused(page)["cls"], "the late answer moved the focus"
        expect(page.locator('#input-form[data-operation="get_contact"]')).to_be_visible()


def test_errors_in_plain_words_as_the_user_types_and_gone_when_fixed(browser, served):
    served.sandbox.reset()
    with builder_page(browser, served) as page:
        new_step_form(page, "create_deal")
        currency = field(page, "/currency")
        box = currency.get_by_role("textbox", name="Currency")
        box.fill("USD")  # no Run pressed: the check runs as the user types, with the service's own rules
        expect(currency.locator(".field-error")).to_have_text("Use 3 lowercase letters, e.g. usd")
        expect(box).to_have_attribute("aria-invalid", "true")
        expect(field(page, "/contact_id").locator(".field-error")).to_have_text("Choose a contact")
        box.fill("usd")
        expect(currency.locator(".field-error")).to_be_hidden()
        expect(box).not_to_have_attribute("aria-invalid", "true")

        # A dependent dropdown opened before its parent says what to choose first.
        stage = field(page, "/stage_id")
        stage.locator(".lookup-toggle").click()
        expect(stage.locator(".lookup-status")).to_have_text("Choose a pipeline first.")
        expect(stage.locator(".lookup-option")).to_have_count(0)


def test_undo_remove_and_switching_operation_keeps_what_fits(browser, served):
    served.sandbox.reset()
    with builder_page(browser, served) as page:
        new_step_form(page, "create_contact")
        field(page, "/email").get_by_role("textbox", name="Email").fill("keep@example.com")
        field(page, "/phone").get_by_role("textbox", name="Phone").fill("+1 312 555 0100")

        # Switching to an operation that has every filled field keeps them all, without asking.
        page.locator("#operation-select").select_option("update_contact")
        expect(page.locator('#input-form[data-operation="update_contact"]')).to_be_visible()
        expect(field(page, "/email").get_by_role("textbox", name="Email")).to_have_value("keep@example.com")
        expect(field(page, "/phone").get_by_role("textbox", name="Phone")).to_have_value("+1 312 555 0100")
        # One without them asks first; keeping the operation changes nothing, switching drops them.
        page.locator("#operation-select").select_option("get_contact")
        dialog = page.get_by_role("dialog", name=re.compile("Switch to"))
        expect(dialog).to_contain_text("“email”, “phone”")
        dialog.get_by_role("button", name="Keep the current operation").click()
        expect(page.locator("#operation-select")).to_have_value("update_contact")
        expect(field(page, "/phone").get_by_role("textbox", name="Phone")).to_have_value("+1 312 555 0100")
        page.locator("#operation-select").select_option("get_contact")
        page.get_by_role("dialog", name=re.compile("Switch to")).get_by_role("button", name="Switch and drop").click()
        expect(page.locator('#input-form[data-operation="get_contact"]')).to_be_visible()
        expect(field(page, "/phone")).to_have_count(0)
        page.locator("#operation-select").select_option("update_contact")
        expect(field(page, "/phone").get_by_role("textbox", name="Phone")).to_have_value("")

        # Removing a step: a toast offers Undo, and Ctrl+Z brings it back too.
        page.get_by_role("button", name="Add ActiveCampaign step").click()
        expect(page.locator(".step")).to_have_count(2)
        page.get_by_role("button", name="Remove step 1").click()
        expect(page.locator(".step")).to_have_count(1)
        toast = page.locator(".toast")
        expect(toast).to_contain_text("Removed step 1")
        toast.get_by_role("button", name="Undo").click()
        expect(page.locator(".step")).to_have_count(2)
        expect(page.locator(".step .step-title").first).to_have_text("Update contact")  # back in its place
        page.get_by_role("button", name="Remove step 2").click()
        expect(page.locator(".step")).to_have_count(1)
        page.locator(".step").first.focus()
        page.keyboard.press("Control+z")
        expect(page.locator(".step")).to_have_count(2)


def saved_document(page) -> dict:
    return json.loads(page.evaluate("() => localStorage.getItem('ac-connector-builder:workflow')"))["document"]


def test_forms_fit_their_data(browser, served):
    served.sandbox.reset()
    with builder_page(browser, served) as page:
        page.get_by_role("button", name="Add ActiveCampaign step").click()
        page.locator("#tab-btn-properties").click()

        # if/then/else: a task on a deal has no contact field, and the other way round.
        page.locator("#operation-select").select_option("create_deal_task")
        expect(page.locator("#input-form .schema-form")).to_be_visible()
        expect(field(page, "/contact_id")).to_be_hidden()
        expect(field(page, "/deal_id").locator(".required")).to_have_count(1)
        field(page, "/owner_type").locator("select").select_option(label="A contact")
        expect(field(page, "/deal_id")).to_be_hidden()
        expect(field(page, "/contact_id")).to_be_visible()
        expect(field(page, "/contact_id").locator(".required")).to_have_count(1)

        # A date and time picker, its time zone stated; the value carries the offset.
        due = field(page, "/due")
        expect(due.locator(".field-zone")).to_contain_text("Time zone:")
        due.locator('input[type="datetime-local"]').fill("2026-03-14T15:00")
        document = saved_document(page)
        assert re.fullmatch(r"2026-03-14T15:00:00[+-]\d\d:\d\d", document["steps"][0]["input"]["due"])

        # raw_http_request: query parameters as name/value rows, the body a JSON editor that says where it breaks.
        page.locator("#operation-select").select_option("raw_http_request")
        page.get_by_role("dialog", name=re.compile("Switch to")).get_by_role("button", name="Switch and drop").click()
        expect(page.locator('#input-form[data-operation="raw_http_request"]')).to_be_visible()
        field(page, "/path").get_by_role("textbox", name="Path").fill("/tags")
        query = field(page, "/query")
        query.get_by_role("button", name="+ Add a row").click()
        query.get_by_label("Query parameters: name 1").fill("search")
        query.get_by_label("Query parameters: value 1").fill("VIP")
        body = field(page, "/body").locator("textarea")
        body.fill('{"tag": ')
        expect(field(page, "/body").locator(".json-note")).to_contain_text("Not valid JSON yet")
        body.fill('{"tag": {"tag": "VIP"}}')
        expect(field(page, "/body").locator(".json-note")).to_have_text("")
        step = saved_document(page)["steps"][0]
        assert step["input"]["query"] == {"search": "VIP"} and step["input"]["body"] == {"tag": {"tag": "VIP"}}
        page.get_by_role("button", name="Run step").click()
        expect(page.locator("#output-section")).to_be_visible()

        # A list of ids is one multi-select dropdown.
        page.locator("#operation-select").select_option("create_deal_pipeline")
        page.get_by_role("dialog", name=re.compile("Switch to")).get_by_role("button", name="Switch and drop").click()
        groups = field(page, "/user_group_ids")
        page.locator("details.advanced summary").click()  # the groups are an advanced field
        groups.locator(".lookup-toggle").click()
        options = groups.get_by_role("option")
        expect(options.first).to_be_visible()
        assert groups.locator('[role="listbox"]').get_attribute("aria-multiselectable") == "true"
        wanted = [options.nth(i).get_attribute("data-value") for i in range(min(2, options.count()))]
        for i in range(len(wanted)):
            options.nth(i).click()
        expect(groups.locator(".lookup-toggle")).to_contain_text(f"{len(wanted)} chosen")
        assert saved_document(page)["steps"][0]["input"]["user_group_ids"] == wanted


def test_authentications_edit_reenter_key_delete_and_test_again(browser, served):
    served.sandbox.reset()
    wrong = fake_key_for(served, "wrong")
    with builder_page(browser, served) as page:
        page.get_by_role("button", name="Add ActiveCampaign step").click()
        page.get_by_role("button", name="Add new authentication").click()
        dialog = page.locator("#auth-dialog")
        expect(dialog).to_contain_text("does not keep them apart")  # Personal/Organisational, truthfully
        dialog.get_by_label("Authentication name").fill("Typo account")
        dialog.get_by_role("button", name="Next").click()
        dialog.get_by_label("URL").fill(served.sandbox_url)
        dialog.get_by_label("API key").fill(wrong)
        dialog.get_by_role("button", name="Create authentication").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#auth-select")).to_have_value("Typo account")
        page.get_by_role("button", name="Test authentication").click()
        result = page.locator("#auth-test-result")
        expect(result).to_contain_text("Tested “Typo account”")
        expect(result.locator(".error")).to_be_visible()

        # The verdict belongs to the authentication it tested: another one shows none, coming back shows it.
        page.locator("#auth-select").select_option("Sandbox")
        expect(result).to_have_text("")
        page.locator("#auth-select").select_option("Typo account")
        expect(result.locator(".error")).to_be_visible()

        # Edit: rename and enter the key again (never shown); the step follows the new name; test again.
        page.get_by_role("button", name="Edit Typo account").click()
        expect(dialog.get_by_label("Authentication name")).to_have_value("Typo account")
        dialog.get_by_label("Authentication name").fill("Main account")
        dialog.get_by_role("button", name="Next").click()
        expect(dialog.get_by_label("URL")).to_have_value(served.sandbox_url)
        expect(dialog.get_by_label("API key")).to_have_value("")
        dialog.get_by_label("API key").fill(served.sandbox.api_key)
        dialog.get_by_role("button", name="Save changes").click()
        expect(dialog).to_be_hidden()
        expect(page.locator("#auth-select")).to_have_value("Main account")
        expect(page.locator(".step small").first).to_contain_text("Main account")
        expect(result).to_have_text("")  # the old verdict said nothing about the new key
        page.get_by_role("button", name="Test authentication").click()
        expect(result.locator(".ok")).to_contain_text("Works")
        assert served.sandbox.api_key not in page.content() and wrong not in page.content()

        # A new step takes the authentication last used.
        page.get_by_role("button", name="Add ActiveCampaign step").click()
        expect(page.locator("#auth-select")).to_have_value("Main account")

        # Delete asks first; keeping it keeps it.
        page.get_by_role("button", name="Delete Main account").click()
        confirm = page.get_by_role("dialog", name="Delete “Main account”?")
        expect(confirm).to_contain_text("2 steps of this workflow use it")
        confirm.get_by_role("button", name="Keep it").click()
        assert [a["name"] for a in served.service.registry.list()] == ["Sandbox", "Main account"]
        page.get_by_role("button", name="Delete Main account").click()
        page.get_by_role("dialog", name="Delete “Main account”?").get_by_role("button", name="Delete").click()
        expect(result).to_contain_text("Deleted “Main account”")
        assert [a["name"] for a in served.service.registry.list()] == ["Sandbox"]
        expect(page.locator("#auth-select option:checked")).to_have_text("Main account (not found)")
