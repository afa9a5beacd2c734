"""Fixtures for workflow tests: a 4-step document with references, a run store in a temp folder."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ac_connector.workflows import RunStore

FOUR_STEPS: dict[str, Any] = {
    "version": 1,
    "name": "Four steps",
    "trigger": {
        "type": "manual",
        "input_schema": {
            "type": "object",
            "required": ["email"],
            "properties": {"email": {"type": "string"}, "first_name": {"type": "string"}, "value": {"type": "number"}},
        },
    },
    "steps": [
        {
            "id": "contact",
            "name": "Create contact",
            "operation": "create_contact",
            "authentication": "Sandbox",
            "input": {"email": "$.trigger.email", "first_name": "$.trigger.first_name"},
        },
        {
            "id": "subscribe",
            "name": "Subscribe",
            "operation": "add_contact_to_list",
            "authentication": "Sandbox",
            "input": {"contact_id": "$.steps.contact.contact.id", "list_id": "2"},
        },
        {
            "id": "deal",
            "name": "Open a deal",
            "operation": "create_deal",
            "authentication": "Sandbox",
            "input": {
                "title": "Deal for {$.steps.contact.contact.email}",
                "value": "$.trigger.value",
                "currency": "usd",
                "contact_id": "$.steps.contact.contact.id",
                "pipeline_id": "1",
                "owner_id": "1",
            },
        },
        {
            "id": "note",
            "name": "Note the deal",
            "operation": "create_deal_note",
            "authentication": "Sandbox",
            "input": {
                "deal_id": "$.steps.deal.deal.id",
                "note": "List membership {$.steps.subscribe.contactList.id} for contact {$.steps.contact.contact.id}",
            },
        },
    ],
}


@pytest.fixture
def four_steps() -> dict[str, Any]:
    return copy.deepcopy(FOUR_STEPS)


@pytest.fixture
def store(tmp_path):
    s = RunStore.open(home=tmp_path / "home")
    yield s
    s.close()


@pytest.fixture
def auths(auth):
    return {"Sandbox": auth}
