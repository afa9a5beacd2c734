"""Composite operations (steps) and request body encodings: the engine's generic features, on a small
connector written for the test, run against the sandbox over HTTP."""

from __future__ import annotations

import asyncio

import pytest
from helpers.specs import minimal_connector

from engine.clock import FakeClock
from engine.errors import NotFound, SpecError, Timeout, ValidationError
from engine.loader import load_connector
from engine.ratelimit import NoLimit
from engine.runtime import Connector

USER = """\
name: user
title: User
description: One user.
idempotency: safe
input: {type: object, additionalProperties: false, required: [id], properties: {id: {type: string, pattern: "^[0-9]+$"}}}
output: {type: object}
request: {method: GET, path: "/users/{{ input.id }}"}
"""

STATUS = """\
name: status
title: Import status
description: One import's status.
idempotency: safe
input: {type: object, additionalProperties: false, required: [batch_id], properties: {batch_id: {type: string}}}
output: {type: object}
request: {method: GET, path: /import/info, query: {batchId: "{{ input.batch_id }}"}}
"""

USERS = """\
name: users
title: Users
description: Several users, labelled with their position.
idempotency: safe
input:
  type: object
  additionalProperties: false
  required: [ids]
  properties:
    ids: {type: array, items: {type: string}}
    extra: {type: boolean, default: false}
output: {type: object}
steps:
  - name: each
    for_each: "{{ input.ids }}"
    as: uid
    operation: user
    input: {id: "{{ uid }}"}
  - name: labels
    for_each: "{{ steps.each }}"
    as: found
    value: "{{ index }}:{{ found.user.username }}"
  - name: extra
    when: "{{ input.extra }}"
    operation: user
    input: {id: "1"}
response:
  output:
    labels: "{{ steps.labels }}"
    extra: "{{ steps.extra.user.username if steps.extra is not none else none }}"
"""

POLL = """\
name: poll
title: Poll
description: Wait for an import.
idempotency: safe
input: {type: object, additionalProperties: false, required: [batch_id], properties: {batch_id: {type: string}}}
output: {type: object}
steps:
  - name: done
    operation: status
    input: {batch_id: "{{ input.batch_id }}"}
    until: "{{ output.status == 'completed' }}"
    every: 3
    attempts: 4
response:
  output: {status: "{{ steps.done.status }}"}
"""

BATCH = "0c6a6fd1-4a1d-4be8-9c27-33f3d7ebfc55"  # the completed import the sandbox is seeded with


@pytest.fixture
def steps_connector(tmp_path):
    root = minimal_connector(tmp_path, user=USER, status=STATUS, users=USERS, poll=POLL)
    clock = FakeClock()
    c = Connector(load_connector(root), allow_loopback=True, limiter=NoLimit(), clock=clock, strict_output=True)
    c.fake_clock = clock
    yield c
    c.close()


@pytest.fixture
def sauth(steps_connector, sandbox_server, sandbox, api_key):
    return steps_connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})


def test_for_each_runs_once_per_element_and_sees_its_index(steps_connector, sauth, sandbox):
    out = steps_connector.run("users", {"ids": ["2", "1"]}, sauth)
    assert out == {"labels": ["0:sam", "1:admin"], "extra": None}
    assert [r.path for r in sandbox.log.matching("GET")] == ["/api/3/users/2", "/api/3/users/1"]


def test_when_skips_a_step_and_its_request(steps_connector, sauth, sandbox):
    assert steps_connector.run("users", {"ids": [], "extra": True}, sauth) == {"labels": [], "extra": "admin"}
    assert steps_connector.run("users", {"ids": []}, sauth)["extra"] is None
    assert len(sandbox.log.matching("GET")) == 1


def test_a_step_failure_is_the_operations_failure(steps_connector, sauth):
    with pytest.raises(NotFound):
        steps_connector.run("users", {"ids": ["1", "999"]}, sauth)


def test_a_step_input_that_does_not_fit_is_refused_before_sending(steps_connector, sauth, sandbox):
    with pytest.raises(ValidationError) as info:
        steps_connector.run("users", {"ids": ["one"]}, sauth)
    assert info.value.errors[0]["pointer"] == "/id"
    assert sandbox.log.matching("GET") == []


def test_until_polls_every_few_seconds_until_done(steps_connector, sauth, sandbox):
    sandbox.faults.add("GET /api/3/import/info", [200, 200], body={"status": False, "success": [], "failure": []})
    assert steps_connector.run("poll", {"batch_id": BATCH}, sauth) == {"status": "completed"}
    assert len(sandbox.log.matching("GET", "/api/3/import/info")) == 3
    assert steps_connector.fake_clock.sleeps == [3.0, 3.0]


def test_until_gives_up_after_its_attempts_with_a_typed_timeout(steps_connector, sauth, sandbox):
    sandbox.faults.add("GET /api/3/import/info", [200] * 4, body={"status": False, "success": [], "failure": []})
    with pytest.raises(Timeout) as info:
        steps_connector.run("poll", {"batch_id": BATCH}, sauth)
    assert "not done after 4 checks" in info.value.message and info.value.to_dict()["type"] == "timeout"
    assert steps_connector.fake_clock.sleeps == [3.0, 3.0, 3.0]


def test_composites_run_async_too(steps_connector, sauth):
    out = asyncio.run(steps_connector.arun("users", {"ids": ["1"]}, sauth))
    assert out["labels"] == ["0:admin"]


# -- load-time checks -----------------------------------------------------------------------------
def _composite(steps: str, request: str = "") -> str:
    return (
        "name: bad\ntitle: Bad\ndescription: Bad.\nidempotency: safe\n"
        "input: {type: object, properties: {x: {type: string}}}\noutput: {type: object}\n" + request + steps
    )


@pytest.mark.parametrize(
    ("text", "extra", "message"),
    [
        (_composite("steps: [{name: a, operation: nowhere}]\n"), {}, "unknown operation 'nowhere'"),
        (
            _composite("steps: [{name: a, operation: user, input: {id: '{{ steps.b.id }}'}}, {name: b, value: 1}]\n"),
            {},
            "undeclared steps.b",
        ),
        (_composite("steps: [{name: a, value: 1}, {name: a, value: 2}]\n"), {}, "used twice"),
        (
            _composite("steps: [{name: a, operation: other}]\n"),
            {"other": _composite("steps: [{name: a, operation: bad}]\n").replace("name: bad", "name: other")},
            "a cycle",
        ),
        (_composite("steps: [{name: a, value: 1}]\n", "request: {method: GET, path: /x}\n"), {}, "is valid under each"),
        (_composite(""), {}, "is not valid under any"),
        (_composite("steps: [{name: a, value: '{{ index }}'}]\n"), {}, "uses 'index'"),
    ],
)
def test_a_wrong_composite_fails_at_load_with_its_place(tmp_path, text, extra, message):
    root = minimal_connector(tmp_path, user=USER, bad=text, **extra)
    with pytest.raises(SpecError) as info:
        load_connector(root)
    assert any(message in p["message"] for p in info.value.problems), info.value.problems
    assert {p["file"] for p in info.value.problems} <= {"operations/bad.yaml", "operations/other.yaml"}


# -- batching and body limits ---------------------------------------------------------------------
def test_chunks_respects_both_the_count_and_the_size():
    from engine.filters import chunks

    items = [{"n": "x" * 10}] * 7  # 17 bytes of JSON each, 18 with its comma
    assert [len(c) for c in chunks(items, 3)] == [3, 3, 1]
    assert [len(c) for c in chunks(items, 5, 40)] == [2, 2, 2, 1]
    assert [len(c) for c in chunks([{"n": "x" * 100}, {"n": 1}], 5, 40)] == [1, 1]  # too big alone: its own run
    assert list(chunks([], 3)) == []


SEND = """\
name: send
title: Send
description: Sends a body to an endpoint that takes at most 50 bytes.
idempotency: unsafe
input: {type: object, properties: {text: {type: string}}}
output: {type: object}
request: {method: POST, path: /tags, body: {tag: {tag: "{{ input.text }}"}}, max_bytes: 50}
"""


def test_a_body_over_the_endpoints_own_limit_is_refused_before_sending(tmp_path, sandbox_server, sandbox, api_key):
    c = Connector(load_connector(minimal_connector(tmp_path, send=SEND)), allow_loopback=True, limiter=NoLimit())
    auth = c.authentication({"api_url": sandbox_server.url, "api_key": api_key})
    with pytest.raises(ValidationError) as info:
        c.run("send", {"text": "x" * 40}, auth)
    assert info.value.errors[0]["keyword"] == "maxLength" and "50 bytes" in info.value.errors[0]["message"]
    assert sandbox.log.matching("POST") == []
    assert c.run("send", {"text": "short"}, auth)["tag"]["tag"] == "short"
    c.close()


TOLERANT = """\
name: tolerant
title: Tolerant
description: A step whose not_found is expected.
idempotency: safe
input: {type: object, properties: {id: {type: string}}}
output: {type: object}
steps:
  - name: found
    operation: user
    input: {id: "{{ input.id }}"}
    tolerate: [not_found]
response:
  output: {found: "{{ steps.found is not none }}"}
"""


def test_a_tolerated_error_type_makes_the_step_null_and_others_still_fail(tmp_path, sandbox_server, sandbox, api_key):
    c = Connector(
        load_connector(minimal_connector(tmp_path, user=USER, tolerant=TOLERANT)), allow_loopback=True, limiter=NoLimit()
    )
    auth = c.authentication({"api_url": sandbox_server.url, "api_key": api_key})
    assert c.run("tolerant", {"id": "999"}, auth) == {"found": False}
    assert c.run("tolerant", {"id": "1"}, auth) == {"found": True}
    sandbox.faults.add("GET /api/3/users/*", [402], body={"message": "Payment due"})
    with pytest.raises(Exception) as info:
        c.run("tolerant", {"id": "1"}, auth)
    assert info.value.type == "account"
    c.close()
