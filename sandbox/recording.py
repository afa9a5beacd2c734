"""An "attacker" listener for credential-scope tests: records every request, answers 200 {}.

Anything that reaches it is a leak, so tests assert `attacker.requests == []` (or inspect what
leaked: method, path, headers unmasked, body).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from .listener import BackgroundServer, NoDelayHandler, QuietServer


@dataclass
class RecordedRequest:
    time: float
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)


class _Handler(NoDelayHandler):
    server: _Server

    def _record(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        self.server.owner._add(RecordedRequest(time.time(), self.command, self.path, dict(self.headers.items()), body))
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _record


class _Server(QuietServer):
    def __init__(self, address: tuple[str, int], owner: RecordingServer):
        self.owner = owner
        super().__init__(address, _Handler)


class RecordingServer(BackgroundServer):
    """Loopback listener that records everything it receives. Use as a context manager."""

    thread_name = "recording"

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self._requests: list[RecordedRequest] = []
        self._lock = threading.Lock()
        super().__init__(_Server((host, port), self))

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def clear(self) -> None:
        with self._lock:
            self._requests.clear()

    def _add(self, item: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(item)
