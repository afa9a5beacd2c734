"""A real service (uvicorn on a free loopback port) offering its own sandbox as "Sandbox": the sandbox
delivers webhooks to the service over HTTP, like ActiveCampaign would."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.ratelimit import NoLimit


@pytest.fixture(scope="module")
def trigger_connector() -> Iterator[Any]:
    from ac_connector import load

    connector = load(allow_loopback=True, limiter=NoLimit())
    yield connector
    connector.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory, trigger_connector) -> Iterator[tuple[Any, str]]:
    from sandbox import Sandbox

    sandbox = Sandbox(api_key=f"sandbox-{secrets.token_hex(16)}", rate_limit=None, control=True)
    settings = ServiceSettings(host="127.0.0.1", port=0, home=tmp_path_factory.mktemp("home"))
    with running(settings, sandbox=sandbox, connector=trigger_connector) as (service, url):
        yield service, url


@pytest.fixture
def service(served) -> Any:
    svc, _ = served
    svc.offer.sandbox.reset()
    return svc


@pytest.fixture
def base_url(served) -> str:
    return served[1]
