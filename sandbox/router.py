"""A small route table: "/contacts/{id}/notes" style templates relative to /api/3.

Matching works on raw segments, each percent-decoded on its own, so an encoded "/" inside an
id ("12%2F..%2Fusers") stays one segment and simply fails to be a valid id.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

Handler = Callable[..., Any]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    parts: tuple[str, ...]
    handler: Handler


class Router:
    def __init__(self) -> None:
        self._by_length: dict[int, list[Route]] = {}

    def add(self, method: str, template: str, handler: Handler) -> None:
        """A PUT route also answers PATCH, as ActiveCampaign does (LIVE: contacts, deals, notes; assumed for the
        rest, see README)."""
        parts = tuple(p for p in template.strip("/").split("/") if p)
        group = self._by_length.setdefault(len(parts), [])
        methods = ("PUT", "PATCH") if method.upper() == "PUT" else (method.upper(),)
        known = {(r.method, r.parts) for r in group}
        group.extend(Route(m, template, parts, handler) for m in methods if (m, parts) not in known)
        # Static segments win over parameters at the same position ("/users/me" before "/users/{id}").
        group.sort(key=lambda r: tuple(p.startswith("{") for p in r.parts))

    def route(self, *methods: str, path: str) -> Callable[[Handler], Handler]:
        """Decorator form: @router.route("GET", path="/contacts/{id}")."""

        def register(handler: Handler) -> Handler:
            for method in methods:
                self.add(method, path, handler)
            return handler

        return register

    def match(self, method: str, path: str) -> tuple[Route | None, dict[str, str], list[str]]:
        """(route, params, allowed methods). Route None + allowed [] means no such path."""
        raw = [s for s in path.strip("/").split("/")] if path.strip("/") else []
        segments = [unquote(s) for s in raw]
        allowed: list[str] = []
        for route in self._by_length.get(len(segments), ()):
            params: dict[str, str] = {}
            for part, seg in zip(route.parts, segments, strict=True):
                if part[0] == "{":
                    if not seg:
                        break
                    params[part[1:-1]] = seg
                elif part != seg:
                    break
            else:
                if route.method == method:
                    return route, params, []
                allowed.append(route.method)
        return None, {}, sorted(set(allowed))

    def routes(self) -> list[Route]:
        return [r for group in self._by_length.values() for r in group]
