"""Deal tasks and task types through the engine against the sandbox."""

from __future__ import annotations

import pytest
from helpers.api_calls import api_requests, last, new_deal

from engine import errors

# Seeded (sandbox/seed.py): task types 1 "Call" and 2 "Email"; task 1 "Call Jane about the renewal"
# on deal 1, due 2024-01-17.
DUE = "2030-03-14T15:00:00-05:00"


# -- task types --------------------------------------------------------------------------------
def test_create_task_type_and_read_it_back(run, sandbox):
    out = run("create_deal_task_type", {"title": "Video call"})
    assert last(sandbox, "POST").body == {"dealTasktype": {"title": "Video call"}}
    created = out["dealTasktype"]
    assert created["title"] == "Video call" and str(created["status"]) == "0"
    listed = run("list_deal_task_types")
    assert [t["title"] for t in listed["dealTasktypes"]] == ["Call", "Email", "Video call"] and listed["total"] == 3


def test_a_disabled_task_type_is_marked_in_the_dropdown(run):
    run("create_deal_task_type", {"title": "Fax", "status": 1})
    choices = run("list_deal_task_types_ddl")["result"]
    assert choices == [
        {"text": "Call", "value": "1"},
        {"text": "Email", "value": "2"},
        {"text": "Fax (disabled)", "value": "3"},
    ]
    assert run("list_deal_task_types_ddl", {"search": "MAI"})["result"] == [{"text": "Email", "value": "2"}]


def test_a_task_type_title_already_in_use_is_already_exists(run):
    with pytest.raises(errors.AlreadyExists) as info:
        run("create_deal_task_type", {"title": "call"})
    assert info.value.status == 422 and "already exists" in info.value.message
    assert isinstance(info.value, errors.UpstreamValidation)


def test_update_task_type_changes_only_the_fields_given(run, sandbox):
    out = run("update_deal_task_type", {"task_type_id": "2", "status": 1})
    assert last(sandbox, "PUT").body == {"dealTasktype": {"status": 1}}
    assert out["dealTasktype"]["title"] == "Email" and str(out["dealTasktype"]["status"]) == "1"
    renamed = run("update_deal_task_type", {"task_type_id": "2", "title": "E-mail"})["dealTasktype"]
    assert renamed["title"] == "E-mail" and str(renamed["status"]) == "1"


def test_update_missing_task_type_is_not_found(run):
    with pytest.raises(errors.NotFound):
        run("update_deal_task_type", {"task_type_id": "4242", "title": "Ghost"})


@pytest.mark.parametrize(
    ("op", "data", "pointer"),
    [
        ("create_deal_task_type", {}, "/title"),
        ("create_deal_task_type", {"title": "X", "status": 2}, "/status"),
        ("create_deal_task_type", {"title": ""}, "/title"),
        ("update_deal_task_type", {"title": "X"}, "/task_type_id"),
        ("update_deal_task_type", {"task_type_id": "2", "status": "disabled"}, "/status"),
    ],
)
def test_invalid_task_type_input_is_refused_before_sending(connector, auth, sandbox, op, data, pointer):
    with pytest.raises(errors.ValidationError) as info:
        connector.run(op, data, auth)
    assert pointer in [e["pointer"] for e in info.value.errors]
    assert api_requests(sandbox) == []


def test_list_task_types_pages(run):
    page = run("list_deal_task_types", {"limit": 1})
    assert len(page["dealTasktypes"]) == 1 and page["has_more"] is True and page["next_offset"] == 1
    assert len(run("list_deal_task_types", {"return_all": True})["dealTasktypes"]) == 2


# -- tasks -------------------------------------------------------------------------------------
def test_create_task_on_a_deal(run, sandbox):
    deal = new_deal(run)
    out = run(
        "create_deal_task",
        {"deal_id": deal, "task_type_id": "1", "title": "Call back", "note": "Prices", "due": DUE, "assignee_id": "2"},
    )
    assert last(sandbox, "POST").body == {
        "dealTask": {
            "ownerType": "deal",
            "relid": deal,
            "dealTasktype": "1",
            "title": "Call back",
            "note": "Prices",
            "duedate": DUE,
            "assignee": "2",
        }
    }
    task = out["dealTask"]
    assert (task["reltype"], str(task["relid"]), task["owner"]["type"]) == ("Deal", deal, "deal")
    assert (task["title"], str(task["dealTasktype"]), str(task["assignee"]), str(task["status"])) == (
        "Call back",
        "1",
        "2",
        "0",
    )
    assert task["duedate"] == DUE


def test_create_task_on_a_contact(run, sandbox):
    out = run(
        "create_deal_task",
        {
            "owner_type": "contact",
            "contact_id": "2",
            "task_type_id": "2",
            "due": DUE,
            "end": "2030-03-14T15:30:00-05:00",
            "status": 1,
        },
    )
    sent = last(sandbox, "POST").body["dealTask"]
    assert (sent["ownerType"], sent["relid"], sent["status"]) == ("contact", "2", 1)
    assert sent["edate"] == "2030-03-14T15:30:00-05:00"
    task = out["dealTask"]
    assert (task["reltype"], str(task["relid"]), task["owner"]["type"]) == ("Subscriber", "2", "contact")


def test_a_task_on_a_missing_deal_or_type_is_activecampaigns_422(run):
    with pytest.raises(errors.UpstreamValidation) as info:
        run("create_deal_task", {"deal_id": "4242", "task_type_id": "1", "due": DUE})
    assert "No deal with id 4242 exists" in info.value.message
    with pytest.raises(errors.UpstreamValidation) as info:
        run("create_deal_task", {"deal_id": "1", "task_type_id": "4242", "due": DUE})
    assert "No deal task type with id 4242 exists" in info.value.message


@pytest.mark.parametrize(
    ("data", "pointer", "keyword"),
    [
        ({"task_type_id": "1", "due": DUE}, "/deal_id", "required"),
        ({"owner_type": "contact", "task_type_id": "1", "due": DUE}, "/contact_id", "required"),
        ({"owner_type": "contact", "contact_id": "1", "deal_id": "1", "task_type_id": "1", "due": DUE}, "/deal_id", "not"),
        ({"deal_id": "1", "contact_id": "1", "task_type_id": "1", "due": DUE}, "/contact_id", "not"),
        ({"owner_type": "account", "deal_id": "1", "task_type_id": "1", "due": DUE}, "/owner_type", "oneOf"),
        ({"deal_id": "1", "task_type_id": "1", "due": "next tuesday"}, "/due", "format"),
        ({"deal_id": "1", "task_type_id": "1"}, "/due", "required"),
        ({"deal_id": "1", "due": DUE}, "/task_type_id", "required"),
        ({"deal_id": "1", "task_type_id": "1", "due": DUE, "status": 2}, "/status", "oneOf"),
    ],
)
def test_invalid_task_input_is_refused_before_sending(connector, auth, sandbox, data, pointer, keyword):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("create_deal_task", data, auth)
    assert (pointer, keyword) in [(e["pointer"], e["keyword"]) for e in info.value.errors]
    assert api_requests(sandbox) == []


def test_update_task_sends_only_the_fields_given_and_completes_it(run, sandbox):
    out = run("update_deal_task", {"task_id": "1", "status": 1})
    assert last(sandbox, "PUT").body == {"dealTask": {"status": 1}}
    task = out["dealTask"]
    assert str(task["status"]) == "1" and task["title"] == "Call Jane about the renewal"
    run("update_deal_task", {"task_id": "1", "due": DUE, "task_type_id": "2", "title": "Email Jane"})
    assert last(sandbox, "PUT").body == {"dealTask": {"dealTasktype": "2", "title": "Email Jane", "duedate": DUE}}
    listed = run("list_deal_tasks", {"deal_id": "1"})["dealTasks"]
    assert [(t["title"], str(t["dealTasktype"]), str(t["status"])) for t in listed] == [("Email Jane", "2", "1")]


def test_update_missing_task_is_not_found(run):
    with pytest.raises(errors.NotFound):
        run("update_deal_task", {"task_id": "4242", "status": 1})


def test_update_task_with_a_missing_assignee_is_activecampaigns_422(run):
    with pytest.raises(errors.UpstreamValidation) as info:
        run("update_deal_task", {"task_id": "1", "assignee_id": "4242"})
    assert "No user with id 4242 exists" in info.value.message


def test_list_tasks_filters(run, sandbox):
    deal = new_deal(run)
    call = run("create_deal_task", {"deal_id": deal, "task_type_id": "1", "title": "Ring", "due": DUE})["dealTask"]
    mail = run(
        "create_deal_task",
        {"deal_id": deal, "task_type_id": "2", "title": "Write", "due": DUE, "assignee_id": "2", "status": 1},
    )["dealTask"]
    on_contact = run(
        "create_deal_task",
        {"owner_type": "contact", "contact_id": "1", "task_type_id": "1", "due": "2031-01-01T10:00:00-05:00"},
    )["dealTask"]
    ids = lambda data: sorted(t["id"] for t in run("list_deal_tasks", data)["dealTasks"])  # noqa: E731
    assert ids({"deal_id": deal}) == sorted([call["id"], mail["id"]])
    query = {k: v[0] for k, v in last(sandbox, "GET").query.items()}
    assert query["filters[reltype]"] == "Deal" and query["filters[relid]"] == deal
    assert ids({"contact_id": "1"}) == [on_contact["id"]]
    assert last(sandbox, "GET").query["filters[reltype]"] == ["Subscriber"]
    assert ids({"deal_id": deal, "status": 1}) == [mail["id"]]
    assert ids({"deal_id": deal, "task_type_id": "1"}) == [call["id"]]
    assert ids({"assignee_id": "2"}) == [mail["id"]]
    assert ids({"title": "ring"}) == [call["id"]]
    assert ids({"due_after": "2030-12-31"}) == [on_contact["id"]]
    assert ids({"due_before": "2025-01-01"}) == ["1"]  # the seeded task, due 2024-01-17
    assert "1" in ids({"due": "overdue"}) and call["id"] not in ids({"due": "overdue"})
    assert last(sandbox, "GET").query["filters[duedate_range]"] == ["overdue"]


def test_list_tasks_refuses_a_deal_and_a_contact_together(connector, auth, sandbox):
    with pytest.raises(errors.ValidationError) as info:
        connector.run("list_deal_tasks", {"deal_id": "1", "contact_id": "1"}, auth)
    assert info.value.errors[0]["pointer"] == "/contact_id"
    assert api_requests(sandbox) == []


def test_tasks_ddl_shows_title_and_due_date_and_filters_by_deal(run, connector, auth):
    deal = new_deal(run)
    untitled = run("create_deal_task", {"deal_id": deal, "task_type_id": "1", "note": "Send the contract", "due": DUE})[
        "dealTask"
    ]
    assert run("list_deal_tasks_ddl")["result"][0] == {"text": "Call Jane about the renewal (due 2024-01-17)", "value": "1"}
    only = run("list_deal_tasks_ddl", {"deal_id": deal})["result"]
    assert only == [{"text": "Send the contract (due 2030-03-14)", "value": untitled["id"]}]
    found = connector.options("update_deal_task", "task_id", {}, auth, search="jane")
    assert [c["value"] for c in found["result"]] == ["1"]
    lookups = {lk["field"]: lk["operation"] for lk in connector.describe("create_deal_task")["lookups"]}
    assert lookups == {
        "/deal_id": "list_deals_ddl",
        "/contact_id": "list_contacts_ddl",
        "/task_type_id": "list_deal_task_types_ddl",
        "/assignee_id": "list_users_ddl",
    }


# -- task outcomes -----------------------------------------------------------------------------
# Seeded: outcomes 1 "Interested" (positive) and 2 "Not interested" (negative), both outcomes of task type 2
# "Email"; type 1 "Call" has none. update-task: "Task outcome's id is required at the time of task being
# completed" (developers.activecampaign.com/reference/update-task).
def email_task(run) -> str:
    return run("create_deal_task", {"deal_id": "1", "task_type_id": "2", "title": "Send the quote", "due": DUE})["dealTask"][
        "id"
    ]


def test_completing_a_task_whose_type_has_outcomes_needs_one(run):
    task = email_task(run)
    with pytest.raises(errors.UpstreamValidation) as info:
        run("update_deal_task", {"task_id": task, "status": 1})
    assert info.value.status == 422 and "outcome" in info.value.message.lower()
    assert info.value.to_dict()["upstream"][0]["pointer"] == "/data/attributes/outcomeId"
    assert run("list_deal_tasks", {"deal_id": "1", "status": 1})["dealTasks"] == []


def test_completing_with_an_outcome_and_its_note(run, sandbox):
    task = email_task(run)
    out = run("update_deal_task", {"task_id": task, "status": 1, "outcome_id": "1", "outcome_note": "Wants 25 seats"})[
        "dealTask"
    ]
    assert last(sandbox, "PUT").body == {"dealTask": {"status": 1, "outcomeId": "1", "outcomeInfo": "Wants 25 seats"}}
    assert (int(out["status"]), str(out["outcomeId"]), out["outcomeInfo"]) == (1, "1", "Wants 25 seats")


def test_an_outcome_of_another_task_type_is_refused(run):
    task = email_task(run)
    outcome = run(
        "raw_http_request",
        {
            "method": "POST",
            "path": "/taskOutcomes",
            "body": {"taskOutcome": {"title": "Booked a demo", "sentiment": "Positive"}},
        },
    )["body"]["taskOutcome"]["id"]
    with pytest.raises(errors.UpstreamValidation) as info:
        run("update_deal_task", {"task_id": task, "status": 1, "outcome_id": outcome})
    assert "not an outcome of this task type" in info.value.message


def test_a_task_type_without_outcomes_completes_without_one(run):
    assert int(run("update_deal_task", {"task_id": "1", "status": 1})["dealTask"]["status"]) == 1


def test_the_outcome_dropdown_lists_the_accounts_outcomes(run, connector, auth, sandbox):
    choices = connector.options("update_deal_task", "outcome_id", {"task_id": "1"}, auth)["result"]
    assert choices == [{"text": "Interested (positive)", "value": "1"}, {"text": "Not interested (negative)", "value": "2"}]
    assert last(sandbox, "GET").path == "/api/3/taskOutcomes"
    assert run("list_task_outcomes_ddl", {"search": "NOT"})["result"] == [{"text": "Not interested (negative)", "value": "2"}]
