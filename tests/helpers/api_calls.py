"""What reached the sandbox's API, and input refused before anything was sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from engine.errors import ValidationError


def api_requests(sandbox: Any, method: str | None = None, path: str | None = None) -> list:
    """The sandbox's logged ``/api/3`` requests (not its control API), by method and path glob if given."""
    return [r for r in sandbox.log.matching(method, path) if r.path.startswith("/api/3")]


def last(sandbox: Any, method: str) -> Any:
    return api_requests(sandbox, method)[-1]


def refused_before_sending(run: Callable[[str, Any], Any], sandbox: Any, operation: str, data: dict) -> list[tuple[str, str]]:
    """Run ``operation`` expecting a ValidationError and no request upstream; its (pointer, keyword) pairs."""
    with pytest.raises(ValidationError) as info:
        run(operation, data)
    assert api_requests(sandbox) == []
    return [(e["pointer"], e["keyword"]) for e in info.value.errors]


def new_deal(run: Callable[[str, Any], Any], title: str = "Test deal") -> str:
    """A deal in the seeded pipeline 1 for contact 1; its id."""
    return run("create_deal", {"title": title, "value": 10, "currency": "usd", "contact_id": "1", "pipeline_id": "1"})["deal"][
        "id"
    ]
