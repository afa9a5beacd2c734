"""R8: paging loses and repeats nothing, however the collection moves; a page that finally fails says where to resume.

Batches (bulk import) are not among the product's operations (shared/reference/operations.md), so
the batch half of R8 has no operation to test here.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine import errors
from sandbox import Sandbox, SandboxServer

from .support import connected

KEYSET = {"return_all": True}  # id order: keyset (orders[id]=ASC + id_greater)
OFFSET = {"return_all": True, "order_by": "email"}  # any other order: offsets, de-duplicated by id
MODES = {"keyset": KEYSET, "offset": OFFSET}


@pytest.fixture(scope="module")
def empty_account(api_key):
    """An account with no seeded contacts, so N generated contacts are exactly N."""
    sb = Sandbox(api_key=api_key, rate_limit=None, seed=False)
    with SandboxServer(sb) as server, connected() as c:
        yield sb, c, c.authentication({"api_url": server.url, "api_key": api_key})


def page_requests(sb: Sandbox) -> list:
    return sb.log.matching("GET", "/api/3/contacts")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("n", [0, 1, 99, 100, 101, 250, 1000])
def test_every_contact_exactly_once_in_the_fewest_requests(empty_account, n, mode):
    sb, c, auth = empty_account
    sb.reset()
    sb.load_fixture(contacts=n)
    out = c.run("list_contacts", MODES[mode], auth)
    ids = [item["id"] for item in out["contacts"]]
    assert len(ids) == n == len(set(ids))
    assert out["has_more"] is False
    requests = page_requests(sb)
    assert len(requests) == math.ceil(n / 100) + (1 if n % 100 == 0 else 0)
    assert all(r.query["limit"] == ["100"] for r in requests)
    if mode == "keyset":
        assert all(r.query.get("orders[id]") == ["ASC"] for r in requests)
        assert "id_greater" not in requests[0].query and all("id_greater" in r.query for r in requests[1:])


def _api(sb: Sandbox, key: str, method: str, path: str, body: dict | None = None) -> dict:
    response = sb.handle(
        method,
        f"/api/3{path}",
        headers={"Api-Token": key, "Content-Type": "application/json"},
        body=json.dumps(body).encode() if body else b"",
    )
    assert response.status in (200, 201), response.body
    return response.json()


# Between two page fetches: how many contacts to add, and which of the current ones to delete (as
# fractions of the id list, so the plan fits any size).
GAPS = st.lists(st.tuples(st.integers(0, 30), st.lists(st.floats(0, 1, exclude_max=True), max_size=30)), min_size=6, max_size=6)


@pytest.mark.parametrize("mode", MODES)
@given(start=st.integers(0, 320), gaps=GAPS)
def test_inserts_and_deletes_between_pages(empty_account, api_key, mode, start, gaps):
    """Keyset: every contact present throughout comes exactly once. Offset with de-dup: never twice."""
    sb, c, auth = empty_account
    sb.reset()
    sb.load_fixture(contacts=start)
    initial = {row["id"] for row in sb.store["contacts"]}
    deleted: set[str] = set()
    seen: list[str] = []
    pages_done = 0
    serial = 0
    for item in c.stream("list_contacts", MODES[mode], auth):
        fetched = len(page_requests(sb))
        if fetched > pages_done:  # the first item of a new page: the next fetch has not happened yet
            pages_done = fetched
            inserts, deletes = gaps[min(fetched - 1, len(gaps) - 1)]
            for _ in range(inserts):
                serial += 1
                _api(sb, api_key, "POST", "/contacts", {"contact": {"email": f"new{serial}@example.com"}})
            ids = sorted((row["id"] for row in sb.store["contacts"]), key=int)
            for where in deletes:
                if ids:
                    victim = ids.pop(int(where * len(ids)))
                    _api(sb, api_key, "DELETE", f"/contacts/{victim}")
                    deleted.add(victim)
        seen.append(item["id"])
    assert len(seen) == len(set(seen)), "a contact came twice"
    if mode == "keyset":
        assert initial - deleted <= set(seen), "a contact present throughout was lost"


@pytest.mark.parametrize("mode", MODES)
def test_a_page_that_finally_fails_says_where_to_resume(fc, fauth, sandbox, mode):
    sandbox.load_fixture(contacts=448)  # 450 with the two seeded ones
    everyone = {row["id"] for row in sandbox.store["contacts"]}
    sandbox.faults.add("GET /api/3/contacts", times=2)  # pages 1 and 2 pass untouched
    sandbox.faults.add("GET /api/3/contacts", statuses=[503] * 5)  # page 3 fails five times
    with pytest.raises(errors.PaginationError) as info:
        fc.run("list_contacts", MODES[mode], fauth)
    err = info.value
    assert isinstance(err.cause, errors.ServerError) and err.cause.details["attempts"] == 5
    assert len(err.items_so_far) == 200 and err.to_dict()["items_so_far"] == 200
    assert err.retryable and err.resume_cursor and err.resume_input
    if mode == "keyset":
        assert err.resume_input == {"id_greater": err.items_so_far[-1]["id"]}
    else:
        assert err.resume_input == {"offset": 200}
    rest = fc.run("list_contacts", {**MODES[mode], **err.resume_input}, fauth)["contacts"]
    ids = [item["id"] for item in err.items_so_far + rest]
    assert len(ids) == len(set(ids)) and set(ids) == everyone


def test_a_listing_longer_than_one_deadline_is_not_cut_short(fc, fauth, sandbox, clock):
    """The deadline bounds each page: five pages that each wait 40 s for a throttle all arrive, deadline 100 s."""
    sandbox.load_fixture(contacts=448)
    for _ in range(5):
        sandbox.faults.add("GET /api/3/contacts", statuses=[429], headers={"Retry-After": "40"})
        sandbox.faults.add("GET /api/3/contacts", times=1)  # then the page itself
    out = fc.run("list_contacts", KEYSET, fauth, deadline=100)
    assert len(out["contacts"]) == 450
    assert clock.sleeps == [40] * 5 and sum(clock.sleeps) > 100
