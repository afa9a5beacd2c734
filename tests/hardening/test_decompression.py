"""Issue 18, point 2: decompression is bounded. A small answer that inflates to gigabytes stops at the
size limit while it streams, in bounded memory; a body compressed twice is refused; the same for the
service's request bodies."""

from __future__ import annotations

import asyncio
import dataclasses
import gzip
import tracemalloc
import zlib

import httpx
import pytest
from reliability.support import spec

from ac_connector.service.server import running
from ac_connector.service.settings import ServiceSettings
from engine.errors import ConnectorError
from engine.ratelimit import NoLimit
from engine.runtime import Connector

from .hostile import HostileServer, always, response

KEY = "decompression-test-key-0123456789"
LIMIT = 1_000_000


@pytest.fixture(scope="module")
def small_limit():
    """The real specs with a 1 MB response limit, so the bomb need not be big to prove the point."""
    s = spec()
    c = Connector(
        dataclasses.replace(s, defaults=dataclasses.replace(s.defaults, max_response_bytes=LIMIT)),
        allow_loopback=True,
        limiter=NoLimit(),
    )
    yield c
    c.close()


def gz(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=9)


BOMB = gz(b"0" * 200_000_000)  # about 200 KB that inflate to 200 MB


def answer(body: bytes, encoding: str) -> bytes:
    return response(body=body, headers={"Content-Type": "application/json", "Content-Encoding": encoding})


def run(c: Connector, raw: bytes, asynchronous: bool = False):
    with HostileServer(always(raw)) as server:
        auth = c.authentication({"api_url": server.url, "api_key": KEY}, name="bomb")
        if asynchronous:
            return asyncio.run(c.arun("get_user", {"user_id": "1"}, auth, deadline=20))
        return c.run("get_user", {"user_id": "1"}, auth, deadline=20)


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_a_gzip_bomb_stops_at_the_limit_in_bounded_memory(small_limit, asynchronous):
    tracemalloc.start()
    try:
        with pytest.raises(ConnectorError) as info:
            run(small_limit, answer(BOMB, "gzip"), asynchronous)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.value.type == "response_too_large"
    assert peak < 8 * LIMIT, f"peak {peak / 1e6:.0f} MB while refusing a {LIMIT / 1e6:.0f} MB answer"


@pytest.mark.parametrize("encoding", ["gzip, gzip", "gzip,deflate", "br", "compress"])
def test_stacked_or_unknown_encodings_are_refused(small_limit, encoding):
    body = b'{"user": {"id": "1"}}'
    with pytest.raises(ConnectorError) as info:
        run(small_limit, answer(gz(gz(body)), encoding))
    assert info.value.type == "invalid_response" and "encoding" in info.value.to_dict()["rule"]


@pytest.mark.parametrize(
    "encoding, encode",
    [("gzip", gz), ("deflate", zlib.compress), ("deflate", lambda b: zlib.compress(b)[2:-4])],
    ids=["gzip", "deflate", "raw-deflate"],
)
def test_one_encoding_still_works(small_limit, encoding, encode):
    output = run(small_limit, answer(encode(b'{"user": {"id": "1", "username": "z"}}'), encoding))
    assert output["user"]["username"] == "z"


def test_service_request_bodies_are_bounded_too(tmp_path):
    settings = ServiceSettings(port=0, home=tmp_path / "home", offer_sandbox=False)
    with running(settings, limiter=NoLimit()) as (_, url), httpx.Client(base_url=url, timeout=30) as client:

        def post(body: bytes, encoding: str) -> httpx.Response:
            return client.post(
                "/api/operations/get_user/run",
                content=body,
                headers={"content-type": "application/json", "content-encoding": encoding},
            )

        bomb = post(BOMB, "gzip")
        assert bomb.status_code == 413 and bomb.json()["error"]["type"] == "payload_too_large"
        stacked = post(gz(gz(b'{"input": {"user_id": "1"}}')), "gzip, gzip")
        assert stacked.status_code == 415
        fine = post(gz(b'{"input": {"user_id": "x"}}'), "gzip")
        assert fine.status_code == 422 and fine.json()["error"]["errors"][0]["pointer"] == "/user_id"
