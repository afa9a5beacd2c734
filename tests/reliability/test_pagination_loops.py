"""Paging always ends (issue 18 point 10): a hostile upstream that repeats itself gets a typed error.

The upstream here is a small HTTP server on loopback that answers every listing with the same full
page and no ``meta.total``, ignoring ``offset`` and ``id_greater`` alike: before the fix, "return
all" requested pages for ever.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from engine.errors import PaginationLoop

from .support import connected

PAGE = 100


class _Repeating(BaseHTTPRequestHandler):
    """Every GET answers the same page of ``PAGE`` records (ids 1..PAGE) under the path's last segment."""

    requests: list[dict[str, list[str]]]

    def do_GET(self) -> None:  # noqa: N802 - the http.server hook
        url = urlsplit(self.path)
        self.server.requests.append(parse_qs(url.query))  # type: ignore[attr-defined]
        name = url.path.rstrip("/").rsplit("/", 1)[-1]
        records = [{"id": str(i), "name": f"r{i}", "email": f"r{i}@example.com"} for i in range(1, PAGE + 1)]
        body = json.dumps({name: records}).encode()  # no meta.total
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Repeating)
    server.requests = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def _url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def test_offset_paging_stops_when_pages_bring_nothing_new(hostile: ThreadingHTTPServer) -> None:
    with connected(strict_output=False) as c:
        auth = c.authentication({"api_url": _url(hostile), "api_key": "k" * 40})
        with pytest.raises(PaginationLoop) as caught:
            c.run("list_lists", {"return_all": True}, auth)
    error = caught.value.to_dict()
    assert error["type"] == "pagination_loop" and error["items_so_far"] == PAGE
    assert error["resume_input"] == {"offset": 4 * PAGE}  # the page that would come next
    assert len(hostile.requests) == 4  # one page of news, then three with none: stopped
    assert [r["offset"] for r in hostile.requests] == [["0"], ["100"], ["200"], ["300"]]


def test_keyset_paging_stops_when_the_cursor_does_not_move(hostile: ThreadingHTTPServer) -> None:
    with connected(strict_output=False) as c:
        auth = c.authentication({"api_url": _url(hostile), "api_key": "k" * 40})
        with pytest.raises(PaginationLoop) as caught:
            list(c.stream("list_contacts", {"return_all": True}, auth))
    error = caught.value.to_dict()
    assert error["type"] == "pagination_loop" and error["resume_cursor"] == {"after": str(PAGE)}
    assert error["resume_input"] == {"id_greater": str(PAGE)}
    assert len(hostile.requests) == 2  # the second page repeated the first: its last id did not move
    assert hostile.requests[1]["id_greater"] == [str(PAGE)]


def test_a_single_page_is_unaffected(hostile: ThreadingHTTPServer) -> None:
    with connected(strict_output=False) as c:
        auth = c.authentication({"api_url": _url(hostile), "api_key": "k" * 40})
        out = c.run("list_lists", {"limit": 100}, auth)
    assert len(out["lists"]) == PAGE and out["has_more"] is True and len(hostile.requests) == 1
