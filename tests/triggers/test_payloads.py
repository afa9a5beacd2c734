"""Deliveries become typed nested JSON that matches each event's documented output schema."""

from __future__ import annotations

from urllib.parse import urlencode

import jsonschema
import pytest

from ac_connector.triggers.catalog import webhook_events, webhook_output_schema, webhook_trigger_schema
from ac_connector.triggers.unflatten import PayloadError, parse_form, read_delivery, split_key, unflatten

# A real deal_update delivery's keys (as quoted in public code), in the order they arrived.
DEAL_UPDATE = [
    ("deal[orgname]", ""),
    ("deal[title]", "deal5"),
    ("deal[create_date_iso]", "2017-11-24T14:18:04-06:00"),
    ("deal[value]", "1,100.00"),
    ("updated_fields[3]", "stage"),
    ("deal[stage_title]", "To Contact"),
    ("deal[create_date]", "2017-11-24 14:18:04"),
    ("contact[fields][1]", "field1"),
    ("deal[value_raw]", "1100"),
    ("date_time", "2017-11-28T09:03:08-06:00"),
    ("contact[id]", "27"),
    ("type", "deal_update"),
    ("list", "0"),
    ("updated_fields[0]", "title"),
    ("contact[fields][2]", "field2"),
    ("updated_fields[2]", "nextdate"),
    ("updated_fields[1]", "mdate"),
    ("deal[stageid]", "1"),
    ("initiated_by", "admin"),
    ("deal[id]", "2"),
]


def validate(schema: dict, data: dict) -> None:
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(data)


def test_a_deal_update_becomes_nested_typed_json():
    schema = webhook_output_schema("deal_update")
    data = read_delivery(urlencode(DEAL_UPDATE).encode(), schema)
    assert data["deal"]["value"] == 1100.0 and data["deal"]["value_raw"] == 1100
    assert data["deal"]["id"] == "2" and data["deal"]["stageid"] == "1"  # ids stay strings, as in the API
    assert data["updated_fields"] == ["title", "mdate", "nextdate", "stage"]  # by index, not arrival order
    assert data["contact"]["fields"] == {"1": "field1", "2": "field2"}  # keyed by field id
    assert data["date_time"] == "2017-11-28T09:03:08-06:00"
    validate(schema, data)


def test_zero_dates_become_null_and_unknown_keys_are_kept():
    body = urlencode(
        [
            ("type", "deal_add"),
            ("date_time", "2024-01-01T00:00:00-05:00"),
            ("initiated_by", "api"),
            ("deal[create_date]", "0000-00-00 00:00:00"),
            ("deal[brand_new]", "x"),
            ("extra[a][b]", "y"),
        ]
    )
    data = read_delivery(body.encode(), webhook_output_schema("deal_add"))
    assert data["deal"]["create_date"] is None and data["deal"]["brand_new"] == "x"
    assert data["extra"] == {"a": {"b": "y"}}


def test_a_trigger_on_several_events_types_each_by_its_own_schema():
    schema = webhook_trigger_schema(["subscribe", "deal_add"])
    deal = read_delivery(b"type=deal_add&deal[value]=5.50&date_time=2024-01-01T00:00:00-05:00&initiated_by=api", schema)
    contact = read_delivery(b"type=subscribe&contact[fields][3]=5.50", schema)
    assert deal["deal"]["value"] == 5.5 and contact["contact"]["fields"]["3"] == "5.50"


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("contact[fields][12]", ["contact", "fields", "12"]),
        ("type", ["type"]),
        ("a[]", ["a", ""]),
        ("[x]", ["[x]"]),
        ("a[b", ["a[b"]),
        ("a[b]c", ["a[b]c"]),
        ("a" + "[b]" * 20, ["a" + "[b]" * 20]),
    ],
)
def test_keys_split_on_well_formed_brackets_only(key, parts):
    assert split_key(key) == parts


def test_clashing_keys_never_crash_and_appending_brackets_make_lists():
    assert unflatten([("a", "1"), ("a[b]", "2")]) == {"a": {"b": "2"}}
    assert unflatten([("a[b]", "2"), ("a", "1")]) == {"a": "1"}
    assert unflatten([("tags[]", "x"), ("tags[]", "y")]) == {"tags": {"0": "x", "1": "y"}}


def test_templates_in_values_stay_text():
    data = read_delivery(
        urlencode({"type": "update", "contact[first_name]": "{{ 7*7 }}"}).encode(), webhook_output_schema("update")
    )
    assert data["contact"]["first_name"] == "{{ 7*7 }}"


def test_a_body_that_is_not_text_is_refused():
    with pytest.raises(PayloadError):
        parse_form(b"\xff\xfe")


def test_every_event_has_a_title_a_description_and_a_valid_schema():
    events = webhook_events()
    assert len(events) == 25
    for event in events.values():
        assert event.title and event.description
        jsonschema.Draft202012Validator.check_schema(webhook_output_schema(event.name))


def test_the_events_table_is_the_accounts_list(run):
    assert set(run("list_webhook_events", {})["events"]) == set(webhook_events())


def test_the_readme_tables_are_generated_from_the_data():
    import subprocess
    import sys

    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    fresh = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; sys.path.insert(0, 'scripts'); import triggers_doc; "
            "sys.stdout.write(triggers_doc.updated(open('README.md', encoding='utf-8').read()))",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert readme == fresh, "run: python scripts/triggers_doc.py"


def test_workflow_check_refuses_an_event_activecampaign_does_not_have(connector):
    from ac_connector.workflows import check_workflow

    document = {
        "version": 1,
        "name": "On subscribe",
        "trigger": {"type": "webhook", "authentication": "Sandbox", "events": ["subscribe", "no_such_event"]},
        "steps": [
            {
                "id": "read",
                "name": "Read the contact",
                "operation": "get_contact",
                "authentication": "Sandbox",
                "input": {"contact_id": "$.trigger.contact.id"},
            }
        ],
    }
    result = check_workflow(connector, document).to_dict()
    assert [(e["pointer"], e["keyword"]) for e in result["errors"]] == [("/trigger/events/1", "enum")]
    assert "no_such_event" in result["errors"][0]["message"]
    document["trigger"]["events"] = ["subscribe"]
    assert check_workflow(connector, document).ok
