"""Bulk import through the engine against the sandbox: batches of 250, status polled until done, a
per-contact report, and the command line streaming a JSON-lines file."""

from __future__ import annotations

import json

from helpers.api_calls import api_requests
from helpers.specs import ROOT

from ac_connector.cli import main as cli


def _contacts(n: int, prefix: str = "bulk") -> list[dict]:
    return [{"email": f"{prefix}{i}@example.com", "first_name": f"N{i}"} for i in range(n)]


def test_many_contacts_go_in_batches_of_250_and_are_all_reported(run, sandbox):
    contacts = _contacts(600)
    contacts[7] = {
        "email": "bulk7@example.com",
        "first_name": "Seven",
        "tags": ["Imported", "customer"],
        "list_ids": ["2"],
        "field_values": [{"field_id": "1", "value": "11-50"}],
    }
    out = run("bulk_import_contacts", {"contacts": contacts})
    sent = api_requests(sandbox, "POST", "/api/3/import/bulk_import")
    assert [len(r.body["contacts"]) for r in sent] == [250, 250, 100]
    assert sent[0].body["contacts"][7] == {
        "email": "bulk7@example.com",
        "first_name": "Seven",
        "tags": ["Imported", "customer"],
        "fields": [{"id": 1, "value": "11-50"}],
        "subscribe": [{"listid": 2}],
    }
    assert (out["accepted"], out["refused"]) == (600, 0)
    assert [c["email"] for c in out["contacts"]] == [c["email"] for c in contacts]
    assert len(out["batches"]) == 3 and all(b["batch_id"] for b in out["batches"])
    seven = run("find_contact_by_email", {"email": "bulk7@example.com"})["contact"]
    tags = run("list_contact_tags", {"contact_id": seven["id"]})["contactTags"]
    assert len(tags) == 2
    lists = run("list_contact_lists", {"contact_id": seven["id"]})["contactLists"]
    assert [(str(m["list"]), str(m["status"])) for m in lists] == [("2", "1")]


def test_the_status_is_polled_until_the_import_is_done(run, sandbox, monkeypatch):
    monkeypatch.setattr(sandbox, "import_delay", 2.5)
    out = run("bulk_import_contacts", {"contacts": _contacts(3)})
    assert out["accepted"] == 3
    assert len(api_requests(sandbox, "GET", "/api/3/import/info")) >= 2


def test_an_interrupted_batch_reports_its_contacts_refused(run, sandbox, monkeypatch):
    monkeypatch.setattr(sandbox, "interrupt_imports", 1)
    out = run("bulk_import_contacts", {"contacts": _contacts(260)})
    assert (out["accepted"], out["refused"]) == (10, 250)
    assert out["contacts"][0] == {"email": "bulk0@example.com", "accepted": False, "reason": "the import was interrupted"}
    assert out["contacts"][259] == {"email": "bulk259@example.com", "accepted": True}


def test_the_command_line_streams_a_json_lines_file(tmp_path, monkeypatch, capsys, sandbox, sandbox_server, api_key):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AC_API_URL", sandbox_server.url)
    monkeypatch.setenv("AC_API_KEY", api_key)
    lines = [json.dumps(c) for c in _contacts(5, "cli")] + ["", "{not json", json.dumps({"email": "nope"})]
    source = tmp_path / "contacts.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert cli(["import-contacts", str(source), "--chunk", "2"]) == 0
    captured = capsys.readouterr()
    reports = [json.loads(line) for line in captured.out.splitlines()]
    assert [(r["line"], r["accepted"]) for r in reports] == [
        (1, True),
        (2, True),
        (3, True),
        (4, True),
        (5, True),
        (7, False),
        (8, False),
    ]
    assert reports[-1]["email"] == "nope" and reports[-1]["reason"].startswith("/email")
    assert "accepted 5, refused 2" in captured.err
    assert [len(r.body["contacts"]) for r in api_requests(sandbox, "POST")] == [2, 2, 1]
    assert api_key not in captured.out + captured.err


def test_activecampaigns_400_rate_limit_is_waited_out_and_the_batch_sent_again(sandbox, sandbox_server, api_key):
    """The bulk import's own limit answers 400 "Rate limit exceeded."; the connector waits a minute (on a
    fake clock here) and sends the same batch again, once."""
    from engine.clock import FakeClock
    from engine.ratelimit import NoLimit
    from engine.runtime import Connector
    from sandbox.resources.imports import RATE_LIMITED

    clock = FakeClock()
    connector = Connector.load(ROOT, clock=clock, limiter=NoLimit(), allow_loopback=True, strict_output=True)
    try:
        auth = connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})
        sandbox.faults.add("POST /api/3/import/bulk_import", [400], body=RATE_LIMITED)
        out = connector.run("bulk_import_contacts", {"contacts": _contacts(300)}, auth)
    finally:
        connector.close()
    assert (out["accepted"], out["refused"]) == (300, 0)
    assert [len(r.body["contacts"]) for r in api_requests(sandbox, "POST")] == [250, 250, 50]
    assert 60.0 in clock.sleeps


def test_big_contacts_make_smaller_batches_under_the_byte_limit(run, sandbox):
    """250 contacts of about 2 KB each would pass 400,000 bytes: the batches are cut by size as well."""
    contacts = [{"email": f"big{i}@example.com", "field_values": [{"field_id": "1", "value": "x" * 2000}]} for i in range(250)]
    out = run("bulk_import_contacts", {"contacts": contacts})
    sizes = [len(r.body["contacts"]) for r in api_requests(sandbox, "POST")]
    assert sum(sizes) == 250 and len(sizes) > 1 and out["accepted"] == 250
    assert all(len(json.dumps(r.body)) < 400_000 for r in api_requests(sandbox, "POST"))
