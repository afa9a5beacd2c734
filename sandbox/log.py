"""The request log: what reached the account, with the API key masked, for tests to count."""

from __future__ import annotations

import fnmatch
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, overload

MASK = "***"
SECRET_HEADERS = frozenset({"api-token", "authorization", "cookie", "proxy-authorization"})


@dataclass
class LoggedRequest:
    time: float
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: Any
    status: int
    fault: str | None = field(default=None)

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == low), None)


class RequestLog:
    """A thread-safe, list-like log. Iteration and indexing work on a snapshot."""

    def __init__(self, maxlen: int = 200_000):
        self._items: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._maxlen = maxlen

    def append(self, item: LoggedRequest) -> None:
        with self._lock:
            self._items.append(item)
            if len(self._items) > self._maxlen:
                del self._items[: len(self._items) - self._maxlen]

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def snapshot(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[LoggedRequest]:
        return iter(self.snapshot())

    @overload
    def __getitem__(self, index: int) -> LoggedRequest: ...
    @overload
    def __getitem__(self, index: slice) -> list[LoggedRequest]: ...
    def __getitem__(self, index):
        return self.snapshot()[index]

    def __eq__(self, other: object) -> bool:
        return self.snapshot() == (other.snapshot() if isinstance(other, RequestLog) else other)

    def __repr__(self) -> str:
        return f"RequestLog({self.snapshot()!r})"

    def matching(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """Entries with this method and a path matching the glob (either may be None)."""
        return [
            item
            for item in self.snapshot()
            if (method is None or item.method == method.upper()) and (path is None or fnmatch.fnmatchcase(item.path, path))
        ]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(self.matching(method, path))


def mask_headers(headers: dict[str, str]) -> dict[str, str]:
    return {k: (MASK if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}
