"""The async twin and the streaming form behave exactly like run()."""

from __future__ import annotations

import asyncio

import pytest

from engine import errors
from engine.ratelimit import NoLimit
from engine.runtime import Connector
from tests.conftest import ROOT


@pytest.fixture
def async_connector():
    c = Connector.load(ROOT, strict_output=True, allow_loopback=True, limiter=NoLimit())
    yield c
    c.close()


def in_loop(connector, coroutine):
    """One event loop per test, closing the connector's client for that loop at the end."""

    async def body():
        try:
            return await coroutine
        finally:
            await connector.aclose()

    return asyncio.run(body())


def test_arun_matches_run(async_connector, connector, sandbox_server, sandbox, api_key):
    fields = {"api_url": sandbox_server.url, "api_key": api_key}
    auth = async_connector.authentication(fields)

    async def many():
        return await asyncio.gather(*(async_connector.arun("get_user", {"user_id": "1"}, auth) for _ in range(20)))

    results = in_loop(async_connector, many())
    assert all(r == connector.run("get_user", {"user_id": "1"}, connector.authentication(fields)) for r in results)


def test_async_errors_are_the_same_types(async_connector, sandbox_server, sandbox, api_key):
    auth = async_connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})
    with pytest.raises(errors.NotFound):
        in_loop(async_connector, async_connector.arun("get_contact", {"contact_id": "987654"}, auth))
    with pytest.raises(errors.ValidationError):
        in_loop(async_connector, async_connector.arun("get_contact", {"contact_id": "x"}, auth))


def test_aoptions(async_connector, sandbox_server, sandbox, api_key):
    auth = async_connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})
    out = in_loop(async_connector, async_connector.aoptions("add_contact_to_list", "list_id", {}, auth))
    assert out["result"]


def test_stream_yields_every_item_once(connector, auth, sandbox):
    sandbox.load_fixture(lists=230)
    streamed = [item["id"] for item in connector.stream("list_lists", {"return_all": True}, auth)]
    listed = [item["id"] for item in connector.run("list_lists", {"return_all": True}, auth)["lists"]]
    assert streamed == listed and len(set(streamed)) == len(streamed) >= 230


def test_astream(async_connector, sandbox_server, sandbox, api_key):
    sandbox.load_fixture(lists=120)
    auth = async_connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})

    async def collect():
        return [item async for item in async_connector.astream("list_lists", {"return_all": True}, auth)]

    assert len({i["id"] for i in in_loop(async_connector, collect())}) >= 120


def test_single_page_says_whether_more_remain(run, sandbox):
    sandbox.load_fixture(lists=30)
    page = run("list_lists", {"limit": 10})
    assert len(page["lists"]) == 10 and page["has_more"] is True and page["next_offset"] == 10
    last = run("list_lists", {"limit": 100, "offset": page["total"] - 5})
    assert len(last["lists"]) == 5 and last["has_more"] is False and last["next_offset"] is None


def test_return_all_respects_the_cap(run, sandbox):
    sandbox.load_fixture(lists=150)
    capped = run("list_lists", {"return_all": True, "max_items": 120})
    assert len(capped["lists"]) == 120 and capped["has_more"] is True


def test_ddl_pages_beyond_the_first_hundred(connector, auth, sandbox):
    sandbox.load_fixture(lists=150)
    first = connector.options("add_contact_to_list", "list_id", {}, auth)
    assert len(first["result"]) == 100 and first["next_offset"] == 100
    second = connector.options("add_contact_to_list", "list_id", {}, auth, offset=first["next_offset"])
    assert second["result"] and not {c["value"] for c in first["result"]} & {c["value"] for c in second["result"]}


def test_render_request_sends_nothing(connector, auth, sandbox):
    request = connector.render_request("create_contact", {"email": "dry@example.com"}, auth)
    assert request.method == "POST" and request.url.path.endswith("/contacts")
    assert len(sandbox.log) == 0


def test_return_all_cap_has_more_and_resume_offset(run, sandbox):
    sandbox.load_fixture(contacts=198)  # 200 with the seeded two: two full pages, then nothing
    exact = run("list_contacts", {"return_all": True, "max_items": 200})
    assert len(exact["contacts"]) == 200 and exact["has_more"] is False
    by_offset = run("list_lists", {"return_all": True, "max_items": 2})
    assert by_offset["has_more"] is False
    fewer = run("list_contacts", {"return_all": True, "max_items": 199})
    assert len(fewer["contacts"]) == 199 and fewer["has_more"] is True
    lists_cut = run("list_lists", {"return_all": True, "max_items": 1})
    assert lists_cut["has_more"] is True and lists_cut["next_offset"] == 1  # right after the last one returned
    rest = run("list_lists", {"offset": lists_cut["next_offset"]})
    assert [x["id"] for x in lists_cut["lists"] + rest["lists"]] == ["1", "2"]
