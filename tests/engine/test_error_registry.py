"""Error types are spelled once: the registry in engine/errors.py; specs naming an unknown one fail to load."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.specs import minimal_connector

from engine.errors import ERROR_TYPES, UPSTREAM_TYPES, ConnectorError, SpecError, type_for_status
from engine.loader import load_connector


def test_every_error_class_is_registered_under_its_type() -> None:
    def walk(cls: type[ConnectorError]) -> list[type[ConnectorError]]:
        return [cls, *(c for sub in cls.__subclasses__() for c in walk(sub))]

    for cls in walk(ConnectorError):
        if "type" not in cls.__dict__:  # a base that adds no type of its own (the service's ServiceError) is not one
            continue
        if cls.__module__.startswith("engine."):
            assert ERROR_TYPES[cls.type] is cls
        else:  # a product's error: its own type, or an engine type reused for the same meaning, never replacing it
            owner = ERROR_TYPES[cls.type]
            assert owner is cls or owner.__module__.startswith("engine."), (cls, owner)
    assert {"not_found", "rate_limited", "timeout", "upstream"} <= set(UPSTREAM_TYPES)


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (401, "authentication"),
        (403, "authentication"),
        (404, "not_found"),
        (400, "upstream_validation"),
        (422, "upstream_validation"),
        (429, "rate_limited"),
        (503, "server_error"),
        (402, "upstream"),
        (418, "upstream"),
    ],
)
def test_default_type_of_a_status(status: int, kind: str) -> None:
    assert type_for_status(status) == kind


def test_an_unknown_type_in_a_rule_or_a_failure_is_a_load_problem(tmp_path: Path) -> None:
    folder = minimal_connector(
        tmp_path,
        broken="""\
name: broken
title: Broken
description: Names an error type that does not exist.
idempotency: safe
input: {type: object, properties: {}}
output: {type: object}
request: {method: GET, path: /users/me}
response:
  success_when: "{{ response.body.ok }}"
  failure: {type: no_such_type, message: nope}
""",
    )
    manifest = folder / "connector.yaml"
    manifest.write_text(manifest.read_text().replace("type: not_found}", "type: not_fuond}", 1))
    with pytest.raises(SpecError) as caught:
        load_connector(folder)
    where = {(p["file"], p["path"]) for p in caught.value.problems}
    assert ("operations/broken.yaml", "/response/failure/type") in where
    assert any(f == "connector.yaml" and p.startswith("/errors/rules/") for f, p in where)
    assert "unknown error type 'not_fuond'" in str(caught.value)
