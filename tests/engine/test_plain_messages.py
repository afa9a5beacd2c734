"""Validation messages in plain words, made in one place (engine.messages) from the keyword and the field's
title, format, pattern and examples; the pointer and keyword stay for programs."""

from __future__ import annotations

import pytest

from engine.errors import ValidationError
from engine.messages import describe_pattern


@pytest.fixture(scope="module")
def connector():
    from ac_connector import load

    c = load(allow_loopback=True)
    yield c
    c.close()


def errors_of(connector, operation: str, data: dict) -> dict[str, tuple[str, str]]:
    with pytest.raises(ValidationError) as caught:
        connector.validate_input(operation, data)
    return {e["pointer"]: (e["keyword"], e["message"]) for e in caught.value.errors}


def test_the_words_of_the_issue(connector):
    assert errors_of(connector, "create_contact", {"email": "jane"}) == {
        "/email": ("format", "Enter an email address like jane@example.com")
    }
    deal = errors_of(connector, "create_deal", {"title": "", "value": -1, "currency": "USD"})
    assert deal["/contact_id"] == ("required", "Choose a contact")  # a dropdown: choose, not enter
    assert deal["/pipeline_id"] == ("required", "Choose a pipeline")
    assert deal["/currency"] == ("pattern", "Use 3 lowercase letters, e.g. usd")
    assert deal["/title"] == ("minLength", "Enter a title")
    assert deal["/value"] == ("minimum", "Enter a number of at least 0")


def test_types_choices_and_ids(connector):
    listed = errors_of(connector, "add_contact_to_list", {"contact_id": "12a", "list_id": 5, "status": 7})
    assert listed["/contact_id"] == ("pattern", "Use digits only")
    assert listed["/list_id"] == ("type", "Enter text")
    assert listed["/status"] == ("oneOf", "Choose one of: Subscribed, Unsubscribed")


def test_the_cli_and_service_message_is_built_from_the_same_words(connector):
    with pytest.raises(ValidationError) as caught:
        connector.validate_input("create_contact", {"email": "jane"})
    assert caught.value.message == "Invalid input: /email: Enter an email address like jane@example.com"
    assert caught.value.to_dict()["errors"] == [
        {"pointer": "/email", "keyword": "format", "message": "Enter an email address like jane@example.com"}
    ]


@pytest.mark.parametrize(
    ("pattern", "words"),
    [
        ("^[a-z]{3}$", "Use 3 lowercase letters"),
        ("^[0-9]+$", "Use digits only"),
        ("^[A-Z]{2,3}$", "Use 2 to 3 capital letters"),
        ("^[a-z0-9]{8,}$", "Use at least 8 lowercase letters and digits"),
        ("^(a|b)$", None),
        ("^[a-z]{3}(?!\\n)$", "Use 3 lowercase letters"),
        ("^[0-9]+(?!\\n)$", "Use digits only"),
    ],
)
def test_simple_patterns_in_words(pattern, words):
    assert describe_pattern(pattern) == words
